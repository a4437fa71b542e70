"""An energy-based voice activity detector for the fake service (sans-I/O, no sockets).

The detector works on whole 20 ms frames of PCM16 and keeps its own timeline in milliseconds,
measured from the start of the session's audio stream, so the events it reports can be copied
straight into ``input_audio_buffer.speech_started`` / ``speech_stopped``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..audio import rms_pcm16

__all__ = ["FRAME_MS", "EnergyVad", "VadEvent", "threshold_to_rms"]

FRAME_MS = 20
"""Length of one analysis frame in milliseconds."""

ONSET_GAP_MS = 100
"""A pause shorter than this inside the speech that starts a turn does not restart the count of
``min_speech_ms`` (spoken words have short dips in energy between syllables)."""


def threshold_to_rms(threshold: float) -> float:
    """Map a turn-detection ``threshold`` (0..1) to the RMS level (0..1 of full scale) that counts as speech.

    The mapping is logarithmic: ``0.0`` is -60 dBFS, ``0.5`` (the default) is -30 dBFS (RMS about
    0.032) and ``1.0`` is 0 dBFS. At the default, a tone with amplitude 0.1 (RMS 0.07) is speech and
    low noise with amplitude 0.005 (RMS 0.0035) is not.
    """
    t = min(max(float(threshold), 0.0), 1.0)
    return float(10.0 ** (3.0 * t - 3.0))


@dataclass(frozen=True)
class VadEvent:
    """A change of speech state found by [`EnergyVad`][].

    ``kind`` is ``"start"`` (``ms`` is the start of speech minus the prefix padding, never below 0)
    or ``"stop"`` (``ms`` is where the silence that ended the turn reached ``silence_duration_ms``,
    i.e. the end of speech plus the silence duration, as the service reports ``audio_end_ms``).
    ``speech_ms`` is the timeline position of the detected speech edge itself (onset or end).
    """

    kind: Literal["start", "stop"]
    ms: int
    speech_ms: int


class EnergyVad:
    """Detect speech in a PCM16 stream by frame energy.

    A frame is speech when its RMS level reaches [`threshold_to_rms()`][threshold_to_rms] of
    ``threshold``. A turn starts once speech frames add up to ``min_speech_ms`` (at least one
    frame; pauses shorter than `ONSET_GAP_MS` between them do not restart the count) and stops after
    ``silence_duration_ms`` of non-speech frames. Audio is fed in any chunk size; a partial frame
    waits for the next chunk.
    """

    __slots__ = (
        "_candidate",
        "_candidate_ms",
        "_frame_bytes",
        "_frames",
        "_last_speech_end",
        "_level",
        "_min_speech_ms",
        "_origin_ms",
        "_rest",
        "_silence_ms",
        "prefix_padding_ms",
        "sample_rate",
        "speaking",
    )

    def __init__(
        self,
        *,
        sample_rate: int = 24000,
        threshold: float = 0.5,
        prefix_padding_ms: int = 300,
        silence_duration_ms: int = 500,
        min_speech_ms: int = 0,
        origin_ms: float = 0.0,
    ) -> None:
        self.sample_rate = sample_rate
        self.prefix_padding_ms = max(0, int(prefix_padding_ms))
        self._silence_ms = max(0, int(silence_duration_ms))
        self._min_speech_ms = max(FRAME_MS, int(min_speech_ms))
        self._level = threshold_to_rms(threshold)
        self._frame_bytes = 2 * sample_rate * FRAME_MS // 1000
        self._origin_ms = float(origin_ms)
        self._frames = 0
        self._rest = b""
        self.speaking = False
        self._candidate: float | None = None
        self._candidate_ms = 0
        self._last_speech_end = 0.0

    @property
    def position_ms(self) -> float:
        """Timeline position (ms) of the end of the last whole frame analysed."""
        return self._origin_ms + self._frames * FRAME_MS

    def reset(self) -> None:
        """Forget any speech in progress (after a commit or clear); the timeline keeps running."""
        self.speaking = False
        self._candidate = None

    def feed(self, pcm16: bytes) -> list[VadEvent]:
        """Analyse more audio; return the speech starts and stops it completes, in order."""
        data = self._rest + pcm16 if self._rest else pcm16
        size = self._frame_bytes
        whole = len(data) - len(data) % size
        self._rest = bytes(data[whole:])
        events: list[VadEvent] = []
        if not whole:
            return events
        level = self._level
        for offset in range(0, whole, size):
            start = self._origin_ms + self._frames * FRAME_MS
            self._frames += 1
            end = start + FRAME_MS
            speech = rms_pcm16(data[offset : offset + size]) >= level
            if not self.speaking:
                if not speech:
                    if self._candidate is not None and end - self._last_speech_end >= ONSET_GAP_MS:
                        self._candidate = None
                    continue
                if self._candidate is None:
                    self._candidate, self._candidate_ms = start, 0
                self._candidate_ms += FRAME_MS
                self._last_speech_end = end
                if self._candidate_ms >= self._min_speech_ms:
                    self.speaking = True
                    self._last_speech_end = end
                    onset = self._candidate
                    events.append(
                        VadEvent("start", max(0, round(onset - self.prefix_padding_ms)), round(onset))
                    )
            elif speech:
                self._last_speech_end = end
            elif end - self._last_speech_end >= self._silence_ms:
                self.speaking = False
                self._candidate = None
                events.append(VadEvent("stop", round(end), round(self._last_speech_end)))
        return events
