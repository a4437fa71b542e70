"""Recording session cassettes through the connection's instrumentation seam."""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import json
import os
import time
from types import TracebackType
from typing import Any

from typing_extensions import Self

from .._exceptions import ConnectionClosed
from .._instrumentation import ConnectionInfo, add_observer, remove_observer
from .._version import VERSION
from ._cassette import (
    AUDIO_MODES,
    FORMAT_VERSION,
    HEADER_KEY,
    QUERY_ALLOW_LIST,
    AppendRun,
    AudioMode,
    JsonLine,
    audio_bytes,
    dumps,
    map_audio,
    marker,
    write_lines,
)

__all__ = ["Recording", "record"]


class Recording:
    """Records every connection the application opens into a cassette file.

    Made by `record(...)`; use it as a context manager (`with` or `async with`). While it is
    active, every `connect(...)` in the process is recorded: each client frame as it is sent,
    each server event as `recv()` returns it (so the cassette holds what the application saw, in
    the order it saw it), with time offsets, and each close. Consecutive
    `input_audio_buffer.append` frames are written as one line (replay matches appended audio by
    its total length, not its chunks).

    Credentials never reach the file: no header is ever recorded and query parameters are kept
    only when named in `QUERY_ALLOW_LIST` (`api-version`, `model` and the agent parameters).

    The file is written when the block ends without an exception (a failed session does not
    replace a good cassette). Handshakes that fail are not recorded.
    """

    def __init__(self, path: str | os.PathLike[str], *, audio: AudioMode = "trim") -> None:
        if audio not in AUDIO_MODES:
            raise ValueError(f"audio must be one of {', '.join(map(repr, AUDIO_MODES))}, got {audio!r}")
        self.path = os.fspath(path)
        """Where the cassette is written."""
        self.audio: AudioMode = audio
        """How audio is stored: `"keep"`, `"trim"` (silence of the same length) or `"drop"`."""
        self.connections = 0
        """How many connections were recorded so far."""
        self._lines: list[JsonLine] = []
        self._first: ConnectionInfo | None = None
        self._started = 0.0
        self._active = False

    def __repr__(self) -> str:
        return f"<Recording {self.path!r} audio={self.audio!r} connections={self.connections}>"

    # --- context manager ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        if self._active:
            raise RuntimeError("this recording is already active")
        self._active = True
        self._started = time.monotonic()
        add_observer(self._observe)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        remove_observer(self._observe)
        self._active = False
        if exc_type is None:
            self.save()

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def save(self) -> None:
        """Write the cassette now (the context manager calls it on a clean exit).

        Raises:
            RuntimeError: no connection was opened while recording (nothing to replay).
        """
        first = self._first
        if first is None:
            raise RuntimeError(
                f"no Voice Live connection was opened while recording {self.path!r}: nothing was written"
            )
        header: dict[str, Any] = {
            HEADER_KEY: FORMAT_VERSION,
            "api_version": first.api_version,
            "model": first.model,
        }
        if first.agent_name is not None:
            header["agent_name"] = first.agent_name
        header.update(
            sdk=f"voicelive {VERSION}",
            recorded_at=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            audio=self.audio,
            connections=self.connections,
        )
        write_lines(self.path, header, self._lines, self.audio)

    # --- what the hooks report ---------------------------------------------------------------------

    def _observe(self, info: ConnectionInfo) -> _ConnectionRecorder:
        return _ConnectionRecorder(self, info)

    def _now(self) -> float:
        return round(time.monotonic() - self._started, 3)

    def _open(self, info: ConnectionInfo) -> int:
        conn = self.connections
        self.connections += 1
        if self._first is None:
            self._first = info
        query = {name: value for name, value in info.query if name in QUERY_ALLOW_LIST}
        if not query:  # an observer built before ConnectionInfo.query existed: what we know
            query = {"api-version": info.api_version}
            if info.model is not None:
                query["model"] = info.model
        self._lines.append(dumps({"t": self._now(), "conn": conn, "open": query}))
        return conn

    def _client(self, conn: int, frame: str) -> None:
        try:
            event = json.loads(frame)
        except ValueError:  # the SDK only sends JSON; keep whatever this was, as text
            event = {"type": "<not JSON>", "text": frame[:200]}
        if not isinstance(event, dict):
            event = {"type": "<not an object>", "value": event}
        t = self._now()
        if event.get("type") == "input_audio_buffer.append":  # pyright: ignore[reportUnknownMemberType]
            self._append(conn, t, event.get("audio"))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
            return
        self._lines.append(dumps({"t": t, "conn": conn, "client": self._strip(event)}))  # pyright: ignore[reportUnknownArgumentType]

    def _append(self, conn: int, t: float, audio: object) -> None:
        last = self._lines[-1] if self._lines else None
        run = last if isinstance(last, AppendRun) and last.conn == conn else None
        if run is None:
            run = AppendRun(t, conn, 0, [] if self.audio == "keep" else None)
            self._lines.append(run)
        run.t = t  # the time of the last chunk: what follows came after it
        run.size += audio_bytes(audio)
        if run.chunks is not None and isinstance(audio, str):
            with contextlib.suppress(binascii.Error, ValueError):  # not base64: its length still counts
                run.chunks.append(base64.b64decode(audio))

    def _server(self, conn: int, data: dict[str, Any]) -> None:
        self._lines.append(dumps({"t": self._now(), "conn": conn, "server": self._strip(data)}))

    def _close(self, conn: int, by: str, code: int | None = None, reason: str = "") -> None:
        close: dict[str, Any] = {"by": by}
        if code is not None:
            close.update(code=code, reason=reason)
        self._lines.append(dumps({"t": self._now(), "conn": conn, "close": close}))

    def _strip(self, event: dict[str, Any]) -> dict[str, Any]:
        if self.audio == "keep":
            return event
        mode = self.audio
        return map_audio(
            event, lambda value: value if not isinstance(value, str) else marker(mode, audio_bytes(value))
        )


