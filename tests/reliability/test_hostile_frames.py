"""Hostile or broken frames from the server give typed, documented outcomes, never a stuck connection.

* not a JSON object (malformed, empty, non-object, too deep, binary) -> ``InvalidFrameError``, and
  the next valid event is still received;
* a JSON object with an unknown type or wrong field types -> a lenient event (``ServerEvent``);
* over ``max_msg_size`` -> ``ConnectionClosed(1009)``; exactly at the limit -> delivered;
* invalid UTF-8 in a text frame -> ``ConnectionClosed(1007)``; a WebSocket protocol violation
  (reserved opcode) -> ``ConnectionClosed(1002)``.

Frames the fake server can inject come from its ``Faults``; the others from a scripted aiohttp
server or, for bytes aiohttp refuses to send, a raw socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azure.ai.voicelive.aio import ConnectionError, InvalidFrameError
from azure.ai.voicelive.models import (
    ServerEvent,
    ServerEventError,
    ServerEventResponseAudioDelta,
    ServerEventSessionCreated,
)
from azure.ai.voicelive.testing import FakeVoiceLiveServer, Faults

from .conftest import (
    BINARY,
    PING,
    TEXT,
    WAIT,
    RawWebSocketServer,
    ScriptServer,
    drain,
    open_fake,
    open_url,
    text_frame,
    ws_frame,
)

MakeFake = Callable[..., Awaitable[FakeVoiceLiveServer]]
MakeRaw = Callable[[list[bytes]], Awaitable[RawWebSocketServer]]

DEEP = 100_000


def check_invalid_frame_error(exc: InvalidFrameError) -> None:
    """The documented shape: a ConnectionError with a bounded message and a bounded frame excerpt."""
    assert isinstance(exc, ConnectionError)
    assert len(exc.frame) <= 200
    assert len(str(exc)) < 1000


# ------------------------------------------------------------------ fake-server junk frames
JUNK_FAULTS = {
    "malformed": Faults(malformed_after=1),
    "html": Faults(malformed_after=1, malformed_frame="<html><body>502 Bad Gateway</body></html>"),
    "empty": Faults(malformed_after=1, malformed_frame=""),
    "whitespace": Faults(malformed_after=1, malformed_frame=" \n\t "),
    "truncated": Faults(malformed_after=1, malformed_frame='{"type":"response.audio.delta","delta":"AAAA'),
    "huge-malformed": Faults(malformed_after=1, malformed_frame="{" + "x" * 200_000),
    "deep-array": Faults(malformed_after=1, malformed_frame="[" * DEEP + "]" * DEEP),
    "deep-object": Faults(malformed_after=1, malformed_frame='{"a":' * DEEP + "1" + "}" * DEEP),
    "non-object": Faults(non_object_after=1),
    "null": Faults(non_object_after=1, non_object_frame="null"),
    "number": Faults(non_object_after=1, non_object_frame="42"),
    "string": Faults(non_object_after=1, non_object_frame='"session.created"'),
    "binary": Faults(binary_after=1),
    "binary-json": Faults(binary_after=1, binary_frame=b'{"type":"session.updated"}'),
    "binary-empty": Faults(binary_after=1, binary_frame=b""),
}
if hasattr(sys, "get_int_max_str_digits"):  # Python >= 3.10.7 refuses to parse a 5000-digit int
    JUNK_FAULTS["huge-int"] = Faults(malformed_after=1, malformed_frame='{"type":"x","n":' + "9" * 5000 + "}")


@pytest.mark.parametrize("name", sorted(JUNK_FAULTS))
async def test_junk_frame_raises_invalid_frame_error_and_the_session_goes_on(
    fake: MakeFake, name: str
) -> None:
    server = await fake(faults=JUNK_FAULTS[name])
    async with open_fake(server) as conn:
        first = await asyncio.wait_for(conn.recv(), WAIT)
        assert isinstance(first, ServerEventSessionCreated)
        with pytest.raises(InvalidFrameError) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        check_invalid_frame_error(info.value)
        # The connection is usable: a request gets its answer.
        await conn.input_audio_buffer.clear(event_id="after-junk")
        reply = await asyncio.wait_for(conn.recv(), WAIT)
        assert reply.type == "input_audio_buffer.cleared"
        assert not conn.closed


@pytest.mark.parametrize("fault", ["malformed_after", "non_object_after", "binary_after"])
async def test_junk_in_the_middle_of_a_response_loses_no_event(fake: MakeFake, fault: str) -> None:
    from .conftest import reference_run, start_text_response

    reference = await reference_run()
    server = await fake(faults=Faults(**{fault: 10}))
    async with open_fake(server) as conn:
        await start_text_response(conn)
        out = await drain(conn, until="response.done")
    assert out.closed is None
    assert [type(i).__name__ for i in out.items].count("InvalidFrameError") == 1
    assert isinstance(out.items[10], InvalidFrameError)  # exactly where the server put it
    assert out.ids == [e["event_id"] for e in reference]


async def test_async_for_propagates_invalid_frame_and_a_new_loop_continues(fake: MakeFake) -> None:
    server = await fake(faults=Faults(malformed_after=1))
    async with open_fake(server) as conn:
        seen: list[str] = []
        with pytest.raises(InvalidFrameError):
            async for event in conn:
                seen.append(event.type)
        assert seen == ["session.created"]
        await conn.input_audio_buffer.clear()
        async for event in conn:
            assert event.type == "input_audio_buffer.cleared"
            break


# ------------------------------------------------------------------ lenient events (scripted server)
LENIENT = [
    {"type": "brand.new.event", "event_id": "u1", "payload": {"nested": [1, 2, 3]}},
    {"event_id": "no-type"},
    {},
    {"type": None},
    {"type": 42},
    {"type": ["a", "list"]},
    {"type": {"an": "object"}},
    {"type": "\ud800"},  # a lone surrogate escape: valid JSON, not valid Unicode
    {"type": "x" * 10_000},
    {"type": "response.audio.delta", "event_id": "w1", "delta": 123},
    {"type": "response.audio.delta", "event_id": "w2", "delta": ["not", "text"]},
    {"type": "session.created", "event_id": "w3", "session": "not an object"},
    {"type": "error", "event_id": "w4", "error": "just a string"},
    {"type": "response.done", "event_id": "w5", "response": [1, 2]},
    {"type": "session.updated", "event_id": "w6", "session": {"expires_at": "soon", "voice": 7}},
    {"type": "conversation.item.created", "event_id": "w7", "item": {"type": 5, "content": "x"}},
    {"type": "x", "nested": json.loads("[" * 500 + "]" * 500)},
    {"type": "x", "nan": float("nan"), "inf": float("inf")},
]


async def test_unknown_types_and_wrong_field_types_are_lenient_events(
    script_server: ScriptServer, caplog: pytest.LogCaptureFixture
) -> None:
    # DEBUG logging on: the SDK logs each received frame's type; hostile types must not break it.
    caplog.set_level(logging.DEBUG, logger="azure.ai.voicelive")
    script_server.frames = [*LENIENT, {"type": "session.updated", "event_id": "last"}]
    script_server.end = ("close", 1000, "")
    async with open_url(script_server.endpoint) as conn:
        out = await drain(conn)
    assert out.errors == []
    assert out.closed is not None and out.closed.code == 1000
    assert len(out.events) == len(LENIENT) + 1
    for sent, event in zip(LENIENT, out.events[:-1], strict=True):
        assert isinstance(event, ServerEvent)
        assert json.dumps(event.as_dict(), sort_keys=True) == json.dumps(sent, sort_keys=True)
        repr(event)  # never raises
        for name in ("type", "event_id"):
            getattr(event, name)
    assert out.events[-1]["event_id"] == "last"
    # Wrong field types: attribute access gives back the wire value instead of raising.
    by_id = {e.get("event_id"): e for e in out.events}
    assert isinstance(by_id["w1"], ServerEventResponseAudioDelta) and by_id["w1"].delta == 123
    assert by_id["w3"].session == "not an object"
    assert isinstance(by_id["w4"], ServerEventError) and by_id["w4"].error == "just a string"
    assert by_id["w5"].response == [1, 2]
    assert by_id["w6"].session.expires_at == "soon"


async def test_invalid_base64_audio_is_delivered_and_fails_only_on_decode(
    script_server: ScriptServer,
) -> None:
    script_server.frames = [{"type": "response.audio.delta", "event_id": "b", "delta": "!!not base64!!"}]
    async with open_url(script_server.endpoint) as conn:
        event = await asyncio.wait_for(conn.recv(), WAIT)
        assert event["delta"] == "!!not base64!!"
        with pytest.raises(ValueError, match="not valid base64"):
            _ = event.delta


# ------------------------------------------------------------------ size limits
def frame_of(size: int, event_id: str) -> str:
    """A response.audio.delta text frame of exactly ``size`` bytes."""
    head = '{"type":"response.audio.delta","event_id":"' + event_id + '","delta":"'
    text = head + "A" * (size - len(head) - 2) + '"}'
    assert len(text) == size
    return text


@pytest.mark.parametrize("limit", [1000, 65_536])
async def test_frame_just_under_max_msg_size_is_delivered_over_is_1009(
    script_server: ScriptServer, limit: int
) -> None:
    script_server.frames = [frame_of(limit - 1, "under"), frame_of(limit + 1, "over"), frame_of(100, "never")]
    async with open_url(script_server.endpoint, max_msg_size=limit) as conn:
        out = await drain(conn)
    assert out.ids == ["under"]
    assert len(json.dumps(out.events[0].as_dict(), separators=(",", ":"))) == limit - 1
    assert out.closed is not None and out.closed.code == 1009
    assert out.closed.reason.startswith(f"Message size {limit + 1} exceeds limit")
    assert out.elapsed < 2.0


async def test_frame_exactly_at_max_msg_size_is_delivered(script_server: ScriptServer) -> None:
    script_server.frames = [frame_of(1000, "at-limit")]
    script_server.end = ("close", 1000, "")
    async with open_url(script_server.endpoint, max_msg_size=1000) as conn:
        out = await drain(conn)
    assert out.ids == ["at-limit"]


async def test_default_limit_is_4_mib(script_server: ScriptServer) -> None:
    big = 4 * 1024 * 1024
    script_server.frames = [frame_of(big - 1, "big"), frame_of(big + 1, "too-big")]
    async with open_url(script_server.endpoint) as conn:
        out = await drain(conn, timeout=10)
    assert out.ids == ["big"]
    assert out.closed is not None and out.closed.code == 1009
    assert out.closed.reason.startswith(f"Message size {big + 1} exceeds limit")


# ------------------------------------------------------------------ invalid UTF-8, protocol errors (raw)
async def test_invalid_utf8_text_frame_is_1007_after_earlier_events(raw_server: MakeRaw) -> None:
    server = await raw_server(
        [
            text_frame({"type": "a", "event_id": "ok"}),
            ws_frame(TEXT, b'{"type":"\xff\xfe"}'),
            text_frame({"type": "b"}),
        ]
    )
    async with open_url(server.endpoint, close_timeout=1.0) as conn:
        out = await drain(conn)
    assert out.ids == ["ok"]
    assert out.closed is not None and out.closed.code == 1007
    assert "UTF-8" in out.closed.reason
    assert out.elapsed < 2.0


async def test_invalid_utf8_split_across_fragments_is_1007(raw_server: MakeRaw) -> None:
    server = await raw_server(
        [ws_frame(TEXT, b'{"type":"\xc3', fin=False), ws_frame(0x0, b'("}'), text_frame({"type": "b"})]
    )
    async with open_url(server.endpoint, close_timeout=1.0) as conn:
        out = await drain(conn)
    assert out.items == []
    assert out.closed is not None and out.closed.code == 1007


async def test_reserved_opcode_is_1002(raw_server: MakeRaw) -> None:
    server = await raw_server([text_frame({"type": "a", "event_id": "ok"}), ws_frame(0x3, b"x")])
    async with open_url(server.endpoint, close_timeout=1.0) as conn:
        out = await drain(conn)
    assert out.ids == ["ok"]
    assert out.closed is not None and out.closed.code == 1002


async def test_binary_and_ping_frames_between_events(raw_server: MakeRaw) -> None:
    server = await raw_server(
        [
            text_frame({"type": "a", "event_id": "1"}),
            ws_frame(PING, b"hi"),
            ws_frame(BINARY, b"\x00\xff" * 100),
            text_frame({"type": "b", "event_id": "2"}),
        ]
    )
    async with open_url(server.endpoint, close_timeout=0.2, heartbeat=None) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT))["event_id"] == "1"
        with pytest.raises(InvalidFrameError, match="binary frame") as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        check_invalid_frame_error(info.value)
        assert (await asyncio.wait_for(conn.recv(), WAIT))["event_id"] == "2"


async def test_close_code_is_a_plain_int(raw_server: MakeRaw) -> None:
    server = await raw_server([ws_frame(TEXT, b"\xff")])
    async with open_url(server.endpoint, close_timeout=1.0) as conn:
        out = await drain(conn)
        assert out.closed is not None and out.closed.code == 1007
        assert type(conn.close_code) is int
    assert type(out.closed.code) is int


# ------------------------------------------------------------------ property: random frame streams
VALID_TYPES = [
    "session.created",
    "session.updated",
    "response.audio.delta",
    "response.text.delta",
    "response.done",
    "error",
    "conversation.item.created",
    "totally.unknown",
]
json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
valid_event = st.builds(
    lambda kind, extra: json.dumps({**extra, "type": kind}),
    st.sampled_from(VALID_TYPES) | st.text(max_size=12),
    st.dictionaries(st.text(max_size=8), json_value, max_size=4),
)
junk_text = (
    st.sampled_from(
        ["", " ", "{", "}", "[]", "null", "42", '"x"', "{'type': 1}", '{"type":"a",}', "[" * 5000]
    )
    | st.text(max_size=40)
    | json_value.map(json.dumps)
)
frame_strategy = st.one_of(
    valid_event.map(lambda t: ("text", t)),
    junk_text.map(lambda t: ("text", t)),
    st.binary(max_size=64).map(lambda b: ("binary", b)),
)
ENDINGS = [("close", 1000, "done"), ("close", 1011, "oops"), ("close", 4000, "expired"), ("drop",)]


def _is_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_random_frame_streams_over_a_real_socket() -> None:
    """Each example: one real connection, up to 20 generated frames (valid events, junk text,
    binary) then a close or a TCP drop. The client sees only ServerEvent / InvalidFrameError /
    ConnectionClosed, every valid event in order, one InvalidFrameError per junk frame, and the
    real close code."""
    loop = asyncio.new_event_loop()
    server = ScriptServer()
    loop.run_until_complete(server.start())

    async def run(frames: list[tuple[str, Any]], ending: tuple[Any, ...]) -> None:
        server.frames = [f for _, f in frames]
        server.end = ending
        async with open_url(server.endpoint, close_timeout=1.0) as conn:
            out = await drain(conn, timeout=WAIT)
        expected_events = [json.loads(f) for kind, f in frames if kind == "text" and _is_object(f)]
        expected_junk = len(frames) - len(expected_events)
        assert [_canonical(e.as_dict()) for e in out.events] == [_canonical(e) for e in expected_events]
        assert all(isinstance(e, ServerEvent) for e in out.events)
        assert len(out.errors) == expected_junk
        for err in out.errors:
            check_invalid_frame_error(err)
        # Junk and events arrive interleaved exactly as sent.
        kinds = ["event" if kind == "text" and _is_object(f) else "junk" for kind, f in frames]
        assert ["junk" if isinstance(i, InvalidFrameError) else "event" for i in out.items] == kinds
        assert out.closed is not None
        assert out.closed.code == (1006 if ending == ("drop",) else ending[1])

    @settings(
        max_examples=50,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(frame_strategy, max_size=20), st.sampled_from(ENDINGS))
    def check(frames: list[tuple[str, Any]], ending: tuple[Any, ...]) -> None:
        loop.run_until_complete(asyncio.wait_for(run(frames, ending), 2 * WAIT))

    try:
        check()
        assert server.handshakes >= 50
    finally:
        loop.run_until_complete(server.stop())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
