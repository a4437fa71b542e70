"""Text frame <-> typed event: the hot path of the connection, with no I/O.

``decode_server_event`` costs one JSON parse, one dict lookup and one allocation. The parser is
``orjson`` when the ``speedups`` extra is installed, ``json.loads`` otherwise (``.._speedups``),
with the same results and errors either way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Callable

from .. import _speedups
from .._exceptions import InvalidFrameError
from ..models import ClientEvent, ServerEvent
from ..models._base import Model, _Json, _to_wire
from ..models._events_server import SERVER_EVENT_TYPES

__all__ = ["decode_server_event", "encode_client_event", "frame_preview"]

_loads = _speedups.loads
_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_new = object.__new__
#: ``type`` -> event class; any JSON value may come as the key (an unhashable one raises TypeError).
_lookup: Callable[[Any, type[ServerEvent]], type[ServerEvent]] = SERVER_EVENT_TYPES.get
_PREVIEW = 200


def frame_preview(frame: str | bytes | bytearray, limit: int = _PREVIEW) -> str:
    """The start of a frame for an error message (never the whole of a large payload)."""
    if isinstance(frame, (bytes, bytearray)):
        text = bytes(frame[:limit]).decode("utf-8", "replace")
    else:
        text = frame[:limit]
    return text + ("..." if len(frame) > limit else "")


def decode_server_event(frame: str | bytes | bytearray) -> ServerEvent:
    """Parse one text frame into its typed server event.

    An unknown ``type`` gives a plain :class:`ServerEvent` holding the whole payload.
    Raises :class:`InvalidFrameError` when the frame is not a JSON object.
    """
    try:
        data: _Json = _loads(frame)
    except (ValueError, RecursionError) as exc:
        raise InvalidFrameError(
            f"Server sent a frame that is not valid JSON ({type(exc).__name__}: {exc}); "
            f"frame starts with: {frame_preview(frame)!r}",
            frame=frame[:_PREVIEW],
        ) from None
    if type(data) is not dict:
        raise InvalidFrameError(
            f"Server sent JSON that is not an object (got {type(data).__name__}); "
            f"frame starts with: {frame_preview(frame)!r}",
            frame=frame[:_PREVIEW],
        )
    try:
        cls = _lookup(data.get("type"), ServerEvent)
    except TypeError:  # an unhashable "type" (a list, an object): lenient, like an unknown type
        cls = ServerEvent
    event: ServerEvent = _new(cls)
    event._data = data
    event._cache = None
    return event


def encode_client_event(event: ClientEvent | Mapping[str, Any] | Any) -> str:
    """Serialise a client event (a model, a mapping or any JSON-able object) to frame text.

    Raises ``TypeError`` when the value cannot be represented as JSON.
    """
    data: Any = event  # a plain dict is sent as it is
    if isinstance(event, Model):
        data = event._data
    elif type(event) is not dict:
        data = _to_wire(event)
    try:
        return _dumps(data)
    except (TypeError, ValueError, RecursionError) as exc:
        try:
            # Nested models, enums or bytes inside a plain dict: convert, then retry once.
            return _dumps(_to_wire(data))
        except (TypeError, ValueError, RecursionError):
            raise TypeError(f"Cannot send event: it is not JSON-serialisable ({exc})") from None
