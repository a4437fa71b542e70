"""A speaker without a sound card: plays queued audio against the event loop's clock.

Useful for tests, CI and samples run with ``--output-wav``: it consumes audio at playback speed
(so ``played_ms`` grows like a real speaker's) and can record what was actually played.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Optional

from typing_extensions import Self

from ._devices import PlaybackBuffer, _BufferedPlayer

__all__ = ["VirtualPlayer"]


class VirtualPlayer(_BufferedPlayer):
    """Plays PCM16 at real-time speed into nothing (or into [`played_audio`][]).

    Same bookkeeping as [`AudioPlayer`][] (``write``, ``clear``, ``played_ms``,
    ``played_ms_for``, ``queued_ms``), driven by an asyncio task that takes ``tick_ms`` of audio
    every ``tick_ms`` milliseconds. ``record=True`` keeps the played audio in
    [`played_audio`][]. Use as an async context manager, or call [`start()`][start] / [`close()`][close].
    """

    def __init__(self, *, sample_rate: int = 24000, tick_ms: float = 20.0, record: bool = False) -> None:
        if tick_ms <= 0:
            raise ValueError(f"tick_ms must be positive, got {tick_ms!r}")
        self._buffer = PlaybackBuffer(sample_rate=sample_rate)
        self._tick = tick_ms / 1000.0
        self._bytes_per_tick = int(sample_rate * tick_ms / 1000.0) * 2
        self._record = record
        self.played_audio = bytearray()
        """The PCM16 played so far (kept only with ``record=True``)."""
        self._task: Optional[asyncio.Task[None]] = None

    def start(self) -> None:
        """Start the playback clock (idempotent); needs a running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            next_tick += self._tick
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
            chunk = self._buffer.read(self._bytes_per_tick)
            if self._record and chunk:
                self.played_audio += chunk

    async def drain(self, *, poll_interval: float = 0.01) -> None:
        """Wait until everything queued has been played."""
        while self._buffer.queued_bytes:
            await asyncio.sleep(poll_interval)

    async def close(self) -> None:
        """Stop the playback clock (queued audio stays queued)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
