"""Unit tests of the simulator's parts: VAD, voice synthesis, responders, and the spec checker."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from azure.ai.voicelive.audio import alaw_decode, rms_pcm16, silence_pcm16, sine_pcm16, ulaw_decode
from azure.ai.voicelive.testing import (
    DefaultResponder,
    EnergyVad,
    FunctionCallReply,
    ScriptedResponder,
    TextReply,
    VadEvent,
    default_transcriber,
    synthesize,
    threshold_to_rms,
)
from azure.ai.voicelive.testing._responder import build_arguments, describe_output, normalize_replies
from azure.ai.voicelive.testing._voice import bytes_per_ms, split_words

# --- VAD -----------------------------------------------------------------------------------------


def test_threshold_mapping_is_logarithmic() -> None:
    assert threshold_to_rms(0.0) == pytest.approx(0.001)
    assert threshold_to_rms(0.5) == pytest.approx(0.0316, abs=1e-4)
    assert threshold_to_rms(1.0) == pytest.approx(1.0)
    assert threshold_to_rms(-3) == threshold_to_rms(0.0) and threshold_to_rms(7) == threshold_to_rms(1.0)
    # the default separates an audible tone from low noise
    assert rms_pcm16(sine_pcm16(440, 100, amplitude=0.1)) > threshold_to_rms(0.5)
    assert rms_pcm16(sine_pcm16(440, 100, amplitude=0.005)) < threshold_to_rms(0.5)


def test_vad_reports_start_with_padding_and_stop_after_silence() -> None:
    vad = EnergyVad(prefix_padding_ms=200, silence_duration_ms=300)
    events = vad.feed(silence_pcm16(500) + sine_pcm16(200, 400) + silence_pcm16(400))
    assert events == [VadEvent("start", 300, 500), VadEvent("stop", 1200, 900)]
    assert vad.position_ms == 1300 and not vad.speaking


def test_vad_keeps_partial_frames_between_chunks() -> None:
    vad = EnergyVad(prefix_padding_ms=0, silence_duration_ms=100)
    audio = silence_pcm16(300) + sine_pcm16(200, 300) + silence_pcm16(300)
    events = []
    for i in range(0, len(audio), 334):  # 334 bytes is not a whole frame
        events += vad.feed(audio[i : i + 334])
    assert events == [VadEvent("start", 300, 300), VadEvent("stop", 700, 600)]


def test_vad_min_speech_ignores_clicks_and_reset_forgets_speech() -> None:
    vad = EnergyVad(min_speech_ms=100, prefix_padding_ms=0)
    assert vad.feed(sine_pcm16(200, 40) + silence_pcm16(200)) == []  # 40 ms click
    assert vad.feed(sine_pcm16(200, 200))[0] == VadEvent("start", 240, 240)
    vad.reset()
    assert not vad.speaking
    assert vad.feed(silence_pcm16(600)) == []  # no stop after a reset


def test_vad_min_speech_counts_across_short_pauses_between_syllables() -> None:
    vad = EnergyVad(min_speech_ms=200, prefix_padding_ms=0)
    syllables = sine_pcm16(200, 140) + silence_pcm16(80) + sine_pcm16(200, 100)
    assert vad.feed(silence_pcm16(100) + syllables) == [VadEvent("start", 100, 100)]
    vad = EnergyVad(min_speech_ms=200, prefix_padding_ms=0)
    apart = sine_pcm16(200, 140) + silence_pcm16(120) + sine_pcm16(200, 200)
    assert vad.feed(apart) == [VadEvent("start", 260, 260)]  # a longer pause starts the count again


def test_vad_origin_and_rate() -> None:
    vad = EnergyVad(sample_rate=8000, origin_ms=1000, prefix_padding_ms=0)
    assert (
        vad.feed(silence_pcm16(100, sample_rate=8000) + sine_pcm16(200, 100, sample_rate=8000))[0].ms == 1100
    )


# --- voice ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pcm16", "pcm16_16000hz", "pcm16_8000hz", "g711_ulaw", "g711_alaw"])
def test_synthesized_speech_is_audible_and_timed(fmt: str) -> None:
    text = "Hello, this is the fake service speaking."
    utterance = synthesize(text, fmt)
    assert len(utterance.audio) == utterance.duration_ms * bytes_per_ms(fmt)
    assert "".join(w[0] for w in utterance.words) == text
    starts = [w[1] for w in utterance.words]
    assert starts == sorted(starts) and starts[0] == 0
    last = utterance.words[-1]
    assert last[1] + last[2] == utterance.duration_ms
    pcm = utterance.audio
    if fmt == "g711_ulaw":
        pcm = ulaw_decode(pcm)
    elif fmt == "g711_alaw":
        pcm = alaw_decode(pcm)
    assert rms_pcm16(pcm) > 0.05
    assert 1500 < utterance.duration_ms < 5000  # roughly speech rate


def test_words_differ_in_pitch_and_length() -> None:
    a = synthesize("cat", "pcm16").audio
    b = synthesize("hippopotamus", "pcm16").audio
    c = synthesize("dog", "pcm16").audio
    assert len(b) > len(a) and a != c
    assert synthesize("", "pcm16").duration_ms == 0 and synthesize("   ").audio == b""
    with pytest.raises(KeyError):
        synthesize("x", "mp3")


def test_split_words_round_trips() -> None:
    for text in ["", "one", "  lead", "a  b\nc ", "x."]:
        assert "".join(split_words(text)) == text


# --- responders ----------------------------------------------------------------------------------

SESSION: dict[str, Any] = {
    "tools": [],
    "tool_choice": "auto",
    "input_audio_format": "pcm16",
    "input_audio_sampling_rate": 24000,
}


def user(text: str | None = None, audio_ms: int = 0) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"type": "input_text", "text": text})
    if audio_ms:
        audio = base64.b64encode(silence_pcm16(audio_ms)).decode()
        content.append({"type": "input_audio", "audio": audio, "transcript": None})
    return {"type": "message", "role": "user", "content": content}


def test_default_responder_replies() -> None:
    r = DefaultResponder()
    assert r([user("Hi")], SESSION) == TextReply('You said: "Hi".')
    assert r([user(audio_ms=1500)], SESSION) == TextReply("I heard 1.5 s of audio.")
    # The default transcriber's description is not words: the reply says what was heard.
    assert r([user("[2.8 s of audio]")], SESSION) == TextReply("I heard 2.8 s of audio.")
    assert r([user("[2.8 s of audio] said twice")], SESSION) == TextReply(
        'You said: "[2.8 s of audio] said twice".'
    )
    assert r([], SESSION) == TextReply("Hello! How can I help you today?")
    system = {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "rules"}]}
    assert r([user("Hi"), system], SESSION) == TextReply('You said: "Hi".')
    assistant = {"type": "message", "role": "assistant", "content": [{"type": "text", "text": "Yo"}]}
    assert r([user("Hi"), assistant], SESSION) == TextReply('You said: "Hi".')
    output = {"type": "function_call_output", "call_id": "c", "output": '{"a": {"b": 1, "c": [true, null]}}'}
    assert r([output], SESSION) == TextReply("The result is: 1, yes.")
    assert r([{**output, "output": "plain text."}], SESSION) == TextReply("The result is: plain text.")


WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
SEARCH = {
    "type": "function",
    "name": "searchFlights",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "passengers": {"type": "integer"},
            "cabin": {"type": "string", "enum": ["economy", "business"]},
            "direct": {"type": "boolean"},
        },
        "required": ["query", "direct"],
    },
}


def test_default_responder_calls_the_tool_the_user_talks_about() -> None:
    r = DefaultResponder()
    session = {**SESSION, "tools": [WEATHER, SEARCH]}
    assert r([user("How is the weather in San Francisco?")], session) == FunctionCallReply(
        "get_weather", {"city": "San Francisco"}
    )
    call = r([user("Find flights for 2 people in business")], session)
    assert call == FunctionCallReply(
        "searchFlights",
        {
            "query": "Find flights for 2 people in business",
            "passengers": 2,
            "cabin": "business",
            "direct": False,
        },
    )
    assert r([user("Tell me a joke")], session) == TextReply('You said: "Tell me a joke".')
    assert r([user("weather in Oslo")], {**session, "tool_choice": "none"}) == TextReply(
        'You said: "weather in Oslo".'
    )
    forced = r(
        [user("Tell me a joke")], {**session, "tool_choice": {"type": "function", "name": "get_weather"}}
    )
    assert isinstance(forced, FunctionCallReply) and forced.name == "get_weather"
    required = r([user("Tell me a joke")], {**session, "tool_choice": "required"})
    assert isinstance(required, FunctionCallReply) and required.name == "get_weather"


def test_build_arguments_handles_schemas_without_properties() -> None:
    assert build_arguments({"name": "f"}, "x") == {}
    assert build_arguments({"name": "f", "parameters": {"type": "object"}}, "x") == {}
    assert build_arguments(
        {"name": "f", "parameters": {"properties": {"location": {"type": "string"}}}}, "the weather at home"
    ) == {"location": "home"}


def test_describe_output_and_reply_normalisation() -> None:
    assert describe_output(json.dumps({"sky": "sunny", "temp": "72F"})) == "sunny, 72F"
    assert describe_output("[1, 2]") == "1, 2" and describe_output("3") == "3"
    assert normalize_replies("hi") == [TextReply("hi")]
    assert normalize_replies([TextReply("a"), "b"]) == [TextReply("a"), TextReply("b")]
    with pytest.raises(TypeError):
        normalize_replies(None)
    with pytest.raises(TypeError):
        normalize_replies([1])
    assert FunctionCallReply("f", '{"raw": 1}').arguments_json() == '{"raw": 1}'
    assert FunctionCallReply("f").arguments_json() == "{}"


def test_scripted_responder_falls_back() -> None:
    script = ScriptedResponder("first", then=lambda c, s: "fallback")
    assert script([], SESSION) == "first"
    assert script([], SESSION) == "fallback"
    assert len(script.calls) == 2


def test_default_transcriber() -> None:
    assert default_transcriber(silence_pcm16(2345), 24000) == "[2.3 s of audio]"
    assert default_transcriber(silence_pcm16(500, sample_rate=8000), 8000) == "[0.5 s of audio]"


# --- the spec checker used by the harness --------------------------------------------------------


def test_spec_checker_catches_missing_and_mistyped_fields(spec_checker: Any) -> None:
    ok = {"type": "input_audio_buffer.speech_started", "event_id": "e", "audio_start_ms": 1, "item_id": "i"}
    assert spec_checker.event(ok) == []
    assert spec_checker.event({**ok, "item_id": None})
    assert spec_checker.event({**ok, "audio_start_ms": "1"})
    bad_item = {
        "type": "conversation.item.created",
        "event_id": "e",
        "item": {
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": 5}],
        },
    }
    assert any("transcript" in e for e in spec_checker.event(bad_item))


# --- the simulator's parts, each alone ------------------------------------------------------------


def test_ids_are_base62_unique_and_reproducible_with_a_seed() -> None:
    from azure.ai.voicelive.testing._common import Ids

    ids = Ids()
    made = [ids.new("item") for _ in range(200)]
    assert len(set(made)) == 200 and all(re.fullmatch(r"item_[0-9A-Za-z]{21}", i) for i in made)
    assert [Ids(7).new("x") for _ in range(2)] == [Ids(7).new("x")] * 2
    seeded = Ids(7)
    seeded.claim(Ids(7).new("x"))
    assert seeded.new("x") != Ids(7).new("x")  # a claimed (client-chosen) id is never handed out


def test_pacing_knobs_are_checked() -> None:
    from azure.ai.voicelive.testing import Pacing

    assert Pacing.of(None) == Pacing.of("model") == Pacing()
    assert Pacing().latency > 0 and Pacing().interval > 0  # never instant by default
    assert Pacing.of("instant").latency == 0 == Pacing.instant().transcription_delay
    for bad in ({"interval": -0.1}, {"generation_speed": 0}, {"transcription_delay": True}):
        with pytest.raises(ValueError):
            Pacing(**bad)
    with pytest.raises(ValueError):
        Pacing.of("fast")


def test_playback_clock_runs_at_real_time_up_to_what_was_sent() -> None:
    from azure.ai.voicelive.testing._responses import Playback

    pb = Playback("item_x", 0, started_at=10.0, received_ms=800.0)
    assert pb.played_ms(10.0) == 0 and pb.played_ms(10.5) == pytest.approx(500)
    assert pb.played_ms(30.0) == 800 and pb.played_ms(9.0) == 0


def test_session_config_alone_validates_warns_and_defaults() -> None:
    from azure.ai.voicelive.testing._common import Reject
    from azure.ai.voicelive.testing._session import SessionConfig, is_cascaded

    cfg = SessionConfig(model="gpt-4.1", now=1000.0, max_session_duration=60.0)
    assert (
        cfg.session["expires_at"] == 1060
        and cfg.session["input_audio_transcription"]["model"] == "azure-speech"
    )
    assert is_cascaded("phi4-mini") and not is_cascaded("gpt-4o-realtime-preview") and not is_cascaded(None)
    assert cfg.update({"output_audio_format": "pcm16-8000hz"}) == [
        (
            "deprecated_value",
            "'pcm16-8000hz' is deprecated; use 'pcm16_8000hz'.",
            "session.output_audio_format",
        )
    ]
    with pytest.raises(Reject) as info:
        cfg.update({"turn_detection": {"type": "server_vad", "eagerness": "low"}})
    assert info.value.code == "unknown_parameter"
    assert cfg.update({"turn_detection": {"type": "semantic_vad"}}) == []
    assert cfg.session["turn_detection"]["eagerness"] == "auto"


def test_conversation_store_alone_hides_user_audio_in_public_views() -> None:
    from azure.ai.voicelive.testing._common import Ids
    from azure.ai.voicelive.testing._conversation import Conversation

    store = Conversation(Ids(1))
    item, previous = store.add_user_audio("item_a", b"\x00\x01" * 480, 20.0)
    assert previous is None and store.meta["item_a"].audio_ms == 20.0
    assert item["content"][0]["audio"] and store.public(item)["content"][0]["audio"] is None
    text, previous = store.create(
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}, "root", 48.0
    )
    assert previous is None and [i["id"] for i in store.items] == [text["id"], "item_a"]


def test_mcp_approval_rules() -> None:
    from azure.ai.voicelive.testing._tools import mcp_approval_needed

    assert mcp_approval_needed(None, "x") and mcp_approval_needed({"require_approval": "always"}, "x")
    assert not mcp_approval_needed({"require_approval": "never"}, "x")
    assert not mcp_approval_needed({"require_approval": {"never": ["x"]}}, "x")
    assert mcp_approval_needed({"require_approval": {"never": {"tool_names": ["y"]}}}, "x")
    # a tool in neither list needs approval (the MCP how-to: "Tools not listed in either key
    # default to 'always'")
    assert mcp_approval_needed({"require_approval": {"always": ["y"]}}, "x")
    assert mcp_approval_needed({"require_approval": {"never": ["y"], "always": ["z"]}}, "x")
    assert not mcp_approval_needed({"require_approval": {"never": ["x"], "always": ["z"]}}, "x")


def test_input_audio_alone_finds_speech_and_refuses_short_commits() -> None:
    from azure.ai.voicelive.testing._common import Reject
    from azure.ai.voicelive.testing._input import InputAudio

    audio = InputAudio()
    audio.configure({"turn_detection": {"type": "server_vad"}})
    changes = audio.append(silence_pcm16(200) + sine_pcm16(600, 300) + silence_pcm16(700))
    assert [c.kind for c in changes] == ["start", "stop"] and len(changes[1].audio) > 0
    audio.configure({"turn_detection": None})
    audio.clear()
    audio.append(silence_pcm16(50))
    with pytest.raises(Reject) as info:
        audio.commit()
    assert info.value.code == "input_audio_buffer_commit_empty"
