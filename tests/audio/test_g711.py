"""G.711 mu-law / A-law: known vectors, spec formulas, round trips and (where available) audioop parity."""

from __future__ import annotations

import struct
import sys
import warnings
from itertools import pairwise
from typing import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azure.ai.voicelive.audio import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

Codec = Callable[[bytes], bytes]

ALL_SAMPLES = list(range(-32768, 32768))
ALL_PCM = struct.pack(f"<{len(ALL_SAMPLES)}h", *ALL_SAMPLES)
ALL_CODES = bytes(range(256))


def pcm(*samples: int) -> bytes:
    return struct.pack(f"<{len(samples)}h", *samples)


def samples(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 2}h", data)


# --- independent decoding formulas (ITU-T G.711 tables written as closed forms) ---------------


def ulaw_reference(code: int) -> int:
    c = ~code & 0xFF
    exponent, mantissa = (c >> 4) & 7, c & 0x0F
    magnitude = (((2 * mantissa + 33) << exponent) - 33) * 4  # 14-bit value scaled to 16 bits
    return -magnitude if c & 0x80 else magnitude


def alaw_reference(code: int) -> int:
    c = code ^ 0x55
    exponent, mantissa = (c >> 4) & 7, c & 0x0F
    magnitude = (2 * mantissa + 1) * 8 if exponent == 0 else ((2 * mantissa + 33) << (exponent - 1)) * 8
    return magnitude if c & 0x80 else -magnitude


# --- known vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value"),
    [(0xFF, 0), (0x7F, 0), (0x00, -32124), (0x80, 32124), (0xFE, 8), (0x7E, -8), (0xF0, 120)],
)
def test_ulaw_decode_known_values(code: int, value: int) -> None:
    assert samples(ulaw_decode(bytes([code]))) == (value,)


@pytest.mark.parametrize(
    ("value", "code"),
    [(0, 0xFF), (-1, 0x7E), (1, 0xFF), (-4, 0x7E), (32767, 0x80), (-32768, 0x00), (32124, 0x80), (8, 0xFE)],
)
def test_ulaw_encode_known_values(value: int, code: int) -> None:
    assert ulaw_encode(pcm(value)) == bytes([code])


@pytest.mark.parametrize(
    ("code", "value"),
    [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256), (0xD4, 24), (0xC5, 264)],
)
def test_alaw_decode_known_values(code: int, value: int) -> None:
    assert samples(alaw_decode(bytes([code]))) == (value,)


@pytest.mark.parametrize(
    ("value", "code"),
    [(0, 0xD5), (7, 0xD5), (-1, 0x55), (-8, 0x55), (16, 0xD4), (32767, 0xAA), (-32768, 0x2A)],
)
def test_alaw_encode_known_values(value: int, code: int) -> None:
    assert alaw_encode(pcm(value)) == bytes([code])


def test_decode_tables_match_the_spec_formulas() -> None:
    assert samples(ulaw_decode(ALL_CODES)) == tuple(ulaw_reference(c) for c in ALL_CODES)
    assert samples(alaw_decode(ALL_CODES)) == tuple(alaw_reference(c) for c in ALL_CODES)


# --- round trips -------------------------------------------------------------------------------


def test_ulaw_decode_then_encode_is_identity_except_negative_zero() -> None:
    # mu-law has two zero codes: 0xFF (+0) and 0x7F (-0). Both decode to 0, and 0 encodes
    # to 0xFF, so 0x7F is the single code that does not survive decode -> encode.
    back = ulaw_encode(ulaw_decode(ALL_CODES))
    expected = bytearray(ALL_CODES)
    expected[0x7F] = 0xFF
    assert back == bytes(expected)


def test_alaw_decode_then_encode_is_identity() -> None:
    assert alaw_encode(alaw_decode(ALL_CODES)) == ALL_CODES


