"""Barge-in: stop the assistant cleanly when the user starts speaking over it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Optional, Protocol

if TYPE_CHECKING:
    from ..models._base import _Json
    from ._connection import VoiceLiveConnection

__all__ = ["BargeInHandler", "PlayerLike"]

_LOGGER = logging.getLogger("azure.ai.voicelive.aio")


class PlayerLike(Protocol):
    """What [`BargeInHandler`][] needs from an audio player (``AudioPlayer``, ``VirtualPlayer``)."""

    def write(self, pcm16: bytes, *, item_id: Optional[str] = None) -> None:
        """Queue audio for playback, tagged with the conversation item it belongs to."""
        ...

    def clear(self) -> Any:
        """Drop the queued audio (returning how much, in any unit, or ``None``)."""
        ...

    def played_ms_for(self, item_id: str) -> float:
        """Milliseconds of ``item_id``'s audio actually played."""
        ...


class BargeInHandler:
    """Handles interruptions: feed it every server event with [`handle()`][handle].

    It plays each ``response.audio.delta`` into ``player`` (tagged with its item id) and tracks
    the response in progress and how much audio each assistant item has received. On
    ``input_audio_buffer.speech_started`` it:

    1. sends ``response.cancel`` if a response is still in progress (``cancel_response``) and
       the session's turn detection does not interrupt it on the server already
       (``interrupt_response``, on by default for server VAD: a second cancel would only earn
       a "no active response" error),
    2. clears the player's queued audio,
    3. sends ``conversation.item.truncate`` for the assistant's audio item at the milliseconds
       actually played, clamped to the audio received for that item (so the service never
       answers "audio content of X ms is already shorter than Y ms"); it skips truncation when
       nothing was played, or when a finished reply was heard in full, and truncates only the
       assistant's audio item (never a user item: "only model output audio messages can be
       truncated"), each at most once.

    ``output_audio_format`` must match the session's (it converts received bytes to ms).
    Without a player nothing is played or truncated; only the cancel is sent.
    """

    def __init__(
        self,
        connection: VoiceLiveConnection,
        player: Optional[PlayerLike] = None,
        *,
        output_audio_format: str = "pcm16",
        cancel_response: bool = True,
        truncate: bool = True,
    ) -> None:
        self._conn = connection
        self._player = player
        self._format = output_audio_format
        self._cancel = cancel_response
        self._truncate = truncate
        self._response_active = False
        self._item: Optional[str] = None
        self._content_index = 0
        self._received: dict[str, int] = {}
        self._truncated: set[str] = set()
        self._server_interrupts = False
        self._server_truncates = False
        self.interruptions = 0
        self.last_truncate_ms: Optional[int] = None

    @property
    def response_active(self) -> bool:
        """Whether a response is in progress (``response.created`` seen, ``response.done`` not yet)."""
        return self._response_active

    def received_ms(self, item_id: str) -> float:
        """Milliseconds of audio received for an assistant item."""
        from ..audio._formats import duration_ms  # imported here: `import ...aio` stays cheap

        return duration_ms(self._received.get(item_id, 0), self._format)

    async def handle(self, event: Any) -> bool:
        """Process one server event; return ``True`` when it handled an interruption."""
        kind = event.get("type")
        if kind == "response.audio.delta":
            item_id = event.get("item_id")
            pcm: bytes = event.delta
            if isinstance(item_id, str):
                if item_id != self._item:
                    self._item = item_id
                    self._content_index = event.get("content_index") or 0
                self._received[item_id] = self._received.get(item_id, 0) + len(pcm)
            if self._player is not None:
                self._player.write(pcm, item_id=item_id if isinstance(item_id, str) else None)
        elif kind == "response.created":
            self._response_active = True
        elif kind == "response.done" or kind == "client.reconnected":
            # After a reconnect (opt-in) no response is active on the new session.
            self._response_active = False
        elif kind == "input_audio_buffer.speech_started":
            return await self.interrupt()
        elif kind in ("session.created", "session.updated"):
            session: _Json = event.get("session")
            detection: _Json = session.get("turn_detection") if isinstance(session, dict) else None
            if isinstance(detection, dict):
                self._server_interrupts = detection.get("interrupt_response") is not False
                self._server_truncates = detection.get("auto_truncate") is True
            else:
                self._server_interrupts = self._server_truncates = False
        return False

    async def interrupt(self) -> bool:
        """Cancel, clear playback and truncate now (what ``speech_started`` triggers)."""
        acted = False
        was_active = self._response_active
        if self._cancel and self._response_active and not self._server_interrupts:
            await self._conn.response.cancel()
            acted = True
        self._response_active = False
        if self._player is not None:
            dropped = self._player.clear()
            # Only an interruption when something was playing or queued (not at a first turn).
            if was_active or (isinstance(dropped, (int, float)) and dropped > 0):
                acted = True
        item = self._item
        if (
            self._truncate
            and not self._server_truncates
            and self._player is not None
            and item is not None
            and item not in self._truncated
        ):
            played = self._player.played_ms_for(item)
            received = self.received_ms(item)
            end = int(min(played, received))
            # Nothing heard: nothing to keep. All of a finished reply heard: nothing to cut. (While
            # a reply is still streaming the service may have sent more than arrived here.)
            if end > 0 and (was_active or end < int(received)):
                await self._conn.conversation.item.truncate(
                    item_id=item, content_index=self._content_index, audio_end_ms=end
                )
                self._truncated.add(item)
                self.last_truncate_ms = end
                acted = True
            else:
                _LOGGER.debug(
                    "barge-in: no truncation of %s (played %.0f ms of %.0f ms)", item, played, received
                )
        if acted:
            self.interruptions += 1
        return acted
