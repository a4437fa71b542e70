"""Sans-I/O tests of the fake session: exact event sequences, ids and errors, no sockets."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest

from azure.ai.voicelive.audio import (
    pcm16_to_base64,
    rms_pcm16,
    silence_pcm16,
    sine_pcm16,
    ulaw_encode,
)
from azure.ai.voicelive.testing import (
    FunctionCallReply,
    ScriptedResponder,
    Simulator,
    TextReply,
    synthesize,
)


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def one(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [e for e in events if e["type"] == kind]
    assert len(found) == 1, (kind, types(events))
    return found[0]


def user_text(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        **extra,
    }


WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a place",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["location"],
    },
}

# --- session.created ---------------------------------------------------------------------------


def test_session_created_carries_the_full_default_session(make_harness: Any) -> None:
    before = int(time.time())
    h = make_harness(max_session_duration=3600.0)
    (event,) = h.all
    assert event["type"] == "session.created"
    assert re.fullmatch(r"event_[0-9A-Za-z]{21}", event["event_id"])  # base62, like the service's
    session = event["session"]
    assert session == {
        "id": "sess_test",
        "object": "realtime.session",
        "model": "gpt-realtime",
        "modalities": ["text", "audio"],
        "instructions": "",
        "voice": {"name": "en-US-AvaNeural", "type": "azure-standard"},
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "input_audio_sampling_rate": 24000,
        "input_audio_transcription": None,
        "input_audio_noise_reduction": None,
        "input_audio_echo_cancellation": None,
        "turn_detection": {
            "type": "server_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 400,
            "silence_duration_ms": 500,
            "speech_duration_ms": 200,
            "create_response": True,
            "interrupt_response": True,
            "auto_truncate": False,
        },
        "tools": [],
        "tool_choice": "auto",
        "temperature": 0.8,
        "max_response_output_tokens": "inf",
        "output_audio_timestamp_types": None,
        "parallel_tool_calls": None,
        "reasoning_effort": None,
        "interim_response": None,
        "include": None,
        "metadata": None,
        "animation": None,
        "avatar": None,
        "agent": None,
        "expires_at": session["expires_at"],
    }
    assert before + 3600 <= session["expires_at"] <= int(time.time()) + 3600


def test_session_ids_are_random_by_default_and_agent_mode_has_agent() -> None:
    a = Simulator().start()[0]["session"]
    b = Simulator().start()[0]["session"]
    assert a["id"].startswith("sess_") and b["id"].startswith("sess_") and a["id"] != b["id"]
    agent = Simulator(agent={"name": "helper", "project_name": "proj"}).start()[0]["session"]
    assert agent["model"] is None
    assert agent["agent"]["type"] == "agent" and agent["agent"]["name"] == "helper"
    assert agent["agent"]["agent_id"].startswith("asst_") and agent["agent"]["thread_id"].startswith(
        "thread_"
    )


# --- session.update ------------------------------------------------------------------------------


def test_session_update_merges_and_returns_the_full_session(harness: Any) -> None:
    (updated,) = harness.send(
        {
            "type": "session.update",
            "event_id": "c1",
            "session": {
                "instructions": "Be brief.",
                "voice": {"type": "openai", "name": "alloy"},
                "turn_detection": {"type": "azure_semantic_vad", "silence_duration_ms": 800},
                "input_audio_transcription": {"model": "gpt-4o-mini-transcribe"},
                "output_audio_format": "g711_ulaw",
                "tools": [WEATHER_TOOL],
            },
        }
    )
    assert updated["type"] == "session.updated" and updated["event_id"].startswith("event_")
    s = updated["session"]
    assert s["instructions"] == "Be brief."
    assert s["voice"] == {"type": "openai", "name": "alloy"}
    assert s["turn_detection"] == {
        "type": "azure_semantic_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 420,
        "silence_duration_ms": 800,
        "create_response": True,
        "interrupt_response": True,
        "auto_truncate": False,
        "speech_duration_ms": 80,
        "remove_filler_words": False,
    }
    assert s["input_audio_transcription"] == {"model": "gpt-4o-mini-transcribe"}
    assert s["output_audio_format"] == "g711_ulaw"
    assert s["tools"] == [WEATHER_TOOL]
    # untouched fields keep their values
    assert s["modalities"] == ["text", "audio"] and s["temperature"] == 0.8 and s["id"] == "sess_test"
    assert harness.sim.session == s

    (again,) = harness.send({"type": "session.update", "session": {"turn_detection": None, "voice": None}})
    assert again["session"]["turn_detection"] is None  # manual turns
    assert again["session"]["voice"] == {"name": "en-US-AvaNeural", "type": "azure-standard"}  # reset
    assert again["session"]["instructions"] == "Be brief."


@pytest.mark.parametrize(
    ("update", "code", "param"),
    [
        ({"voice": "robot"}, "invalid_value", "session.voice"),
        ({"voice": {"type": "azure-standard", "name": "Ava"}}, "invalid_value", "session.voice"),
        ({"voice": {"type": "openai", "name": "en-US-AvaNeural"}}, "invalid_value", "session.voice"),
        ({"voice": {"type": "martian", "name": "x"}}, "invalid_value", "session.voice.type"),
        (
            {"voice": {"type": "azure-custom", "name": "x"}},
            "missing_required_parameter",
            "session.voice.endpoint_id",
        ),
        ({"voice": 7}, "invalid_type", "session.voice"),
        ({"input_audio_format": "mp3"}, "invalid_value", "session.input_audio_format"),
        ({"output_audio_format": "wav"}, "invalid_value", "session.output_audio_format"),
        ({"input_audio_sampling_rate": 22050}, "invalid_value", "session.input_audio_sampling_rate"),
        (
            {"input_audio_noise_reduction": {"type": "studio"}},
            "invalid_value",
            "session.input_audio_noise_reduction.type",
        ),
        (
            {"input_audio_echo_cancellation": {"type": "client_echo"}},
            "invalid_value",
            "session.input_audio_echo_cancellation.type",
        ),
        (
            {"input_audio_transcription": {"model": "whisper-2"}},
            "invalid_value",
            "session.input_audio_transcription.model",
        ),
        (
            {"turn_detection": {"type": "semantic_vad", "eagerness": "eager"}},
            "invalid_value",
            "session.turn_detection.eagerness",
        ),
        ({"turn_detection": {"type": "bogus_vad"}}, "invalid_value", "session.turn_detection.type"),
        ({"turn_detection": {"threshold": 0.3}}, "missing_required_parameter", "session.turn_detection.type"),
        (
            {"turn_detection": {"type": "server_vad", "threshold": 1.5}},
            "invalid_value",
            "session.turn_detection.threshold",
        ),
        (
            {"turn_detection": {"type": "server_vad", "silence_duration_ms": -5}},
            "invalid_value",
            "session.turn_detection.silence_duration_ms",
        ),
        (
            {"turn_detection": {"type": "server_vad", "prefix_padding_ms": "300"}},
            "invalid_type",
            "session.turn_detection.prefix_padding_ms",
        ),
        ({"turn_detection": "server_vad"}, "invalid_type", "session.turn_detection"),
        ({"modalities": ["video"]}, "invalid_value", "session.modalities"),
        ({"temperature": "hot"}, "invalid_type", "session.temperature"),
        ({"max_response_output_tokens": 0}, "invalid_value", "session.max_response_output_tokens"),
        ({"tool_choice": "sometimes"}, "invalid_value", "session.tool_choice"),
        ({"tools": [{"type": "function"}]}, "missing_required_parameter", "session.tools[0].name"),
        (
            {"input_audio_transcription": {"language": "en"}},
            "missing_required_parameter",
            "session.input_audio_transcription.model",
        ),
        ({"no_such_field": 1}, "unknown_parameter", "session.no_such_field"),
    ],
)
def test_session_update_validation_errors_leave_the_session_unchanged(
    harness: Any, update: dict[str, Any], code: str, param: str
) -> None:
    before = json.loads(json.dumps(harness.sim.session))
    # a valid field in the same update must not be applied either
    (error,) = harness.send(
        {"type": "session.update", "event_id": "evt_9", "session": {"instructions": "x", **update}}
    )
    assert error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["code"] == code
    assert error["error"]["param"] == param
    assert error["error"]["event_id"] == "evt_9"
    assert error["error"]["message"]
    assert harness.sim.session == before


def test_voice_names_accepted_by_default_and_restricted_by_voices(make_harness: Any) -> None:
    h = make_harness()
    for voice in (
        "alloy",
        "en-US-AvaNeural",
        {"type": "azure-standard", "name": "en-US-Ava:DragonHDLatestNeural"},
        {"type": "azure-standard", "name": "zh-CN-XiaoxiaoMultilingualNeural"},
        {"type": "azure-custom", "name": "MyVoice", "endpoint_id": "e1"},
        {"type": "azure-personal", "name": "me", "model": "DragonLatestNeural"},
        {"type": "azure-realtime-native", "name": "ava"},
    ):
        (event,) = h.send({"type": "session.update", "session": {"voice": voice}})
        assert event["type"] == "session.updated", (voice, event)
        assert event["session"]["voice"] == voice
    restricted = make_harness(voices=["only-this-one"])
    assert restricted.send({"type": "session.update", "session": {"voice": "alloy"}})[0]["type"] == "error"
    ok = restricted.send({"type": "session.update", "session": {"voice": "only-this-one"}})
    assert ok[0]["session"]["voice"] == "only-this-one"


# --- manual turns ------------------------------------------------------------------------------


def manual(make_harness: Any, **session: Any) -> Any:
    h = make_harness()
    h.send({"type": "session.update", "session": {"turn_detection": None, **session}})
    return h


def test_manual_commit_creates_the_user_audio_item(make_harness: Any) -> None:
    h = manual(make_harness)
    pcm = sine_pcm16(300, 300)
    assert h.append(pcm) == []
    assert h.sim.input_buffer_ms == pytest.approx(300)
    events = h.send({"type": "input_audio_buffer.commit", "event_id": "c1"})
    assert types(events) == ["input_audio_buffer.committed", "conversation.item.created"]
    committed, created = events
    item_id = committed["item_id"]
    assert re.fullmatch(r"item_[0-9A-Za-z]{21}", item_id)
    assert committed == {
        "type": "input_audio_buffer.committed",
        "event_id": committed["event_id"],
        "previous_item_id": None,
        "item_id": item_id,
    }
    assert created["previous_item_id"] is None
    # The user's audio is not echoed back (as on the service): the part has "audio": null.
    assert created["item"] == {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "audio": None, "transcript": None}],
    }
    assert h.sim.input_buffer_ms == 0
    (retrieved,) = h.send({"type": "conversation.item.retrieve", "item_id": item_id})
    assert base64.b64decode(retrieved["item"]["content"][0]["audio"]) == pcm
    # a second turn links to the first
    h.append(sine_pcm16(300, 200))
    committed2 = h.send({"type": "input_audio_buffer.commit"})[0]
    assert committed2["previous_item_id"] == item_id and committed2["item_id"] not in (item_id, None)


@pytest.mark.parametrize(("ms", "shown"), [(0, "0.00ms"), (50, "50.00ms"), (99, "99.00ms")])
def test_commit_of_an_empty_or_short_buffer_is_an_error(make_harness: Any, ms: int, shown: str) -> None:
    h = manual(make_harness)
    h.append(silence_pcm16(ms))
    (error,) = h.send({"type": "input_audio_buffer.commit", "event_id": "commit_1"})
    assert error["type"] == "error"
    assert error["error"]["code"] == "input_audio_buffer_commit_empty"
    assert error["error"]["event_id"] == "commit_1"
    assert "buffer too small" in error["error"]["message"]
    assert "at least 100ms" in error["error"]["message"] and shown in error["error"]["message"]
    assert h.sim.conversation == []


def test_clear_empties_the_buffer(make_harness: Any) -> None:
    h = manual(make_harness)
    h.append(silence_pcm16(500))
    assert types(h.send({"type": "input_audio_buffer.clear"})) == ["input_audio_buffer.cleared"]
    assert (
        h.send({"type": "input_audio_buffer.commit"})[0]["error"]["code"] == "input_audio_buffer_commit_empty"
    )


@pytest.mark.parametrize(
    ("session", "ok_bytes", "short_bytes"),
    [
        ({"input_audio_sampling_rate": 16000}, 3200, 3000),
        ({"input_audio_sampling_rate": 8000}, 1600, 1500),
        ({"input_audio_format": "g711_ulaw"}, 800, 790),
        ({"input_audio_format": "g711_alaw"}, 800, 790),
    ],
)
def test_buffer_length_follows_the_input_format(
    make_harness: Any, session: dict[str, Any], ok_bytes: int, short_bytes: int
) -> None:
    h = manual(make_harness, **session)
    h.send({"type": "input_audio_buffer.append", "audio": pcm16_to_base64(bytes(short_bytes))})
    assert h.send({"type": "input_audio_buffer.commit"})[0]["type"] == "error"
    h.send({"type": "input_audio_buffer.append", "audio": pcm16_to_base64(bytes(ok_bytes))})
    assert types(h.send({"type": "input_audio_buffer.commit"}))[0] == "input_audio_buffer.committed"


# --- server VAD ----------------------------------------------------------------------------------


def speech(
    rate: int = 24000, amplitude: float = 0.3, lead: int = 1000, tone: int = 1200, tail: int = 1000
) -> bytes:
    return (
        silence_pcm16(lead, sample_rate=rate)
        + sine_pcm16(220, tone, sample_rate=rate, amplitude=amplitude)
        + silence_pcm16(tail, sample_rate=rate)
    )


@pytest.mark.parametrize(
    ("session", "encode", "rate", "chunk"),
    [
        ({}, None, 24000, 4800),
        ({}, None, 24000, 1234),  # chunks that do not align with frames
        ({"input_audio_sampling_rate": 16000}, None, 16000, 3200),
        ({"input_audio_format": "g711_ulaw"}, ulaw_encode, 8000, 800),
    ],
)
def test_server_vad_finds_a_tone_between_silences(
    make_harness: Any, session: dict[str, Any], encode: Any, rate: int, chunk: int
) -> None:
    h = make_harness()
    if session:
        h.send({"type": "session.update", "session": session})
    pcm = speech(rate)
    data = encode(pcm) if encode else pcm
    events = h.append(data, chunk)
    assert types(events) == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.created",
        "response.created",
    ]
    started, stopped, committed, created, response = events
    # truth: tone 1000..2200 ms; start reported minus 400 ms padding (the server_vad default
    # from api-version 2026-04-10), stop plus 500 ms silence
    assert abs(started["audio_start_ms"] - 600) <= 20
    assert abs(stopped["audio_end_ms"] - 2700) <= 20
    item_id = started["item_id"]
    assert stopped["item_id"] == committed["item_id"] == created["item"]["id"] == item_id
    assert committed["previous_item_id"] is None
    assert created["item"]["role"] == "user" and created["item"]["content"][0]["type"] == "input_audio"
    stored = base64.b64decode(h.sim.conversation[0]["content"][0]["audio"])
    width = 1 if encode else 2
    stored_ms = len(stored) / width / rate * 1000
    assert abs(stored_ms - (stopped["audio_end_ms"] - started["audio_start_ms"])) <= 20
    # the automatic response answers the audio
    rest = h.drain()
    done = rest[-1]
    assert done["type"] == "response.done" and done["response"]["status"] == "completed"
    assert done["response"]["id"] == response["response"]["id"]
    transcript = one(rest, "response.audio_transcript.done")["transcript"]
    assert transcript == "I heard 2.1 s of audio."


def test_vad_offsets_follow_padding_and_silence_settings(harness: Any) -> None:
    harness.send(
        {
            "type": "session.update",
            "session": {
                "turn_detection": {"type": "server_vad", "prefix_padding_ms": 0, "silence_duration_ms": 200}
            },
        }
    )
    events = harness.append(speech(lead=600, tone=400, tail=400))
    started = one(events, "input_audio_buffer.speech_started")
    stopped = one(events, "input_audio_buffer.speech_stopped")
    assert abs(started["audio_start_ms"] - 600) <= 20
    assert abs(stopped["audio_end_ms"] - 1200) <= 20


def test_vad_timeline_runs_across_turns_and_padding_clamps_at_zero(harness: Any) -> None:
    first = harness.append(speech(lead=100, tone=500, tail=700))
    assert one(first, "input_audio_buffer.speech_started")["audio_start_ms"] == 0
    harness.drain()
    second = harness.append(speech(lead=1000, tone=500, tail=700))
    # second tone starts at 1300 + 1000 = 2300 ms into the session, reported 400 ms earlier
    assert abs(one(second, "input_audio_buffer.speech_started")["audio_start_ms"] - 1900) <= 20
    committed = one(second, "input_audio_buffer.committed")
    assert committed["previous_item_id"] == harness.sim.conversation[1]["id"]  # the first reply
    assert [i["role"] for i in harness.sim.conversation] == ["user", "assistant", "user"]


@pytest.mark.parametrize(
    ("amplitude", "threshold", "detected"),
    [(0.1, 0.5, True), (0.005, 0.5, False), (0.3, 0.9, False), (0.005, 0.1, True)],
)
def test_vad_threshold_maps_to_audible_levels(
    harness: Any, amplitude: float, threshold: float, detected: bool
) -> None:
    harness.send(
        {
            "type": "session.update",
            "session": {"turn_detection": {"type": "server_vad", "threshold": threshold}},
        }
    )
    events = harness.append(speech(amplitude=amplitude))
    assert ("input_audio_buffer.speech_started" in types(events)) is detected


def test_vad_without_create_response_only_commits(harness: Any) -> None:
    harness.send(
        {
            "type": "session.update",
            "session": {"turn_detection": {"type": "server_vad", "create_response": False}},
        }
    )
    events = harness.append(speech())
    assert types(events)[-1] == "conversation.item.created"
    assert not harness.sim.response_active and harness.drain() == []


def test_speech_during_a_response_interrupts_it(harness: Any) -> None:
    harness.send(user_text("Tell me a long story about the sea and the wind"))
    created = harness.send({"type": "response.create"})
    response_id = created[0]["response"]["id"]
    harness.pop(6)
    events = harness.append(speech(lead=0, tone=600, tail=0))
    assert types(events)[0] == "input_audio_buffer.speech_started"
    done = one(events, "response.done")
    assert done["response"]["id"] == response_id
    assert done["response"]["status"] == "cancelled"
    assert done["response"]["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
    assert not harness.sim.response_active


def test_interrupt_response_false_lets_the_response_finish(harness: Any) -> None:
    harness.send(
        {
            "type": "session.update",
            "session": {"turn_detection": {"type": "server_vad", "interrupt_response": False}},
        }
    )
    harness.send(user_text("Hello"))
    harness.send({"type": "response.create"})
    harness.pop(3)
    events = harness.append(speech(lead=0, tone=600, tail=0))
    assert "response.done" not in types(events)
    assert harness.drain()[-1]["response"]["status"] == "completed"


# --- transcription -------------------------------------------------------------------------------


def test_transcription_events_follow_the_committed_item(make_harness: Any) -> None:
    calls: list[tuple[int, int]] = []

    def transcriber(pcm: bytes, rate: int) -> str:
        calls.append((len(pcm), rate))
        return "hello big world"

    h = make_harness(transcriber=transcriber)
    h.send({"type": "session.update", "session": {"input_audio_transcription": {"model": "whisper-1"}}})
    events = h.append(speech())
    # The transcription comes later than the commit (after response.created, as on the service).
    assert types(events) == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.created",
        "response.created",
    ]
    item_id = events[2]["item_id"]
    later = h.drain()
    assert types(later)[:4] == [
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.completed",
    ]
    deltas = later[:3]
    assert [d["delta"] for d in deltas] == ["hello ", "big ", "world"]
    assert all(d["item_id"] == item_id and d["content_index"] == 0 for d in deltas)
    completed = later[3]
    assert completed["transcript"] == "hello big world" and completed["item_id"] == item_id
    assert calls and calls[0][1] == 24000 and abs(calls[0][0] / 48 - 2100) <= 20
    (retrieved,) = h.send({"type": "conversation.item.retrieve", "item_id": item_id})
    assert retrieved["item"]["content"][0]["transcript"] == "hello big world"
    assert one(later, "response.audio_transcript.done")["transcript"] == 'You said: "hello big world".'


@pytest.mark.parametrize(
    "model", ["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "azure-speech", "mai-transcribe-1"]
)
def test_default_transcriber_describes_the_audio(make_harness: Any, model: str) -> None:
    h = manual(make_harness, input_audio_transcription={"model": model, "language": "en"})
    h.append(silence_pcm16(1250))
    events = h.send({"type": "input_audio_buffer.commit"}) + h.drain()
    assert (
        one(events, "conversation.item.input_audio_transcription.completed")["transcript"]
        == "[1.2 s of audio]"
    )


def test_transcriber_failure_reports_failed(make_harness: Any) -> None:
    def broken(pcm: bytes, rate: int) -> str:
        raise RuntimeError("no speech model")

    h = make_harness(transcriber=broken)
    h.send(
        {
            "type": "session.update",
            "session": {"turn_detection": None, "input_audio_transcription": {"model": "whisper-1"}},
        }
    )
    h.append(silence_pcm16(200))
    committed = h.send({"type": "input_audio_buffer.commit"})
    failed = one(h.drain(), "conversation.item.input_audio_transcription.failed")
    assert failed["item_id"] == committed[0]["item_id"] and failed["content_index"] == 0
    assert "no speech model" in failed["error"]["message"]


# --- responses -----------------------------------------------------------------------------------


def test_text_conversation_gets_a_spoken_response(harness: Any) -> None:
    created = harness.send(user_text("Hi there", event_id="c1"))
    assert types(created) == ["conversation.item.created"]
    user_id = created[0]["item"]["id"]
    assert re.fullmatch(r"item_[0-9A-Za-z]{21}", user_id) and created[0]["previous_item_id"] is None
    immediate = harness.send({"type": "response.create", "event_id": "c2"})
    assert types(immediate) == ["response.created"]
    response = immediate[0]["response"]
    response_id = response["id"]
    assert re.fullmatch(r"resp_[0-9A-Za-z]{21}", response_id)
    assert response["status"] == "in_progress" and response["output"] == []
    assert response["object"] == "realtime.response" and response["modalities"] == ["text", "audio"]
    events = harness.drain()
    text = 'You said: "Hi there".'
    head = ["response.output_item.added", "conversation.item.created", "response.content_part.added"]
    tail = [
        "response.audio.done",
        "response.audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    ]
    assert types(events)[:3] == head and types(events)[-5:] == tail
    middle = events[3:-5]
    assert set(types(middle)) == {"response.audio_transcript.delta", "response.audio.delta"}
    assert middle[0]["type"] == "response.audio_transcript.delta"  # the first word comes with the first audio
    # ids are consistent across the whole sequence
    item_id = events[0]["item"]["id"]
    assert item_id not in (user_id, None)
    for e in events[2:-2]:
        assert (e["response_id"], e["item_id"], e["output_index"], e["content_index"]) == (
            response_id,
            item_id,
            0,
            0,
        )
    assert events[1]["previous_item_id"] == user_id
    assert events[0]["item"]["status"] == "in_progress" and events[0]["item"]["content"] == []
    # transcript and audio
    assert "".join(e["delta"] for e in middle if e["type"] == "response.audio_transcript.delta") == text
    chunks = [base64.b64decode(e["delta"]) for e in middle if e["type"] == "response.audio.delta"]
    assert all(len(c) == 4800 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 4800
    audio = b"".join(chunks)
    assert audio == synthesize(text, "pcm16").audio
    assert rms_pcm16(audio) > 0.05  # speech-like, not silence
    assert one(events, "response.audio_transcript.done")["transcript"] == text
    assert events[-3]["part"] == {"type": "audio", "transcript": text}
    item = events[-2]["item"]
    assert item["status"] == "completed" and item["content"] == [{"type": "audio", "transcript": text}]
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["status_details"] is None
    assert done["output"] == [item]
    usage = done["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert (
        usage["output_token_details"]["audio_tokens"] > 0 and usage["input_token_details"]["text_tokens"] > 0
    )
    assert not harness.sim.response_active
    assert [i["id"] for i in harness.sim.conversation] == [user_id, item_id]


def test_text_only_modality_streams_text(harness: Any) -> None:
    harness.send({"type": "session.update", "session": {"modalities": ["text"]}})
    events = harness.say("What time is it")
    text = 'You said: "What time is it".'
    assert types(events) == [
        "conversation.item.created",
        "response.created",
        "response.output_item.added",
        "conversation.item.created",
        "response.content_part.added",
        *["response.text.delta"] * 6,
        "response.text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    ]
    assert "".join(e["delta"] for e in events if e["type"] == "response.text.delta") == text
    assert one(events, "response.text.done")["text"] == text
    assert events[4]["part"] == {"type": "text", "text": ""}
    assert events[-1]["response"]["output"][0]["content"] == [{"type": "text", "text": text}]


def test_response_parameters_override_the_session(harness: Any) -> None:
    harness.send(user_text("Hello"))
    events = harness.run(
        {
            "type": "response.create",
            "additional_instructions": "Be nice.",
            "response": {
                "modalities": ["text"],
                "instructions": "Answer.",
                "metadata": {"topic": "greeting"},
                "temperature": 0.7,
            },
        }
    )
    created = events[0]["response"]
    assert created["modalities"] == ["text"] and created["metadata"] == {"topic": "greeting"}
    assert created["temperature"] == 0.7
    assert "response.text.done" in types(events) and "response.audio.delta" not in types(events)
    assert harness.sim.session["modalities"] == ["text", "audio"]  # the session is unchanged


@pytest.mark.parametrize(
    ("fmt", "chunk_bytes"),
    [("pcm16_16000hz", 3200), ("pcm16_8000hz", 1600), ("g711_ulaw", 800), ("g711_alaw", 800)],
)
def test_reply_audio_uses_the_output_format(harness: Any, fmt: str, chunk_bytes: int) -> None:
    harness.send({"type": "session.update", "session": {"output_audio_format": fmt}})
    events = harness.say("Testing the output format")
    chunks = [base64.b64decode(e["delta"]) for e in events if e["type"] == "response.audio.delta"]
    assert len(chunks) > 3 and all(len(c) == chunk_bytes for c in chunks[:-1])
    assert events[-1]["response"]["output_audio_format"] == fmt


def test_out_of_band_response_leaves_the_conversation_alone(harness: Any) -> None:
    harness.send(user_text("Hello"))
    events = harness.run(
        {
            "type": "response.create",
            "response": {
                "conversation": "none",
                "modalities": ["text"],
                "input_items": [
                    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Other"}]}
                ],
            },
        }
    )
    assert "conversation.item.created" not in types(events)
    assert events[0]["response"]["conversation_id"] is None
    assert one(events, "response.text.done")["text"] == 'You said: "Other".'
    assert len(harness.sim.conversation) == 1


def test_a_second_response_while_one_is_active_is_an_error(harness: Any) -> None:
    (created,) = harness.send({"type": "response.create"})
    (error,) = harness.send({"type": "response.create", "event_id": "again"})
    assert error["error"]["code"] == "conversation_already_has_active_response"
    assert error["error"]["event_id"] == "again" and created["response"]["id"] in error["error"]["message"]
    assert harness.drain()[-1]["response"]["status"] == "completed"
    assert types(harness.send({"type": "response.create"})) == ["response.created"]


def test_max_output_tokens_cuts_the_reply(harness: Any) -> None:
    harness.send({"type": "session.update", "session": {"modalities": ["text"]}})
    harness.send(user_text("one two three four five six seven eight nine ten"))
    events = harness.run({"type": "response.create", "response": {"max_output_tokens": 3}})
    done = events[-1]["response"]
    assert done["status"] == "incomplete"
    assert done["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}
    text = one(events, "response.text.done")["text"]
    assert 0 < len(text) <= 12 and done["output"][0]["status"] == "incomplete"


def test_word_timestamps_when_requested(harness: Any) -> None:
    harness.send({"type": "session.update", "session": {"output_audio_timestamp_types": ["word"]}})
    events = harness.say("Hi")
    stamps = [e for e in events if e["type"] == "response.audio_timestamp.delta"]
    assert [s["text"] for s in stamps] == ["You", "said:", '"Hi".']
    assert stamps[0]["audio_offset_ms"] == 0 and stamps[0]["timestamp_type"] == "word"
    assert stamps[1]["audio_offset_ms"] >= stamps[0]["audio_duration_ms"]
    assert types(events).index("response.audio_timestamp.done") < types(events).index("response.audio.done")


# --- function calls ------------------------------------------------------------------------------


def test_function_call_flow_and_follow_up_answer(harness: Any) -> None:
    harness.send({"type": "session.update", "session": {"tools": [WEATHER_TOOL]}})
    events = harness.say("What's the weather like in Seattle today?")
    assert types(events) == [
        "conversation.item.created",
        "response.created",
        "response.output_item.added",
        "conversation.item.created",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.done",
    ]
    added = events[2]["item"]
    item_id, call_id = added["id"], added["call_id"]
    assert re.fullmatch(r"call_[0-9A-Za-z]{21}", call_id)
    assert added == {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call",
        "status": "in_progress",
        "name": "get_weather",
        "call_id": call_id,
        "arguments": "",
    }
    deltas = [e for e in events if e["type"] == "response.function_call_arguments.delta"]
    arguments = '{"location":"Seattle"}'  # compact JSON, as the service sends it
    assert "".join(d["delta"] for d in deltas) == arguments
    assert all(d["call_id"] == call_id and d["item_id"] == item_id for d in deltas)
    args_done = events[6]
    assert (args_done["name"], args_done["call_id"], args_done["arguments"]) == (
        "get_weather",
        call_id,
        arguments,
    )
    assert json.loads(args_done["arguments"]) == {"location": "Seattle"}
    final = events[7]["item"]
    assert final["status"] == "completed" and final["arguments"] == arguments
    assert events[8]["response"]["output"] == [final]

    output = {
        "type": "function_call_output",
        "call_id": call_id,
        "output": json.dumps({"sky": "sunny", "temp": "72F"}),
    }
    created = harness.send({"type": "conversation.item.create", "item": output})
    assert created[0]["previous_item_id"] == item_id
    assert created[0]["item"] == {"id": created[0]["item"]["id"], "object": "realtime.item", **output}
    answer = harness.run({"type": "response.create"})
    assert one(answer, "response.audio_transcript.done")["transcript"] == "The result is: sunny, 72F."


def test_tools_given_to_the_response_and_tool_choice(harness: Any) -> None:
    harness.send(user_text("weather in New York please"))
    events = harness.run({"type": "response.create", "response": {"tools": [WEATHER_TOOL]}})
    assert json.loads(one(events, "response.function_call_arguments.done")["arguments"]) == {
        "location": "New York"
    }
    harness.send(user_text("weather in Paris"))
    events = harness.run(
        {"type": "response.create", "response": {"tools": [WEATHER_TOOL], "tool_choice": "none"}}
    )
    assert "response.function_call_arguments.done" not in types(events)


def test_scripted_replies_can_hold_several_items(make_harness: Any) -> None:
    script = ScriptedResponder(
        [TextReply("One."), FunctionCallReply("lookup", {"q": "x"}, call_id="call_custom")],
        "Two.",
    )
    h = make_harness(responder=script)
    h.send({"type": "session.update", "session": {"modalities": ["text"]}})
    events = h.run({"type": "response.create"})
    done = events[-1]["response"]
    assert [(o["type"], o.get("call_id")) for o in done["output"]] == [
        ("message", None),
        ("function_call", "call_custom"),
    ]
    assert [e["output_index"] for e in events if e["type"] == "response.output_item.added"] == [0, 1]
    assert one(events, "response.function_call_arguments.done")["arguments"] == '{"q":"x"}'
    assert one(h.run({"type": "response.create"}), "response.text.done")["text"] == "Two."
    assert len(script.calls) == 2 and script.calls[0][1]["modalities"] == ["text"]


@pytest.mark.parametrize("result", [RuntimeError("boom"), 42])
def test_responder_failure_ends_the_response_as_failed(make_harness: Any, result: Any) -> None:
    def responder(conversation: list[dict[str, Any]], session: dict[str, Any]) -> Any:
        if isinstance(result, Exception):
            raise result
        return result

    h = make_harness(responder=responder)
    events = h.run({"type": "response.create"})
    assert types(events) == ["response.created", "response.done"]
    assert events[1]["response"]["status"] == "failed"
    assert events[1]["response"]["status_details"]["type"] == "failed"
    assert not h.sim.response_active
    # Recorded for the test harness too, which fails on it unless the test expects it (as here).
    [raised] = h.sim.errors
    assert raised is result if isinstance(result, Exception) else isinstance(raised, TypeError)
    h.sim.errors.clear()


async def test_async_responder_leaves_a_pending_reply(make_harness: Any) -> None:
    async def responder(conversation: list[dict[str, Any]], session: dict[str, Any]) -> str:
        return "From a coroutine."

    h = make_harness(responder=responder)
    h.send({"type": "session.update", "session": {"modalities": ["text"]}})
    assert types(h.send({"type": "response.create"})) == ["response.created"]
    assert h.sim.stream_delay() is None and h.sim.response_active
    pending = h.sim.take_pending_reply()
    assert pending is not None and h.sim.take_pending_reply() is None
    h.sim.resolve_reply(pending, await pending.awaitable)
    assert one(h.drain(), "response.text.done")["text"] == "From a coroutine."


def test_pending_coroutine_is_closed_when_cancelled(make_harness: Any) -> None:
    async def responder(conversation: list[dict[str, Any]], session: dict[str, Any]) -> str:
        return "never"

    h = make_harness(responder=responder)
    h.send({"type": "response.create"})
    events = h.send({"type": "response.cancel"})
    assert types(events) == ["response.done"] and events[0]["response"]["status"] == "cancelled"
    assert h.sim.take_pending_reply() is None  # and no "never awaited" warning (warnings are errors)


# --- cancel --------------------------------------------------------------------------------------


def test_cancel_mid_stream_closes_the_item_and_ends_cancelled(harness: Any) -> None:
    harness.send(user_text("Please say something quite long so there is time to cancel"))
    harness.send({"type": "response.create"})
    sent = harness.pop(7)
    partial = "".join(e["delta"] for e in sent if e["type"] == "response.audio_transcript.delta")
    audio_ms = (
        sum(len(base64.b64decode(e["delta"])) for e in sent if e["type"] == "response.audio.delta") / 48
    )
    events = harness.send({"type": "response.cancel", "event_id": "stop"})
    assert types(events) == [
        "response.audio.done",
        "response.audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    ]
    assert events[1]["transcript"] == partial
    item = events[3]["item"]
    assert item["status"] == "incomplete" and item["content"] == [{"type": "audio", "transcript": partial}]
    done = events[4]["response"]
    assert done["status"] == "cancelled"
    assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
    assert done["output"] == [item]
    assert harness.sim.pop_stream() is None and harness.sim.stream_delay() is None
    assert not harness.sim.response_active
    # the cancelled item keeps only the audio that was sent: truncating past it fails
    (error,) = harness.send(
        {
            "type": "conversation.item.truncate",
            "item_id": item["id"],
            "content_index": 0,
            "audio_end_ms": int(audio_ms) + 1,
        }
    )
    assert error["error"]["code"] == "invalid_value"


def test_cancel_before_any_output(harness: Any) -> None:
    harness.send({"type": "response.create"})
    events = harness.send({"type": "response.cancel"})
    assert types(events) == ["response.done"]
    assert events[0]["response"]["output"] == [] and events[0]["response"]["status"] == "cancelled"


def test_cancel_with_nothing_active_is_an_error(harness: Any) -> None:
    (error,) = harness.send({"type": "response.cancel", "event_id": "c9"})
    assert error["error"]["code"] == "response_cancel_not_active" and error["error"]["event_id"] == "c9"
    harness.send({"type": "response.create"})
    (wrong,) = harness.send({"type": "response.cancel", "response_id": "resp_99"})
    assert wrong["error"]["code"] == "response_cancel_not_active"
    assert harness.sim.response_active


def test_output_audio_buffer_clear_is_for_avatar_mode(harness: Any) -> None:
    (error,) = harness.send({"type": "output_audio_buffer.clear", "event_id": "o1"})
    assert error["error"]["code"] == "avatar_not_configured" and error["error"]["event_id"] == "o1"
    avatar = {"character": "lisa", "customized": False}
    harness.send({"type": "session.update", "session": {"avatar": avatar}})
    assert types(harness.send({"type": "output_audio_buffer.clear"})) == ["output_audio_buffer.cleared"]


# --- truncate ------------------------------------------------------------------------------------


def test_truncate_cuts_audio_and_transcript(harness: Any) -> None:
    harness.say("Hello")
    asst = harness.sim.conversation[1]["id"]
    full = harness.sim.conversation[1]["content"][0]["transcript"]
    assert full == 'You said: "Hello".'
    (truncated,) = harness.send(
        {
            "type": "conversation.item.truncate",
            "event_id": "t1",
            "item_id": asst,
            "content_index": 0,
            "audio_end_ms": 600,
        }
    )
    assert truncated == {
        "type": "conversation.item.truncated",
        "event_id": truncated["event_id"],
        "item_id": asst,
        "content_index": 0,
        "audio_end_ms": 600,
    }
    (retrieved,) = harness.send({"type": "conversation.item.retrieve", "item_id": asst})
    cut = retrieved["item"]["content"][0]["transcript"]
    assert cut == "You said:" and full.startswith(cut)  # the words whose sound started before 600 ms
    (error,) = harness.send(
        {
            "type": "conversation.item.truncate",
            "event_id": "t2",
            "item_id": asst,
            "content_index": 0,
            "audio_end_ms": 900,
        }
    )
    assert error["error"]["code"] == "invalid_value" and error["error"]["param"] == "audio_end_ms"
    assert error["error"]["message"] == "Audio content of 600ms is already shorter than 900ms."
    assert error["error"]["event_id"] == "t2"


def test_truncate_errors(harness: Any) -> None:
    harness.say("Hello")
    user_id, asst = (item["id"] for item in harness.sim.conversation)
    total = harness.sim.store.meta[asst].audio_ms
    (past,) = harness.send(
        {"type": "conversation.item.truncate", "item_id": asst, "content_index": 0, "audio_end_ms": 60000}
    )
    assert past["error"]["message"] == f"Audio content of {round(total)}ms is already shorter than 60000ms."
    (user,) = harness.send(
        {"type": "conversation.item.truncate", "item_id": user_id, "content_index": 0, "audio_end_ms": 0}
    )
    assert user["error"]["code"] == "invalid_value" and user["error"]["param"] == "item_id"
    assert "only model output audio messages can be truncated" in user["error"]["message"]
    (unknown,) = harness.send(
        {"type": "conversation.item.truncate", "item_id": "nope", "content_index": 0, "audio_end_ms": 0}
    )
    assert unknown["error"]["param"] == "item_id" and "nope" in unknown["error"]["message"]
    (index,) = harness.send(
        {"type": "conversation.item.truncate", "item_id": asst, "content_index": 3, "audio_end_ms": 0}
    )
    assert index["error"]["param"] == "content_index"


# --- items ---------------------------------------------------------------------------------------


def test_items_are_placed_retrieved_and_deleted(harness: Any) -> None:
    a = harness.send(user_text("a"))[0]
    b = harness.send(user_text("b"))[0]
    assert a["previous_item_id"] is None
    assert b["previous_item_id"] == a["item"]["id"] != b["item"]["id"]
    first = harness.send(
        {
            "type": "conversation.item.create",
            "previous_item_id": "root",
            "item": {
                "id": "sys",
                "type": "message",
                "role": "system",
                "content": [{"type": "input_text", "text": "Rules"}],
            },
        }
    )[0]
    assert first["previous_item_id"] is None and first["item"]["id"] == "sys"
    a_id, b_id = a["item"]["id"], b["item"]["id"]
    middle = harness.send(user_text("between", previous_item_id=a_id))[0]
    assert middle["previous_item_id"] == a_id
    assert [i["id"] for i in harness.sim.conversation] == ["sys", a_id, middle["item"]["id"], b_id]
    (unknown,) = harness.send(user_text("x", previous_item_id="missing", event_id="p1"))
    assert unknown["error"]["param"] == "previous_item_id" and unknown["error"]["event_id"] == "p1"
    (dup,) = harness.send({"type": "conversation.item.create", "item": {**a["item"], "object": None}})
    assert dup["error"]["param"] == "item.id"

    (retrieved,) = harness.send({"type": "conversation.item.retrieve", "item_id": b_id})
    assert retrieved["type"] == "conversation.item.retrieved" and retrieved["item"] == b["item"]
    (deleted,) = harness.send({"type": "conversation.item.delete", "item_id": b_id})
    assert deleted["type"] == "conversation.item.deleted" and deleted["item_id"] == b_id
    (gone,) = harness.send({"type": "conversation.item.retrieve", "item_id": b_id, "event_id": "r2"})
    assert gone["error"]["code"] == "invalid_value" and gone["error"]["event_id"] == "r2"
    assert harness.send({"type": "conversation.item.delete", "item_id": b_id})[0]["type"] == "error"


def test_other_item_kinds_are_accepted(harness: Any) -> None:
    items = [
        {"type": "message", "role": "assistant", "content": [{"type": "text", "text": "Earlier answer"}]},
        {"type": "function_call", "name": "lookup", "call_id": "c1", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_audio", "audio": pcm16_to_base64(silence_pcm16(100))},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
            ],
        },
    ]
    for item in items:
        (created,) = harness.send({"type": "conversation.item.create", "item": item})
        assert created["type"] == "conversation.item.created", created
    audio_part = harness.sim.conversation[-1]["content"][0]
    assert audio_part["transcript"] is None and audio_part["audio"]
    answer = harness.run({"type": "response.create"})
    assert one(answer, "response.audio_transcript.done")["transcript"] == "I heard 0.1 s of audio."


@pytest.mark.parametrize(
    ("item", "param"),
    [
        ({"type": "message", "role": "user"}, "item.content"),
        ({"type": "message", "role": "robot", "content": []}, "item.role"),
        (
            {"type": "message", "role": "user", "content": [{"type": "text", "text": "x"}]},
            "item.content[0].type",
        ),
        ({"type": "message", "role": "user", "content": [{"type": "input_text"}]}, "item.content[0].text"),
        (
            {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": "***"}]},
            "item.content[0].audio",
        ),
        ({"type": "function_call_output", "output": "x"}, "item.call_id"),
        ({"type": "telepathy"}, "item.type"),
        ({"role": "user"}, "item.type"),
    ],
)
def test_bad_items_are_rejected(harness: Any, item: dict[str, Any], param: str) -> None:
    (error,) = harness.send({"type": "conversation.item.create", "event_id": "bad", "item": item})
    assert (
        error["type"] == "error" and error["error"]["param"] == param and error["error"]["event_id"] == "bad"
    )
    assert harness.sim.conversation == []


# --- bad client input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_event"),
        ('"text"', "invalid_event"),
        ("null", "invalid_event"),
    ],
)
def test_malformed_frames_give_errors_without_an_event_id(harness: Any, frame: str, code: str) -> None:
    (error,) = harness.raw(frame)
    assert error["type"] == "error" and error["error"]["code"] == code and error["error"]["event_id"] is None


def test_binary_frames_give_an_error(harness: Any) -> None:
    (error,) = harness._check(harness.sim.receive_bytes(b"\x00\x01"))
    assert error["error"]["code"] == "invalid_frame" and "JSON text frame" in error["error"]["message"]


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        ({"type": "response.explode"}, "invalid_value", "type"),
        ({"type": 5}, "invalid_type", "type"),
        ({"no_type": True}, "missing_required_parameter", "type"),
        ({"type": "input_audio_buffer.append"}, "missing_required_parameter", "audio"),
        ({"type": "input_audio_buffer.append", "audio": "!!!"}, "invalid_value", "audio"),
        (
            {"type": "input_audio_buffer.append", "audio": "AAAA"},
            "invalid_value",
            "audio",
        ),  # 3 bytes: not whole samples
        (
            {"type": "conversation.item.truncate", "item_id": "x", "content_index": 0},
            "invalid_value",
            "item_id",
        ),
        ({"type": "conversation.item.retrieve"}, "missing_required_parameter", "item_id"),
        ({"type": "conversation.item.create"}, "missing_required_parameter", "item"),
        ({"type": "session.update"}, "missing_required_parameter", "session"),
        ({"type": "session.update", "session": []}, "invalid_type", "session"),
        ({"type": "response.create", "response": "now"}, "invalid_type", "response"),
        (
            {"type": "response.create", "response": {"modalities": ["smell"]}},
            "invalid_value",
            "response.modalities",
        ),
        (
            {"type": "response.create", "response": {"conversation": "other"}},
            "invalid_value",
            "response.conversation",
        ),
        ({"type": "transcription_session.update", "session": {}}, "unsupported_event", "type"),
        ({"type": "session.avatar.connect", "client_sdp": "x"}, "unsupported_event", "type"),
    ],
)
def test_invalid_events_give_errors_carrying_their_event_id(
    harness: Any, event: dict[str, Any], code: str, param: str
) -> None:
    (error,) = harness.send({**event, "event_id": "client_evt_1"})
    assert error["type"] == "error"
    assert error["error"] == {
        "type": "invalid_request_error",
        "code": code,
        "message": error["error"]["message"],
        "param": param,
        "event_id": "client_evt_1",
    }
    assert error["error"]["message"]


def test_truncate_field_types_are_checked(harness: Any) -> None:
    harness.say("Hello")
    asst = harness.sim.conversation[1]["id"]
    base = {"type": "conversation.item.truncate", "item_id": asst, "content_index": 0}
    assert harness.send(base)[0]["error"]["code"] == "missing_required_parameter"
    assert harness.send({**base, "audio_end_ms": "10"})[0]["error"]["code"] == "invalid_type"
    assert harness.send({**base, "audio_end_ms": -1})[0]["error"]["code"] == "invalid_value"


def test_the_session_survives_bad_input(harness: Any) -> None:
    harness.raw("garbage")
    harness.send({"type": "nope"})
    harness.send({"type": "conversation.item.truncate"})
    events = harness.say("still here")
    assert events[-1]["response"]["status"] == "completed"
    assert sum(1 for e in harness.all if e["type"] == "error") == 3


def test_received_collects_client_events() -> None:
    received: list[dict[str, Any]] = []
    sim = Simulator(received=received)
    sim.start()
    sim.receive_text('{"type": "input_audio_buffer.clear", "event_id": "a"}')
    sim.receive_text("[1]")
    sim.handle({"type": "bogus"})
    assert received == [{"type": "input_audio_buffer.clear", "event_id": "a"}, {"type": "bogus"}]


# --- Azure extras --------------------------------------------------------------------------------


def test_input_audio_turns_and_streamed_text(harness: Any) -> None:
    audio = pcm16_to_base64(silence_pcm16(200))
    assert harness.send({"type": "input_audio.turn.start", "turn_id": "t1"}) == []
    assert harness.send({"type": "input_audio.turn.append", "turn_id": "t1", "audio": audio}) == []
    events = harness.send({"type": "input_audio.turn.end", "turn_id": "t1"})
    assert types(events) == ["input_audio_buffer.committed", "conversation.item.created"]
    assert (
        harness.send({"type": "input_audio.turn.append", "turn_id": "t1", "audio": audio})[0]["type"]
        == "error"
    )
    harness.send({"type": "input_audio.turn.start", "turn_id": "t2"})
    assert harness.send({"type": "input_audio.turn.cancel", "turn_id": "t2"}) == []
    assert harness.send({"type": "input_text.delta", "id": "txt", "delta": "Hel"}) == []
    harness.send({"type": "input_text.delta", "id": "txt", "delta": "lo"})
    (created,) = harness.send({"type": "input_text.done", "id": "txt"})
    assert created["item"]["id"] == "txt" and created["item"]["content"] == [
        {"type": "input_text", "text": "Hello"}
    ]
    assert harness.send({"type": "input_text.done", "id": "never"})[0]["error"]["param"] == "id"
    assert types(harness.send({"type": "input_audio.clear"})) == ["input_audio_buffer.cleared"]


# --- realtime pacing (fake clock) ----------------------------------------------------------------


def test_realtime_pacing_follows_the_audio_clock(make_harness: Any) -> None:
    now = [100.0]
    h = make_harness(realtime=True, clock=lambda: now[0])
    h.send(user_text("Hello there my friend"))
    h.send({"type": "response.create"})
    sim = h.sim
    sent: list[dict[str, Any]] = []
    while sim.stream_delay() == 0.0:
        event = sim.pop_stream()
        assert event is not None
        sent.append(event)
    # Audio is generated 4 times faster than it plays: each 100 ms chunk takes 25 ms.
    assert "response.audio.delta" not in types(sent)
    assert sim.stream_delay() == pytest.approx(0.025)
    assert sim.pop_stream() is None  # not due yet
    now[0] += 0.025
    assert sim.stream_delay() == 0.0
    first = sim.pop_stream()
    assert first is not None and first["type"] == "response.audio.delta"
    now[0] += 60
    rest = h.drain()
    assert rest[-1]["type"] == "response.done"


def test_drain_ignores_pacing_and_close_stops_everything(make_harness: Any) -> None:
    h = make_harness(realtime=True, clock=lambda: 0.0)
    h.send({"type": "response.create"})
    assert h.drain()[-1]["type"] == "response.done"
    h.send({"type": "response.create"})
    h.sim.close()
    assert h.sim.closed and h.sim.stream_delay() is None and h.sim.handle({"type": "response.create"}) == []


def test_an_internal_failure_becomes_a_server_error_and_the_session_goes_on(harness: Any) -> None:
    def broken(event: dict[str, Any]) -> list[dict[str, Any]]:
        raise KeyError("bug")

    harness.sim._handlers["input_audio_buffer.clear"] = broken
    (error,) = harness.send({"type": "input_audio_buffer.clear", "event_id": "c1"})
    assert error["error"]["type"] == "server_error" and error["error"]["code"] == "internal_error"
    assert error["error"]["event_id"] == "c1" and "bug" in error["error"]["message"]
    assert harness.say("hello")[-1]["response"]["status"] == "completed"
    assert [repr(e) for e in harness.sim.errors] == ["KeyError('bug')"]
    harness.sim.errors.clear()  # expected here: the harness fails a test that leaves any
