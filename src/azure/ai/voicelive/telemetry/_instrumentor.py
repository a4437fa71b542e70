"""OpenTelemetry tracing and metrics for Voice Live connections (optional extra ``telemetry``)."""

from __future__ import annotations

import json
import os
import threading
from typing import TYPE_CHECKING, Any

from .._instrumentation import add_observer, remove_observer

if TYPE_CHECKING:
    from ..models._base import _Json

__all__ = ["VoiceLiveInstrumentor"]

_GATE_ENV = "AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING"
_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_LEGACY_CONTENT_ENV = "AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED"
_SYSTEM = "az.ai.voicelive"
_TRACER_NAME = "azure.ai.voicelive"
# Keys whose values are audio (or other large binary payloads): never recorded.
_AUDIO_KEYS = frozenset(("audio", "delta", "data"))
_AUDIO_EVENTS = frozenset(("response.audio.delta", "input_audio_buffer.append", "input_audio.turn.append"))
_CONTENT_LIMIT = 4096


def _truthy(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


class _State:
    """The process-wide instrumentation state (one instrumentor at a time, like upstream)."""

    lock = threading.Lock()
    instrumented = False
    content_recording = False
    factory: Any = None


class VoiceLiveInstrumentor:
    """Manages OpenTelemetry instrumentation of Voice Live connections.

    Tracing is opt-in: :meth:`instrument` does nothing unless the environment variable
    ``AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING`` is ``true``. When active, every connection
    gets a ``connect`` span (its whole life; GenAI semantic-convention attributes such as
    ``gen_ai.system``, ``gen_ai.request.model``, ``server.address``, ``gen_ai.voice.session_id``),
    a child span per sent and received event (``send <type>`` / ``recv <type>``) and a
    ``close`` span, and these metrics: ``gen_ai.voice.time_to_first_audio`` (ms from
    ``response.create`` to the first audio delta), ``gen_ai.voice.turns``,
    ``gen_ai.voice.interruptions`` (``response.cancel`` sent) and ``gen_ai.voice.audio_bytes``
    (``direction`` = input/output). Audio and credentials are never recorded; message content
    (text, transcripts, instructions, tool arguments) only with content recording enabled.
    """

    def __init__(self) -> None:
        """Create an instrumentor; the state it switches is process-wide."""

    def instrument(self, enable_content_recording: bool | None = None) -> None:
        """Enable instrumentation (a no-op unless ``AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING=true``).

        ``enable_content_recording`` defaults to ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
        (or the legacy ``AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED``), else ``False``. Each
        call applies the latest content-recording choice. Raises ``ModuleNotFoundError`` when
        OpenTelemetry is not installed (``pip install voicelive[telemetry]``).
        """
        if not _truthy(_GATE_ENV):
            return
        if enable_content_recording is None:
            env = _truthy(_CONTENT_ENV)
            enable_content_recording = env if env is not None else bool(_truthy(_LEGACY_CONTENT_ENV))
        try:
            from ._otel import make_factory
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                "VoiceLiveInstrumentor needs OpenTelemetry: pip install 'voicelive[telemetry]'"
            ) from exc
        with _State.lock:
            _State.content_recording = bool(enable_content_recording)
            if not _State.instrumented:
                _State.factory = make_factory(lambda: _State.content_recording)
                add_observer(_State.factory)
                _State.instrumented = True

    def uninstrument(self) -> None:
        """Stop instrumenting new connections (open ones keep reporting until they close)."""
        with _State.lock:
            if _State.factory is not None:
                remove_observer(_State.factory)
            _State.factory = None
            _State.instrumented = False

    def is_instrumented(self) -> bool:
        """Whether instrumentation is active."""
        return _State.instrumented

    def is_content_recording_enabled(self) -> bool:
        """Whether message content is recorded in spans."""
        return _State.content_recording


def redact_content(payload: Any) -> str:
    """JSON text of an event with audio payloads replaced by their size (for content recording)."""

    def scrub(value: _Json) -> Any:
        if isinstance(value, dict):
            return {
                k: (
                    f"<{len(v)} base64 chars>"
                    if k in _AUDIO_KEYS and isinstance(v, str) and len(v) > 64
                    else scrub(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    text = json.dumps(scrub(payload), ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= _CONTENT_LIMIT else text[:_CONTENT_LIMIT] + "..."
