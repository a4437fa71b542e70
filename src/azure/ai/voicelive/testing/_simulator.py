"""The fake Voice Live session as a sans-I/O state machine: client events in, server events out.

:class:`Simulator` never touches a socket. The I/O layer (``_server.py``) feeds it each frame and
sends what it returns; a response streams through :meth:`Simulator.pop_stream`, one event at a
time, with :meth:`Simulator.stream_delay` saying when the next one is due, so the I/O layer can pace
audio at playback speed and a ``response.cancel`` can stop it half-way.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, cast

from ..audio import alaw_decode, base64_to_pcm16, pcm16_to_base64, ulaw_decode
from ._responder import (
    DefaultResponder,
    FunctionCallReply,
    Responder,
    TextReply,
    Transcriber,
    default_transcriber,
    normalize_replies,
)
from ._vad import FRAME_MS, EnergyVad, VadEvent
from ._voice import OUTPUT_FORMATS, bytes_per_ms, split_words, synthesize

if TYPE_CHECKING:
    from ..models._base import _Json

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_VOICE",
    "OPENAI_VOICES",
    "PendingReply",
    "Simulator",
    "default_session",
]

Event = dict[str, Any]
_log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-realtime"
"""Model reported when the session is created without one (direct use of the simulator)."""

DEFAULT_VOICE: dict[str, Any] = {"name": "en-US-AvaNeural", "type": "azure-standard"}
"""The voice of a new session."""

OPENAI_VOICES = frozenset(
    ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
)
"""OpenAI voice names, accepted as a plain string or as ``{"type": "openai", "name": ...}``."""

_NATIVE_VOICES = frozenset(
    (
        "aarti",
        "andrew",
        "ava",
        "denise",
        "diya",
        "elsa",
        "florian",
        "francisca",
        "meera",
        "xiaoxiao",
        "yunxi",
        "ximena",
    )
)
_AZURE_VOICE_NAME = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4}){1,2}-[A-Za-z0-9]+(?::[A-Za-z0-9]+)?Neural$")
_INPUT_FORMATS = ("pcm16", "g711_ulaw", "g711_alaw")
_INPUT_RATES = (24000, 16000, 8000)
_MODALITIES = ("text", "audio", "animation", "avatar")
_TURN_TYPES = ("server_vad", "azure_semantic_vad", "azure_semantic_vad_en", "azure_semantic_vad_multilingual")
_TOOL_CHOICES = ("auto", "none", "required")
_MIN_COMMIT_MS = 100
_CHUNK_MS = 100
_ARGUMENT_CHUNK = 16
_AUDIO_MS_PER_TOKEN = 100


def _turn_defaults(kind: str) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "type": kind,
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "create_response": True,
        "interrupt_response": True,
        "auto_truncate": False,
    }
    if kind != "server_vad":
        defaults["speech_duration_ms"] = 80
        defaults["remove_filler_words"] = False
    return defaults


def default_session(
    *,
    session_id: str | None = None,
    model: str | None = DEFAULT_MODEL,
    agent: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The session a new connection starts with, as sent in ``session.created``.

    ``agent`` (``{"name": ..., "project_name": ...}``) puts the session in agent mode: it gets an
    ``agent`` entry (``type``, ``name``, ``agent_id``, ``thread_id``) and no model.
    """
    created = time.time() if now is None else now
    session: dict[str, Any] = {
        "id": session_id or f"sess_{secrets.token_hex(10)}",
        "object": "realtime.session",
        "model": None if agent is not None else model,
        "modalities": ["text", "audio"],
        "instructions": "",
        "voice": dict(DEFAULT_VOICE),
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "input_audio_sampling_rate": 24000,
        "input_audio_transcription": None,
        "input_audio_noise_reduction": None,
        "input_audio_echo_cancellation": None,
        "turn_detection": _turn_defaults("server_vad"),
        "tools": [],
        "tool_choice": "auto",
        "temperature": 0.8,
        "max_response_output_tokens": "inf",
        "expires_at": int(created) + 3600,
    }
    if agent is not None:
        session["agent"] = {
            "type": "agent",
            "name": str(agent.get("name", "")),
            "agent_id": f"asst_{secrets.token_hex(8)}",
            "thread_id": f"thread_{secrets.token_hex(8)}",
            "description": None,
        }
    return session


# Values a field takes when ``session.update`` sends it as null; fields not listed become null.
_RESET: dict[str, Any] = {
    "modalities": ["text", "audio"],
    "instructions": "",
    "voice": DEFAULT_VOICE,
    "input_audio_format": "pcm16",
    "output_audio_format": "pcm16",
    "input_audio_sampling_rate": 24000,
    "tools": [],
    "tool_choice": "auto",
    "temperature": 0.8,
    "max_response_output_tokens": "inf",
}
_READ_ONLY = frozenset(("id", "object", "expires_at", "agent"))


class _Reject(Exception):
    """A client error: becomes an ``error`` event; the session is unchanged and goes on."""

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


def _reject_type(param: str, expected: str, value: object) -> NoReturn:
    got = "null" if value is None else type(value).__name__
    raise _Reject("invalid_type", f"Invalid type for '{param}': expected {expected}, but got {got}.", param)


def _missing(param: str) -> NoReturn:
    raise _Reject("missing_required_parameter", f"Missing required parameter: '{param}'.", param)


def _invalid(param: str, message: str) -> NoReturn:
    raise _Reject("invalid_value", message, param)


def _get_str(event: Mapping[str, Any], key: str, param: str | None = None, *, required: bool = True) -> Any:
    name = param or key
    if key not in event or event[key] is None:
        if required:
            _missing(name)
        return None
    value = event[key]
    if not isinstance(value, str):
        _reject_type(name, "a string", value)
    return value


def _get_int(event: Mapping[str, Any], key: str, *, minimum: int = 0) -> int:
    if key not in event or event[key] is None:
        _missing(key)
    value = event[key]
    if isinstance(value, bool) or not isinstance(value, int):
        _reject_type(key, "an integer", value)
    if value < minimum:
        _invalid(key, f"Invalid value for '{key}': {value} is below the minimum of {minimum}.")
    return value


def _check_bool(value: object, param: str) -> bool:
    if not isinstance(value, bool):
        _reject_type(param, "a boolean", value)
    return value


