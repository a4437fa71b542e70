"""Voice Live wire audio formats, durations and chunking."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Optional, Union

from ._pcm import BytesLike, pcm16_to_base64

__all__ = [
    "AudioFormat",
    "bytes_for_ms",
    "chunk_audio",
    "duration_ms",
    "get_audio_format",
    "iter_base64_chunks",
]

Encoding = Literal["pcm16", "ulaw", "alaw"]


@dataclass(frozen=True)
class AudioFormat:
    """Description of one Voice Live wire audio format.

    Attributes:
        name: canonical wire name (e.g. ``"pcm16"``, ``"g711_ulaw"``).
        sample_rate: default sample rate in Hz.
        bytes_per_sample: bytes per (mono) sample: 2 for PCM16, 1 for G.711.
        encoding: ``"pcm16"`` (signed 16-bit little-endian), ``"ulaw"`` or ``"alaw"``.
    """

    name: str
    sample_rate: int
    bytes_per_sample: int
    encoding: Encoding

    def bytes_per_second(self, sample_rate: Optional[int] = None) -> int:
        """Return the byte rate, optionally at a ``sample_rate`` other than the default.

        Raises:
            ValueError: if ``sample_rate`` is not a positive integer.
        """
        return self.bytes_per_sample * _rate(self, sample_rate)


_PCM16 = AudioFormat("pcm16", 24000, 2, "pcm16")
_PCM16_16K = AudioFormat("pcm16-16000hz", 16000, 2, "pcm16")
_PCM16_8K = AudioFormat("pcm16-8000hz", 8000, 2, "pcm16")
_ULAW = AudioFormat("g711_ulaw", 8000, 1, "ulaw")
_ALAW = AudioFormat("g711_alaw", 8000, 1, "alaw")

_FORMATS: dict[str, AudioFormat] = {
    "pcm16": _PCM16,
    "pcm16-16000hz": _PCM16_16K,
    "pcm16_16000hz": _PCM16_16K,
    "pcm16-8000hz": _PCM16_8K,
    "pcm16_8000hz": _PCM16_8K,
    "g711_ulaw": _ULAW,
    "g711_alaw": _ALAW,
}

FormatLike = Union[str, AudioFormat]


def get_audio_format(audio_format: FormatLike) -> AudioFormat:
    """Look up a wire format by name (case-insensitive; ``_``/``-`` spellings both accepted).

    Also accepts an [`AudioFormat`][] (returned unchanged) or a string enum
    member such as ``InputAudioFormat.PCM16``.

    Raises:
        ValueError: for an unknown format name; the message lists the known names.
    """
    if isinstance(audio_format, AudioFormat):
        return audio_format
    value = getattr(audio_format, "value", audio_format)
    if isinstance(value, str):
        found = _FORMATS.get(value.strip().lower())
        if found is not None:
            return found
    known = ", ".join(sorted(_FORMATS))
    raise ValueError(f"unknown audio format {audio_format!r}; known formats: {known}")


def _rate(fmt: AudioFormat, sample_rate: Optional[int]) -> int:
    if sample_rate is None:
        return fmt.sample_rate
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate!r}")
    return sample_rate


def duration_ms(
    n_bytes: int, audio_format: FormatLike = "pcm16", *, sample_rate: Optional[int] = None
) -> float:
    """Return how many milliseconds ``n_bytes`` of audio in ``audio_format`` last.

    ``sample_rate`` overrides the format's default rate (e.g. ``pcm16`` at 16 kHz).

    Raises:
        ValueError: for a negative ``n_bytes``, an unknown format or a non-positive ``sample_rate``.
    """
    fmt = get_audio_format(audio_format)
    rate = _rate(fmt, sample_rate)
    if n_bytes < 0:
        raise ValueError(f"n_bytes must be non-negative, got {n_bytes}")
    return n_bytes * 1000.0 / (fmt.bytes_per_sample * rate)


def bytes_for_ms(ms: float, audio_format: FormatLike = "pcm16", *, sample_rate: Optional[int] = None) -> int:
    """Return the byte count of ``ms`` milliseconds of audio, rounded to whole samples.

    ``sample_rate`` overrides the format's default rate.

    Raises:
        ValueError: for a negative or non-finite ``ms``, an unknown format or a
            non-positive ``sample_rate``.
    """
    fmt = get_audio_format(audio_format)
    rate = _rate(fmt, sample_rate)
    if not math.isfinite(ms) or ms < 0:
        raise ValueError(f"ms must be a finite non-negative number, got {ms!r}")
    return round(ms * rate / 1000) * fmt.bytes_per_sample


def _chunk_size(data: BytesLike, chunk_ms: float, fmt: AudioFormat, sample_rate: Optional[int]) -> int:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected a bytes-like object, got {type(data).__name__}")
    if not math.isfinite(chunk_ms) or chunk_ms <= 0:
        raise ValueError(f"chunk_ms must be a positive number, got {chunk_ms!r}")
    size = bytes_for_ms(chunk_ms, fmt, sample_rate=sample_rate)
    if size == 0:
        raise ValueError(f"chunk_ms={chunk_ms!r} is shorter than one sample of {fmt.name}")
    if memoryview(data).nbytes % fmt.bytes_per_sample:
        raise ValueError(
            f"{fmt.name} data must be a whole number of {fmt.bytes_per_sample}-byte samples, "
            f"got {memoryview(data).nbytes} bytes"
        )
    return size


def _chunks(view: memoryview, size: int) -> Iterator[bytes]:
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


def chunk_audio(
    data: BytesLike,
    *,
    chunk_ms: float = 20,
    audio_format: FormatLike = "pcm16",
    sample_rate: Optional[int] = None,
) -> Iterator[bytes]:
    """Split audio into consecutive chunks of exactly ``chunk_ms`` (the last may be shorter).

    Chunks never split a sample. Arguments are validated immediately, before the
    returned iterator is consumed.

    Raises:
        ValueError: for a non-positive ``chunk_ms`` (or one shorter than a sample),
            an unknown format, a bad ``sample_rate``, or data that is not a whole
            number of samples.
        TypeError: if ``data`` is not bytes-like.
    """
    fmt = get_audio_format(audio_format)
    size = _chunk_size(data, chunk_ms, fmt, sample_rate)
    return _chunks(memoryview(data).cast("B"), size)


def iter_base64_chunks(
    data: BytesLike,
    *,
    chunk_ms: float = 20,
    audio_format: FormatLike = "pcm16",
    sample_rate: Optional[int] = None,
) -> Iterator[str]:
    """Like [`chunk_audio()`][chunk_audio] but yields base64 text, ready for ``input_audio_buffer.append``.

    Raises:
        ValueError: as for [`chunk_audio()`][chunk_audio].
        TypeError: if ``data`` is not bytes-like.
    """
    return map(
        pcm16_to_base64,
        chunk_audio(data, chunk_ms=chunk_ms, audio_format=audio_format, sample_rate=sample_rate),
    )
