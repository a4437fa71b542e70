"""Nothing lost, nothing hangs: every event that arrived before a close, drop or error is
delivered before ``ConnectionClosed`` (with the real code and reason) is raised.

The fake server's ids are random but seeded (the fixtures pass one seed), so every run of the
same conversation sends the same events with the same ids, and its ``close_after`` /
``drop_after`` faults act after exactly N events: so "what the server sent" is the first N events
of a fault-free reference run of the same conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from azure.ai.voicelive.aio import ConnectionClosed, ConnectionError
from azure.ai.voicelive.testing import FakeVoiceLiveServer

from .conftest import (
    WAIT,
    RawWebSocketServer,
    drain,
    iterate,
    open_fake,
    open_url,
    reference_run,
    start_text_response,
    text_frame,
    wait_until,
)

MakeFake = Callable[..., Awaitable[FakeVoiceLiveServer]]
MakeRaw = Callable[[list[bytes]], Awaitable[RawWebSocketServer]]


@pytest.fixture
async def reference() -> list[dict[str, Any]]:
    events = await reference_run()
    # Every event has its own id (random, but the same in every run of this conversation).
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == len(ids) and all(i.startswith("event_") for i in ids)
    assert [e["event_id"] for e in await reference_run()] == ids
    assert events[0]["type"] == "session.created" and events[-1]["type"] == "response.done"
    assert len(events) >= 20
    return events


async def send_turn_ignoring_close(conn: Any) -> None:
    # The server may already have closed: a send then raises ConnectionClosed (never anything else).
    with contextlib.suppress(ConnectionClosed):
        await start_text_response(conn)


# ------------------------------------------------------------------ close frames
@pytest.mark.parametrize(
    ("after", "code", "reason"),
    [
        (1, 1011, "internal error"),
        (6, 4000, "session expired"),
        (17, 1011, ""),  # mid-audio
        (-1, 4000, "after the last event"),  # -1: right after response.done
    ],
)
async def test_abnormal_close_after_n_events_delivers_exactly_n_then_raises(
    fake: MakeFake, reference: list[dict[str, Any]], after: int, code: int, reason: str
) -> None:
    n = len(reference) if after == -1 else after
    server = await fake()
    server.inject(close_after=n, close_code=code, close_reason=reason)
    async with open_fake(server) as conn:
        await send_turn_ignoring_close(conn)
        out = await iterate(conn)
        assert out.closed is not None, "an abnormal close must raise, not end the iteration"
        assert (out.closed.code, out.closed.reason) == (code, reason)
        assert str(out.closed) == f"WebSocket connection closed with code {code}: {reason}"
        assert out.ids == [e["event_id"] for e in reference[:n]]
        assert out.types == [e["type"] for e in reference[:n]]
        assert out.elapsed < WAIT
        assert conn.closed and (conn.close_code, conn.close_reason) == (code, reason)
        # Later calls keep raising the same close, promptly.
        with pytest.raises(ConnectionClosed) as again:
            await asyncio.wait_for(conn.recv(), 1.0)
        assert (again.value.code, again.value.reason) == (code, reason)


async def test_close_before_the_first_event_raises_on_first_recv(fake: MakeFake) -> None:
    server = await fake()
    server.inject(close_after=0, close_code=1008, close_reason="policy violation")
    async with open_fake(server) as conn:
        out = await drain(conn)
    assert out.items == []
    assert out.closed is not None and (out.closed.code, out.closed.reason) == (1008, "policy violation")


@pytest.mark.parametrize("after", [1, 9, -1])
async def test_normal_close_after_n_events_ends_iteration_quietly(
    fake: MakeFake, reference: list[dict[str, Any]], after: int
) -> None:
    n = len(reference) if after == -1 else after
    server = await fake()
    server.inject(close_after=n, close_code=1000, close_reason="bye")
    async with open_fake(server) as conn:
        await send_turn_ignoring_close(conn)
        out = await iterate(conn)
        assert out.ended_quietly and out.closed is None
        assert out.ids == [e["event_id"] for e in reference[:n]]
        assert (conn.close_code, conn.close_reason) == (1000, "bye")
        # recv() after the end raises the normal close (iteration stays ended).
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(conn.recv(), 1.0)
        assert info.value.code == 1000


# ------------------------------------------------------------------ close_all while the client is not reading
async def _finished_turn_unread(server: FakeVoiceLiveServer, conn: Any) -> None:
    """Run a full turn on the server side while the client reads nothing."""
    await start_text_response(conn)
    await wait_until(lambda: len(server.sessions) == 1, what="the session")
    sim = server.sessions[0]
    await wait_until(
        lambda: len(sim.conversation) == 2 and not sim.response_active, what="the response to finish"
    )
    await asyncio.sleep(0.05)  # the last popped event is written within the same step


async def test_close_all_1000_ends_iteration_quietly_after_every_unread_event(
    fake: MakeFake, reference: list[dict[str, Any]]
) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        await _finished_turn_unread(server, conn)
        # The server's close handshake completes only once the client reads up to the close frame.
        closing = asyncio.create_task(server.close_all(1000, "done"))
        await asyncio.sleep(0.05)
        out = await iterate(conn)
        await asyncio.wait_for(closing, WAIT)
    assert out.ended_quietly
    assert out.ids == [e["event_id"] for e in reference]
    assert out.types == [e["type"] for e in reference]


async def test_close_all_1001_going_away_raises_after_every_unread_event(
    fake: MakeFake, reference: list[dict[str, Any]]
) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        await _finished_turn_unread(server, conn)
        # The server's close handshake completes only once the client reads up to the close frame.
        closing = asyncio.create_task(server.close_all(1001, "going away"))
        await asyncio.sleep(0.05)
        out = await iterate(conn)
        await asyncio.wait_for(closing, WAIT)
    assert out.closed is not None and (out.closed.code, out.closed.reason) == (1001, "going away")
    assert out.ids == [e["event_id"] for e in reference]


async def test_close_all_while_a_task_is_blocked_in_recv(fake: MakeFake) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT)).type == "session.created"
        waiting = asyncio.create_task(conn.recv())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await asyncio.wait_for(server.close_all(4001, "maintenance"), WAIT)
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(waiting, WAIT)
    assert (info.value.code, info.value.reason) == (4001, "maintenance")


# ------------------------------------------------------------------ TCP drops (no close frame)
@pytest.mark.parametrize("after", [1, 8, 20, -1])
async def test_dropped_tcp_connection_delivers_every_event_then_raises_1006(
    fake: MakeFake, reference: list[dict[str, Any]], after: int
) -> None:
    n = len(reference) if after == -1 else after
    server = await fake()
    server.inject(drop_after=n)
    async with open_fake(server) as conn:
        await send_turn_ignoring_close(conn)
        out = await iterate(conn)
    assert out.closed is not None and out.closed.code == 1006
    assert "connection lost" in out.closed.reason
    assert out.ids == [e["event_id"] for e in reference[:n]]
    assert out.elapsed < WAIT


async def test_drop_while_the_client_is_not_reading_loses_nothing(
    fake: MakeFake, reference: list[dict[str, Any]]
) -> None:
    n = 20
    server = await fake()
    server.inject(drop_after=n)
    async with open_fake(server) as conn:
        await start_text_response(conn)
        await wait_until(lambda: server.connections == 0, what="the server to drop the connection")
        await asyncio.sleep(0.05)  # let the client's transport see the reset
        # A send now fails with ConnectionClosed, and the received events stay readable.
        with contextlib.suppress(ConnectionClosed):
            await conn.input_audio_buffer.clear()
        out = await iterate(conn)
    assert out.closed is not None and out.closed.code == 1006
    assert out.ids == [e["event_id"] for e in reference[:n]]


# ------------------------------------------------------------------ dead peer: heartbeat
def _events(n: int) -> list[bytes]:
    return [text_frame({"type": "response.text.delta", "event_id": f"e{i}", "delta": "x"}) for i in range(n)]


async def test_dead_peer_is_detected_by_heartbeat(make_raw: MakeRaw) -> None:
    """A peer that completes the handshake, sends three events and then never answers a ping."""
    server = await make_raw(_events(3))
    started = time.monotonic()
    async with open_url(server.endpoint, heartbeat=0.2, close_timeout=1.0) as conn:
        out = await drain(conn, timeout=3.0)
    total = time.monotonic() - started
    assert out.ids == ["e0", "e1", "e2"]
    assert out.closed is not None and out.closed.code == 1006
    assert "heartbeat" in out.closed.reason
    assert out.elapsed < 2.0 and total < 3.0  # detected in ~0.3 s; closing does not wait for the dead peer
    await asyncio.wait_for(server.eof.wait(), WAIT)  # the client released the TCP connection


async def test_dead_peer_heartbeat_while_not_reading_loses_nothing(make_raw: MakeRaw) -> None:
    server = await make_raw(_events(3))
    async with open_url(server.endpoint, heartbeat=0.2, close_timeout=1.0) as conn:
        await asyncio.sleep(0.8)  # the three events arrive, then the pong deadline passes
        out = await drain(conn, timeout=3.0)
    assert out.closed is not None and out.closed.code == 1006
    assert out.ids == ["e0", "e1", "e2"]


# ------------------------------------------------------------------ oversized messages
async def test_oversized_audio_delta_is_1009_after_every_smaller_event(
    fake: MakeFake, reference: list[dict[str, Any]]
) -> None:
    import json

    limit = 4000
    sizes = [len(json.dumps(e, separators=(",", ":"))) for e in reference]
    # Every reference frame is far from the limit, so the expected prefix is certain.
    assert all(abs(s - limit) > 500 for s in sizes)
    first_big = next(i for i, s in enumerate(sizes) if s > limit)
    assert reference[first_big]["type"] == "response.audio.delta"
    server = await fake()
    async with open_fake(server, max_msg_size=limit) as conn:
        await start_text_response(conn)
        out = await drain(conn)
        assert conn.closed and conn.close_code == 1009
    assert out.closed is not None and out.closed.code == 1009
    assert "exceeds limit" in out.closed.reason
    assert out.ids == [e["event_id"] for e in reference[:first_big]]
    assert out.elapsed < WAIT


# ------------------------------------------------------------------ every error is a ConnectionError
async def test_connection_closed_is_a_connection_error(fake: MakeFake) -> None:
    server = await fake()
    server.inject(close_after=1, close_code=4002, close_reason="x")
    async with open_fake(server) as conn:
        out = await drain(conn)
    assert isinstance(out.closed, ConnectionError)


@pytest.fixture
async def make_raw(raw_server: MakeRaw) -> MakeRaw:
    return raw_server
