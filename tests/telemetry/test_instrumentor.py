"""VoiceLiveInstrumentor: the spans and metrics of real connections to the fake server.

The names, kinds, attributes and events asserted here are the official 1.3.1 package's (the
full comparison is ``tools/check_official_telemetry.py``); these tests need only OpenTelemetry.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from azure.ai.voicelive.aio import ConnectionClosed, VoiceLiveConnection, connect
from azure.ai.voicelive.telemetry import VoiceLiveInstrumentor
from azure.ai.voicelive.testing import FakeVoiceLiveServer

KEY = "secret-key-do-not-log-4711"
AUDIO = b"\x00\x01" * 2400
AUDIO_B64 = base64.b64encode(AUDIO).decode()
INSTRUCTIONS = "Answer like a pirate."
_EXPORTER = InMemorySpanExporter()
_READER = InMemoryMetricReader()
_CONTENT = "gen_ai.event.content"


@pytest.fixture(scope="module", autouse=True)
def _providers() -> None:
    # OpenTelemetry's global providers can be set once per process.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))


@pytest.fixture
def instrumentor(monkeypatch: pytest.MonkeyPatch) -> Iterator[VoiceLiveInstrumentor]:
    monkeypatch.setenv("AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING", "true")
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    monkeypatch.delenv("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", raising=False)
    inst = VoiceLiveInstrumentor()
    _EXPORTER.clear()
    yield inst
    inst.uninstrument()


async def _until(conn: VoiceLiveConnection, event_type: str) -> None:
    async for event in conn:
        if event.type == event_type:
            return
    raise AssertionError(f"connection ended before {event_type}")


async def _conversation(server: FakeVoiceLiveServer, *, cancel: bool = False) -> None:
    """session.update, a text turn, an audio append, and a rejected delete (an `error` event)."""
    async with connect(endpoint=server.endpoint, credential=AzureKeyCredential(KEY), model="gpt-4o") as conn:
        await _until(conn, "session.created")
        await conn.session.update(
            session={"modalities": ["text", "audio"], "turn_detection": None, "instructions": INSTRUCTIONS}
        )
        await _until(conn, "session.updated")
        await conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi there"}]}
        )
        await conn.input_audio_buffer.append(audio=AUDIO_B64)
        await conn.response.create()
        async for event in conn:
            if cancel and event.type == "response.audio.delta":
                await conn.response.cancel()
                cancel = False
            if event.type == "response.done":
                break
        await conn.conversation.item.delete(item_id="item_missing")
        await _until(conn, "error")


def _spans() -> Sequence[ReadableSpan]:
    return _EXPORTER.get_finished_spans()


def _one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert found, sorted({s.name for s in spans})
    return found[0]


def _attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _event(span: ReadableSpan, name: str) -> dict[str, Any]:
    events = [e for e in span.events if e.name == name]
    assert len(events) == 1, [e.name for e in span.events]
    return dict(events[0].attributes or {})


def _everything(spans: Sequence[ReadableSpan]) -> str:
    """Every attribute, event attribute and status text of every span, as one string."""
    parts = []
    for span in spans:
        parts.append(repr(_attrs(span)))
        parts.extend(repr(dict(e.attributes or {})) for e in span.events)
        parts.append(str(span.status.description))
    return "\n".join(parts)


def _metric_points() -> dict[str, tuple[Any, list[Any]]]:
    data = _READER.get_metrics_data()
    points: dict[str, tuple[Any, list[Any]]] = {}
    if data is None:
        return points
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                entry = points.setdefault(metric.name, (metric, []))
                entry[1].extend(metric.data.data_points)
    return points


def test_gate_off_makes_instrument_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING", raising=False)
    inst = VoiceLiveInstrumentor()
    inst.instrument()
    assert not inst.is_instrumented()
    for value in ("false", "1", "yes"):  # only "true" (any case) opens the gate, as upstream
        monkeypatch.setenv("AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING", value)
        inst.instrument()
        assert not inst.is_instrumented()


def test_content_recording_switches(
    instrumentor: VoiceLiveInstrumentor, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    instrumentor.instrument()
    assert instrumentor.is_instrumented()
    assert not instrumentor.is_content_recording_enabled()
    instrumentor.instrument(enable_content_recording=True)
    assert instrumentor.is_content_recording_enabled()
    instrumentor.instrument(enable_content_recording=False)
    assert not instrumentor.is_content_recording_enabled()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "TRUE")
    instrumentor.instrument()
    assert instrumentor.is_content_recording_enabled()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "1")  # only "true" counts
    instrumentor.instrument()
    assert not instrumentor.is_content_recording_enabled()
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
    monkeypatch.setenv("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "true")
    instrumentor.instrument()
    assert instrumentor.is_content_recording_enabled()
    # Both set and different: recording is off, with an error log saying which to keep.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    with caplog.at_level(logging.ERROR, logger="azure.ai.voicelive.telemetry"):
        instrumentor.instrument()
    assert not instrumentor.is_content_recording_enabled()
    assert "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT" in caplog.text
    instrumentor.instrument(enable_content_recording=True)
    instrumentor.uninstrument()
    assert not instrumentor.is_instrumented()
    assert not instrumentor.is_content_recording_enabled()


async def test_span_names_kinds_and_common_attributes(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument()
    with trace.get_tracer("test").start_as_current_span("app") as app:
        async with FakeVoiceLiveServer() as server:
            await _conversation(server)
    spans = _spans()
    connect_span = _one(spans, "connect")
    assert connect_span.parent is not None and connect_span.parent.span_id == app.get_span_context().span_id
    ours = [s for s in spans if s.name != "app"]
    for span in ours:
        attrs = _attrs(span)
        assert span.kind is SpanKind.CLIENT, span.name
        assert attrs["az.namespace"] == "Microsoft.CognitiveServices", span.name
        assert attrs["gen_ai.provider.name"] == "microsoft.foundry"
        assert attrs["gen_ai.system"] == "az.ai.voicelive"
        assert attrs["gen_ai.request.model"] == "gpt-4o"
        assert attrs["server.address"] == "127.0.0.1"
        assert attrs["server.port"] == server.port
        if span is not connect_span:
            assert span.parent is not None and span.parent.span_id == connect_span.context.span_id
            assert attrs["gen_ai.operation.name"] == span.name.split(" ")[0]
    assert _attrs(connect_span)["gen_ai.operation.name"] == "connect"
    names = [s.name for s in sorted(ours, key=lambda s: s.start_time or 0)]
    assert names[:4] == ["connect", "recv session.created", "send session.update", "recv session.updated"]
    assert names[-3:] == ["send conversation.item.delete", "recv error", "close"]
    for name in (
        "send conversation.item.create",
        "send input_audio_buffer.append",
        "send response.create",
        "recv response.created",
        "recv response.audio.delta",
        "recv response.done",
    ):
        assert name in names, name
    # Transcript deltas get a bare "recv" span: no event type, size or event.
    bare = [s for s in ours if s.name == "recv"]
    assert bare and all("gen_ai.voice.event_type" not in _attrs(s) and not s.events for s in bare)

    sent = _one(spans, "send conversation.item.create")
    assert _attrs(sent)["gen_ai.voice.event_type"] == "conversation.item.create"
    assert _attrs(sent)["gen_ai.voice.message_size"] > 0
    assert str(_attrs(sent)["gen_ai.voice.session_id"]).startswith("sess_")
    assert _event(sent, "gen_ai.input.messages") == {
        "gen_ai.system": "az.ai.voicelive",
        "gen_ai.voice.event_type": "conversation.item.create",
    }
    created = _one(spans, "recv session.created")
    assert "gen_ai.voice.session_id" not in _attrs(created)  # not known yet when recv() began
    done = _one(spans, "recv response.done")
    assert json.loads(_attrs(done)["gen_ai.response.finish_reasons"]) == ["completed"]
    assert str(_attrs(done)["gen_ai.response.id"]).startswith("resp_")
    assert str(_attrs(done)["gen_ai.conversation.id"]).startswith("conv_")

    attrs = _attrs(connect_span)
    assert str(attrs["gen_ai.voice.session_id"]).startswith("sess_")
    assert attrs["gen_ai.system_instructions"] == INSTRUCTIONS
    assert attrs["gen_ai.voice.turn_count"] == 1
    assert attrs["gen_ai.voice.audio_bytes_sent"] == len(AUDIO)
    assert attrs["gen_ai.voice.audio_bytes_received"] > 0
    assert attrs["gen_ai.voice.first_token_latency_ms"] >= 0
    assert attrs["gen_ai.voice.input_audio_format"] == "pcm16"
    assert "gen_ai.voice.interruption_count" not in attrs  # counters appear once above zero
    assert connect_span.status.status_code is StatusCode.UNSET


async def test_server_error_event_is_a_span_event(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument()
    async with FakeVoiceLiveServer() as server:
        await _conversation(server)
    error = _one(_spans(), "recv error")
    notice = _event(error, "gen_ai.voice.error")
    assert notice["gen_ai.voice.event_type"] == "error"
    assert notice["error.code"] == "invalid_value"
    assert "item_missing" in notice["error.message"]
    assert error.status.status_code is StatusCode.UNSET  # a server error event is not a failed recv


async def test_content_recording_off_keeps_payloads_out(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument()
    async with FakeVoiceLiveServer() as server:
        await _conversation(server)
    spans = _spans()
    for span in spans:
        if span.name.startswith("send"):
            assert _CONTENT not in _event(span, "gen_ai.input.messages")
    connect_span = _one(spans, "connect")
    assert not connect_span.events  # no gen_ai.system.instructions event
    assert _CONTENT not in _event(_one(spans, "recv response.created"), "gen_ai.output.messages")
    # Like the official package, the final transcript of *.done events is recorded regardless.
    done = _event(_one(spans, "recv response.done"), "gen_ai.output.messages")
    assert "You said" in json.loads(done[_CONTENT])["messages"][0]["transcript"]
    assert "Hi there" not in _everything([s for s in spans if s.name.startswith("send")])
    text = _everything(spans)
    assert KEY not in text and AUDIO_B64[:40] not in text


async def test_content_recording_on_records_payloads_but_never_audio(
    instrumentor: VoiceLiveInstrumentor,
) -> None:
    instrumentor.instrument(enable_content_recording=True)
    async with FakeVoiceLiveServer() as server:
        await _conversation(server)
    spans = _spans()
    item = _event(_one(spans, "send conversation.item.create"), "gen_ai.input.messages")
    assert json.loads(item[_CONTENT])["item"]["content"][0]["text"] == "Hi there"
    appended = json.loads(
        _event(_one(spans, "send input_audio_buffer.append"), "gen_ai.input.messages")[_CONTENT]
    )
    assert appended == {
        "type": "input_audio_buffer.append",
        "audio": f"<{len(AUDIO)} bytes of audio omitted>",
    }
    delta = json.loads(_event(_one(spans, "recv response.audio.delta"), "gen_ai.output.messages")[_CONTENT])
    assert delta["type"] == "response.audio.delta" and delta["delta"].endswith(" bytes of audio omitted>")
    created = json.loads(_event(_one(spans, "recv response.created"), "gen_ai.output.messages")[_CONTENT])
    assert created["type"] == "response.created"
    instructions = _event(_one(spans, "connect"), "gen_ai.system.instructions")
    assert json.loads(instructions[_CONTENT]) == [{"role": "system", "content": INSTRUCTIONS}]
    assert instructions["gen_ai.provider.name"] == "microsoft.foundry"
    text = _everything(spans)
    assert KEY not in text and AUDIO_B64[:40] not in text


async def test_duration_metric_and_session_counters(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument()
    async with FakeVoiceLiveServer() as server:
        await _conversation(server, cancel=True)
    metric, points = _metric_points()["gen_ai.client.operation.duration"]
    assert metric.unit == "s" and metric.description == "Duration of GenAI VoiceLive operations"
    # One point for this connection (its own server.port); older SDKs (1.20) report only the
    # series updated since the last collection, so other tests' points are not counted.
    mine = [p for p in points if p.attributes.get("server.port") == str(server.port)]
    assert len(mine) == 1
    assert mine[0].count == 1
    assert dict(mine[0].attributes) == {
        "gen_ai.operation.name": "connect",
        "gen_ai.provider.name": "microsoft.foundry",
        "server.address": "127.0.0.1",
        "server.port": str(server.port),
        "gen_ai.request.model": "gpt-4o",
    }
    attrs = _attrs(_one(_spans(), "connect"))
    assert attrs["gen_ai.voice.interruption_count"] == 1
    assert attrs["gen_ai.voice.turn_count"] == 1


async def test_failed_handshake_ends_the_connect_span_with_an_error(
    instrumentor: VoiceLiveInstrumentor,
) -> None:
    from azure.ai.voicelive.aio import ConnectionError

    instrumentor.instrument()
    async with FakeVoiceLiveServer(api_key="right") as server:
        with pytest.raises(ConnectionError) as info:
            async with connect(endpoint=server.endpoint, credential=AzureKeyCredential(KEY), model="gpt-4o"):
                pass
    spans = [s for s in _spans() if s.name == "connect"]
    assert len(spans) == 1
    kind = f"{type(info.value).__module__}.{type(info.value).__qualname__}"
    assert _attrs(spans[0])["error.type"] == kind
    assert _attrs(spans[0])["error.message"] == str(info.value)
    assert spans[0].status.status_code is StatusCode.ERROR
    assert spans[0].status.description == f"{kind}: {info.value}"
    assert KEY not in _everything(spans)


async def test_an_exception_in_the_block_marks_connect_and_the_metric(
    instrumentor: VoiceLiveInstrumentor,
) -> None:
    instrumentor.instrument()
    async with FakeVoiceLiveServer() as server:
        with pytest.raises(LookupError):
            async with connect(
                endpoint=server.endpoint, credential=AzureKeyCredential(KEY), model="m"
            ) as conn:
                await conn.close()
                with pytest.raises(ConnectionClosed):
                    await conn.recv()
                raise LookupError("app failed")
    spans = _spans()
    connect_span = _one(spans, "connect")
    assert _attrs(connect_span)["error.type"] == "LookupError"
    assert _attrs(connect_span)["error.message"] == "app failed"
    assert connect_span.status.description == "LookupError: app failed"
    # Each close() call is a span: the explicit one and the one of `async with`.
    assert [s.name for s in spans].count("close") == 2
    failed = _one(spans, "recv")
    assert _attrs(failed)["error.type"] == "azure.ai.voicelive._exceptions.ConnectionClosed"
    assert failed.status.status_code is StatusCode.ERROR
    _, points = _metric_points()["gen_ai.client.operation.duration"]
    mine = [p for p in points if p.attributes.get("server.port") == str(server.port)]
    assert [p.attributes.get("error.type") for p in mine] == ["LookupError"]


async def test_uninstrument_stops_new_spans(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument()
    instrumentor.uninstrument()
    async with FakeVoiceLiveServer() as server:
        await _conversation(server)
    assert _spans() == ()


async def test_reconnect_span_and_downtime_metric(instrumentor: VoiceLiveInstrumentor) -> None:
    from azure.ai.voicelive.aio import ReconnectedEvent, ReconnectPolicy

    instrumentor.instrument()
    async with FakeVoiceLiveServer() as server:
        async with connect(
            endpoint=server.endpoint,
            credential=AzureKeyCredential(KEY),
            model="gpt-4o",
            reconnect=ReconnectPolicy(base_delay=0),
        ) as conn:
            await conn.session.update(session={"instructions": "x"})
            await server.close_all(1012, "restart")
            async for event in conn:
                if isinstance(event, ReconnectedEvent):
                    break
    spans = [s for s in _EXPORTER.get_finished_spans() if s.name == "reconnect"]
    assert len(spans) == 1
    attributes = dict(spans[0].attributes or {})
    assert attributes["az.ai.voicelive.reconnect.cause"] == "closed"
    assert attributes["az.ai.voicelive.close_code"] == 1012
    assert attributes["az.ai.voicelive.reconnect.attempts"] == 1
    assert spans[0].parent is not None  # a child of the new connection's span
    assert attributes["az.namespace"] == "Microsoft.CognitiveServices"
    metric, downtime = _metric_points()["gen_ai.voice.reconnect.downtime"]
    assert metric.unit == "ms"
    assert sum(p.count for p in downtime) >= 1
    assert all(
        KEY not in str(v) for s in _EXPORTER.get_finished_spans() for v in (s.attributes or {}).values()
    )


async def test_audio_inside_an_item_is_never_recorded(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument(enable_content_recording=True)
    pcm = bytes(range(256)) * 19  # 4864 bytes: distinctive base64
    audio = base64.b64encode(pcm).decode()
    async with FakeVoiceLiveServer(pacing="instant") as server:
        async with connect(
            endpoint=server.endpoint, credential=AzureKeyCredential(KEY), model="gpt-4o"
        ) as conn:
            await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [
                        {"type": "input_audio", "audio": audio},
                        {"type": "input_text", "text": "hi"},
                    ],
                },
                event_id="with-audio",
            )
            async for event in conn:
                if event.type == "conversation.item.created":
                    break
    recorded = json.dumps(
        [[dict(s.attributes or {}), [dict(e.attributes or {}) for e in s.events]] for s in _spans()],
        default=str,
    )
    assert "send conversation.item.create" in [s.name for s in _spans()]
    assert "input_text" in recorded  # content recording is on: the item's content is recorded
    assert audio[:64] not in recorded  # the audio is not, in any span attribute or event
    assert "bytes of audio omitted" in recorded
