"""The client-side event that tells the app its call moved to a new session (opt-in reconnect)."""

from __future__ import annotations

from typing import Literal, Optional

from .models._events_server import ServerEvent

__all__ = ["RECONNECTED", "ReconnectedEvent"]

RECONNECTED = "client.reconnected"


class ReconnectedEvent(ServerEvent):
    """Yielded by ``recv()`` / ``async for`` when the call continues on a new session.

    Only with ``connect(..., reconnect=ReconnectPolicy(...))``. Its ``type`` is
    ``"client.reconnected"``: it is made by this SDK (the ``client.`` prefix is never used by
    the service) and comes before any event of the new session. Like every event it is a
    mapping over its JSON fields; ``event_id`` is ``None``.

    * ``cause`` -- ``"closed"`` (the server closed the connection or the network dropped it;
      ``close_code`` / ``close_reason``), ``"session_expired"`` (the service ended the
      session at its ``expires_at``) or ``"rotation"`` (the client moved to a fresh session
      before expiry, at a quiet moment, opening it before closing the old one).
    * ``attempts`` -- handshakes it took (1 when the first worked; 1 for a rotation).
    * ``downtime_ms`` -- from noticing the loss to the new session being ready (carried
      state acknowledged, held events sent); 0 for a rotation.
    * ``session_id`` / ``previous_session_id`` / ``expires_at`` -- the sessions (Unix time).
    * ``session_restored`` -- the merged ``session.update`` configuration was sent again.
    * ``items_replayed`` / ``items_not_replayed`` -- conversation items replayed as text (or
      function calls and outputs) and those that could not be (audio without a transcript...).
    * ``lost`` -- what did not survive, in words: an interrupted response (it is not resumed:
      ask again with ``response.create`` if needed), speech cut off, items not replayed.
    * ``events_sent`` -- client events held during the outage and sent after the carry-over.
    * ``audio_sent_bytes`` / ``audio_dropped_bytes`` -- microphone audio held during the outage
      and sent after it, and the oldest audio dropped over ``max_buffered_audio``.
    * ``errors`` -- ``"code: message"`` of every carried event the new session rejected.
    """

    type: Literal["client.reconnected"] = "client.reconnected"  # pyright: ignore[reportIncompatibleVariableOverride]
    cause: str
    close_code: Optional[int]
    close_reason: Optional[str]
    attempts: int
    downtime_ms: float
    session_id: Optional[str]
    previous_session_id: Optional[str]
    expires_at: Optional[float]
    session_restored: bool
    items_replayed: int
    items_not_replayed: int
    lost: list[str]
    events_sent: int
    audio_sent_bytes: int
    audio_dropped_bytes: int
    errors: list[str]
