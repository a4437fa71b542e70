"""Replay a recorded Voice Live session offline: a session cassette, no Azure account needed.

A cassette is a JSON Lines file holding every frame of a real session, recorded once with
``azure.ai.voicelive.testing.record(...)`` around an unchanged app. ``FakeVoiceLiveServer(
replay=path)`` then answers the app's events with the recorded server events: the same ids,
texts and tool calls your deployment produced, in CI, in milliseconds. If the app sends
something else than it did when recording, it gets an ``error`` event naming the first
difference (and the replaying server keeps a ``CassetteMismatch``).

The app here asks about the weather with a ``get_weather`` tool and runs the tool when the
model calls it. With no endpoint it replays the repository's cassette
(``tests/testing/cassettes/weather.jsonl``, recorded against the bundled fake server standing
in for Azure); with an endpoint it talks to the service, and ``--record FILE`` records a new
cassette of that session.

Run it:

    python samples/replay_cassette.py
    python samples/replay_cassette.py --cassette my_session.jsonl
    python samples/replay_cassette.py --endpoint https://... --api-key ... --record my_session.jsonl
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

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
from azure.ai.voicelive.testing import record

CASSETTE = Path(__file__).resolve().parents[1] / "tests" / "testing" / "cassettes" / "weather.jsonl"
QUESTION = "What's the weather in Seattle?"
GET_WEATHER = FunctionTool(
    name="get_weather",
    description="Get the current weather in a city.",
    parameters={
        "type": "object",
        "properties": {"location": {"type": "string", "description": "The city, e.g. Seattle"}},
        "required": ["location"],
    },
)


def get_weather(location: str) -> dict[str, str]:
    """The app's tool (a stand-in for a weather service)."""
    return {"location": location, "sky": "light rain", "temperature": "14 celsius"}


# --- the app: the same code against Azure, while recording, and while replaying ------------------


async def ask(conn: VoiceLiveConnection, question: str) -> str:
    """Ask one question; run the tool when the model calls it; return the final answer's text."""
    await conn.session.update(
        session=RequestSession(
            instructions="Answer weather questions with the get_weather tool. Be brief.",
            modalities=[Modality.TEXT],
            tools=[GET_WEATHER],
            turn_detection=None,
        )
    )
    await conn.conversation.item.create(item=UserMessageItem(content=[InputTextContentPart(text=question)]))
    await conn.response.create()
    answer = ""
    called = False
    async for event in conn:
        if isinstance(event, ServerEventResponseFunctionCallArgumentsDone):
            output = json.dumps(get_weather(**json.loads(event.arguments)))
            print(f"  (calling {event.name}({event.arguments}) -> {output})")
            await conn.conversation.item.create(
                item=FunctionCallOutputItem(call_id=event.call_id, output=output)
            )
            called = True
        elif isinstance(event, ServerEventResponseTextDelta):
            answer += event.delta
        elif isinstance(event, ServerEventError):
            raise SystemExit(f"error: {event.error.code}: {event.error.message}")
        elif isinstance(event, ServerEventResponseDone):
            if called and not answer:
                await conn.response.create()  # the model answers with the tool's output
                continue
            break
    return answer


async def main() -> None:
    p = parser(__doc__)
    p.add_argument(
        "--cassette", type=Path, default=CASSETTE, help=f"the cassette to replay (default: {CASSETTE})"
    )
    p.add_argument(
        "--record", type=Path, metavar="FILE", help="with an endpoint: record the session into FILE"
    )
    args = p.parse_args()
    if args.record and not args.endpoint:
        raise SystemExit("error: --record needs an endpoint (--endpoint or AZURE_VOICELIVE_ENDPOINT)")

    replaying = not args.endpoint
    options = {"replay": args.cassette} if replaying else {}
    recording = record(args.record, audio="trim") if args.record else contextlib.nullcontext()
    async with target(args, **options) as t:
        if replaying:
            print(f"(replaying {args.cassette.name})")
        with recording:
            async with connect(endpoint=t.endpoint, credential=t.credential, model=t.model) as conn:
                print(f"you: {QUESTION}")
                print(f"assistant: {await ask(conn, QUESTION)}")
        if args.record:
            print(f"(recorded the session into {args.record})")
        if t.server is not None and t.server.errors:  # a CassetteMismatch: the app changed
            raise SystemExit(f"error: {t.server.errors[0]}")


if __name__ == "__main__":
    run(main)
