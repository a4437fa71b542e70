"""ITU-T G.711 mu-law / A-law codecs for 16-bit little-endian mono PCM.

Pure standard library (no ``audioop``, which was removed in Python 3.13). The
per-sample work is done by C-level primitives:

* decoding maps every code byte through two 256-entry ``bytes.translate`` tables
  (low byte and high byte of the 16-bit sample) and interleaves the results with
  extended-slice assignment;
* encoding looks every unsigned 16-bit sample up in a 65536-entry ``bytes`` table
  with one `operator.itemgetter()` call per block.

The tables are built lazily on first use and cached for the life of the process.
The bit-level algorithms follow the classic reference implementation of G.711
(Sun Microsystems' ``g711.c``, which is also what ``audioop`` used), so output is
bit-identical to ``audioop.lin2ulaw`` / ``ulaw2lin`` / ``lin2alaw`` / ``alaw2lin``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from operator import itemgetter

from ._pcm import BytesLike, as_uint16_samples

__all__ = ["alaw_decode", "alaw_encode", "ulaw_decode", "ulaw_encode"]

# Samples are converted in blocks so that the temporary tuples stay small.
_BLOCK = 1 << 15

_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159  # 14-bit magnitude clip


def _ulaw_decode_one(code: int) -> int:
    u = ~code & 0xFF
    t = ((u & 0x0F) << 3) + _ULAW_BIAS
    t <<= (u & 0x70) >> 4
    return _ULAW_BIAS - t if u & 0x80 else t - _ULAW_BIAS


def _alaw_decode_one(code: int) -> int:
    a = code ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


def _ulaw_encode14(value: int) -> int:
    """Encode a signed 14-bit sample (a 16-bit sample shifted right by 2)."""
    if value < 0:
        value = -value
        mask = 0x7F
    else:
        mask = 0xFF
    value = min(value, _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = max(value.bit_length() - 6, 0)  # segment ends at 0x3F, 0x7F, ..., 0x1FFF
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((value >> (seg + 1)) & 0x0F)) ^ mask


def _alaw_encode13(value: int) -> int:
    """Encode a signed 13-bit sample (a 16-bit sample shifted right by 3)."""
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    seg = max(value.bit_length() - 5, 0)  # segment ends at 0x1F, 0x3F, ..., 0xFFF
    if seg >= 8:
        return 0x7F ^ mask
    shift = 1 if seg < 2 else seg
    return ((seg << 4) | ((value >> shift) & 0x0F)) ^ mask


def _decode_tables(decode_one: Callable[[int], int]) -> tuple[bytes, bytes]:
    values = [decode_one(code) & 0xFFFF for code in range(256)]
    return bytes(v & 0xFF for v in values), bytes(v >> 8 for v in values)


def _expand(small: bytes, shift: int) -> bytes:
    """Turn a table indexed by ``u >> shift`` into one indexed by the unsigned 16-bit ``u``."""
    out = bytearray(1 << 16)
    step = 1 << shift
    for k in range(step):
        out[k::step] = small
    return bytes(out)


@cache
def _ulaw_tables() -> tuple[bytes, bytes, bytes]:
    lo, hi = _decode_tables(_ulaw_decode_one)
    # Index is the unsigned 14-bit pattern; bit 13 is the sign of the 14-bit value.
    small = bytes(_ulaw_encode14(i - (1 << 14) if i & (1 << 13) else i) for i in range(1 << 14))
    return lo, hi, _expand(small, 2)


@cache
def _alaw_tables() -> tuple[bytes, bytes, bytes]:
    lo, hi = _decode_tables(_alaw_decode_one)
    small = bytes(_alaw_encode13(i - (1 << 13) if i & (1 << 12) else i) for i in range(1 << 13))
    return lo, hi, _expand(small, 3)


def _decode(data: BytesLike, lo: bytes, hi: bytes) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected a bytes-like object, got {type(data).__name__}")
    raw = bytes(data)
    out = bytearray(2 * len(raw))
    out[0::2] = raw.translate(lo)
    out[1::2] = raw.translate(hi)
    return bytes(out)


def _encode(pcm16: BytesLike, table: bytes) -> bytes:
    samples = as_uint16_samples(pcm16)
    n = len(samples)
    if n == 0:
        return b""
    if n == 1:
        return bytes((table[samples[0]],))
    out = bytearray()
    for start in range(0, n, _BLOCK):
        block = samples[start : start + _BLOCK]
        if len(block) == 1:
            out.append(table[block[0]])
        else:
            out += bytes(itemgetter(*block)(table))
    return bytes(out)


def ulaw_encode(pcm16: BytesLike) -> bytes:
    """Encode 16-bit little-endian mono PCM to G.711 mu-law (one byte per sample).

    Raises:
        ValueError: if ``pcm16`` has an odd number of bytes.
        TypeError: if ``pcm16`` is not bytes-like.
    """
    return _encode(pcm16, _ulaw_tables()[2])


def ulaw_decode(data: BytesLike) -> bytes:
    """Decode G.711 mu-law bytes to 16-bit little-endian mono PCM (two bytes per sample).

    Note that codes ``0x7F`` and ``0xFF`` both decode to ``0`` (mu-law has a
    "negative zero"); [`ulaw_encode()`][ulaw_encode] always produces ``0xFF`` for zero.

    Raises:
        TypeError: if ``data`` is not bytes-like.
    """
    lo, hi, _ = _ulaw_tables()
    return _decode(data, lo, hi)


def alaw_encode(pcm16: BytesLike) -> bytes:
    """Encode 16-bit little-endian mono PCM to G.711 A-law (one byte per sample).

    Raises:
        ValueError: if ``pcm16`` has an odd number of bytes.
        TypeError: if ``pcm16`` is not bytes-like.
    """
    return _encode(pcm16, _alaw_tables()[2])


def alaw_decode(data: BytesLike) -> bytes:
    """Decode G.711 A-law bytes to 16-bit little-endian mono PCM (two bytes per sample).

    Raises:
        TypeError: if ``data`` is not bytes-like.
    """
    lo, hi, _ = _alaw_tables()
    return _decode(data, lo, hi)
