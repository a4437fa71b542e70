"""What telemetry records from an event's JSON (sans-I/O: no sockets, no OpenTelemetry SDK)."""

from __future__ import annotations

import base64
import json

import pytest

from azure.ai.voicelive.telemetry._payloads import audio_size, done_content, recorded


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 4800])
def test_audio_size_is_the_decoded_length(size: int) -> None:
    assert audio_size(base64.b64encode(b"\x01" * size).decode()) == size


def test_recorded_payload_never_holds_audio() -> None:
    audio = base64.b64encode(b"\x00\x01" * 100).decode()
    item = {
        "type": "conversation.item.create",
        "item": {"type": "message", "content": [{"type": "input_audio", "audio": audio}, {"text": "hi"}]},
    }
    assert json.loads(recorded(item, "conversation.item.create")) == {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "content": [{"type": "input_audio", "audio": "<200 bytes of audio omitted>"}, {"text": "hi"}],
        },
    }
    delta = {"type": "response.audio.delta", "delta": audio, "item_id": "item_1"}
    assert json.loads(recorded(delta, "response.audio.delta")) == {
        "type": "response.audio.delta",
        "delta": "<200 bytes of audio omitted>",
        "item_id": "item_1",
    }
    assert delta["delta"] == audio  # the event itself is untouched


def test_done_content_extracts_final_text_transcripts_and_calls() -> None:
    assert done_content({"text": "Hello"}, "response.text.done") == '{"text": "Hello"}'
    assert done_content({"text": ""}, "response.text.done") is None
    call = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert json.loads(done_content(call, "response.function_call_arguments.done") or "") == {
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }
    broken = {"name": "f", "arguments": "{not json"}
    assert (
        json.loads(done_content(broken, "response.function_call_arguments.done") or "")["arguments"]
        == "{not json"
    )
    response = {
        "response": {
            "output": [
                {"type": "message", "content": [{"type": "audio", "transcript": "Hi there"}]},
                {"type": "function_call", "name": "f", "arguments": "{}"},
            ]
        }
    }
    assert json.loads(done_content(response, "response.done") or "") == {
        "messages": [{"transcript": "Hi there"}, {"name": "f", "arguments": {}}]
    }
    assert done_content({"response": {"output": []}}, "response.done") is None
