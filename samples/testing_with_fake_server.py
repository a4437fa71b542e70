"""Testing your own app with the fake server: no Azure account, no network, deterministic replies.

``FakeVoiceLiveServer`` (``azure.ai.voicelive.testing``) is a local Voice Live service: your
app connects to ``server.endpoint`` exactly as it connects to Azure. Script the assistant with
``ScriptedResponder`` (``TextReply``, ``FunctionCallReply``), then assert on what your app
returned and on what it sent: ``server.received`` holds every client event, in order.

The app here is ``answer()``: it asks a question in a text session and runs the
``lookup_order`` tool when the model calls it. ``main()`` runs two checks and prints them;
this file always uses the fake server (that is the point). The same checks with pytest, using
the ``voicelive_server`` fixture that the package registers (it needs ``pytest-asyncio``)::

    import json

    import pytest
    from azure.core.credentials import AzureKeyCredential
    from azure.ai.voicelive.aio import connect
    from azure.ai.voicelive.testing import (
        FakeVoiceLiveServer, FunctionCallReply, ScriptedResponder, TextReply,
    )

    from myapp import answer  # the code under test


    @pytest.mark.asyncio
    async def test_answer(voicelive_server):  # a started fake server with the default responder
        async with connect(endpoint=voicelive_server.endpoint, credential=AzureKeyCredential("key"),
                           model="gpt-4o-realtime-preview") as conn:
            assert await answer(conn, "Hello!") == 'You said: "Hello!".'
        assert voicelive_server.received[0]["type"] == "session.update"


    @pytest.mark.asyncio
    async def test_answer_runs_the_tool():
        responder = ScriptedResponder(FunctionCallReply("lookup_order", {"order_id": "A42"}),
                                      TextReply("Your order A42 has shipped."))
        async with FakeVoiceLiveServer(responder=responder) as server:
            async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("key"),
                               model="gpt-4o-realtime-preview") as conn:
                assert await answer(conn, "Where is order A42?") == "Your order A42 has shipped."
        sent = [e["item"] for e in server.received if e["type"] == "conversation.item.create"]
        assert sent[-1]["type"] == "function_call_output"
        assert json.loads(sent[-1]["output"]) == {"order_id": "A42", "status": "shipped"}

Run it:

    python samples/testing_with_fake_server.py
"""

from __future__ import annotations

import argparse
import asyncio
import json

from azure.core.credentials import AzureKeyCredential

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
from azure.ai.voicelive.testing import FakeVoiceLiveServer, FunctionCallReply, ScriptedResponder, TextReply

# --- the app under test ------------------------------------------------------------------------

LOOKUP_ORDER = FunctionTool(
    name="lookup_order",
    description="Find the status of a customer's order.",
    parameters={"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
)


def lookup_order(order_id: str) -> dict[str, str]:
    return {"order_id": order_id, "status": "shipped"}


async def answer(conn: VoiceLiveConnection, question: str) -> str:
    """Ask ``question``; run ``lookup_order`` when the model calls it; return the final answer's text."""
    await conn.session.update(
        session=RequestSession(modalities=[Modality.TEXT], tools=[LOOKUP_ORDER], turn_detection=None)
    )
    await conn.conversation.item.create(item=UserMessageItem(content=[InputTextContentPart(text=question)]))
    await conn.response.create()
    text: list[str] = []
    called = False
    async for event in conn:
        match event:
            case ServerEventResponseTextDelta(delta=delta):
                text.append(delta)
            case ServerEventResponseFunctionCallArgumentsDone(
                name="lookup_order", call_id=call_id, arguments=arguments
            ):
                output = json.dumps(lookup_order(**json.loads(arguments)))
                await conn.conversation.item.create(
                    item=FunctionCallOutputItem(call_id=call_id, output=output)
                )
                called = True
            case ServerEventError(error=error):
                raise RuntimeError(f"{error.code}: {error.message}")
            case ServerEventResponseDone():
                if not called:
                    return "".join(text)
                called = False
                text.clear()
                await conn.response.create()  # let the model answer with the tool's output
            case _:
                pass  # other events: not needed here
    raise RuntimeError("the connection closed before the answer was complete")


# --- the checks --------------------------------------------------------------------------------


async def check_default_reply(model: str) -> None:
    async with FakeVoiceLiveServer() as server:  # default responder: 'You said: "<text>".'
        async with connect(
            endpoint=server.endpoint, credential=AzureKeyCredential("key"), model=model
        ) as conn:
            reply = await answer(conn, "Hello!")
        assert reply == 'You said: "Hello!".', reply
        assert [e["type"] for e in server.received] == [
            "session.update",
            "conversation.item.create",
            "response.create",
        ]
    print(f"ok: the app returns the reply ({reply!r}) after sending exactly 3 events")


async def check_tool_call(model: str) -> None:
    responder = ScriptedResponder(
        FunctionCallReply("lookup_order", {"order_id": "A42"}), TextReply("Your order A42 has shipped.")
    )
    async with FakeVoiceLiveServer(responder=responder) as server:
        async with connect(
            endpoint=server.endpoint, credential=AzureKeyCredential("key"), model=model
        ) as conn:
            reply = await answer(conn, "Where is order A42?")
    assert reply == "Your order A42 has shipped.", reply
    outputs = [e["item"] for e in server.received if e["type"] == "conversation.item.create"][1:]
    assert len(outputs) == 1 and outputs[0]["type"] == "function_call_output", outputs
    assert json.loads(outputs[0]["output"]) == {"order_id": "A42", "status": "shipped"}
    # What the scripted assistant saw when it answered: the tool's output, last.
    conversation, session = responder.calls[-1]
    assert conversation[-1]["type"] == "function_call_output"
    assert [tool["name"] for tool in session["tools"]] == ["lookup_order"]
    print(f"ok: the app ran lookup_order, sent its output and returned {reply!r}")


async def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--model", default="gpt-4o-realtime-preview")
    args = p.parse_args()
    print("(testing the app against the bundled fake Voice Live server)")
    await check_default_reply(args.model)
    await check_tool_call(args.model)
    print("all checks passed")


if __name__ == "__main__":
    asyncio.run(main())
