"""The OpenTelemetry side of the instrumentor: the spans and metrics of one connection.

Imported only by [`VoiceLiveInstrumentor.instrument()`][VoiceLiveInstrumentor.instrument], so
OpenTelemetry stays optional.
Names, kinds, attributes and events follow the official ``azure-ai-voicelive`` 1.3.1 (checked
by ``tools/check_official_telemetry.py``); the deliberate differences are listed in
``docs/reference/telemetry.md``.

Cost: a connection's hooks work on the event dict the codec already decoded; payloads are
serialized only while content recording is on, and ``gen_ai.voice.message_size`` is the
frame length the connection already knows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from .._instrumentation import ConnectionHooks, ConnectionInfo, ReconnectInfo
from .._version import VERSION
from ._payloads import DONE_EVENTS, EMPTY, Fields, audio_size, done_content, fields_of, recorded

__all__ = ["make_factory"]


_TRACER = "azure.ai.voicelive"
# The official package's meter name, kept so metric views and filters written for it match.
_METER = "azure.ai.voicelive.telemetry._voicelive_instrumentor"
_SCHEMA_URL = "https://opentelemetry.io/schemas/1.34.0"
_CLIENT = SpanKind.CLIENT

# Attribute names and values (GenAI semantic conventions 1.34 plus Voice Live ones).
NAMESPACE = "az.namespace"
NAMESPACE_VALUE = "Microsoft.CognitiveServices"
PROVIDER = "gen_ai.provider.name"
PROVIDER_VALUE = "microsoft.foundry"
SYSTEM = "gen_ai.system"
SYSTEM_VALUE = "az.ai.voicelive"
OPERATION = "gen_ai.operation.name"
MODEL = "gen_ai.request.model"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
SESSION_ID = "gen_ai.voice.session_id"
CONVERSATION_ID = "gen_ai.conversation.id"
EVENT_TYPE = "gen_ai.voice.event_type"
MESSAGE_SIZE = "gen_ai.voice.message_size"
CONTENT = "gen_ai.event.content"
RESPONSE_ID = "gen_ai.response.id"
CALL_ID = "gen_ai.voice.call_id"
ITEM_ID = "gen_ai.voice.item_id"
PREVIOUS_ITEM_ID = "gen_ai.voice.previous_item_id"
OUTPUT_INDEX = "gen_ai.voice.output_index"
FIRST_TOKEN_MS = "gen_ai.voice.first_token_latency_ms"
ERROR_TYPE = "error.type"
ERROR_MESSAGE = "error.message"
MCP_SERVER_LABEL = "gen_ai.voice.mcp.server_label"
MCP_TOOL_NAME = "gen_ai.voice.mcp.tool_name"
MCP_APPROVAL_REQUEST_ID = "gen_ai.voice.mcp.approval_request_id"
MCP_APPROVE = "gen_ai.voice.mcp.approve"

_SEND_EVENT = "gen_ai.input.messages"
_RECV_EVENT = "gen_ai.output.messages"

# Deltas get a bare "recv" span (no type, size or event), to keep the span volume down.
_QUIET_DELTAS = frozenset(("response.text.delta", "response.audio_transcript.delta"))
_FIRST_OUTPUT = frozenset(("response.audio.delta", "response.text.delta"))
_ITEM_EVENTS = frozenset(
    (
        "conversation.item.created",
        "conversation.item.retrieved",
        "response.output_item.added",
        "response.output_item.done",
    )
)
_SESSION_EVENTS = frozenset(("session.created", "session.updated"))
_MCP_CALL_EVENTS = frozenset(("response.mcp_call.completed", "response.mcp_call.failed"))
_MCP_LIST_EVENTS = frozenset(("mcp_list_tools.completed", "mcp_list_tools.failed"))


# ---------------------------------------------------------------------------- helpers
def _error_type(error: BaseException) -> str:
    cls = type(error)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _record_error(span: Span, error: BaseException, *, message: bool) -> None:
    """``error.type`` (module-qualified), ``error.message`` and an ERROR status."""
    kind = _error_type(error)
    span.set_attribute(ERROR_TYPE, kind)
    if message:
        span.set_attribute(ERROR_MESSAGE, str(error))
    span.set_status(Status(StatusCode.ERROR, f"{kind}: {error}"))


class _Instruments:
    """The two histograms of the official package."""

    def __init__(self) -> None:
        meter = metrics.get_meter(_METER)
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="Duration of GenAI VoiceLive operations"
        )
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="token",
            description="Token usage for GenAI VoiceLive operations",
        )
        self.reconnect_downtime = meter.create_histogram(
            "gen_ai.voice.reconnect.downtime",
            unit="ms",
            description="Opt-in reconnect: time without a session, from loss to the new session ready",
        )


_MADE: list[tuple[object, _Instruments]] = []


def _instruments() -> _Instruments:
    """The instruments of the current meter provider, made once per provider.

    Instrumenting again (after ``uninstrument()``) reuses them: creating an instrument twice
    makes older OpenTelemetry SDKs (before 1.2x) keep two separate series under one name.
    """
    provider = metrics.get_meter_provider()
    for known, made in _MADE:
        if known is provider:
            return made
    made = _Instruments()
    _MADE[:] = [(provider, made)]
    return made


# ---------------------------------------------------------------------------- per connection
class _ConnectionTelemetry:
    """The ``connect`` span of one connection, its child spans and its metrics."""

    def __init__(
        self,
        info: ConnectionInfo,
        tracer: trace.Tracer,
        instruments: _Instruments,
        content: Callable[[], bool],
    ) -> None:
        self._tracer = tracer
        self._instruments = instruments
        self._recording = content
        self._info = info
        base: dict[str, Any] = {NAMESPACE: NAMESPACE_VALUE, PROVIDER: PROVIDER_VALUE, SYSTEM: SYSTEM_VALUE}
        if info.server_address:
            base[SERVER_ADDRESS] = info.server_address
        if info.server_port:
            base[SERVER_PORT] = info.server_port
        if info.model:
            base[MODEL] = info.model
        self._base = base
        self.session_id: str | None = None
        self.conversation_id: str | None = info.conversation_id or None
        self.turns = 0
        self.interruptions = 0
        self.audio_sent = 0
        self.audio_received = 0
        self.mcp_calls = 0
        self.mcp_list_tools = 0
        self._response_requested: float | None = None
        self._first_token_seen = False
        self._connected_at: float | None = None
        self._ended = False

        attributes = dict(base)
        attributes[OPERATION] = "connect"
        for key, value in (
            ("gen_ai.agent.name", info.agent_name),
            (CONVERSATION_ID, info.conversation_id),
            ("gen_ai.agent.version", info.agent_version),
            ("gen_ai.agent.project_name", info.project_name),
        ):
            if info.agent_name and value:
                attributes[key] = value
        self.span = tracer.start_span("connect", kind=_CLIENT, attributes=attributes)
        self._context = trace.set_span_in_context(self.span)

    def _child(self, operation: str, name: str, started: int | None) -> Span:
        attributes = dict(self._base)
        attributes[OPERATION] = operation
        if self.session_id:
            attributes[SESSION_ID] = self.session_id
        if self.conversation_id:
            attributes[CONVERSATION_ID] = self.conversation_id
        return self._tracer.start_span(
            name, context=self._context, kind=_CLIENT, attributes=attributes, start_time=started or None
        )

    # -- connect ------------------------------------------------------------------
    def connected(self) -> None:
        self._connected_at = time.monotonic()

    def connect_failed(self, error: BaseException) -> None:
        if not self._ended:
            self._ended = True
            _record_error(self.span, error, message=isinstance(error, Exception))
            self.span.end()

    # -- send ---------------------------------------------------------------------
    def sent(self, frame: str) -> None:
        self._send(frame, None)

    def send_failed(self, frame: str, error: BaseException) -> None:
        self._send(frame, error)

    def _send(self, frame: str, error: BaseException | None) -> None:
        try:
            decoded: Any = json.loads(frame)
        except ValueError:
            decoded = None
        fields = fields_of(decoded) or EMPTY
        event_type: Any = fields.get("type")
        type_text = str(event_type) if event_type else ""
        # The official package matches client event types by substring; so do we.
        if "input_audio_buffer.append" in type_text:
            audio = fields.get("audio")
            if isinstance(audio, str) and audio:
                self.audio_sent += audio_size(audio)
        if "response.cancel" in type_text:
            self.interruptions += 1
        if "response.create" in type_text:
            self._response_requested = time.monotonic()
            self._first_token_seen = False
        recording = self._recording()
        if "session.update" in type_text:
            self._session_sent(fields.get("session"), recording)

        span = self._child("send", f"send {event_type}" if event_type else "send", None)
        if span.is_recording():
            if event_type:
                span.set_attribute(EVENT_TYPE, event_type)
            span.set_attribute(MESSAGE_SIZE, len(frame))
            if fields.get("response_id"):
                span.set_attribute(RESPONSE_ID, fields["response_id"])
            item_fields = fields_of(fields.get("item"))
            if item_fields is not None:
                if item_fields.get("call_id"):
                    span.set_attribute(CALL_ID, item_fields["call_id"])
                if item_fields.get("approval_request_id"):
                    span.set_attribute(MCP_APPROVAL_REQUEST_ID, item_fields["approval_request_id"])
                if item_fields.get("approve") is not None:
                    span.set_attribute(MCP_APPROVE, item_fields["approve"])
            if fields.get("previous_item_id"):
                span.set_attribute(PREVIOUS_ITEM_ID, fields["previous_item_id"])
            attributes: dict[str, Any] = {SYSTEM: SYSTEM_VALUE}
            if event_type:
                attributes[EVENT_TYPE] = event_type
            if recording and fields:
                attributes[CONTENT] = recorded(fields, type_text)
            span.add_event(_SEND_EVENT, attributes)
            if error is not None:
                _record_error(span, error, message=isinstance(error, Exception))
        span.end()

    # -- opt-in reconnect ---------------------------------------------------------------
    def reconnected(self, info: ReconnectInfo) -> None:
        """One ``reconnect`` span (the outage, or a rotation's preparation) and one downtime point."""
        span = self._child("reconnect", "reconnect", int(info.started * 1e9))
        if span.is_recording():
            span.set_attribute("az.ai.voicelive.reconnect.cause", info.cause)
            span.set_attribute("az.ai.voicelive.reconnect.attempts", info.attempts)
            span.set_attribute("az.ai.voicelive.reconnect.downtime_ms", info.downtime_ms)
            span.set_attribute("az.ai.voicelive.reconnect.items_replayed", info.items_replayed)
            if info.close_code is not None:
                span.set_attribute("az.ai.voicelive.close_code", info.close_code)
        span.end(end_time=int(info.ended * 1e9))
        self._instruments.reconnect_downtime.record(
            info.downtime_ms, {**self._base, "az.ai.voicelive.reconnect.cause": info.cause}
        )

    def _session_sent(self, session: Any, recording: bool) -> None:
        """Session configuration a ``session.update`` sends, as ``connect`` span attributes."""
        fields = fields_of(session)
        if fields is None:
            return
        self._session_audio(fields)
        span = self.span
        instructions = fields.get("instructions")
        if instructions:
            span.set_attribute("gen_ai.system_instructions", instructions)
            if recording:
                text = json.dumps([{"role": "system", "content": instructions}], ensure_ascii=False)
                span.add_event("gen_ai.system.instructions", {PROVIDER: PROVIDER_VALUE, CONTENT: text})
        if fields.get("temperature") is not None:
            span.set_attribute("gen_ai.request.temperature", str(fields["temperature"]))
        if fields.get("max_response_output_tokens") is not None:
            span.set_attribute("gen_ai.request.max_output_tokens", fields["max_response_output_tokens"])
        tools: Any = fields.get("tools")
        if tools:
            text = (
                json.dumps(tools, default=str, ensure_ascii=False) if isinstance(tools, list) else str(tools)
            )
            span.set_attribute("gen_ai.request.tools", text)

    def _session_audio(self, session: Fields) -> None:
        span = self.span
        if session.get("input_audio_format"):
            span.set_attribute("gen_ai.voice.input_audio_format", str(session["input_audio_format"]))
        if session.get("input_audio_sampling_rate") is not None:
            span.set_attribute("gen_ai.voice.input_sample_rate", session["input_audio_sampling_rate"])
        if session.get("output_audio_format"):
            span.set_attribute("gen_ai.voice.output_audio_format", str(session["output_audio_format"]))

    # -- recv ---------------------------------------------------------------------
    def received(self, event: Any, size: int, started: int) -> None:
        data: Any = getattr(event, "_data", event)
        fields = fields_of(data) or EMPTY
        event_type: Any = fields.get("type")
        type_text = str(event_type) if event_type else ""
        quiet = type_text in _QUIET_DELTAS
        span = self._child("recv", "recv" if quiet or not event_type else f"recv {type_text}", started)
        if type_text in _FIRST_OUTPUT and self._response_requested is not None and not self._first_token_seen:
            latency = round((time.monotonic() - self._response_requested) * 1000, 2)
            span.set_attribute(FIRST_TOKEN_MS, latency)
            self.span.set_attribute(FIRST_TOKEN_MS, latency)
            self._first_token_seen = True
        if quiet:
            span.end()
            return
        recording = span.is_recording()
        if recording:
            if event_type:
                span.set_attribute(EVENT_TYPE, type_text)
            span.set_attribute(MESSAGE_SIZE, size)
            done = done_content(fields, type_text) if type_text in DONE_EVENTS else None
            content = recorded(fields, type_text) if self._recording() and fields else done
            attributes: dict[str, Any] = {SYSTEM: SYSTEM_VALUE}
            if event_type:
                attributes[EVENT_TYPE] = type_text
            if content:
                attributes[CONTENT] = content
            span.add_event(_RECV_EVENT, attributes)
            self._event_ids(span, fields, type_text)
        else:
            response = fields_of(fields.get("response"))
            if response is not None and response.get("conversation_id"):
                self.conversation_id = response["conversation_id"]
        if type_text in _SESSION_EVENTS:
            self._session_received(fields.get("session"))
        elif type_text == "response.audio.delta":
            delta = fields.get("delta")
            if isinstance(delta, str) and delta:
                self.audio_received += audio_size(delta)
        elif type_text == "response.done":
            self.turns += 1
            self._response_done(span, fields.get("response"))
        elif type_text == "error" or type_text == "rate_limits.updated":
            if recording:
                self._server_notice(span, fields, type_text)
        elif type_text in _MCP_CALL_EVENTS:
            self.mcp_calls += 1
        elif type_text in _MCP_LIST_EVENTS:
            self.mcp_list_tools += 1
        usage: Any = fields.get("usage")
        if usage:
            self._usage(span, usage)
        span.end()

    def _event_ids(self, span: Span, fields: Fields, event_type: str) -> None:
        """Response, item and call ids of a server event (top level, then nested)."""
        response_id, call_id, item_id = (
            fields.get("response_id"),
            fields.get("call_id"),
            fields.get("item_id"),
        )
        if response_id:
            span.set_attribute(RESPONSE_ID, response_id)
        if call_id:
            span.set_attribute(CALL_ID, call_id)
        if item_id:
            span.set_attribute(ITEM_ID, item_id)
        if fields.get("previous_item_id"):
            span.set_attribute(PREVIOUS_ITEM_ID, fields["previous_item_id"])
        if fields.get("output_index") is not None:
            span.set_attribute(OUTPUT_INDEX, fields["output_index"])
        nested = fields_of(fields.get("response"))
        if nested:
            if not response_id and nested.get("id"):
                span.set_attribute(RESPONSE_ID, nested["id"])
            if nested.get("conversation_id"):
                self.conversation_id = nested["conversation_id"]
                span.set_attribute(CONVERSATION_ID, nested["conversation_id"])
        if event_type not in _ITEM_EVENTS:
            return
        entry = fields_of(fields.get("item"))
        if not entry:
            return
        if not item_id and entry.get("id"):
            span.set_attribute(ITEM_ID, entry["id"])
        if not call_id and entry.get("call_id"):
            span.set_attribute(CALL_ID, entry["call_id"])
        if entry.get("server_label"):
            span.set_attribute(MCP_SERVER_LABEL, entry["server_label"])
        if entry.get("name") and entry.get("type") and str(entry["type"]) != "message":
            span.set_attribute(MCP_TOOL_NAME, entry["name"])
        if entry.get("approval_request_id"):
            span.set_attribute(MCP_APPROVAL_REQUEST_ID, entry["approval_request_id"])
        if entry.get("approve") is not None:
            span.set_attribute(MCP_APPROVE, entry["approve"])

    def _session_received(self, session: Any) -> None:
        fields = fields_of(session)
        if fields is None:
            return
        if fields.get("id"):
            self.session_id = fields["id"]
            self.span.set_attribute(SESSION_ID, fields["id"])
        self._session_audio(fields)
        agent_fields = fields_of(fields.get("agent"))
        if agent_fields is not None:
            if agent_fields.get("agent_id"):
                self.span.set_attribute("gen_ai.agent.id", agent_fields["agent_id"])
            if agent_fields.get("thread_id"):
                self.span.set_attribute("gen_ai.agent.thread_id", agent_fields["thread_id"])

    def _response_done(self, span: Span, response: Any) -> None:
        fields = fields_of(response)
        if fields is None:
            return
        if fields.get("id"):
            span.set_attribute(RESPONSE_ID, fields["id"])
            self.span.set_attribute(RESPONSE_ID, fields["id"])
        if fields.get("conversation_id"):
            self.conversation_id = fields["conversation_id"]
            span.set_attribute(CONVERSATION_ID, fields["conversation_id"])
            self.span.set_attribute(CONVERSATION_ID, fields["conversation_id"])
        if fields.get("status"):
            reasons = json.dumps([str(fields["status"])])
            span.set_attribute("gen_ai.response.finish_reasons", reasons)
            self.span.set_attribute("gen_ai.response.finish_reasons", reasons)

    @staticmethod
    def _server_notice(span: Span, fields: Fields, event_type: str) -> None:
        """A ``gen_ai.voice.error`` / ``gen_ai.voice.rate_limits.updated`` span event."""
        attributes: dict[str, Any] = {SYSTEM: SYSTEM_VALUE, EVENT_TYPE: event_type}
        if event_type == "error":
            detail = fields_of(fields.get("error"))
            if detail is not None:
                if detail.get("code"):
                    attributes["error.code"] = str(detail["code"])
                if detail.get("message"):
                    attributes[ERROR_MESSAGE] = str(detail["message"])
        else:
            limits: Any = fields.get("rate_limits")
            if limits:
                attributes["gen_ai.voice.rate_limits"] = (
                    json.dumps(limits, default=str) if isinstance(limits, list) else str(limits)
                )
        span.add_event(f"gen_ai.voice.{event_type}", attributes)

    def _usage(self, span: Span, usage: Any) -> None:
        fields = fields_of(usage)
        if fields is None:
            return
        attributes: dict[str, Any] = {OPERATION: "recv", PROVIDER: PROVIDER_VALUE}
        if self._info.server_address:
            attributes[SERVER_ADDRESS] = self._info.server_address
        if self._info.model:
            attributes[MODEL] = self._info.model
        for key, kind in (("input_tokens", "input"), ("output_tokens", "output")):
            count = fields.get(key)
            if count is not None:
                span.set_attribute(f"gen_ai.usage.{key}", count)
                self._instruments.tokens.record(count, {**attributes, "gen_ai.token.type": kind})

    def receive_failed(self, error: BaseException, started: int) -> None:
        span = self._child("recv", "recv", started)
        _record_error(span, error, message=isinstance(error, Exception))
        span.end()

    # -- close --------------------------------------------------------------------
    def closed(self, started: int) -> None:
        self._child("close", "close", started).end()

    def exited(self, error: BaseException | None) -> None:
        """Leaving ``async with``: session totals on the ``connect`` span, the duration metric."""
        if self._ended:
            return
        self._ended = True
        span = self.span
        for key, value in (
            ("gen_ai.voice.turn_count", self.turns),
            ("gen_ai.voice.interruption_count", self.interruptions),
            ("gen_ai.voice.audio_bytes_sent", self.audio_sent),
            ("gen_ai.voice.audio_bytes_received", self.audio_received),
            ("gen_ai.voice.mcp.call_count", self.mcp_calls),
            ("gen_ai.voice.mcp.list_tools_count", self.mcp_list_tools),
        ):
            if value > 0:
                span.set_attribute(key, value)
        if self._connected_at is not None:
            attributes: dict[str, Any] = {OPERATION: "connect", PROVIDER: PROVIDER_VALUE}
            info = self._info
            if info.server_address:
                attributes[SERVER_ADDRESS] = info.server_address
            if info.server_port is not None:
                attributes[SERVER_PORT] = str(info.server_port)
            if info.model:
                attributes[MODEL] = info.model
            if error is not None:
                attributes[ERROR_TYPE] = type(error).__name__
            self._instruments.duration.record(time.monotonic() - self._connected_at, attributes)
        if error is not None:
            _record_error(span, error, message=True)
        span.end()


def make_factory(content: Callable[[], bool]) -> Callable[[ConnectionInfo], ConnectionHooks | None]:
    """A factory giving each new connection its telemetry hooks (metrics instruments made once)."""
    instruments = _instruments()

    def factory(info: ConnectionInfo) -> ConnectionHooks | None:
        tracer = trace.get_tracer(_TRACER, VERSION, schema_url=_SCHEMA_URL)
        return _ConnectionTelemetry(info, tracer, instruments, content)

    return factory
