"""Each resource method sends exactly the expected client event (as the server receives it)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import (
    ConversationResource,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
    TranscriptionSessionResource,
    VoiceLiveConnection,
    connect,
)
from azure.ai.voicelive.models import (
    ClientEvent,
    ClientEventResponseCancel,
    ClientEventResponseCreate,
    ClientEventSessionUpdate,
    FunctionCallOutputItem,
    InputTextContentPart,
    RequestSession,
    ResponseCreateParams,
    ServerEventSessionUpdated,
    UserMessageItem,
)

from .conftest import WAIT, ScriptedServer

Call = Callable[[VoiceLiveConnection], Awaitable[None]]

MESSAGE_ITEM = {
    "type": "message",
    "role": "user",
    "id": "item-1",
    "content": [
        {"type": "input_text", "text": "What's the weather in Paris?"},
        {"type": "input_audio", "audio": "AAEC", "transcript": "hello"},
    ],
}
FUNCTION_OUTPUT_ITEM = {"type": "function_call_output", "call_id": "call_42", "output": '{"temp_c": 21}'}


async def sent_by(server: ScriptedServer, *calls: Call) -> list[dict[str, Any]]:
    async with connect(endpoint=server.url, credential=AzureKeyCredential("k"), model="m") as conn:
        for call in calls:
            await call(conn)
        return await server.wait_frames(len(calls))


CASES: list[tuple[str, Call, dict[str, Any]]] = [
    (
        "session.update manual turns",
        lambda c: c.session.update(session={"turn_detection": None, "instructions": "Be brief."}),
        {"type": "session.update", "session": {"turn_detection": None, "instructions": "Be brief."}},
    ),
    (
        "session.update model with event_id",
        lambda c: c.session.update(
            session=RequestSession(turn_detection=None, voice="alloy"), event_id="ev1"
        ),
        {"type": "session.update", "event_id": "ev1", "session": {"turn_detection": None, "voice": "alloy"}},
    ),
    (
        "transcription_session.update",
        lambda c: c.transcription_session.update(session={"input_audio_format": "pcm16"}),
        {"type": "transcription_session.update", "session": {"input_audio_format": "pcm16"}},
    ),
    ("response.create bare", lambda c: c.response.create(), {"type": "response.create"}),
    (
        "response.create full",
        lambda c: c.response.create(
            response={"modalities": ["text"], "instructions": None},
            additional_instructions="Answer in French.",
            event_id="r1",
        ),
        {
            "type": "response.create",
            "event_id": "r1",
            "response": {"modalities": ["text"], "instructions": None},
            "additional_instructions": "Answer in French.",
        },
    ),
    (
        "response.create model",
        lambda c: c.response.create(
            response=ResponseCreateParams(modalities=["audio", "text"], commit=False)
        ),
        {"type": "response.create", "response": {"modalities": ["audio", "text"], "commit": False}},
    ),
    ("response.cancel", lambda c: c.response.cancel(), {"type": "response.cancel"}),
    (
        "response.cancel id",
        lambda c: c.response.cancel(response_id="resp_1", event_id="x"),
        {"type": "response.cancel", "event_id": "x", "response_id": "resp_1"},
    ),
    (
        "append bytes",
        lambda c: c.input_audio_buffer.append(audio=b"\x00\x01\x02\xff"),
        {"type": "input_audio_buffer.append", "audio": "AAEC/w=="},
    ),
    (
        "append bytearray",
        lambda c: c.input_audio_buffer.append(audio=bytearray(b"\x01\x02")),
        {"type": "input_audio_buffer.append", "audio": "AQI="},
    ),
    (
        "append memoryview",
        lambda c: c.input_audio_buffer.append(audio=memoryview(b"abc")),
        {"type": "input_audio_buffer.append", "audio": "YWJj"},
    ),
    (
        "append str",
        lambda c: c.input_audio_buffer.append(audio="AQI=", event_id='a "quoted" \\ id'),
        {"type": "input_audio_buffer.append", "event_id": 'a "quoted" \\ id', "audio": "AQI="},
    ),
    ("commit", lambda c: c.input_audio_buffer.commit(), {"type": "input_audio_buffer.commit"}),
    (
        "clear",
        lambda c: c.input_audio_buffer.clear(event_id="c1"),
        {"type": "input_audio_buffer.clear", "event_id": "c1"},
    ),
    ("output clear", lambda c: c.output_audio_buffer.clear(), {"type": "output_audio_buffer.clear"}),
    (
        "item.create message",
        lambda c: c.conversation.item.create(item=MESSAGE_ITEM, previous_item_id="root"),
        {"type": "conversation.item.create", "previous_item_id": "root", "item": MESSAGE_ITEM},
    ),
    (
        "item.create function_call_output",
        lambda c: c.conversation.item.create(item=FUNCTION_OUTPUT_ITEM, event_id="f1"),
        {"type": "conversation.item.create", "event_id": "f1", "item": FUNCTION_OUTPUT_ITEM},
    ),
    (
        "item.create model",
        lambda c: c.conversation.item.create(
            item=UserMessageItem(content=[InputTextContentPart(text="hi")]),
        ),
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        },
    ),
    (
        "item.create function output model",
        lambda c: c.conversation.item.create(item=FunctionCallOutputItem(call_id="c9", output="{}")),
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": "c9", "output": "{}"},
        },
    ),
    (
        "item.create bytes inside a dict",
        lambda c: c.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_audio", "audio": b"\x01\x02"}],
            }
        ),
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_audio", "audio": "AQI="}],
            },
        },
    ),
    (
        "item.retrieve",
        lambda c: c.conversation.item.retrieve(item_id="i1"),
        {"type": "conversation.item.retrieve", "item_id": "i1"},
    ),
    (
        "item.delete",
        lambda c: c.conversation.item.delete(item_id="i1", event_id="d"),
        {"type": "conversation.item.delete", "event_id": "d", "item_id": "i1"},
    ),
    (
        "item.truncate",
        lambda c: c.conversation.item.truncate(item_id="i2", audio_end_ms=1500, content_index=0),
        {"type": "conversation.item.truncate", "item_id": "i2", "content_index": 0, "audio_end_ms": 1500},
    ),
    (
        "item.truncate integral float",
        lambda c: c.conversation.item.truncate(item_id="i2", audio_end_ms=1500.0, content_index=1),
        {"type": "conversation.item.truncate", "item_id": "i2", "content_index": 1, "audio_end_ms": 1500},
    ),
    (
        "send model",
        lambda c: c.send(ClientEventSessionUpdate(session=RequestSession(instructions="x"), event_id="m1")),
        {"type": "session.update", "session": {"instructions": "x"}, "event_id": "m1"},
    ),
]


@pytest.mark.parametrize(("call", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
async def test_resource_sends_expected_event(
    server: ScriptedServer, call: Call, expected: dict[str, Any]
) -> None:
    [frame] = await sent_by(server, call)
    assert frame == expected


async def test_append_hot_path_frame_text(server: ScriptedServer) -> None:
    audio = bytes(range(256)) * 4
    await sent_by(server, lambda c: c.input_audio_buffer.append(audio=audio))
    b64 = base64.b64encode(audio).decode()
    assert server.received == ['{"type":"input_audio_buffer.append","audio":"' + b64 + '"}']


BAD_CALLS: list[tuple[str, Call, type[Exception], str]] = [
    (
        "append int",
        lambda c: c.input_audio_buffer.append(audio=123),
        TypeError,
        "bytes, bytearray, memoryview",
    ),
    ("append list", lambda c: c.input_audio_buffer.append(audio=[1, 2]), TypeError, "base64 str"),
    ("append non-base64", lambda c: c.input_audio_buffer.append(audio='"}, {"x'), ValueError, "base64"),
    ("append unpadded", lambda c: c.input_audio_buffer.append(audio="AQI"), ValueError, "padded"),
    ("append urlsafe", lambda c: c.input_audio_buffer.append(audio="AB-_"), ValueError, "standard"),
    (
        "truncate negative ms",
        lambda c: c.conversation.item.truncate(item_id="i", audio_end_ms=-1, content_index=0),
        ValueError,
        "audio_end_ms must be >= 0",
    ),
    (
        "truncate negative index",
        lambda c: c.conversation.item.truncate(item_id="i", audio_end_ms=0, content_index=-2),
        ValueError,
        "content_index must be >= 0",
    ),
    (
        "truncate fractional ms",
        lambda c: c.conversation.item.truncate(item_id="i", audio_end_ms=1.5, content_index=0),
        TypeError,
        "audio_end_ms must be an int",
    ),
    ("session not mapping", lambda c: c.session.update(session="fast"), TypeError, "session must be"),
    ("item not mapping", lambda c: c.conversation.item.create(item=["x"]), TypeError, "item must be"),
    ("response not mapping", lambda c: c.response.create(response="x"), TypeError, "response must be"),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [case[1:] for case in BAD_CALLS], ids=[case[0] for case in BAD_CALLS]
)
async def test_bad_arguments_send_nothing(
    server: ScriptedServer, call: Call, error: type[Exception], message: str
) -> None:
    async with connect(endpoint=server.url, credential=AzureKeyCredential("k"), model="m") as conn:
        with pytest.raises(error, match=message):
            await call(conn)
        await conn.input_audio_buffer.commit(event_id="marker")
        frames = await server.wait_frames(1)
    assert frames == [{"type": "input_audio_buffer.commit", "event_id": "marker"}]


async def test_seed_example_runs_unchanged(server: ScriptedServer) -> None:
    """The README example: update the session, then iterate until the server ends the session."""

    async def service(ws: web.WebSocketResponse, request: web.Request) -> None:
        await ws.send_str(
            json.dumps({"type": "session.created", "event_id": "s0", "session": {"id": "sess_1"}})
        )
        msg = await ws.receive(timeout=WAIT)
        update = json.loads(msg.data)
        await ws.send_str(
            json.dumps(
                {
                    "type": "session.updated",
                    "event_id": "s1",
                    "session": {"id": "sess_1", **update["session"]},
                }
            )
        )
        await ws.close(code=1000, message=b"session over")

    server.ws_handler = service
    endpoint, credential = server.url, AzureKeyCredential("k")
    seen = []

    async def app() -> None:
        async with connect(endpoint=endpoint, credential=credential, model="gpt-4o-realtime-preview") as conn:
            await conn.session.update(session={"modalities": ["text", "audio"], "turn_detection": None})
            async for event in conn:
                seen.append(event)

    await asyncio.wait_for(app(), WAIT)
    assert [e.type for e in seen] == ["session.created", "session.updated"]
    assert isinstance(seen[1], ServerEventSessionUpdated)
    assert seen[1].session["turn_detection"] is None
    assert seen[1].session.id == "sess_1"


class RecordingConnection:
    """Stands in for a connection: records what the resources hand to ``send``."""

    def __init__(self) -> None:
        self.sent: list[object] = []
        self.session = SessionResource(self)  # type: ignore[arg-type]
        self.transcription_session = TranscriptionSessionResource(self)  # type: ignore[arg-type]
        self.response = ResponseResource(self)  # type: ignore[arg-type]
        self.input_audio_buffer = InputAudioBufferResource(self)  # type: ignore[arg-type]
        self.output_audio_buffer = OutputAudioBufferResource(self)  # type: ignore[arg-type]
        self.conversation = ConversationResource(self)  # type: ignore[arg-type]

    async def send(self, event: object) -> None:
        self.sent.append(event)


@pytest.mark.parametrize(
    ("name", "call", "expected"),
    [case for case in CASES if case[2]["type"] != "input_audio_buffer.append"],
    ids=[case[0] for case in CASES if case[2]["type"] != "input_audio_buffer.append"],
)
async def test_resources_hand_send_a_typed_client_event(
    name: str, call: Call, expected: dict[str, Any]
) -> None:
    # As in the official package: code that mocks connection.send sees ClientEvent* models.
    conn = RecordingConnection()
    await call(conn)  # type: ignore[arg-type]
    (event,) = conn.sent
    if expected["type"] == "transcription_session.update":  # no class, a dict (as in the official)
        assert type(event) is dict and event == expected
        return
    assert isinstance(event, ClientEvent)
    assert type(event) is not ClientEvent, f"{expected['type']} has no specific class"
    assert event.type == expected["type"]


async def test_typed_client_events_match_the_official_classes() -> None:
    conn = RecordingConnection()
    await conn.session.update(session=RequestSession(model="gpt-realtime"))
    await conn.session.update(session={"model": "gpt-realtime", "temperature": 0.7})
    await conn.response.create()
    await conn.response.cancel(response_id="resp_1")
    update, update_mapping, create, cancel = conn.sent
    assert isinstance(update, ClientEventSessionUpdate) and isinstance(
        update_mapping, ClientEventSessionUpdate
    )
    assert isinstance(update.session, RequestSession) and update.session.model == "gpt-realtime"
    assert update_mapping["session"] == {"model": "gpt-realtime", "temperature": 0.7}
    assert isinstance(create, ClientEventResponseCreate) and dict(create) == {"type": "response.create"}
    assert isinstance(cancel, ClientEventResponseCancel) and cancel.response_id == "resp_1"
