"""The async Voice Live client.

```python
from azure.core.credentials import AzureKeyCredential
from azure.ai.voicelive.aio import connect

credential = AzureKeyCredential(key)
async with connect(endpoint=endpoint, credential=credential, model="gpt-4o") as conn:
    await conn.session.update(session={"instructions": "Be brief."})
    async for event in conn:
        ...
```

[`connect()`][connect] opens a [`VoiceLiveConnection`][]; its resource helpers (``conn.session``,
``conn.response``, ``conn.input_audio_buffer``, ``conn.output_audio_buffer``,
``conn.conversation.item``, ``conn.transcription_session``) send one client event each.
Failures are [`ConnectionError`][] (handshake, transport), [`ConnectionClosed`][] (the
connection ended; ``code`` and ``reason``) and [`InvalidFrameError`][] (a frame that is not
a JSON object; the connection stays usable).

Opt-in reconnect: ``connect(..., reconnect=ReconnectPolicy())`` keeps a call going across
dropped connections and session expiry; each move to a new session is reported as a
[`ReconnectedEvent`][] (``type == "client.reconnected"``). [`Disconnect`][] describes why
a connection ended, for ``ReconnectPolicy(should_retry=...)``.
"""

from typing import TYPE_CHECKING, Any

from .._exceptions import ConnectionClosed, ConnectionError, InvalidFrameError
from ._barge_in import BargeInHandler, PlayerLike
from ._connect import WebsocketConnectionOptions, connect
from ._connection import VoiceLiveConnection
from ._resources import (
    ConversationItemResource,
    ConversationResource,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
    TranscriptionSessionResource,
)

__all__ = [
    "connect",
    "WebsocketConnectionOptions",
    "VoiceLiveConnection",
    "SessionResource",
    "ResponseResource",
    "InputAudioBufferResource",
    "OutputAudioBufferResource",
    "ConnectionError",
    "ConnectionClosed",
    "ConversationResource",
    "ConversationItemResource",
    "TranscriptionSessionResource",
    "InvalidFrameError",
    "BargeInHandler",
    "PlayerLike",
    "ReconnectPolicy",
    "ReconnectingConnection",
    "ReconnectedEvent",
    "Disconnect",
]

if TYPE_CHECKING:
    from .._resilience import Disconnect, ReconnectPolicy
    from .._resilience_events import ReconnectedEvent
    from ._reconnect import ReconnectingConnection


def __getattr__(name: str) -> Any:
    """The opt-in reconnect names load on first use, so ``import ....aio`` stays cheap for the
    calls that do not opt in (``ReconnectedEvent`` is a model: models load with the first
    connection)."""
    if name == "ReconnectedEvent":
        from .._resilience_events import ReconnectedEvent

        return ReconnectedEvent
    if name in ("ReconnectPolicy", "Disconnect"):
        from .. import _resilience

        return getattr(_resilience, name)
    if name == "ReconnectingConnection":
        from ._reconnect import ReconnectingConnection

        return ReconnectingConnection
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
