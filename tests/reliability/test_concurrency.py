"""Concurrency and cancellation against the fake server.

* many tasks may ``send`` at once: frames never interleave (every event arrives whole);
* a second concurrent ``recv`` is refused with a clear ``RuntimeError``;
* cancelling a task in ``recv`` or ``send`` leaves the connection usable, and loses no event;
* leaving ``async with`` by an exception, a cancellation or a timeout closes the socket (the
  server sees the connection end) and the ``aiohttp.ClientSession``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from azure.ai.voicelive.aio import ConnectionClosed
from azure.ai.voicelive.testing import FakeVoiceLiveServer

from .conftest import WAIT, SessionSpy, drain, open_fake, reference_run, say, wait_until

MakeFake = Callable[..., Awaitable[FakeVoiceLiveServer]]


def quiet_audio(i: int, size: int) -> bytes:
    """Distinct, near-silent PCM16 (below any VAD threshold): samples in -3..3 keyed by ``i``."""
    pattern = bytes(((i * 7 + k) % 7 - 3) & 0xFF for k in range(251))
    samples = bytearray()
    for b in pattern:
        samples += bytes((b, 0xFF if b >= 0x80 else 0x00))
    return bytes((samples * (size // len(samples) + 1))[:size])


async def test_200_concurrent_sends_arrive_intact(fake: MakeFake) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        await asyncio.wait_for(conn.recv(), WAIT)  # session.created
        # No turn detection: the audio is only stored, so replies stay few and predictable.
        await conn.session.update(session={"turn_detection": None}, event_id="cfg")
        expected: dict[str, dict[str, Any]] = {}

        async def one(i: int) -> None:
            kind = i % 4
            event_id = f"c-{i}"
            if kind == 0:
                audio = quiet_audio(i, 960 * (1 + i % 40))  # 20 ms .. 800 ms
                await conn.input_audio_buffer.append(audio=audio, event_id=event_id)
                expected[event_id] = {
                    "type": "input_audio_buffer.append",
                    "audio": base64.b64encode(audio).decode(),
                }
            elif kind == 1:
                text = f"message {i} " + "x" * (i * 97 % 20_000)
                await conn.conversation.item.create(item=say(text), event_id=event_id)
                expected[event_id] = {"type": "conversation.item.create", "item": say(text)}
            elif kind == 2:
                await conn.conversation.item.retrieve(item_id=f"missing-{i}", event_id=event_id)
                expected[event_id] = {"type": "conversation.item.retrieve", "item_id": f"missing-{i}"}
            else:
                event = {
                    "type": "input_audio_buffer.clear",
                    "event_id": event_id,
                    "pad": "p" * (i * 331 % 70_000),
                }
                await conn.send(event)
                expected[event_id] = {k: v for k, v in event.items() if k != "event_id"}
            await asyncio.sleep(0)

        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(200))), WAIT)
        await wait_until(lambda: len(server.received) >= 201, what="200 events at the server")
        received = {e["event_id"]: e for e in server.received if e.get("event_id", "").startswith("c-")}
        assert len(received) == 200
        for event_id, want in expected.items():
            got = dict(received[event_id])
            del got["event_id"]
            assert got == want, event_id
        # Nothing was garbled on the way: the fake answers a broken frame with error "invalid_json".
        # A fence: the error answering this retrieve carries our event_id, after every other reply.
        await conn.conversation.item.retrieve(item_id="no-such-item", event_id="fence")
        replies: list[Any] = []
        while not replies or replies[-1].get("error", {}).get("event_id") != "fence":
            replies.append(await asyncio.wait_for(conn.recv(), WAIT))
    codes = [e["error"].get("code") for e in replies if e.type == "error"]
    assert "invalid_json" not in codes and "invalid_event" not in codes
    assert len(codes) >= 50  # the 50 retrieves of missing items were answered


async def test_second_concurrent_recv_is_refused_and_the_first_still_gets_its_event(fake: MakeFake) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        await asyncio.wait_for(conn.recv(), WAIT)
        first = asyncio.create_task(conn.recv())
        await asyncio.sleep(0.05)
        with pytest.raises(RuntimeError, match="another task is already waiting"):
            await conn.recv()
        with pytest.raises(RuntimeError, match="receive from one task only"):
            await conn.recv_bytes()
        with pytest.raises(RuntimeError):
            async for _ in conn:
                pass
        await conn.input_audio_buffer.clear()
        assert (await asyncio.wait_for(first, WAIT)).type == "input_audio_buffer.cleared"
        assert not conn.closed


async def test_cancelled_recv_leaves_the_connection_usable_and_loses_nothing(fake: MakeFake) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT)).type == "session.created"
        for _ in range(3):  # cancel while nothing is there
            task = asyncio.create_task(conn.recv())
            await asyncio.sleep(0.02)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        # wait_for timeouts are cancellations too.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(conn.recv(), 0.02)
        # Now race cancellations against a streaming response: every event arrives once, in order.
        await conn.conversation.item.create(item=say("hello there"))
        await conn.response.create()
        got: list[str] = []
        done = False
        for n in range(400):
            task = asyncio.create_task(conn.recv())
            for _ in range(n % 3):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                event = await task
                got.append(event["event_id"])
                if event.type == "response.done":
                    done = True
                    break
        if not done:
            out = await drain(conn, until="response.done")
            got += out.ids
        # The same conversation without cancellations (same seed, so the same ids): nothing lost.
        assert got == [e["event_id"] for e in (await reference_run())[1:]]
        assert not conn.closed
        await conn.input_audio_buffer.clear()
        assert (await asyncio.wait_for(conn.recv(), WAIT)).type == "input_audio_buffer.cleared"


async def test_cancelled_sends_never_leave_half_a_frame(fake: MakeFake) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        await asyncio.wait_for(conn.recv(), WAIT)
        await conn.session.update(session={"turn_detection": None})
        big = quiet_audio(1, 2_000_000)  # 2.7 MB of base64 per frame: the writer has to wait to drain
        tasks = [
            asyncio.create_task(conn.input_audio_buffer.append(audio=big, event_id=f"big-{i}"))
            for i in range(8)
        ]
        await asyncio.sleep(0)
        for i, task in enumerate(tasks):
            if i % 2:
                task.cancel()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), WAIT)
        assert all(r is None or isinstance(r, asyncio.CancelledError) for r in results)
        # The connection still works in both directions, and the server parsed every frame.
        await conn.input_audio_buffer.clear(event_id="after")
        out = await drain(conn, until="input_audio_buffer.cleared", timeout=WAIT)
        assert out.closed is None
        assert all(e.type != "error" for e in out.events), [e.get("error") for e in out.events]
        ids = [e.get("event_id") for e in server.received]
        assert ids[-1] == "after"
        bigs = [e for e in server.received if str(e.get("event_id")).startswith("big-")]
        assert {e["event_id"] for e in bigs} >= {f"big-{i}" for i in range(0, 8, 2)}
        assert all(len(e["audio"]) == len(base64.b64encode(big)) for e in bigs)


async def test_cancelling_one_send_never_cancels_another_task(fake: MakeFake) -> None:
    server = await fake()
    async with open_fake(server) as conn:
        await asyncio.wait_for(conn.recv(), WAIT)
        await conn.session.update(session={"turn_detection": None})
        big = quiet_audio(3, 2_000_000)  # each frame fills the socket: senders wait for it to drain
        victims = [
            asyncio.create_task(conn.input_audio_buffer.append(audio=big, event_id=f"victim-{i}"))
            for i in range(3)
        ]
        bystander = asyncio.create_task(conn.input_audio_buffer.append(audio=big, event_id="bystander"))
        await asyncio.sleep(0)
        for task in victims:
            task.cancel()
        outcomes = await asyncio.wait_for(asyncio.gather(*victims, bystander, return_exceptions=True), WAIT)
        later: BaseException | None = None
        try:  # this task was never cancelled either
            await asyncio.wait_for(conn.input_audio_buffer.append(audio=big, event_id="later"), WAIT)
        except BaseException as exc:
            later = exc
        assert type(outcomes[-1]).__name__ == "NoneType", f"the bystander got {outcomes[-1]!r}"
        assert later is None, f"a later send got {later!r}"
        await wait_until(lambda: any(e.get("event_id") == "later" for e in server.received), what="later")


# ------------------------------------------------------------------ leaving `async with`
async def test_leaving_by_exception_closes_socket_and_session(
    fake: MakeFake, session_spy: SessionSpy
) -> None:
    server = await fake()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with open_fake(server) as conn:
            await asyncio.wait_for(conn.recv(), WAIT)
            assert server.connections == 1
            raise Boom
    assert conn.closed
    assert session_spy.all_closed
    await wait_until(lambda: server.connections == 0, what="the server to see the close")
    assert server.sessions[0].closed


@pytest.mark.parametrize("where", ["recv", "send", "sleep"])
async def test_leaving_by_cancellation_closes_socket_and_session(
    fake: MakeFake, session_spy: SessionSpy, where: str
) -> None:
    server = await fake()
    entered = asyncio.Event()
    holder: list[Any] = []

    async def client() -> None:
        async with open_fake(server) as conn:
            holder.append(conn)
            await asyncio.wait_for(conn.recv(), WAIT)
            entered.set()
            if where == "recv":
                await conn.recv()  # nothing more is coming
            elif where == "send":
                big = quiet_audio(2, 3_000_000)
                while True:
                    await conn.input_audio_buffer.append(audio=big)
            else:
                await asyncio.sleep(60)

    task = asyncio.create_task(client())
    await asyncio.wait_for(entered.wait(), WAIT)
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)
    assert holder[0].closed
    assert session_spy.all_closed
    await wait_until(lambda: server.connections == 0, what="the server to see the close")


async def test_leaving_by_timeout_closes_socket_and_session(fake: MakeFake, session_spy: SessionSpy) -> None:
    if sys.version_info < (3, 11):
        pytest.skip("asyncio.timeout() needs Python 3.11")
    server = await fake()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3), open_fake(server) as conn:
            async for _ in conn:
                pass
    assert conn.closed and session_spy.all_closed
    await wait_until(lambda: server.connections == 0, what="the server to see the close")


async def test_no_unclosed_resource_warnings_after_many_failures(
    fake: MakeFake, session_spy: SessionSpy
) -> None:
    server = await fake()
    for i in range(10):
        server.inject(close_after=1 + i % 5, close_code=1011, drop_after=None if i % 2 else 3)
        with contextlib.suppress(ConnectionClosed):
            async with open_fake(server) as conn:
                await conn.response.create()
                out = await drain(conn)
                assert out.closed is not None and out.closed.code in (1006, 1011)
    assert len(session_spy.created) == 10 and session_spy.all_closed
    await wait_until(lambda: server.connections == 0, what="every connection to end")
    gc.collect()  # an unclosed session would warn here (warnings are errors in this suite)
