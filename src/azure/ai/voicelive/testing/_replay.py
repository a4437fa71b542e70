"""Replaying a cassette (sans-I/O): client event in -> the recorded server frames out.

One `Replayer` per connection walks that connection's track. Server frames are released up to
the next client frame of the recording (a gate); a gate is passed when the client sends the
matching event. Appended input audio fills the append gates by its length, whatever its
chunking. The first divergence is a `CassetteMismatch`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal, cast

from ._cassette import Cassette, Step, audio_bytes, dumps, is_marker, map_audio, silence

__all__ = ["CassetteMismatch", "Match", "Out", "Replayer", "Timing"]

Timing = Literal["fast", "recorded"]
"""Replay pacing: `"fast"` sends each server frame as soon as it is due (the default);
`"recorded"` waits the recorded time between frames."""

MISMATCH_CODE = "cassette_mismatch"
MISMATCH_CLOSE = (1008, "cassette mismatch")
_PREVIEW = 300


@dataclass(frozen=True)
class Match:
    """How replay matches the client's events to the recorded ones.

    By default only the event type and the order count, and input audio by its total length.

    Attributes:
        strict: also compare the whole payload (then ids and audio content are still ignored,
            see below).
        ignore_ids: with `strict`, ignore `event_id`, `id` and every `*_id` field (ids the client
            makes up differ from run to run). Default `True`.
        ignore: more field names to ignore with `strict`, at any depth (e.g. `{"instructions"}`).
        appends: `"ordered"` (default): `input_audio_buffer.append` frames must come where they
            came in the recording, between the same other client events; `"any"`: audio may run
            ahead of or behind the other client events (an app streaming the microphone from one
            task while another task sends commands).
    """

    strict: bool = False
    ignore_ids: bool = True
    ignore: Collection[str] = frozenset()
    appends: Literal["ordered", "any"] = "ordered"

    def __post_init__(self) -> None:
        if self.appends not in ("ordered", "any"):
            raise ValueError(f"Match.appends must be 'ordered' or 'any', got {self.appends!r}")
        if isinstance(self.ignore, str):
            raise TypeError("Match.ignore is a collection of field names, not one string")


class CassetteMismatch(AssertionError):
    """The client diverged from the cassette: an event it did not send (`kind` `"missing"`), one
    the recording does not have (`"extra"`) or another one than recorded (`"different"`).

    The replaying fake sends the client an `error` event (code `cassette_mismatch`) with this
    message, closes the connection with 1008 and keeps this exception in
    `FakeVoiceLiveServer.errors`, which makes the pytest fixtures fail the test.

    Attributes:
        kind: `"missing"`, `"extra"` or `"different"`.
        connection: the connection's index in the cassette (0 for the first).
        line: the cassette line of the expected event (`None` when nothing more was expected).
        expected: the expected client event, as text.
        got: what the client sent (or did), as text.
    """

    def __init__(
        self,
        kind: str,
        *,
        cassette: str,
        connection: int,
        index: int,
        line: int | None,
        expected: str,
        got: str,
    ) -> None:
        self.kind = kind
        self.cassette = cassette
        self.connection = connection
        self.line = line
        self.expected = expected
        self.got = got
        where = f" (line {line})" if line is not None else ""
        at = f"at its client event #{index}" if index else "when it opened"
        super().__init__(
            f"the client diverged from cassette {cassette} ({kind} event) on connection {connection} "
            f"{at}:\n  expected{where}: {expected}\n  got: {got}"
        )


@dataclass(frozen=True)
class Out:
    """What the replaying server does next: `send` a frame (`text`), `close` with `code` and
    `reason` (1006: drop the connection), after `delay` seconds (recorded pacing only)."""

    kind: Literal["send", "close"]
    text: str = ""
    code: int = 0
    reason: str = ""
    delay: float = 0.0


def preview(event: dict[str, Any]) -> str:
    """`type` and the compact JSON of an event (audio as its length), cut at 300 characters."""
    shown = map_audio(event, lambda v: {"$audio": "bytes", "bytes": audio_bytes(v)})
    text = dumps(shown)
    if len(text) > _PREVIEW:
        text = text[:_PREVIEW] + "..."
    return f"{event.get('type')} {text}"


class Replayer:
    """Replays one connection's track of a cassette (sans-I/O; see the module docstring)."""

    def __init__(
        self, cassette: Cassette, index: int, match: Match | None = None, timing: Timing = "fast"
    ) -> None:
        self.cassette = cassette
        self.index = index
        self.match = match if match is not None else Match()
        self.timing = timing
        self.track: list[Step] = cassette.tracks[index] if index < len(cassette.tracks) else []
        self.mismatch: CassetteMismatch | None = None
        self.count = 0  # client events received
        self._pos = 0
        self._passed: set[int] = set()
        self._remaining: dict[int, int] = {}
        self._last_t = 0.0
        self._output_format: str | None = None
        self._input_format: str | None = None
        self._input_rate = 24000

    # --- the three entry points -----------------------------------------------------------------

    def start(self) -> list[Out]:
        """The server frames that open the session (up to the first client event of the recording)."""
        if self.index >= len(self.cassette.tracks):
            count = len(self.cassette.tracks)
            return self._fail(
                "extra",
                None,
                f"no connection #{self.index} (the cassette recorded {count} connection{'s' * (count != 1)})",
                "a new connection",
            )
        self._last_t = self.cassette.opened_at[self.index] if self.cassette.opened_at else 0.0
        return self._release()

    def receive(self, event: dict[str, Any]) -> list[Out]:
        """One client event (a parsed JSON object): what to send in answer."""
        if self.mismatch is not None:
            return []
        self.count += 1
        if event.get("type") == "input_audio_buffer.append":
            return self._audio(event)
        gate = self._next_event_gate()
        if gate is None:
            return self._fail("extra", None, self._nothing_more(), preview(event), event.get("event_id"))
        step = self.track[gate]
        if step.kind == "append":
            return self._fail(
                "different",
                step.line,
                f"input_audio_buffer.append ({self._describe_audio(self._left(gate))} more audio)",
                preview(event),
                event.get("event_id"),
            )
        if step.event.get("type") != event.get("type") or (
            self.match.strict and self._normal_event(step.event) != self._normal_event(event)
        ):
            return self._fail(
                "different", step.line, preview(step.event), preview(event), event.get("event_id")
            )
        self._passed.add(gate)
        return self._release()

    def finish(self, why: str) -> CassetteMismatch | None:
        """The connection ended (`why`, e.g. "the client closed the connection"): a `missing`
        mismatch when the recording still expected a client event, else `None`."""
        if self.mismatch is not None or self.index >= len(self.cassette.tracks):
            return None
        for position in range(self._pos, len(self.track)):
            step = self.track[position]
            if step.kind in ("client", "append") and position not in self._passed:
                expected = (
                    f"input_audio_buffer.append ({self._describe_audio(self._left(position))} more audio)"
                    if step.kind == "append"
                    else preview(step.event)
                )
                self._fail("missing", step.line, expected, why)
                return self.mismatch
        return None

    # --- matching -------------------------------------------------------------------------------

    def _gates(self) -> list[int]:
        return [
            i
            for i in range(self._pos, len(self.track))
            if self.track[i].kind in ("client", "append") and i not in self._passed
        ]

    def _next_event_gate(self) -> int | None:
        """The gate a non-audio client event must match."""
        for i in self._gates():
            if self.track[i].kind == "client":
                return i
            if self.match.appends == "ordered":
                return i  # audio still expected first
        return None

    def _left(self, gate: int) -> int:
        return self._remaining.get(gate, self.track[gate].size)

    def _audio(self, event: dict[str, Any]) -> list[Out]:
        size = audio_bytes(event.get("audio"))
        fill: list[int] = []
        for i in self._gates():
            if self.track[i].kind == "client":
                if self.match.appends == "ordered":
                    break
                continue
            fill.append(i)
        need = sum(self._left(i) for i in fill)
        if need == 0:
            gate = self._next_event_gate()
            expected = preview(self.track[gate].event) if gate is not None else self._nothing_more()
            line = self.track[gate].line if gate is not None else None
            return self._fail(
                "extra", line, expected, f"input_audio_buffer.append ({self._describe_audio(size)} of audio)"
            )
        # The chunk that completes the recorded audio may run past it (another chunk size than
        # when recording): the excess is not counted against the client.
        for i in fill:
            if size <= 0:
                break
            take = min(size, self._left(i))
            size -= take
            self._remaining[i] = self._left(i) - take
            if self._remaining[i] == 0:
                self._passed.add(i)
        return self._release()

    def _normal(self, value: Any) -> Any:
        if isinstance(value, dict):
            value = cast("dict[str, Any]", value)
            if is_marker(value):
                return ("audio", audio_bytes(value))
            ignore = self.match.ignore
            ids = self.match.ignore_ids
            return {
                k: self._normal(v)
                for k, v in value.items()  # pyright: ignore[reportUnknownVariableType]
                if not (k in ignore or (ids and isinstance(k, str) and (k == "id" or k.endswith("_id"))))
            }
        if isinstance(value, list):
            return [self._normal(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
        return value

    def _normal_event(self, event: dict[str, Any]) -> Any:
        return self._normal(map_audio(event, lambda v: {"$audio": "bytes", "bytes": audio_bytes(v)}))

    # --- output ---------------------------------------------------------------------------------

    def _release(self) -> list[Out]:
        out: list[Out] = []
        track = self.track
        while self._pos < len(track):
            step = track[self._pos]
            if step.kind in ("client", "append"):
                if self._pos not in self._passed:
                    break
                self._last_t = max(self._last_t, step.t)
            elif step.kind == "server":
                out.append(Out("send", self._restore(step.event), delay=self._delay(step)))
            elif step.event.get("by") == "server":
                code = step.event.get("code")
                out.append(
                    Out(
                        "close",
                        code=code if isinstance(code, int) else 1000,
                        reason=str(step.event.get("reason") or ""),
                        delay=self._delay(step),
                    )
                )
            self._pos += 1
        return out

    def _delay(self, step: Step) -> float:
        delay = step.t - self._last_t if self.timing == "recorded" else 0.0
        self._last_t = max(self._last_t, step.t)
        return max(0.0, delay)

    def _restore(self, event: dict[str, Any]) -> str:
        kind = event.get("type")
        if kind in ("session.created", "session.updated"):
            session = event.get("session")
            if isinstance(session, dict):
                out_format = session.get("output_audio_format")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
                in_format = session.get("input_audio_format")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
                rate = session.get("input_audio_sampling_rate")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
                if isinstance(out_format, str):
                    self._output_format = out_format
                if isinstance(in_format, str):
                    self._input_format = in_format
                if isinstance(rate, int) and rate > 0:
                    self._input_rate = rate
        audio_format = (
            self._output_format
            if isinstance(kind, str) and kind.endswith("audio.delta")
            else self._input_format
        )

        def expand(value: Any) -> Any:
            if not is_marker(value):
                return value
            if value.get("$audio") == "dropped":
                return ""
            return silence(audio_bytes(value), audio_format)

        return dumps(map_audio(event, expand))

    def _describe_audio(self, size: int) -> str:
        if self._input_format in ("g711_ulaw", "g711_alaw"):
            per_second = 8000
        elif self._input_format in (None, "pcm16"):
            per_second = self._input_rate * 2
        else:
            return f"{size} bytes"
        return f"{size} bytes, {size / per_second:.2f} s"

    def _nothing_more(self) -> str:
        last = max((s.line for s in self.track if s.kind in ("client", "append")), default=None)
        after = f" after line {last}" if last is not None else ""
        return f"no more client events on this connection (the recording has none{after})"

    def _fail(
        self,
        kind: str,
        line: int | None,
        expected: str,
        got: str,
        client_event_id: object = None,
    ) -> list[Out]:
        self.mismatch = CassetteMismatch(
            kind,
            cassette=self.cassette.path,
            connection=self.index,
            index=self.count,
            line=line,
            expected=expected,
            got=got,
        )
        error = {
            "type": "error",
            "event_id": "event_cassette_mismatch",
            "error": {
                "type": "invalid_request_error",
                "code": MISMATCH_CODE,
                "message": str(self.mismatch),
                "param": None,
                "event_id": client_event_id if isinstance(client_event_id, str) else None,
            },
        }
        code, reason = MISMATCH_CLOSE
        return [Out("send", dumps(error)), Out("close", code=code, reason=reason)]
