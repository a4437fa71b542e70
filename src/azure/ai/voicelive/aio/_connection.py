"""VoiceLiveConnection: one open Voice Live WebSocket (send / recv / recv_bytes / iterate / close)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import aiohttp

from .._exceptions import ConnectionClosed, InvalidFrameError
from ._resources import (
    ConversationResource,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
    TranscriptionSessionResource,
)

if TYPE_CHECKING:
    from .._instrumentation import ConnectionHooks
    from ..models import ClientEvent, ServerEvent

__all__ = ["VoiceLiveConnection"]

_LOGGER = logging.getLogger("azure.ai.voicelive.aio")
_DEBUG = logging.DEBUG

_TEXT = aiohttp.WSMsgType.TEXT
_BINARY = aiohttp.WSMsgType.BINARY
_PING = aiohttp.WSMsgType.PING
_PONG = aiohttp.WSMsgType.PONG
_CLOSE = aiohttp.WSMsgType.CLOSE
_CLOSING = aiohttp.WSMsgType.CLOSING
_CLOSED = aiohttp.WSMsgType.CLOSED
_ERROR = aiohttp.WSMsgType.ERROR

_NORMAL = 1000
_ABNORMAL = 1006
_NO_STATUS = 1005
_LOCAL_REASON = "closed by this client"
_CONCURRENT_RECV = (
    "recv() called while another task is already waiting for the next message; "
    "receive from one task only (for example one `async for event in connection` loop)"
)
# Close codes a client may send (RFC 6455 section 7.4 and the IANA registry); 1005/1006/1015 never.
_SENDABLE = frozenset((*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)))


class VoiceLiveConnection:
    """An open WebSocket connection to the Voice Live service, yielded by [`connect()`][connect].

    Client events go out through the resource helpers (``connection.session.update(...)``,
    ``connection.input_audio_buffer.append(...)``, ...) or [`send()`][send]; server events come in
    through [`recv()`][recv] or ``async for event in connection``.

    Concurrency: any number of tasks may send at once (each event goes out as one whole
    frame, never interleaved); only one task may receive at a time. Cancelling a task
    waiting in [`recv()`][recv] is safe: no message is lost. Use ``async with connect(...)`` (or
    call [`close()`][close]) so the socket and its ``aiohttp.ClientSession`` are always released.

    Beyond the official API: [`closed`][], [`close_code`][] and [`close_reason`][].
    """

    def __init__(
        self, client_session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse[bool]
    ) -> None:
        """Wrap an open aiohttp WebSocket; ``close()`` closes both ``ws`` and ``client_session``."""
        # Imported here, not at module import: models cost ~12 ms and `import ....aio` must stay cheap.
        from .._protocol.codec import decode_server_event, encode_client_event
        from ..models import ServerEventError

        self._client_session = client_session
        self._ws = ws
        self._decode = decode_server_event
        self._error_type: type[ServerEvent] = ServerEventError
        self._encode = encode_client_event
        self._hooks: tuple[ConnectionHooks, ...] = ()
        self._receiving = False
        # Without compression aiohttp writes each frame with one synchronous transport.write,
        # so concurrent sends cannot interleave; with it (older aiohttp compresses in an
        # executor) a lock keeps frames whole and in order.
        self._send_lock: asyncio.Lock | None = asyncio.Lock() if getattr(ws, "compress", 0) else None
        writer = getattr(ws, "_writer", None)
        self._transport: asyncio.WriteTransport | None = getattr(writer, "transport", None)
        self._protocol: Any = getattr(writer, "protocol", None)
        # (code, reason, local): how the connection ended, once it has.
        self._ended: tuple[int, str, bool] | None = None
        self._close_done: asyncio.Future[None] | None = None
        # Set by connect(): gives the SDK's shared connector back once the session is closed.
        self._release_connector: Callable[[], Awaitable[None]] | None = None

        self.session = SessionResource(self)
        self.response = ResponseResource(self)
        self.input_audio_buffer = InputAudioBufferResource(self)
        self.output_audio_buffer = OutputAudioBufferResource(self)
        self.conversation = ConversationResource(self)
        self.transcription_session = TranscriptionSessionResource(self)

    # ----------------------------------------------------------------- state
    @property
    def closed(self) -> bool:
        """Whether the connection has ended (closed by either side, or lost)."""
        return self._ended is not None or bool(getattr(self._ws, "closed", False))

    @property
    def close_code(self) -> int | None:
        """The WebSocket close code once the connection has ended (1006 if it was lost), else None.

        For a close started by [`close()`][close] it is the code this client sent.
        """
        return None if self._ended is None else self._ended[0]

    @property
    def close_reason(self) -> str | None:
        """The close reason once the connection has ended, else None."""
        return None if self._ended is None else self._ended[1]

    def __repr__(self) -> str:
        state = "open" if self._ended is None else f"closed code={self._ended[0]}"
        return f"<VoiceLiveConnection {state}>"

    # ------------------------------------------------------------------ send
    async def send(self, event: Mapping[str, Any] | ClientEvent) -> None:
        """Send one client event as one text frame.

        ``event`` is a client event model, a mapping in wire format (nested models, enums and
        bytes are converted; ``None`` values are sent as ``null``) or any JSON-able object.
        Safe to call from many tasks at once.

        Raises ``TypeError`` (nothing sent) when the event is not JSON-serialisable, and
        [`ConnectionClosed`][] when the connection has ended. Cancelling a send never
        leaves half a frame on the wire.
        """
        text = self._encode(event)
        if _LOGGER.isEnabledFor(_DEBUG):
            data: Any = getattr(event, "_data", event)
            if not isinstance(data, Mapping):
                data = {}
            fields = cast("Mapping[str, object]", data)
            await self._send_text(text, fields.get("type"), fields.get("event_id"))
        else:
            await self._send_text(text)

    async def _send_text(self, text: str, event_type: object = None, event_id: object = None) -> None:
        """Send one already-encoded frame (the resources' fast path)."""
        try:
            if self._ended is not None or self._close_done is not None:
                raise self._closed_error()
            try:
                if self._send_lock is None:
                    await self._write(text)
                else:
                    async with self._send_lock:
                        await self._write(text)
            except ConnectionResetError as exc:  # aiohttp: "Cannot write to closing transport"
                # Not recorded as the end: frames already received stay readable, and recv()
                # reports the real close code once it reaches the end of the stream.
                if self._ended is not None:
                    raise self._closed_error() from exc
                raise ConnectionClosed(_ABNORMAL, "connection lost (cannot send)") from exc
        except BaseException as exc:
            if self._hooks:
                _notify(self._hooks, "send_failed", text, exc)
            raise
        if self._hooks:
            _notify(self._hooks, "sent", text)
        if _LOGGER.isEnabledFor(_DEBUG):
            _LOGGER.debug(
                "sent %s (%d chars)%s",
                event_type if event_type is not None else _peek_type(text),
                len(text),
                f" event_id={event_id}" if event_id is not None else "",
            )

    def _write(self, text: str) -> Awaitable[None]:
        """``ws.send_str(text)``, shielded when the write may have to wait for the socket.

        aiohttp's senders share one drain future while writing is paused: a caller's
        cancellation must not reach it (it would cancel every other sender). Shielding costs a
        task, so it is used only when the write can wait: writing is paused already, or this
        frame could take the buffer past the high-water mark (which pauses it). Otherwise
        aiohttp writes the frame synchronously and never awaits. (The low-water mark is no
        guide: uvloop's is 16 bytes, which made every send pay for a task.)
        """
        transport, protocol = self._transport, self._protocol
        if transport is None or protocol is None or getattr(protocol, "_paused", True):
            return asyncio.shield(self._ws.send_str(text))
        size = len(text) if text.isascii() else 4 * len(text)
        if transport.get_write_buffer_size() + size + 16 > transport.get_write_buffer_limits()[1]:
            return asyncio.shield(self._ws.send_str(text))
        return self._ws.send_str(text)

    # ------------------------------------------------------------------ recv
    async def recv(self) -> ServerEvent:
        """Wait for the next server event and return it as its typed model.

        An event type this SDK does not know still parses (a plain ``ServerEvent`` holding
        the whole payload).

        Raises [`InvalidFrameError`][] when the server sent a frame that is not a JSON
        object (or a binary frame): the connection stays usable and the next ``recv()``
        continues with the following frame. Raises [`ConnectionClosed`][] (with the close
        code and reason; 1006 when the connection was lost) once the connection has ended,
        on this and every later call. Raises ``RuntimeError`` when another task is already
        receiving, and ``asyncio.TimeoutError`` (the builtin ``TimeoutError`` on Python 3.11+)
        when ``connection_options["receive_timeout"]`` elapses first; the connection stays
        usable.

        Cancel-safe: cancelling a task waiting here loses no message; the next ``recv()``
        returns it.
        """
        hooks = self._hooks
        started = _now() if hooks else 0
        try:
            msg = await self._receive()
            data = msg.data
            if msg.type is _TEXT:
                event = self._decode(data)
                if event.__class__ is self._error_type:
                    _log_server_error(event)
                if hooks:
                    _notify(hooks, "received", event, len(data), started)
                if _LOGGER.isEnabledFor(_DEBUG):
                    _log_received(event.get("type"), len(data), event.get("event_id"))
                return event
            from .._protocol.codec import frame_preview

            raise InvalidFrameError(
                f"Server sent a binary frame ({len(data)} bytes); Voice Live sends JSON text frames only. "
                f"Frame starts with: {frame_preview(data, 64)!r}",
                frame=bytes(data[:200]),
            )
        except BaseException as exc:
            if hooks:
                _notify(hooks, "receive_failed", exc, started)
            raise

    async def recv_bytes(self) -> bytes:
        """Wait for the next frame and return its raw payload (a text frame as UTF-8 bytes).

        Binary frames are returned as they are. Same errors, concurrency rule and
        cancel-safety as [`recv()`][recv] (no JSON check is made).
        """
        msg = await self._receive()
        data = msg.data
        if _LOGGER.isEnabledFor(_DEBUG):
            _log_received("<raw>", len(data), None)
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)

    async def _receive(self) -> Any:
        """The next TEXT or BINARY ``aiohttp.WSMessage``; records how the connection ended otherwise."""
        if self._receiving:
            raise RuntimeError(_CONCURRENT_RECV)
        if self._ended is not None:
            raise self._closed_error()
        self._receiving = True
        try:
            receive = self._ws.receive
            while True:
                # aiohttp consumes a queued message only when receive() returns it, so a
                # cancellation while waiting here leaves it for the next call.
                msg = await receive()
                kind = msg.type
                if kind is _CLOSED:
                    # After a heartbeat timeout aiohttp's receive() reports CLOSED at once,
                    # without returning the messages that arrived before: take them first.
                    reader = getattr(self._ws, "_reader", None)
                    if reader is not None and getattr(reader, "_buffer", None):
                        msg = await reader.read()
                        kind = msg.type
                if kind is _TEXT or kind is _BINARY:
                    return msg
                if kind is _CLOSE or kind is _CLOSING or kind is _CLOSED or kind is _ERROR:
                    self._record_end(msg)
                    raise self._closed_error()
                # PING / PONG (returned only with autoping=False) and anything else: skip.
        finally:
            self._receiving = False

    def _record_end(self, msg: Any) -> None:
        """Map aiohttp's CLOSE / CLOSING / CLOSED / ERROR message to (code, reason)."""
        if self._ended is not None:
            return
        kind = msg.type
        if kind is _CLOSE:
            code = msg.data if isinstance(msg.data, int) and msg.data else _NO_STATUS
            self._ended = (code, msg.extra or "", False)
        elif kind is _ERROR:
            exc = msg.data
            if isinstance(exc, aiohttp.WebSocketError):
                # Protocol violations detected locally, e.g. 1009 message too big, 1007 bad UTF-8.
                self._ended = (int(exc.code), str(exc), False)
            elif isinstance(exc, asyncio.TimeoutError):  # aiohttp >= 3.10: ServerTimeoutError
                self._ended = (_ABNORMAL, _heartbeat_reason(exc), False)
            else:
                self._ended = (_ABNORMAL, f"connection lost: {type(exc).__name__}: {exc}", False)
        elif kind is _CLOSING:
            # aiohttp sends CLOSING only to a waiting receive() when ws.close() is called
            # elsewhere; through close() `_ended` is already set, so this is a direct ws.close().
            code = self._ws.close_code or _NORMAL
            self._ended = (code, _LOCAL_REASON, True)
        else:  # CLOSED: the transport is gone
            exc = self._ws.exception()
            if isinstance(exc, asyncio.TimeoutError):  # the pong did not come (aiohttp < 3.10 path)
                self._ended = (_ABNORMAL, _heartbeat_reason(exc), False)
            else:
                # No close frame was received: aiohttp may report 1000 (clean EOF) or 1006.
                self._ended = (_ABNORMAL, "connection lost (no close frame received)", False)
        if _LOGGER.isEnabledFor(_DEBUG):
            _LOGGER.debug("connection ended by the server or network: code=%s reason=%r", *self._ended[:2])

    def _closed_error(self) -> ConnectionClosed:
        code, reason, _ = self._ended or (_NORMAL, _LOCAL_REASON, True)
        return ConnectionClosed(code, reason)

    # ------------------------------------------------------------- iteration
    def __aiter__(self) -> AsyncIterator[ServerEvent]:
        """Iterate over server events until the connection ends.

        Iteration ends quietly after a normal close (code 1000, or [`close()`][close] from this
        side) and raises [`ConnectionClosed`][] with the server's code and reason
        otherwise, always after every event received before the close. Errors of
        [`recv()`][recv] (e.g. [`InvalidFrameError`][]) propagate; start a new ``async for``
        to continue.
        """
        return self

    async def __anext__(self) -> ServerEvent:
        """The next event; ``StopAsyncIteration`` after a normal close (see `__aiter__()`)."""
        try:
            return await self.recv()
        except ConnectionClosed as exc:
            ended = self._ended
            if exc.code == _NORMAL or (ended is not None and ended[2]):
                raise StopAsyncIteration from None
            raise

    # ----------------------------------------------------------------- close
    async def close(self, *, code: int = 1000, reason: str = "") -> None:
        """Close the WebSocket (sending ``code`` and ``reason``) and release the ClientSession.

        Idempotent: later calls wait for the first to finish and return. A task blocked in
        [`recv()`][recv] is woken and gets [`ConnectionClosed`][] (its ``async for`` ends
        quietly). Waits at most ``connection_options["close_timeout"]`` (default 10 s) for the
        server's closing handshake. Never raises for a connection that already failed;
        raises ``ValueError`` for a code a client may not send or a reason over 123 bytes.
        """
        started = _now() if self._hooks else 0
        if self._close_done is not None:
            await asyncio.shield(self._close_done)
            if self._hooks:
                _notify(self._hooks, "closed", started)
            return
        if code not in _SENDABLE:
            raise ValueError(f"close code {code} cannot be sent: use 1000, 1001-1003, 1007-1014 or 3000-4999")
        payload = reason.encode("utf-8")
        if len(payload) > 123:
            raise ValueError(f"close reason is {len(payload)} bytes in UTF-8; the limit is 123")
        self._close_done = asyncio.get_running_loop().create_future()
        if self._ended is None:
            self._ended = (code, reason or _LOCAL_REASON, True)
            if self._hooks:
                from .._instrumentation import notify_optional

                notify_optional(self._hooks, "closing", code, reason)
        try:
            try:
                await self._ws.close(code=code, message=payload)
            except Exception:  # the peer may be gone already; closing must still release everything
                _LOGGER.debug("error while closing the WebSocket", exc_info=True)
            finally:
                await self._client_session.close()
                release, self._release_connector = self._release_connector, None
                if release is not None:
                    await release()
        finally:
            if not self._close_done.done():
                self._close_done.set_result(None)
            if self._hooks:
                _notify(self._hooks, "closed", started)
            if _LOGGER.isEnabledFor(_DEBUG):
                _LOGGER.debug("connection closed: code=%s reason=%r", *self._ended[:2])


