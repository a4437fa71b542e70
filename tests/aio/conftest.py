"""A small scriptable Voice Live stand-in on 127.0.0.1 for the aio tests (real sockets).

``ScriptedServer`` records every HTTP request (path, ordered query, headers) and every text
frame the client sends, and answers according to its fields: an HTTP status (with a JSON error
body and headers), a redirect, or a WebSocket that sends scripted frames and then closes with a
code, drops the TCP connection, or keeps reading. ``ws_handler`` replaces the WebSocket part.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

WAIT = 5.0  # upper bound of every wait in these tests


@dataclass
class Recorded:
    """One HTTP request as the server saw it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names


@dataclass
class ScriptedServer:
    """See the module docstring. Fields are read on each request, so tests set them first."""

    status: int | None = None
    status_body: Any = None
    status_headers: dict[str, str] = field(default_factory=dict)
    redirect_to: str | None = None
    frames: list[str | bytes | dict[str, Any]] = field(default_factory=list)
    close: tuple[int, str] | None = None
    drop: bool = False
    ws_kwargs: dict[str, Any] = field(default_factory=dict)
    ws_handler: Callable[[web.WebSocketResponse, web.Request], Awaitable[None]] | None = None

    requests: list[Recorded] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    server_ws: list[web.WebSocketResponse] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._frame_event = asyncio.Event()
        self._ws_ready = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for ws in self.server_ws:
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 1.0)
        if self._runner is not None:
            await self._runner.cleanup()

    async def ws(self, timeout: float = WAIT) -> web.WebSocketResponse:
        """The (first) server-side WebSocket, once the handshake is done."""
        await asyncio.wait_for(self._ws_ready.wait(), timeout)
        return self.server_ws[0]

    async def wait_frames(self, count: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        """Wait (bounded) until ``count`` text frames arrived; return them parsed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.received) < count:
            self._frame_event.clear()
            await asyncio.wait_for(self._frame_event.wait(), max(0.0, deadline - loop.time()))
        return [json.loads(text) for text in self.received]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                list(request.query.items()),
                {k.lower(): v for k, v in request.headers.items()},
            )
        )
        if self.redirect_to is not None:
            return web.Response(status=self.status or 302, headers={"Location": self.redirect_to})
        if self.status is not None:
            body = self.status_body
            if isinstance(body, (dict, list)):
                return web.json_response(body, status=self.status, headers=self.status_headers)
            return web.Response(status=self.status, text=body or "", headers=self.status_headers)
        ws = web.WebSocketResponse(**self.ws_kwargs)
        await ws.prepare(request)
        self.server_ws.append(ws)
        self._ws_ready.set()
        if self.ws_handler is not None:
            await self.ws_handler(ws, request)
            return ws
        for frame in self.frames:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            elif isinstance(frame, dict):
                await ws.send_str(json.dumps(frame))
            else:
                await ws.send_str(frame)
        if self.drop:
            assert request.transport is not None
            request.transport.abort()
            return ws
        if self.close is not None:
            await ws.close(code=self.close[0], message=self.close[1].encode())
            return ws
        await self.read_all(ws)
        return ws

    async def read_all(self, ws: web.WebSocketResponse) -> None:
        """Record client text frames until the client closes."""
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.received.append(msg.data)
                self._frame_event.set()


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    srv = ScriptedServer()
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def make_server() -> AsyncIterator[Callable[[], Awaitable[ScriptedServer]]]:
    """Start extra servers (e.g. a redirect target)."""
    started: list[ScriptedServer] = []

    async def make() -> ScriptedServer:
        srv = ScriptedServer()
        await srv.start()
        started.append(srv)
        return srv

    try:
        yield make
    finally:
        for srv in started:
            await srv.stop()


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[str, list[asyncio.StreamWriter]]]:
    """Accepts TCP connections and never answers; yields (url, accepted connections)."""
    accepted: list[asyncio.StreamWriter] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    srv = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", accepted
    finally:
        for writer in accepted:
            writer.close()
        srv.close()
        await srv.wait_closed()


@pytest.fixture
def free_port() -> int:
    """A port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SessionRecorder:
    """Every aiohttp.ClientSession the SDK created, with its constructor and ws_connect kwargs."""

    created: list[aiohttp.ClientSession] = field(default_factory=list)
    init_kwargs: list[dict[str, Any]] = field(default_factory=list)
    ws_connect_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_closed(self) -> bool:
        return all(session.closed for session in self.created)


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> SessionRecorder:
    """Substitute aiohttp.ClientSession with a recording subclass (the SDK looks it up per call)."""
    recorder = SessionRecorder()
    real = aiohttp.ClientSession
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "inheritance is discouraged"

        class Recording(real):  # type: ignore[misc, valid-type]
            def ws_connect(self, url: Any, **kwargs: Any) -> Any:
                recorder.ws_connect_calls.append({"url": url, **kwargs})
                return super().ws_connect(url, **kwargs)

    def factory(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
        session = Recording(*args, **kwargs)
        recorder.created.append(session)
        recorder.init_kwargs.append(kwargs)
        return session

    monkeypatch.setattr(aiohttp, "ClientSession", factory)
    return recorder


class FakeAsyncCredential:
    """An async token credential recording the scopes it was asked for."""

    def __init__(self, token: str = "async-token-SECRET") -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        await asyncio.sleep(0)
        return AccessToken(self.token, 2**31)


class FakeSyncCredential:
    """A sync token credential recording the scopes it was asked for."""

    def __init__(self, token: str = "sync-token-SECRET") -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken(self.token, 2**31)
