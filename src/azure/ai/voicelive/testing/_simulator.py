"""The fake Voice Live session as a sans-I/O state machine: client events in, server events out.

[`Simulator`][] never touches a socket and never reads a clock it was not given. It composes
the parts of the session, each testable alone:

* `_session`: the session configuration and its validation;
* `_input`: the input audio buffer, voice activity detection and turns;
* `_conversation`: the conversation store;
* `_responses`: response generation, pacing and the playback clock;
* `_tools`: function calls and MCP servers.

The I/O layer (``_server.py``) feeds it each frame and sends what it returns; timed events
(a response's stream, transcriptions, MCP tool listings, the session's expiry) come from
[`Simulator.pop_stream()`][Simulator.pop_stream], with
[`Simulator.stream_delay()`][Simulator.stream_delay] saying when the next is due.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ._common import Emitter, Event, Ids, Reject, get_str, invalid, missing, reject_type
from ._conversation import Conversation, snapshot
from ._input import InputAudio, SpeechChange
from ._responder import DefaultResponder, Responder, TextReply, Transcriber, default_transcriber
from ._responses import McpRun, Pacing, PendingReply, Responses
from ._session import DEFAULT_MODEL, DEFAULT_VOICE, OPENAI_VOICES, SessionConfig, default_session
from ._tools import McpLister, McpRunner, list_mcp_tools, mcp_run_steps
from ._voice import split_words

if TYPE_CHECKING:
    from ..models._base import _Json

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_VOICE",
    "OPENAI_VOICES",
    "Event",
    "Pacing",
    "PendingReply",
    "Simulator",
    "default_session",
]

_log = logging.getLogger(__name__)

SESSION_EXPIRED = (1001, "session expired")


@dataclass(eq=False)
class _Stream:
    """Timed events that are not a response's: a transcription, an MCP tool listing."""

    started_at: float
    steps: Iterator[tuple[float, Event]]
    next: tuple[float, Event] | None

    @property
    def due(self) -> float | None:
        return None if self.next is None else self.started_at + self.next[0]


