"""The resource helpers: one keyword-only coroutine per client event.

Every method builds its client event in wire format and hands it to ``connection.send`` as the
matching typed model (``ClientEventSessionUpdate``, ``ClientEventResponseCreate``...), as the
official package does; ``input_audio_buffer.append``, the hot path, assembles its frame directly.
``event_id`` is sent only when given; other optional parameters that are ``None`` are left out.
Mappings are sent as they are (``None`` values become ``null``; nested models, enums and bytes
are converted). Errors: ``TypeError`` / ``ValueError`` for bad arguments (raised before anything
is sent) and :class:`~azure.ai.voicelive.aio.ConnectionClosed` once the connection has ended.
Resources hold no state; any number of tasks may use them at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Union

if TYPE_CHECKING:
    from ..models import (
        ClientEvent,
        ConversationRequestItem,
        ConversationRequestItemParams,
        RequestSession,
        RequestSessionParam,
        ResponseCreateParams,
        ResponseCreateParamsParam,
    )
    from ._connection import VoiceLiveConnection

__all__ = [
    "ConversationItemResource",
    "ConversationResource",
    "InputAudioBufferResource",
    "OutputAudioBufferResource",
    "ResponseResource",
    "SessionResource",
    "TranscriptionSessionResource",
]


def _first_b64encode(data: Any) -> str:
    """Bind the chosen encoder on first use (importing ``.._speedups`` here would load orjson with aio)."""
    global _b64encode
    from .._speedups import b64encode

    _b64encode = b64encode
    return b64encode(data)


#: bytes-like -> base64 text: pybase64 with the speedups extra, else binascii (the same text).
_b64encode: Callable[[Any], str] = _first_b64encode
_dumps = json.dumps
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}").fullmatch
_APPEND = '{"type":"input_audio_buffer.append","audio":"'
_APPEND_ID = '{"type":"input_audio_buffer.append","event_id":'


def _event(event_type: str, event_id: str | None, **fields: Any) -> ClientEvent | dict[str, Any]:
    """The client event as its typed model (``ClientEventSessionUpdate``...), wrapping the wire dict.

    The official package hands ``connection.send`` typed client events too (and a plain dict for
    ``transcription_session.update``, which has no class), so code that mocks ``send`` sees the
    same types on both. Wrapping costs no copy; the frame is the same.
    """
    from ..models._events_client import ClientEvent

    event: dict[str, Any] = {"type": event_type}
    if event_id is not None:
        event["event_id"] = event_id
    for key, value in fields.items():
        if value is not None:
            event[key] = value
    typed = ClientEvent._from_wire(event)
    return event if type(typed) is ClientEvent else typed


def _mapping(name: str, value: object, what: str) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be {what} or a mapping in wire format, got {type(value).__name__}")


def warn_unknown_keys(kind: str, value: object) -> None:
    """A ``UserWarning`` for a misspelt key of a plain mapping (loaded on first use)."""
    from .._protocol.hints import warn_unknown_keys as warn

    warn(kind, value, stacklevel=4)


def _non_negative_int(name: str, value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


class SessionResource:
    """``connection.session``: configure the session."""

    def __init__(self, connection: VoiceLiveConnection) -> None:
        """Bind to ``connection``."""
        self._connection = connection

    async def update(
        self,
        *,
        session: Union[RequestSessionParam, RequestSession, Mapping[str, Any]],
        event_id: str | None = None,
    ) -> None:
        """Send ``session.update``; the service answers ``session.updated`` (or ``error``).

        ``session`` is a :class:`~azure.ai.voicelive.models.RequestSession` or a mapping in wire
        format, sent as it is: ``{"turn_detection": None}`` sends ``null`` (manual turns). Dict
        keys are described by :class:`~azure.ai.voicelive.models.RequestSessionParam`, so
        editors complete them.
        Raises ``TypeError`` for anything else.
        """
        _mapping("session", session, "a RequestSession")
        warn_unknown_keys("session", session)
        await self._connection.send(_event("session.update", event_id, session=session))


class TranscriptionSessionResource:
    """``connection.transcription_session``: configure a transcription-only session."""

    def __init__(self, connection: VoiceLiveConnection) -> None:
        """Bind to ``connection``."""
        self._connection = connection

    async def update(self, *, session: Mapping[str, Any], event_id: str | None = None) -> None:
        """Send ``transcription_session.update`` with ``session`` (a mapping, sent as it is)."""
        _mapping("session", session, "a transcription session")
        await self._connection.send(_event("transcription_session.update", event_id, session=session))


class ResponseResource:
    """``connection.response``: start and cancel model responses."""

    def __init__(self, connection: VoiceLiveConnection) -> None:
        """Bind to ``connection``."""
        self._connection = connection

    async def create(
        self,
        *,
        response: Union[ResponseCreateParamsParam, ResponseCreateParams, Mapping[str, Any], None] = None,
        event_id: str | None = None,
        additional_instructions: str | None = None,
    ) -> None:
        """Send ``response.create``: ask the model to respond (manual turns, after tool output...).

        ``response`` (optional) overrides session settings for this response;
        ``additional_instructions`` is sent on the event itself and is appended by the service
        to the session instructions for this response only.
        """
        if response is not None:
            _mapping("response", response, "a ResponseCreateParams")
            warn_unknown_keys("response", response)
        await self._connection.send(
            _event(
                "response.create",
                event_id,
                response=response,
                additional_instructions=additional_instructions,
            )
        )

    async def cancel(self, *, response_id: str | None = None, event_id: str | None = None) -> None:
        """Send ``response.cancel``: stop the in-progress response (``response_id`` picks one).

        The service answers ``response.done`` with status ``cancelled`` (or ``error`` when
        nothing is in progress).
        """
        await self._connection.send(_event("response.cancel", event_id, response_id=response_id))


class InputAudioBufferResource:
    """``connection.input_audio_buffer``: stream microphone audio to the service."""

    def __init__(self, connection: VoiceLiveConnection) -> None:
        """Bind to ``connection``."""
        self._connection = connection

    async def append(
        self, *, audio: Union[str, bytes, bytearray, memoryview], event_id: str | None = None
    ) -> None:
        """Send ``input_audio_buffer.append`` with one chunk of audio in the session's input format.

        ``audio`` is raw audio (``bytes``, ``bytearray`` or ``memoryview``, base64-encoded for
        you) or text that is already standard base64. Raises ``TypeError`` for any other type
        and ``ValueError`` for a ``str`` that is not padded standard base64; nothing is sent
        then. This is the send hot path (one chunk every 20 ms or so): the frame is assembled
        without a JSON encoder.
        """
        if type(audio) is str:
            if not _BASE64(audio) or len(audio) % 4:
                raise ValueError(
                    "audio str must be standard, padded base64 (A-Z a-z 0-9 + / =); "
                    "pass raw bytes to have them encoded for you"
                )
            b64 = audio
        elif isinstance(audio, (bytes, bytearray, memoryview)):
            b64 = _b64encode(audio)
        elif isinstance(audio, str):  # a str subclass: validate its plain text
            await self.append(audio=str(audio), event_id=event_id)
            return
        else:
            raise TypeError(
                f"audio must be bytes, bytearray, memoryview or a base64 str, got {type(audio).__name__}"
            )
        if event_id is None:
            text = _APPEND + b64 + '"}'
        else:
            text = _APPEND_ID + _dumps(event_id) + ',"audio":"' + b64 + '"}'
        await self._connection._send_text(text, "input_audio_buffer.append", event_id)

    async def commit(self, *, event_id: str | None = None) -> None:
        """Send ``input_audio_buffer.commit``: end the user turn (manual turn detection).

        The service answers ``input_audio_buffer.committed`` (or ``error`` for an empty or
        too short buffer, under 100 ms).
        """
        await self._connection.send(_event("input_audio_buffer.commit", event_id))

    async def clear(self, *, event_id: str | None = None) -> None:
        """Send ``input_audio_buffer.clear``: drop the audio appended since the last commit."""
        await self._connection.send(_event("input_audio_buffer.clear", event_id))


class OutputAudioBufferResource:
    """``connection.output_audio_buffer``: control the service-side output audio (WebRTC/avatar)."""

    def __init__(self, connection: VoiceLiveConnection) -> None:
        """Bind to ``connection``."""
        self._connection = connection

    async def clear(self, *, event_id: str | None = None) -> None:
        """Send ``output_audio_buffer.clear``; the service answers ``output_audio_buffer.cleared``."""
        await self._connection.send(_event("output_audio_buffer.clear", event_id))


class ConversationItemResource:
    """``connection.conversation.item``: add, read, delete and truncate conversation items."""

    def __init__(self, connection: VoiceLiveConnection) -> None:
        """Bind to ``connection``."""
        self._connection = connection

    async def create(
        self,
        *,
        item: Union[ConversationRequestItemParams, ConversationRequestItem, Mapping[str, Any]],
        previous_item_id: str | None = None,
        event_id: str | None = None,
    ) -> None:
        """Send ``conversation.item.create`` (answered by ``conversation.item.created``).

        ``item`` is a :class:`~azure.ai.voicelive.models.ConversationRequestItem` model or any
        item mapping in wire format, sent whole: a message with content parts
        (``{"type": "message", "role": "user", "content": [{"type": "input_text", "text": ...}]}``),
        a ``function_call_output`` (``call_id``, ``output``), ... ``previous_item_id`` places it
        after that item. Raises ``TypeError`` for a non-mapping.
        """
        _mapping("item", item, "a ConversationRequestItem")
        warn_unknown_keys("item", item)
        await self._connection.send(
            _event("conversation.item.create", event_id, previous_item_id=previous_item_id, item=item)
        )

    async def retrieve(self, *, item_id: str, event_id: str | None = None) -> None:
        """Send ``conversation.item.retrieve``; the service answers ``conversation.item.retrieved``."""
        await self._connection.send(_event("conversation.item.retrieve", event_id, item_id=item_id))

    async def delete(self, *, item_id: str, event_id: str | None = None) -> None:
        """Send ``conversation.item.delete``; the service answers ``conversation.item.deleted``."""
        await self._connection.send(_event("conversation.item.delete", event_id, item_id=item_id))

    async def truncate(
        self, *, item_id: str, audio_end_ms: int, content_index: int, event_id: str | None = None
    ) -> None:
        """Send ``conversation.item.truncate``: cut an assistant audio item at ``audio_end_ms``.

        Use it after an interruption, with the milliseconds actually played. Raises
        ``ValueError`` (nothing sent) for a negative ``audio_end_ms`` or ``content_index`` and
        ``TypeError`` for a non-integer (an integral float such as ``1500.0`` is accepted).
        """
        audio_end_ms = _non_negative_int("audio_end_ms", audio_end_ms)
        content_index = _non_negative_int("content_index", content_index)
        await self._connection.send(
            _event(
                "conversation.item.truncate",
                event_id,
                item_id=item_id,
                content_index=content_index,
                audio_end_ms=audio_end_ms,
            )
        )


class ConversationResource:
    """``connection.conversation``: the conversation; its items are under :attr:`item`."""

    def __init__(self, connection: VoiceLiveConnection) -> None:
        """Bind to ``connection``; ``self.item`` is its :class:`ConversationItemResource`."""
        self._connection = connection
        self.item = ConversationItemResource(connection)
