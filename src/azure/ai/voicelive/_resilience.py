"""Opt-in reconnect, sans-I/O: the policy, failure classification, backoff, and carry-over state.

Nothing here does I/O or imports aiohttp: the ``aio`` layer feeds it what was sent and received
and asks it what to do (wait how long, send what to the new session, is now a quiet moment).

* [`ReconnectPolicy`][] -- the user's choice (``connect(..., reconnect=ReconnectPolicy())``).
* [`Disconnect`][] -- why a connection ended or could not be opened; `should_retry()`
  is the default classification.
* `RetryBudget` -- backoff with full jitter, capped per attempt, limited in attempts and
  total time, honouring ``Retry-After``; 401/403 get one more try with a fresh credential.
* `CallState` -- what a new session needs: the merge of every ``session.update`` sent and
  the conversation so far (replayable items), plus whether the call is at a quiet moment.
* `OutageQueue` -- client events sent while no connection is open: control events in
  order, input audio up to a bound (the oldest dropped and counted).
"""

from __future__ import annotations

import json
import math
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

if TYPE_CHECKING:
    from .models._base import _Json

__all__ = [
    "CARRY_PREFIX",
    "RETRYABLE_CLOSE_CODES",
    "CallState",
    "Carried",
    "Disconnect",
    "DisconnectKind",
    "OutageQueue",
    "ReconnectPolicy",
    "RetryBudget",
    "is_session_expired",
    "should_retry",
]

#: Close codes after which a new connection is likely to work: going away, abnormal closure,
#: internal error, service restart, try again later, bad gateway.
RETRYABLE_CLOSE_CODES = frozenset((1001, 1006, 1011, 1012, 1013, 1014))
#: ``event_id`` prefix of the events the SDK sends to carry state over to a new session.
CARRY_PREFIX = "vl_carry_"
_RETRYABLE_STATUS = frozenset((408, 429))
_AUTH_STATUS = frozenset((401, 403))

DisconnectKind = Literal["closed", "session_expired", "handshake"]


@dataclass(frozen=True)
class Disconnect:
    """Why a connection ended, or why opening one failed (what a retry decision looks at).

    ``kind`` is ``"closed"`` (the server closed the WebSocket or the network dropped it:
    ``code`` is the close code, 1006 for a drop), ``"session_expired"`` (the service ended the
    session at ``expires_at``: an ``error`` event with code ``session_expired``, then a close)
    or ``"handshake"`` (a new connection could not be opened: ``status_code`` is the HTTP
    status, ``None`` for DNS, TCP, TLS failures and timeouts; ``retry_after`` in seconds when
    the service sent one). ``error`` is the exception seen, if any.
    """

    kind: DisconnectKind
    code: int | None = None
    reason: str = ""
    status_code: int | None = None
    retry_after: float | None = None
    error: BaseException | None = field(default=None, compare=False, repr=False)


def should_retry(disconnect: Disconnect) -> bool:
    """The default classification: whether a new connection is worth trying.

    Retried: close codes 1001, 1006, 1011, 1012, 1013, 1014; ``session_expired``; handshake
    failures without an HTTP answer (DNS, TCP, TLS, timeout), HTTP 408, 429 and 5xx; 401/403
    (`RetryBudget` allows only one more attempt, with a fresh credential). Not retried:
    a close with 1000, 1008 or any other code; HTTP 400, 404 and other 4xx.
    """
    kind = disconnect.kind
    if kind == "session_expired":
        return True
    if kind == "closed":
        return disconnect.code in RETRYABLE_CLOSE_CODES
    status = disconnect.status_code
    if status is None:
        return True
    return status in _RETRYABLE_STATUS or status in _AUTH_STATUS or 500 <= status <= 599


