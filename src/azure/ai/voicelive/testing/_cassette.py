"""Session cassettes: the file format (JSON Lines), audio modes, reading and writing.

A cassette is one header line, then one line per frame or connection event, in the order the
application saw them:

```text
{"voicelive_cassette":1,"api_version":"2025-10-01","model":"gpt-realtime","sdk":"voicelive 0.1.0",...}
{"t":0.0,"conn":0,"open":{"api-version":"2025-10-01","model":"gpt-realtime"}}
{"t":0.004,"conn":0,"server":{"type":"session.created",...}}
{"t":0.011,"conn":0,"client":{"type":"session.update",...}}
{"t":2.5,"conn":0,"close":{"by":"client"}}
```

`t` is seconds since recording began, `conn` the connection's index in the order they were
opened. Audio is kept, trimmed to silence of the same length, or dropped (`AudioMode`); a
trimmed or dropped value is written as `{"$audio": "silence" | "dropped", "bytes": N}`.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, cast

__all__ = [
    "AUDIO_MODES",
    "FORMAT_VERSION",
    "QUERY_ALLOW_LIST",
    "AudioMode",
    "Cassette",
    "CassetteError",
    "Step",
    "audio_bytes",
    "map_audio",
]

FORMAT_VERSION = 1
HEADER_KEY = "voicelive_cassette"

AudioMode = Literal["keep", "trim", "drop"]
"""How recorded audio is stored: `"keep"` (as sent), `"trim"` (silence of the same length; the
default) or `"drop"` (only its length; replayed as empty audio)."""
AUDIO_MODES: tuple[str, ...] = ("keep", "trim", "drop")

#: Query parameters a cassette keeps; every other one (a signature, a token, anything the app
#: added with `connect(query=...)`) never reaches the file.
QUERY_ALLOW_LIST = frozenset(
    {"api-version", "model", "agent-name", "agent-project-name", "agent-version", "conversation-id"}
)

_MARKER = "$audio"
_SILENCE = {"g711_ulaw": 0xFF, "g711_alaw": 0xD5}  # PCM silence is zero bytes

dumps: Callable[[Any], str] = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class CassetteError(ValueError):
    """A cassette file that cannot be read: not JSON Lines, no header, an unknown format version,
    or a line that is not a frame. The message names the file and the line."""


def audio_bytes(value: object) -> int:
    """The byte length of an audio value: base64 text (without decoding it) or an `$audio` marker."""
    if isinstance(value, str):
        padding = 2 if value.endswith("==") else 1 if value.endswith("=") else 0
        return max(0, len(value) * 3 // 4 - padding)
    if isinstance(value, dict):
        n = value.get("bytes")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return n if isinstance(n, int) else 0
    return 0


def is_marker(value: object) -> bool:
    """Whether `value` is a trimmed or dropped audio marker."""
    return isinstance(value, dict) and _MARKER in value


def marker(mode: str, size: int) -> dict[str, Any]:
    """The marker that stands for `size` bytes of audio in a cassette (`mode` trim or drop)."""
    return {_MARKER: "silence" if mode == "trim" else "dropped", "bytes": size}


def _audio_slots(event: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Where audio sits in an event: (path to the holding object, key)."""
    kind = event.get("type")
    if kind == "input_audio_buffer.append" and "audio" in event:
        yield (), "audio"
    elif isinstance(kind, str) and kind.endswith("audio.delta") and "delta" in event:
        yield (), "delta"
    item = event.get("item")
    if isinstance(item, dict):
        content = item.get("content")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(content, list):
            for index, part in enumerate(content):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
                if isinstance(part, dict) and isinstance(part.get("audio"), (str, dict)):  # pyright: ignore[reportUnknownMemberType]
                    yield ("item", "content", index), "audio"


