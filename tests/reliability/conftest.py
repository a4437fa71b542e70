"""Shared helpers for the reliability suite: every test talks to a server over a real socket.

* :func:`fake` starts :class:`~azure.ai.voicelive.testing.FakeVoiceLiveServer` instances (their
  ``Faults`` inject closes, drops, junk frames and handshake rejections).
* :class:`ScriptServer` is a plain aiohttp WebSocket server that sends scripted frames (any text,
  any bytes) and then closes, drops the TCP connection or stays open: hostile frames the fake
  server cannot produce.
* :class:`RawWebSocketServer` completes the WebSocket handshake by hand on a bare asyncio TCP
  server, writes raw bytes (frames aiohttp refuses to send: invalid UTF-8, reserved opcodes) and
  then goes silent: it never answers a ping or a close frame (a dead peer).
* :class:`SessionSpy` records every ``aiohttp.ClientSession`` the SDK creates, to prove it is closed.

Every wait is bounded by :data:`WAIT`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import (
    ConnectionClosed,
    InvalidFrameError,
    VoiceLiveConnection,
    connect,
)
from azure.ai.voicelive.testing import FakeVoiceLiveServer

WAIT = 5.0  # upper bound of every wait
KEY = "reliability-KEY-7d3f9a1c5e"  # the api-key the fake servers accept (a "secret")
MODEL = "gpt-realtime"
SEED = 12  # the fake's ids are random; one seed gives every run of a conversation the same ids


# --------------------------------------------------------------------------- small helpers
def say(text: str) -> dict[str, Any]:
    """A user text message item."""
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def open_fake(server: FakeVoiceLiveServer, **options: Any) -> Any:
    """``connect(...)`` to a fake server with the accepted key (``options``: connection_options)."""
    return connect(
        endpoint=server.endpoint,
        credential=AzureKeyCredential(KEY),
        model=MODEL,
        connection_options=options or None,  # type: ignore[arg-type]
    )


def open_url(endpoint: str, **options: Any) -> Any:
    """``connect(...)`` to any endpoint with the test key."""
    return connect(
        endpoint=endpoint,
        credential=AzureKeyCredential(KEY),
        model=MODEL,
        connection_options=options or None,  # type: ignore[arg-type]
    )


async def wait_until(predicate: Callable[[], bool], timeout: float = WAIT, what: str = "condition") -> None:
    """Poll ``predicate`` every 5 ms until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


@dataclass
class Outcome:
    """What a receive loop saw: events, InvalidFrameErrors (in order) and how it ended."""

    items: list[Any] = field(default_factory=list)  # ServerEvent or InvalidFrameError, in order
    closed: ConnectionClosed | None = None
    ended_quietly: bool = False
    elapsed: float = 0.0

    @property
    def events(self) -> list[Any]:
        return [i for i in self.items if not isinstance(i, InvalidFrameError)]

    @property
    def errors(self) -> list[InvalidFrameError]:
        return [i for i in self.items if isinstance(i, InvalidFrameError)]

    @property
    def ids(self) -> list[Any]:
        return [e.get("event_id") for e in self.events]

    @property
    def types(self) -> list[Any]:
        return [e.get("type") for e in self.events]


async def drain(conn: VoiceLiveConnection, *, until: str | None = None, timeout: float = WAIT) -> Outcome:
    """``recv()`` until the connection ends (or an event of type ``until``), within ``timeout``.

    Only ``ServerEvent``, ``InvalidFrameError`` and ``ConnectionClosed`` are expected: any other
    exception propagates and fails the test.
    """
    out = Outcome()
    start = time.monotonic()

    async def loop() -> None:
        while True:
            try:
                event = await conn.recv()
            except InvalidFrameError as exc:
                out.items.append(exc)
                continue
            except ConnectionClosed as exc:
                out.closed = exc
                return
            out.items.append(event)
            if until is not None and event.get("type") == until:
                return

    await asyncio.wait_for(loop(), timeout)
    out.elapsed = time.monotonic() - start
    return out


async def iterate(conn: VoiceLiveConnection, timeout: float = WAIT) -> Outcome:
    """``async for`` over the connection: events, then a quiet end or ``ConnectionClosed``."""
    out = Outcome()
    start = time.monotonic()

    async def loop() -> None:
        try:
            async for event in conn:
                out.items.append(event)
        except ConnectionClosed as exc:
            out.closed = exc
            return
        out.ended_quietly = True

    await asyncio.wait_for(loop(), timeout)
    out.elapsed = time.monotonic() - start
    return out


async def start_text_response(conn: VoiceLiveConnection, text: str = "hello there") -> None:
    """Add a user message and ask for a response (the fake answers with speech)."""
    await conn.conversation.item.create(item=say(text))
    await conn.response.create()


