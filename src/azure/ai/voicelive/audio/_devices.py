"""Microphone capture and speaker playback on top of the optional ``sounddevice`` package.

``sounddevice`` (``pip install 'voicelive[audio]'``) is imported only when a
[`Microphone`][] or [`AudioPlayer`][] is created. The playback bookkeeping
(jitter buffer, played/queued milliseconds, ``clear()`` for barge-in) lives in
[`PlaybackBuffer`][], which has no dependencies and is safe to use from the
audio thread and the event loop at the same time.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections import OrderedDict, deque
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Optional

from typing_extensions import Self

from ._pcm import BytesLike

if TYPE_CHECKING:
    import asyncio

__all__ = ["AudioDependencyError", "AudioPlayer", "Microphone", "PlaybackBuffer"]

_INSTALL_HINT = "install it with: pip install 'voicelive[audio]'"

# How many items PlaybackBuffer remembers per-item played bytes for.
_MAX_TRACKED_ITEMS = 64


class AudioDependencyError(ImportError):
    """The optional ``sounddevice`` package (or the PortAudio library it needs) is unavailable."""


def _import_sounddevice(feature: str) -> ModuleType:
    try:
        sounddevice = importlib.import_module("sounddevice")
    except ImportError as exc:
        raise AudioDependencyError(
            f"{feature} needs the optional 'sounddevice' package; {_INSTALL_HINT}", name="sounddevice"
        ) from exc
    except OSError as exc:  # sounddevice raises OSError when the PortAudio library is missing
        raise AudioDependencyError(
            f"{feature} needs the PortAudio library used by 'sounddevice' ({exc}); install PortAudio "
            "(e.g. 'apt install libportaudio2') or reinstall with: pip install 'voicelive[audio]'",
            name="sounddevice",
        ) from exc
    return sounddevice


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class PlaybackBuffer:
    """Thread-safe FIFO of mono PCM16 audio waiting to be played, with playback accounting.

    The producer (event loop) calls [`write()`][write]; the consumer (the audio device
    callback) calls [`read()`][read]. Bytes returned by [`read()`][read] count as played.
    Audio can be tagged with the conversation item it belongs to, so that after a
    barge-in [`played_ms_for()`][played_ms_for] tells how much of that item was heard (the
    ``audio_end_ms`` of ``conversation.item.truncate``).
    """

    def __init__(self, *, sample_rate: int = 24000) -> None:
        """Create an empty buffer for PCM16 at ``sample_rate`` Hz.

        Raises:
            ValueError: if ``sample_rate`` is not a positive integer.
        """
        self._rate = _positive_int("sample_rate", sample_rate)
        self._lock = threading.Lock()
        self._chunks: deque[tuple[bytes, Optional[str]]] = deque()
        self._offset = 0  # bytes of the first chunk already consumed
        self._queued = 0
        self._played = 0
        self._cleared = 0
        self._item_played: OrderedDict[str, int] = OrderedDict()
        self._current_item: Optional[str] = None

    def _ms(self, n_bytes: int) -> float:
        return n_bytes * 1000.0 / (2 * self._rate)

    @property
    def sample_rate(self) -> int:
        """Sample rate in Hz used for the millisecond figures."""
        return self._rate

    def write(self, pcm16: BytesLike, *, item_id: Optional[str] = None) -> None:
        """Append audio to the end of the queue (never blocks).

        ``item_id`` optionally tags the audio with the conversation item it came from.

        Raises:
            ValueError: if ``pcm16`` has an odd number of bytes.
            TypeError: if ``pcm16`` is not bytes-like.
        """
        if not isinstance(pcm16, (bytes, bytearray, memoryview)):
            raise TypeError(f"expected a bytes-like object, got {type(pcm16).__name__}")
        data = bytes(pcm16)
        if len(data) % 2:
            raise ValueError(f"PCM16 data must have an even number of bytes, got {len(data)}")
        if not data:
            return
        with self._lock:
            self._chunks.append((data, item_id))
            self._queued += len(data)

    def read(self, n_bytes: int) -> bytes:
        """Remove and return up to ``n_bytes`` of queued audio (fewer if the queue runs dry).

        An odd ``n_bytes`` is rounded down so that samples are never split. The
        returned bytes are counted as played.

        Raises:
            ValueError: if ``n_bytes`` is negative.
        """
        if n_bytes < 0:
            raise ValueError(f"n_bytes must be non-negative, got {n_bytes}")
        want = n_bytes - n_bytes % 2
        parts: list[bytes] = []
        with self._lock:
            while want > 0 and self._chunks:
                chunk, item_id = self._chunks[0]
                available = len(chunk) - self._offset
                take = min(available, want)
                parts.append(chunk[self._offset : self._offset + take])
                want -= take
                if take == available:
                    self._chunks.popleft()
                    self._offset = 0
                else:
                    self._offset += take
                self._queued -= take
                self._played += take
                if item_id is not None:
                    self._account_item(item_id, take)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _account_item(self, item_id: str, n_bytes: int) -> None:
        played = self._item_played.pop(item_id, 0) + n_bytes
        self._item_played[item_id] = played  # re-insert as most recent
        self._current_item = item_id
        while len(self._item_played) > _MAX_TRACKED_ITEMS:
            self._item_played.popitem(last=False)

    def clear(self) -> int:
        """Drop all queued (not yet played) audio and return how many bytes were dropped."""
        with self._lock:
            dropped = self._queued
            self._chunks.clear()
            self._offset = 0
            self._queued = 0
            self._cleared += dropped
        return dropped

    def reset_played(self) -> None:
        """Reset [`played_bytes`][] / [`played_ms`][] and the per-item counters to zero."""
        with self._lock:
            self._played = 0
            self._item_played.clear()
            self._current_item = None

    @property
    def queued_bytes(self) -> int:
        """Bytes written but not yet read."""
        return self._queued

    @property
    def queued_ms(self) -> float:
        """Milliseconds of audio written but not yet read."""
        return self._ms(self._queued)

    @property
    def played_bytes(self) -> int:
        """Bytes handed out by [`read()`][read] since creation (or [`reset_played()`][reset_played])."""
        return self._played

    @property
    def played_ms(self) -> float:
        """Milliseconds handed out by [`read()`][read] since creation.

        Or since the last [`reset_played()`][reset_played].
        """
        return self._ms(self._played)

    @property
    def cleared_ms(self) -> float:
        """Total milliseconds of queued audio dropped by [`clear()`][clear]."""
        return self._ms(self._cleared)

    @property
    def current_item_id(self) -> Optional[str]:
        """The item id of the most recently played tagged audio, or ``None``."""
        return self._current_item

    def played_ms_for(self, item_id: str) -> float:
        """Milliseconds of audio tagged ``item_id`` that have been played (0.0 if none or forgotten).

        The counts of the 64 most recently played items are kept.
        """
        with self._lock:
            return self._ms(self._item_played.get(item_id, 0))


class Microphone:
    """Capture mono PCM16 from an input device as an async iterator of fixed-size chunks.

    Use it as an async context manager and iterate:

    ```python
    async with Microphone(sample_rate=24000, chunk_ms=20) as mic:
        async for chunk in mic:
            await conn.input_audio_buffer.append(audio=chunk)
    ```

    Chunks are handed from the audio thread to the event loop through a bounded
    queue; when the consumer falls behind, the oldest chunk is dropped and
    [`dropped_chunks`][] is incremented.
    """

    def __init__(
        self,
        *,
        sample_rate: int = 24000,
        chunk_ms: float = 20,
        device: Optional[int | str] = None,
        max_queued_chunks: int = 50,
    ) -> None:
        """Prepare (but do not open) an input stream.

        Raises:
            AudioDependencyError: if ``sounddevice``/PortAudio is not installed.
            ValueError: for a non-positive rate, chunk length or queue size.
        """
        self._sd = _import_sounddevice("Microphone")
        self._rate = _positive_int("sample_rate", sample_rate)
        if not chunk_ms > 0:
            raise ValueError(f"chunk_ms must be positive, got {chunk_ms!r}")
        self._frames = max(1, round(sample_rate * chunk_ms / 1000))
        self._max_queued = _positive_int("max_queued_chunks", max_queued_chunks)
        self._device = device
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._queue: Optional[asyncio.Queue[Optional[bytes]]] = None
        self._stream: Any = None
        self._closed = False
        self._dropped = 0
        self._status_errors = 0

    @property
    def sample_rate(self) -> int:
        """Capture sample rate in Hz."""
        return self._rate

    @property
    def chunk_bytes(self) -> int:
        """Size in bytes of each yielded chunk."""
        return 2 * self._frames

    @property
    def dropped_chunks(self) -> int:
        """Chunks discarded because the consumer did not keep up."""
        return self._dropped

    @property
    def status_errors(self) -> int:
        """Callbacks in which the audio driver reported a problem (e.g. input overflow)."""
        return self._status_errors

    def start(self) -> None:
        """Open and start the input stream; must be called from a running event loop.

        Raises:
            RuntimeError: if there is no running event loop or the microphone was closed.
            sounddevice.PortAudioError: if the device cannot be opened.
        """
        if self._closed:
            raise RuntimeError("Microphone is closed")
        if self._stream is not None:
            return
        import asyncio  # imported lazily: keeps ``import azure.ai.voicelive.audio`` cheap

        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        stream: Any = None
        try:
            stream = self._sd.RawInputStream(
                samplerate=self._rate,
                blocksize=self._frames,
                channels=1,
                dtype="int16",
                device=self._device,
                callback=self._callback,
            )
            stream.start()
        except BaseException:
            self._queue = None  # a later start()/iteration retries instead of waiting forever
            if stream is not None:
                stream.close()
            raise
        self._stream = stream

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        # Runs on the PortAudio thread: copy the data and hand it to the event loop.
        if status:
            self._status_errors += 1
        loop = self._loop
        if loop is None or self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the event loop may already be closed
            loop.call_soon_threadsafe(self._enqueue, bytes(indata))

    def _enqueue(self, chunk: Optional[bytes]) -> None:
        queue = self._queue
        if queue is None:
            return
        if chunk is not None:
            if self._closed:
                return
            if queue.qsize() >= self._max_queued:
                queue.get_nowait()  # drop the oldest chunk: the newest audio matters most
                self._dropped += 1
        queue.put_nowait(chunk)  # the queue itself is unbounded so the end marker always fits

    def close(self) -> None:
        """Stop and close the stream; pending iteration ends after the already queued chunks."""
        if self._closed:
            return
        self._closed = True
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()
        self._enqueue(None)

    def __aiter__(self) -> Microphone:
        return self

    async def __anext__(self) -> bytes:
        """Return the next captured chunk, starting the stream on first use."""
        if self._queue is None:
            if self._closed:
                raise StopAsyncIteration
            self.start()
        assert self._queue is not None
        chunk = await self._queue.get()
        if chunk is None:
            self._queue.put_nowait(None)  # keep later __anext__ calls finished too
            raise StopAsyncIteration
        return chunk

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class _BufferedPlayer:
    """What every player shares: a [`PlaybackBuffer`][] and its accounting."""

    _buffer: PlaybackBuffer

    @property
    def buffer(self) -> PlaybackBuffer:
        """The underlying [`PlaybackBuffer`][]."""
        return self._buffer

    @property
    def sample_rate(self) -> int:
        """Playback sample rate in Hz."""
        return self._buffer.sample_rate

    @property
    def played_ms(self) -> float:
        """Milliseconds played (handed to the sound card) since creation or ``buffer.reset_played()``."""
        return self._buffer.played_ms

    @property
    def queued_ms(self) -> float:
        """Milliseconds written but not played yet."""
        return self._buffer.queued_ms

    def played_ms_for(self, item_id: str) -> float:
        """Milliseconds of the audio written with ``item_id`` that were played."""
        return self._buffer.played_ms_for(item_id)

    def write(self, pcm16: BytesLike, *, item_id: Optional[str] = None) -> None:
        """Queue audio for playback (never blocks).

        Raises:
            ValueError: if ``pcm16`` has an odd number of bytes.
        """
        self._buffer.write(pcm16, item_id=item_id)

    def clear(self) -> float:
        """Drop all queued audio (barge-in) and return how many milliseconds were dropped."""
        return self._buffer.clear() * 1000.0 / (2 * self._buffer.sample_rate)


class AudioPlayer(_BufferedPlayer):
    """Play mono PCM16 through an output device, keeping count of what was actually played.

    `write()` queues audio without blocking; the device callback pulls from a
    [`PlaybackBuffer`][] and pads with silence when it runs dry. On barge-in,
    call `clear()` and truncate the assistant item at `played_ms_for()`
    (or `played_ms`). Figures count audio handed to the sound card, which is
    ahead of what is audible by the device's output latency.
    """

    def __init__(
        self,
        *,
        sample_rate: int = 24000,
        device: Optional[int | str] = None,
        blocksize: int = 0,
    ) -> None:
        """Prepare (but do not open) an output stream; ``blocksize=0`` lets PortAudio choose.

        Raises:
            AudioDependencyError: if ``sounddevice``/PortAudio is not installed.
            ValueError: for a non-positive ``sample_rate`` or negative ``blocksize``.
        """
        self._sd = _import_sounddevice("AudioPlayer")
        self._buffer = PlaybackBuffer(sample_rate=sample_rate)
        if isinstance(blocksize, bool) or not isinstance(blocksize, int) or blocksize < 0:
            raise ValueError(f"blocksize must be a non-negative integer, got {blocksize!r}")
        self._blocksize = blocksize
        self._device = device
        self._stream: Any = None
        self._closed = False
        self._status_errors = 0

    @property
    def status_errors(self) -> int:
        """Callbacks in which the audio driver reported a problem (e.g. output underflow)."""
        return self._status_errors

    def start(self) -> None:
        """Open and start the output stream (idempotent).

        Raises:
            RuntimeError: if the player was closed.
            sounddevice.PortAudioError: if the device cannot be opened.
        """
        if self._closed:
            raise RuntimeError("AudioPlayer is closed")
        if self._stream is not None:
            return
        stream = self._sd.RawOutputStream(
            samplerate=self.sample_rate,
            blocksize=self._blocksize,
            channels=1,
            dtype="int16",
            device=self._device,
            callback=self._callback,
        )
        stream.start()
        self._stream = stream

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        # Runs on the PortAudio thread.
        if status:
            self._status_errors += 1
        size = len(outdata)
        data = self._buffer.read(size)
        n = len(data)
        outdata[:n] = data
        if n < size:
            outdata[n:] = bytes(size - n)

    async def drain(self, *, poll_interval: float = 0.01) -> None:
        """Wait until all queued audio has been handed to the sound card (or the player is closed)."""
        import asyncio

        while self._buffer.queued_bytes and self._stream is not None:
            await asyncio.sleep(poll_interval)

    def close(self) -> None:
        """Stop and close the output stream; queued audio is discarded."""
        if self._closed:
            return
        self._closed = True
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()
        self._buffer.clear()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
