"""Opt-in reconnect, the I/O part: one VoiceLiveConnection over a succession of WebSockets.

``connect(..., reconnect=ReconnectPolicy())`` yields a [`ReconnectingConnection`][]. A pump
task reads the current WebSocket, keeps the call's state (`CallState`) and hands events
to ``recv()`` through a queue; when the WebSocket ends it classifies why, opens a new one (fresh
credential), carries the session configuration and conversation over, sends what the app sent
meanwhile and yields a [`ReconnectedEvent`][]. Before ``expires_at`` it rotates to a new
session at a quiet moment, make-before-break. The decisions live in ``.._resilience`` (sans-I/O).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from typing_extensions import override

from .._exceptions import ConnectionClosed, ConnectionError, InvalidFrameError
from .._resilience import (
    CARRY_PREFIX,
    CallState,
    Carried,
    Disconnect,
    DisconnectKind,
    OutageQueue,
    ReconnectPolicy,
    RetryBudget,
    is_session_expired,
)
from ._connection import _CONCURRENT_RECV, _LOCAL_REASON, _SENDABLE, VoiceLiveConnection, _peek_type
from ._resources import (
    ConversationResource,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
    TranscriptionSessionResource,
)

if TYPE_CHECKING:
    from ..models import ClientEvent, ServerEvent
    from ..models._base import _Json
    from ._connect import _Plan

__all__ = ["ReconnectingConnection", "open_reconnecting"]

_LOGGER = logging.getLogger("azure.ai.voicelive.aio")
_APPEND = "input_audio_buffer.append"
_BUFFER_DONE = frozenset(("input_audio_buffer.committed", "input_audio_buffer.cleared"))
_END: Any = object()  # in the event queue: the call is over, raise the final error
_HIGH_WATER = 4096  # events waiting for recv() before the pump stops reading (backpressure)
_LOW_WATER = 1024
_ROTATION_RETRY = 1.0  # seconds between rotation attempts that could not switch
_RECENT_AUDIO = 50  # append frames (1 s of 20 ms chunks) repeated to the new session at a rotation

Opener = Callable[["_Plan"], Awaitable[VoiceLiveConnection]]


@dataclass
class _Switch:
    """A rotation ready to switch to: the new connection, its carried state, its early events."""

    conn: VoiceLiveConnection
    snapshot: int
    carried: Carried
    created: dict[str, Any] | None
    updated: list[dict[str, Any]]
    extra: list[ServerEvent]
    errors: list[str]
    started: float


def _handshake_disconnect(exc: ConnectionError) -> Disconnect:
    return Disconnect(
        "handshake", status_code=exc.status_code, retry_after=exc.retry_after, reason=str(exc), error=exc
    )


def _describe(cause: Disconnect) -> str:
    if cause.kind == "handshake":
        return f"handshake failed (HTTP {cause.status_code})" if cause.status_code else "handshake failed"
    if cause.kind == "session_expired":
        return "session expired"
    return f"connection closed (code {cause.code})"


def _audio_bytes(text: str) -> int:
    start = text.find('"audio":"')
    if start < 0:
        return 0
    start += 9
    end = text.find('"', start)
    return max(0, (end - start) * 3 // 4)


def _uncancel() -> None:
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    if uncancel is not None:  # Python 3.11+: keep cancel counts right for later timeouts
        uncancel()


async def _quietly_close(conn: VoiceLiveConnection, code: int = 1000, reason: str = "") -> None:
    try:
        await conn.close(code=code, reason=reason)
    except Exception:  # already gone: closing must still release everything, and never raise
        _LOGGER.debug("error closing a replaced connection", exc_info=True)


async def open_reconnecting(plan: _Plan, policy: ReconnectPolicy, opener: Opener) -> ReconnectingConnection:
    """Open the first connection (handshake failures retried by ``policy``) and wrap it."""
    loop = asyncio.get_running_loop()
    budget = RetryBudget(policy, loop.time())
    while True:
        try:
            conn = await opener(plan)
            break
        except ConnectionError as exc:
            cause = _handshake_disconnect(exc)
            delay = budget.next_delay(cause, loop.time())
            if delay is None:
                raise
            _LOGGER.info(
                "Voice Live %s; retrying in %.0f ms (attempt %d)",
                _describe(cause),
                delay * 1000,
                budget.attempts + 1,
            )
            await asyncio.sleep(delay)
    return ReconnectingConnection(conn, plan, policy, opener)


class ReconnectingConnection(VoiceLiveConnection):
    """A [`VoiceLiveConnection`][] that moves to a new WebSocket when one ends (opt-in reconnect).

    Yielded by ``connect(..., reconnect=ReconnectPolicy(...))``; same methods and resources.
    Differences: ``recv()`` / ``async for`` also yield a
    [`ReconnectedEvent`][azure.ai.voicelive.aio.ReconnectedEvent] after each reconnect or rotation, and
    consume the service's ``error`` event with code ``session_expired`` (the reconnect reports
    it). While reconnecting, audio appends return at once (held up to
    ``max_buffered_audio``) and other sends wait until they are sent on the new session. When
    the policy gives up, ``recv()`` and waiting sends raise the final
    [`ConnectionClosed`][] (or [`ConnectionError`][] for a failed handshake);
    ``recv_bytes()`` returns each event re-encoded as JSON.
    """

    def __init__(
        self, first: VoiceLiveConnection, plan: _Plan, policy: ReconnectPolicy, opener: Opener
    ) -> None:
        """Wrap ``first`` (open) and start reading it; ``opener(plan)`` opens the next ones."""
        # No super().__init__(): there is no single socket; the fields the base class reads
        # (_ended, _ws, _hooks, _close_done, _encode) are set here.
        from .._protocol.codec import encode_client_event

        self._encode = encode_client_event
        self._ws: Any = None
        self._hooks = ()
        self._ended: tuple[int, str, bool] | None = None
        self._close_done: asyncio.Future[None] | None = None
        self._receiving = False
        self._plan = plan
        self._policy = policy
        self._opener = opener
        self._current = first
        self._state = CallState()
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._room = asyncio.Event()
        self._room.set()
        self._final: BaseException | None = None
        self._closing = False
        self._outage: OutageQueue[asyncio.Future[None]] | None = None
        self._outage_started = 0.0
        self._outage_wall = 0.0
        self._lost: list[str] = []
        self._expired = False
        self._switch: _Switch | None = None
        self._rotation: asyncio.Task[None] | None = None
        self._rotation_due = False
        self._rotation_not_before = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._scheduled_for: float | None = None
        self._in_recv = False
        self._background: set[asyncio.Task[None]] = set()
        # Audio sent to the old session while a rotation is prepared: the new session gets it
        # too, so an utterance starting at the switch is not clipped (at most _RECENT_AUDIO).
        self._recent_audio: deque[str] = deque(maxlen=_RECENT_AUDIO)
        # Audio sent since the service last committed or cleared the input buffer: a drop loses
        # the old session's buffer, so it goes to the new session first (bounded like held audio).
        self._uncommitted: OutageQueue[asyncio.Future[None]] | None = None
        self.reconnects = 0
        """How many times the call moved to a new session (reconnects and rotations)."""

        self.session = SessionResource(self)
        self.response = ResponseResource(self)
        self.input_audio_buffer = InputAudioBufferResource(self)
        self.output_audio_buffer = OutputAudioBufferResource(self)
        self.conversation = ConversationResource(self)
        self.transcription_session = TranscriptionSessionResource(self)
        self._pump = asyncio.get_running_loop().create_task(self._run())

    @override
    def __repr__(self) -> str:
        state = "open" if self._ended is None else f"closed code={self._ended[0]}"
        return f"<VoiceLiveConnection {state} reconnect=on reconnects={self.reconnects}>"

    @property
    def reconnecting(self) -> bool:
        """Whether the connection is lost and a new one is being opened (sends are held meanwhile)."""
        return self._outage is not None and self._ended is None

    @property
    def session_id(self) -> str | None:
        """The id of the current session (from its ``session.created``), once known."""
        return self._state.session_id

    # ------------------------------------------------------------------ send
    @override
    async def send(self, event: Mapping[str, Any] | ClientEvent) -> None:
        """Send one client event; held while reconnecting.

        See [`VoiceLiveConnection.send()`][VoiceLiveConnection.send].
        """
        text = self._encode(event)
        await self._send_text(text, _peek_type(text))

    @override
    async def _send_text(self, text: str, event_type: object = None, event_id: object = None) -> None:
        if self._ended is not None or self._closing:
            raise self._final_error()
        audio = event_type == _APPEND
        if audio:
            self._state.audio_sent()
            if self._rotation is not None:
                self._recent_audio.append(text)
            if self._outage is None:
                self._keep_uncommitted(text)
        else:
            self._state.sent(text, written=False)
        while self._outage is None:
            conn = self._current
            try:
                await conn._send_text(text, event_type, event_id)
            except ConnectionClosed:
                if self._ended is not None:
                    raise self._final_error() from None
                if conn is not self._current:
                    continue  # rotated meanwhile: send on the new connection
                self._begin_outage()  # the pump sees the drop too and reconnects
                break
            if not audio:
                self._state.written(text)
            return
        outage = self._outage
        assert outage is not None
        if audio:
            outage.put_audio(text, _audio_bytes(text))
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            outage.put_event(text, waiter)
        except OverflowError as exc:
            raise ConnectionError(
                f"Cannot send while reconnecting: {exc} (ReconnectPolicy.max_queued_events)"
            ) from None
        await waiter  # cancelling the send cancels the waiter: the event is then not sent

    def _keep_uncommitted(self, text: str) -> None:
        kept = self._uncommitted
        if kept is None:
            max_audio = int(self._policy.max_buffered_audio * self._state.input_bytes_per_second())
            kept = self._uncommitted = OutageQueue(max_audio, 0)
        kept.put_audio(text, _audio_bytes(text))

    def _begin_outage(self) -> OutageQueue[asyncio.Future[None]]:
        if self._outage is None:
            self._outage_started = asyncio.get_running_loop().time()
            self._outage_wall = time.time()
            self._lost = self._state.interrupted()
            max_audio = int(self._policy.max_buffered_audio * self._state.input_bytes_per_second())
            outage: OutageQueue[asyncio.Future[None]] = OutageQueue(max_audio, self._policy.max_queued_events)
            # The old session's uncommitted input died with it: that audio goes first (it may
            # have reached the old session too; the new one has not heard it).
            kept, self._uncommitted = self._uncommitted, None
            while kept is not None and (entry := kept.take()) is not None:
                outage.put_audio(entry[0], entry[1])
            self._outage = outage
        return self._outage

    # ------------------------------------------------------------------ recv
    @override
    async def recv(self) -> ServerEvent:
        """The next server event or [`ReconnectedEvent`][].

        See [`VoiceLiveConnection.recv()`][VoiceLiveConnection.recv].
        """
        if self._receiving:
            raise RuntimeError(_CONCURRENT_RECV)
        self._receiving = True
        try:
            item = await self._events.get()  # cancel-safe: the item stays queued
        finally:
            self._receiving = False
        if not self._room.is_set() and self._events.qsize() <= _LOW_WATER:
            self._room.set()
        if item is _END:
            self._events.put_nowait(_END)
            raise self._final_error()
        if isinstance(item, BaseException):
            raise item
        event: ServerEvent = item
        return event

    @override
    async def recv_bytes(self) -> bytes:
        """The next event as JSON bytes (re-encoded: the pump has already parsed it)."""
        event = await self.recv()
        return json.dumps(event._data, separators=(",", ":")).encode("utf-8")

    def _final_error(self) -> BaseException:
        final = self._final
        if final is None or isinstance(final, ConnectionClosed):
            return self._closed_error()
        return final

    # ------------------------------------------------------------------ pump
    async def _run(self) -> None:
        """Read the current connection; reconnect when it ends; switch when a rotation is ready."""
        events = self._events
        state = self._state
        try:
            while True:
                if self._switch is not None:
                    self._finish_switch()
                    continue
                if events.qsize() >= _HIGH_WATER:
                    self._room.clear()
                    await self._room.wait()
                    continue
                conn = self._current
                self._in_recv = True
                try:
                    event = await conn.recv()
                except asyncio.CancelledError:
                    self._in_recv = False
                    if self._switch is not None and not self._closing:
                        _uncancel()
                        continue
                    raise
                except ConnectionClosed as exc:
                    self._in_recv = False
                    if self._closing:
                        return
                    if conn is not self._current:
                        continue
                    cause = Disconnect(
                        "session_expired" if self._expired else "closed",
                        code=exc.code,
                        reason=exc.reason,
                        error=exc,
                    )
                    if not await self._recover(cause):
                        return
                    continue
                except (InvalidFrameError, asyncio.TimeoutError) as exc:
                    self._in_recv = False
                    events.put_nowait(exc)
                    continue
                self._in_recv = False
                data = event._data
                if is_session_expired(data):
                    self._expired = True
                    _LOGGER.info(
                        "Voice Live session %s expired; reconnecting when it closes", state.session_id
                    )
                    continue
                state.received(data)
                if self._uncommitted is not None and data.get("type") in _BUFFER_DONE:
                    self._uncommitted = None  # the service has it: nothing to send again
                events.put_nowait(event)
                if state.expires_at != self._scheduled_for:
                    self._schedule_rotation()
                if self._rotation_due:
                    self._maybe_rotate()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug here must still end recv() with a clear error
            _LOGGER.exception("reconnecting connection failed")
            self._give_up(
                Disconnect("closed", code=1011, reason="internal error"),
                ConnectionError(f"The reconnecting connection failed: {type(exc).__name__}: {exc}"),
            )

    async def _recover(self, first: Disconnect) -> bool:
        """Reconnect after ``first``: True once the call continues, False when the policy gave up."""
        loop = asyncio.get_running_loop()
        outage = self._begin_outage()
        old = self._current
        previous_session = self._state.session_id
        await self._abandon_rotation()
        await _quietly_close(old)
        budget = RetryBudget(self._policy, self._outage_started)
        cause = first
        while True:
            delay = budget.next_delay(cause, loop.time())
            if delay is None:
                if cause is first and not self._policy.retries(first):
                    _LOGGER.info("Voice Live %s: not reconnecting", _describe(first))
                else:
                    _LOGGER.info(
                        "Voice Live reconnect gave up after %d attempt(s): %s (last: %s)",
                        budget.attempts,
                        budget.gave_up_because,
                        _describe(cause),
                    )
                error = cause.error if cause.kind == "handshake" else None
                self._give_up(first, error)
                return False
            _LOGGER.info(
                "Voice Live %s; reconnecting in %.0f ms (attempt %d)",
                _describe(cause),
                delay * 1000,
                budget.attempts,
            )
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                conn = await self._opener(self._plan)
            except ConnectionError as exc:
                cause = _handshake_disconnect(exc)
                continue
            except Exception as exc:  # the credential failed: not a transport problem
                self._give_up(
                    first,
                    ConnectionError(f"Reconnect failed: the credential raised {type(exc).__name__}: {exc}"),
                )
                return False
            try:
                switch = await self._carry_over(conn, started=self._outage_wall)
                sent_events, sent_audio = await self._flush(conn, outage)
            except BaseException as exc:
                await _quietly_close(conn)
                if isinstance(exc, ConnectionClosed):
                    cause = Disconnect("closed", code=exc.code, reason=exc.reason, error=exc)
                    continue
                if isinstance(exc, (asyncio.TimeoutError, InvalidFrameError, ConnectionError)):
                    cause = Disconnect("handshake", reason=f"carry-over failed: {exc!r}", error=exc)
                    continue
                raise
            self._commit(switch)
            self._outage = None
            self._expired = False
            downtime = (loop.time() - self._outage_started) * 1000.0
            self._announce(
                switch,
                cause=first.kind,
                close_code=first.code,
                close_reason=first.reason,
                attempts=budget.attempts,
                downtime_ms=downtime,
                previous_session=previous_session,
                lost=[*self._lost, *switch.carried.lost],
                events_sent=sent_events,
                audio_sent=sent_audio,
                audio_dropped=outage.dropped_audio_bytes,
            )
            return True

    def _commit(self, switch: _Switch) -> None:
        """The new connection becomes current; the state now describes its session."""
        self._current = switch.conn
        state = self._state
        state.new_session()
        if switch.created is not None:
            state.received(switch.created)
        for data in switch.updated:
            state.received(data)
        self.reconnects += 1
        self._rotation_due = False

    def _announce(
        self,
        switch: _Switch,
        *,
        cause: DisconnectKind | Literal["rotation"],
        close_code: int | None,
        close_reason: str | None,
        attempts: int,
        downtime_ms: float,
        previous_session: str | None,
        lost: list[str],
        events_sent: int,
        audio_sent: int,
        audio_dropped: int,
    ) -> None:
        """Queue the ReconnectedEvent and the new session's early events; log; tell telemetry."""
        from .._instrumentation import ReconnectInfo, notify_reconnected
        from .._resilience_events import ReconnectedEvent

        carried = switch.carried
        event = ReconnectedEvent(
            cause=cause,
            close_code=close_code,
            close_reason=close_reason,
            attempts=attempts,
            downtime_ms=round(downtime_ms, 3),
            session_id=self._state.session_id,
            previous_session_id=previous_session,
            expires_at=self._state.expires_at,
            session_restored=carried.session_restored,
            items_replayed=carried.items_replayed,
            items_not_replayed=carried.items_not_replayed,
            lost=lost,
            events_sent=events_sent,
            audio_sent_bytes=audio_sent,
            audio_dropped_bytes=audio_dropped,
            errors=switch.errors,
        )
        self._events.put_nowait(event)
        for extra in switch.extra:
            self._state.received(extra._data)
            self._events.put_nowait(extra)
        _LOGGER.info(
            "Voice Live %s: session %s -> %s after %.0f ms (%d attempt(s)); carried session=%s, "
            "%d item(s) replayed, %d not; %d event(s) and %d audio bytes sent after, %d audio bytes dropped",
            "rotated" if cause == "rotation" else f"reconnected ({cause}, code {close_code})",
            previous_session,
            self._state.session_id,
            downtime_ms,
            attempts,
            carried.session_restored,
            carried.items_replayed,
            carried.items_not_replayed,
            events_sent,
            audio_sent,
            audio_dropped,
        )
        hooks = switch.conn._hooks
        if hooks:
            notify_reconnected(
                hooks,
                ReconnectInfo(
                    cause=cause,
                    close_code=close_code,
                    attempts=attempts,
                    downtime_ms=downtime_ms,
                    started=switch.started,
                    ended=time.time(),
                    items_replayed=carried.items_replayed,
                    items_not_replayed=carried.items_not_replayed,
                ),
            )
        self._schedule_rotation()

    async def _carry_over(self, conn: VoiceLiveConnection, *, started: float) -> _Switch:
        """Read ``session.created``, send the carried state, wait for every acknowledgement."""
        policy = self._policy
        snapshot = self._state.changes
        events, carried = self._state.carry_over_events(policy.replay_conversation)

        async def exchange() -> _Switch:
            switch = _Switch(conn, snapshot, carried, None, [], [], [], started)
            first = await conn.recv()
            if first._data.get("type") == "session.created":
                switch.created = first._data
            else:
                switch.extra.append(first)
            kinds: dict[str, str] = {}
            for carry in events:
                kinds[carry["event_id"]] = carry["type"]
                await conn.send(carry)
            want = {
                "session.updated": 1 if carried.session_restored else 0,
                "conversation.item.created": carried.items_replayed,
            }
            while want["session.updated"] or want["conversation.item.created"]:
                event = await conn.recv()
                data = event._data
                kind: Any = data.get("type")
                if kind == "error":
                    error: _Json = data.get("error")
                    if not isinstance(error, dict):
                        error = {}
                    eid: Any = error.get("event_id")
                    if isinstance(eid, str) and eid.startswith(CARRY_PREFIX) and eid in kinds:
                        sent = kinds[eid]
                        ack = "session.updated" if sent == "session.update" else "conversation.item.created"
                        want[ack] = max(0, want[ack] - 1)
                        switch.errors.append(f"{error.get('code')}: {error.get('message')}")
                        if sent == "session.update":
                            carried.session_restored = False
                        else:
                            carried.items_replayed -= 1
                            carried.items_not_replayed += 1
                            carried.lost.append(f"a replayed item was rejected ({error.get('code')})")
                        continue
                if isinstance(kind, str) and want.get(kind):
                    want[kind] -= 1
                    if kind == "session.updated":
                        switch.updated.append(data)
                    continue
                switch.extra.append(event)
            return switch

        return await asyncio.wait_for(exchange(), policy.carry_over_timeout)

    async def _flush(
        self, conn: VoiceLiveConnection, outage: OutageQueue[asyncio.Future[None]]
    ) -> tuple[int, int]:
        """Send what was held during the outage, in order: (control events sent, audio bytes sent)."""
        events = audio = 0
        while True:
            entry = outage.take()
            if entry is None:
                return events, audio
            text, audio_bytes, waiter = entry
            if waiter is not None and waiter.done():  # the sender was cancelled: not sent
                continue
            try:
                await conn._send_text(text, _APPEND if audio_bytes else None)
            except BaseException:
                outage.push_front(text, audio_bytes, waiter)
                raise
            if audio_bytes:
                audio += audio_bytes
            else:
                events += 1
                self._state.written(text)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)

    def _give_up(self, first: Disconnect, error: BaseException | None) -> None:
        """End the call: record how, fail every held send, wake ``recv()``."""
        if self._ended is None:
            self._ended = (first.code or 1006, first.reason, False)
        if error is not None and not isinstance(error, ConnectionError):
            error = ConnectionError(f"Reconnect failed: {type(error).__name__}: {error}")
        self._final = error
        final = self._final_error()
        self._fail_waiters(final)
        self._events.put_nowait(_END)

    def _fail_waiters(self, error: BaseException) -> None:
        outage, self._outage = self._outage, None
        if outage is None:
            return
        for waiter in outage.waiters():
            if not waiter.done():
                waiter.set_exception(error)
                waiter.exception()  # retrieved: a cancelled sender must not log "never retrieved"

    # --------------------------------------------------------------- rotation
    def _schedule_rotation(self) -> None:
        expires = self._state.expires_at
        self._scheduled_for = expires
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rotate_before = self._policy.rotate_before
        if rotate_before is None or expires is None or self._closing:
            return
        lifetime = expires - time.time()
        lead = min(rotate_before, max(0.0, lifetime) / 2)
        self._timer = asyncio.get_running_loop().call_later(max(0.0, lifetime - lead), self._rotation_window)

    def _rotation_window(self) -> None:
        self._timer = None
        self._rotation_due = True
        self._maybe_rotate()

    def _maybe_rotate(self) -> None:
        if (
            self._rotation is not None
            or self._switch is not None
            or self._outage is not None
            or self._closing
            or self._ended is not None
            or not self._state.quiet
        ):
            return
        loop = asyncio.get_running_loop()
        wait = self._rotation_not_before - loop.time()
        if wait > 0:
            if self._timer is None:
                self._timer = loop.call_later(wait, self._rotation_window)
            return
        self._recent_audio.clear()
        self._rotation = loop.create_task(self._rotate())

    async def _rotate(self) -> None:
        """Open the next session and carry the state over while the current one goes on."""
        started = time.time()
        try:
            conn = await self._opener(self._plan)
        except Exception as exc:
            _LOGGER.info("Voice Live rotation: could not open the next session (%s); will retry", exc)
            self._rotation = None
            self._retry_rotation_later()
            return
        try:
            switch = await self._carry_over(conn, started=started)
        except BaseException as exc:
            await _quietly_close(conn)
            self._rotation = None
            if isinstance(exc, asyncio.CancelledError):
                raise
            _LOGGER.info("Voice Live rotation: carrying the state over failed (%r); will retry", exc)
            self._retry_rotation_later()
            return
        if self._closing or self._outage is not None or self._ended is not None:
            await _quietly_close(conn)
            self._rotation = None
            return
        self._switch = switch
        if self._in_recv:
            self._pump.cancel()  # lands in the pump's recv(), which is cancel-safe

    def _retry_rotation_later(self) -> None:
        self._rotation_not_before = asyncio.get_running_loop().time() + _ROTATION_RETRY
        if self._rotation_due:
            self._maybe_rotate()

    def _finish_switch(self) -> None:
        """In the pump: switch to the prepared session if the call is still quiet and unchanged."""
        switch, self._switch = self._switch, None
        self._rotation = None
        self._uncommitted = None  # a rotation repeats the recent audio itself
        assert switch is not None
        state = self._state
        if self._closing or state.changes != switch.snapshot or not state.quiet or self._outage is not None:
            _LOGGER.info("Voice Live rotation postponed: the call was not quiet at the switch")
            self._background_close(switch.conn, 1000, "not needed")
            self._retry_rotation_later()
            return
        old = self._current
        previous = state.session_id
        self._commit(switch)
        recent = list(self._recent_audio)
        self._recent_audio.clear()
        if recent:
            # Sent before anything the app sends from now on: hold those behind it.
            held: OutageQueue[asyncio.Future[None]] = OutageQueue(
                sum(map(_audio_bytes, recent)), self._policy.max_queued_events
            )
            for text in recent:
                held.put_audio(text, _audio_bytes(text))
            self._outage = held
            self._outage_started = asyncio.get_running_loop().time()
            self._outage_wall = time.time()
            self._lost = []
            task = asyncio.get_running_loop().create_task(self._flush_after_rotation(switch.conn, held))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        self._announce(
            switch,
            cause="rotation",
            close_code=None,
            close_reason=None,
            attempts=1,
            downtime_ms=0.0,
            previous_session=previous,
            lost=list(switch.carried.lost),
            events_sent=0,
            audio_sent=0,
            audio_dropped=0,
        )
        self._background_close(old, 1000, "session rotated")

    async def _flush_after_rotation(
        self, conn: VoiceLiveConnection, held: OutageQueue[asyncio.Future[None]]
    ) -> None:
        try:
            await self._flush(conn, held)
        except Exception:  # the new connection failed: the pump reconnects and sends what is held
            return
        if self._outage is held:
            self._outage = None

    async def _abandon_rotation(self) -> None:
        task, self._rotation = self._rotation, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        switch, self._switch = self._switch, None
        if switch is not None:
            await _quietly_close(switch.conn)

    def _background_close(self, conn: VoiceLiveConnection, code: int, reason: str) -> None:
        task = asyncio.get_running_loop().create_task(_quietly_close(conn, code, reason))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----------------------------------------------------------------- close
    @override
    async def close(self, *, code: int = 1000, reason: str = "") -> None:
        """Close the call: stop reconnecting and close the current WebSocket (as ``VoiceLiveConnection``).

        Sends still held for a reconnect fail with [`ConnectionClosed`][].
        """
        if self._close_done is not None:
            await asyncio.shield(self._close_done)
            return
        if code not in _SENDABLE:
            raise ValueError(f"close code {code} cannot be sent: use 1000, 1001-1003, 1007-1014 or 3000-4999")
        if len(reason.encode("utf-8")) > 123:
            raise ValueError(
                f"close reason is {len(reason.encode('utf-8'))} bytes in UTF-8; the limit is 123"
            )
        self._close_done = asyncio.get_running_loop().create_future()
        self._closing = True
        if self._ended is None:
            self._ended = (code, reason or _LOCAL_REASON, True)
        try:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._pump.done():
                self._pump.cancel()
            with contextlib.suppress(BaseException):
                await self._pump
            await self._abandon_rotation()
            self._fail_waiters(self._final_error())
            await _quietly_close(self._current, code, reason)
            for task in list(self._background):
                with contextlib.suppress(BaseException):
                    await task
        finally:
            self._events.put_nowait(_END)
            if not self._close_done.done():
                self._close_done.set_result(None)
