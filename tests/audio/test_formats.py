"""Wire formats, durations and chunking."""

from __future__ import annotations

import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azure.ai.voicelive.audio import (
    AudioFormat,
    base64_to_pcm16,
    bytes_for_ms,
    chunk_audio,
    duration_ms,
    get_audio_format,
    iter_base64_chunks,
)


class FakeFormatEnum(str, enum.Enum):
    PCM16 = "pcm16"
    G711_ULAW = "g711_ulaw"


@pytest.mark.parametrize(
    ("name", "rate", "width", "encoding"),
    [
        ("pcm16", 24000, 2, "pcm16"),
        ("pcm16_16000hz", 16000, 2, "pcm16"),
        ("pcm16-16000hz", 16000, 2, "pcm16"),
        ("pcm16_8000hz", 8000, 2, "pcm16"),
        ("pcm16-8000hz", 8000, 2, "pcm16"),
        ("g711_ulaw", 8000, 1, "ulaw"),
        ("g711_alaw", 8000, 1, "alaw"),
        ("PCM16", 24000, 2, "pcm16"),
    ],
)
def test_known_formats(name: str, rate: int, width: int, encoding: str) -> None:
    fmt = get_audio_format(name)
    assert (fmt.sample_rate, fmt.bytes_per_sample, fmt.encoding) == (rate, width, encoding)
    assert fmt.bytes_per_second() == rate * width


def test_format_lookup_accepts_format_objects_and_string_enums() -> None:
    fmt = get_audio_format("g711_alaw")
    assert get_audio_format(fmt) is fmt
    assert get_audio_format(FakeFormatEnum.G711_ULAW).name == "g711_ulaw"
    assert get_audio_format("pcm16_16000hz") is get_audio_format("pcm16-16000hz")
    assert isinstance(fmt, AudioFormat)
    with pytest.raises(AttributeError):
        fmt.sample_rate = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", ["mp3", "", "pcm24", "g711"])
def test_unknown_format_lists_known_ones(name: str) -> None:
    with pytest.raises(ValueError, match="unknown audio format") as info:
        get_audio_format(name)
    for known in ("pcm16", "pcm16-16000hz", "pcm16_8000hz", "g711_ulaw", "g711_alaw"):
        assert known in str(info.value)
    with pytest.raises(ValueError, match="known formats"):
        duration_ms(100, name)


@pytest.mark.parametrize(
    ("fmt", "rate", "n_bytes"),
    [
        ("pcm16", None, 960),
        ("pcm16", 16000, 640),
        ("pcm16", 8000, 320),
        ("pcm16_16000hz", None, 640),
        ("pcm16-8000hz", None, 320),
        ("g711_ulaw", None, 160),
        ("g711_alaw", None, 160),
        (FakeFormatEnum.PCM16, None, 960),
    ],
)
def test_bytes_for_20_ms(fmt: str, rate: int | None, n_bytes: int) -> None:
    assert bytes_for_ms(20, fmt, sample_rate=rate) == n_bytes
    assert duration_ms(n_bytes, fmt, sample_rate=rate) == 20.0


def test_durations() -> None:
    assert duration_ms(48000) == 1000.0
    assert duration_ms(0) == 0.0
    assert duration_ms(8000, "g711_ulaw") == 1000.0
    assert duration_ms(32000, "pcm16", sample_rate=16000) == 1000.0
    assert duration_ms(1) == pytest.approx(1 / 48)
    assert duration_ms(8000, "g711_alaw", sample_rate=16000) == 500.0


def test_bytes_for_ms_rounds_to_whole_samples() -> None:
    assert bytes_for_ms(0) == 0
    assert bytes_for_ms(0.03) == 2  # 0.72 samples -> 1 sample
    assert bytes_for_ms(0.01) == 0
    assert bytes_for_ms(1.5, "g711_ulaw") == 12
    assert bytes_for_ms(10.01) % 2 == 0


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_bytes_for_ms_rejects_bad_durations(bad: float) -> None:
    with pytest.raises(ValueError):
        bytes_for_ms(bad)


def test_bad_sample_rate_and_negative_byte_count() -> None:
    with pytest.raises(ValueError, match="sample_rate"):
        bytes_for_ms(20, sample_rate=0)
    with pytest.raises(ValueError, match="sample_rate"):
        duration_ms(20, sample_rate=-1)
    with pytest.raises(ValueError, match="n_bytes"):
        duration_ms(-2)


# --- chunking ----------------------------------------------------------------------------------


def test_one_second_of_24k_pcm16_gives_fifty_960_byte_chunks() -> None:
    data = bytes(range(256)) * 187 + bytes(48000 - 256 * 187)
    chunks = list(chunk_audio(data))
    assert [len(c) for c in chunks] == [960] * 50
    assert b"".join(chunks) == data
    assert all(isinstance(c, bytes) for c in chunks)


def test_last_chunk_may_be_shorter_but_never_splits_a_sample() -> None:
    assert [len(c) for c in chunk_audio(bytes(1010))] == [960, 50]
    assert [len(c) for c in chunk_audio(bytes(161), audio_format="g711_ulaw")] == [160, 1]
    assert [len(c) for c in chunk_audio(bytes(700), chunk_ms=10, sample_rate=16000)] == [320, 320, 60]
    assert list(chunk_audio(b"")) == []


def test_chunking_bytearray_and_memoryview() -> None:
    data = bytearray(range(200)) * 10
    assert b"".join(chunk_audio(data, chunk_ms=1)) == bytes(data)
    assert b"".join(chunk_audio(memoryview(bytes(data)), chunk_ms=1)) == bytes(data)


def test_chunk_arguments_are_checked_before_iteration() -> None:
    with pytest.raises(ValueError, match="whole number"):
        chunk_audio(bytes(961))
    with pytest.raises(ValueError, match="chunk_ms"):
        chunk_audio(bytes(960), chunk_ms=0)
    with pytest.raises(ValueError, match="shorter than one sample"):
        chunk_audio(bytes(960), chunk_ms=0.01)
    with pytest.raises(ValueError, match="unknown audio format"):
        iter_base64_chunks(bytes(960), audio_format="opus")
    with pytest.raises(TypeError):
        chunk_audio("not bytes")  # type: ignore[arg-type]


def test_base64_chunks_decode_back_to_the_audio() -> None:
    data = bytes(range(256)) * 8  # 2048 bytes
    texts = list(iter_base64_chunks(data, chunk_ms=10, sample_rate=16000))
    assert all(isinstance(t, str) for t in texts)
    decoded = [base64_to_pcm16(t) for t in texts]
    assert [len(d) for d in decoded] == [320] * 6 + [128]
    assert b"".join(decoded) == data


@given(
    st.binary(max_size=5000),
    st.sampled_from(["pcm16", "pcm16_16000hz", "pcm16-8000hz", "g711_ulaw", "g711_alaw"]),
    st.integers(1, 100),
)
def test_chunks_reassemble_and_have_exact_sizes(data: bytes, fmt: str, chunk_ms: int) -> None:
    width = get_audio_format(fmt).bytes_per_sample
    data = data[: len(data) - len(data) % width]
    chunks = list(chunk_audio(data, chunk_ms=chunk_ms, audio_format=fmt))
    size = bytes_for_ms(chunk_ms, fmt)
    assert b"".join(chunks) == data
    assert all(len(c) == size for c in chunks[:-1])
    assert all(0 < len(c) <= size and len(c) % width == 0 for c in chunks)