_now = time.time_ns  # the clock of the hooks' ``started`` arguments


def _notify(hooks: tuple[ConnectionHooks, ...], method: str, *args: Any) -> None:
    from .._instrumentation import notify

    notify(hooks, method, *args)


def _heartbeat_reason(exc: BaseException) -> str:
    detail = str(exc) or "no PONG received from the server in time"
    return f"heartbeat timeout: {detail}"


def _peek_type(text: str) -> str:
    """The ``type`` of an encoded event for a DEBUG line, without parsing the whole frame."""
    start = text.find('"type":"')
    if start < 0:
        return "<unknown>"
    start += 8
    end = text.find('"', start)
    return text[start:end] if end > 0 else "<unknown>"


def _log_server_error(event: ServerEvent) -> None:
    """A server ``error`` event at WARNING: a misconfigured session is never silent.

    Code, message, param and the client event it answers; never a payload (no audio, no
    credential is ever part of an error event's fields logged here).
    """
    error = event.get("error")
    fields: Mapping[str, object] = cast("Mapping[str, object]", error) if isinstance(error, Mapping) else {}
    _LOGGER.warning(
        "Voice Live error event: code=%s message=%r param=%s event_id=%s",
        fields.get("code") or fields.get("type"),
        fields.get("message"),
        fields.get("param"),
        fields.get("event_id"),
    )


def _log_received(event_type: object, size: int, event_id: object) -> None:
    _LOGGER.debug(
        "received %s (%d chars)%s", event_type, size, f" event_id={event_id}" if event_id is not None else ""
    )
