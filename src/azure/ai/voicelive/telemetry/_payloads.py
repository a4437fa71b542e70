"""The payload side of telemetry: what gets recorded from an event's JSON (no OpenTelemetry here).

Pure functions over the decoded event dicts, unit-testable without sockets or OpenTelemetry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

__all__ = ["DONE_EVENTS", "EMPTY", "Fields", "audio_size", "done_content", "fields_of", "recorded"]

Fields = Mapping[str, Any]
EMPTY: Fields = {}

# Server events whose final text, transcript or function call is recorded even with content
# recording off (as the official package does).
DONE_EVENTS = frozenset(
    (
        "response.function_call_arguments.done",
        "response.text.done",
        "response.audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    )
)


def fields_of(value: object) -> Fields | None:
    """``value`` as a JSON object, or None when it is not one."""
    return cast("Fields", value) if isinstance(value, dict) else None


def _items(value: object) -> list[Any]:
    """``value`` as a JSON array, or an empty list when it is not one."""
    is_list = isinstance(value, list)
    return cast("list[Any]", value) if is_list else []


def audio_size(encoded: str) -> int:
    """Bytes of a base64 payload, from its length (no decoding)."""
    size = len(encoded) * 3 // 4
    if encoded.endswith("=="):
        return size - 2
    return size - 1 if encoded.endswith("=") else size


def _omitted(encoded: str) -> str:
    return f"<{audio_size(encoded)} bytes of audio omitted>"


def _scrub(value: Any) -> Any:
    """``value`` with every base64 ``audio`` string replaced by its size (audio is never recorded)."""
    fields = fields_of(value)
    if fields is not None:
        return {
            k: _omitted(v) if k == "audio" and isinstance(v, str) and v else _scrub(v)
            for k, v in fields.items()
        }
    items = _items(value)
    if items:
        return [_scrub(v) for v in items]
    return value


def recorded(fields: Fields, event_type: str) -> str:
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


def _call_payload(fields: Fields) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if fields.get("name"):
        payload["name"] = str(fields["name"])
    if fields.get("arguments"):
        payload["arguments"] = _arguments(fields["arguments"])
    return payload


def _item_messages(item: Any) -> list[dict[str, Any]]:
    """The text, transcript or function call of one conversation item."""
    fields = fields_of(item)
    if fields is None:
        return []
    if fields.get("type") == "function_call":
        payload = _call_payload(fields)
        return [payload] if payload else []
    found: list[dict[str, Any]] = []
    parts: Any = fields.get("content")
    for part in _items(parts):
        entry_fields = fields_of(part)
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


def done_content(fields: Fields, event_type: str) -> str | None:
    """The final text / transcript / function call carried by a ``*.done`` event, as JSON."""
    payload: Any = None
    if event_type == "response.function_call_arguments.done":
        payload = _call_payload(fields)
    elif event_type == "response.text.done":
        payload = {"text": fields["text"]} if fields.get("text") else None
    elif event_type == "response.audio_transcript.done":
        payload = {"transcript": fields["transcript"]} if fields.get("transcript") else None
    elif event_type == "response.content_part.done":
        part = fields_of(fields.get("part"))
        if part is not None:
            payload = {k: part[k] for k in ("text", "transcript") if part.get(k)}
    elif event_type == "response.output_item.done":
        found = _item_messages(fields.get("item"))
        payload = {"messages": found} if found else None
    else:  # response.done
        response = fields_of(fields.get("response"))
        output: Any = response.get("output") if response is not None else None
        found = [m for item in _items(output) for m in _item_messages(item)]
        payload = {"messages": found} if found else None
    return json.dumps(payload, ensure_ascii=False) if payload else None
