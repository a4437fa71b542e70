"""PlaybackBuffer bookkeeping, and Microphone/AudioPlayer against a fake ``sounddevice``."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
import types
from typing import Any

import pytest

from azure.ai.voicelive.audio import AudioDependencyError, AudioPlayer, Microphone, PlaybackBuffer, _devices

# --- PlaybackBuffer ----------------------------------------------------------------------------


def test_reads_return_written_audio_in_order_across_chunks() -> None:
    buf = PlaybackBuffer()
    buf.write(b"aabb")
    buf.write(bytearray(b"ccdd"))
    buf.write(memoryview(b"ee"))
    assert buf.read(2) == b"aa"
    assert buf.read(4) == b"bbcc"
    assert buf.read(100) == b"ddee"
    assert buf.read(10) == b""


def test_odd_read_sizes_never_split_a_sample() -> None:
    buf = PlaybackBuffer()
    buf.write(b"abcdef")
    assert buf.read(3) == b"ab"
    assert buf.read(1) == b""
    assert buf.read(0) == b""
    assert buf.queued_bytes == 4
    with pytest.raises(ValueError):
        buf.read(-2)


def test_played_and_queued_milliseconds() -> None:
    buf = PlaybackBuffer(sample_rate=24000)  # 48 bytes per ms
    buf.write(bytes(4800))
    assert (buf.queued_ms, buf.played_ms) == (100.0, 0.0)
    buf.read(960)
    buf.read(960)
    assert (buf.queued_ms, buf.played_ms) == (60.0, 40.0)
    assert (buf.queued_bytes, buf.played_bytes) == (2880, 1920)
    assert buf.read(10_000) == bytes(2880)
    assert (buf.queued_ms, buf.played_ms) == (0.0, 100.0)
    buf.read(960)  # underrun: nothing more is counted as played
    assert buf.played_ms == 100.0
    assert PlaybackBuffer(sample_rate=16000).sample_rate == 16000


def test_clear_drops_only_queued_audio() -> None:
    buf = PlaybackBuffer(sample_rate=8000)  # 16 bytes per ms
    buf.write(bytes(160))
    buf.write(bytes(160))
    buf.read(100)
    assert buf.clear() == 220
    assert buf.queued_bytes == 0
    assert buf.played_bytes == 100
    assert buf.cleared_ms == 220 / 16
    assert buf.read(50) == b""
    buf.write(b"xy")
    assert buf.read(50) == b"xy"  # usable again after clear
    assert buf.clear() == 0


def test_per_item_played_milliseconds() -> None:
    buf = PlaybackBuffer(sample_rate=24000)
    buf.write(bytes(480), item_id="item_a")
    buf.write(bytes(960), item_id="item_b")
    buf.write(bytes(96))  # untagged audio
    assert buf.current_item_id is None
    buf.read(720)
    assert buf.played_ms_for("item_a") == 10.0
    assert buf.played_ms_for("item_b") == 5.0
    assert buf.current_item_id == "item_b"
    buf.clear()  # barge-in: the rest of item_b was never heard
    assert buf.played_ms_for("item_b") == 5.0
    assert buf.played_ms_for("unknown") == 0.0
    buf.reset_played()
    assert (buf.played_ms, buf.played_ms_for("item_a"), buf.current_item_id) == (0.0, 0.0, None)


def test_per_item_counters_are_bounded() -> None:
    buf = PlaybackBuffer()
    for i in range(100):
        buf.write(b"\x00\x00", item_id=f"item{i}")
    buf.read(200)
    assert buf.played_ms_for("item99") > 0
    assert buf.played_ms_for("item36") > 0
    assert buf.played_ms_for("item35") == 0.0  # only the 64 most recent are kept


def test_write_validation() -> None:
    buf = PlaybackBuffer()
    with pytest.raises(ValueError, match="even number"):
        buf.write(b"abc")
    with pytest.raises(TypeError):
        buf.write("ab")  # type: ignore[arg-type]
    buf.write(b"")
    assert buf.queued_bytes == 0
    with pytest.raises(ValueError):
        PlaybackBuffer(sample_rate=0)


def test_concurrent_writer_and_reader_keep_order_and_counts() -> None:
    buf = PlaybackBuffer()
    n_chunks = 2000
    chunks = [i.to_bytes(2, "little") * 5 for i in range(n_chunks)]  # 10 bytes each
    received = bytearray()
    done = threading.Event()

    def consumer() -> None:
        while not (done.is_set() and buf.queued_bytes == 0):
            received.extend(buf.read(64))

    thread = threading.Thread(target=consumer)
    thread.start()
    for chunk in chunks:
        buf.write(chunk)
    done.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert bytes(received) == b"".join(chunks)
    assert buf.played_bytes == 10 * n_chunks


# --- missing dependency ------------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("sounddevice") is not None, reason="sounddevice is installed")
@pytest.mark.parametrize("cls", [Microphone, AudioPlayer])
def test_missing_sounddevice_gives_install_hint(cls: type[Any]) -> None:
    with pytest.raises(AudioDependencyError, match=r"pip install 'voicelive\[audio\]'") as info:
        cls()
    assert isinstance(info.value, ImportError)
    assert info.value.name == "sounddevice"


@pytest.mark.parametrize("cls", [Microphone, AudioPlayer])
def test_blocked_import_gives_install_hint(monkeypatch: pytest.MonkeyPatch, cls: type[Any]) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # makes `import sounddevice` fail
    with pytest.raises(ImportError, match=r"voicelive\[audio\]"):
        cls(sample_rate=16000)


def test_missing_portaudio_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(name: str) -> types.ModuleType:
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(_devices, "importlib", types.SimpleNamespace(import_module=fail))
    with pytest.raises(AudioDependencyError, match="PortAudio library not found"):
        AudioPlayer()


# --- fake sounddevice --------------------------------------------------------------------------


class FakeStream:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.callback = kwargs["callback"]
        self.started = self.stopped = self.closed = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_sd(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    streams: list[FakeStream] = []

    def factory(**kwargs: Any) -> FakeStream:
        stream = FakeStream(**kwargs)
        streams.append(stream)
        return stream

    module = types.ModuleType("sounddevice")
    module.RawInputStream = factory  # type: ignore[attr-defined]
    module.RawOutputStream = factory  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    return types.SimpleNamespace(streams=streams)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def feed_from_thread(stream: FakeStream, chunks: list[bytes], status: Any = None) -> None:
    def run() -> None:
        for chunk in chunks:
            stream.callback(chunk, len(chunk) // 2, None, status)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


async def test_microphone_opens_a_mono_int16_stream_and_yields_chunks(fake_sd: types.SimpleNamespace) -> None:
    async with Microphone(sample_rate=16000, chunk_ms=20, device=3) as mic:
        (stream,) = fake_sd.streams
        assert stream.started
        assert {k: v for k, v in stream.kwargs.items() if k != "callback"} == {
            "samplerate": 16000,
            "blocksize": 320,
            "channels": 1,
            "dtype": "int16",
            "device": 3,
        }
        assert mic.chunk_bytes == 640
        chunks = [bytes([i]) * 640 for i in range(3)]
        feed_from_thread(stream, chunks)
        received = [await asyncio.wait_for(mic.__anext__(), 1) for _ in range(3)]
        assert received == chunks
        assert mic.dropped_chunks == 0
    assert stream.stopped and stream.closed


async def test_microphone_drops_oldest_when_consumer_lags(fake_sd: types.SimpleNamespace) -> None:
    mic = Microphone(max_queued_chunks=3)
    mic.start()
    chunks = [bytes([i]) * 960 for i in range(5)]
    feed_from_thread(fake_sd.streams[0], chunks, status="input overflow")
    await settle()
    assert mic.dropped_chunks == 2
    assert mic.status_errors == 5
    mic.close()
    received = [chunk async for chunk in mic]
    assert received == chunks[2:]
    assert [chunk async for chunk in mic] == []  # stays finished


async def test_microphone_iteration_starts_stream_and_close_ends_it(fake_sd: types.SimpleNamespace) -> None:
    mic = Microphone()

    async def consume() -> list[bytes]:
        return [chunk async for chunk in mic]

    task = asyncio.create_task(consume())
    await settle()
    (stream,) = fake_sd.streams
    feed_from_thread(stream, [b"\x01\x00" * 480])
    await settle()
    mic.close()
    assert await asyncio.wait_for(task, 1) == [b"\x01\x00" * 480]
    feed_from_thread(stream, [b"\x02\x00" * 480])  # late callbacks after close are ignored
    await settle()
    with pytest.raises(RuntimeError, match="closed"):
        mic.start()


async def test_microphone_closed_before_start_yields_nothing(fake_sd: types.SimpleNamespace) -> None:
    mic = Microphone()
    mic.close()
    assert [chunk async for chunk in mic] == []
    assert fake_sd.streams == []


def test_microphone_start_needs_a_running_loop(fake_sd: types.SimpleNamespace) -> None:
    with pytest.raises(RuntimeError):
        Microphone().start()


@pytest.mark.parametrize("kwargs", [{"sample_rate": 0}, {"chunk_ms": 0}, {"max_queued_chunks": 0}])
def test_microphone_validates_arguments(fake_sd: types.SimpleNamespace, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Microphone(**kwargs)


async def test_player_pulls_from_the_buffer_and_pads_with_silence(fake_sd: types.SimpleNamespace) -> None:
    async with AudioPlayer(sample_rate=24000, device="speakers") as player:
        (stream,) = fake_sd.streams
        assert stream.started
        assert stream.kwargs["samplerate"] == 24000
        assert stream.kwargs["dtype"] == "int16" and stream.kwargs["channels"] == 1
        assert stream.kwargs["device"] == "speakers"
        player.write(b"\x01\x02" * 500, item_id="item_1")  # 1000 bytes
        assert player.queued_ms == pytest.approx(1000 / 48)

        out = bytearray(b"\xff" * 960)
        stream.callback(out, 480, None, None)
        assert out == b"\x01\x02" * 480
        assert player.played_ms == 20.0

        out = bytearray(b"\xff" * 960)
        stream.callback(out, 480, None, "output underflow")
        assert out == b"\x01\x02" * 20 + bytes(920)
        assert player.played_ms == pytest.approx(1000 / 48)
        assert player.played_ms_for("item_1") == pytest.approx(1000 / 48)
        assert player.status_errors == 1

        player.write(bytes(4800))
        assert player.clear() == 100.0
        assert player.queued_ms == 0.0
        await asyncio.wait_for(player.drain(), 1)
    assert stream.stopped and stream.closed


async def test_player_drain_waits_for_the_callback(fake_sd: types.SimpleNamespace) -> None:
    player = AudioPlayer(sample_rate=8000, blocksize=160)
    player.start()
    player.start()  # idempotent
    (stream,) = fake_sd.streams
    assert stream.kwargs["blocksize"] == 160
    player.write(bytes(640))
    drain = asyncio.create_task(player.drain(poll_interval=0.001))
    await asyncio.sleep(0.01)
    assert not drain.done()
    stream.callback(bytearray(320), 160, None, None)
    stream.callback(bytearray(320), 160, None, None)
    await asyncio.wait_for(drain, 1)
    assert player.played_ms == 40.0
    player.close()
    player.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        player.start()


def test_player_validates_arguments(fake_sd: types.SimpleNamespace) -> None:
    with pytest.raises(ValueError):
        AudioPlayer(sample_rate=-1)
    with pytest.raises(ValueError):
        AudioPlayer(blocksize=-5)
    player = AudioPlayer()
    with pytest.raises(ValueError):
        player.write(b"\x00")
    assert player.buffer.queued_bytes == 0


async def test_microphone_failed_start_can_be_retried(fake_sd: types.SimpleNamespace) -> None:
    mic = Microphone()
    original = FakeStream.start

    def broken_start(self: FakeStream) -> None:
        raise OSError("device busy")

    FakeStream.start = broken_start  # type: ignore[method-assign]
    try:
        with pytest.raises(OSError, match="device busy"):
            await mic.__anext__()
        assert fake_sd.streams[0].closed
    finally:
        FakeStream.start = original  # type: ignore[method-assign]
    mic.start()  # retry succeeds and iteration works
    feed_from_thread(fake_sd.streams[1], [b"\x00\x00" * 480])
    assert await asyncio.wait_for(mic.__anext__(), 1) == b"\x00\x00" * 480
    mic.close()
