"""VoiceLiveConnection: receive paths, close paths, malformed frames, concurrency, cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import pytest
from aiohttp import web
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive import _instrumentation
from azure.ai.voicelive.aio import (
    ConnectionClosed,
    ConnectionError,
    InvalidFrameError,
    VoiceLiveConnection,
    connect,
)
from azure.ai.voicelive.models import ServerEvent, ServerEventSessionCreated

from .conftest import WAIT, ScriptedServer, SessionRecorder

KEY = "KEY-SECRET-abcdef"


def open_conn(server: ScriptedServer, **options: Any) -> Any:
    return connect(
        endpoint=server.url, credential=AzureKeyCredential(KEY), model="m", connection_options=options or None
    )


def ev(n: int, kind: str = "response.text.delta") -> dict[str, Any]:
    return {"type": kind, "event_id": f"e{n}", "delta": f"d{n}"}


async def collect(conn: VoiceLiveConnection) -> list[Any]:
    return [event async for event in conn]


# ------------------------------------------------------------------ close paths
async def test_normal_close_ends_iteration_after_all_events(server: ScriptedServer) -> None:
    server.frames = [ev(1, "session.created"), ev(2), ev(3)]
    server.close = (1000, "done")
    async with open_conn(server) as conn:
        events = await asyncio.wait_for(collect(conn), WAIT)
        assert [e["event_id"] for e in events] == ["e1", "e2", "e3"]
        assert isinstance(events[0], ServerEventSessionCreated)
        assert conn.closed and conn.close_code == 1000 and conn.close_reason == "done"
        # recv after the end keeps raising the same close.
        for _ in range(2):
            with pytest.raises(ConnectionClosed) as info:
                await conn.recv()
            assert (info.value.code, info.value.reason) == (1000, "done")
        with pytest.raises(ConnectionClosed):
            await conn.send({"type": "input_audio_buffer.clear"})


@pytest.mark.parametrize(
    ("code", "reason"), [(1011, "internal error"), (4000, "session expired"), (1001, "")]
)
async def test_abnormal_close_raises_after_prior_events(
    server: ScriptedServer, code: int, reason: str
) -> None:
    server.frames = [ev(1), ev(2)]
    server.close = (code, reason)
    received: list[Any] = []
    async with open_conn(server) as conn:
        with pytest.raises(ConnectionClosed) as info:
            async for event in conn:
                received.append(event)
        assert (info.value.code, info.value.reason) == (code, reason)
        assert str(info.value) == f"WebSocket connection closed with code {code}: {reason}"
        assert isinstance(info.value, ConnectionError)
        assert [e["event_id"] for e in received] == ["e1", "e2"]
        assert conn.close_code == code
        with pytest.raises(ConnectionClosed, match=str(code)):
            await conn.recv()


async def test_tcp_drop_is_1006(server: ScriptedServer) -> None:
    server.frames = [ev(1)]
    server.drop = True
    async with open_conn(server) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT))["event_id"] == "e1"
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        assert info.value.code == 1006
        assert "connection lost" in info.value.reason
        with pytest.raises(ConnectionClosed, match="1006"):
            await conn.send({"type": "input_audio_buffer.clear"})


async def test_failed_send_after_drop_keeps_received_events_readable(server: ScriptedServer) -> None:
    server.frames = [ev(1), ev(2)]
    server.drop = True
    async with open_conn(server) as conn:
        deadline = time.monotonic() + WAIT
        while True:  # until the client's transport has seen the drop
            try:
                await conn.send({"type": "input_audio_buffer.clear"})
            except ConnectionClosed as exc:
                assert exc.code == 1006
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        received: list[Any] = []
        with pytest.raises(ConnectionClosed) as info:
            async for event in conn:
                received.append(event)
        assert [e["event_id"] for e in received] == ["e1", "e2"]
        assert info.value.code == 1006


async def test_message_too_big_is_1009(server: ScriptedServer) -> None:
    server.frames = [ev(1), {"type": "response.audio.delta", "delta": "A" * 5000}]
    async with open_conn(server, max_msg_size=1000) as conn:
        assert (await conn.recv())["event_id"] == "e1"
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        assert info.value.code == 1009
        assert "exceeds" in info.value.reason


async def test_heartbeat_timeout_is_1006(server: ScriptedServer) -> None:
    async def never_answers(ws: web.WebSocketResponse, request: web.Request) -> None:
        await asyncio.sleep(WAIT)  # neither reads nor answers pings

    server.ws_kwargs = {"autoping": False}
    server.ws_handler = never_answers
    started = time.monotonic()
    async with open_conn(server, heartbeat=0.2) as conn:
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
    assert info.value.code == 1006
    assert "heartbeat" in info.value.reason
    assert time.monotonic() - started < 2.5


async def test_receive_timeout_keeps_connection_usable(server: ScriptedServer) -> None:
    async with open_conn(server, receive_timeout=0.2) as conn:
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await conn.recv()
        assert time.monotonic() - started < 2
        await (await server.ws()).send_str(json.dumps(ev(1)))
        assert (await conn.recv())["event_id"] == "e1"
        assert not conn.closed


# ------------------------------------------------------------------ local close
async def test_close_is_idempotent_and_releases_session(
    server: ScriptedServer, sessions: SessionRecorder
) -> None:
    async with open_conn(server) as conn:
        await asyncio.gather(conn.close(), conn.close())
        await conn.close()
        assert conn.closed and conn.close_code == 1000
        assert sessions.all_closed
        with pytest.raises(ConnectionClosed) as info:
            await conn.send({"type": "response.cancel"})
        assert info.value.code == 1000 and "closed by this client" in info.value.reason
        with pytest.raises(ConnectionClosed):
            await conn.recv()
        assert await collect(conn) == []  # iteration after a local close ends quietly
    assert len(sessions.created) == 1


async def test_close_sends_code_and_reason(server: ScriptedServer) -> None:
    async with open_conn(server) as conn:
        server_ws = await server.ws()
        await conn.close(code=4001, reason="user hung up")
        assert conn.close_code == 4001 and conn.close_reason == "user hung up"
    deadline = time.monotonic() + WAIT
    while not server_ws.closed and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert server_ws.close_code == 4001


@pytest.mark.parametrize(("code", "reason"), [(1006, ""), (999, ""), (1000, "x" * 124)])
async def test_close_rejects_invalid_code_or_reason(server: ScriptedServer, code: int, reason: str) -> None:
    async with open_conn(server) as conn:
        with pytest.raises(ValueError):
            await conn.close(code=code, reason=reason)
        assert not conn.closed


async def test_close_from_another_task_ends_iteration_quietly(server: ScriptedServer) -> None:
    server.frames = [ev(1)]
    async with open_conn(server) as conn:
        seen: list[Any] = []

        async def consume() -> None:
            async for event in conn:
                seen.append(event)

        task = asyncio.create_task(consume())
        while not seen:
            await asyncio.sleep(0.01)
        await asyncio.wait_for(conn.close(), WAIT)
        await asyncio.wait_for(task, WAIT)  # no exception
        assert [e["event_id"] for e in seen] == ["e1"]


async def test_close_timeout_bounds_close(server: ScriptedServer, sessions: SessionRecorder) -> None:
    async def deaf(ws: web.WebSocketResponse, request: web.Request) -> None:
        await asyncio.sleep(WAIT)  # never reads, so never answers the close frame

    server.ws_handler = deaf
    async with open_conn(server, close_timeout=0.3) as conn:
        started = time.monotonic()
        await conn.close()
        assert time.monotonic() - started < 2
    assert sessions.all_closed


async def test_autoclose_false_answers_close_on_close(server: ScriptedServer) -> None:
    server.close = (4000, "bye")
    async with open_conn(server, autoclose=False) as conn:
        with pytest.raises(ConnectionClosed, match="4000"):
            await asyncio.wait_for(conn.recv(), WAIT)
        started = time.monotonic()
        await conn.close()
        assert time.monotonic() - started < 2
        assert conn.close_code == 4000


# ------------------------------------------------------------------ frames
async def test_malformed_frames_raise_and_connection_continues(server: ScriptedServer) -> None:
    server.frames = [
        "this is not json",
        "[1, 2, 3]",
        b"\x00\x01binary",
        '"just a string"',
        ev(1, "session.created"),
    ]
    server.close = (1000, "")
    async with open_conn(server) as conn:
        with pytest.raises(InvalidFrameError, match=r"not valid JSON.*this is not json"):
            await conn.recv()
        with pytest.raises(InvalidFrameError, match=r"not an object \(got list\)") as info:
            await conn.recv()
        assert isinstance(info.value, ConnectionError)
        with pytest.raises(InvalidFrameError, match="binary frame") as info:
            await conn.recv()
        assert info.value.frame == b"\x00\x01binary"
        with pytest.raises(InvalidFrameError):
            await conn.recv()
        event = await conn.recv()
        assert isinstance(event, ServerEventSessionCreated) and event.event_id == "e1"
        assert not isinstance(event, InvalidFrameError)
        assert await collect(conn) == []


async def test_unknown_event_type_keeps_payload(server: ScriptedServer) -> None:
    server.frames = [{"type": "brand.new.event", "event_id": "x1", "payload": {"n": [1, 2]}}]
    async with open_conn(server) as conn:
        event = await conn.recv()
        assert type(event) is ServerEvent
        assert event.type == "brand.new.event"
        assert event["payload"] == {"n": [1, 2]}
        assert dict(event) == {"type": "brand.new.event", "event_id": "x1", "payload": {"n": [1, 2]}}


async def test_recv_bytes(server: ScriptedServer) -> None:
    server.frames = ['{"type":"x","text":"héllo"}', b"\xff\x00raw"]
    async with open_conn(server) as conn:
        assert await conn.recv_bytes() == '{"type":"x","text":"héllo"}'.encode()
        assert await conn.recv_bytes() == b"\xff\x00raw"


async def test_autoping_false_skips_pings(server: ScriptedServer) -> None:
    async def ping_then_event(ws: web.WebSocketResponse, request: web.Request) -> None:
        await ws.ping(b"hi")
        await ws.send_str(json.dumps(ev(1)))
        await server.read_all(ws)

    server.ws_handler = ping_then_event
    async with open_conn(server, autoping=False) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT))["event_id"] == "e1"


# ------------------------------------------------------------------ concurrency
@pytest.mark.parametrize("compression", [False, True])
async def test_concurrent_sends_arrive_intact(server: ScriptedServer, compression: bool) -> None:
    async with open_conn(server, compression=compression) as conn:

        async def sender(worker: int) -> None:
            for i in range(10):
                await conn.send(
                    {"type": "conversation.item.retrieve", "item_id": f"{worker}-{i}", "pad": "z" * (i * 900)}
                )
                if i % 3 == 0:
                    await asyncio.sleep(0)

        await asyncio.gather(*(sender(w) for w in range(20)))
        frames = await server.wait_frames(200)
    assert len(frames) == 200
    assert {f["item_id"] for f in frames} == {f"{w}-{i}" for w in range(20) for i in range(10)}
    for frame in frames:
        i = int(frame["item_id"].split("-")[1])
        assert frame["pad"] == "z" * (i * 900)
    # Each sender's frames arrive in the order it sent them.
    for w in range(20):
        assert [f["item_id"] for f in frames if f["item_id"].startswith(f"{w}-")] == [
            f"{w}-{i}" for i in range(10)
        ]


async def test_concurrent_recv_is_refused(server: ScriptedServer) -> None:
    async with open_conn(server) as conn:
        first = asyncio.create_task(conn.recv())
        await asyncio.sleep(0.05)
        with pytest.raises(RuntimeError, match="another task is already waiting for the next message"):
            await conn.recv()
        with pytest.raises(RuntimeError, match="already waiting"):
            await conn.recv_bytes()
        await (await server.ws()).send_str(json.dumps(ev(7)))
        assert (await asyncio.wait_for(first, WAIT))["event_id"] == "e7"


async def test_cancelled_recv_loses_nothing(server: ScriptedServer) -> None:
    async with open_conn(server) as conn:
        server_ws = await server.ws()
        waiting = asyncio.create_task(conn.recv())
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await server_ws.send_str(json.dumps(ev(0)))
        assert (await asyncio.wait_for(conn.recv(), WAIT))["event_id"] == "e0"

        # Race cancellation against delivery: every event still arrives exactly once, in order.
        got: list[str] = []
        for n in range(1, 41):
            await server_ws.send_str(json.dumps(ev(n)))
            task = asyncio.create_task(conn.recv())
            for _ in range(n % 4):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                got.append((await task)["event_id"])
        while len(got) < 40:
            got.append((await asyncio.wait_for(conn.recv(), WAIT))["event_id"])
        assert got == [f"e{n}" for n in range(1, 41)]
        assert not conn.closed


async def test_send_rejects_non_json_without_sending(server: ScriptedServer) -> None:
    async with open_conn(server) as conn:
        with pytest.raises(TypeError, match="not JSON-serialisable"):
            await conn.send({"type": "x", "bad": {1, 2}})
        await conn.send({"type": "ok"})
        frames = await server.wait_frames(1)
        await asyncio.sleep(0.05)
    assert frames == [{"type": "ok"}]
    assert len(server.received) == 1


# ------------------------------------------------------------------ observability
async def test_debug_logging_has_no_secrets_or_audio(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    audio = bytes(range(256)) * 8
    server.frames = [{"type": "response.audio.delta", "event_id": "srv1", "delta": "QUJD" * 400}]
    caplog.set_level(logging.DEBUG, logger="azure.ai.voicelive")
    async with open_conn(server) as conn:
        await conn.input_audio_buffer.append(audio=audio, event_id="cli1")
        await conn.recv()
        await server.wait_frames(1)
    text = caplog.text
    assert "input_audio_buffer.append" in text and "cli1" in text
    assert "response.audio.delta" in text and "srv1" in text
    assert KEY not in text
    assert "QUJD" * 4 not in text
    import base64

    assert base64.b64encode(audio).decode()[:40] not in text


async def test_instrumentation_hooks_see_the_connection(server: ScriptedServer) -> None:
    calls: list[tuple[Any, ...]] = []

    class Hooks:
        def connected(self) -> None:
            calls.append(("connected",))

        def connect_failed(self, error: BaseException) -> None:
            calls.append(("connect_failed", type(error)))

        def sent(self, frame: str) -> None:
            calls.append(("sent", json.loads(frame)["type"]))

        def send_failed(self, frame: str, error: BaseException) -> None:
            calls.append(("send_failed", json.loads(frame)["type"], type(error)))

        def received(self, event: Any, size: int, started: int) -> None:
            assert 0 < started <= time.time_ns()
            calls.append(("received", event.type, size))

        def receive_failed(self, error: BaseException, started: int) -> None:
            calls.append(("receive_failed", type(error)))

        def closed(self, started: int) -> None:
            assert 0 < started <= time.time_ns()
            calls.append(("closed",))

        def exited(self, error: BaseException | None) -> None:
            calls.append(("exited", type(error)))

    infos: list[Any] = []

    def factory(info: Any) -> Hooks:
        infos.append(info)
        return Hooks()

    server.frames = ['{"type":"session.created"}']
    _instrumentation.add_observer(factory)
    try:
        with pytest.raises(KeyError):
            async with open_conn(server) as conn:
                await conn.recv()
                await conn.response.create()
                await conn.close()
                with pytest.raises(ConnectionClosed):
                    await conn.recv()
                with pytest.raises(ConnectionClosed):
                    await conn.response.cancel()
                raise KeyError("user code failed")
        server.status = 500
        with pytest.raises(ConnectionError):
            async with open_conn(server):
                pass
    finally:
        _instrumentation.remove_observer(factory)
    assert infos[0].server_address == "127.0.0.1" and infos[0].model == "m"
    assert calls == [
        ("connected",),
        ("received", "session.created", 26),
        ("sent", "response.create"),
        ("closed",),
        ("receive_failed", ConnectionClosed),
        ("send_failed", "response.cancel", ConnectionClosed),
        ("closed",),  # every close() call is reported: here the one of `async with`
        ("exited", KeyError),
        ("connect_failed", ConnectionError),
    ]


def test_import_is_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, azure.ai.voicelive.aio as aio;"
        "heavy = ('azure.ai.voicelive.models', 'azure.ai.voicelive._protocol.codec', 'azure.identity',"
        " 'azure.ai.voicelive._resilience', 'azure.ai.voicelive.aio._reconnect', 'orjson', 'pybase64');"
        "bad = [m for m in heavy if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_direct_construction_like_the_official_api() -> None:
    # The official constructor takes (client_session, ws); building one does no I/O.
    conn = VoiceLiveConnection(object(), object())  # type: ignore[arg-type]
    assert conn.conversation.item is not None and not conn.closed and conn.close_code is None
    assert repr(conn) == "<VoiceLiveConnection open>"
