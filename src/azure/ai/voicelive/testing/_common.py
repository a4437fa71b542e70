"""What every part of the fake session shares: ids, event construction, client-error checks.

Sans-I/O and dependency-free: a part builds its server events with an `Emitter` and
rejects bad client input by raising `Reject`, which the simulator turns into the
service's ``error`` event (the session goes on).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, NoReturn

__all__ = [
    "Emitter",
    "Event",
    "Ids",
    "Reject",
    "check_bool",
    "check_ms",
    "check_number",
    "get_int",
    "get_str",
    "invalid",
    "missing",
    "reject_type",
]

Event = dict[str, Any]
"""A server event as it goes on the wire (a JSON object)."""

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_LENGTH = 21  # sess_CMLRGjWnakODcHn583fXf: 21 base62 characters after the prefix


class Ids:
    """Random base62 ids shaped like the service's (``item_CMLRGjWnakODcHn583fXf``), never counters.

    ``seed`` makes the sequence reproducible (same seed, same ids); by default it is random.
    """

    def __init__(self, seed: int | str | None = None) -> None:
        self._random = random.Random(seed)
        self._used: set[str] = set()

    def new(self, prefix: str) -> str:
        """A fresh id ``<prefix>_<21 base62 characters>``, unique in this session."""
        while True:
            candidate = f"{prefix}_{''.join(self._random.choices(_BASE62, k=_ID_LENGTH))}"
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate

    def claim(self, value: str) -> None:
        """Record an id chosen by the client, so that no generated id collides with it."""
        self._used.add(value)


class Emitter:
    """Builds server events; each gets a fresh ``event_id`` (or one later, when it is sent)."""

    def __init__(self, ids: Ids) -> None:
        self.ids = ids

    def event(self, kind: str, **fields: Any) -> Event:
        """A server event to send now."""
        return {"type": kind, "event_id": self.ids.new("event"), **fields}

    @staticmethod
    def later(kind: str, **fields: Any) -> Event:
        """A streamed event; `stamp()` gives its ``event_id`` when it is sent."""
        return {"type": kind, "event_id": None, **fields}

    def stamp(self, event: Event) -> Event:
        """Give a streamed event its ``event_id`` (ids are handed out in send order)."""
        event["event_id"] = self.ids.new("event")
        return event

    def error(self, reject: Reject, client_event_id: str | None) -> Event:
        """The service's ``error`` event for a rejected client event."""
        return self.event(
            "error",
            error={
                "type": reject.error_type,
                "code": reject.code,
                "message": reject.message,
                "param": reject.param,
                "event_id": client_event_id,
            },
        )

    def warning(self, code: str, message: str, param: str | None = None) -> Event:
        """A ``warning`` event (the ``error`` shape without ``type``); the request still succeeded."""
        return self.event("warning", warning={"code": code, "message": message, "param": param})


class Reject(Exception):
    """A client error: becomes an ``error`` event; the session is unchanged and goes on."""

    def __init__(
        self,
        code: str,
        message: str,
        param: str | None = None,
        *,
        error_type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.error_type = error_type


def reject_type(param: str, expected: str, value: object) -> NoReturn:
    """Raise the service's ``invalid_type`` error for ``param``."""
    got = "null" if value is None else type(value).__name__
    raise Reject("invalid_type", f"Invalid type for '{param}': expected {expected}, but got {got}.", param)


def missing(param: str) -> NoReturn:
    """Raise the service's ``missing_required_parameter`` error for ``param``."""
    raise Reject("missing_required_parameter", f"Missing required parameter: '{param}'.", param)


def invalid(param: str, message: str) -> NoReturn:
    """Raise the service's ``invalid_value`` error for ``param``."""
    raise Reject("invalid_value", message, param)


def get_str(event: Mapping[str, Any], key: str, param: str | None = None, *, required: bool = True) -> Any:
    """``event[key]`` as a string (``None`` when absent and not required)."""
    name = param or key
    if key not in event or event[key] is None:
        if required:
            missing(name)
        return None
    value = event[key]
    if not isinstance(value, str):
        reject_type(name, "a string", value)
    return value


def get_int(event: Mapping[str, Any], key: str, *, minimum: int = 0) -> int:
    """``event[key]`` as a required integer of at least ``minimum``."""
    if key not in event or event[key] is None:
        missing(key)
    value = event[key]
    if isinstance(value, bool) or not isinstance(value, int):
        reject_type(key, "an integer", value)
    if value < minimum:
        invalid(key, f"Invalid value for '{key}': {value} is below the minimum of {minimum}.")
    return value


def check_bool(value: object, param: str) -> bool:
    """``value`` if it is a boolean."""
    if not isinstance(value, bool):
        reject_type(param, "a boolean", value)
    return value


def check_number(value: object, param: str, low: float, high: float, *, high_included: bool = True) -> float:
    """``value`` if it is a number within ``[low, high]`` (``[low, high)`` without ``high_included``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        reject_type(param, "a number", value)
    if not (low <= value <= high if high_included else low <= value < high):
        bounds = f"[{low}, {high}{']' if high_included else ')'}"
        invalid(param, f"Invalid value for '{param}': {value} is outside the range {bounds}.")
    return value


def check_ms(value: object, param: str) -> int:
    """``value`` if it is a non-negative integer (milliseconds)."""
    if isinstance(value, bool) or not isinstance(value, int):
        reject_type(param, "an integer", value)
    if value < 0:
        invalid(param, f"Invalid value for '{param}': {value} is negative.")
    return value
