"""The OpenTelemetry side of the instrumentor: spans and metrics per connection.

Imported only by :meth:`VoiceLiveInstrumentor.instrument`, so OpenTelemetry stays optional.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from .._instrumentation import ConnectionHooks, ConnectionInfo, ReconnectInfo
from .._version import VERSION
from ._instrumentor import _AUDIO_EVENTS, _SYSTEM, _TRACER_NAME, redact_content

if TYPE_CHECKING:
    from ..models._base import _Json

__all__ = ["make_factory"]

_CONTENT_EVENTS = frozenset(
    (
        "session.update",
        "session.created",
        "session.updated",
        "conversation.item.create",
        "conversation.item.created",
        "response.create",
        "response.done",
        "response.text.done",
        "response.audio_transcript.done",
        "response.function_call_arguments.done",
        "conversation.item.input_audio_transcription.completed",
        "error",
    )
)


class _Meters:
    def __init__(self) -> None:
        meter = metrics.get_meter(_TRACER_NAME, VERSION)
        self.first_audio = meter.create_histogram(
            "gen_ai.voice.time_to_first_audio", unit="ms", description="response.create to first audio delta"
        )
        self.turns = meter.create_counter(
            "gen_ai.voice.turns", description="Responses completed (response.done)"
        )
        self.interruptions = meter.create_counter(
            "gen_ai.voice.interruptions", description="Responses cancelled by the client (response.cancel)"
        )
        self.audio_bytes = meter.create_counter(
            "gen_ai.voice.audio_bytes",
            unit="By",
            description="Audio bytes sent (input) and received (output)",
        )
        self.reconnect_downtime = meter.create_histogram(
            "gen_ai.voice.reconnect.downtime",
            unit="ms",
            description="Opt-in reconnect: time without a session, from loss to the new session ready",
        )


class _Hooks:
    """Spans and metrics of one connection."""

    def __init__(
        self, info: ConnectionInfo, tracer: trace.Tracer, meters: _Meters, content: Callable[[], bool]
    ):
        self._tracer = tracer
        self._meters = meters
        self._content = content
        self._base = {
            "gen_ai.system": _SYSTEM,
            "gen_ai.provider.name": "azure.ai.voicelive",
            "server.address": info.server_address,
        }
        if info.model:
            self._base["gen_ai.request.model"] = info.model
        attributes: dict[str, Any] = dict(self._base, **{"gen_ai.operation.name": "connect"})
        if info.server_port is not None:
            attributes["server.port"] = info.server_port
        if info.agent_name:
            attributes["gen_ai.agent.name"] = info.agent_name
        attributes["az.ai.voicelive.api_version"] = info.api_version
        self._span: Span = tracer.start_span(
            f"connect {info.model or info.agent_name or ''}".strip(),
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        self._context = trace.set_span_in_context(self._span)
        self._response_requested_at: float | None = None
        self._metric_attrs = {k: v for k, v in self._base.items() if k != "gen_ai.provider.name"}
        self._ended = False

    def _event_span(self, operation: str, event_type: str, event_id: Any, payload: Any, size: int) -> None:
        attributes: dict[str, Any] = dict(self._base)
        attributes["gen_ai.operation.name"] = operation
        attributes["gen_ai.voice.event_type"] = event_type
        attributes["gen_ai.voice.message_size"] = size
        if isinstance(event_id, str):
            attributes["gen_ai.voice.event_id"] = event_id
        if self._content() and event_type in _CONTENT_EVENTS and payload is not None:
            attributes["gen_ai.event.content"] = redact_content(payload)
        span = self._tracer.start_span(
            f"{operation} {event_type}", context=self._context, kind=SpanKind.CLIENT, attributes=attributes
        )
        span.end()

    # -- ConnectionHooks --------------------------------------------------------------
    def connected(self) -> None:
        self._span.add_event("connected")

    def connect_failed(self, error: BaseException) -> None:
        self._finish(error)

    def sent(self, frame: str) -> None:
        try:
            payload: _Json = json.loads(frame)
        except ValueError:
            payload = None
        event_type = payload.get("type", "unknown") if isinstance(payload, dict) else "unknown"
        if event_type in _AUDIO_EVENTS and isinstance(payload, dict):
            audio = payload.get("audio")
            if isinstance(audio, str):
                self._meters.audio_bytes.add(len(audio) * 3 // 4, dict(self._metric_attrs, direction="input"))
        elif event_type == "response.create":
            self._response_requested_at = time.monotonic()
        elif event_type == "response.cancel":
            self._meters.interruptions.add(1, self._metric_attrs)
        event_id = payload.get("event_id") if isinstance(payload, dict) else None
        self._event_span("send", event_type, event_id, payload, len(frame))

    def received(self, event: Any, size: int) -> None:
        data: _Json = getattr(event, "_data", event)
        fields: dict[str, Any] = data if isinstance(data, dict) else {}
        event_type = fields.get("type", "unknown")
        if event_type == "response.audio.delta":
            delta = fields.get("delta")
            if isinstance(delta, str):
                self._meters.audio_bytes.add(
                    len(delta) * 3 // 4, dict(self._metric_attrs, direction="output")
                )
            self._first_output()
        elif event_type == "response.text.delta":
            self._first_output()
        elif event_type == "response.done":
            self._meters.turns.add(1, self._metric_attrs)
        elif event_type in ("session.created", "session.updated"):
            session: _Json = fields.get("session")
            if isinstance(session, dict) and isinstance(session.get("id"), str):
                self._span.set_attribute("gen_ai.voice.session_id", session["id"])
        elif event_type == "error":
            error: _Json = fields.get("error")
            if isinstance(error, dict):
                self._span.add_event(
                    "error", {"error.type": str(error.get("code") or error.get("type") or "error")}
                )
        self._event_span("recv", event_type, fields.get("event_id"), data, size)

    def reconnected(self, info: ReconnectInfo) -> None:
        """Opt-in reconnect: one ``reconnect`` span (the outage) and one downtime measurement."""
        attributes: dict[str, Any] = dict(self._base, **{"gen_ai.operation.name": "reconnect"})
        attributes["az.ai.voicelive.reconnect.cause"] = info.cause
        attributes["az.ai.voicelive.reconnect.attempts"] = info.attempts
        attributes["az.ai.voicelive.reconnect.downtime_ms"] = info.downtime_ms
        attributes["az.ai.voicelive.reconnect.items_replayed"] = info.items_replayed
        if info.close_code is not None:
            attributes["az.ai.voicelive.close_code"] = info.close_code
        span = self._tracer.start_span(
            "reconnect",
            context=self._context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=int(info.started * 1e9),
        )
        span.end(end_time=int(info.ended * 1e9))
        self._meters.reconnect_downtime.record(
            info.downtime_ms, dict(self._metric_attrs, **{"az.ai.voicelive.reconnect.cause": info.cause})
        )

    def _first_output(self) -> None:
        if self._response_requested_at is not None:
            elapsed = (time.monotonic() - self._response_requested_at) * 1000.0
            self._meters.first_audio.record(elapsed, self._metric_attrs)
            self._response_requested_at = None

    def closed(self, code: int | None, reason: str, error: BaseException | None) -> None:
        attributes: dict[str, Any] = dict(self._base, **{"gen_ai.operation.name": "close"})
        if code is not None:
            attributes["az.ai.voicelive.close_code"] = code
        span = self._tracer.start_span(
            "close", context=self._context, kind=SpanKind.CLIENT, attributes=attributes
        )
        span.end()
        self._finish(error)

    def _finish(self, error: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        if error is not None:
            self._span.set_attribute("error.type", type(error).__name__)
            self._span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        self._span.end()


def make_factory(content: Callable[[], bool]) -> Callable[[ConnectionInfo], ConnectionHooks | None]:
    """A factory giving each new connection its span-and-metrics hooks."""
    meters: list[_Meters] = []

    def factory(info: ConnectionInfo) -> ConnectionHooks | None:
        if not meters:
            meters.append(_Meters())
        tracer = trace.get_tracer(_TRACER_NAME, VERSION)
        return _Hooks(info, tracer, meters[0], content)

    return factory
