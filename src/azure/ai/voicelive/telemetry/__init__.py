"""OpenTelemetry instrumentation for Voice Live (``pip install 'voicelive[telemetry]'``)."""

from ._instrumentor import VoiceLiveInstrumentor

__all__ = ["VoiceLiveInstrumentor"]
