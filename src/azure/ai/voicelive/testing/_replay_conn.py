"""One replayed websocket: feeds the client's frames to a `Replayer`, sends what it answers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from ._replay import CassetteMismatch, Out, Replayer

__all__ = ["ReplayConnection"]

_log = logging.getLogger("azure.ai.voicelive.testing")


class ReplayConnection:
    """Serves one connection of a cassette until the client leaves or the recording closes it."""

    def __init__(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        replayer: Replayer,
        errors: list[BaseException],
        received: list[dict[str, Any]] | None,
    ) -> None:
        self.request = request
        self.ws = ws
        self.replayer = replayer
        self.errors = errors
        self.received = received
        self._queue: asyncio.Queue[Out] = asyncio.Queue()
        self._close_request: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._finished = asyncio.Event()
        self._ending = "the client closed the connection"

    async def run(self) -> None:
        """Serve until the client leaves, the recording closes the connection, or `close()`."""
        reader = asyncio.ensure_future(self._read())
        pump = asyncio.ensure_future(self._pump())
        try:
            waiters: set[asyncio.Future[Any]] = {reader, self._close_request}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if self._close_request.done() and not reader.done():
                reader.cancel()  # see _server._Connection.run: stop reading before closing
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await reader
                code, reason = self._close_request.result()
                if code == 1006:
                    transport = self.request.transport
                    if transport is not None:
                        transport.abort()
                else:
                    with contextlib.suppress(ConnectionError):
                        await self.ws.close(code=code if code != 1005 else 1000, message=reason.encode())
        finally:
            for task in (reader, pump):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await task
            self._report(self.replayer.finish(self._ending))
            self._finished.set()

    def _report(self, mismatch: CassetteMismatch | None) -> None:
        if mismatch is not None and mismatch not in self.errors:
            _log.warning("%s", mismatch)
            self.errors.append(mismatch)

    def _handle(self, outs: list[Out]) -> None:
        for out in outs:
            self._queue.put_nowait(out)
        self._report(self.replayer.mismatch)

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionError):
            self._handle(self.replayer.start())
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        event: Any = json.loads(msg.data)
                    except ValueError:
                        event = {"type": "<not JSON>", "text": str(msg.data)[:200]}
                    if not isinstance(event, dict):
                        event = {"type": "<not a JSON object>", "value": event}
                elif msg.type == WSMsgType.BINARY:
                    event = {"type": "<binary frame>", "bytes": len(msg.data)}
                else:
                    break
                if self.received is not None:
                    self.received.append(event)  # pyright: ignore[reportUnknownArgumentType]
                self._handle(self.replayer.receive(event))  # pyright: ignore[reportUnknownArgumentType]

    async def _pump(self) -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                out = await self._queue.get()
                if out.delay > 0:
                    await asyncio.sleep(out.delay)
                if out.kind == "send":
                    if self.ws.closed:
                        return
                    await self.ws.send_str(out.text)
                else:
                    self._ending = "the recorded session had ended (the server closed it)"
                    self.request_close(out.code, out.reason)
                    return

    def request_close(self, code: int, reason: str) -> None:
        """Ask `run` to close the websocket with `code` and `reason` (first request wins)."""
        if not self._close_request.done():
            self._close_request.set_result((code, reason))

    async def close(self, code: int, reason: str) -> None:
        """Close with `code` and `reason` and wait until the connection is finished."""
        self._ending = "the fake server was stopped or closed the connection"
        self.request_close(code, reason)
        await self._finished.wait()
