"""Tones, silence, RMS metering and base64 transport of PCM16."""

from __future__ import annotations

import base64
import math
import struct
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azure.ai.voicelive.audio import base64_to_pcm16, pcm16_to_base64, rms_pcm16, silence_pcm16, sine_pcm16


def samples(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 2}h", data)


def zero_crossings(values: tuple[int, ...]) -> int:
    signs = [v >= 0 for v in values]
    return sum(a != b for a, b in pairwise(signs))


# --- silence / sine ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "rate", "n_bytes"), [(20, 24000, 960), (20, 16000, 640), (1000, 8000, 16000), (0, 24000, 0)]
)
def test_silence_length_and_content(ms: float, rate: int, n_bytes: int) -> None:
    data = silence_pcm16(ms, sample_rate=rate)
    assert len(data) == n_bytes
    assert data == bytes(n_bytes)


def test_silence_default_rate_is_24k_and_rounds_to_whole_samples() -> None:
    assert len(silence_pcm16(10)) == 480
    assert len(silence_pcm16(0.03)) == 2  # 0.72 samples -> 1


def test_sine_length_peak_and_start() -> None:
    data = sine_pcm16(440, 100)
    values = samples(data)
    assert len(values) == 2400
    assert values[0] == 0
    peak = round(0.3 * 32767)
    assert peak - 20 <= max(values) <= peak
    assert -peak <= min(values) <= -peak + 20


def test_sine_frequency_by_zero_crossings() -> None:
    values = samples(sine_pcm16(1000, 1000, sample_rate=16000, amplitude=0.5))
    assert len(values) == 16000
    assert abs(zero_crossings(values) - 2000) <= 2


def test_sine_known_samples_at_quarter_rate() -> None:
    # f = fs / 4: the samples are 0, A, 0, -A, ...
    quarter_rate = samples(sine_pcm16(2000, 1, sample_rate=8000, amplitude=1.0))
    assert quarter_rate == (0, 32767, 0, -32767) * 2


def test_sine_rms_matches_theory() -> None:
    assert rms_pcm16(sine_pcm16(1000, 1000, amplitude=0.5)) == pytest.approx(0.5 / math.sqrt(2), rel=1e-3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frequency_hz": 440, "duration_ms": -1},
        {"frequency_hz": 440, "duration_ms": math.nan},
        {"frequency_hz": -1, "duration_ms": 10},
        {"frequency_hz": 440, "duration_ms": 10, "amplitude": 1.5},
        {"frequency_hz": 440, "duration_ms": 10, "amplitude": -0.1},
        {"frequency_hz": 440, "duration_ms": 10, "sample_rate": 0},
    ],
)
def test_sine_rejects_bad_arguments(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        sine_pcm16(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"duration_ms": -5}, {"duration_ms": 10, "sample_rate": -8000}])
def test_silence_rejects_bad_arguments(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        silence_pcm16(**kwargs)


# --- rms ---------------------------------------------------------------------------------------


def test_rms_of_silence_and_empty_is_zero() -> None:
    assert rms_pcm16(silence_pcm16(100)) == 0.0
    assert rms_pcm16(b"") == 0.0


def test_rms_of_full_scale_square_wave_is_one() -> None:
    square = struct.pack("<2400h", *([32767] * 12 + [-32768] * 12) * 100)
    assert rms_pcm16(square) == pytest.approx(1.0, abs=1e-4)


def test_rms_of_constant_and_half_scale() -> None:
    assert rms_pcm16(struct.pack("<4h", 16384, -16384, 16384, -16384)) == 0.5
    assert rms_pcm16(struct.pack("<2h", 3, 4)) == pytest.approx(math.sqrt(12.5) / 32768)


def test_rms_of_long_input_uses_every_sample() -> None:
    # 3 s at 24 kHz (more than one internal block): silence with a loud last second.
    data = silence_pcm16(2000) + struct.pack("<24000h", *([16384, -16384] * 12000))
    assert rms_pcm16(data) == pytest.approx(0.5 / math.sqrt(3), rel=1e-9)


@given(st.lists(st.integers(-32768, 32767), min_size=1, max_size=200))
def test_rms_matches_definition(values: list[int]) -> None:
    expected = math.sqrt(sum(v * v for v in values) / len(values)) / 32768
    assert rms_pcm16(struct.pack(f"<{len(values)}h", *values)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_rms_rejects_odd_length() -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        rms_pcm16(b"\x00")


# --- base64 ------------------------------------------------------------------------------------


def test_base64_known_value() -> None:
    assert pcm16_to_base64(b"\x00\x01\x02\x03") == "AAECAw=="
    assert base64_to_pcm16("AAECAw==") == b"\x00\x01\x02\x03"
    assert pcm16_to_base64(b"") == ""
    assert base64_to_pcm16("") == b""


@given(st.binary(max_size=500))
def test_base64_round_trip(data: bytes) -> None:
    text = pcm16_to_base64(data)
    assert isinstance(text, str)
    assert text == base64.b64encode(data).decode()
    assert base64_to_pcm16(text) == data


@pytest.mark.parametrize("text", ["AAEC*w==", "AAECAw=", "AAECA", "AAEC Aw==", "AAEC\nAw==", "ÄÖÜ="])
def test_base64_invalid_text_raises_clear_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="invalid base64 audio"):
        base64_to_pcm16(text)


def test_base64_error_message_truncates_long_input() -> None:
    with pytest.raises(ValueError) as info:
        base64_to_pcm16("!" * 1000)
    assert len(str(info.value)) < 200


def test_base64_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        base64_to_pcm16(1234)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pcm16_to_base64("text")  # type: ignore[arg-type]