def test_ulaw_quantisation_error_is_within_half_a_step() -> None:
    codes = ulaw_encode(ALL_PCM)
    decoded = samples(ulaw_decode(codes))
    for x, code, y in zip(ALL_SAMPLES, codes, decoded, strict=True):
        segment = ((code ^ 0xFF) >> 4) & 7
        if abs(x) <= 32635:  # beyond this the encoder clips to the largest code
            # half of the step (8 << segment), plus up to 3 for the two low bits G.711 ignores
            assert abs(y - x) <= (4 << segment) + 3, (x, code, y)
        else:
            assert abs(y) == 32124


def test_alaw_quantisation_error_is_within_half_a_step() -> None:
    codes = alaw_encode(ALL_PCM)
    decoded = samples(alaw_decode(codes))
    for x, code, y in zip(ALL_SAMPLES, codes, decoded, strict=True):
        segment = ((code ^ 0x55) >> 4) & 7
        assert abs(y - x) <= 8 << max(segment - 1, 0), (x, code, y)


@pytest.mark.parametrize(
    ("encode", "decode", "levels"), [(ulaw_encode, ulaw_decode, 255), (alaw_encode, alaw_decode, 256)]
)
def test_encoding_is_monotonic(encode: Codec, decode: Codec, levels: int) -> None:
    decoded = samples(decode(encode(ALL_PCM)))
    assert all(a <= b for a, b in pairwise(decoded))
    assert len(set(decoded)) == levels  # every code is used (mu-law: +0 and -0 share a level)


@given(st.lists(st.integers(-32768, 32767), max_size=300))
def test_round_trip_error_is_bounded(values: list[int]) -> None:
    data = pcm(*values)
    for encode, decode, bound in ((ulaw_encode, ulaw_decode, 644), (alaw_encode, alaw_decode, 512)):
        encoded = encode(data)
        assert len(encoded) == len(values)
        restored = samples(decode(encoded))
        assert all(abs(a - b) <= bound for a, b in zip(values, restored, strict=True))
        expected = encoded.replace(b"\x7f", b"\xff") if encode is ulaw_encode else encoded
        assert encode(decode(encoded)) == expected


@given(st.binary(max_size=300))
def test_decode_lengths_and_reencode(data: bytes) -> None:
    assert len(ulaw_decode(data)) == 2 * len(data)
    assert alaw_encode(alaw_decode(data)) == data


# --- input handling ----------------------------------------------------------------------------


def test_empty_input() -> None:
    assert ulaw_encode(b"") == alaw_encode(b"") == b""
    assert ulaw_decode(b"") == alaw_decode(b"") == b""


def test_single_sample_and_large_input_use_the_same_tables() -> None:
    big = ALL_PCM * 2  # more than one internal block
    assert ulaw_encode(big) == ulaw_encode(ALL_PCM) * 2
    assert ulaw_encode(pcm(-5)) == ulaw_encode(ALL_PCM)[32768 - 5 : 32768 - 4]


def test_bytes_like_inputs_are_accepted() -> None:
    assert ulaw_encode(bytearray(pcm(0, 100))) == ulaw_encode(pcm(0, 100))
    assert alaw_decode(memoryview(b"\xd5\x55")) == pcm(8, -8)


@pytest.mark.parametrize("encode", [ulaw_encode, alaw_encode])
def test_odd_length_pcm_is_rejected(encode: Codec) -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        encode(b"\x00\x00\x00")


@pytest.mark.parametrize("func", [ulaw_encode, ulaw_decode, alaw_encode, alaw_decode])
def test_non_bytes_is_rejected(func: Codec) -> None:
    with pytest.raises(TypeError):
        func("abcd")  # type: ignore[arg-type]


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="audioop was removed in Python 3.13")
def test_bit_exact_with_audioop() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    assert ulaw_encode(ALL_PCM) == audioop.lin2ulaw(ALL_PCM, 2)
    assert alaw_encode(ALL_PCM) == audioop.lin2alaw(ALL_PCM, 2)
    assert ulaw_decode(ALL_CODES) == audioop.ulaw2lin(ALL_CODES, 2)
    assert alaw_decode(ALL_CODES) == audioop.alaw2lin(ALL_CODES, 2)
