"""Client-side input validation: a certain mistake raises TypeError/ValueError before anything is
sent; the fake server receives nothing for it and the connection stays usable."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from azure.ai.voicelive.aio import VoiceLiveConnection
from azure.ai.voicelive.testing import FakeVoiceLiveServer

from .conftest import WAIT, open_fake, wait_until

MakeFake = Callable[..., Awaitable[FakeVoiceLiveServer]]


def _deep(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {"type": "conversation.item.create"}
    node = root
    for _ in range(depth):
        node["n"] = {}
        node = node["n"]
    return root


def _cycle() -> dict[str, Any]:
    event: dict[str, Any] = {"type": "conversation.item.create"}
    event["self"] = event
    return event


class Color(enum.Enum):
    RED = object()  # an enum whose value is not JSON


Call = Callable[[VoiceLiveConnection], Awaitable[None]]
MISTAKES: list[tuple[str, type[Exception], str, Call]] = [
    ("audio-int", TypeError, "audio must be bytes", lambda c: c.input_audio_buffer.append(audio=123)),  # type: ignore[arg-type]
    ("audio-none", TypeError, "audio must be bytes", lambda c: c.input_audio_buffer.append(audio=None)),  # type: ignore[arg-type]
    ("audio-list", TypeError, "audio must be bytes", lambda c: c.input_audio_buffer.append(audio=[1, 2])),  # type: ignore[arg-type]
    ("audio-not-b64", ValueError, "base64", lambda c: c.input_audio_buffer.append(audio="not base64!")),
    ("audio-unpadded", ValueError, "padded", lambda c: c.input_audio_buffer.append(audio="QUJDRA")),
    ("audio-urlsafe", ValueError, "standard", lambda c: c.input_audio_buffer.append(audio="ab-_")),
    ("audio-newline", ValueError, "base64", lambda c: c.input_audio_buffer.append(audio="QUJD\nRA==")),
    (
        "truncate-negative-ms",
        ValueError,
        "audio_end_ms must be >= 0",
        lambda c: c.conversation.item.truncate(item_id="i", audio_end_ms=-1, content_index=0),
    ),
    (
        "truncate-negative-index",
        ValueError,
        "content_index must be >= 0",
        lambda c: c.conversation.item.truncate(item_id="i", audio_end_ms=10, content_index=-1),
    ),
    (
        "truncate-float-ms",
        TypeError,
        "audio_end_ms must be an int",
        lambda c: c.conversation.item.truncate(item_id="i", audio_end_ms=1.5, content_index=0),  # type: ignore[arg-type]
    ),
    (
        "truncate-str-ms",
        TypeError,
        "audio_end_ms must be an int",
        lambda c: c.conversation.item.truncate(item_id="i", audio_end_ms="10", content_index=0),  # type: ignore[arg-type]
    ),
    ("send-set", TypeError, "not JSON-serialisable", lambda c: c.send({"type": "x", "v": {1, 2}})),
    ("send-object", TypeError, "not JSON-serialisable", lambda c: c.send({"type": "x", "v": object()})),
    ("send-nan", TypeError, "not JSON-serialisable", lambda c: c.send({"type": "x", "v": float("nan")})),
    ("send-inf", TypeError, "not JSON-serialisable", lambda c: c.send({"type": "x", "v": float("inf")})),
    ("send-tuple-key", TypeError, "not JSON-serialisable", lambda c: c.send({"type": "x", (1, 2): 1})),
    ("send-cycle", TypeError, "not JSON-serialisable", lambda c: c.send(_cycle())),
    ("send-enum-object", TypeError, "not JSON-serialisable", lambda c: c.send({"type": "x", "c": Color.RED})),
    ("send-bare-object", TypeError, "not JSON-serialisable", lambda c: c.send(object())),  # type: ignore[arg-type]
    ("session-str", TypeError, "session must be", lambda c: c.session.update(session="voice=alloy")),  # type: ignore[arg-type]
    ("item-list", TypeError, "item must be", lambda c: c.conversation.item.create(item=[1])),  # type: ignore[arg-type]
    ("response-int", TypeError, "response must be", lambda c: c.response.create(response=5)),  # type: ignore[arg-type]
]


async def _assert_nothing_sent(server: FakeVoiceLiveServer, conn: VoiceLiveConnection) -> None:
    """Send a fence event; once it arrives, it must be the only thing the server ever received."""
    await conn.input_audio_buffer.clear(event_id="fence")
    await wait_until(lambda: len(server.received) >= 1, what="the fence")
    await asyncio.sleep(0.02)
    assert [e.get("event_id") for e in server.received] == ["fence"]
    reply = await asyncio.wait_for(conn.recv(), WAIT)
    assert reply.type == "input_audio_buffer.cleared"


@pytest.mark.parametrize(("name", "error", "match", "call"), MISTAKES, ids=[m[0] for m in MISTAKES])
async def test_certain_mistakes_raise_before_anything_is_sent(
    fake: MakeFake, name: str, error: type[Exception], match: str, call: Call
) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT)).type == "session.created"
        with pytest.raises(error, match=match):
            await call(conn)
        await _assert_nothing_sent(server, conn)


async def test_all_mistakes_on_one_connection_then_it_still_works(fake: MakeFake) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        await asyncio.wait_for(conn.recv(), WAIT)
        for _name, error, match, call in MISTAKES:
            with pytest.raises(error, match=match):
                await call(conn)
        await _assert_nothing_sent(server, conn)
        assert not conn.closed


async def test_too_deep_event_is_a_type_error_and_nothing_is_sent(fake: MakeFake) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        await asyncio.wait_for(conn.recv(), WAIT)
        with pytest.raises(TypeError, match="not JSON-serialisable"):
            await conn.send(_deep(100_000))
        await _assert_nothing_sent(server, conn)


async def test_valid_edge_values_are_sent(fake: MakeFake) -> None:
    """The validation is exact: borderline but valid values go through."""
    server = await fake()
    async with open_fake(server) as conn:
        await asyncio.wait_for(conn.recv(), WAIT)
        await conn.session.update(session={"turn_detection": None}, event_id="s")
        await conn.input_audio_buffer.append(audio=b"", event_id="empty-bytes")
        await conn.input_audio_buffer.append(audio="", event_id="empty-str")
        await conn.input_audio_buffer.append(audio=memoryview(b"\x00\x00"), event_id="mv")
        await conn.input_audio_buffer.append(audio=bytearray(4), event_id="ba")
        await conn.conversation.item.truncate(item_id="i", audio_end_ms=1500.0, content_index=0, event_id="t")
        await conn.send({"type": "input_audio_buffer.clear", "event_id": "b", "blob": b"\x01\x02"})
        await wait_until(lambda: len(server.received) >= 7, what="seven events")
    by_id = {e["event_id"]: e for e in server.received}
    assert by_id["empty-bytes"]["audio"] == "" and by_id["empty-str"]["audio"] == ""
    assert by_id["mv"]["audio"] == "AAA=" and by_id["ba"]["audio"] == "AAAAAA=="
    assert by_id["t"]["audio_end_ms"] == 1500 and isinstance(by_id["t"]["audio_end_ms"], int)
    assert by_id["b"]["blob"] == "AQI="
