"""The OpenTelemetry side of the instrumentor: the spans and metrics of one connection.

Imported only by :meth:`VoiceLiveInstrumentor.instrument`, so OpenTelemetry stays optional.
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
from collections.abc import Callable, Mapping
from typing import Any, cast

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from .._instrumentation import ConnectionHooks, ConnectionInfo
from .._version import VERSION

__all__ = ["make_factory"]

_Fields = Mapping[str, Any]
_EMPTY: _Fields = {}

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
# Server events whose final text, transcript or function call is recorded even with content
# recording off (as the official package does).
_DONE_EVENTS = frozenset(
    (
        "response.function_call_arguments.done",
        "response.text.done",
        "response.audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    )
)


# ---------------------------------------------------------------------------- helpers
def _fields(value: object) -> _Fields | None:
    """``value`` as a JSON object, or None when it is not one."""
    return cast("_Fields", value) if isinstance(value, dict) else None


def _items(value: object) -> list[Any]:
    """``value`` as a JSON array, or an empty list when it is not one."""
    is_list = isinstance(value, list)
    return cast("list[Any]", value) if is_list else []


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


def _audio_size(encoded: str) -> int:
    """Bytes of a base64 payload, from its length (no decoding)."""
    size = len(encoded) * 3 // 4
    if encoded.endswith("=="):
        return size - 2
    return size - 1 if encoded.endswith("=") else size


def _omitted(encoded: str) -> str:
    return f"<{_audio_size(encoded)} bytes of audio omitted>"


def _scrub(value: Any) -> Any:
    """``value`` with every base64 ``audio`` string replaced by its size (audio is never recorded)."""
    fields = _fields(value)
    if fields is not None:
        return {
            k: _omitted(v) if k == "audio" and isinstance(v, str) and v else _scrub(v)
            for k, v in fields.items()
        }
    items = _items(value)
    if items:
        return [_scrub(v) for v in items]
    return value


def _content(fields: _Fields, event_type: str) -> str:
    """The recorded payload of an event: its JSON with audio replaced by its size."""
    if event_type == "response.audio.delta":
        delta = fields.get("delta")
        payload: Any = dict(fields, delta=_omitted(delta)) if isinstance(delta, str) and delta else fields
    else:
        payload = _scrub(fields)
    return json.dumps(payload, default=str)


def _arguments(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return str(text)


def _call_payload(fields: _Fields) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if fields.get("name"):
        payload["name"] = str(fields["name"])
    if fields.get("arguments"):
        payload["arguments"] = _arguments(fields["arguments"])
    return payload


def _item_messages(item: Any) -> list[dict[str, Any]]:
    """The text, transcript or function call of one conversation item."""
    fields = _fields(item)
    if fields is None:
        return []
    if fields.get("type") == "function_call":
        payload = _call_payload(fields)
        return [payload] if payload else []
    found: list[dict[str, Any]] = []
    parts: Any = fields.get("content")
    for part in _items(parts):
        entry_fields = _fields(part)
        if entry_fields is not None:
            text, transcript = entry_fields.get("text"), entry_fields.get("transcript")
            entry: dict[str, str] = {}
            if text:
                entry["text"] = str(text)
            if transcript:
                entry["transcript"] = str(transcript)
            if entry:
                found.append(entry)
    return found


def _done_content(fields: _Fields, event_type: str) -> str | None:
    """The final text / transcript / function call carried by a ``*.done`` event, as JSON."""
    payload: Any = None
    if event_type == "response.function_call_arguments.done":
        payload = _call_payload(fields)
    elif event_type == "response.text.done":
        payload = {"text": fields["text"]} if fields.get("text") else None
    elif event_type == "response.audio_transcript.done":
        payload = {"transcript": fields["transcript"]} if fields.get("transcript") else None
    elif event_type == "response.content_part.done":
        part = _fields(fields.get("part"))
        if part is not None:
            payload = {k: part[k] for k in ("text", "transcript") if part.get(k)}
    elif event_type == "response.output_item.done":
        found = _item_messages(fields.get("item"))
        payload = {"messages": found} if found else None
    else:  # response.done
        response = _fields(fields.get("response"))
        output: Any = response.get("output") if response is not None else None
        found = [m for item in _items(output) for m in _item_messages(item)]
        payload = {"messages": found} if found else None
    return json.dumps(payload, ensure_ascii=False) if payload else None


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
        self._content = content
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
        fields = _fields(decoded) or _EMPTY
        event_type: Any = fields.get("type")
        type_text = str(event_type) if event_type else ""
        # The official package matches client event types by substring; so do we.
        if "input_audio_buffer.append" in type_text:
            audio = fields.get("audio")
            if isinstance(audio, str) and audio:
                self.audio_sent += _audio_size(audio)
        if "response.cancel" in type_text:
            self.interruptions += 1
        if "response.create" in type_text:
            self._response_requested = time.monotonic()
            self._first_token_seen = False
        recording = self._content()
        if "session.update" in type_text:
            self._session_sent(fields.get("session"), recording)

        span = self._child("send", f"send {event_type}" if event_type else "send", None)
        if span.is_recording():
            if event_type:
                span.set_attribute(EVENT_TYPE, event_type)
            span.set_attribute(MESSAGE_SIZE, len(frame))
            if fields.get("response_id"):
                span.set_attribute(RESPONSE_ID, fields["response_id"])
            item_fields = _fields(fields.get("item"))
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
                attributes[CONTENT] = _content(fields, type_text)
            span.add_event(_SEND_EVENT, attributes)
            if error is not None:
                _record_error(span, error, message=isinstance(error, Exception))
        span.end()

    def _session_sent(self, session: Any, recording: bool) -> None:
        """Session configuration a ``session.update`` sends, as ``connect`` span attributes."""
        fields = _fields(session)
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

    def _session_audio(self, session: _Fields) -> None:
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
        fields = _fields(data) or _EMPTY
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
            done = _done_content(fields, type_text) if type_text in _DONE_EVENTS else None
            content = _content(fields, type_text) if self._content() and fields else done
            attributes: dict[str, Any] = {SYSTEM: SYSTEM_VALUE}
            if event_type:
                attributes[EVENT_TYPE] = type_text
            if content:
                attributes[CONTENT] = content
            span.add_event(_RECV_EVENT, attributes)
            self._event_ids(span, fields, type_text)
        else:
            response = _fields(fields.get("response"))
            if response is not None and response.get("conversation_id"):
                self.conversation_id = response["conversation_id"]
        if type_text in _SESSION_EVENTS:
            self._session_received(fields.get("session"))
        elif type_text == "response.audio.delta":
            delta = fields.get("delta")
            if isinstance(delta, str) and delta:
                self.audio_received += _audio_size(delta)
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

    def _event_ids(self, span: Span, fields: _Fields, event_type: str) -> None:
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
        nested = _fields(fields.get("response"))
        if nested:
            if not response_id and nested.get("id"):
                span.set_attribute(RESPONSE_ID, nested["id"])
            if nested.get("conversation_id"):
                self.conversation_id = nested["conversation_id"]
                span.set_attribute(CONVERSATION_ID, nested["conversation_id"])
        if event_type not in _ITEM_EVENTS:
            return
        entry = _fields(fields.get("item"))
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
        fields = _fields(session)
        if fields is None:
            return
        if fields.get("id"):
            self.session_id = fields["id"]
            self.span.set_attribute(SESSION_ID, fields["id"])
        self._session_audio(fields)
        agent_fields = _fields(fields.get("agent"))
        if agent_fields is not None:
            if agent_fields.get("agent_id"):
                self.span.set_attribute("gen_ai.agent.id", agent_fields["agent_id"])
            if agent_fields.get("thread_id"):
                self.span.set_attribute("gen_ai.agent.thread_id", agent_fields["thread_id"])

    def _response_done(self, span: Span, response: Any) -> None:
        fields = _fields(response)
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
    def _server_notice(span: Span, fields: _Fields, event_type: str) -> None:
        """A ``gen_ai.voice.error`` / ``gen_ai.voice.rate_limits.updated`` span event."""
        attributes: dict[str, Any] = {SYSTEM: SYSTEM_VALUE, EVENT_TYPE: event_type}
        if event_type == "error":
            detail = _fields(fields.get("error"))
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
        fields = _fields(usage)
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
    instruments = _Instruments()

    def factory(info: ConnectionInfo) -> ConnectionHooks | None:
        tracer = trace.get_tracer(_TRACER, VERSION, schema_url=_SCHEMA_URL)
        return _ConnectionTelemetry(info, tracer, instruments, content)

    return factory
