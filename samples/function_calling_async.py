"""Function calling: the model asks for ``get_weather`` / ``get_time``, the app runs them, the model answers.

The session declares two tools (``FunctionTool`` with JSON-schema parameters). For each
question the loop is:

1. user message + ``response.create``;
2. the response streams a ``function_call`` item; when ``response.function_call_arguments.done``
   arrives the app runs the local function with the decoded arguments and sends its result
   as a ``FunctionCallOutputItem`` (same ``call_id``);
3. once that response is done (``response.done``), ``response.create`` again: the model now
   answers with the function's output in hand.

Text modality keeps the output short. Against the fake server the default responder calls the
tool whose subject the question mentions ("weather in Seattle" -> ``get_weather`` with
``{"location":"Seattle"}``) and then answers quoting the function output.

    python samples/function_calling_async.py                            # against the fake server
    python samples/function_calling_async.py --question "What's the weather in Paris?"
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/function_calling_async.py   # against Azure
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable
from typing import Any

from _common import parser, run, target

from azure.ai.voicelive.aio import VoiceLiveConnection, connect
from azure.ai.voicelive.models import (
    FunctionCallOutputItem,
    FunctionTool,
    InputTextContentPart,
    Modality,
    RequestSession,
    ServerEventError,
    ServerEventResponseDone,
    ServerEventResponseFunctionCallArgumentsDone,
    ServerEventResponseTextDelta,
    UserMessageItem,
)

DEFAULT_QUESTIONS = ["What's the weather in Seattle?", "What time is it in Tokyo?"]


# --- the app's functions -----------------------------------------------------------------------


def get_weather(location: str, unit: str = "celsius") -> dict[str, Any]:
    """A stand-in for a weather API."""
    temperature = 14 if unit == "celsius" else 57
    return {"location": location, "sky": "light rain", "temperature": f"{temperature} {unit}"}


def get_time(location: str) -> dict[str, Any]:
    """A stand-in for a time-zone lookup (this sample knows a few cities)."""
    offsets = {"tokyo": 9, "seattle": -8, "london": 0, "paris": 1}
    hours = offsets.get(location.lower(), 0)
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=hours)))
    return {"location": location, "time": now.strftime("%H:%M")}


FUNCTIONS: dict[str, Callable[..., dict[str, Any]]] = {"get_weather": get_weather, "get_time": get_time}

TOOLS = [
    FunctionTool(
        name="get_weather",
        description="Get the current weather for a city.",
        parameters={
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city, e.g. Seattle"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    ),
    FunctionTool(
        name="get_time",
        description="Get the current local time in a city.",
        parameters={
            "type": "object",
            "properties": {"location": {"type": "string", "description": "The city, e.g. Tokyo"}},
            "required": ["location"],
        },
    ),
]


def call_function(name: str, arguments: str) -> str:
    """Run one requested function and return its result as JSON text (errors too: the model reads them)."""
    function = FUNCTIONS.get(name)
    if function is None:
        return json.dumps({"error": f"unknown function {name!r}"})
    try:
        return json.dumps(function(**json.loads(arguments)))
    except (TypeError, ValueError) as exc:
        return json.dumps({"error": f"bad arguments for {name}: {exc}"})


# --- the conversation --------------------------------------------------------------------------


async def run_response(conn: VoiceLiveConnection) -> bool:
    """Stream one response; run the functions it calls. Return True when function outputs were sent."""
    called = False
    text = False
    async for event in conn:
        if isinstance(event, ServerEventResponseFunctionCallArgumentsDone):
            output = call_function(event.name, event.arguments)
            print(f"  (calling {event.name}({event.arguments}) -> {output})")
            await conn.conversation.item.create(
                item=FunctionCallOutputItem(call_id=event.call_id, output=output)
            )
            called = True
        elif isinstance(event, ServerEventResponseTextDelta):
            if not text:
                print("assistant: ", end="")
                text = True
            print(event.delta, end="", flush=True)
        elif isinstance(event, ServerEventError):
            print(f"\nerror: {event.error.code}: {event.error.message}", file=sys.stderr)
        elif isinstance(event, ServerEventResponseDone):
            if text or not called:
                print(f"  [{event.response.status}]")
            return called
    return called


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--question", action="append", help="a question to ask (repeat for more)")
    args = p.parse_args()

    async with (
        target(args) as t,
        connect(endpoint=t.endpoint, credential=t.credential, model=t.model) as conn,
    ):
        await conn.session.update(
            session=RequestSession(
                instructions="You are a helpful assistant. Use the tools for weather and time. Be brief.",
                modalities=[Modality.TEXT],
                tools=TOOLS,
                tool_choice="auto",
                turn_detection=None,
            )
        )
        for question in args.question or DEFAULT_QUESTIONS:
            print(f"you: {question}")
            await conn.conversation.item.create(
                item=UserMessageItem(content=[InputTextContentPart(text=question)])
            )
            await conn.response.create()
            # A response that called functions is followed by another that uses their output.
            for _ in range(5):  # a model could keep calling tools; don't loop forever
                if not await run_response(conn):
                    break
                await conn.response.create()


if __name__ == "__main__":
    run(main)
