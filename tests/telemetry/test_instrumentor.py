"""VoiceLiveInstrumentor: spans and metrics of real connections to the fake server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from azure.ai.voicelive.aio import connect
from azure.ai.voicelive.telemetry import VoiceLiveInstrumentor
from azure.ai.voicelive.testing import FakeVoiceLiveServer

KEY = "secret-key-do-not-log-4711"
_EXPORTER = InMemorySpanExporter()
_READER = InMemoryMetricReader()


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


async def _conversation(server: FakeVoiceLiveServer, *, cancel: bool = False) -> None:
    async with connect(endpoint=server.endpoint, credential=AzureKeyCredential(KEY), model="gpt-4o") as conn:
        await conn.session.update(session={"modalities": ["text", "audio"], "turn_detection": None})
        await conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi there"}]}
        )
        await conn.input_audio_buffer.append(audio=b"\x00\x01" * 2400)
        await conn.response.create()
        async for event in conn:
            if cancel and event.type == "response.audio.delta":
                await conn.response.cancel()
                cancel = False
            if event.type == "response.done":
                break


def _metric_points() -> dict[str, list[Any]]:
    data = _READER.get_metrics_data()
    points: dict[str, list[Any]] = {}
    if data is None:
        return points
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    return points


def test_gate_off_makes_instrument_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING", raising=False)
    inst = VoiceLiveInstrumentor()
    inst.instrument()
    assert not inst.is_instrumented()
    monkeypatch.setenv("AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING", "false")
    inst.instrument()
    assert not inst.is_instrumented()


def test_content_recording_flags(
    instrumentor: VoiceLiveInstrumentor, monkeypatch: pytest.MonkeyPatch
) -> None:
    instrumentor.instrument()
    assert instrumentor.is_instrumented()
    assert not instrumentor.is_content_recording_enabled()
    instrumentor.instrument(enable_content_recording=True)
    assert instrumentor.is_content_recording_enabled()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    instrumentor.instrument()
    assert instrumentor.is_content_recording_enabled()
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
    monkeypatch.setenv("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", "true")
    instrumentor.instrument()
    assert instrumentor.is_content_recording_enabled()
    instrumentor.uninstrument()
    assert not instrumentor.is_instrumented()


async def test_spans_for_connect_send_receive_and_close(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument()
    async with FakeVoiceLiveServer() as server:
        await _conversation(server)
    spans = _EXPORTER.get_finished_spans()
    by_name = {s.name: s for s in spans}
    connect_span = by_name["connect gpt-4o"]
    attrs = dict(connect_span.attributes or {})
    assert attrs["gen_ai.system"] == "az.ai.voicelive"
    assert attrs["gen_ai.operation.name"] == "connect"
    assert attrs["gen_ai.request.model"] == "gpt-4o"
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == server.port
    assert str(attrs["gen_ai.voice.session_id"]).startswith("sess_")
    for name in (
        "send session.update",
        "send response.create",
        "recv session.created",
        "recv response.done",
        "recv response.audio.delta",
        "close",
    ):
        assert name in by_name, sorted(by_name)
        child = by_name[name]
        assert child.parent is not None and child.parent.span_id == connect_span.context.span_id
    sent = dict(by_name["send conversation.item.create"].attributes or {})
    assert sent["gen_ai.voice.event_type"] == "conversation.item.create"
    assert "gen_ai.event.content" not in sent  # content recording is off by default
    # No secret and no audio in any attribute of any span.
    for span in spans:
        text = repr(dict(span.attributes or {}))
        assert KEY not in text
        assert "AAEAAQ" not in text  # base64 of the appended audio


async def test_content_recording_records_text_but_never_audio(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument(enable_content_recording=True)
    async with FakeVoiceLiveServer() as server:
        await _conversation(server)
    spans = {s.name: s for s in _EXPORTER.get_finished_spans()}
    content = str((spans["send conversation.item.create"].attributes or {})["gen_ai.event.content"])
    assert "Hi there" in content
    done = str((spans["recv response.done"].attributes or {})["gen_ai.event.content"])
    assert "You said" in done
    for span in spans.values():
        assert "AAEAAQ" not in repr(dict(span.attributes or {}))


async def test_metrics_turns_audio_bytes_first_audio_and_interruptions(
    instrumentor: VoiceLiveInstrumentor,
) -> None:
    instrumentor.instrument()
    before = _metric_points()
    async with FakeVoiceLiveServer() as server:
        await _conversation(server)
        await _conversation(server, cancel=True)
    points = _metric_points()

    def total(name: str, **attrs: str) -> float:
        return sum(
            p.value for p in points.get(name, []) if all(p.attributes.get(k) == v for k, v in attrs.items())
        ) - sum(
            p.value for p in before.get(name, []) if all(p.attributes.get(k) == v for k, v in attrs.items())
        )

    assert total("gen_ai.voice.turns") == 2
    assert total("gen_ai.voice.interruptions") == 1
    assert total("gen_ai.voice.audio_bytes", direction="input") == 2 * 4800
    assert total("gen_ai.voice.audio_bytes", direction="output") > 0
    first_audio = points["gen_ai.voice.time_to_first_audio"]
    assert sum(p.count for p in first_audio) >= 2


async def test_failed_handshake_ends_the_connect_span_with_an_error(
    instrumentor: VoiceLiveInstrumentor,
) -> None:
    from azure.ai.voicelive.aio import ConnectionError

    instrumentor.instrument()
    async with FakeVoiceLiveServer(api_key="right") as server:
        with pytest.raises(ConnectionError):
            async with connect(endpoint=server.endpoint, credential=AzureKeyCredential(KEY), model="gpt-4o"):
                pass
    spans = [s for s in _EXPORTER.get_finished_spans() if s.name.startswith("connect")]
    assert len(spans) == 1
    assert spans[0].status.status_code.name == "ERROR"
    assert (spans[0].attributes or {})["error.type"] == "ConnectionError"
    assert KEY not in repr(spans[0].attributes) and KEY not in str(spans[0].status.description)


async def test_uninstrument_stops_new_spans(instrumentor: VoiceLiveInstrumentor) -> None:
    instrumentor.instrument()
    instrumentor.uninstrument()
    async with FakeVoiceLiveServer() as server:
        await _conversation(server)
    assert _EXPORTER.get_finished_spans() == ()


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
    downtime = _metric_points()["gen_ai.voice.reconnect.downtime"]
    assert sum(p.count for p in downtime) >= 1
    assert all(
        KEY not in str(v) for s in _EXPORTER.get_finished_spans() for v in (s.attributes or {}).values()
    )