async def reference_run(text: str = "hello there") -> list[dict[str, Any]]:
    """The events (plain dicts) a fault-free fake server sends for one text turn, through response.done."""
    async with FakeVoiceLiveServer(api_key=KEY, seed=SEED) as server, open_fake(server) as conn:
        await start_text_response(conn, text)
        out = await drain(conn, until="response.done")
    assert out.closed is None and out.errors == []
    return [e.as_dict() for e in out.events]


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
async def fake() -> AsyncIterator[Callable[..., Awaitable[FakeVoiceLiveServer]]]:
    """Factory: ``server = await fake(faults=..., realtime=...)``; every server is stopped after the test."""
    started: list[FakeVoiceLiveServer] = []

    async def make(**kwargs: Any) -> FakeVoiceLiveServer:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("seed", SEED)
        server = FakeVoiceLiveServer(**kwargs)
        await server.start()
        started.append(server)
        return server

    try:
        yield make
    finally:
        for server in started:
            await asyncio.wait_for(server.stop(), WAIT)


@dataclass
class SessionSpy:
    """Every ``aiohttp.ClientSession`` the SDK created during the test."""

    created: list[aiohttp.ClientSession] = field(default_factory=list)

    @property
    def all_closed(self) -> bool:
        return bool(self.created) and all(s.closed for s in self.created)


@pytest.fixture
def session_spy(monkeypatch: pytest.MonkeyPatch) -> SessionSpy:
    """Wrap ``aiohttp.ClientSession`` (the SDK looks it up at call time) to record each session."""
    spy = SessionSpy()
    real = aiohttp.ClientSession

    def factory(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
        session = real(*args, **kwargs)
        spy.created.append(session)
        return session

    monkeypatch.setattr(aiohttp, "ClientSession", factory)
    return spy


# --------------------------------------------------------------------------- scripted aiohttp server
@dataclass
class ScriptServer:
    """An aiohttp WebSocket server: per connection, send ``frames`` then apply ``end``.

    ``frames``: ``str`` (text frame, sent as is), ``bytes`` (binary frame) or ``dict`` (JSON text).
    ``end``: ``("close", code, reason)``, ``("drop",)`` (abort the TCP connection) or ``("stay",)``
    (read until the client leaves). Client text frames are kept in ``received``.
    """

    frames: list[str | bytes | dict[str, Any]] = field(default_factory=list)
    end: tuple[Any, ...] = ("stay",)
    port: int = 0
    received: list[str] = field(default_factory=list)
    connections: int = 0
    handshakes: int = 0
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> ScriptServer:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for ws in self._sockets:
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 1.0)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.handshakes += 1
        # A large limit: the client, not this server, is under test.
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.connections += 1
        try:
            for frame in list(self.frames):
                if isinstance(frame, bytes):
                    await ws.send_bytes(frame)
                elif isinstance(frame, dict):
                    await ws.send_str(json.dumps(frame))
                else:
                    await ws.send_str(frame)
            kind = self.end[0]
            if kind == "close":
                await ws.close(code=self.end[1], message=self.end[2].encode())
            elif kind == "drop":
                assert request.transport is not None
                request.transport.abort()
            else:
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        self.received.append(msg.data)
        except ConnectionError:
            pass
        finally:
            self.connections -= 1
        return ws


@pytest.fixture
async def script_server() -> AsyncIterator[ScriptServer]:
    server = await ScriptServer().start()
    try:
        yield server
    finally:
        await server.stop()


# --------------------------------------------------------------------------- raw WebSocket server
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING = 0x1, 0x2, 0x8, 0x9


def ws_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """One unmasked server-to-client WebSocket frame."""
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, n)
    elif n < 65536:
        head = struct.pack("!BBH", first, 126, n)
    else:
        head = struct.pack("!BBQ", first, 127, n)
    return head + payload


def text_frame(obj: Any) -> bytes:
    return ws_frame(TEXT, json.dumps(obj).encode())


@dataclass
class RawWebSocketServer:
    """Answers the upgrade by hand, writes ``script`` (raw bytes), then never writes again.

    It reads (and counts) what the client sends until the client closes the TCP connection,
    but never answers: no pong, no close frame. ``client_bytes`` is everything the client sent
    after the handshake.
    """

    script: list[bytes] = field(default_factory=list)
    port: int = 0
    accepted: int = 0
    client_bytes: bytearray = field(default_factory=bytearray)
    eof: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.AbstractServer | None = None
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> RawWebSocketServer:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        self.accepted += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            key = next(
                line.split(b":", 1)[1].strip()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
            writer.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            for chunk in self.script:
                writer.write(chunk)
            await writer.drain()
            while chunk := await reader.read(65536):
                self.client_bytes += chunk
        except (ConnectionError, asyncio.IncompleteReadError, StopIteration):
            pass
        finally:
            self.eof.set()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[list[bytes]], Awaitable[RawWebSocketServer]]]:
    started: list[RawWebSocketServer] = []

    async def make(script: list[bytes]) -> RawWebSocketServer:
        server = await RawWebSocketServer(script=script).start()
        started.append(server)
        return server

    try:
        yield make
    finally:
        for server in started:
            await server.stop()
