"""The PyAudio stand-in that ``tools/run_official_samples.py`` gives the official samples."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from azure.ai.voicelive.audio import rms_pcm16
from azure.ai.voicelive.testing import EnergyVad

STANDIN = Path(__file__).resolve().parents[2] / "tools" / "pyaudio_standin" / "pyaudio.py"
RATE = 24000
CHUNK = 1200  # 50 ms


@pytest.fixture
def pyaudio(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """A fresh copy of the stand-in (its counters start at zero), running 500x faster than real time."""
    monkeypatch.setenv("PYAUDIO_STANDIN_SPEED", "500")
    monkeypatch.setenv("PYAUDIO_STANDIN_REPORT", str(tmp_path / "report.json"))
    for name in ("PYAUDIO_STANDIN_LEAD_MS", "PYAUDIO_STANDIN_SPEECH_MS", "PYAUDIO_STANDIN_REPEAT_MS"):
        monkeypatch.delenv(name, raising=False)
    spec = importlib.util.spec_from_file_location("pyaudio_standin_under_test", STANDIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_until_stopped(stream: Any) -> None:
    deadline = time.monotonic() + 30
    while stream.is_active() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert not stream.is_active()


def test_microphone_speaks_one_utterance_an_energy_vad_detects(pyaudio: ModuleType) -> None:
    pa = pyaudio.PyAudio()
    stream = pa.open(format=pyaudio.paInt16, channels=1, rate=RATE, input=True, frames_per_buffer=CHUNK)
    chunks = [stream.read(CHUNK, exception_on_overflow=False) for _ in range(60)]  # 3 s
    pa.terminate()
    assert {len(c) for c in chunks} == {CHUNK * 2}
    vad = EnergyVad(sample_rate=RATE, threshold=0.5, prefix_padding_ms=300, silence_duration_ms=500)
    events = [e for c in chunks for e in vad.feed(c)]
    assert [e.kind for e in events] == ["start", "stop"]
    # 400 ms of quiet lead-in, 1200 ms of speech (the defaults), detected where they are
    assert 350 <= events[0].speech_ms <= 450
    assert 1550 <= events[1].speech_ms <= 1650
    assert rms_pcm16(chunks[0]) < 0.01 and rms_pcm16(chunks[20]) > 0.05


def test_utterance_length_and_repetition_follow_the_environment(
    pyaudio: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYAUDIO_STANDIN_LEAD_MS", "100")
    monkeypatch.setenv("PYAUDIO_STANDIN_SPEECH_MS", "600")
    monkeypatch.setenv("PYAUDIO_STANDIN_REPEAT_MS", "1500")
    stream = pyaudio.PyAudio().open(format=pyaudio.paInt16, channels=1, rate=RATE, input=True)
    vad = EnergyVad(sample_rate=RATE, threshold=0.5, silence_duration_ms=500)
    events = [e for _ in range(90) for e in vad.feed(stream.read(CHUNK))]  # 4.5 s: three periods
    assert [e.kind for e in events] == ["start", "stop"] * 3
    assert [round(e.speech_ms / 100) for e in events if e.kind == "start"] == [1, 16, 31]


def test_callback_input_stream_delivers_chunks_until_complete(pyaudio: ModuleType) -> None:
    got: list[tuple[int, int]] = []

    def callback(in_data: bytes, frame_count: int, time_info: dict[str, float], status: int) -> Any:
        got.append((len(in_data), frame_count))
        return (None, pyaudio.paComplete if len(got) == 5 else pyaudio.paContinue)

    pa = pyaudio.PyAudio()
    stream = pa.open(
        format=pyaudio.paInt16,
        channels=1,
        rate=RATE,
        input=True,
        frames_per_buffer=CHUNK,
        stream_callback=callback,
    )
    wait_until_stopped(stream)
    assert got == [(CHUNK * 2, CHUNK)] * 5
    stream.close()
    assert pyaudio.stats()["input_bytes"] == 5 * CHUNK * 2


def test_callback_output_stream_counts_what_is_played(pyaudio: ModuleType) -> None:
    calls = 0

    def callback(in_data: None, frame_count: int, time_info: dict[str, float], status: int) -> Any:
        nonlocal calls
        calls += 1
        assert in_data is None
        if calls <= 3:
            return (b"\x01\x00" * frame_count, pyaudio.paContinue)
        return (bytes(frame_count * 2), pyaudio.paComplete)

    pa = pyaudio.PyAudio()
    stream = pa.open(format=pyaudio.paInt16, channels=1, rate=RATE, output=True, stream_callback=callback)
    wait_until_stopped(stream)
    pa.terminate()
    stats = pyaudio.stats()
    assert calls == 4
    assert stats["output_bytes"] == 4 * 1024 * 2
    assert stats["output_nonzero_bytes"] == 3 * 1024


def test_blocking_write_is_counted_and_the_report_is_written(pyaudio: ModuleType, tmp_path: Path) -> None:
    pa = pyaudio.PyAudio()
    stream = pa.open(format=pyaudio.paInt16, channels=1, rate=RATE, output=True)
    stream.write(b"\x00\x00" * 100 + b"\x10\x00" * 50)
    stream.stop_stream()
    stream.close()
    pa.terminate()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["output_bytes"] == 300 and report["output_nonzero_bytes"] == 50
    assert report["streams_opened"] == 1 and report["output_streams"] == 1
    assert report["callback_errors"] == []


def test_a_failing_callback_stops_the_stream_and_is_reported(
    pyaudio: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    def callback(in_data: bytes, frame_count: int, time_info: dict[str, float], status: int) -> Any:
        raise RuntimeError("boom")

    stream = pyaudio.PyAudio().open(
        format=pyaudio.paInt16, channels=1, rate=RATE, input=True, stream_callback=callback
    )
    wait_until_stopped(stream)
    assert pyaudio.stats()["callback_errors"] == ["RuntimeError: boom"]
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_stopped_and_closed_streams_refuse_io(pyaudio: ModuleType) -> None:
    pa = pyaudio.PyAudio()
    stream = pa.open(format=pyaudio.paInt16, channels=1, rate=RATE, input=True, start=False)
    with pytest.raises(OSError, match="Stream is stopped"):
        stream.read(10)
    stream.start_stream()
    assert len(stream.read(10)) == 20
    stream.close()
    with pytest.raises(OSError, match="Stream closed"):
        stream.read(10)
    with pytest.raises(ValueError, match="input or output"):
        pa.open(format=pyaudio.paInt16, channels=1, rate=RATE)
    with pytest.raises(OSError, match="Not output stream"):
        pa.open(format=pyaudio.paInt16, channels=1, rate=RATE, input=True).write(b"\x00\x00")


def test_device_queries_show_one_microphone_and_one_speaker(pyaudio: ModuleType) -> None:
    pa = pyaudio.PyAudio()
    infos = [pa.get_device_info_by_index(i) for i in range(pa.get_device_count())]
    assert [i["maxInputChannels"] > 0 for i in infos] == [True, False]
    assert [i["maxOutputChannels"] > 0 for i in infos] == [False, True]
    assert pa.get_default_input_device_info()["index"] == 0
    assert pa.get_default_output_device_info()["index"] == 1
    with pytest.raises(OSError):
        pa.get_device_info_by_index(2)
    assert pyaudio.get_sample_size(pyaudio.paInt16) == 2 == pa.get_sample_size(pyaudio.paInt16)
    assert pyaudio.get_format_from_width(2) == pyaudio.paInt16
    with pytest.raises(ValueError):
        pyaudio.get_sample_size(12345)


def test_stop_from_another_thread_ends_a_running_callback_stream(pyaudio: ModuleType) -> None:
    started = threading.Event()

    def callback(in_data: bytes, frame_count: int, time_info: dict[str, float], status: int) -> Any:
        started.set()
        return (None, pyaudio.paContinue)

    stream = pyaudio.PyAudio().open(
        format=pyaudio.paInt16, channels=1, rate=RATE, input=True, stream_callback=callback
    )
    assert started.wait(30)
    assert stream.is_active()
    stream.stop_stream()
    assert stream.is_stopped() and not stream.is_active()
