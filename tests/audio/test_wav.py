"""WAV writing/reading, checked against the standard library ``wave`` module."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azure.ai.voicelive.audio import WavAudio, load_pcm16, read_wav, sine_pcm16, wav_bytes, write_wav


def pcm(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}h", *values)


def samples(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 2}h", data)


def make_wav(frames: bytes, *, width: int, channels: int = 1, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return buffer.getvalue()


class WriteOnly:
    """A non-seekable binary sink (like a pipe or an HTTP response body)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, b: bytes) -> int:
        self.data += b
        return len(b)

    def flush(self) -> None:
        pass


def test_write_wav_header_fields(tmp_path: Path) -> None:
    tone = sine_pcm16(440, 250, sample_rate=16000)
    path = tmp_path / "tone.wav"
    write_wav(path, tone, sample_rate=16000)
    with wave.open(str(path), "rb") as r:
        assert r.getnchannels() == 1
        assert r.getframerate() == 16000
        assert r.getsampwidth() == 2
        assert r.getcomptype() == "NONE"
        assert r.getnframes() == 4000
        assert r.readframes(4000) == tone
    assert path.stat().st_size == 44 + len(tone)


def test_wav_bytes_is_a_complete_riff_file() -> None:
    data = wav_bytes(pcm(1, 2, 3, 4), sample_rate=24000)
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    assert struct.unpack_from("<HHIIHH", data, 20) == (1, 1, 24000, 48000, 2, 16)
    assert data[36:40] == b"data" and struct.unpack_from("<I", data, 40)[0] == 8
    assert data[44:] == pcm(1, 2, 3, 4)


def test_stereo_write_and_read(tmp_path: Path) -> None:
    frames = pcm(100, -100, 200, -200, 300, -300)
    path = tmp_path / "stereo.wav"
    write_wav(str(path), frames, sample_rate=8000, channels=2)
    audio = read_wav(path)
    assert audio == WavAudio(frames, 8000, 2, 2)
    assert audio.n_frames == 3
    assert audio.to_pcm16_mono() == WavAudio(pcm(0, 0, 0), 8000, 1, 2)


def test_write_to_non_seekable_stream() -> None:
    sink = WriteOnly()
    write_wav(sink, pcm(*range(100)), sample_rate=8000)  # type: ignore[arg-type]
    audio = read_wav(io.BytesIO(bytes(sink.data)))
    assert audio.pcm == pcm(*range(100))
    assert audio.sample_rate == 8000


def test_read_from_file_object_leaves_it_open() -> None:
    f = io.BytesIO(wav_bytes(pcm(7, 8, 9)))
    audio = read_wav(f)
    assert not f.closed
    assert samples(audio.pcm) == (7, 8, 9)
    assert audio.duration_ms == pytest.approx(3 / 24)


@given(st.lists(st.integers(-32768, 32767), max_size=500), st.sampled_from([8000, 16000, 24000, 44100]))
def test_round_trip(values: list[int], rate: int) -> None:
    data = pcm(*values)
    audio = read_wav(io.BytesIO(wav_bytes(data, sample_rate=rate)))
    assert (audio.pcm, audio.sample_rate, audio.channels, audio.sample_width) == (data, rate, 1, 2)
    assert audio.duration_ms == pytest.approx(len(values) * 1000 / rate)
    assert audio.to_pcm16_mono() is audio


def test_8_bit_is_converted_from_unsigned() -> None:
    audio = read_wav(io.BytesIO(make_wav(bytes([128, 255, 0, 129]), width=1)))
    assert audio.sample_width == 1
    mono = audio.to_pcm16_mono()
    assert (mono.sample_width, mono.channels) == (2, 1)
    assert samples(mono.pcm) == (0, 32512, -32768, 256)


def test_24_bit_keeps_the_top_16_bits() -> None:
    frames = (0x123456).to_bytes(3, "little") + (-2 & 0xFFFFFF).to_bytes(3, "little") + bytes(3)
    mono = read_wav(io.BytesIO(make_wav(frames, width=3))).to_pcm16_mono()
    assert samples(mono.pcm) == (0x1234, -1, 0)


def test_32_bit_stereo_is_converted_and_downmixed() -> None:
    frames = struct.pack("<6i", 1000 << 16, 3000 << 16, -(1 << 31), -(1 << 31), -1 << 16, 0)
    audio = read_wav(io.BytesIO(make_wav(frames, width=4, channels=2, rate=48000)))
    assert (audio.channels, audio.sample_width, audio.n_frames) == (2, 4, 3)
    mono = audio.to_pcm16_mono()
    assert mono.sample_rate == 48000
    assert samples(mono.pcm) == (2000, -32768, -1)  # averages round down


def test_unsupported_width_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="sample width"):
        WavAudio(bytes(10), 8000, 1, 5).to_pcm16_mono()


@pytest.mark.parametrize(
    "data",
    [b"", b"RIFF", b"not a wav file at all, just text" * 3, make_wav(b"", width=2)[:20]],
)
def test_garbage_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a readable PCM WAV"):
        read_wav(io.BytesIO(data))


def test_float_wav_is_a_value_error() -> None:
    data = bytearray(make_wav(bytes(8), width=4))
    struct.pack_into("<H", data, 20, 3)  # WAVE_FORMAT_IEEE_FLOAT
    with pytest.raises(ValueError, match="not a readable PCM WAV"):
        read_wav(io.BytesIO(bytes(data)))


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_wav(tmp_path / "missing.wav")


def test_truncated_trailing_frame_is_dropped() -> None:
    data = make_wav(pcm(1, 2, 3), width=2) + b"\x05"  # extra byte after the data chunk
    assert read_wav(io.BytesIO(data)).pcm == pcm(1, 2, 3)


def test_load_pcm16_converts_and_resamples(tmp_path: Path) -> None:
    path = tmp_path / "stereo48k.wav"
    left = sine_pcm16(1000, 100, sample_rate=48000)
    right = bytes(len(left))
    interleaved = bytearray(2 * len(left))
    for i in range(0, len(left), 2):
        interleaved[2 * i : 2 * i + 2] = left[i : i + 2]
        interleaved[2 * i + 2 : 2 * i + 4] = right[i : i + 2]
    write_wav(path, bytes(interleaved), sample_rate=48000, channels=2)
    assert len(load_pcm16(path)) == len(left)
    out = load_pcm16(path, sample_rate=24000)
    assert len(out) == 2400 * 2
    assert max(samples(out)) == pytest.approx(0.15 * 32767, rel=0.05)  # half of 0.3: mixed with silence


@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        (b"\x00\x00\x00", {}),
        (bytes(6), {"channels": 2}),
        (bytes(4), {"sample_rate": 0}),
        (bytes(4), {"channels": 0}),
    ],
)
def test_write_wav_rejects_bad_input(data: bytes, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        wav_bytes(data, **kwargs)
