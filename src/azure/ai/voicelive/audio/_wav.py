"""Reading and writing PCM WAV files with the standard library `wave` module."""

from __future__ import annotations

import io
import os
from array import array
from dataclasses import dataclass
from itertools import repeat
from operator import add
from typing import IO, Any, Optional, Union

from ._pcm import BytesLike, as_int16_samples, samples_to_pcm16
from ._resample import _floordiv, resample_pcm16

__all__ = ["WavAudio", "load_pcm16", "read_wav", "wav_bytes", "write_wav"]

WavSource = Union[str, "os.PathLike[str]", IO[bytes]]

# 8-bit WAV is unsigned with a 128 offset; this maps each byte to the high byte of a 16-bit sample.
_U8_TO_HIGH = bytes((b - 128) & 0xFF for b in range(256))


@dataclass(frozen=True)
class WavAudio:
    """Audio frames read from a WAV file, exactly as stored.

    Attributes:
        pcm: interleaved little-endian integer frames (8-bit data is unsigned, as in WAV).
        sample_rate: frames per second.
        channels: number of interleaved channels.
        sample_width: bytes per sample (1, 2, 3 or 4).
    """

    pcm: bytes
    sample_rate: int
    channels: int
    sample_width: int

    @property
    def n_frames(self) -> int:
        """Number of frames (one sample per channel)."""
        return len(self.pcm) // (self.channels * self.sample_width)

    @property
    def duration_ms(self) -> float:
        """Duration in milliseconds."""
        return self.n_frames * 1000.0 / self.sample_rate

    def to_pcm16_mono(self) -> WavAudio:
        """Return a copy converted to 16-bit mono (channels averaged, other widths rescaled).

        Returns ``self`` when the audio already is 16-bit mono.

        Raises:
            ValueError: if ``sample_width`` is not 1, 2, 3 or 4.
        """
        if self.sample_width == 2 and self.channels == 1:
            return self
        pcm = _to_16_bit(self.pcm, self.sample_width)
        if self.channels > 1:
            pcm = _downmix(pcm, self.channels)
        return WavAudio(pcm, self.sample_rate, 1, 2)


def _to_16_bit(data: bytes, width: int) -> bytes:
    """Convert interleaved little-endian samples of ``width`` bytes to 16-bit (keeping the top bytes)."""
    if width == 2:
        return data
    if width not in (1, 3, 4):
        raise ValueError(f"unsupported WAV sample width: {width} bytes (supported: 1, 2, 3, 4)")
    n = len(data) // width
    out = bytearray(2 * n)
    if width == 1:
        out[1::2] = data.translate(_U8_TO_HIGH)
    else:
        out[0::2] = data[width - 2 :: width]
        out[1::2] = data[width - 1 :: width]
    return bytes(out)


def _downmix(pcm16: bytes, channels: int) -> bytes:
    samples = as_int16_samples(pcm16)
    total: Any = samples[0::channels]
    for c in range(1, channels):
        total = map(add, total, samples[c::channels])
    mixed = array("h", map(_floordiv, total, repeat(channels)))
    return samples_to_pcm16(mixed)


def read_wav(source: WavSource) -> WavAudio:
    """Read a PCM WAV file (path or binary file object) and return its frames and header fields.

    The frames are returned as stored; use [`WavAudio.to_pcm16_mono()`][WavAudio.to_pcm16_mono] (or
    [`load_pcm16()`][load_pcm16]) to get 16-bit mono audio. A file object is left open.

    Raises:
        ValueError: if the data is not a readable PCM WAV file (wrong header,
            compressed or floating-point format, truncated, unsupported width).
        OSError: if a path cannot be opened.
    """
    import wave  # local import keeps ``import azure.ai.voicelive.audio`` cheap

    target: Any = os.fspath(source) if isinstance(source, (str, os.PathLike)) else source
    try:
        with wave.open(target, "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a readable PCM WAV file: {exc or type(exc).__name__}") from exc
    if width not in (1, 2, 3, 4):
        raise ValueError(f"unsupported WAV sample width: {width} bytes (supported: 1, 2, 3, 4)")
    if channels < 1 or rate < 1:
        raise ValueError(f"invalid WAV header: channels={channels}, sample_rate={rate}")
    frame_size = channels * width
    usable = len(frames) - len(frames) % frame_size  # drop a truncated trailing frame
    return WavAudio(frames[:usable], rate, channels, width)


def load_pcm16(source: WavSource, *, sample_rate: Optional[int] = None) -> bytes:
    """Read a WAV file as mono 16-bit PCM, resampled to ``sample_rate`` if given.

    Raises:
        ValueError: as for [`read_wav()`][read_wav], or for a non-positive ``sample_rate``.
        OSError: if a path cannot be opened.
    """
    audio = read_wav(source).to_pcm16_mono()
    if sample_rate is None:
        return audio.pcm
    return resample_pcm16(audio.pcm, audio.sample_rate, sample_rate)


def write_wav(target: WavSource, pcm16: BytesLike, *, sample_rate: int = 24000, channels: int = 1) -> None:
    """Write interleaved 16-bit little-endian PCM as a WAV file (path or binary file object).

    A file object is written from its current position and left open; it does
    not need to be seekable.

    Raises:
        ValueError: for a non-positive ``sample_rate``/``channels`` or data that is
            not a whole number of frames.
        OSError: if a path cannot be written.
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate!r}")
    if isinstance(channels, bool) or not isinstance(channels, int) or channels <= 0:
        raise ValueError(f"channels must be a positive integer, got {channels!r}")
    data = bytes(pcm16)
    if len(data) % (2 * channels):
        raise ValueError(
            f"PCM16 data with {channels} channel(s) must be a multiple of {2 * channels} bytes, "
            f"got {len(data)}"
        )
    import wave

    out: Any = os.fspath(target) if isinstance(target, (str, os.PathLike)) else target
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.setnframes(len(data) // (2 * channels))  # header is final: no seek needed on close
        writer.writeframes(data)


def wav_bytes(pcm16: BytesLike, *, sample_rate: int = 24000, channels: int = 1) -> bytes:
    """Return a complete in-memory WAV file containing 16-bit PCM.

    Raises:
        ValueError: as for [`write_wav()`][write_wav].
    """
    buffer = io.BytesIO()
    write_wav(buffer, pcm16, sample_rate=sample_rate, channels=channels)
    return buffer.getvalue()
