"""VoiceLiveInstrumentor: switches OpenTelemetry tracing and metrics of Voice Live connections."""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._instrumentation import add_observer, remove_observer

if TYPE_CHECKING:
    from .._instrumentation import ConnectionHooks, ConnectionInfo

__all__ = ["VoiceLiveInstrumentor"]

_LOGGER = logging.getLogger("azure.ai.voicelive.telemetry")

_GATE_ENV = "AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING"
_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_LEGACY_CONTENT_ENV = "AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED"
_MISSING = "VoiceLiveInstrumentor needs OpenTelemetry: pip install 'voicelive[telemetry]'"


class _State:
    """Process-wide switches (like the official package: one instrumentation for the process)."""

    lock = threading.Lock()
    instrumented = False
    content = False
    factory: Callable[[ConnectionInfo], ConnectionHooks | None] | None = None


def _content_from_environment() -> bool:
    new = os.environ.get(_CONTENT_ENV)
    old = os.environ.get(_LEGACY_CONTENT_ENV)
    if new and old and new != old:
        _LOGGER.error(
            "%s and %s are both set and differ; content recording is disabled. Set %s only.",
            _CONTENT_ENV,
            _LEGACY_CONTENT_ENV,
            _CONTENT_ENV,
        )
        return False
    value = new or old
    return value is not None and value.lower() == "true"


def content_recording() -> bool:
    """Whether message content is recorded now (read by the hooks at every event)."""
    return _State.content


class VoiceLiveInstrumentor:
    """Traces Voice Live connections with OpenTelemetry and records their metrics.

    Tracing is opt-in: [`instrument()`][instrument] does nothing unless the environment variable
    ``AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING`` is ``true``. Once instrumented, every connection opened
    with [`azure.ai.voicelive.aio.connect()`][azure.ai.voicelive.aio.connect] gets a ``connect`` span (the
    whole ``async with`` block) with a child span per ``send``, ``recv`` and ``close`` call, and reports
    the ``gen_ai.client.operation.duration`` and ``gen_ai.client.token.usage`` histograms. Spans and
    metrics go to the global OpenTelemetry providers; no ``azure-core-tracing-opentelemetry`` is needed.
    See ``docs/reference/telemetry.md``.

    Raises ``ModuleNotFoundError`` when OpenTelemetry is not installed
    (``pip install 'voicelive[telemetry]'``).
    """

    def __init__(self) -> None:
        """Create an instrumentor; the state it switches is process-wide."""
        try:
            importlib.import_module("opentelemetry.trace")
            importlib.import_module("opentelemetry.metrics")
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(_MISSING) from exc

    def instrument(self, enable_content_recording: bool | None = None) -> None:
        """Instrument Voice Live connections (no-op unless ``AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING=true``).

        ``enable_content_recording``: record message payloads (``gen_ai.event.content``) and
        the system instructions event. ``None`` reads ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
        (or the legacy ``AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED``; when both are set and
        differ, recording is off and an error is logged); only ``true`` enables it. Calling again
        while instrumented changes only the content-recording choice. Connections already open
        are traced only if they were opened while instrumented.
        """
        if os.environ.get(_GATE_ENV, "").lower() != "true":
            _LOGGER.debug("Voice Live tracing not enabled: set %s=true to enable it.", _GATE_ENV)
            return
        if enable_content_recording is None:
            enable_content_recording = _content_from_environment()
        with _State.lock:
            _State.content = bool(enable_content_recording)
            if not _State.instrumented:
                from ._otel import make_factory

                _State.factory = make_factory(content_recording)
                add_observer(_State.factory)
                _State.instrumented = True

    def uninstrument(self) -> None:
        """Stop instrumenting new connections and turn content recording off.

        Connections opened while instrumented keep reporting until they end.
        """
        with _State.lock:
            if _State.factory is not None:
                remove_observer(_State.factory)
            _State.factory = None
            _State.instrumented = False
            _State.content = False

    def is_instrumented(self) -> bool:
        """Whether instrumentation is active."""
        return _State.instrumented

    def is_content_recording_enabled(self) -> bool:
        """Whether message content is recorded in spans."""
        return _State.content