def _check_number(value: object, param: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _reject_type(param, "a number", value)
    if not low <= value <= high:
        _invalid(param, f"Invalid value for '{param}': {value} is outside the range {low} to {high}.")
    return value


def _check_ms(value: object, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _reject_type(param, "an integer", value)
    if value < 0:
        _invalid(param, f"Invalid value for '{param}': {value} is negative.")
    return value


def _snap(item: Mapping[str, Any]) -> dict[str, Any]:
    content = item.get("content")
    if content is None:
        return dict(item)
    return {**item, "content": [dict(part) for part in content]}


def _public(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item as ``conversation.item.created`` shows it: input audio is not echoed back."""
    content = item.get("content")
    if content is None:
        return dict(item)
    return {
        **item,
        "content": [
            {**part, "audio": ""} if part.get("type") == "input_audio" else dict(part) for part in content
        ],
    }


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _item_text(item: Mapping[str, Any]) -> str:
    kind = item.get("type")
    if kind == "function_call":
        return f"{item.get('name', '')}{item.get('arguments', '')}"
    if kind == "function_call_output":
        return str(item.get("output", ""))
    texts: list[str] = []
    for part in item.get("content") or ():
        value = part.get("text") if "text" in part else part.get("transcript")
        if isinstance(value, str):
            texts.append(value)
    return " ".join(texts)


@dataclass
class _Meta:
    """What the simulator knows about an item beyond its wire shape."""

    audio_ms: float = 0.0
    words: tuple[tuple[str, int, int], ...] = ()


@dataclass
class _OpenItem:
    """The output item a response is producing, for closing it on cancellation."""

    item: dict[str, Any]
    output_index: int
    part: dict[str, Any] | None = None
    audio: bool = False


@dataclass(eq=False)
class PendingReply:
    """An awaitable reply of an async responder: await :attr:`awaitable`, then give the result to
    :meth:`Simulator.resolve_reply` (or the exception to :meth:`Simulator.fail_reply`)."""

    response_id: str
    awaitable: Awaitable[Any]


@dataclass(eq=False)
class _Response:
    id: str
    payload: dict[str, Any]
    config: dict[str, Any]
    context: list[dict[str, Any]]
    in_conversation: bool
    items: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    gen: Iterator[tuple[float, Event]] | None = None
    next: tuple[float, Event] | None = None
    started_at: float = 0.0
    offset: float = 0.0
    pending: PendingReply | None = None
    pending_taken: bool = False
    open: _OpenItem | None = None
    incomplete: bool = False


class Simulator:
    """One fake Voice Live session: feed it client events, send what it returns.

    * :meth:`start` gives ``session.created``; call it once, first.
    * :meth:`receive_text` / :meth:`receive_bytes` take a raw frame, :meth:`handle` a parsed event;
      each returns the server events to send now (an ``error`` event for bad input; the session
      goes on).
    * A response streams: while :meth:`stream_delay` is not ``None``, wait that many seconds, then
      send what :meth:`pop_stream` returns (``None`` means "not yet": ask again). Without
      ``realtime`` every event is due at once. :meth:`drain` pops everything (sync use, tests).
    * An async responder leaves a :class:`PendingReply` for :meth:`take_pending_reply`.

    ``responder`` decides replies (default :class:`DefaultResponder`), ``transcriber`` transcribes
    committed audio when ``input_audio_transcription`` is on (default :func:`default_transcriber`),
    ``voices`` restricts the accepted voice names, ``received`` (a list) collects every client event
    object, ``clock`` paces realtime audio (seconds, monotonic) and ``now`` gives wall time for
    ``expires_at``.
    """

    def __init__(
        self,
        *,
        model: str | None = DEFAULT_MODEL,
        agent: Mapping[str, Any] | None = None,
        responder: Responder | None = None,
        transcriber: Transcriber | None = None,
        voices: Iterable[str] | None = None,
        realtime: bool = False,
        session_id: str | None = None,
        received: list[dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.session: dict[str, Any] = default_session(
            session_id=session_id, model=model, agent=agent, now=now()
        )
        """The current session (as in ``session.updated``); read it, do not change it."""
        self.conversation: list[dict[str, Any]] = []
        """The conversation items, oldest first, as ``conversation.item.retrieve`` returns them."""
        self.closed = False
        """True once :meth:`close` ran (the connection ended)."""
        self._responder: Responder = responder if responder is not None else DefaultResponder()
        self._transcriber: Transcriber = transcriber if transcriber is not None else default_transcriber
        self._voices = frozenset(voices) if voices is not None else None
        self._realtime = realtime
        self._clock = clock
        self._received = received
        self._ids: dict[str, int] = {}
        self._conversation_id = f"conv_{secrets.token_hex(8)}"
        self._items: dict[str, dict[str, Any]] = {}
        self._meta: dict[str, _Meta] = {}
        self._response: _Response | None = None
        self._buffer = bytearray()
        self._buffer_start_ms = 0.0
        self._audio_end_ms = 0.0
        self._vad: EnergyVad | None = None
        self._speech_item: str | None = None
        self._speech_start_ms = 0
        self._turns: dict[str, bytearray] = {}
        self._texts: dict[str, list[str]] = {}
        self._in_rate = 24000
        self._in_width = 2
        self._in_decode: Callable[[bytes], bytes] | None = None
        self._audio_key: tuple[Any, ...] = ()
        self._configure_audio()
        self._handlers: dict[str, Callable[[dict[str, Any]], list[Event]]] = {
            "session.update": self._on_session_update,
            "input_audio_buffer.append": self._on_append,
            "input_audio_buffer.commit": self._on_commit,
            "input_audio_buffer.clear": self._on_clear,
            "input_audio.clear": self._on_clear,
            "input_audio.turn.start": self._on_turn_start,
            "input_audio.turn.append": self._on_turn_append,
            "input_audio.turn.end": self._on_turn_end,
            "input_audio.turn.cancel": self._on_turn_cancel,
            "input_text.delta": self._on_text_delta,
            "input_text.done": self._on_text_done,
            "conversation.item.create": self._on_item_create,
            "conversation.item.retrieve": self._on_item_retrieve,
            "conversation.item.delete": self._on_item_delete,
            "conversation.item.truncate": self._on_item_truncate,
            "response.create": self._on_response_create,
            "response.cancel": self._on_response_cancel,
            "output_audio_buffer.clear": self._on_output_clear,
            "session.avatar.connect": self._unsupported,
            "mcp_approval_response": self._unsupported,
            "transcription_session.update": self._unsupported,
        }

    # --- ids and events --------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        while True:
            n = self._ids.get(prefix, 0) + 1
            self._ids[prefix] = n
            candidate = f"{prefix}_{n}"
            if candidate not in self._items:
                return candidate

    def _event(self, kind: str, **fields: Any) -> Event:
        return {"type": kind, "event_id": self._new_id("event"), **fields}

    @staticmethod
    def _later(kind: str, **fields: Any) -> Event:
        """A streamed event; its ``event_id`` is given when it is popped (ids follow send order)."""
        return {"type": kind, "event_id": None, **fields}

    def _error(self, reject: _Reject, client_event_id: str | None) -> Event:
        return self._event(
            "error",
            error={
                "type": "invalid_request_error",
                "code": reject.code,
                "message": reject.message,
                "param": reject.param,
                "event_id": client_event_id,
            },
        )

    # --- public surface --------------------------------------------------------------------------

    def start(self) -> list[Event]:
        """The events a new connection gets: ``session.created`` with the full default session."""
        return [self._event("session.created", session=self._session_copy())]

    def receive_text(self, text: str | bytes) -> list[Event]:
        """Handle one text frame (JSON). Malformed JSON gives an ``error`` event (code ``invalid_json``)."""
        try:
            event = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return [self._error(_Reject("invalid_json", f"The client event is not valid JSON: {exc}."), None)]
        return self.handle(event)

    def receive_bytes(self, data: bytes) -> list[Event]:
        """Handle one binary frame: always an ``error`` event (code ``invalid_frame``); events are JSON."""
        message = (
            f"Binary frames are not supported ({len(data)} bytes received); send each client event as "
            "a JSON text frame, with audio base64-encoded in input_audio_buffer.append."
        )
        return [self._error(_Reject("invalid_frame", message), None)]

    def handle(self, event: object) -> list[Event]:
        """Handle one parsed client event and return the server events to send now.

        Anything wrong with the event (not an object, no or unknown ``type``, missing or invalid
        fields, a request the state does not allow) gives one ``error`` event carrying the client
        event's ``event_id``; the session is left as it was.
        """
        if self.closed:
            return []
        if not isinstance(event, dict):
            got = "array" if isinstance(event, list) else "null" if event is None else type(event).__name__
            reject = _Reject("invalid_event", f"A client event must be a JSON object, got {got}.")
            return [self._error(reject, None)]
        event = cast("dict[str, Any]", event)  # a JSON object
        if self._received is not None:
            self._received.append(event)
        client_id = event.get("event_id")
        if not isinstance(client_id, str):
            client_id = None
        try:
            kind = event.get("type")
            if kind is None:
                _missing("type")
            if not isinstance(kind, str):
                _reject_type("type", "a string", kind)
            handler = self._handlers.get(kind)
            if handler is None:
                _invalid(
                    "type",
                    f"Invalid value: '{kind}'. Unknown client event type; supported types are: "
                    + ", ".join(sorted(self._handlers))
                    + ".",
                )
            return handler(event)
        except _Reject as reject:
            return [self._error(reject, client_id)]
        except Exception as exc:  # a bug here must not end the session: report it like the service would
            _log.exception("fake Voice Live session failed on a %r event", event.get("type"))
            error = self._error(
                _Reject("internal_error", f"The fake service failed on this event: {exc!r}"), client_id
            )
            error["error"]["type"] = "server_error"
            return [error]

    @property
    def response_active(self) -> bool:
        """True from ``response.created`` until its ``response.done`` has been popped (or cancelled)."""
        return self._response is not None

    @property
    def input_buffer_ms(self) -> float:
        """Milliseconds of audio in the input buffer (not yet committed or discarded)."""
        return len(self._buffer) / self._in_bytes_per_ms

    @property
    def audio_position_ms(self) -> float:
        """Milliseconds of input audio received since the session started (the VAD timeline)."""
        return self._audio_end_ms

    def stream_delay(self) -> float | None:
        """Seconds until the next streamed event is due (``0.0``: now); ``None`` when nothing streams."""
        r = self._response
        if r is None or r.next is None:
            return None
        if not self._realtime:
            return 0.0
        return max(0.0, r.started_at + r.next[0] - self._clock())

    def pop_stream(self) -> Event | None:
        """The next streamed event if it is due, else ``None``. The session state follows what was popped."""
        r = self._response
        if r is None or r.next is None:
            return None
        offset, event = r.next
        if self._realtime and r.started_at + offset > self._clock():
            return None
        event["event_id"] = self._new_id("event")
        assert r.gen is not None
        r.next = next(r.gen, None)
        if r.next is None and self._response is r:
            self._response = None
        return event

    def drain(self) -> list[Event]:
        """Pop every streamed event now, ignoring pacing (sync responders only)."""
        events: list[Event] = []
        realtime, self._realtime = self._realtime, False
        try:
            while (event := self.pop_stream()) is not None:
                events.append(event)
        finally:
            self._realtime = realtime
        return events

    def take_pending_reply(self) -> PendingReply | None:
        """The reply an async responder still owes (given out once), or ``None``."""
        r = self._response
        if r is None or r.pending is None or r.pending_taken:
            return None
        r.pending_taken = True
        return r.pending

    def resolve_reply(self, pending: PendingReply, result: object) -> None:
        """Start streaming the response ``pending`` belonged to (ignored if it was cancelled meanwhile)."""
        r = self._response
        if r is None or r.pending is not pending:
            return
        r.pending = None
        self._begin(r, result)

    def fail_reply(self, pending: PendingReply, error: BaseException) -> None:
        """End the response ``pending`` belonged to with status ``failed``."""
        r = self._response
        if r is None or r.pending is not pending:
            return
        r.pending = None
        self._begin_failure(r, error)

    def close(self) -> None:
        """End the session: drop any response in progress (its pending coroutine is closed)."""
        self.closed = True
        r, self._response = self._response, None
        if r is not None:
            self._discard(r)

    # --- session ---------------------------------------------------------------------------------

    def _session_copy(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.session))  # type: ignore[no-any-return]

    def _on_session_update(self, event: dict[str, Any]) -> list[Event]:
        update: _Json = event.get("session")
        if update is None:
            _missing("session")
        if not isinstance(update, dict):
            _reject_type("session", "an object", update)
        candidate = dict(self.session)
        for key, value in update.items():
            if key in _READ_ONLY:
                continue
            param = f"session.{key}"
            check = _SESSION_FIELDS.get(key)
            if check is None:
                raise _Reject("unknown_parameter", f"Unknown parameter: '{param}'.", param)
            if value is None:
                reset = _RESET.get(key)
                candidate[key] = json.loads(json.dumps(reset)) if reset is not None else None
            else:
                candidate[key] = check(self, value, param)
        self.session = candidate
        self._configure_audio()
        return [self._event("session.updated", session=self._session_copy())]

    def _validate_voice(self, value: _Json, param: str) -> Any:
        name: Any
        kind: Any
        if isinstance(value, str):
            name, kind = value, None
        elif isinstance(value, dict):
            kind = value.get("type")
            name = value.get("name")
            if kind is None:
                _missing(f"{param}.type")
            if kind not in _VOICE_TYPES:
                _invalid(
                    f"{param}.type",
                    f"Invalid value: '{kind}'. Supported voice types are: {', '.join(_VOICE_TYPES)}.",
                )
            for required in _VOICE_TYPES[kind]:
                if value.get(required) is None:
                    _missing(f"{param}.{required}")
            for key in ("name", "endpoint_id", "model"):
                if value.get(key) is not None and not isinstance(value[key], str):
                    _reject_type(f"{param}.{key}", "a string", value[key])
        else:
            _reject_type(param, "a string or an object", value)
        if name is None:
            return dict(value) if isinstance(value, dict) else value
        if self._voices is not None:
            known = name in self._voices
        elif kind is None or kind == "openai":
            known = name.lower() in OPENAI_VOICES or (kind is None and bool(_AZURE_VOICE_NAME.match(name)))
        elif kind == "azure-realtime-native":
            known = name.lower() in _NATIVE_VOICES
        elif kind == "azure-standard":
            known = bool(_AZURE_VOICE_NAME.match(name))
        else:
            known = True
        if not known:
            _invalid(param, f"Invalid value: '{name}'. Unknown voice name.")
        return dict(value) if isinstance(value, dict) else value

    def _configure_audio(self) -> None:
        s = self.session
        fmt = s.get("input_audio_format") or "pcm16"
        if fmt == "pcm16":
            rate, width, decode = int(s.get("input_audio_sampling_rate") or 24000), 2, None
        else:
            rate, width, decode = 8000, 1, (ulaw_decode if fmt == "g711_ulaw" else alaw_decode)
        td = s.get("turn_detection")
        key = (fmt, rate, json.dumps(td, sort_keys=True))
        if key == self._audio_key:
            return
        if (fmt, rate) != self._audio_key[:2]:
            self._buffer.clear()
            self._buffer_start_ms = self._audio_end_ms
        self._audio_key = key
        self._in_rate, self._in_width, self._in_decode = rate, width, decode
        self._speech_item = None
        if td is None:
            self._vad = None
            return
        self._vad = EnergyVad(
            sample_rate=rate,
            threshold=td.get("threshold", 0.5),
            prefix_padding_ms=td.get("prefix_padding_ms", 300),
            silence_duration_ms=td.get("silence_duration_ms", 500),
            min_speech_ms=td.get("speech_duration_ms") or 0,
            origin_ms=self._audio_end_ms,
        )

    @property
    def _in_bytes_per_ms(self) -> float:
        return self._in_rate * self._in_width / 1000

    # --- input audio -----------------------------------------------------------------------------

    def _decode_audio(self, event: Mapping[str, Any]) -> bytes:
        text = _get_str(event, "audio")
        try:
            raw = base64_to_pcm16(text)
        except ValueError:
            _invalid("audio", "Invalid value for 'audio': expected base64-encoded audio bytes.")
        if self._in_width == 2 and len(raw) % 2:
            _invalid(
                "audio",
                f"Invalid value for 'audio': PCM16 audio needs whole 2-byte samples, got {len(raw)} bytes.",
            )
        return raw

    def _on_append(self, event: dict[str, Any]) -> list[Event]:
        raw = self._decode_audio(event)
        self._buffer += raw
        self._audio_end_ms += len(raw) / self._in_bytes_per_ms
        vad = self._vad
        if vad is None:
            return []
        out: list[Event] = []
        for change in vad.feed(raw if self._in_decode is None else self._in_decode(raw)):
            out += self._on_speech_start(change) if change.kind == "start" else self._on_speech_stop(change)
        if not vad.speaking:
            td: dict[str, Any] = self.session.get("turn_detection") or {}
            keep_ms = vad.prefix_padding_ms + (td.get("speech_duration_ms") or 0) + 2 * FRAME_MS
            self._trim_buffer(self._audio_end_ms - keep_ms)
        return out

    def _byte_offset(self, ms: float) -> int:
        offset = round((ms - self._buffer_start_ms) * self._in_bytes_per_ms)
        offset -= offset % self._in_width
        return min(max(offset, 0), len(self._buffer))

    def _trim_buffer(self, before_ms: float) -> None:
        cut = self._byte_offset(before_ms)
        if cut:
            del self._buffer[:cut]
            self._buffer_start_ms += cut / self._in_bytes_per_ms

    def _on_speech_start(self, change: VadEvent) -> list[Event]:
        item_id = self._new_id("item")
        self._speech_item = item_id
        self._speech_start_ms = change.ms
        out = [self._event("input_audio_buffer.speech_started", audio_start_ms=change.ms, item_id=item_id)]
        td: dict[str, Any] = self.session.get("turn_detection") or {}
        if self._response is not None and td.get("interrupt_response", True) is not False:
            out += self._cancel("turn_detected")
        return out

    def _on_speech_stop(self, change: VadEvent) -> list[Event]:
        item_id = self._speech_item or self._new_id("item")
        self._speech_item = None
        out = [self._event("input_audio_buffer.speech_stopped", audio_end_ms=change.ms, item_id=item_id)]
        start = self._byte_offset(self._speech_start_ms)
        end = self._byte_offset(change.ms)
        audio = bytes(self._buffer[start:end])
        del self._buffer[:end]
        self._buffer_start_ms += end / self._in_bytes_per_ms
        out += self._commit_audio(audio, item_id)
        td: dict[str, Any] = self.session.get("turn_detection") or {}
        if td.get("create_response", True) is not False and self._response is None:
            out += self._start_response({}, None)
        return out

    def _on_commit(self, event: dict[str, Any]) -> list[Event]:
        ms = len(self._buffer) / self._in_bytes_per_ms
        if ms < _MIN_COMMIT_MS:
            raise _Reject(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{_MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of audio.",
            )
        item_id = self._speech_item or self._new_id("item")
        audio = bytes(self._buffer)
        self._clear_buffer()
        return self._commit_audio(audio, item_id)

    def _clear_buffer(self) -> None:
        self._buffer.clear()
        self._buffer_start_ms = self._audio_end_ms
        self._speech_item = None
        if self._vad is not None:
            self._vad.reset()

    def _on_clear(self, event: dict[str, Any]) -> list[Event]:
        self._clear_buffer()
        return [self._event("input_audio_buffer.cleared")]

    def _commit_audio(self, audio: bytes, item_id: str) -> list[Event]:
        previous = self.conversation[-1]["id"] if self.conversation else None
        part: dict[str, Any] = {"type": "input_audio", "audio": pcm16_to_base64(audio), "transcript": None}
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [part],
        }
        self._insert(item, len(self.conversation))
        self._meta[item_id] = _Meta(audio_ms=len(audio) / self._in_bytes_per_ms)
        out = [
            self._event("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id),
            self._event("conversation.item.created", previous_item_id=previous, item=_public(item)),
        ]
        if self.session.get("input_audio_transcription"):
            out += self._transcribe(item_id, part, audio)
        return out

    def _transcribe(self, item_id: str, part: dict[str, Any], audio: bytes) -> list[Event]:
        pcm = audio if self._in_decode is None else self._in_decode(audio)
        try:
            transcript = str(self._transcriber(pcm, self._in_rate))
        except Exception as exc:
            return [
                self._event(
                    "conversation.item.input_audio_transcription.failed",
                    item_id=item_id,
                    content_index=0,
                    error={
                        "type": "transcription_error",
                        "code": "transcription_failed",
                        "message": f"Transcription failed: {exc}",
                        "param": None,
                        "event_id": None,
                    },
                )
            ]
        part["transcript"] = transcript
        out = [
            self._event(
                "conversation.item.input_audio_transcription.delta",
                item_id=item_id,
                content_index=0,
                delta=fragment,
            )
            for fragment in split_words(transcript)
        ]
        out.append(
            self._event(
                "conversation.item.input_audio_transcription.completed",
                item_id=item_id,
                content_index=0,
                transcript=transcript,
            )
        )
        return out

    # --- input_audio.turn.* and input_text.* (Azure extras) ---------------------------------------

    def _turn(self, event: Mapping[str, Any]) -> tuple[str, bytearray]:
        turn_id = _get_str(event, "turn_id")
        if turn_id not in self._turns:
            _invalid("turn_id", f"Invalid value: '{turn_id}'. No audio turn with this id was started.")
        return turn_id, self._turns[turn_id]

    def _on_turn_start(self, event: dict[str, Any]) -> list[Event]:
        self._turns[_get_str(event, "turn_id")] = bytearray()
        return []

    def _on_turn_append(self, event: dict[str, Any]) -> list[Event]:
        _, audio = self._turn(event)
        audio += self._decode_audio(event)
        return []

    def _on_turn_end(self, event: dict[str, Any]) -> list[Event]:
        turn_id, audio = self._turn(event)
        del self._turns[turn_id]
        if not audio:
            return []
        return self._commit_audio(bytes(audio), self._new_id("item"))

    def _on_turn_cancel(self, event: dict[str, Any]) -> list[Event]:
        turn_id, _ = self._turn(event)
        del self._turns[turn_id]
        return []

    def _on_text_delta(self, event: dict[str, Any]) -> list[Event]:
        item_id = _get_str(event, "id")
        self._texts.setdefault(item_id, []).append(_get_str(event, "delta"))
        return []

    def _on_text_done(self, event: dict[str, Any]) -> list[Event]:
        item_id = _get_str(event, "id")
        if item_id not in self._texts:
            _invalid("id", f"Invalid value: '{item_id}'. No input_text.delta was sent for this id.")
        text = "".join(self._texts.pop(item_id))
        item = {
            "id": item_id,
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        return self._create_item(item, None)

    # --- conversation ----------------------------------------------------------------------------

    def _insert(self, item: dict[str, Any], index: int) -> None:
        self.conversation.insert(index, item)
        self._items[item["id"]] = item

    def _normalize_item(self, raw: _Json, param: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            _reject_type(param, "an object", raw)
        kind = _get_str(raw, "type", f"{param}.type")
        item_id = _get_str(raw, "id", f"{param}.id", required=False)
        if item_id is not None and item_id in self._items:
            _invalid(f"{param}.id", f"Invalid value: '{item_id}'. An item with this id already exists.")
        base: dict[str, Any] = {
            "id": item_id or self._new_id("item"),
            "object": "realtime.item",
            "type": kind,
        }
        if kind == "message":
            role = _get_str(raw, "role", f"{param}.role")
            allowed = _PART_TYPES.get(role)
            if allowed is None:
                _invalid(
                    f"{param}.role", f"Invalid value: '{role}'. Supported roles are: user, assistant, system."
                )
            content: _Json = raw.get("content")
            if content is None:
                _missing(f"{param}.content")
            if not isinstance(content, list):
                _reject_type(f"{param}.content", "an array", content)
            parts = [self._normalize_part(p, f"{param}.content[{i}]", allowed) for i, p in enumerate(content)]
            return {**base, "status": "completed", "role": role, "content": parts}
        if kind == "function_call":
            return {
                **base,
                "status": "completed",
                "name": _get_str(raw, "name", f"{param}.name"),
                "call_id": _get_str(raw, "call_id", f"{param}.call_id"),
                "arguments": _get_str(raw, "arguments", f"{param}.arguments", required=False) or "{}",
            }
        if kind == "function_call_output":
            return {
                **base,
                "call_id": _get_str(raw, "call_id", f"{param}.call_id"),
                "output": _get_str(raw, "output", f"{param}.output"),
            }
        _invalid(
            f"{param}.type",
            f"Invalid value: '{kind}'. Supported item types are: "
            "message, function_call, function_call_output.",
        )

    @staticmethod
    def _normalize_part(raw: _Json, param: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            _reject_type(param, "an object", raw)
        kind = _get_str(raw, "type", f"{param}.type")
        if kind not in allowed:
            _invalid(
                f"{param}.type",
                f"Invalid value: '{kind}'. Supported content types for this role are: {', '.join(allowed)}.",
            )
        if kind in ("input_text", "text"):
            return {"type": kind, "text": _get_str(raw, "text", f"{param}.text")}
        if kind == "input_audio":
            audio = _get_str(raw, "audio", f"{param}.audio")
            try:
                base64_to_pcm16(audio)
            except ValueError:
                _invalid(
                    f"{param}.audio", f"Invalid value for '{param}.audio': expected base64-encoded audio."
                )
            transcript = _get_str(raw, "transcript", f"{param}.transcript", required=False)
            return {"type": kind, "audio": audio, "transcript": transcript}
        if kind == "audio":
            transcript = _get_str(raw, "transcript", f"{param}.transcript", required=False)
            return {"type": kind, "transcript": transcript}
        part = {"type": kind, "image_url": _get_str(raw, "image_url", f"{param}.image_url")}
        if raw.get("detail") is not None:
            part["detail"] = _get_str(raw, "detail", f"{param}.detail")
        return part

    def _create_item(self, raw: _Json, previous_item_id: object, param: str = "item") -> list[Event]:
        if previous_item_id is not None and not isinstance(previous_item_id, str):
            _reject_type("previous_item_id", "a string", previous_item_id)
        item = self._normalize_item(raw, param)
        if previous_item_id is None:
            index = len(self.conversation)
        elif previous_item_id == "root":
            index = 0
        elif previous_item_id in self._items:
            index = self.conversation.index(self._items[previous_item_id]) + 1
        else:
            _invalid(
                "previous_item_id",
                f"Invalid value: '{previous_item_id}'. No conversation item has this id.",
            )
        self._insert(item, index)
        meta = _Meta()
        for part in item.get("content") or ():
            if part["type"] == "input_audio":
                meta.audio_ms += len(base64_to_pcm16(part["audio"])) / self._in_bytes_per_ms
        self._meta[item["id"]] = meta
        previous = self.conversation[index - 1]["id"] if index else None
        return [self._event("conversation.item.created", previous_item_id=previous, item=_public(item))]

    def _on_item_create(self, event: dict[str, Any]) -> list[Event]:
        if event.get("item") is None:
            _missing("item")
        return self._create_item(event["item"], event.get("previous_item_id"))

    def _find(self, event: Mapping[str, Any]) -> dict[str, Any]:
        item_id = _get_str(event, "item_id")
        item = self._items.get(item_id)
        if item is None:
            _invalid("item_id", f"Invalid value: '{item_id}'. No conversation item has this id.")
        return item

    def _on_item_retrieve(self, event: dict[str, Any]) -> list[Event]:
        return [self._event("conversation.item.retrieved", item=_snap(self._find(event)))]

    def _on_item_delete(self, event: dict[str, Any]) -> list[Event]:
        item = self._find(event)
        self.conversation.remove(item)
        del self._items[item["id"]]
        self._meta.pop(item["id"], None)
        return [self._event("conversation.item.deleted", item_id=item["id"])]

    def _on_item_truncate(self, event: dict[str, Any]) -> list[Event]:
        item = self._find(event)
        content_index = _get_int(event, "content_index")
        audio_end_ms = _get_int(event, "audio_end_ms")
        if item.get("type") != "message" or item.get("role") != "assistant":
            _invalid(
                "item_id", "Invalid value for 'item_id': only model output audio messages can be truncated."
            )
        content = item["content"]
        if content_index >= len(content) or content[content_index].get("type") != "audio":
            _invalid(
                "content_index",
                f"Invalid value for 'content_index': content part {content_index} of item "
                f"'{item['id']}' is not model output audio.",
            )
        meta = self._meta.setdefault(item["id"], _Meta())
        if audio_end_ms > meta.audio_ms:
            _invalid(
                "audio_end_ms",
                f"Audio content of {round(meta.audio_ms)}ms is already shorter than {audio_end_ms}ms.",
            )
        meta.audio_ms = float(audio_end_ms)
        meta.words = tuple(w for w in meta.words if w[1] < audio_end_ms)
        content[content_index]["transcript"] = "".join(w[0] for w in meta.words).rstrip()
        return [
            self._event(
                "conversation.item.truncated",
                item_id=item["id"],
                content_index=content_index,
                audio_end_ms=audio_end_ms,
            )
        ]

    # --- responses -------------------------------------------------------------------------------

    def _on_response_create(self, event: dict[str, Any]) -> list[Event]:
        params: _Json = event.get("response")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            _reject_type("response", "an object", params)
        extra = _get_str(event, "additional_instructions", required=False)
        return self._start_response(params, extra)

    def _on_response_cancel(self, event: dict[str, Any]) -> list[Event]:
        response_id = _get_str(event, "response_id", required=False)
        if self._response is None or (response_id is not None and response_id != self._response.id):
            raise _Reject(
                "response_cancel_not_active",
                "Cancellation failed: no active response found"
                + (f" with id '{response_id}'." if response_id else "."),
            )
        return self._cancel("client_cancelled")

    def _on_output_clear(self, event: dict[str, Any]) -> list[Event]:
        return [self._event("output_audio_buffer.cleared")]

    def _unsupported(self, event: dict[str, Any]) -> list[Event]:
        kind = event["type"]
        raise _Reject(
            "unsupported_event",
            f"The client event '{kind}' is not supported by the fake Voice Live server.",
            "type",
        )

    def _response_config(self, params: Mapping[str, Any], extra: str | None) -> dict[str, Any]:
        config = dict(self.session)
        config["max_output_tokens"] = self.session.get("max_response_output_tokens", "inf")
        for key in ("modalities", "voice", "output_audio_format", "tools", "tool_choice", "temperature"):
            if params.get(key) is not None:
                config[key] = _SESSION_FIELDS[key](self, params[key], f"response.{key}")
        if params.get("max_output_tokens") is not None:
            config["max_output_tokens"] = _check_max_tokens(
                self, params["max_output_tokens"], "response.max_output_tokens"
            )
        instructions = params.get("instructions")
        if instructions is not None:
            if not isinstance(instructions, str):
                _reject_type("response.instructions", "a string", instructions)
            config["instructions"] = instructions
        if extra:
            config["instructions"] = f"{config.get('instructions') or ''}\n{extra}".strip()
        metadata = params.get("metadata")
        if metadata is not None:
            config["metadata"] = _check_metadata(self, metadata, "response.metadata")
        return config

    def _start_response(self, params: Mapping[str, Any], extra: str | None) -> list[Event]:
        if self._response is not None:
            raise _Reject(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self._response.id}. "
                "Wait until the response is finished before creating a new one.",
            )
        config = self._response_config(params, extra)
        mode = params.get("conversation", "auto")
        if mode not in ("auto", "none"):
            _invalid("response.conversation", f"Invalid value: '{mode}'. Supported values are: auto, none.")
        in_conversation = mode == "auto"
        given: _Json = params.get("input_items", params.get("input"))
        if given is not None:
            if not isinstance(given, list):
                _reject_type("response.input_items", "an array", given)
            context = [self._normalize_item(raw, f"response.input_items[{i}]") for i, raw in enumerate(given)]
        else:
            context = list(self.conversation) if in_conversation else []
        appended: _Json = params.get("append_input_items")
        if appended is not None:
            if not isinstance(appended, list):
                _reject_type("response.append_input_items", "an array", appended)
            context += [
                self._normalize_item(raw, f"response.append_input_items[{i}]")
                for i, raw in enumerate(appended)
            ]
        response_id = self._new_id("resp")
        payload: dict[str, Any] = {
            "id": response_id,
            "object": "realtime.response",
            "status": "in_progress",
            "status_details": None,
            "output": [],
            "usage": None,
            "conversation_id": self._conversation_id if in_conversation else None,
            "modalities": list(config["modalities"]),
            "voice": config["voice"],
            "output_audio_format": config["output_audio_format"],
            "temperature": config["temperature"],
            "max_output_tokens": config["max_output_tokens"],
            "metadata": config["metadata"] if params.get("metadata") is not None else None,
        }
        r = _Response(response_id, payload, config, context, in_conversation)
        self._response = r
        out = [self._event("response.created", response=dict(payload))]
        try:
            result = self._responder(list(context), config)
        except Exception as exc:
            self._begin_failure(r, exc)
            return out
        if inspect.isawaitable(result):
            r.pending = PendingReply(response_id, result)
        else:
            self._begin(r, result)
        return out

    def _start_stream(self, r: _Response, steps: Iterator[tuple[float, Event]]) -> None:
        r.gen = steps
        r.started_at = self._clock()
        r.next = next(steps, None)

    def _begin(self, r: _Response, result: object) -> None:
        try:
            replies = normalize_replies(result)
        except TypeError as exc:
            self._begin_failure(r, exc)
            return
        self._start_stream(r, self._steps(r, replies))

    def _begin_failure(self, r: _Response, error: BaseException) -> None:
        def steps() -> Iterator[tuple[float, Event]]:
            r.payload["status"] = "failed"
            r.payload["status_details"] = {
                "type": "failed",
                "error": {
                    "type": "server_error",
                    "code": "responder_error",
                    "message": f"{type(error).__name__}: {error}",
                },
            }
            r.payload["usage"] = self._usage(r)
            yield 0.0, self._later("response.done", response=dict(r.payload))

        self._start_stream(r, steps())

    def _steps(
        self, r: _Response, replies: list[TextReply | FunctionCallReply]
    ) -> Iterator[tuple[float, Event]]:
        for index, reply in enumerate(replies):
            if isinstance(reply, FunctionCallReply):
                yield from self._call_steps(r, index, reply)
            else:
                yield from self._message_steps(r, index, reply.text)
        if r.incomplete:
            r.payload["status"] = "incomplete"
            r.payload["status_details"] = {"type": "incomplete", "reason": "max_output_tokens"}
        else:
            r.payload["status"] = "completed"
        r.payload["output"] = [_snap(item) for item in r.items]
        r.payload["usage"] = self._usage(r)
        yield r.offset, self._later("response.done", response=dict(r.payload))

    def _add_item(self, r: _Response, item: dict[str, Any], index: int) -> Iterator[tuple[float, Event]]:
        yield (
            r.offset,
            self._later("response.output_item.added", response_id=r.id, output_index=index, item=_snap(item)),
        )
        r.items.append(item)
        r.open = _OpenItem(item, index)
        self._meta.setdefault(item["id"], _Meta())
        if r.in_conversation:
            previous = self.conversation[-1]["id"] if self.conversation else None
            yield (
                r.offset,
                self._later("conversation.item.created", previous_item_id=previous, item=_snap(item)),
            )
            self._insert(item, len(self.conversation))

    def _limit(self, r: _Response, text: str) -> str:
        limit = r.config.get("max_output_tokens")
        if not isinstance(limit, int) or _tokens(text) <= limit:
            return text
        r.incomplete = True
        kept = ""
        for fragment in split_words(text):
            if _tokens(kept + fragment) > limit:
                break
            kept += fragment
        return kept.rstrip()

    def _message_steps(self, r: _Response, index: int, text: str) -> Iterator[tuple[float, Event]]:
        item_id = self._new_id("item")
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        yield from self._add_item(r, item, index)
        text = self._limit(r, text)
        audio = "audio" in r.config["modalities"]
        part: dict[str, Any] = {"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""}
        ids = {"response_id": r.id, "item_id": item_id, "output_index": index, "content_index": 0}
        yield r.offset, self._later("response.content_part.added", **ids, part=dict(part))
        item["content"].append(part)
        assert r.open is not None
        r.open.part, r.open.audio = part, audio
        if audio:
            yield from self._speak(r, item_id, part, text, ids)
        else:
            for fragment in split_words(text):
                yield r.offset, self._later("response.text.delta", **ids, delta=fragment)
                part["text"] += fragment
            yield r.offset, self._later("response.text.done", **ids, text=text)
            part["text"] = text
        yield r.offset, self._later("response.content_part.done", **ids, part=dict(part))
        item["status"] = "incomplete" if r.incomplete else "completed"
        yield (
            r.offset,
            self._later("response.output_item.done", response_id=r.id, output_index=index, item=_snap(item)),
        )
        r.open = None

    def _speak(
        self, r: _Response, item_id: str, part: dict[str, Any], text: str, ids: dict[str, Any]
    ) -> Iterator[tuple[float, Event]]:
        fmt = r.config["output_audio_format"]
        utterance = synthesize(text, fmt)
        meta = self._meta.setdefault(item_id, _Meta())
        meta.words = utterance.words
        per_ms = bytes_per_ms(fmt)
        chunk = per_ms * _CHUNK_MS
        stamps = "word" in (r.config.get("output_audio_timestamp_types") or ())
        words = utterance.words
        base = r.offset
        w = 0
        data = utterance.audio
        for start in range(0, len(data), chunk):
            piece = data[start : start + chunk]
            at = base + start / per_ms / 1000
            end_ms = (start + len(piece)) / per_ms
            while w < len(words) and words[w][1] < end_ms:
                yield from self._word(r, part, words[w], ids, at, stamps)
                w += 1
            yield at, self._later("response.audio.delta", **ids, delta=pcm16_to_base64(piece))
            meta.audio_ms = end_ms
            r.offset = at
        while w < len(words):
            yield from self._word(r, part, words[w], ids, r.offset, stamps)
            w += 1
        if stamps:
            yield r.offset, self._later("response.audio_timestamp.done", **ids)
        yield r.offset, self._later("response.audio.done", **ids)
        yield r.offset, self._later("response.audio_transcript.done", **ids, transcript=text)
        part["transcript"] = text
        r.offset = base + utterance.duration_ms / 1000

    def _word(
        self,
        r: _Response,
        part: dict[str, Any],
        word: tuple[str, int, int],
        ids: dict[str, Any],
        at: float,
        stamps: bool,
    ) -> Iterator[tuple[float, Event]]:
        fragment, offset_ms, duration_ms = word
        yield at, self._later("response.audio_transcript.delta", **ids, delta=fragment)
        part["transcript"] += fragment
        if stamps:
            yield (
                at,
                self._later(
                    "response.audio_timestamp.delta",
                    **ids,
                    text=fragment.strip(),
                    audio_offset_ms=offset_ms,
                    audio_duration_ms=duration_ms,
                    timestamp_type="word",
                ),
            )

    def _call_steps(
        self, r: _Response, index: int, reply: FunctionCallReply
    ) -> Iterator[tuple[float, Event]]:
        item_id = self._new_id("item")
        call_id = reply.call_id or self._new_id("call")
        arguments = reply.arguments_json()
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "name": reply.name,
            "call_id": call_id,
            "arguments": "",
        }
        yield from self._add_item(r, item, index)
        ids = {"response_id": r.id, "item_id": item_id, "output_index": index, "call_id": call_id}
        for start in range(0, len(arguments), _ARGUMENT_CHUNK):
            piece = arguments[start : start + _ARGUMENT_CHUNK]
            yield r.offset, self._later("response.function_call_arguments.delta", **ids, delta=piece)
            item["arguments"] += piece
        yield (
            r.offset,
            self._later("response.function_call_arguments.done", **ids, name=reply.name, arguments=arguments),
        )
        item["arguments"] = arguments
        item["status"] = "completed"
        yield (
            r.offset,
            self._later("response.output_item.done", response_id=r.id, output_index=index, item=_snap(item)),
        )
        r.open = None

    def _discard(self, r: _Response) -> None:
        if r.gen is not None and hasattr(r.gen, "close"):
            cast("Generator[Any, Any, Any]", r.gen).close()  # the steps are generators
        r.gen = r.next = None
        if r.pending is not None and not r.pending_taken:
            awaitable = r.pending.awaitable
            if inspect.iscoroutine(awaitable):
                awaitable.close()
        r.pending = None

    def _cancel(self, reason: str) -> list[Event]:
        r = self._response
        assert r is not None
        self._response = None
        self._discard(r)
        out: list[Event] = []
        opened = r.open
        if opened is not None:
            item = opened.item
            index = opened.output_index
            part = opened.part
            if part is not None:
                ids = {"response_id": r.id, "item_id": item["id"], "output_index": index, "content_index": 0}
                if opened.audio:
                    out.append(self._event("response.audio.done", **ids))
                    out.append(
                        self._event("response.audio_transcript.done", **ids, transcript=part["transcript"])
                    )
                else:
                    out.append(self._event("response.text.done", **ids, text=part["text"]))
                out.append(self._event("response.content_part.done", **ids, part=dict(part)))
            item["status"] = "incomplete"
            out.append(
                self._event(
                    "response.output_item.done", response_id=r.id, output_index=index, item=_snap(item)
                )
            )
        r.payload["status"] = "cancelled"
        r.payload["status_details"] = {"type": "cancelled", "reason": reason}
        r.payload["output"] = [_snap(item) for item in r.items]
        r.payload["usage"] = self._usage(r)
        out.append(self._event("response.done", response=dict(r.payload)))
        return out

    def _usage(self, r: _Response) -> dict[str, Any]:
        in_text = _tokens(r.config.get("instructions") or "")
        in_audio = 0
        for item in r.context:
            in_text += _tokens(_item_text(item))
            meta = self._meta.get(item.get("id", ""))
            if meta is not None:
                in_audio += int(meta.audio_ms) // _AUDIO_MS_PER_TOKEN
        out_text = sum(_tokens(_item_text(item)) for item in r.items)
        out_audio = sum(
            int(self._meta[item["id"]].audio_ms) // _AUDIO_MS_PER_TOKEN
            for item in r.items
            if item["id"] in self._meta
        )
        return {
            "total_tokens": in_text + in_audio + out_text + out_audio,
            "input_tokens": in_text + in_audio,
            "output_tokens": out_text + out_audio,
            "input_token_details": {
                "cached_tokens": 0,
                "text_tokens": in_text,
                "audio_tokens": in_audio,
                "image_tokens": 0,
                "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
            },
            "output_token_details": {
                "text_tokens": out_text,
                "audio_tokens": out_audio,
                "reasoning_tokens": 0,
            },
        }


# --- session field validators ---------------------------------------------------------------------

_Check = Callable[[Simulator, Any, str], Any]

_VOICE_TYPES: dict[str, tuple[str, ...]] = {
    "openai": ("name",),
    "azure-standard": ("name",),
    "azure-custom": ("name", "endpoint_id"),
    "azure-personal": ("name", "model"),
    "azure-realtime-native": ("name",),
    "avatar-voice-sync": (),
}

_PART_TYPES: dict[str, tuple[str, ...]] = {
    "user": ("input_text", "input_audio", "input_image"),
    "system": ("input_text",),
    "assistant": ("text", "audio"),
}


def _check_str(sim: Simulator, value: Any, param: str) -> str:
    if not isinstance(value, str):
        _reject_type(param, "a string", value)
    return value


def _check_object(sim: Simulator, value: _Json, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _reject_type(param, "an object", value)
    return dict(value)


def _check_str_list(sim: Simulator, value: _Json, param: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _reject_type(param, "an array of strings", value)
    return list(value)


def _check_modalities(sim: Simulator, value: Any, param: str) -> list[str]:
    modalities = _check_str_list(sim, value, param)
    for modality in modalities:
        if modality not in _MODALITIES:
            _invalid(
                param, f"Invalid value: '{modality}'. Supported modalities are: {', '.join(_MODALITIES)}."
            )
    if not modalities:
        _invalid(param, f"Invalid value for '{param}': at least one modality is required.")
    return modalities


def _check_voice(sim: Simulator, value: Any, param: str) -> Any:
    return sim._validate_voice(value, param)


def _check_choice(options: Iterable[str], what: str) -> _Check:
    allowed = tuple(options)

    def check(sim: Simulator, value: Any, param: str) -> str:
        if not isinstance(value, str):
            _reject_type(param, "a string", value)
        if value not in allowed:
            _invalid(param, f"Invalid value: '{value}'. Supported {what} are: {', '.join(allowed)}.")
        return value

    return check


def _check_rate(sim: Simulator, value: Any, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _reject_type(param, "an integer", value)
    if value not in _INPUT_RATES:
        _invalid(param, f"Invalid value: {value}. Supported input sampling rates are: 24000, 16000, 8000.")
    return value


def _check_turn_detection(sim: Simulator, value: _Json, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _reject_type(param, "an object or null", value)
    kind = value.get("type")
    if kind is None:
        _missing(f"{param}.type")
    if kind not in _TURN_TYPES:
        _invalid(
            f"{param}.type",
            f"Invalid value: '{kind}'. Supported turn detection types are: {', '.join(_TURN_TYPES)}.",
        )
    merged = _turn_defaults(kind)
    for key, given in value.items():
        if given is None:
            continue
        sub = f"{param}.{key}"
        if key == "threshold":
            given = _check_number(given, sub, 0.0, 1.0)
        elif key in ("prefix_padding_ms", "silence_duration_ms", "speech_duration_ms"):
            given = _check_ms(given, sub)
        elif key in ("create_response", "interrupt_response", "auto_truncate", "remove_filler_words"):
            given = _check_bool(given, sub)
        merged[key] = given
    return merged


def _check_transcription(sim: Simulator, value: _Json, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _reject_type(param, "an object or null", value)
    model = value.get("model")
    if model is None:
        _missing(f"{param}.model")
    if not isinstance(model, str) or not model:
        _invalid(f"{param}.model", f"Invalid value for '{param}.model': expected a transcription model name.")
    return dict(value)


def _check_tools(sim: Simulator, value: _Json, param: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        _reject_type(param, "an array", value)
    tools: list[dict[str, Any]] = []
    tool: _Json
    for i, tool in enumerate(value):
        sub = f"{param}[{i}]"
        if not isinstance(tool, dict):
            _reject_type(sub, "an object", tool)
        kind = tool.get("type")
        if kind not in ("function", "mcp"):
            _invalid(f"{sub}.type", f"Invalid value: '{kind}'. Supported tool types are: function, mcp.")
        if kind == "function":
            name = tool.get("name")
            if name is None:
                _missing(f"{sub}.name")
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
                _invalid(
                    f"{sub}.name",
                    f"Invalid value: {name!r}. Function names use 1-64 letters, digits, _ or -.",
                )
            if tool.get("parameters") is not None and not isinstance(tool["parameters"], dict):
                _reject_type(f"{sub}.parameters", "a JSON schema object", tool["parameters"])
        tools.append(dict(tool))
    return tools


def _check_tool_choice(sim: Simulator, value: _Json, param: str) -> Any:
    if isinstance(value, str):
        if value not in _TOOL_CHOICES:
            _invalid(param, f"Invalid value: '{value}'. Supported values are: auto, none, required.")
        return value
    if isinstance(value, dict) and value.get("type") == "function" and isinstance(value.get("name"), str):
        return dict(value)
    _invalid(param, f"Invalid value for '{param}': expected auto, none, required or a function selection.")


def _check_temperature(sim: Simulator, value: Any, param: str) -> float:
    return _check_number(value, param, 0.0, 2.0)


def _check_max_tokens(sim: Simulator, value: Any, param: str) -> int | str:
    if value == "inf":
        return "inf"
    if isinstance(value, bool) or not isinstance(value, int):
        _reject_type(param, "an integer or 'inf'", value)
    if not 1 <= value <= 4096:
        _invalid(param, f"Invalid value for '{param}': {value} is outside the range 1 to 4096.")
    return value


def _check_metadata(sim: Simulator, value: _Json, param: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        _reject_type(param, "an object of strings", value)
    return dict(value)


def _check_bool_field(sim: Simulator, value: Any, param: str) -> bool:
    return _check_bool(value, param)


_SESSION_FIELDS: dict[str, _Check] = {
    "model": _check_str,
    "modalities": _check_modalities,
    "animation": _check_object,
    "voice": _check_voice,
    "instructions": _check_str,
    "input_audio_sampling_rate": _check_rate,
    "input_audio_format": _check_choice(_INPUT_FORMATS, "input audio formats"),
    "output_audio_format": _check_choice(OUTPUT_FORMATS, "output audio formats"),
    "turn_detection": _check_turn_detection,
    "input_audio_noise_reduction": _check_object,
    "input_audio_echo_cancellation": _check_object,
    "avatar": _check_object,
    "input_audio_transcription": _check_transcription,
    "output_audio_timestamp_types": _check_str_list,
    "tools": _check_tools,
    "tool_choice": _check_tool_choice,
    "parallel_tool_calls": _check_bool_field,
    "temperature": _check_temperature,
    "max_response_output_tokens": _check_max_tokens,
    "reasoning_effort": _check_str,
    "interim_response": _check_object,
    "include": _check_str_list,
    "metadata": _check_metadata,
}
