"""The instrumentation seam: how observers (telemetry) learn what a connection does.

An observer is a factory registered with :func:`add_observer`. When a connection is being
opened, each factory is called once with a :class:`ConnectionInfo` and may return a
:class:`ConnectionHooks` object for that connection (or ``None`` to ignore it). The
connection then reports its life to those hooks. With no observer registered the
connection's only cost is one truth test per frame.

Hooks must be cheap and must not raise; an exception from a hook is logged at DEBUG and
swallowed so that instrumentation can never break a voice session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "ConnectionHooks",
    "ConnectionInfo",
    "ReconnectInfo",
    "add_observer",
    "notify_reconnected",
    "remove_observer",
    "start_hooks",
]

_LOGGER = logging.getLogger("azure.ai.voicelive")


@dataclass(frozen=True)
class ConnectionInfo:
    """What is known about a connection before its handshake (never any credential)."""

    server_address: str
    server_port: int | None
    api_version: str
    model: str | None = None
    agent_name: str | None = None


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
    """Per-connection callbacks; every method is optional in spirit but must exist."""

    def connected(self) -> None:
        """The handshake succeeded."""

    def connect_failed(self, error: BaseException) -> None:
        """The handshake failed with ``error`` (the connection is over)."""

    def sent(self, frame: str) -> None:
        """One client event was sent as this JSON text."""

    def received(self, event: Any, size: int) -> None:
        """One server event (a typed model) was received; ``size`` is the frame length."""

    def closed(self, code: int | None, reason: str, error: BaseException | None) -> None:
        """The connection ended: by ``close()`` (error ``None``) or with ``error``."""


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

    ``reconnected`` is not part of :class:`ConnectionHooks`: observers written before opt-in
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