class Simulator:
    """One fake Voice Live session: feed it client events, send what it returns.

    * [`start()`][start] gives ``session.created``; call it once, first.
    * [`receive_text()`][receive_text] / [`receive_bytes()`][receive_bytes] take a raw frame,
      [`handle()`][handle] a parsed event; each returns the server events to send now (an ``error`` event
      for bad input; the session goes on).
    * Timed events: while [`stream_delay()`][stream_delay] is not ``None``, wait that many seconds, then
      send what [`pop_stream()`][pop_stream] returns (``None`` means "not yet": ask again).
      [`drain()`][drain] pops everything but the expiry at once (sync use, tests).
    * An async responder leaves a [`PendingReply`][] for [`take_pending_reply()`][take_pending_reply].
    * After the session's expiry event, [`close_request`][] says how to close the socket.

    ``responder`` decides replies (default [`DefaultResponder`][]), ``transcriber`` transcribes
    committed audio when ``input_audio_transcription`` is on (default
    [`default_transcriber()`][default_transcriber]), ``voices`` restricts the accepted voice names,
    ``received`` (a list) collects every client event object. Time: ``pacing`` (``"model"``,
    ``"instant"`` or a [`Pacing`][]) is how long the model takes, ``realtime=True`` generates audio a
    few times faster than playback (else as fast as the pacing allows), ``max_session_duration``
    (seconds, ``None``: never) is when the session expires, ``clock`` is the monotonic time in
    seconds and ``now`` the wall time for ``expires_at``. ``seed`` makes the random ids
    reproducible. ``api_version`` is the connection's ``api-version`` query value: before
    2026-04-10 the default ``prefix_padding_ms`` is 300 ms (``None``: the current defaults).
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
        pacing: Pacing | str | None = None,
        max_session_duration: float | None = 3600.0,
        seed: int | str | None = None,
        errors: list[BaseException] | None = None,
        api_version: str | None = None,
    ) -> None:
        if max_session_duration is not None and not max_session_duration > 0:
            raise ValueError(
                f"max_session_duration must be > 0 seconds or None, got {max_session_duration!r}"
            )
        self.pacing = Pacing.of(pacing)
        """How long the model takes (read by every part)."""
        self._ids = Ids(seed)
        self._emit = Emitter(self._ids)
        self.config = SessionConfig(
            model=model,
            agent=agent,
            voices=voices,
            session_id=session_id or self._ids.new("sess"),
            now=now(),
            max_session_duration=max_session_duration,
            api_version=api_version,
        )
        """The session configuration part."""
        self.input = InputAudio()
        """The input audio part (buffer, VAD, turns)."""
        self.store = Conversation(self._ids)
        """The conversation store part."""
        self.responses = Responses(
            self._emit,
            self.store,
            pacing=self.pacing,
            realtime=realtime,
            clock=clock,
            conversation_id=self._ids.new("conv"),
        )
        """The response part (generation, pacing, playback clock)."""
        self.closed = False
        """True once [`close()`][close] ran (the connection ended) or the session expired."""
        self.close_request: tuple[int, str] | None = None
        """``(code, reason)`` the socket must close with (set when the session expires)."""
        self._responder: Responder = responder if responder is not None else DefaultResponder()
        self._transcriber: Transcriber = transcriber if transcriber is not None else default_transcriber
        self._clock = clock
        self._received = received
        self.errors: list[BaseException] = errors if errors is not None else []
        """Exceptions the fake itself or the responder raised (each also became an ``error`` event
        or a failed response): a test harness should fail on them."""
        self.responses.errors = self.errors
        self._streams: list[_Stream] = []
        self._expires_at = None if max_session_duration is None else clock() + max_session_duration
        self._listed: set[str] = set()
        self.input.configure(self.config.session)
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
            "mcp_approval_response": self._on_mcp_approval,
            "session.avatar.connect": self._unsupported,
            "transcription_session.update": self._unsupported,
        }

    # --- public surface --------------------------------------------------------------------------

    @property
    def session(self) -> dict[str, Any]:
        """The current session (as in ``session.updated``); read it, do not change it."""
        return self.config.session

    @property
    def conversation(self) -> list[dict[str, Any]]:
        """The conversation items, oldest first (stored form: user audio parts keep their audio)."""
        return self.store.items

    def start(self) -> list[Event]:
        """The events a new connection gets: ``session.created`` with the full default session."""
        return [self._emit.event("session.created", session=self.config.snapshot())]

    def receive_text(self, text: str | bytes) -> list[Event]:
        """Handle one text frame (JSON). Malformed JSON gives an ``error`` event (code ``invalid_json``)."""
        try:
            event = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return [
                self._emit.error(Reject("invalid_json", f"The client event is not valid JSON: {exc}."), None)
            ]
        return self.handle(event)

    def receive_bytes(self, data: bytes) -> list[Event]:
        """Handle one binary frame: always an ``error`` event (code ``invalid_frame``); events are JSON."""
        message = (
            f"Binary frames are not supported ({len(data)} bytes received); send each client event as "
            "a JSON text frame, with audio base64-encoded in input_audio_buffer.append."
        )
        return [self._emit.error(Reject("invalid_frame", message), None)]

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
            return [
                self._emit.error(
                    Reject("invalid_event", f"A client event must be a JSON object, got {got}."), None
                )
            ]
        event = cast("dict[str, Any]", event)  # a JSON object
        if self._received is not None:
            self._received.append(event)
        client_id = event.get("event_id")
        if not isinstance(client_id, str):
            client_id = None
        try:
            kind = event.get("type")
            if kind is None:
                missing("type")
            if not isinstance(kind, str):
                reject_type("type", "a string", kind)
            handler = self._handlers.get(kind)
            if handler is None:
                invalid(
                    "type",
                    f"Invalid value: '{kind}'. Unknown client event type; supported types are: "
                    + ", ".join(sorted(self._handlers))
                    + ".",
                )
            return handler(event)
        except Reject as reject:
            return [self._emit.error(reject, client_id)]
        except Exception as exc:  # a bug here must not end the session: report it like the service would
            _log.exception("fake Voice Live session failed on a %r event", event.get("type"))
            self.errors.append(exc)
            failure = Reject(
                "internal_error", f"The fake service failed on this event: {exc!r}", error_type="server_error"
            )
            return [self._emit.error(failure, client_id)]

    @property
    def response_active(self) -> bool:
        """True from ``response.created`` until its ``response.done`` has been popped (or cancelled)."""
        return self.responses.active is not None

    @property
    def input_buffer_ms(self) -> float:
        """Milliseconds of audio in the input buffer (not yet committed or discarded)."""
        return self.input.buffered_ms

    @property
    def audio_position_ms(self) -> float:
        """Milliseconds of input audio received since the session started (the VAD timeline)."""
        return self.input.end_ms

    def played_ms(self) -> float | None:
        """How much of the newest assistant audio the client has played by now (the playback
        clock: real time since its first delta, at most what was sent); ``None`` before any."""
        pb = self.responses.playback
        return None if pb is None else pb.played_ms(self._clock())

    # --- timed events ----------------------------------------------------------------------------

    def _next_due(self, *, expiry: bool) -> tuple[float, object] | None:
        best: tuple[float, object] | None = None
        due = self.responses.due()
        if due is not None:
            best = (due, self.responses)
        for stream in self._streams:
            d = stream.due
            if d is not None and (best is None or d < best[0]):
                best = (d, stream)
        if (
            expiry
            and self._expires_at is not None
            and not self.closed
            and (best is None or self._expires_at < best[0])
        ):
            best = (self._expires_at, None)
        return best

    def stream_delay(self) -> float | None:
        """Seconds until the next timed event is due (``0.0``: now); ``None`` when nothing is pending."""
        best = self._next_due(expiry=True)
        if best is None:
            return None
        return max(0.0, best[0] - self._clock())

    def pop_stream(self) -> Event | None:
        """The next timed event if it is due, else ``None``. The session state follows what was popped."""
        best = self._next_due(expiry=True)
        if best is None or best[0] > self._clock():
            return None
        return self._pop(best[1])

    def _pop(self, source: object) -> Event | None:
        if source is None:  # the session's time is up
            self.closed = True
            self.close_request = SESSION_EXPIRED
            r = self.responses.active
            if r is not None:
                self.responses.active = None
                self.responses.discard(r)
            reject = Reject(
                "session_expired",
                f"Your session hit the maximum duration of {self._duration_text()}.",
                error_type="invalid_request_error",
            )
            return self._emit.error(reject, None)
        if source is self.responses:
            event = self.responses.pop()
            ended, self.responses.ended = self.responses.ended, None
            if ended is not None:
                for run in ended.mcp_runs:  # the service runs the model's MCP calls now
                    self._run_mcp(run)
            return event
        stream = cast("_Stream", source)
        assert stream.next is not None
        event = self._emit.stamp(stream.next[1])
        stream.next = next(stream.steps, None)
        if stream.next is None:
            self._streams.remove(stream)
        return event

    def _duration_text(self) -> str:
        expires = self.session.get("expires_at")
        return "the session's lifetime" if expires is None else f"its lifetime (expires_at {expires})"

    def drain(self) -> list[Event]:
        """Pop every timed event now, ignoring pacing (not the expiry; sync responders only)."""
        events: list[Event] = []
        while (best := self._next_due(expiry=False)) is not None:
            event = self._pop(best[1])
            if event is None:
                break
            events.append(event)
        return events

    def _schedule(self, steps: Iterator[tuple[float, Event]]) -> None:
        first = next(steps, None)
        if first is not None:
            self._streams.append(_Stream(self._clock(), steps, first))

    def take_pending_reply(self) -> PendingReply | None:
        """The reply an async responder still owes (given out once), or ``None``."""
        r = self.responses.active
        if r is None or r.pending is None or r.pending_taken:
            return None
        r.pending_taken = True
        return r.pending

    def resolve_reply(self, pending: PendingReply, result: object) -> None:
        """Start streaming the response ``pending`` belonged to (ignored if it was cancelled meanwhile)."""
        r = self.responses.active
        if r is None or r.pending is not pending:
            return
        r.pending = None
        self.responses.begin(r, result)

    def fail_reply(self, pending: PendingReply, error: BaseException) -> None:
        """End the response ``pending`` belonged to with status ``failed``."""
        r = self.responses.active
        if r is None or r.pending is not pending:
            return
        r.pending = None
        self.responses.begin_failure(r, error)

    def close(self) -> None:
        """End the session: drop any response in progress (its pending coroutine is closed)."""
        self.closed = True
        r, self.responses.active = self.responses.active, None
        if r is not None:
            self.responses.discard(r)
        self._streams.clear()

    # --- session ---------------------------------------------------------------------------------

    def _on_session_update(self, event: dict[str, Any]) -> list[Event]:
        warnings = self.config.update(event.get("session"))
        self.input.configure(self.config.session)
        out = [self._emit.event("session.updated", session=self.config.snapshot())]
        out += [self._emit.warning(code, message, param) for code, message, param in warnings]
        for tool in self.session.get("tools") or ():
            label = tool.get("server_label")
            if tool.get("type") == "mcp" and label not in self._listed:
                self._listed.add(label)
                lister = cast("McpLister | None", getattr(self._responder, "list_mcp_tools", None))
                self._schedule(list_mcp_tools(self._emit, self.store, tool, lister, self.pacing.interval))
        return out

    # --- input audio and turns -------------------------------------------------------------------

    def _on_append(self, event: dict[str, Any]) -> list[Event]:
        out: list[Event] = []
        for change in self.input.append(self.input.decode(event)):
            out += self._on_speech_start(change) if change.kind == "start" else self._on_speech_stop(change)
        return out

    def _on_speech_start(self, change: SpeechChange) -> list[Event]:
        item_id = self._ids.new("item")
        self.input.speech_item = item_id
        out = [
            self._emit.event("input_audio_buffer.speech_started", audio_start_ms=change.ms, item_id=item_id)
        ]
        td = self.config.turn_detection or {}
        if self.responses.active is not None and td.get("interrupt_response", True) is not False:
            out += self.responses.cancel("turn_detected")
        # auto_truncate depends on interrupt_response: a reply that plays on is not cut.
        if td.get("auto_truncate") is True and td.get("interrupt_response", True) is not False:
            out += self._auto_truncate()
        return out

    def _auto_truncate(self) -> list[Event]:
        """Speech while the client still plays a reply: cut the reply where playback is."""
        pb = self.responses.playback
        if pb is None:
            return []
        self.responses.playback = None
        item = self.store.get(pb.item_id)
        meta = self.store.meta.get(pb.item_id)
        if item is None or meta is None:
            return []
        played = int(pb.played_ms(self._clock()))
        if played >= int(meta.audio_ms):
            return []  # it has all been heard: nothing to cut
        self.store.truncate(item, pb.content_index, played)
        return [
            self._emit.event(
                "conversation.item.truncated",
                item_id=pb.item_id,
                content_index=pb.content_index,
                audio_end_ms=played,
            )
        ]

    def _on_speech_stop(self, change: SpeechChange) -> list[Event]:
        item_id = self.input.speech_item or self._ids.new("item")
        self.input.speech_item = None
        out = [self._emit.event("input_audio_buffer.speech_stopped", audio_end_ms=change.ms, item_id=item_id)]
        out += self._commit_audio(change.audio, item_id)
        td = self.config.turn_detection or {}
        if td.get("create_response", True) is not False and self.responses.active is None:
            out += self._start_response({}, None)
        return out

    def _on_commit(self, event: dict[str, Any]) -> list[Event]:
        item_id = self.input.speech_item or self._ids.new("item")
        return self._commit_audio(self.input.commit(), item_id)

    def _on_clear(self, event: dict[str, Any]) -> list[Event]:
        self.input.clear()
        return [self._emit.event("input_audio_buffer.cleared")]

    def _commit_audio(self, audio: bytes, item_id: str) -> list[Event]:
        item, previous = self.store.add_user_audio(item_id, audio, self.input.duration_ms(audio))
        out = [
            self._emit.event("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id),
            self._emit.event(
                "conversation.item.created", previous_item_id=previous, item=self.store.public(item)
            ),
        ]
        if self.session.get("input_audio_transcription"):
            out += self._transcribe(item_id, item["content"][0], audio)
        return out

    def _transcribe(self, item_id: str, part: dict[str, Any], audio: bytes) -> list[Event]:
        """Transcribe now (the model hears it at once), send the events after the transcription
        delay; with ``Pacing.transcription_first`` return them to send at once (before a response)."""
        delay = self.pacing.transcription_delay
        interval = self.pacing.interval
        ids = {"item_id": item_id, "content_index": 0}
        try:
            transcript = str(self._transcriber(self.input.to_pcm16(audio), self.input.rate))
        except Exception as exc:
            error = {
                "type": "transcription_error",
                "code": "transcription_failed",
                "message": f"Transcription failed: {exc}",
                "param": None,
                "event_id": None,
            }
            failed = self._emit.later(
                "conversation.item.input_audio_transcription.failed", **ids, error=error
            )
            return self._send_transcription(iter([(delay, failed)]))
        part["transcript"] = transcript

        def steps() -> Iterator[tuple[float, Event]]:
            at = delay
            for fragment in split_words(transcript):
                yield (
                    at,
                    self._emit.later(
                        "conversation.item.input_audio_transcription.delta", **ids, delta=fragment
                    ),
                )
                at += interval
            yield (
                at,
                self._emit.later(
                    "conversation.item.input_audio_transcription.completed", **ids, transcript=transcript
                ),
            )

        return self._send_transcription(steps())

    def _send_transcription(self, steps: Iterator[tuple[float, Event]]) -> list[Event]:
        if self.pacing.transcription_first:
            return [self._emit.stamp(event) for _, event in steps]
        self._schedule(steps)
        return []

    def _on_turn_start(self, event: dict[str, Any]) -> list[Event]:
        self.input.turn_start(get_str(event, "turn_id"))
        return []

    def _on_turn_append(self, event: dict[str, Any]) -> list[Event]:
        turn_id = get_str(event, "turn_id")
        self.input.turn_append(turn_id, self.input.decode(event))
        return []

    def _on_turn_end(self, event: dict[str, Any]) -> list[Event]:
        audio = self.input.turn_end(get_str(event, "turn_id"))
        if not audio:
            return []
        return self._commit_audio(audio, self._ids.new("item"))

    def _on_turn_cancel(self, event: dict[str, Any]) -> list[Event]:
        self.input.turn_cancel(get_str(event, "turn_id"))
        return []

    def _on_text_delta(self, event: dict[str, Any]) -> list[Event]:
        self.input.text_delta(get_str(event, "id"), get_str(event, "delta"))
        return []

    def _on_text_done(self, event: dict[str, Any]) -> list[Event]:
        item_id = get_str(event, "id")
        text = self.input.text_done(item_id)
        item = {
            "id": item_id,
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        return self._create_item(item, None)

    # --- conversation ----------------------------------------------------------------------------

    def _create_item(self, raw: _Json, previous_item_id: object) -> list[Event]:
        item, previous = self.store.create(raw, previous_item_id, self.input.bytes_per_ms)
        return [
            self._emit.event(
                "conversation.item.created", previous_item_id=previous, item=self.store.public(item)
            )
        ]

    def _on_item_create(self, event: dict[str, Any]) -> list[Event]:
        raw: _Json = event.get("item")
        if raw is None:
            missing("item")
        if isinstance(raw, dict) and raw.get("type") == "mcp_approval_response":
            return self._answer_mcp_approval(raw, event.get("previous_item_id"), "item")
        return self._create_item(raw, event.get("previous_item_id"))

    def _on_mcp_approval(self, event: dict[str, Any]) -> list[Event]:
        """The ``mcp_approval_response`` client event: the same as creating that item."""
        item = {k: v for k, v in event.items() if k not in ("event_id",)}
        return self._answer_mcp_approval(item, None, None)

    def _answer_mcp_approval(
        self, raw: dict[str, Any], previous_item_id: object, param: str | None
    ) -> list[Event]:
        """Store the client's decision; an approval runs the waiting call at once (no
        ``response.create`` needed), a refusal drops it."""
        request_id = raw.get("approval_request_id")
        run = self.responses.awaiting_approval.get(request_id) if isinstance(request_id, str) else None
        if isinstance(request_id, str) and run is None and request_id in self.store:
            name = f"{param}.approval_request_id" if param else "approval_request_id"
            invalid(name, f"Invalid value: '{request_id}'. This approval request was already answered.")
        out = self._create_item(raw, previous_item_id)
        if run is not None and isinstance(request_id, str):
            del self.responses.awaiting_approval[request_id]
            if raw.get("approve") is True:
                run.item["approval_request_id"] = request_id
                self._run_mcp(run)
        return out

    def _run_mcp(self, run: McpRun) -> None:
        runner = cast("McpRunner | None", getattr(self._responder, "run_mcp_tool", None))
        self._schedule(mcp_run_steps(self._emit, run, runner, self.pacing.interval, self.errors))

    def _on_item_retrieve(self, event: dict[str, Any]) -> list[Event]:
        # Retrieval is how a client inspects what the service heard: the user's audio is included.
        return [self._emit.event("conversation.item.retrieved", item=snapshot(self.store.find(event)))]

    def _on_item_delete(self, event: dict[str, Any]) -> list[Event]:
        item = self.store.find(event)
        self.store.delete(item)
        return [self._emit.event("conversation.item.deleted", item_id=item["id"])]

    def _on_item_truncate(self, event: dict[str, Any]) -> list[Event]:
        item, content_index, audio_end_ms = self.store.check_truncate(event)
        self.store.truncate(item, content_index, audio_end_ms)
        pb = self.responses.playback
        if pb is not None and pb.item_id == item["id"]:
            self.responses.playback = None  # the client stopped playing it
        return [
            self._emit.event(
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
            reject_type("response", "an object", params)
        extra = get_str(event, "additional_instructions", required=False)
        return self._start_response(params, extra)

    def _on_response_cancel(self, event: dict[str, Any]) -> list[Event]:
        response_id = get_str(event, "response_id", required=False)
        active = self.responses.active
        if active is None or (response_id is not None and response_id != active.id):
            raise Reject(
                "response_cancel_not_active",
                "Cancellation failed: no active response found"
                + (f" with id '{response_id}'." if response_id else "."),
            )
        return self.responses.cancel("client_cancelled")

    def _on_output_clear(self, event: dict[str, Any]) -> list[Event]:
        # The service supports this event in avatar mode only (it clears the avatar's queued audio).
        if self.session.get("avatar") is None:
            raise Reject(
                "avatar_not_configured",
                "output_audio_buffer.clear is only supported in avatar mode: configure session.avatar "
                "first. Without an avatar the client plays the audio, so it clears its own playback "
                "buffer (and may send conversation.item.truncate).",
            )
        self.responses.playback = None  # the avatar dropped what it had not played
        return [self._emit.event("output_audio_buffer.cleared")]

    def _unsupported(self, event: dict[str, Any]) -> list[Event]:
        kind = event["type"]
        raise Reject(
            "unsupported_event",
            f"The client event '{kind}' is not supported by the fake Voice Live server.",
            "type",
        )

    def _start_response(self, params: Mapping[str, Any], extra: str | None) -> list[Event]:
        active = self.responses.active
        if active is not None:
            raise Reject(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {active.id}. "
                "Wait until the response is finished before creating a new one.",
            )
        config = self.config.response_config(params, extra)
        mode = params.get("conversation", "auto")
        if mode not in ("auto", "none"):
            invalid("response.conversation", f"Invalid value: '{mode}'. Supported values are: auto, none.")
        in_conversation = mode == "auto"
        given: _Json = params.get("input_items", params.get("input"))
        if given is not None:
            if not isinstance(given, list):
                reject_type("response.input_items", "an array", given)
            context = [self.store.normalize(raw, f"response.input_items[{i}]") for i, raw in enumerate(given)]
        else:
            context = list(self.store.items) if in_conversation else []
        appended: _Json = params.get("append_input_items")
        if appended is not None:
            if not isinstance(appended, list):
                reject_type("response.append_input_items", "an array", appended)
            context += [
                self.store.normalize(raw, f"response.append_input_items[{i}]")
                for i, raw in enumerate(appended)
            ]
        pregenerated: _Json = params.get("pre_generated_assistant_message")
        spoken = None if pregenerated is None else _pregenerated_text(pregenerated)
        r = self.responses.create(config, context, in_conversation)
        out = [self.responses.created_event(r)]
        if spoken is not None:  # no model inference: the service speaks the given text
            self.responses.begin(r, TextReply(spoken))
            return out
        try:
            result = self._responder(list(context), config)
        except Exception as exc:
            self.responses.begin_failure(r, exc)
            return out
        self.responses.begin(r, result)
        return out


def _pregenerated_text(raw: _Json) -> str:
    """The text of ``response.pre_generated_assistant_message``: an assistant message with one
    ``text`` content part (reference, ``RealtimeResponseOptions``)."""
    param = "response.pre_generated_assistant_message"
    if not isinstance(raw, dict):
        reject_type(param, "an object", raw)
    if raw.get("type", "message") != "message":
        invalid(
            f"{param}.type", f"Invalid value: '{raw.get('type')}'. The message must have the type 'message'."
        )
    if raw.get("role") != "assistant":
        invalid(
            f"{param}.role",
            f"Invalid value: {raw.get('role')!r}. The message must have the role 'assistant'.",
        )
    content: _Json = raw.get("content")
    if content is None:
        missing(f"{param}.content")
    if not isinstance(content, list):
        reject_type(f"{param}.content", "an array", content)
    if len(content) != 1:
        invalid(
            f"{param}.content",
            f"Invalid value: the message must have one text content part, got {len(content)}.",
        )
    part: _Json = content[0]
    if not isinstance(part, dict) or part.get("type") != "text":
        invalid(f"{param}.content[0].type", "Invalid value: the content part must have the type 'text'.")
    text: str = get_str(part, "text", f"{param}.content[0].text")
    return text
