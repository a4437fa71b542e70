"""The instrumentation seam: how observers (telemetry) learn what a connection does.

An observer is a factory registered with `add_observer()`. When a connection is being
opened, each factory is called once with a `ConnectionInfo` and may return a
`ConnectionHooks` object for that connection (or ``None`` to ignore it). The
connection then reports its life to those hooks. With no observer registered the
connection's only cost is one truth test per frame.

Hooks must be cheap and must not raise; an exception from a hook is logged at DEBUG and
swallowed so that instrumentation can never break a voice session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "ConnectionHooks",
    "ConnectionInfo",
    "ReconnectInfo",
    "add_observer",
    "notify",
    "notify_optional",
    "notify_reconnected",
    "now",
    "remove_observer",
    "start_hooks",
]

#: The clock of ``started`` arguments (epoch nanoseconds, as OpenTelemetry wants them).
now = time.time_ns

_LOGGER = logging.getLogger("azure.ai.voicelive")


@dataclass(frozen=True)
class ConnectionInfo:
    """What is known about a connection before its handshake (never any credential header).

    `query` is the URL's query as sent, as `(name, value)` pairs in order. It holds what
    the app put there (`connect(query=...)`), so an observer that stores or exports it must
    filter it (the cassette recorder keeps an allow-list of names).
    """

    server_address: str
    server_port: int | None
    api_version: str
    model: str | None = None
    agent_name: str | None = None
    project_name: str | None = None
    agent_version: str | None = None
    conversation_id: str | None = None
    query: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReconnectInfo:
    """One reconnect or rotation of a call (opt-in reconnect), reported to the new connection's hooks.

    ``cause`` is ``"closed"``, ``"session_expired"`` or ``"rotation"``; ``started`` and ``ended``
    are ``time.time()`` seconds (the outage, or the rotation's preparation); ``downtime_ms`` is
    how long the app had no session (0 for a rotation).
    """

    cause: str
    close_code: int | None
    attempts: int
    downtime_ms: float
    started: float
    ended: float
    items_replayed: int
    items_not_replayed: int


class ConnectionHooks(Protocol):
    """Per-connection callbacks, mirroring the public calls an application makes.

    ``started`` arguments are `time.time_ns()` values taken when the call began (the
    connection reads the clock only when it has hooks).
    """

    def connected(self) -> None:
        """The handshake succeeded."""

    def connect_failed(self, error: BaseException) -> None:
        """The handshake failed with ``error`` (the connection is over)."""

    def sent(self, frame: str) -> None:
        """One client event was sent as this JSON text."""

    def send_failed(self, frame: str, error: BaseException) -> None:
        """Sending this JSON text failed with ``error`` (nothing or not all of it was sent)."""

    def received(self, event: Any, size: int, started: int) -> None:
        """``recv()`` returned one server event (a typed model); ``size`` is the frame length."""

    def receive_failed(self, error: BaseException, started: int) -> None:
        """``recv()`` raised ``error`` (the connection ended, a bad frame, a cancellation)."""

    def closed(self, started: int) -> None:
        """A ``close()`` call returned (called for every call, the repeated ones too)."""

    def exited(self, error: BaseException | None) -> None:
        """The ``async with connect(...)`` block was left (after its close), with ``error`` if it raised."""

    # Optional hooks (not part of the protocol: a hook object may leave them out; they are called
    # through `notify_optional`): `reconnected(info: ReconnectInfo)` and
    # `closing(code: int, reason: str)`, called once when this client starts closing an open
    # connection (before its close frame is sent), so that observers can tell the client's close
    # from the server's.


ObserverFactory = Callable[[ConnectionInfo], "ConnectionHooks | None"]
_factories: list[ObserverFactory] = []


def add_observer(factory: ObserverFactory) -> None:
    """Register a factory called once per new connection (idempotent)."""
    if factory not in _factories:
        _factories.append(factory)


def remove_observer(factory: ObserverFactory) -> None:
    """Unregister a factory; connections already open keep their hooks."""
    if factory in _factories:
        _factories.remove(factory)


def start_hooks(info: ConnectionInfo) -> tuple[ConnectionHooks, ...]:
    """Ask every registered factory for hooks for a new connection."""
    if not _factories:
        return ()
    hooks: list[ConnectionHooks] = []
    for factory in list(_factories):
        try:
            made = factory(info)
        except Exception:  # an observer must never break a connection
            _LOGGER.debug("instrumentation factory %r failed", factory, exc_info=True)
            continue
        if made is not None:
            hooks.append(made)
    return tuple(hooks)


def notify(hooks: tuple[ConnectionHooks, ...], method: str, *args: Any) -> None:
    """Call ``method`` on every hook, swallowing (and logging at DEBUG) any exception."""
    for hook in hooks:
        try:
            getattr(hook, method)(*args)
        except Exception:
            _LOGGER.debug("instrumentation hook %s.%s failed", type(hook).__name__, method, exc_info=True)


def notify_reconnected(hooks: tuple[ConnectionHooks, ...], info: ReconnectInfo) -> None:
    """Call the optional ``reconnected(info)`` of every hook that has one (errors swallowed).

    ``reconnected`` is not part of `ConnectionHooks`: observers written before opt-in
    reconnect keep working; those that want it define the method.
    """
    for hook in hooks:
        method = getattr(hook, "reconnected", None)
        if method is None:
            continue
        try:
            method(info)
        except Exception:
            _LOGGER.debug("instrumentation hook %s.reconnected failed", type(hook).__name__, exc_info=True)


def notify_optional(hooks: tuple[ConnectionHooks, ...], method: str, *args: Any) -> None:
    """Call the optional hook `method` on every hook object that defines it (errors swallowed)."""
    for hook in hooks:
        function = getattr(hook, method, None)
        if function is None:
            continue
        try:
            function(*args)
        except Exception:
            _LOGGER.debug("instrumentation hook %s.%s failed", type(hook).__name__, method, exc_info=True)
