"""Sample-rate conversion: lengths, exact small vectors, frequency preservation, anti-aliasing."""

from __future__ import annotations

import struct
from itertools import pairwise
from math import gcd

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azure.ai.voicelive.audio import resample_pcm16, resampled_length, rms_pcm16, sine_pcm16

RATES = [8000, 16000, 24000, 48000]
# includes rate pairs with a large interpolation period (8000 -> 8001) that take the per-sample path
UPSAMPLING = [(8000, 16000), (8000, 24000), (16000, 24000), (8000, 48000), (8000, 8001), (24000, 24007)]


def pcm(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}h", *values)


def samples(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 2}h", data)


def zero_crossings(values: tuple[int, ...]) -> int:
    signs = [v >= 0 for v in values]
    return sum(a != b for a, b in pairwise(signs))


def reference_linear(values: list[int], from_rate: int, to_rate: int) -> list[int]:
    """Plain per-sample linear interpolation (no filtering), the definition for upsampling."""
    g = gcd(from_rate, to_rate)
    up, down = to_rate // g, from_rate // g
    n_out = round(len(values) * to_rate / from_rate)
    out = []
    for j in range(n_out):
        i, k = divmod(j * down, up)
        a = values[min(i, len(values) - 1)]
        b = values[min(i + 1, len(values) - 1)]
        out.append((a * (up - k) + b * k + up // 2) // up)
    return out


@pytest.mark.parametrize("from_rate", RATES)
@pytest.mark.parametrize("to_rate", RATES)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 160, 481])
def test_output_length_is_rounded_ratio(from_rate: int, to_rate: int, n: int) -> None:
    out = resample_pcm16(bytes(2 * n), from_rate, to_rate)
    assert len(out) == 2 * round(n * to_rate / from_rate)


def test_resampled_length_ties_round_to_even() -> None:
    assert resampled_length(1, 48000, 24000) == 0  # 0.5 -> 0
    assert resampled_length(3, 48000, 24000) == 2  # 1.5 -> 2
    assert resampled_length(5, 48000, 24000) == 2  # 2.5 -> 2
    assert resampled_length(480, 24000, 16000) == 320


@pytest.mark.parametrize("from_rate", RATES)
@pytest.mark.parametrize("to_rate", RATES)
def test_sine_keeps_its_frequency(from_rate: int, to_rate: int) -> None:
    tone = sine_pcm16(1000, 500, sample_rate=from_rate, amplitude=0.5)
    out = samples(resample_pcm16(tone, from_rate, to_rate))
    assert len(out) == to_rate // 2
    assert abs(zero_crossings(out) - 1000) <= 2
    # level is preserved too (1 kHz is well inside every pass band)
    assert rms_pcm16(pcm(*out)) == pytest.approx(0.5 / 2**0.5, rel=0.08)


def test_non_standard_rates_keep_frequency() -> None:
    tone = sine_pcm16(1000, 500, sample_rate=44100, amplitude=0.5)
    out = samples(resample_pcm16(tone, 44100, 16000))
    assert len(out) == 8000
    assert abs(zero_crossings(out) - 1000) <= 2


def test_same_rate_returns_a_copy() -> None:
    data = bytearray(pcm(1, -2, 3))
    out = resample_pcm16(data, 16000, 16000)
    assert out == bytes(data)
    assert isinstance(out, bytes)


def test_upsampling_interpolates_linearly() -> None:
    assert samples(resample_pcm16(pcm(0, 100, 200), 8000, 16000)) == (0, 50, 100, 150, 200, 200)
    assert samples(resample_pcm16(pcm(0, 300, -300), 16000, 24000)) == (0, 200, 100, -300)
    assert samples(resample_pcm16(pcm(-1, 0), 8000, 16000)) == (-1, 0, 0, 0)  # rounds half up


def test_downsampling_filter_is_centred() -> None:
    # 2:1 uses a [1, 2, 1] / 4 smoother before decimation, without shifting the signal.
    assert samples(resample_pcm16(pcm(0, 0, 400, 0, 0, 0), 16000, 8000)) == (0, 200, 0)
    # 3:1 uses a 3-tap moving average centred on the kept sample.
    assert samples(resample_pcm16(pcm(0, 0, 0, 300, 0, 0), 24000, 8000)) == (0, 100)


def test_constant_signal_is_preserved_exactly() -> None:
    for a, b in [(24000, 16000), (16000, 24000), (48000, 8000), (8000, 44100), (44100, 24000)]:
        out = samples(resample_pcm16(pcm(*([-1234] * 999)), a, b))
        assert set(out) == {-1234}


def test_full_scale_does_not_overflow() -> None:
    square = pcm(*([32767, -32768] * 500 + [32767] * 10 + [-32768] * 10))
    for a, b in [(24000, 16000), (16000, 24000), (48000, 8000), (24000, 8000)]:
        out = samples(resample_pcm16(square, a, b))
        assert all(-32768 <= v <= 32767 for v in out)


def test_downsampling_attenuates_what_would_alias() -> None:
    # 7 kHz is above the 4 kHz Nyquist frequency of 8 kHz audio; without filtering it would
    # fold down to 1 kHz at full level.
    high = sine_pcm16(7000, 200, sample_rate=24000, amplitude=0.5)
    out = resample_pcm16(high, 24000, 8000)
    assert rms_pcm16(out) < 0.3 * rms_pcm16(high)


@given(
    st.lists(st.integers(-32768, 32767), min_size=1, max_size=120),
    st.sampled_from(UPSAMPLING),
)
def test_upsampling_matches_reference(values: list[int], rates: tuple[int, int]) -> None:
    from_rate, to_rate = rates
    assert list(samples(resample_pcm16(pcm(*values), from_rate, to_rate))) == reference_linear(
        values, from_rate, to_rate
    )


@given(st.lists(st.integers(-32768, 32767), max_size=300), st.sampled_from(RATES), st.sampled_from(RATES))
def test_length_and_range_properties(values: list[int], from_rate: int, to_rate: int) -> None:
    out = samples(resample_pcm16(pcm(*values), from_rate, to_rate))
    assert len(out) == resampled_length(len(values), from_rate, to_rate)
    if values and out:
        assert min(values) <= min(out) and max(out) <= max(values)  # averages never overshoot


@pytest.mark.parametrize(("from_rate", "to_rate"), [(0, 16000), (16000, 0), (-8000, 16000), (16000.0, 8000)])
def test_bad_rates_raise(from_rate: int, to_rate: int) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        resample_pcm16(pcm(1, 2), from_rate, to_rate)


def test_odd_length_raises() -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        resample_pcm16(b"\x00\x00\x00", 24000, 16000)
