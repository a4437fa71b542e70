"""The fake Voice Live service over real websockets: a thin aiohttp layer around :class:`Simulator`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web
from typing_extensions import Self

from ._cassette import Cassette
from ._replay import CassetteMismatch, Match, Replayer, Timing
from ._replay_conn import ReplayConnection
from ._responder import Responder, Transcriber
from ._responses import Pacing
from ._simulator import DEFAULT_MODEL, Event, Simulator

__all__ = ["FakeVoiceLiveServer", "Faults"]

_log = logging.getLogger(__name__)

PATH = "/voice-live/realtime"
_UNAUTHORIZED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
    "key for an active subscription and use a correct regional API endpoint for your resource."
)
_dumps = json.JSONEncoder(separators=(",", ":")).encode


@dataclass(frozen=True)
class Faults:
    """Misbehaviour to inject, per connection. Counts are of server events sent on that connection.

    * ``close_after``: after that many events, close the websocket with ``close_code`` /
      ``close_reason`` (``0`` closes right after the handshake, before ``session.created``).
    * ``drop_after``: after that many events, abort the TCP connection (no close frame).
    * ``malformed_after`` / ``non_object_after`` / ``binary_after``: after that many events, send one
      frame that is not JSON (``malformed_frame``), JSON that is not an object (``non_object_frame``)
      or a binary frame (``binary_frame``); the session then carries on.
    * ``event_delay``: seconds to wait before sending each server event.
    * ``reject_status``: refuse the websocket handshake with this HTTP status (e.g. 401, 403, 404,
      429, 500, 503); ``reject_body`` is the body (a mapping is sent as JSON; default a JSON error
      ``{"error": {"code": "<status>", "message": ...}}``); ``retry_after`` sets ``Retry-After``;
      ``reject_headers`` adds headers (e.g. ``reject_status=307`` with a ``Location`` header
      tests that a client refuses redirects).

    Invalid values (a negative count, a close code that cannot go on the wire such as 1006)
    raise ``ValueError``.

    Faults are read when a connection is accepted: change ``server.faults`` (or call
    ``server.inject(...)``) to affect the connections that follow.
    """

    close_after: int | None = None
    close_code: int = 1011
    close_reason: str = ""
    drop_after: int | None = None
    malformed_after: int | None = None
    malformed_frame: str = "this is not JSON {"
    non_object_after: int | None = None
    non_object_frame: str = '["not", "an", "object"]'
    binary_after: int | None = None
    binary_frame: bytes = b"\x00\x01binary\xff"
    event_delay: float = 0.0
    reject_status: int | None = None
    reject_body: str | bytes | Mapping[str, Any] | None = None
    retry_after: float | None = None
    reject_headers: Mapping[str, str] = field(default_factory=dict[str, str])

    def __post_init__(self) -> None:
        for name in ("close_after", "drop_after", "malformed_after", "non_object_after", "binary_after"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"Faults.{name} must be a non-negative event count or None, got {value!r}")
        code = self.close_code
        if not (1000 <= code <= 4999) or code in (1004, 1005, 1006, 1015) or 1016 <= code <= 2999:
            raise ValueError(
                f"Faults.close_code {code} cannot be sent in a close frame; use 1000-1003, 1007-1014 or "
                "3000-4999 (use drop_after for an abnormal 1006 closure)"
            )
        if self.event_delay < 0:
            raise ValueError(f"Faults.event_delay must be >= 0 seconds, got {self.event_delay!r}")
        if self.reject_status is not None and not (
            200 <= self.reject_status <= 599 and self.reject_status != 101
        ):
            raise ValueError(
                f"Faults.reject_status must be an HTTP status 200-599, got {self.reject_status!r}"
            )


def _json_error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        text=_dumps({"error": {"code": code, "message": message}}),
        content_type="application/json",
        headers=headers,
    )


class _Connection:
    """One accepted websocket: feeds the simulator, sends its events (paced and faulted)."""

    def __init__(
        self, request: web.Request, ws: web.WebSocketResponse, sim: Simulator, faults: Faults
    ) -> None:
        self.request = request
        self.ws = ws
        self.sim = sim
        self.faults = faults
        self.sent = 0
        self.done = False
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._close_request: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._finished = asyncio.Event()

    async def run(self) -> None:
        """Serve the connection until the client leaves, the transport drops or a close is requested."""
        reader = asyncio.ensure_future(self._read())
        pump = asyncio.ensure_future(self._pump())
        try:
            waiters: set[asyncio.Future[Any]] = {reader, self._close_request}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if self._close_request.done() and not reader.done():
                # aiohttp drops the TCP connection without waiting for the client's close reply
                # when close() runs while another task is inside receive(); stop reading first so
                # the close handshake completes and the client sees our code and reason.
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await reader
                code, reason = self._close_request.result()
                with contextlib.suppress(ConnectionError):
                    await self.ws.close(code=code, message=reason.encode())
        finally:
            self.done = True
            for task in (reader, pump):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await task
            self.sim.close()
            self._finished.set()

    async def _read(self) -> None:
        with self._guard():
            await self._fault_checks()
            await self._send_all(self.sim.start())
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    events = self.sim.receive_text(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    events = self.sim.receive_bytes(msg.data)
                else:  # ERROR; CLOSE, CLOSING and CLOSED end the iteration
                    break
                await self._send_all(events)
                self._wake.set()

    @contextlib.contextmanager
    def _guard(self) -> Generator[None, None, None]:
        """A vanished client ends a task quietly; a failure of the fake closes with 1011."""
        try:
            yield
        except ConnectionError:
            pass
        except Exception as exc:
            _log.exception("fake Voice Live connection failed")
            self.sim.errors.append(exc)
            self.request_close(1011, "fake server error")

    def request_close(self, code: int, reason: str) -> None:
        """Ask :meth:`run` to close the websocket with ``code`` and ``reason`` (first request wins)."""
        self.done = True
        self._wake.set()
        if not self._close_request.done():
            self._close_request.set_result((code, reason))

    async def _pump(self) -> None:
        """Send the timed events (responses, transcriptions, listings, expiry) when they are due."""
        sim = self.sim
        with self._guard():
            while not self.done:
                pending = sim.take_pending_reply()
                if pending is not None:
                    try:
                        result = await pending.awaitable
                    except Exception as exc:
                        sim.fail_reply(pending, exc)
                    else:
                        sim.resolve_reply(pending, result)
                    continue
                self._wake.clear()
                delay = sim.stream_delay()
                if delay is None or delay > 0:
                    # Sleep until the next event is due, or until a client event changes the plan.
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay)
                    continue
                async with self._lock:
                    event = sim.pop_stream()
                    if event is not None:
                        await self._send(event)
                if sim.close_request is not None:
                    code, reason = sim.close_request
                    self.request_close(code, reason)
                    return
                # Let the reader in between streamed events (a cancel must be able to interrupt).
                await asyncio.sleep(0)

    async def _send_all(self, events: Iterable[Event]) -> None:
        async with self._lock:
            for event in events:
                await self._send(event)

    async def _send(self, event: Event) -> None:
        if self.done or self.ws.closed:
            return
        if self.faults.event_delay > 0:
            await asyncio.sleep(self.faults.event_delay)
        await self.ws.send_str(_dumps(event))
        self.sent += 1
        await self._fault_checks()

    async def _fault_checks(self) -> None:
        f = self.faults
        n = self.sent
        if f.malformed_after == n:
            await self.ws.send_str(f.malformed_frame)
        if f.non_object_after == n:
            await self.ws.send_str(f.non_object_frame)
        if f.binary_after == n:
            await self.ws.send_bytes(f.binary_frame)
        if f.drop_after == n:
            self.done = True
            transport = self.request.transport
            if transport is not None:
                transport.abort()
        elif f.close_after == n:
            self.request_close(f.close_code, f.close_reason)

    async def close(self, code: int, reason: str) -> None:
        """Close with ``code`` and ``reason`` and wait until the connection is finished."""
        self.request_close(code, reason)
        await self._finished.wait()


class FakeVoiceLiveServer:
    """A local fake of the Azure Voice Live realtime service, for tests and demos.

    ::

        async with FakeVoiceLiveServer() as server:
            async with connect(
                endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="gpt-realtime"
            ) as conn:
                ...

    It serves ``GET /voice-live/realtime`` (websocket) on ``host`` (``127.0.0.1``) and ``port``
    (``0``: a free port), checks the query (``api-version`` and ``model``, or ``agent-name`` with
    ``agent-project-name``: else HTTP 400) and the credential (else HTTP 401), then runs one
    :class:`~azure.ai.voicelive.testing.Simulator` per connection.

    Credentials: with neither ``api_key`` nor ``bearer_token`` set, any non-empty ``api-key``
    header or ``Authorization: Bearer <token>`` is accepted (but one is required). Once either is
    set, only that exact key (``api-key`` header) and/or that exact token are accepted.

    Credentials are read at each handshake: assign ``server.api_key`` / ``server.bearer_token``
    while it runs to rotate them (open connections stay open; new handshakes need the new one).

    Time, as on the service: ``pacing`` is how long the model takes (``"model"``, the default: a
    few tens of milliseconds per response; ``"instant"``; or a :class:`Pacing`), so a client that
    sends ``response.create`` before ``response.done`` gets
    ``conversation_already_has_active_response``. ``realtime=True`` generates reply audio a few
    times faster than playback (``Pacing.generation_speed``), so ``response.done`` comes before the
    client has played it; the session keeps a playback clock from the first audio delta (for
    ``auto_truncate``). ``max_session_duration`` (seconds; ``None``: never) is how long a session
    lasts: ``session.created`` carries ``expires_at``; at that time the fake sends an ``error``
    with code ``session_expired`` and closes the websocket with 1001.

    Ids are random base62 like the service's (``item_CMLRGjWnakODcHn583fXf``); ``seed`` makes them
    reproducible. ``responder``, ``transcriber`` and ``voices`` go to each session's simulator;
    ``faults`` (a :class:`Faults`) injects misbehaviour.

    ``record=False`` (for long benchmarks) keeps memory flat: :attr:`received` and
    :attr:`requests` stay empty and :attr:`sessions` holds only the open connections.

    Replay: with `replay="path.jsonl"` (a cassette file, or a `Cassette`) the server does not
    simulate: each connection replays the next recorded connection of the cassette, answering
    the client's events with the recorded server frames. `replay_match` (a `Match`) says how
    client events are matched (default: event type and order; input audio by its length);
    `replay_timing` is `"fast"` (default: no waiting) or `"recorded"` (the recorded
    pacing). A client that diverges gets an `error` event (code `cassette_mismatch`) and a
    close 1008, and a `CassetteMismatch` lands in `errors`; so does a recorded connection
    that was never opened, when the server stops. The handshake checks (query, credential) and
    `faults.reject_status` still apply; the other faults do not. Raises `FileNotFoundError`
    or `CassetteError` for a missing or unreadable cassette.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        realtime: bool = False,
        responder: Responder | None = None,
        transcriber: Transcriber | None = None,
        faults: Faults | None = None,
        voices: Iterable[str] | None = None,
        bearer_token: str | None = None,
        record: bool = True,
        pacing: Pacing | str | None = None,
        max_session_duration: float | None = 3600.0,
        seed: int | str | None = None,
        replay: str | os.PathLike[str] | Cassette | None = None,
        replay_match: Match | None = None,
        replay_timing: Timing = "fast",
    ) -> None:
        if replay is None and (replay_match is not None or replay_timing != "fast"):
            raise ValueError("replay_match and replay_timing apply only with replay=<cassette path>")
        if replay_timing not in ("fast", "recorded"):
            raise ValueError(f"replay_timing must be 'fast' or 'recorded', got {replay_timing!r}")
        self.cassette: Cassette | None = (
            replay if isinstance(replay, Cassette) or replay is None else Cassette.load(replay)
        )
        """The cassette replayed, or ``None`` (simulating)."""
        self.replay_match = replay_match if replay_match is not None else Match()
        self.replay_timing: Timing = replay_timing
        self._replayed = 0
        if max_session_duration is not None and not max_session_duration > 0:
            raise ValueError(
                f"max_session_duration must be > 0 seconds or None, got {max_session_duration!r}"
            )
        self.api_key = api_key
        """The only ``api-key`` accepted, or ``None``; read at each handshake (assign to rotate)."""
        self.bearer_token = bearer_token
        """The only bearer token accepted, or ``None``; read at each handshake (assign to rotate)."""
        self.pacing = Pacing.of(pacing)
        """How long the model takes, for sessions accepted from now on."""
        self.max_session_duration = max_session_duration
        """Seconds a session lasts (``None``: never), for sessions accepted from now on."""
        self.seed = seed
        """Seed of every session's random ids (``None``: random); the same conversation then gets
        the same ids in every run (tests comparing runs)."""
        self.host = host
        self.realtime = realtime
        self.responder = responder
        self.transcriber = transcriber
        self.voices = tuple(voices) if voices is not None else None
        self.faults: Faults = faults if faults is not None else Faults()
        """Faults applied to connections accepted from now on."""
        self.record = record
        self.received: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        """Exceptions raised inside the fake (a bug in it) or by the responder, across sessions; each
        also reached the client as an ``error`` event or a failed response. The pytest fixtures
        fail a test that leaves any here: clear it (``server.errors.clear()``) when a test expects
        one."""
        """Every client event (parsed JSON object) received, across connections, in order."""
        self.sessions: list[Simulator] = []
        """The simulator of every connection accepted, in order (``.session``, ``.conversation``,
        ``.closed``)."""
        self.requests: list[dict[str, Any]] = []
        """Each handshake seen: ``{"path", "query", "headers", "status"}`` (credentials redacted)."""
        self._port = port
        self._runner: web.AppRunner | None = None
        self._connections: set[_Connection | ReplayConnection] = set()

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> Self:
        """Start listening (idempotent); returns the server."""
        if self._runner is not None:
            return self
        app = web.Application()
        app.router.add_get(PATH, self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._port = int(runner.addresses[0][1])
        self._runner = runner
        return self

    async def stop(self) -> None:
        """Close every connection (code 1001) and stop listening (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self.close_all(1001, "server shutting down")
        await runner.cleanup()
        cassette = self.cassette
        if cassette is not None and self._replayed < len(cassette.tracks):
            index = self._replayed
            self.errors.append(
                CassetteMismatch(
                    "missing",
                    cassette=cassette.path,
                    connection=index,
                    index=0,
                    line=cassette.opened[index],
                    expected=f"connection #{index} (the cassette recorded {len(cassette.tracks)})",
                    got=f"{index} connection{'s' * (index != 1)} opened before the server stopped",
                )
            )

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- inspection and control ------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port (the real one once started, even when constructed with ``port=0``)."""
        return self._port

    @property
    def endpoint(self) -> str:
        """``http://<host>:<port>``: pass it as ``connect(endpoint=...)``."""
        return f"http://{self.host}:{self._port}"

    @property
    def url(self) -> str:
        """``ws://<host>:<port>/voice-live/realtime``: the websocket URL (without the query)."""
        return f"ws://{self.host}:{self._port}{PATH}"

    @property
    def connections(self) -> int:
        """How many client websockets are open now."""
        return len(self._connections)

    def inject(self, **changes: Any) -> Faults:
        """Change some :class:`Faults` fields for the connections that follow; returns the new faults.

        ``server.inject(close_after=3, close_code=1011)``. To clear every fault:
        ``server.faults = Faults()``. Raises ``TypeError`` for an unknown field.
        """
        self.faults = replace(self.faults, **changes)
        return self.faults

    async def close_all(self, code: int = 1000, reason: str = "") -> None:
        """Close every open client websocket with ``code`` and ``reason``."""
        await asyncio.gather(
            *(conn.close(code, reason) for conn in list(self._connections)), return_exceptions=True
        )

    async def drop_all(self) -> int:
        """Abort the TCP connection of every open client websocket, with no close frame (the
        client sees 1006, as after a network drop or a gateway crash); returns how many."""
        dropped = 0
        for conn in list(self._connections):
            transport = conn.request.transport
            if transport is not None and not transport.is_closing():
                transport.abort()
                dropped += 1
        await asyncio.sleep(0)  # let the aborts land
        return dropped

    # --- HTTP ------------------------------------------------------------------------------------

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return _json_error(404, "404", "Resource not found")

    def _record(self, request: web.Request, status: int) -> None:
        if not self.record:
            return
        secret = ("api-key", "authorization")  # as headers, or as query parameters (browsers)
        headers = {k: ("***" if k.lower() in secret else v) for k, v in request.headers.items()}
        query = {k: ("***" if k.lower() in secret else v) for k, v in request.query.items()}
        self.requests.append({"path": request.path, "query": query, "headers": headers, "status": status})

    def _reject(self, request: web.Request, faults: Faults) -> web.Response:
        status = faults.reject_status
        assert status is not None
        headers = dict(faults.reject_headers)
        if faults.retry_after is not None:
            retry = faults.retry_after
            headers["Retry-After"] = str(int(retry)) if float(retry).is_integer() else str(retry)
        body = faults.reject_body
        self._record(request, status)
        if body is None:
            return _json_error(status, str(status), f"Injected handshake rejection ({status}).", headers)
        if isinstance(body, Mapping):
            return web.Response(
                status=status, text=_dumps(dict(body)), content_type="application/json", headers=headers
            )
        if isinstance(body, bytes):
            return web.Response(status=status, body=body, headers=headers)
        return web.Response(status=status, text=body, headers=headers)

    def _check_query(self, request: web.Request) -> tuple[str | None, dict[str, str] | None] | web.Response:
        query = request.query
        if not query.get("api-version"):
            return _json_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        agent_name = query.get("agent-name")
        project = query.get("agent-project-name")
        if agent_name or project:
            if not (agent_name and project):
                missing = "agent-project-name" if agent_name else "agent-name"
                return _json_error(
                    400, "BadRequest", f"The '{missing}' query parameter is required in agent mode."
                )
            return None, {"name": agent_name, "project_name": project}
        model = query.get("model")
        if not model:
            return _json_error(
                400,
                "BadRequest",
                "The 'model' query parameter is required (or 'agent-name' with 'agent-project-name').",
            )
        return model, None

    def _authorized(self, request: web.Request) -> bool:
        # A browser cannot set headers on a websocket: the service also takes both as query
        # parameters (?api-key=..., ?Authorization=Bearer%20...); _record redacts them.
        key = request.headers.get("api-key") or request.query.get("api-key")
        auth = request.headers.get("Authorization") or request.query.get("Authorization", "")
        scheme, _, token = auth.strip().partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if self.api_key is None and self.bearer_token is None:
            return bool(key) or bool(token)
        if self.api_key is not None and key == self.api_key:
            return True
        return self.bearer_token is not None and token == self.bearer_token

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        faults = self.faults
        if faults.reject_status is not None:
            return self._reject(request, faults)
        checked = self._check_query(request)
        if isinstance(checked, web.Response):
            self._record(request, checked.status)
            return checked
        if not self._authorized(request):
            self._record(request, 401)
            return _json_error(401, "401", _UNAUTHORIZED)
        ws = web.WebSocketResponse(compress=False, timeout=2.0, max_msg_size=16 * 1024 * 1024)
        if not ws.can_prepare(request).ok:
            self._record(request, 400)
            return _json_error(400, "BadRequest", "Expected a websocket upgrade request.")
        self._record(request, 101)
        await ws.prepare(request)
        if self.cassette is not None:
            await self._replay(request, ws, self.cassette)
            return ws
        model, agent = checked
        sim = Simulator(
            model=model or DEFAULT_MODEL,
            agent=agent,
            responder=self.responder,
            transcriber=self.transcriber,
            voices=self.voices,
            realtime=self.realtime,
            received=self.received if self.record else None,
            errors=self.errors,
            pacing=self.pacing,
            max_session_duration=self.max_session_duration,
            seed=self.seed,
            api_version=request.query.get("api-version"),
        )
        self.sessions.append(sim)
        conn = _Connection(request, ws, sim, faults)
        self._connections.add(conn)
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)
            if not self.record:
                self.sessions.remove(sim)
        return ws

    async def _replay(self, request: web.Request, ws: web.WebSocketResponse, cassette: Cassette) -> None:
        replayer = Replayer(cassette, self._replayed, self.replay_match, self.replay_timing)
        self._replayed += 1
        conn = ReplayConnection(request, ws, replayer, self.errors, self.received if self.record else None)
        self._connections.add(conn)
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)
