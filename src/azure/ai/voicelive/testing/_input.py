"""Input audio, voice activity detection and turns of the fake service (sans-I/O).

`InputAudio` owns the input audio buffer on the session's audio timeline: it decodes
``input_audio_buffer.append`` audio in the session's input format, feeds the VAD when turn
detection is on and reports where speech starts and stops (with the turn's audio), and keeps the
``input_audio.turn.*`` and ``input_text.*`` turns of Azure's extra client events. It builds no
events: the simulator decides what each change means for the conversation and the response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..audio import alaw_decode, base64_to_pcm16, ulaw_decode
from ._common import Reject, get_str, invalid
from ._vad import FRAME_MS, EnergyVad

__all__ = ["MIN_COMMIT_MS", "InputAudio", "SpeechChange"]

MIN_COMMIT_MS = 100
"""The service refuses to commit less audio than this."""


@dataclass(frozen=True)
class SpeechChange:
    """The VAD saw speech start (``audio`` empty) or stop (``audio``: the turn, in the input format)."""

    kind: str
    ms: int
    audio: bytes = b""


class InputAudio:
    """The input audio buffer, the VAD and the client-driven turns of one session."""

    def __init__(self) -> None:
        self.rate = 24000
        """Sample rate of the input audio (8000 for G.711)."""
        self.width = 2
        """Bytes per sample of the input format (1 for G.711)."""
        self.end_ms = 0.0
        """Milliseconds of input audio received since the session started (the VAD timeline)."""
        self.speech_item: str | None = None
        """The item id announced with ``speech_started`` for the turn in progress."""
        self.speech_start_ms = 0
        self._buffer = bytearray()
        self._buffer_start_ms = 0.0
        self._decode: Callable[[bytes], bytes] | None = None
        self._vad: EnergyVad | None = None
        self._turn_detection: Mapping[str, Any] = {}
        self._key: tuple[Any, ...] = ()
        self._turns: dict[str, bytearray] = {}
        self._texts: dict[str, list[str]] = {}

    # --- configuration ---------------------------------------------------------------------------

    def configure(self, session: Mapping[str, Any]) -> None:
        """Follow the session's input format, rate and turn detection (a new format drops the buffer)."""
        fmt = session.get("input_audio_format") or "pcm16"
        if fmt == "pcm16":
            rate, width, decode = int(session.get("input_audio_sampling_rate") or 24000), 2, None
        else:
            rate, width, decode = 8000, 1, (ulaw_decode if fmt == "g711_ulaw" else alaw_decode)
        td: Mapping[str, Any] | None = session.get("turn_detection")
        key = (fmt, rate, json.dumps(td, sort_keys=True))
        if key == self._key:
            return
        if (fmt, rate) != self._key[:2]:
            self._buffer.clear()
            self._buffer_start_ms = self.end_ms
        self._key = key
        self.rate, self.width, self._decode = rate, width, decode
        self.speech_item = None
        self._turn_detection = td or {}
        if td is None:
            self._vad = None
            return
        self._vad = EnergyVad(
            sample_rate=rate,
            threshold=td.get("threshold", 0.5),
            prefix_padding_ms=td.get("prefix_padding_ms", 300),
            silence_duration_ms=td.get("silence_duration_ms", 500),
            min_speech_ms=td.get("speech_duration_ms") or 0,
            origin_ms=self.end_ms,
        )

    @property
    def bytes_per_ms(self) -> float:
        """Bytes of input audio per millisecond."""
        return self.rate * self.width / 1000

    @property
    def buffered_ms(self) -> float:
        """Milliseconds of audio in the buffer (not yet committed or discarded)."""
        return len(self._buffer) / self.bytes_per_ms

    def to_pcm16(self, audio: bytes) -> bytes:
        """Input audio as PCM16 at `rate` (G.711 is decoded)."""
        return audio if self._decode is None else self._decode(audio)

    def duration_ms(self, audio: bytes) -> float:
        """Length of input audio in milliseconds."""
        return len(audio) / self.bytes_per_ms

    # --- the buffer ------------------------------------------------------------------------------

    def decode(self, event: Mapping[str, Any], key: str = "audio") -> bytes:
        """The base64 audio of a client event, checked to be whole samples."""
        text = get_str(event, key)
        try:
            raw = base64_to_pcm16(text)
        except ValueError:
            invalid(key, f"Invalid value for '{key}': expected base64-encoded audio bytes.")
        if self.width == 2 and len(raw) % 2:
            invalid(
                key,
                f"Invalid value for '{key}': PCM16 audio needs whole 2-byte samples, got {len(raw)} bytes.",
            )
        return raw

    def append(self, raw: bytes) -> list[SpeechChange]:
        """Add audio to the buffer; returns where the VAD saw speech start and stop."""
        self._buffer += raw
        self.end_ms += len(raw) / self.bytes_per_ms
        vad = self._vad
        if vad is None:
            return []
        changes: list[SpeechChange] = []
        for change in vad.feed(self.to_pcm16(raw)):
            if change.kind == "start":
                self.speech_start_ms = change.ms
                changes.append(SpeechChange("start", change.ms))
            else:
                start = self._offset(self.speech_start_ms)
                end = self._offset(change.ms)
                audio = bytes(self._buffer[start:end])
                self._drop(end)
                changes.append(SpeechChange("stop", change.ms, audio))
        if not vad.speaking:
            keep_ms = (
                vad.prefix_padding_ms + (self._turn_detection.get("speech_duration_ms") or 0) + 2 * FRAME_MS
            )
            self._drop(self._offset(self.end_ms - keep_ms))
        return changes

    def commit(self) -> bytes:
        """Take the whole buffer (``input_audio_buffer.commit``); refuses less than 100 ms."""
        ms = self.buffered_ms
        if ms < MIN_COMMIT_MS:
            raise Reject(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of audio.",
            )
        audio = bytes(self._buffer)
        self.clear()
        return audio

    def clear(self) -> None:
        """Discard the buffer and any speech in progress."""
        self._buffer.clear()
        self._buffer_start_ms = self.end_ms
        self.speech_item = None
        if self._vad is not None:
            self._vad.reset()

    def _offset(self, ms: float) -> int:
        offset = round((ms - self._buffer_start_ms) * self.bytes_per_ms)
        offset -= offset % self.width
        return min(max(offset, 0), len(self._buffer))

    def _drop(self, cut: int) -> None:
        if cut:
            del self._buffer[:cut]
            self._buffer_start_ms += cut / self.bytes_per_ms

    # --- input_audio.turn.* and input_text.* (Azure extras) ---------------------------------------

    def turn_start(self, turn_id: str) -> None:
        """``input_audio.turn.start``: a new client-delimited turn."""
        self._turns[turn_id] = bytearray()

    def _turn(self, turn_id: str) -> bytearray:
        if turn_id not in self._turns:
            invalid("turn_id", f"Invalid value: '{turn_id}'. No audio turn with this id was started.")
        return self._turns[turn_id]

    def turn_append(self, turn_id: str, raw: bytes) -> None:
        """``input_audio.turn.append``: audio for a started turn."""
        self._turn(turn_id).extend(raw)

    def turn_end(self, turn_id: str) -> bytes:
        """``input_audio.turn.end``: the turn's audio (possibly empty)."""
        audio = bytes(self._turn(turn_id))
        del self._turns[turn_id]
        return audio

    def turn_cancel(self, turn_id: str) -> None:
        """``input_audio.turn.cancel``: drop the turn."""
        self._turn(turn_id)
        del self._turns[turn_id]

    def text_delta(self, item_id: str, delta: str) -> None:
        """``input_text.delta``: text for a user message still being typed."""
        self._texts.setdefault(item_id, []).append(delta)

    def text_done(self, item_id: str) -> str:
        """``input_text.done``: the whole text of the message."""
        if item_id not in self._texts:
            invalid("id", f"Invalid value: '{item_id}'. No input_text.delta was sent for this id.")
        return "".join(self._texts.pop(item_id))