def map_audio(event: dict[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    """`event` with every audio value replaced by `convert(value)`: a copy of what changes
    (the event itself is never modified), or `event` when it holds no audio."""
    slots = list(_audio_slots(event))
    if not slots:
        return event
    out = dict(event)
    for path, key in slots:
        holder: dict[str, Any] = out
        if path:  # ("item", "content", index): copy item, content list and part
            item = dict(out["item"])
            content = list(item["content"])
            part = dict(content[path[2]])
            content[path[2]] = part
            item["content"] = content
            out["item"] = item
            holder = part
        holder[key] = convert(holder[key])
    return out


_silence_cache: dict[tuple[int, int], str] = {}


def silence(size: int, audio_format: str | None) -> str:
    """Base64 text of `size` bytes of silence in `audio_format` (PCM unless a G.711 name)."""
    byte = _SILENCE.get(audio_format or "", 0)
    key = (byte, size)
    text = _silence_cache.get(key)
    if text is None:
        text = base64.b64encode(bytes([byte]) * size).decode("ascii")
        if len(_silence_cache) < 256:
            _silence_cache[key] = text
    return text


@dataclass(frozen=True)
class Step:
    """One line of a connection's track: a server frame, a client frame (`append` for input
    audio, with its total `size` in bytes), or a close; `line` is its 1-based line number."""

    kind: Literal["server", "client", "append", "close"]
    line: int
    t: float
    event: dict[str, Any] = field(default_factory=dict[str, Any])
    size: int = 0


@dataclass
class Cassette:
    """A cassette read into memory: its `header` and one track of steps per connection.

    Build one with `Cassette.load(path)`; `FakeVoiceLiveServer(replay=...)` takes a path or one
    of these.
    """

    path: str
    header: dict[str, Any]
    tracks: list[list[Step]]
    opened: list[int]  # the line where each connection was opened
    opened_at: list[float] = field(default_factory=list[float])  # and its time offset

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cassette:
        """Read and check a cassette file.

        Raises:
            FileNotFoundError: there is no file at `path`.
            CassetteError: the file is not a cassette of a format version this package reads.
        """
        name = os.fspath(path)
        with open(name, encoding="utf-8") as file:
            lines = file.read().splitlines()
        return cls.parse(lines, name)

    @classmethod
    def parse(cls, lines: list[str], name: str = "<cassette>") -> Cassette:
        """Build a cassette from its lines (`name` is used in error messages).

        Raises:
            CassetteError: the lines are not a cassette of a known format version.
        """

        def fail(number: int, why: str) -> CassetteError:
            return CassetteError(f"{name} line {number}: {why}")

        if not lines or not lines[0].strip():
            raise fail(1, "empty file: a cassette starts with a header line")
        try:
            header = json.loads(lines[0])
        except ValueError:
            raise fail(1, "the header is not JSON") from None
        if not isinstance(header, dict) or HEADER_KEY not in header:
            raise fail(1, f"no cassette header (a JSON object with {HEADER_KEY!r})")
        version = header[HEADER_KEY]  # pyright: ignore[reportUnknownVariableType]
        if version != FORMAT_VERSION:
            raise fail(
                1,
                f"cassette format version {version!r}; this package reads version {FORMAT_VERSION} "
                "(record the cassette again, or upgrade the package)",
            )
        tracks: list[list[Step]] = []
        opened: list[int] = []
        opened_at: list[float] = []
        for number, text in enumerate(lines[1:], start=2):
            if not text.strip():
                continue
            try:
                row: Any = json.loads(text)
            except ValueError:
                raise fail(number, "not JSON") from None
            if not isinstance(row, dict):
                raise fail(number, "not a JSON object")
            row = cast("dict[str, Any]", row)
            conn = row.get("conn")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            if not isinstance(conn, int) or isinstance(conn, bool) or conn < 0:
                raise fail(number, "'conn' must be a connection index (0, 1, ...)")
            t = row.get("t", 0.0)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            t = float(t) if isinstance(t, (int, float)) else 0.0
            if "open" in row:
                if conn != len(tracks):
                    raise fail(number, f"connection {conn} opened out of order (expected {len(tracks)})")
                tracks.append([])
                opened.append(number)
                opened_at.append(t)
                continue
            if conn >= len(tracks):
                raise fail(number, f"connection {conn} was not opened before this line")
            track = tracks[conn]
            if "server" in row or "client" in row:
                side: Literal["server", "client"] = "server" if "server" in row else "client"
                event = row[side]
                if not isinstance(event, dict) or not isinstance(event.get("type"), str):  # pyright: ignore[reportUnknownMemberType]
                    raise fail(number, f"'{side}' must be an event object with a 'type'")
                event = _as_event(event)  # pyright: ignore[reportUnknownArgumentType]
                if side == "client" and event["type"] == "input_audio_buffer.append":
                    track.append(Step("append", number, t, event, audio_bytes(event.get("audio"))))
                else:
                    track.append(Step(side, number, t, event))
            elif "close" in row:
                close = row["close"]
                if not isinstance(close, dict) or close.get("by") not in ("server", "client"):  # pyright: ignore[reportUnknownMemberType]
                    raise fail(number, "'close' must be an object with 'by': 'server' or 'client'")
                track.append(Step("close", number, t, _as_event(close)))  # pyright: ignore[reportUnknownArgumentType]
            else:
                raise fail(number, "expected one of 'open', 'server', 'client' or 'close'")
        return cls(name, _as_event(header), tracks, opened, opened_at)  # pyright: ignore[reportUnknownArgumentType]


def _as_event(value: dict[Any, Any]) -> dict[str, Any]:
    return value


# --- writing ---------------------------------------------------------------------------------------

JsonLine = Union[str, "AppendRun"]


@dataclass
class AppendRun:
    """Consecutive `input_audio_buffer.append` frames of one connection, written as one line."""

    t: float
    conn: int
    size: int
    chunks: list[bytes] | None  # the audio, when it is kept

    def line(self, mode: str) -> str:
        audio: Any
        if self.chunks is not None:
            audio = base64.b64encode(b"".join(self.chunks)).decode("ascii")
        else:
            audio = marker(mode, self.size)
        event = {"type": "input_audio_buffer.append", "audio": audio}
        return dumps({"t": self.t, "conn": self.conn, "client": event})


def write_lines(path: str, header: dict[str, Any], lines: list[JsonLine], mode: str) -> None:
    """Write a cassette atomically (a temporary file renamed over `path`)."""
    target = Path(path)
    if target.parent != Path():
        target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    with open(temporary, "w", encoding="utf-8", newline="\n") as file:
        file.write(dumps(header) + "\n")
        for line in lines:
            file.write((line if isinstance(line, str) else line.line(mode)) + "\n")
    os.replace(temporary, target)