class _ConnectionRecorder:
    """The hooks of one connection (see `azure.ai.voicelive._instrumentation.ConnectionHooks`)."""

    def __init__(self, recording: Recording, info: ConnectionInfo) -> None:
        self.recording = recording
        self.info = info
        self.conn: int | None = None
        self.ended = False

    def connected(self) -> None:
        self.conn = self.recording._open(self.info)  # pyright: ignore[reportPrivateUsage]

    def connect_failed(self, error: BaseException) -> None:
        pass

    def sent(self, frame: str) -> None:
        if self.conn is not None and not self.ended:
            self.recording._client(self.conn, frame)  # pyright: ignore[reportPrivateUsage]

    def send_failed(self, frame: str, error: BaseException) -> None:
        pass

    def received(self, event: Any, size: int, started: int) -> None:
        if self.conn is not None:
            self.recording._server(self.conn, dict(event))  # pyright: ignore[reportPrivateUsage]

    def receive_failed(self, error: BaseException, started: int) -> None:
        if self.conn is not None and not self.ended and isinstance(error, ConnectionClosed):
            self.ended = True
            self.recording._close(self.conn, "server", error.code, error.reason)  # pyright: ignore[reportPrivateUsage]

    def closing(self, code: int, reason: str) -> None:
        if self.conn is not None and not self.ended:
            self.ended = True
            self.recording._close(self.conn, "client", code, reason)  # pyright: ignore[reportPrivateUsage]

    def closed(self, started: int) -> None:
        pass

    def exited(self, error: BaseException | None) -> None:
        pass


def record(path: str | os.PathLike[str], *, audio: AudioMode = "trim") -> Recording:
    """Record the Voice Live sessions the application opens inside the block into a cassette.

    ```python
    async with record("tests/cassettes/greeting.jsonl", audio="trim"):
        await my_app(endpoint, credential)  # its connect(...) call is unchanged
    ```

    Replay the file with `FakeVoiceLiveServer(replay=path)`. Every connection opened in the
    process while the block runs is recorded (see `Recording`).

    Args:
        path: the cassette file to write (its folder is created; an existing file is replaced
            when the block ends without an exception).
        audio: `"trim"` (default) stores audio as its length only and replays it as silence of
            that length; `"keep"` stores it as sent (large); `"drop"` stores its length and
            replays server audio as empty.

    Raises:
        ValueError: an unknown `audio` mode.
    """
    return Recording(path, audio=audio)
