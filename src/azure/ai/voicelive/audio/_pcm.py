"""16-bit PCM helpers: sample views, test tones, level metering and base64 transport."""

from __future__ import annotations

import base64
import binascii
import math
import sys
from array import array
from typing import Callable, Optional, Union

__all__ = [
    "BytesLike",
    "as_int16_samples",
    "as_uint16_samples",
    "base64_to_pcm16",
    "pcm16_to_base64",
    "rms_pcm16",
    "samples_to_pcm16",
    "silence_pcm16",
    "sine_pcm16",
]

BytesLike = Union[bytes, bytearray, memoryview]
"""Audio input accepted by the helpers: ``bytes``, ``bytearray`` or a byte ``memoryview``."""

_BIG_ENDIAN = sys.byteorder == "big"
_FULL_SCALE = 32768.0
_RMS_BLOCK = 1 << 16

# ``math.sumprod`` (3.12+) is the fastest exact sum of squares; fall back to ``math.hypot``.
_sumprod: Optional[Callable[[array[int], array[int]], float]] = getattr(math, "sumprod", None)


def _as_bytes(data: BytesLike) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"expected a bytes-like object, got {type(data).__name__}")


def _samples(pcm16: BytesLike, typecode: str) -> array[int]:
    raw = _as_bytes(pcm16)
    if len(raw) % 2:
        raise ValueError(f"PCM16 data must have an even number of bytes, got {len(raw)}")
    samples = array(typecode, raw)
    if _BIG_ENDIAN:  # pragma: no cover - the wire format is little-endian
        samples.byteswap()
    return samples


def as_int16_samples(pcm16: BytesLike) -> array[int]:
    """Return the samples of little-endian PCM16 data as a signed ``array('h')``.

    Raises:
        ValueError: if the data has an odd number of bytes.
        TypeError: if ``pcm16`` is not bytes-like.
    """
    return _samples(pcm16, "h")


def as_uint16_samples(pcm16: BytesLike) -> array[int]:
    """Return the samples of little-endian PCM16 data reinterpreted as unsigned ``array('H')``.

    Raises:
        ValueError: if the data has an odd number of bytes.
        TypeError: if ``pcm16`` is not bytes-like.
    """
    return _samples(pcm16, "H")


def samples_to_pcm16(samples: array[int]) -> bytes:
    """Serialise an ``array('h')`` of samples to little-endian PCM16 bytes."""
    if _BIG_ENDIAN:  # pragma: no cover - the wire format is little-endian
        samples = array(samples.typecode, samples)
        samples.byteswap()
    return samples.tobytes()


def _check_rate(sample_rate: int) -> None:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate!r}")


def _n_samples(duration_ms: float, sample_rate: int) -> int:
    if not math.isfinite(duration_ms) or duration_ms < 0:
        raise ValueError(f"duration_ms must be a finite non-negative number, got {duration_ms!r}")
    _check_rate(sample_rate)
    return round(duration_ms * sample_rate / 1000)


def silence_pcm16(duration_ms: float, *, sample_rate: int = 24000) -> bytes:
    """Return ``duration_ms`` of digital silence as PCM16 (rounded to whole samples).

    Raises:
        ValueError: if ``duration_ms`` is negative or not finite, or ``sample_rate`` is not positive.
    """
    return bytes(2 * _n_samples(duration_ms, sample_rate))


def sine_pcm16(
    frequency_hz: float,
    duration_ms: float,
    *,
    sample_rate: int = 24000,
    amplitude: float = 0.3,
) -> bytes:
    """Return a sine tone as mono PCM16 (little-endian), starting at phase zero.

    ``amplitude`` is relative to full scale (``1.0`` peaks at +/-32767). The length
    is ``round(duration_ms * sample_rate / 1000)`` samples.

    Raises:
        ValueError: for a negative/non-finite duration or frequency, a non-positive
            ``sample_rate`` or an ``amplitude`` outside ``0..1``.
    """
    n = _n_samples(duration_ms, sample_rate)
    if not math.isfinite(frequency_hz) or frequency_hz < 0:
        raise ValueError(f"frequency_hz must be a finite non-negative number, got {frequency_hz!r}")
    if not 0.0 <= amplitude <= 1.0:
        raise ValueError(f"amplitude must be between 0 and 1, got {amplitude!r}")
    step = 2.0 * math.pi * frequency_hz / sample_rate
    scale = amplitude * 32767.0
    sin = math.sin
    samples = array("h", [round(scale * sin(step * i)) for i in range(n)])
    return samples_to_pcm16(samples)


def rms_pcm16(pcm16: BytesLike) -> float:
    """Return the root-mean-square level of mono PCM16, normalised so that 1.0 is full scale (32768).

    Empty input has an RMS of ``0.0``.

    Raises:
        ValueError: if the data has an odd number of bytes.
        TypeError: if ``pcm16`` is not bytes-like.
    """
    samples = as_int16_samples(pcm16)
    n = len(samples)
    if n == 0:
        return 0.0
    if _sumprod is not None:
        total = float(_sumprod(samples, samples))
        return math.sqrt(total / n) / _FULL_SCALE
    if n <= _RMS_BLOCK:
        norm = math.hypot(*samples)
    else:
        norm = math.hypot(*(math.hypot(*samples[i : i + _RMS_BLOCK]) for i in range(0, n, _RMS_BLOCK)))
    return norm / math.sqrt(n) / _FULL_SCALE


def pcm16_to_base64(pcm16: BytesLike) -> str:
    """Encode audio bytes as standard base64 text (the form the Voice Live wire protocol uses).

    Raises:
        TypeError: if ``pcm16`` is not bytes-like.
    """
    return base64.b64encode(_as_bytes(pcm16)).decode("ascii")


def base64_to_pcm16(text: str) -> bytes:
    """Decode standard base64 text (as carried in ``audio``/``delta`` fields) to raw audio bytes.

    The payload length is not checked, so this also works for one-byte-per-sample
    G.711 audio.

    Raises:
        ValueError: if ``text`` is not valid standard base64 (bad characters,
            bad padding or non-ASCII text).
        TypeError: if ``text`` is neither ``str`` nor bytes-like.
    """
    if not isinstance(text, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"expected base64 text, got {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ValueError(f"invalid base64 audio data ({exc}): {shown!r}") from None