def _non_negative(name: str, value: object, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == math.inf:
        raise ValueError(f"ReconnectPolicy.{name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class ReconnectPolicy:
    """Opt-in reconnect: ``connect(..., reconnect=ReconnectPolicy())``.

    When the connection drops, the service closes it (1001, 1006, 1011-1014), the session
    expires, or a handshake fails with 429/5xx, the connection opens a new WebSocket (with a
    fresh token or key each attempt), restores the session configuration and, with
    ``replay_conversation``, the conversation so far, then continues. The app sees a
    [`ReconnectedEvent`][azure.ai.voicelive.aio.ReconnectedEvent] in the event stream each time.

    * ``max_attempts`` -- handshakes tried per outage before giving up (default 8).
    * ``max_elapsed`` -- seconds an outage may last before giving up (default 60).
    * ``base_delay`` / ``max_delay`` -- backoff with full jitter: attempt *n* waits a random
      time in ``[0, min(max_delay, base_delay * 2**(n-1))]`` seconds (defaults 0.1 and 5),
      or the server's ``Retry-After`` when longer.
    * ``replay_conversation`` -- replay the conversation as items on the new session (user
      text and transcripts, assistant text and transcripts, function calls and outputs; never
      audio). Default ``True``; the session configuration is always restored.
    * ``max_buffered_audio`` -- seconds of microphone audio (``input_audio_buffer.append``)
      kept while reconnecting and sent after; older audio is dropped and counted (default 3).
    * ``max_queued_events`` -- other client events held while reconnecting (default 256); one
      more raises [`ConnectionError`][azure.ai.voicelive.aio.ConnectionError] at once.
    * ``rotate_before`` -- seconds before the session's ``expires_at`` from which the client
      rotates to a new connection at a quiet moment (no response active, no user speech),
      opening it before closing the old one so no audio is missed (default 120; ``None``: no
      rotation, the session is reopened when it expires).
    * ``carry_over_timeout`` -- seconds to wait for a new session to acknowledge the carried
      state (default 10).
    * ``should_retry`` -- ``callable(Disconnect) -> bool | None`` overriding the default
      classification (``None``: use the default, see the module function `should_retry()`).

    Invalid values raise ``ValueError`` (``TypeError`` for a non-callable ``should_retry``).
    """

    max_attempts: int = 8
    max_elapsed: float = 60.0
    base_delay: float = 0.1
    max_delay: float = 5.0
    replay_conversation: bool = True
    max_buffered_audio: float = 3.0
    max_queued_events: int = 256
    rotate_before: float | None = 120.0
    carry_over_timeout: float = 10.0
    should_retry: Callable[[Disconnect], bool | None] | None = None

    def __post_init__(self) -> None:
        for name in ("max_attempts", "max_queued_events"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ReconnectPolicy.{name} must be an int >= 1, got {value!r}")
        for name in ("max_elapsed", "base_delay", "max_delay", "max_buffered_audio"):
            _non_negative(name, getattr(self, name))
        _non_negative("rotate_before", self.rotate_before, allow_none=True)
        _non_negative("carry_over_timeout", self.carry_over_timeout)
        if self.carry_over_timeout == 0:
            raise ValueError("ReconnectPolicy.carry_over_timeout must be > 0")
        if not isinstance(self.replay_conversation, bool):
            raise ValueError(
                f"ReconnectPolicy.replay_conversation must be True or False, got {self.replay_conversation!r}"
            )
        if self.should_retry is not None and not callable(self.should_retry):
            raise TypeError("ReconnectPolicy.should_retry must be a callable(Disconnect) -> bool | None")

    def retries(self, disconnect: Disconnect) -> bool:
        """Whether ``disconnect`` is retried: ``should_retry`` when it decides, else the default."""
        if self.should_retry is not None:
            decided = self.should_retry(disconnect)
            if decided is not None:
                return bool(decided)
        return should_retry(disconnect)


class RetryBudget:
    """One outage's attempts: how long to wait before the next handshake, or give up.

    ``started`` and every ``now`` are seconds on one monotonic clock; ``rng`` returns a float
    in ``[0, 1)`` (injected by tests).
    """

    def __init__(
        self, policy: ReconnectPolicy, started: float, rng: Callable[[], float] = random.random
    ) -> None:
        """Start an outage at ``started``."""
        self.policy = policy
        self.started = started
        self.attempts = 0
        """Handshakes allowed so far (each `next_delay()` that did not give up)."""
        self.auth_failures = 0
        self.gave_up_because = ""
        """Why `next_delay()` returned ``None`` (for the final error and the log)."""
        self._rng = rng

    def next_delay(self, disconnect: Disconnect, now: float) -> float | None:
        """Seconds to wait before the next attempt after ``disconnect``, or ``None`` to give up."""
        policy = self.policy
        if not policy.retries(disconnect):
            self.gave_up_because = "not retryable"
            return None
        if disconnect.kind == "handshake" and disconnect.status_code in _AUTH_STATUS:
            self.auth_failures += 1
            if self.auth_failures > 1 and policy.should_retry is None:
                self.gave_up_because = "authentication failed again with a fresh credential"
                return None
        if self.attempts >= policy.max_attempts:
            self.gave_up_because = f"{policy.max_attempts} attempts failed"
            return None
        ceiling = min(policy.max_delay, policy.base_delay * (2.0**self.attempts))
        delay = self._rng() * ceiling
        if disconnect.retry_after is not None:
            delay = max(delay, disconnect.retry_after)
        if now + delay - self.started > policy.max_elapsed:
            self.gave_up_because = f"the outage would exceed max_elapsed={policy.max_elapsed:g} s"
            return None
        self.attempts += 1
        return delay


def is_session_expired(data: Mapping[str, Any]) -> bool:
    """Whether a server event (wire dict) is the ``error`` that announces the end of the session."""
    if data.get("type") != "error":
        return False
    error: _Json = data.get("error")
    return isinstance(error, dict) and error.get("code") == "session_expired"


@dataclass
class Carried:
    """What `CallState.carry_over_events()` carries to a new session, and what it cannot."""

    session_restored: bool = False
    items_replayed: int = 0
    items_not_replayed: int = 0
    lost: list[str] = field(default_factory=list[str])


_MAX_UNACKED = 64


def _item_key(item: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a sent item and the service's echo of it have in common (ids and status may differ)."""
    content: _Json = item.get("content")
    texts: tuple[Any, ...] = ()
    if isinstance(content, list):
        parts: list[_Json] = content
        texts = tuple(part.get("text") for part in parts if isinstance(part, dict))
    return (
        item.get("type"),
        item.get("role"),
        item.get("call_id"),
        item.get("name"),
        item.get("output"),
        texts,
    )


def _text_part(text: str, role: str) -> dict[str, Any]:
    return {"type": "text" if role == "assistant" else "input_text", "text": text}


class CallState:
    """What a call has set up, kept so a new session can be given the same (sans-I/O).

    Feed it every client event sent (`sent()`; audio appends through `audio_sent()`)
    and every server event received (`received()`, the wire dict). It keeps the merge of
    every ``session.update`` and the conversation items the server confirmed, in order, and
    knows whether a response is active or the user is speaking.
    """

    def __init__(self) -> None:
        """An empty call."""
        self.session: dict[str, Any] = {}
        """The merge of every ``session.update`` sent (top-level fields, the last one wins)."""
        self.items: dict[str, dict[str, Any]] = {}
        """The conversation items by id, in conversation order (server wire shape)."""
        self.session_id: str | None = None
        self.expires_at: float | None = None
        """The session's ``expires_at`` (Unix seconds) from ``session.created``/``updated``."""
        self.response_id: str | None = None
        self.response_requested = False
        self.speaking = False
        self.uncommitted_audio = False
        self.changes = 0
        """Bumped by everything that changes what would be carried over (rotation checks it)."""
        self._transcripts: dict[tuple[str, int], str] = {}
        # Items sent with conversation.item.create whose conversation.item.created has not come:
        # if the session ends now they exist nowhere, so they are replayed too.
        self._unacked: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "session.created": self._on_session,
            "session.updated": self._on_session,
            "conversation.item.created": self._on_item,
            "response.output_item.done": self._on_item,
            "conversation.item.retrieved": self._on_item,
            "conversation.item.deleted": self._on_deleted,
            "conversation.item.input_audio_transcription.completed": self._on_transcript,
            "response.created": self._on_response_created,
            "response.done": self._on_response_done,
            "input_audio_buffer.speech_started": self._on_speech_started,
            "input_audio_buffer.speech_stopped": self._on_speech_stopped,
            "input_audio_buffer.committed": self._on_buffer_done,
            "input_audio_buffer.cleared": self._on_buffer_done,
        }
        self._handler = self._handlers.get

    # ----------------------------------------------------------------- client events
    def sent(self, text: str, *, written: bool = True) -> None:
        """A client event (not an audio append) was sent as this JSON text (``written=False``:
        held for a reconnect; call `written()` once it goes out)."""
        try:
            event: _Json = json.loads(text)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        if written and kind == "conversation.item.create":
            self._track(event)
        if kind == "session.update":
            session: _Json = event.get("session")
            if isinstance(session, dict):
                self.session.update(session)
                self.changes += 1
        elif kind == "response.create":
            self.response_requested = True
            self.changes += 1
        elif kind in ("input_audio_buffer.commit", "input_audio_buffer.clear"):
            self.uncommitted_audio = False
        elif kind is not None and str(kind).startswith("conversation."):
            self.changes += 1

    def written(self, text: str) -> None:
        """A held client event went out: an item it creates now awaits its acknowledgement."""
        if '"conversation.item.create"' not in text:
            return
        try:
            event: _Json = json.loads(text)
        except ValueError:
            return
        if isinstance(event, dict) and event.get("type") == "conversation.item.create":
            self._track(event)

    def _track(self, event: dict[str, Any]) -> None:
        item: _Json = event.get("item")
        if isinstance(item, dict):
            self._unacked.append((_item_key(item), item))
            del self._unacked[:-_MAX_UNACKED]

    def audio_sent(self) -> None:
        """An ``input_audio_buffer.append`` was sent (the hot path: nothing is parsed)."""
        self.uncommitted_audio = True

    # ----------------------------------------------------------------- server events
    def received(self, data: dict[str, Any]) -> None:
        """A server event arrived (its wire dict; it is not modified)."""
        handler = self._handler(data.get("type"))  # type: ignore[arg-type]
        if handler is not None:
            handler(data)

    def _on_session(self, data: dict[str, Any]) -> None:
        session: _Json = data.get("session")
        if not isinstance(session, dict):
            return
        sid: Any = session.get("id")
        if isinstance(sid, str):
            self.session_id = sid
        expires: Any = session.get("expires_at")
        if isinstance(expires, (int, float)) and not isinstance(expires, bool) and expires > 0:
            self.expires_at = float(expires)

    def _on_item(self, data: dict[str, Any]) -> None:
        item: _Json = data.get("item")
        if not isinstance(item, dict):
            return
        item_id: Any = item.get("id")
        if not isinstance(item_id, str):
            return
        self.changes += 1
        if self._unacked and data.get("type") == "conversation.item.created":
            echo = _item_key(item)
            for n, (pending, _) in enumerate(self._unacked):
                if pending == echo:
                    del self._unacked[n]
                    break
        if item_id in self.items:
            self.items[item_id] = item
            return
        previous: Any = data.get("previous_item_id")
        if isinstance(previous, str) and previous in self.items and next(reversed(self.items)) != previous:
            # Inserted in the middle: rebuild the order (rare: previous_item_id given by the app).
            ordered: dict[str, dict[str, Any]] = {}
            for key, value in self.items.items():
                ordered[key] = value
                if key == previous:
                    ordered[item_id] = item
            self.items = ordered
        elif previous == "root" and self.items:
            self.items = {item_id: item, **self.items}
        else:
            self.items[item_id] = item

    def _on_deleted(self, data: dict[str, Any]) -> None:
        item_id: Any = data.get("item_id")
        if isinstance(item_id, str) and self.items.pop(item_id, None) is not None:
            self.changes += 1

    def _on_transcript(self, data: dict[str, Any]) -> None:
        item_id: Any = data.get("item_id")
        transcript: Any = data.get("transcript")
        index: Any = data.get("content_index", 0)
        if isinstance(item_id, str) and isinstance(transcript, str) and isinstance(index, int):
            self._transcripts[(item_id, index)] = transcript
            self.changes += 1

    def _on_response_created(self, data: dict[str, Any]) -> None:
        response: _Json = data.get("response")
        rid: Any = response.get("id") if isinstance(response, dict) else None
        self.response_id = rid if isinstance(rid, str) else "response"
        self.response_requested = False

    def _on_response_done(self, data: dict[str, Any]) -> None:
        self.response_id = None
        self.response_requested = False

    def _on_speech_started(self, data: dict[str, Any]) -> None:
        self.speaking = True

    def _on_speech_stopped(self, data: dict[str, Any]) -> None:
        self.speaking = False

    def _on_buffer_done(self, data: dict[str, Any]) -> None:
        self.speaking = False
        self.uncommitted_audio = False

    # ----------------------------------------------------------------- decisions
    @property
    def manual_turns(self) -> bool:
        """Whether the session was configured with ``turn_detection: null`` (the app commits turns)."""
        return "turn_detection" in self.session and self.session["turn_detection"] is None

    @property
    def quiet(self) -> bool:
        """No response active or requested, no user speech in progress, no uncommitted manual turn."""
        return (
            self.response_id is None
            and not self.response_requested
            and not self.speaking
            and not (self.manual_turns and self.uncommitted_audio)
        )

    def input_bytes_per_second(self) -> int:
        """Bytes per second of input audio in the configured format (PCM16 24 kHz by default)."""
        fmt: Any = self.session.get("input_audio_format", "pcm16")
        if isinstance(fmt, str) and fmt.startswith("g711"):
            return 8000
        rate: Any = self.session.get("input_audio_sampling_rate", 24000)
        if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
            return 48000
        return 2 * rate

    def interrupted(self) -> list[str]:
        """What the end of the current session loses right now (descriptions for the app)."""
        lost: list[str] = []
        if self.response_id is not None:
            lost.append(f"response {self.response_id} was interrupted (not resumed)")
        elif self.response_requested:
            lost.append("a requested response had not started (not resumed)")
        if self.speaking:
            lost.append("user speech in progress was cut off")
        elif self.manual_turns and self.uncommitted_audio:
            lost.append("input audio appended since the last commit")
        return lost

    def new_session(self) -> None:
        """A new session starts: nothing is in progress on it."""
        self.response_id = None
        self.response_requested = False
        self.speaking = False
        self.uncommitted_audio = False
        self.session_id = None
        self.expires_at = None
        self._unacked.clear()  # replayed by the carry-over, acknowledged by the new session

    def carry_over_events(self, replay: bool) -> tuple[list[dict[str, Any]], Carried]:
        """The client events that give a new session this call's state, and what they carry.

        A ``session.update`` with the merged configuration (when any was sent), then, with
        ``replay``, one ``conversation.item.create`` per replayable item (same item ids).
        Every event has an ``event_id`` starting with `CARRY_PREFIX`.
        """
        carried = Carried()
        events: list[dict[str, Any]] = []
        if self.session:
            events.append({"type": "session.update", "session": self.session})
            carried.session_restored = True
        if replay:
            for item in self.items.values():
                replayable, why = self._replayable(item)
                if replayable is None:
                    carried.items_not_replayed += 1
                    carried.lost.append(why)
                    continue
                events.append({"type": "conversation.item.create", "item": replayable})
                carried.items_replayed += 1
        elif self.items:
            carried.items_not_replayed = len(self.items)
            carried.lost.append(f"{len(self.items)} conversation items (replay_conversation=False)")
        for _, item in self._unacked:
            # Sent but never confirmed: the old session may not have had it; the new one gets it.
            replayable, why = self._replayable(item)
            if replayable is None:
                carried.items_not_replayed += 1
                carried.lost.append(f"an unconfirmed item: {why}")
                continue
            if replayable.get("id") is None:
                del replayable["id"]
            events.append({"type": "conversation.item.create", "item": replayable})
            carried.items_replayed += 1
        for n, event in enumerate(events):
            event["event_id"] = f"{CARRY_PREFIX}{n}"
        return events, carried

    def _replayable(self, item: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """The item as a ``conversation.item.create`` payload, or ``(None, why not)``."""
        item_id: Any = item.get("id")
        kind: Any = item.get("type")
        status: Any = item.get("status")
        if status in ("in_progress", "incomplete"):
            return None, f"item {item_id} was incomplete"
        if kind == "function_call":
            name: Any = item.get("name")
            call_id: Any = item.get("call_id")
            if not isinstance(name, str) or not isinstance(call_id, str):
                return None, f"function call {item_id} had no name or call_id"
            arguments: Any = item.get("arguments")
            return {
                "type": "function_call",
                "id": item_id,
                "call_id": call_id,
                "name": name,
                "arguments": arguments if isinstance(arguments, str) else "{}",
            }, ""
        if kind == "function_call_output":
            call_id = item.get("call_id")
            output: Any = item.get("output")
            if not isinstance(call_id, str) or not isinstance(output, str):
                return None, f"function call output {item_id} had no call_id or output"
            return {"type": "function_call_output", "id": item_id, "call_id": call_id, "output": output}, ""
        if kind != "message":
            return None, f"item {item_id} of type {kind!r} cannot be replayed"
        role: Any = item.get("role")
        if role not in ("user", "assistant", "system"):
            return None, f"message {item_id} has an unknown role {role!r}"
        parts: list[dict[str, Any]] = []
        content: _Json = item.get("content")
        dropped = 0
        for index, raw in enumerate(content if isinstance(content, list) else []):
            part: _Json = raw
            if not isinstance(part, dict):
                continue
            ptype: Any = part.get("type")
            text: Any
            if ptype in ("input_text", "text"):
                text = part.get("text")
            elif ptype in ("input_audio", "audio"):
                text = self._transcripts.get((str(item_id), index)) or part.get("transcript")
            elif ptype == "input_image" and role == "user" and isinstance(part.get("image_url"), str):
                parts.append({k: v for k, v in part.items() if k in ("type", "image_url", "detail")})
                continue
            else:
                text = None
            if isinstance(text, str) and text:
                parts.append(_text_part(text, str(role)))
            else:
                dropped += 1
        if not parts:
            why = "audio without a transcript" if dropped else "no content"
            return None, f"{role} message {item_id} ({why})"
        return {"type": "message", "id": item_id, "role": role, "content": parts}, ""


_W = TypeVar("_W")


@dataclass
class _Entry(Generic[_W]):
    text: str
    audio_bytes: int  # 0 for a control event
    waiter: _W | None


class OutageQueue(Generic[_W]):
    """Client events held while reconnecting, in the order they were sent.

    Control events are kept (up to ``max_events``; one more raises ``OverflowError``) with an
    optional waiter (the I/O layer's future); audio appends are kept up to ``max_audio_bytes``,
    the oldest dropped first and counted in `dropped_audio_bytes` /
    `dropped_audio_chunks`.
    """

    def __init__(self, max_audio_bytes: int, max_events: int) -> None:
        """An empty queue with these bounds."""
        self.max_audio_bytes = max_audio_bytes
        self.max_events = max_events
        self.audio_bytes = 0
        self.events = 0
        self.dropped_audio_bytes = 0
        self.dropped_audio_chunks = 0
        self._entries: deque[_Entry[_W]] = deque()

    def __len__(self) -> int:
        return len(self._entries)

    def put_audio(self, text: str, audio_bytes: int) -> None:
        """Hold one append frame of ``audio_bytes`` of audio, dropping the oldest audio over the bound."""
        if audio_bytes > self.max_audio_bytes:
            self.dropped_audio_bytes += audio_bytes
            self.dropped_audio_chunks += 1
            return
        self._entries.append(_Entry(text, audio_bytes, None))
        self.audio_bytes += audio_bytes
        if self.audio_bytes > self.max_audio_bytes:
            kept: deque[_Entry[_W]] = deque()
            for entry in self._entries:
                if entry.audio_bytes and self.audio_bytes > self.max_audio_bytes:
                    self.audio_bytes -= entry.audio_bytes
                    self.dropped_audio_bytes += entry.audio_bytes
                    self.dropped_audio_chunks += 1
                else:
                    kept.append(entry)
            self._entries = kept

    def put_event(self, text: str, waiter: _W | None) -> None:
        """Hold one control event; ``OverflowError`` when ``max_events`` are already held."""
        if self.events >= self.max_events:
            raise OverflowError(f"{self.max_events} client events are already waiting for the reconnect")
        self._entries.append(_Entry(text, 0, waiter))
        self.events += 1

    def take(self) -> tuple[str, int, _W | None] | None:
        """The oldest entry ``(text, audio_bytes, waiter)``, removed; ``None`` when empty."""
        if not self._entries:
            return None
        entry = self._entries.popleft()
        if entry.audio_bytes:
            self.audio_bytes -= entry.audio_bytes
        else:
            self.events -= 1
        return entry.text, entry.audio_bytes, entry.waiter

    def push_front(self, text: str, audio_bytes: int, waiter: _W | None) -> None:
        """Put a taken entry back at the front (its send failed; it goes out on the next connection)."""
        self._entries.appendleft(_Entry(text, audio_bytes, waiter))
        if audio_bytes:
            self.audio_bytes += audio_bytes
        else:
            self.events += 1

    def waiters(self) -> list[_W]:
        """Every waiter still held (to fail them when the policy gives up)."""
        return [e.waiter for e in self._entries if e.waiter is not None]
