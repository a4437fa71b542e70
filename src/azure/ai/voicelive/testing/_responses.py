"""Responses of the fake service: generation, pacing and the playback clock (sans-I/O).

A response is a generator of ``(offset_seconds, event)`` steps, built from the responder's
replies; `Responses` runs one at a time. [`Pacing`][] says how long the model takes:
the first output arrives ``latency`` after ``response.created`` and each further event
``interval`` later, so a response takes tens of milliseconds by default, as a fast model does
(``Pacing.instant()`` sends everything at once). With ``realtime`` the audio is generated
``generation_speed`` times faster than it plays: ``response.done`` comes well before the
client has played it all. The playback clock starts with the first audio delta of an item and
runs at real time; it tells how much of the reply the user has heard when they speak.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from ..audio import pcm16_to_base64
from ._common import Emitter, Event, Ids
from ._conversation import Conversation, ItemMeta, item_text, snapshot
from ._responder import FunctionCallReply, McpCallReply, TextReply, normalize_replies
from ._voice import bytes_per_ms, sample_width, split_words, synthesize

__all__ = ["INSTANT", "McpRun", "Pacing", "PendingReply", "Playback", "Response", "Responses", "tokens"]

_CHUNK_MS = 100
_AUDIO_MS_PER_TOKEN = 100

Steps = Iterator[tuple[float, Event]]


@dataclass(frozen=True)
class Pacing:
    """How long the fake model takes (seconds). Every part of the fake reads the same pacing.

    * ``latency``: from ``response.created`` to the first output event (time to first token).
    * ``interval``: between two streamed events of a response.
    * ``generation_speed``: with ``realtime``, audio is generated this many times faster than it
      plays (each 100 ms ``response.audio.delta`` takes ``0.1 / generation_speed`` s).
    * ``transcription_delay``: from the commit of user audio to its transcription events (they
      may arrive after ``response.created``, as on the service).
    * ``transcription_first``: send the transcription events at once, right after the user's
      ``conversation.item.created`` and before the turn's ``response.created`` (the service may
      send them on either side: test both orders).

    The default is a fast model: a text reply takes about 30 ms. [`instant()`][instant] makes every
    delay zero (events are due as soon as they exist). Negative values raise ``ValueError``.
    """

    latency: float = 0.02
    interval: float = 0.001
    generation_speed: float = 4.0
    transcription_delay: float = 0.01
    transcription_first: bool = False

    def __post_init__(self) -> None:
        for name in ("latency", "interval", "transcription_delay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"Pacing.{name} must be a number of seconds >= 0, got {value!r}")
        if not isinstance(self.transcription_first, bool):
            raise ValueError(f"Pacing.transcription_first must be a bool, got {self.transcription_first!r}")
        if not self.generation_speed > 0:
            raise ValueError(f"Pacing.generation_speed must be > 0, got {self.generation_speed!r}")

    @classmethod
    def instant(cls) -> Pacing:
        """No model time: every event is due at once (``realtime`` still paces audio)."""
        return cls(latency=0.0, interval=0.0, transcription_delay=0.0)

    @classmethod
    def of(cls, value: Pacing | str | None) -> Pacing:
        """``"model"`` (or ``None``): the default; ``"instant"``; or a [`Pacing`][] as is."""
        if value is None or value == "model":
            return cls()
        if value == "instant":
            return cls.instant()
        if isinstance(value, Pacing):
            return value
        raise ValueError(f"pacing must be 'model', 'instant' or a Pacing, got {value!r}")


INSTANT = Pacing.instant()


def _check_mcp_last(replies: list[TextReply | FunctionCallReply | McpCallReply]) -> None:
    """A response ends with its MCP calls: the service runs them after ``response.done`` and the
    client asks for a new response to hear the result (raises ``TypeError`` otherwise)."""
    for i, reply in enumerate(replies):
        if isinstance(reply, McpCallReply) and not all(isinstance(r, McpCallReply) for r in replies[i:]):
            raise TypeError(
                "an McpCallReply must come last in a response: the service runs the MCP call after "
                "response.done and the client sends response.create to hear its result (answer it in "
                f"the next response instead), got {replies!r}"
            )


def tokens(text: str) -> int:
    """A rough token count (4 characters a token)."""
    return (len(text) + 3) // 4


@dataclass(eq=False)
class PendingReply:
    """An awaitable reply of an async responder: await [`awaitable`][], then give the result to
    [`Simulator.resolve_reply()`][Simulator.resolve_reply] (or the exception to
    [`Simulator.fail_reply()`][Simulator.fail_reply])."""

    response_id: str
    """The response the reply belongs to."""
    awaitable: Awaitable[Any]
    """What the responder returned: await it for the reply."""


@dataclass
class _OpenItem:
    """The output item a response is producing, for closing it on cancellation."""

    item: dict[str, Any]
    output_index: int
    part: dict[str, Any] | None = None
    audio: bool = False


@dataclass(eq=False)
class McpRun:
    """An MCP call the service runs once its response has ended (and, if needed, once approved)."""

    item: dict[str, Any]
    """The ``mcp_call`` item (the conversation's own dict: running it fills ``output``/``error``)."""
    reply: McpCallReply
    response_id: str
    output_index: int


@dataclass(eq=False)
class Response:
    """One response in progress."""

    id: str
    payload: dict[str, Any]
    config: dict[str, Any]
    context: list[dict[str, Any]]
    in_conversation: bool
    items: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    gen: Steps | None = None
    next: tuple[float, Event] | None = None
    started_at: float = 0.0
    offset: float = 0.0
    pending: PendingReply | None = None
    pending_taken: bool = False
    open: _OpenItem | None = None
    incomplete: bool = False
    mcp_runs: list[McpRun] = field(default_factory=list[McpRun])
    """MCP calls to run after ``response.done`` (those that need no approval)."""


@dataclass
class Playback:
    """The playback clock of the newest assistant audio: what the client has played so far."""

    item_id: str
    content_index: int
    started_at: float
    received_ms: float = 0.0

    def played_ms(self, now: float) -> float:
        """Milliseconds played at ``now``: real time since the first delta, at most what was sent."""
        return max(0.0, min(self.received_ms, (now - self.started_at) * 1000))


class Responses:
    """Creates, streams and cancels the session's responses (one at a time)."""

    def __init__(
        self,
        emit: Emitter,
        conversation: Conversation,
        *,
        pacing: Pacing,
        realtime: bool,
        clock: Callable[[], float],
        conversation_id: str,
    ) -> None:
        self.emit = emit
        self.errors: list[BaseException] = []
        """Where responder failures are recorded (the simulator shares its list)."""
        self.ids: Ids = emit.ids
        self.conversation = conversation
        self.pacing = pacing
        self.realtime = realtime
        self.clock = clock
        self.conversation_id = conversation_id
        self.active: Response | None = None
        """The response in progress, from ``response.created`` until its ``response.done`` is sent."""
        self.playback: Playback | None = None
        """The playback clock of the newest assistant audio (``None`` before any)."""
        self.ended: Response | None = None
        """The response whose ``response.done`` :meth:`pop` just returned (the caller clears it)."""
        self.awaiting_approval: dict[str, McpRun] = {}
        """MCP calls waiting for the client's ``mcp_approval_response``, by approval request id."""

    # --- lifecycle -------------------------------------------------------------------------------

    def create(
        self, config: dict[str, Any], context: list[dict[str, Any]], in_conversation: bool
    ) -> Response:
        """A new response (the caller checked none is active); send ``created_event`` now."""
        response_id = self.ids.new("resp")
        payload: dict[str, Any] = {
            "id": response_id,
            "object": "realtime.response",
            "status": "in_progress",
            "status_details": None,
            "output": [],
            "usage": None,
            "conversation_id": self.conversation_id if in_conversation else None,
            "modalities": list(config["modalities"]),
            "voice": config["voice"],
            "output_audio_format": config["output_audio_format"],
            "temperature": config["temperature"],
            "max_output_tokens": config["max_output_tokens"],
            "max_response_output_tokens": config["max_output_tokens"],  # the documented name
            "metadata": config.get("metadata"),
        }
        r = Response(response_id, payload, config, context, in_conversation)
        self.active = r
        return r

    def created_event(self, r: Response) -> Event:
        """``response.created`` for ``r``."""
        return self.emit.event("response.created", response=dict(r.payload))

    def begin(self, r: Response, result: object) -> None:
        """Start streaming the replies the responder returned."""
        if inspect.isawaitable(result):
            r.pending = PendingReply(r.id, result)
            return
        try:
            replies = normalize_replies(result)
            _check_mcp_last(replies)
        except TypeError as exc:
            self.begin_failure(r, exc)
            return
        self._start(r, self._steps(r, replies))

    def begin_failure(self, r: Response, error: BaseException) -> None:
        """End ``r`` with status ``failed`` (the responder raised or returned nonsense)."""
        self.errors.append(error)

        def steps() -> Steps:
            r.payload["status"] = "failed"
            r.payload["status_details"] = {
                "type": "failed",
                "error": {
                    "type": "server_error",
                    "code": "responder_error",
                    "message": f"{type(error).__name__}: {error}",
                },
            }
            r.payload["usage"] = self.usage(r)
            yield (
                self._tick(r, self.pacing.latency),
                self.emit.later("response.done", response=dict(r.payload)),
            )

        self._start(r, steps())

    def _start(self, r: Response, steps: Steps) -> None:
        r.gen = steps
        r.started_at = self.clock()
        r.next = next(steps, None)

    def due(self) -> float | None:
        """Clock time at which the next streamed event is due (``None``: nothing to send)."""
        r = self.active
        if r is None or r.next is None:
            return None
        return r.started_at + r.next[0]

    def pop(self) -> Event | None:
        """The next streamed event (due or not: the caller checks `due()`)."""
        r = self.active
        if r is None or r.next is None:
            return None
        _, event = r.next
        self.emit.stamp(event)
        if event["type"] == "response.audio.delta":
            self._played(event)
        assert r.gen is not None
        r.next = next(r.gen, None)
        if r.next is None and self.active is r:
            self.active = None
            self.ended = r
        return event

    def _played(self, event: Event) -> None:
        """Run the playback clock: it starts at the first delta of an item."""
        pb = self.playback
        if pb is None or pb.item_id != event["item_id"]:
            pb = self.playback = Playback(event["item_id"], event["content_index"], self.clock())
        meta = self.conversation.meta.get(event["item_id"])
        if meta is not None:
            pb.received_ms = meta.audio_ms

    def discard(self, r: Response) -> None:
        """Stop ``r``'s generator and close an async responder's pending coroutine."""
        if r.gen is not None and hasattr(r.gen, "close"):
            cast("Generator[Any, Any, Any]", r.gen).close()  # the steps are generators
        r.gen = r.next = None
        if r.pending is not None and not r.pending_taken:
            awaitable = r.pending.awaitable
            if inspect.iscoroutine(awaitable):
                awaitable.close()
        r.pending = None

    def cancel(self, reason: str) -> list[Event]:
        """Cancel the active response now: close its open item, then ``response.done`` (``cancelled``)."""
        r = self.active
        assert r is not None
        self.active = None
        self.discard(r)
        out: list[Event] = []
        opened = r.open
        if opened is not None:
            item = opened.item
            index = opened.output_index
            part = opened.part
            if part is not None:
                ids = {"response_id": r.id, "item_id": item["id"], "output_index": index, "content_index": 0}
                if opened.audio:
                    out.append(self.emit.event("response.audio.done", **ids))
                    out.append(
                        self.emit.event(
                            "response.audio_transcript.done", **ids, transcript=part["transcript"]
                        )
                    )
                else:
                    out.append(self.emit.event("response.text.done", **ids, text=part["text"]))
                out.append(self.emit.event("response.content_part.done", **ids, part=dict(part)))
            item["status"] = "incomplete"
            out.append(
                self.emit.event(
                    "response.output_item.done", response_id=r.id, output_index=index, item=snapshot(item)
                )
            )
        r.payload["status"] = "cancelled"
        r.payload["status_details"] = {"type": "cancelled", "reason": reason}
        r.payload["output"] = [snapshot(item) for item in r.items]
        r.payload["usage"] = self.usage(r)
        out.append(self.emit.event("response.done", response=dict(r.payload)))
        return out

    # --- steps -----------------------------------------------------------------------------------

    def _tick(self, r: Response, seconds: float | None = None) -> float:
        """Advance ``r``'s model time by one event (or ``seconds``) and return it."""
        r.offset += self.pacing.interval if seconds is None else seconds
        return r.offset

    def later(self, r: Response, kind: str, **fields: Any) -> tuple[float, Event]:
        """A step: the event ``kind``, one interval after the previous one."""
        return self._tick(r), self.emit.later(kind, **fields)

    def _steps(self, r: Response, replies: list[TextReply | FunctionCallReply | McpCallReply]) -> Steps:
        from ._tools import call_steps, mcp_steps  # the tools part builds on this one

        r.offset = self.pacing.latency - self.pacing.interval
        index = 0
        for reply in replies:
            if isinstance(reply, FunctionCallReply):
                yield from call_steps(self, r, index, reply)
            elif isinstance(reply, McpCallReply):
                yield from mcp_steps(self, r, index, reply)
            else:
                yield from self._message_steps(r, index, reply.text)
            index = len(r.items)
        if r.incomplete:
            r.payload["status"] = "incomplete"
            r.payload["status_details"] = {"type": "incomplete", "reason": "max_output_tokens"}
        else:
            r.payload["status"] = "completed"
        r.payload["output"] = [snapshot(item) for item in r.items]
        r.payload["usage"] = self.usage(r)
        yield self.later(r, "response.done", response=dict(r.payload))

    def add_item(self, r: Response, item: dict[str, Any], index: int) -> Steps:
        """``response.output_item.added`` and, in the conversation, ``conversation.item.created``."""
        yield self.later(
            r, "response.output_item.added", response_id=r.id, output_index=index, item=snapshot(item)
        )
        r.items.append(item)
        r.open = _OpenItem(item, index)
        if r.in_conversation:
            previous = self.conversation.last_id()
            yield self.later(r, "conversation.item.created", previous_item_id=previous, item=snapshot(item))
            self.conversation.insert(item)
        else:
            self.conversation.meta.setdefault(item["id"], ItemMeta())
            self.ids.claim(item["id"])

    def item_done(self, r: Response, item: dict[str, Any], index: int) -> Steps:
        """``response.output_item.done``; the item is closed."""
        yield self.later(
            r, "response.output_item.done", response_id=r.id, output_index=index, item=snapshot(item)
        )
        r.open = None

    def _limit(self, r: Response, text: str) -> str:
        limit = r.config.get("max_output_tokens")
        if not isinstance(limit, int) or tokens(text) <= limit:
            return text
        r.incomplete = True
        kept = ""
        for fragment in split_words(text):
            if tokens(kept + fragment) > limit:
                break
            kept += fragment
        return kept.rstrip()

    def _message_steps(self, r: Response, index: int, text: str) -> Steps:
        item_id = self.ids.new("item")
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        yield from self.add_item(r, item, index)
        text = self._limit(r, text)
        audio = "audio" in r.config["modalities"]
        part: dict[str, Any] = {"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""}
        ids = {"response_id": r.id, "item_id": item_id, "output_index": index, "content_index": 0}
        yield self.later(r, "response.content_part.added", **ids, part=dict(part))
        item["content"].append(part)
        assert r.open is not None
        r.open.part, r.open.audio = part, audio
        if audio:
            yield from self._speak(r, item_id, part, text, ids)
        else:
            for fragment in split_words(text):
                yield self.later(r, "response.text.delta", **ids, delta=fragment)
                part["text"] += fragment
            yield self.later(r, "response.text.done", **ids, text=text)
            part["text"] = text
        yield self.later(r, "response.content_part.done", **ids, part=dict(part))
        item["status"] = "incomplete" if r.incomplete else "completed"
        yield from self.item_done(r, item, index)

    def _speak(
        self, r: Response, item_id: str, part: dict[str, Any], text: str, ids: dict[str, Any]
    ) -> Steps:
        fmt = r.config["output_audio_format"]
        utterance = synthesize(text, fmt)
        meta = self.conversation.meta.setdefault(item_id, ItemMeta())
        meta.words = utterance.words
        per_ms = bytes_per_ms(fmt)
        width = sample_width(fmt)
        chunk = int(per_ms * _CHUNK_MS) // width * width
        per_chunk = _CHUNK_MS / 1000 / self.pacing.generation_speed if self.realtime else None
        stamps = "word" in (r.config.get("output_audio_timestamp_types") or ())
        words = utterance.words
        w = 0
        data = utterance.audio
        for start in range(0, len(data), chunk):
            piece = data[start : start + chunk]
            end_ms = (start + len(piece)) / per_ms
            while w < len(words) and words[w][1] < end_ms:
                yield from self._word(r, part, words[w], ids, stamps)
                w += 1
            at = self._tick(r) if per_chunk is None else self._tick(r, max(per_chunk, self.pacing.interval))
            yield at, self.emit.later("response.audio.delta", **ids, delta=pcm16_to_base64(piece))
            meta.audio_ms = end_ms
        while w < len(words):
            yield from self._word(r, part, words[w], ids, stamps)
            w += 1
        if stamps:
            yield self.later(r, "response.audio_timestamp.done", **ids)
        yield self.later(r, "response.audio.done", **ids)
        yield self.later(r, "response.audio_transcript.done", **ids, transcript=text)
        part["transcript"] = text

    def _word(
        self, r: Response, part: dict[str, Any], word: tuple[str, int, int], ids: dict[str, Any], stamps: bool
    ) -> Steps:
        fragment, offset_ms, duration_ms = word
        yield self.later(r, "response.audio_transcript.delta", **ids, delta=fragment)
        part["transcript"] += fragment
        if stamps:
            yield self.later(
                r,
                "response.audio_timestamp.delta",
                **ids,
                text=fragment.strip(),
                audio_offset_ms=offset_ms,
                audio_duration_ms=duration_ms,
                timestamp_type="word",
            )

    # --- usage -----------------------------------------------------------------------------------

    def usage(self, r: Response) -> dict[str, Any]:
        """Token usage of ``r`` (estimated from text length and audio duration)."""
        meta = self.conversation.meta
        in_text = tokens(r.config.get("instructions") or "")
        in_audio = 0
        for item in r.context:
            in_text += tokens(item_text(item))
            m = meta.get(item.get("id", ""))
            if m is not None:
                in_audio += int(m.audio_ms) // _AUDIO_MS_PER_TOKEN
        out_text = sum(tokens(item_text(item)) for item in r.items)
        out_audio = sum(
            int(meta[item["id"]].audio_ms) // _AUDIO_MS_PER_TOKEN for item in r.items if item["id"] in meta
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
