"""Compare the telemetry of our ``VoiceLiveInstrumentor`` with the official ``azure-ai-voicelive``.

Two modes:

``capture URL OUT.json``
    Runs one scripted flow against a running fake server at ``URL`` with
    ``VoiceLiveInstrumentor().instrument()`` active, twice: content recording off, then on.
    The flow: connect, session.update, conversation.item.create + response.create (text),
    input_audio_buffer.append + commit (+ a response), a function call and its answer,
    conversation.item.delete of an unknown item (the server answers with an ``error`` event),
    close (leaving ``async with``). Spans go to an in-memory span exporter, metrics to an
    in-memory metric reader; the result is written as normalized JSON: each span's name,
    kind, scope, attributes (volatile values such as ids, ports and latencies replaced by
    placeholders), events, status and children; each metric's name, unit, description,
    kind and data points' attributes. Runs in either venv: ours or the official one.

``diff OFFICIAL.json OURS.json``
    Prints every difference and exits 1 if any is left that is not on ``ALLOWED`` (the
    documented deliberate differences, each with its reason; they are printed, not hidden).

Commands used (the official venv must never get our package; the fake server runs from ours)::

    /work/venv-telemetry/bin/python -m azure.ai.voicelive.testing --port 8790 &
    AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING=true /work/venv-official/bin/python \\
        tools/check_official_telemetry.py capture http://127.0.0.1:8790 /tmp/tel-official.json
    AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING=true /work/venv-telemetry/bin/python \\
        tools/check_official_telemetry.py capture http://127.0.0.1:8790 /tmp/tel-ours.json
    python tools/check_official_telemetry.py diff /tmp/tel-official.json /tmp/tel-ours.json

(The script sets ``AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING=true`` itself when it is unset.)
The official venv needs ``opentelemetry-sdk`` and ``azure-core-tracing-opentelemetry``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import re
import struct
import sys
from collections.abc import Callable
from typing import Any

# ----------------------------------------------------------------------------- normalization

_ID = re.compile(r"\b(sess|asst|thread|conv|event|evt|item|resp|call|approval|mcp)_[0-9A-Za-z]{4,}\b")
_NUMBER_PLACEHOLDERS = {
    "server.port": "<port>",
    "gen_ai.voice.first_token_latency_ms": "<latency_ms>",
}
_BASE64_MIN = 200  # a string this long of base64 characters is an audio payload


def _norm_str(value: str) -> str:
    value = _ID.sub(lambda m: f"<{m.group(1)}_id>", value)
    value = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", value)
    if len(value) >= _BASE64_MIN and re.fullmatch(r"[A-Za-z0-9+/=]+", value):
        return "<base64 audio>"
    return value


def _norm_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "<timestamp>" if k.endswith("_at") and isinstance(v, int) else _norm_json(v)
            for k, v in sorted(value.items())
        }
    if isinstance(value, list):
        return [_norm_json(v) for v in value]
    if isinstance(value, str):
        return _norm_str(value)
    return value


def _norm_attr(key: str, value: Any) -> Any:
    if key in _NUMBER_PLACEHOLDERS:
        if isinstance(value, str) and value.isdigit():  # e.g. server.port on metric points
            return f"{_NUMBER_PLACEHOLDERS[key]} as str"
        return _NUMBER_PLACEHOLDERS[key] if isinstance(value, (int, float)) else f"<not a number: {value!r}>"
    if isinstance(value, tuple):
        return [_norm_attr(key, v) for v in value]
    if isinstance(value, str):
        # Attributes holding JSON (content, tools, finish reasons) compare as parsed JSON.
        if value[:1] in "[{":
            try:
                return {"<json>": _norm_json(json.loads(value))}
            except ValueError:
                pass
        return _norm_str(value)
    return value


def _norm_attrs(attrs: Any) -> dict[str, Any]:
    return {k: _norm_attr(k, v) for k, v in sorted(dict(attrs or {}).items())}


# ----------------------------------------------------------------------------- capture


def _sine_pcm16(seconds: float, rate: int = 24000) -> bytes:
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(n))


async def _until(conn: Any, *types: str) -> list[Any]:
    events = []
    while True:
        event = await asyncio.wait_for(conn.recv(), 10)
        events.append(event)
        if event.type in types:
            return events


async def _flow(endpoint: str) -> None:
    from azure.core.credentials import AzureKeyCredential

    from azure.ai.voicelive import models
    from azure.ai.voicelive.aio import connect

    async with connect(endpoint=endpoint, credential=AzureKeyCredential("k"), model="gpt-4o") as conn:
        await _until(conn, "session.created")
        tool = models.FunctionTool(
            name="get_weather",
            description="Weather for a city",
            parameters={"type": "object", "properties": {"location": {"type": "string"}}},
        )
        await conn.session.update(
            session=models.RequestSession(
                modalities=[models.Modality.TEXT, models.Modality.AUDIO],
                instructions="You are a terse assistant.",
                tools=[tool],
                tool_choice="auto",
                temperature=0.7,
                max_response_output_tokens=200,
                input_audio_format=models.InputAudioFormat.PCM16,
                output_audio_format=models.OutputAudioFormat.PCM16,
                turn_detection=None,
            )
        )
        await _until(conn, "session.updated")
        # 1. text in, response out
        await conn.conversation.item.create(
            item=models.UserMessageItem(content=[models.InputTextContentPart(text="Hello there")])
        )
        await conn.response.create()
        await _until(conn, "response.done")
        # 2. audio in (manual turn), response out
        await conn.input_audio_buffer.append(audio=base64.b64encode(_sine_pcm16(0.2)).decode("ascii"))
        await conn.input_audio_buffer.commit()
        await _until(conn, "input_audio_buffer.committed")
        await conn.response.create()
        await _until(conn, "response.done")
        # 3. a function call and its answer
        await conn.conversation.item.create(
            item=models.UserMessageItem(
                content=[models.InputTextContentPart(text="What is the weather in Seattle?")]
            )
        )
        await conn.response.create()
        events = await _until(conn, "response.done")
        call = next(e for e in events if e.type == "response.function_call_arguments.done")
        await conn.conversation.item.create(
            item=models.FunctionCallOutputItem(call_id=call.call_id, output=json.dumps({"forecast": "sunny"}))
        )
        await conn.response.create()
        await _until(conn, "response.done")
        # 4. an event the server rejects with an `error` event
        await conn.conversation.item.delete(item_id="item_doesnotexist")
        await _until(conn, "error")
    # 5. close: leaving `async with`


def _span_tree(spans: list[Any]) -> list[dict[str, Any]]:
    by_parent: dict[int | None, list[Any]] = {}
    ids = {s.context.span_id for s in spans}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
        by_parent.setdefault(parent, []).append(span)

    def node(span: Any) -> dict[str, Any]:
        status = span.status
        return {
            "name": _norm_str(span.name),
            "kind": span.kind.name,
            "scope": {
                "name": span.instrumentation_scope.name,
                "schema_url": span.instrumentation_scope.schema_url,
            },
            "attributes": _norm_attrs(span.attributes),
            "events": [{"name": e.name, "attributes": _norm_attrs(e.attributes)} for e in span.events],
            "status": {
                "code": status.status_code.name,
                "description": _norm_str(status.description) if status.description else None,
            },
            "children": [node(c) for c in sorted(by_parent.get(span.context.span_id, []), key=_start)],
        }

    return [node(s) for s in sorted(by_parent.get(None, []), key=_start)]


def _start(span: Any) -> int:
    return int(span.start_time or 0)


def _metrics(reader: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    data = reader.get_metrics_data()
    if data is None:
        return out
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = type(metric.data).__name__
                if hasattr(metric.data, "is_monotonic"):
                    kind += " monotonic" if metric.data.is_monotonic else " non-monotonic"
                points = sorted(
                    json.dumps(_norm_attrs(p.attributes), sort_keys=True) for p in metric.data.data_points
                )
                out.append(
                    {
                        "name": metric.name,
                        "unit": metric.unit,
                        "description": metric.description,
                        "kind": kind,
                        "scope": sm.scope.name,
                        "points": [json.loads(p) for p in points],
                    }
                )
    return sorted(out, key=lambda m: m["name"])


def capture(endpoint: str, out: str) -> None:
    os.environ.setdefault("AZURE_EXPERIMENTAL_ENABLE_GENAI_TRACING", "true")
    os.environ.pop("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", None)
    os.environ.pop("AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED", None)
    try:  # the official package traces through azure-core's OpenTelemetry plugin
        from azure.core.settings import settings

        settings.tracing_implementation = "opentelemetry"
    except ImportError:  # pragma: no cover - ours does not need it
        pass
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

    from azure.ai.voicelive.telemetry import VoiceLiveInstrumentor

    instrumentor = VoiceLiveInstrumentor()
    tracer = trace.get_tracer("check_official_telemetry")
    result: dict[str, Any] = {}
    for recording in (False, True):
        instrumentor.instrument(enable_content_recording=recording)
        assert instrumentor.is_instrumented(), "instrument() did nothing: is the tracing gate set?"
        assert instrumentor.is_content_recording_enabled() is recording
        exporter.clear()
        with tracer.start_as_current_span(f"flow content_recording={recording}"):
            asyncio.run(_flow(endpoint))
        result[f"spans content_recording={recording}"] = _span_tree(list(exporter.get_finished_spans()))
    instrumentor.uninstrument()
    assert not instrumentor.is_instrumented()
    result["metrics"] = _metrics(reader)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(f"wrote {out}")


# ----------------------------------------------------------------------------- diff

Path = tuple[Any, ...]
#: Deliberate differences: (reason, predicate(path, official value, our value)).
ALLOWED: list[tuple[str, Callable[[Path, Any, Any], bool]]] = [
    (
        "span scope: ours traces through OpenTelemetry directly as 'azure.ai.voicelive' (the official "
        "package goes through azure-core's plugin, scope 'azure.core.tracing.ext.opentelemetry_span')",
        lambda path, a, b: (
            path[-2:] == ("scope", "name")
            and a == "azure.core.tracing.ext.opentelemetry_span"
            and b == "azure.ai.voicelive"
        ),
    ),
    (
        "gen_ai.voice.message_size: ours is the length of the frame on the wire (known for free); the "
        "official package re-serializes each event with json.dumps (spaces after separators) to measure it",
        lambda path, a, b: path[-1:] == ("gen_ai.voice.message_size",) and type(a) is int and type(b) is int,
    ),
    (
        "audio is never recorded: with content recording on, base64 audio ('audio' of a client or "
        "server event, 'delta' of response.audio.delta) is replaced by its size",
        lambda path, a, b: (
            "gen_ai.event.content" in path
            and path[-1] in ("audio", "delta")
            and a == "<base64 audio>"
            and isinstance(b, str)
            and b.endswith(" bytes of audio omitted>")
        ),
    ),
]


def _walk(path: Path, a: Any, b: Any, out: list[tuple[Path, Any, Any]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            _walk((*path, key), a.get(key, "<missing>"), b.get(key, "<missing>"), out)
    elif isinstance(a, list) and isinstance(b, list):
        if (path and path[-1] == "children") or (path and path[-1] == "events") or path[-1:] == ("points",):
            # Align children/events by name so one extra entry does not shift every later one.
            _walk_list(path, a, b, out)
        else:
            for i in range(max(len(a), len(b))):
                _walk(
                    (*path, i), a[i] if i < len(a) else "<missing>", b[i] if i < len(b) else "<missing>", out
                )
    elif a != b:
        out.append((path, a, b))


def _label(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry.get("name", json.dumps(entry, sort_keys=True)))
    return json.dumps(entry, sort_keys=True)


def _walk_list(path: Path, a: list[Any], b: list[Any], out: list[tuple[Path, Any, Any]]) -> None:
    import difflib

    la, lb = [_label(x) for x in a], [_label(x) for x in b]
    matcher = difflib.SequenceMatcher(a=la, b=lb, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                _walk((*path, f"{i1 + k}:{la[i1 + k]}"), a[i1 + k], b[j1 + k], out)
        else:
            for k in range(i1, i2):
                out.append(((*path, f"{k}:{la[k]}"), _brief(a[k]), "<missing>"))
            for k in range(j1, j2):
                out.append(((*path, f"{k}:{lb[k]}"), "<missing>", _brief(b[k])))


def _brief(entry: Any) -> Any:
    if isinstance(entry, dict) and "children" in entry:
        return {**entry, "children": f"<{len(entry['children'])} children>"}
    return entry


def diff(official: str, ours: str) -> int:
    with open(official, encoding="utf-8") as f:
        a = json.load(f)
    with open(ours, encoding="utf-8") as f:
        b = json.load(f)
    found: list[tuple[Path, Any, Any]] = []
    _walk((), a, b, found)
    failures = 0
    allowed: dict[str, int] = {}
    for path, left, right in found:
        reason = next((r for r, pred in ALLOWED if pred(path, left, right)), None)
        if reason is not None:
            allowed[reason] = allowed.get(reason, 0) + 1
            continue
        failures += 1
        print(" / ".join(map(str, path)))
        print(f"    official: {json.dumps(left, sort_keys=True)[:600]}")
        print(f"    ours:     {json.dumps(right, sort_keys=True)[:600]}")
    for reason, count in allowed.items():
        print(f"allowed ({count}x): {reason}")
    print(f"{failures} difference(s) outside the allow-list; {sum(allowed.values())} allowed")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "capture":
        capture(argv[1].rstrip("/"), argv[2])
        return 0
    if len(argv) == 3 and argv[0] == "diff":
        return diff(argv[1], argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
