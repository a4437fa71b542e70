"""A realistic local fake of the Azure Voice Live service, for tests and offline development.

```python
from azure.ai.voicelive.testing import FakeVoiceLiveServer

async with FakeVoiceLiveServer() as server:
    ...  # connect(endpoint=server.endpoint, ...) and talk to it
```

[`FakeVoiceLiveServer`][] serves the realtime websocket on 127.0.0.1; each connection runs a
[`Simulator`][] (the sans-I/O session: turn detection, transcription, conversation items,
streamed responses with synthesised speech, function and MCP calls, session expiry).
[`Pacing`][] says how long the fake model takes (realistic by default, or instant);
[`Faults`][] injects failures.
Replies come from a responder (default [`DefaultResponder`][]); see
[`Responder`][] and [`Transcriber`][] for the interfaces. With pytest, the
``voicelive_server`` fixture gives a started server.

Session cassettes: `record` captures the connections an app opens (against Azure) into a
JSON Lines file; ``FakeVoiceLiveServer(replay="path.jsonl")`` replays it offline, and the
``voicelive_cassette`` fixture does either in pytest (see docs/testing.md, "Record and replay").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cassette import Cassette, CassetteError
    from ._plugin import CassetteSession
    from ._recorder import Recording, record
    from ._replay import CassetteMismatch, Match
    from ._responder import (
        DefaultResponder,
        FunctionCallReply,
        McpCallReply,
        Reply,
        Responder,
        ScriptedResponder,
        TextReply,
        Transcriber,
        default_transcriber,
    )
    from ._responses import Pacing, PendingReply
    from ._server import FakeVoiceLiveServer, Faults
    from ._simulator import DEFAULT_VOICE, Simulator, default_session
    from ._vad import EnergyVad, VadEvent, threshold_to_rms
    from ._voice import Utterance, synthesize

# Names load on first use, so that importing the pytest plugin (a submodule) stays cheap.
_LAZY = {
    "Cassette": "._cassette",
    "CassetteError": "._cassette",
    "CassetteMismatch": "._replay",
    "CassetteSession": "._plugin",
    "Match": "._replay",
    "Recording": "._recorder",
    "record": "._recorder",
    "DefaultResponder": "._responder",
    "FunctionCallReply": "._responder",
    "McpCallReply": "._responder",
    "Pacing": "._responses",
    "Reply": "._responder",
    "Responder": "._responder",
    "ScriptedResponder": "._responder",
    "TextReply": "._responder",
    "Transcriber": "._responder",
    "default_transcriber": "._responder",
    "FakeVoiceLiveServer": "._server",
    "Faults": "._server",
    "DEFAULT_VOICE": "._simulator",
    "PendingReply": "._responses",
    "Simulator": "._simulator",
    "default_session": "._simulator",
    "EnergyVad": "._vad",
    "VadEvent": "._vad",
    "threshold_to_rms": "._vad",
    "Utterance": "._voice",
    "synthesize": "._voice",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "DEFAULT_VOICE",
    "Cassette",
    "CassetteError",
    "CassetteMismatch",
    "CassetteSession",
    "DefaultResponder",
    "EnergyVad",
    "FakeVoiceLiveServer",
    "Faults",
    "FunctionCallReply",
    "Match",
    "McpCallReply",
    "Pacing",
    "PendingReply",
    "Recording",
    "Reply",
    "Responder",
    "ScriptedResponder",
    "Simulator",
    "TextReply",
    "Transcriber",
    "Utterance",
    "VadEvent",
    "default_session",
    "default_transcriber",
    "record",
    "synthesize",
    "threshold_to_rms",
]
