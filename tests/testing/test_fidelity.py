"""The fake behaves like the service in time and in shape: each behaviour over a real socket.

A raw aiohttp websocket client talks to :class:`FakeVoiceLiveServer`; nothing here asserts a
duration, only orders and shapes (model time makes the orders observable).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import aiohttp
import pytest

from azure.ai.voicelive.audio import pcm16_to_base64, silence_pcm16, sine_pcm16
from azure.ai.voicelive.testing import (
    DefaultResponder,
    FakeVoiceLiveServer,
    McpCallReply,
    Pacing,
    ScriptedResponder,
    TextReply,
)

KEY = {"api-key": "secret"}
WAIT = 5.0
BASE62_ID = r"[0-9A-Za-z]{21}"
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}
LONG = "This answer goes on for a good while, so that it takes a few seconds to play back."


def query(model: str = "gpt-realtime") -> str:
    return f"?api-version=2026-07-15&model={model}"


async def recv(ws: Any) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), WAIT)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def recv_until(ws: Any, kind: str, *, code: str | None = None) -> list[dict[str, Any]]:
    events = []
    while True:
        event = await recv(ws)
        events.append(event)
        if event["type"] == kind and (code is None or event.get("error", {}).get("code") == code):
            return events


def say(text: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
    }


def append(pcm: bytes) -> list[dict[str, Any]]:
    return [
        {"type": "input_audio_buffer.append", "audio": pcm16_to_base64(pcm[i : i + 4800])}
        for i in range(0, len(pcm), 4800)
    ]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def connect(
    http: aiohttp.ClientSession, server: FakeVoiceLiveServer, model: str = "gpt-realtime"
) -> Any:
    ws = await http.ws_connect(server.url + query(model), headers=KEY)
    return ws


# --- time ----------------------------------------------------------------------------------------


async def test_response_create_before_response_done_is_refused_under_model_time(
    http: aiohttp.ClientSession,
) -> None:
    # The docs' old mistake: answer the call on function_call_arguments.done, before response.done.
    # A model that takes 50 ms between events leaves the window open even on a loaded machine.
    async with FakeVoiceLiveServer(pacing=Pacing(interval=0.05)) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "session.update", "session": {"tools": [WEATHER_TOOL]}})
        await ws.send_json(say("What's the weather in Seattle?"))
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.function_call_arguments.done")
        call = events[-1]
        assert call["arguments"] == '{"location":"Seattle"}'  # compact JSON, as the service sends
        assert re.fullmatch(f"call_{BASE62_ID}", call["call_id"])
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"sky":"rain"}'}
        await ws.send_json({"type": "conversation.item.create", "item": output})
        await ws.send_json({"type": "response.create", "event_id": "too-early"})
        rest = await recv_until(ws, "response.done")
        error = next(e for e in rest if e["type"] == "error")
        assert error["error"]["code"] == "conversation_already_has_active_response"
        assert error["error"]["event_id"] == "too-early"
        # Waiting for response.done is the right way: then the follow-up answers.
        await ws.send_json({"type": "response.create"})
        answer = await recv_until(ws, "response.done")
        assert answer[-1]["response"]["status"] == "completed"
        await ws.close()


async def test_instant_pacing_answers_before_the_next_client_event(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(say("Hi"))
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        assert events[-1]["response"]["status"] == "completed"
        await ws.close()
    with pytest.raises(ValueError, match="pacing"):
        FakeVoiceLiveServer(pacing="slow")
    with pytest.raises(ValueError, match="latency"):
        Pacing(latency=-1)


async def test_generation_outruns_playback_and_speech_after_done_cancels_nothing(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeVoiceLiveServer(realtime=True, responder=ScriptedResponder(LONG)) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(say("Tell me something long"))
        await ws.send_json({"type": "response.create"})
        start = time.monotonic()
        events = await recv_until(ws, "response.done")
        elapsed = time.monotonic() - start
        played_ms = sum(len(e["delta"]) * 3 / 4 for e in events if e["type"] == "response.audio.delta") / 48
        assert events[-1]["response"]["status"] == "completed"
        assert elapsed * 1000 < played_ms  # done long before the client could have played it all
        sim = server.sessions[0]
        assert not sim.response_active and (sim.played_ms() or 0) < played_ms  # still playing
        # Nothing is left to cancel: a cancel is an error, and the user's speech cancels nothing.
        await ws.send_json({"type": "response.cancel", "event_id": "late"})
        error = await recv(ws)
        assert error["error"]["code"] == "response_cancel_not_active" and error["error"]["event_id"] == "late"
        for event in append(silence_pcm16(200) + sine_pcm16(600, 300) + silence_pcm16(700)):
            await ws.send_json(event)
        after = await recv_until(ws, "input_audio_buffer.committed")
        assert "response.done" not in types(after)
        await ws.close()


async def test_auto_truncate_cuts_the_reply_at_the_playback_position(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(realtime=True, responder=ScriptedResponder(LONG)) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(
            {
                "type": "session.update",
                "session": {"turn_detection": {"type": "server_vad", "auto_truncate": True}},
            }
        )
        await recv(ws)
        await ws.send_json(say("Tell me something long"))
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        item_id = next(e for e in events if e["type"] == "response.audio.delta")["item_id"]
        for event in append(silence_pcm16(100) + sine_pcm16(600, 300) + silence_pcm16(700)):
            await ws.send_json(event)
        after = await recv_until(ws, "conversation.item.truncated")
        truncated = after[-1]
        assert truncated["item_id"] == item_id and truncated["content_index"] == 0
        full_ms = sum(len(e["delta"]) * 3 / 4 for e in events if e["type"] == "response.audio.delta") / 48
        assert 0 < truncated["audio_end_ms"] < full_ms
        started = types(after).index("input_audio_buffer.speech_started")
        assert started < len(after) - 1
        await ws.send_json({"type": "conversation.item.retrieve", "item_id": item_id})
        retrieved = (await recv_until(ws, "conversation.item.retrieved"))[-1]
        transcript = retrieved["item"]["content"][0]["transcript"]
        assert LONG.startswith(transcript) and len(transcript) < len(LONG)
        await ws.close()


async def test_without_auto_truncate_speech_during_playback_truncates_nothing(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeVoiceLiveServer(realtime=True, responder=ScriptedResponder(LONG)) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(say("Tell me something long"))
        await ws.send_json({"type": "response.create"})
        await recv_until(ws, "response.done")
        for event in append(silence_pcm16(100) + sine_pcm16(600, 300) + silence_pcm16(700)):
            await ws.send_json(event)
        after = await recv_until(ws, "response.done")  # the user's turn gets its own response
        assert "conversation.item.truncated" not in types(after)
        await ws.close()


async def test_speech_while_generating_cancels_with_turn_detected(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(realtime=True, responder=ScriptedResponder(LONG)) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(say("Tell me something long"))
        await ws.send_json({"type": "response.create"})
        await recv_until(ws, "response.audio.delta")
        for event in append(sine_pcm16(600, 300)):
            await ws.send_json(event)
        events = await recv_until(ws, "response.done")
        assert events[-1]["response"]["status"] == "cancelled"
        assert events[-1]["response"]["status_details"]["reason"] == "turn_detected"
        await ws.close()


async def test_transcription_may_arrive_after_response_created(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing=Pacing(transcription_delay=0.05)) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(
            {"type": "session.update", "session": {"input_audio_transcription": {"model": "whisper-1"}}}
        )
        await recv(ws)
        for event in append(silence_pcm16(200) + sine_pcm16(800, 300) + silence_pcm16(700)):
            await ws.send_json(event)
        events = await recv_until(ws, "conversation.item.input_audio_transcription.completed")
        kinds = types(events)
        created = kinds.index("response.created")
        completed = kinds.index("conversation.item.input_audio_transcription.completed")
        assert created < completed
        await ws.close()


@pytest.mark.parametrize(("model", "expected"), [("gpt-4.1", "azure-speech"), ("phi4-mini", "azure-speech")])
async def test_cascaded_models_transcribe_with_azure_speech_by_default(
    http: aiohttp.ClientSession, model: str, expected: str
) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server, model)
        session = (await recv(ws))["session"]
        assert session["input_audio_transcription"]["model"] == expected
        for event in append(silence_pcm16(200) + sine_pcm16(600, 300) + silence_pcm16(700)):
            await ws.send_json(event)
        events = await recv_until(ws, "conversation.item.input_audio_transcription.completed")
        assert re.fullmatch(r"\[\d\.\d s of audio\]", events[-1]["transcript"])
        await ws.close()
    async with FakeVoiceLiveServer() as server:
        ws = await connect(http, server, "gpt-realtime")
        assert (await recv(ws))["session"]["input_audio_transcription"] is None  # multimodal: off
        await ws.close()


async def test_session_expiry_sends_session_expired_and_closes_1001(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(max_session_duration=0.3) as server:
        before = time.time()
        ws = await connect(http, server)
        created = await recv(ws)
        expires_at = created["session"]["expires_at"]
        assert int(before) <= expires_at <= int(time.time() + 0.3) + 1
        error = await recv(ws)
        assert error["type"] == "error" and error["error"]["code"] == "session_expired"
        assert error["error"]["message"]
        msg = await asyncio.wait_for(ws.receive(), WAIT)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
        assert server.sessions[0].closed
    async with FakeVoiceLiveServer(max_session_duration=None) as server:
        ws = await connect(http, server)
        assert (await recv(ws))["session"]["expires_at"] is None
        await ws.close()
    with pytest.raises(ValueError, match="max_session_duration"):
        FakeVoiceLiveServer(max_session_duration=0)


async def test_credentials_rotate_at_runtime(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(api_key="old") as server:
        ws = await http.ws_connect(server.url + query(), headers={"api-key": "old"})
        await recv(ws)
        server.api_key = "new"
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(server.url + query(), headers={"api-key": "old"})
        assert info.value.status == 401
        fresh = await http.ws_connect(server.url + query(), headers={"api-key": "new"})
        await recv(fresh)
        await ws.send_json(say("still open"))
        assert (await recv(ws))["type"] == "conversation.item.created"  # open connections stay open
        await ws.close()
        await fresh.close()


# --- shape ---------------------------------------------------------------------------------------


async def test_ids_are_base62_and_the_session_is_full(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        created = await recv(ws)
        session = created["session"]
        assert re.fullmatch(f"event_{BASE62_ID}", created["event_id"])
        assert re.fullmatch(f"sess_{BASE62_ID}", session["id"])
        for key in ("agent", "avatar", "animation", "reasoning_effort", "interim_response", "metadata"):
            assert key in session and session[key] is None, key
        await ws.send_json(say("Hello"))
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        assert re.fullmatch(f"item_{BASE62_ID}", events[0]["item"]["id"])
        assert re.fullmatch(f"resp_{BASE62_ID}", events[-1]["response"]["id"])
        await ws.close()


async def test_the_user_audio_item_does_not_echo_audio(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "session.update", "session": {"turn_detection": None}})
        await recv(ws)
        for event in append(sine_pcm16(300, 300)):
            await ws.send_json(event)
        await ws.send_json({"type": "input_audio_buffer.commit"})
        created = (await recv_until(ws, "conversation.item.created"))[-1]
        assert created["item"]["content"] == [{"type": "input_audio", "audio": None, "transcript": None}]
        await ws.close()


async def test_preamble_is_spoken_before_the_call(http: aiohttp.ClientSession) -> None:
    responder = DefaultResponder(preamble="Let me check that.")
    async with FakeVoiceLiveServer(pacing="instant", responder=responder) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(
            {"type": "session.update", "session": {"tools": [WEATHER_TOOL], "modalities": ["text"]}}
        )
        await ws.send_json(say("Weather in Oslo?"))
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        output = events[-1]["response"]["output"]
        assert [i["type"] for i in output] == ["message", "function_call"]
        assert output[0]["content"][0]["text"] == "Let me check that."
        assert output[1]["arguments"] == '{"location":"Oslo"}'
        await ws.close()


async def test_memory_responder_counts_turns_including_created_items(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant", responder=DefaultResponder(memory=True)) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "session.update", "session": {"modalities": ["text"]}})
        for text in ("My name is Ada", "I live in Oslo"):  # carried over with conversation.item.create
            await ws.send_json(say(text))
        await ws.send_json(say("What do you remember?"))
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        text = next(e for e in events if e["type"] == "response.text.done")["text"]
        assert text == 'This is turn 3; earlier you said: "My name is Ada", "I live in Oslo".'
        await ws.close()


@pytest.mark.parametrize(
    "update",
    [
        {"turn_detection": {"type": "semantic_vad", "eagerness": "high"}},
        {"input_audio_sampling_rate": 44100},  # the SDK's live tests use it against the service
        {"output_audio_format": "pcm16_48000hz"},
        {"voice": {"type": "azure-realtime-native", "name": "ava"}},
        {"voice": "cedar"},
        {"tools": [{"type": "foundry_agent", "agent_name": "helper"}]},
        {"input_audio_noise_reduction": {"type": "azure_deep_noise_suppression"}},
        {"input_audio_echo_cancellation": {"type": "server_echo_cancellation"}},
        {"input_audio_transcription": {"model": "mai-transcribe-1"}},
        {"input_audio_transcription": {"model": "mai-transcribe"}},
    ],
)
async def test_values_the_service_accepts(http: aiohttp.ClientSession, update: dict[str, Any]) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "session.update", "session": update})
        updated = await recv(ws)
        assert updated["type"] == "session.updated", updated
        key = next(iter(update))
        assert updated["session"][key] == update[key] or key == "turn_detection"
        await ws.close()


@pytest.mark.parametrize(
    ("update", "param"),
    [
        ({"input_audio_noise_reduction": {"type": "loud"}}, "session.input_audio_noise_reduction.type"),
        ({"input_audio_echo_cancellation": {"type": "x"}}, "session.input_audio_echo_cancellation.type"),
        ({"input_audio_transcription": {"model": "whisper-9"}}, "session.input_audio_transcription.model"),
        ({"input_audio_sampling_rate": 11025}, "session.input_audio_sampling_rate"),
        ({"input_audio_sampling_rate": 48000}, "session.input_audio_sampling_rate"),
    ],
)
async def test_documented_enums_are_enforced_with_the_service_error_shape(
    http: aiohttp.ClientSession, update: dict[str, Any], param: str
) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "session.update", "session": update, "event_id": "u1"})
        error = await recv(ws)
        assert error["type"] == "error"
        assert error["error"] == {
            "type": "invalid_request_error",
            "code": "invalid_value",
            "message": error["error"]["message"],
            "param": param,
            "event_id": "u1",
        }
        assert "Supported" in error["error"]["message"]
        await ws.close()


async def test_a_deprecated_value_is_accepted_with_a_warning(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "session.update", "session": {"output_audio_format": "pcm16-16000hz"}})
        updated = await recv(ws)
        warning = await recv(ws)
        assert updated["session"]["output_audio_format"] == "pcm16_16000hz"
        assert warning["type"] == "warning"
        assert warning["warning"]["code"] == "deprecated_value"
        assert warning["warning"]["param"] == "session.output_audio_format"
        await ws.close()


MCP_SERVER = {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example/docs"}


async def test_mcp_lists_tools_and_runs_an_approved_call(http: aiohttp.ClientSession) -> None:
    responder = DefaultResponder(mcp_results={"search": '{"hits":["Voice Live overview"]}'})
    async with FakeVoiceLiveServer(pacing="instant", responder=responder) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(
            {"type": "session.update", "session": {"tools": [MCP_SERVER], "modalities": ["text"]}}
        )
        listing = await recv_until(ws, "conversation.item.created")
        assert types(listing) == [
            "session.updated",
            "mcp_list_tools.in_progress",
            "mcp_list_tools.completed",
            "conversation.item.created",
        ]
        item = listing[-1]["item"]
        assert item["type"] == "mcp_list_tools" and item["server_label"] == "docs"
        assert [t["name"] for t in item["tools"]] == ["search"]
        assert listing[1]["item_id"] == listing[2]["item_id"] == item["id"]

        await ws.send_json(say("search the docs for Voice Live"))
        await ws.send_json({"type": "response.create"})
        first = await recv_until(ws, "response.done")
        # The arguments stream on the mcp_call item; the approval request follows them.
        kinds = types(first)
        assert kinds.index("response.mcp_call_arguments.done") < len(kinds) - 4
        assert kinds[-4:] == [
            "response.output_item.added",
            "conversation.item.created",
            "response.output_item.done",
            "response.done",
        ]
        call, request = first[-1]["response"]["output"]
        assert call["type"] == "mcp_call" and call["output"] is None
        assert request["type"] == "mcp_approval_request" and request["name"] == "search"
        assert json.loads(request["arguments"]) == {"query": "search the docs for Voice Live"}
        assert "response.mcp_call.in_progress" not in kinds  # nothing runs before the approval

        await ws.send_json(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "mcp_approval_response",
                    "approval_request_id": request["id"],
                    "approve": True,
                },
            }
        )
        # No response.create: the service runs the approved call on its own.
        ran = await recv_until(ws, "response.output_item.done")
        assert types(ran) == [
            "conversation.item.created",
            "response.mcp_call.in_progress",
            "response.mcp_call.completed",
            "response.output_item.done",
        ]
        done = ran[-1]["item"]
        assert done["id"] == call["id"] and done["approval_request_id"] == request["id"]
        assert done["output"] == '{"hits":["Voice Live overview"]}'
        # The client asks for a response to hear the result (as the service's samples do).
        await ws.send_json({"type": "response.create"})
        second = await recv_until(ws, "response.done")
        assert next(e for e in second if e["type"] == "response.text.done")["text"] == (
            "The result is: Voice Live overview."
        )
        await ws.close()


async def test_mcp_without_approval_and_a_failing_call(http: aiohttp.ClientSession) -> None:
    server_def = {**MCP_SERVER, "require_approval": "never"}
    responder = ScriptedResponder(McpCallReply("docs", "search", {"query": "x"}, error="server down"))
    async with FakeVoiceLiveServer(pacing="instant", responder=responder) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "session.update", "session": {"tools": [server_def]}})
        await recv_until(ws, "conversation.item.created")
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        assert [i["type"] for i in events[-1]["response"]["output"]] == ["mcp_call"]
        after = await recv_until(ws, "response.output_item.done")
        assert types(after) == [
            "response.mcp_call.in_progress",
            "response.mcp_call.failed",
            "response.output_item.done",
        ]
        assert after[-1]["item"]["error"]["message"] == "server down"
        await ws.close()


async def test_mcp_approval_can_be_declined_with_the_client_event(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json(
            {"type": "session.update", "session": {"tools": [MCP_SERVER], "modalities": ["text"]}}
        )
        await recv_until(ws, "conversation.item.created")
        await ws.send_json(say("search for pricing"))
        await ws.send_json({"type": "response.create"})
        request = (await recv_until(ws, "response.done"))[-1]["response"]["output"][1]
        await ws.send_json(
            {"type": "mcp_approval_response", "approval_request_id": request["id"], "approve": False}
        )
        created = (await recv_until(ws, "conversation.item.created"))[-1]
        assert created["item"]["type"] == "mcp_approval_response" and created["item"]["approve"] is False
        await ws.send_json({"type": "response.create"})
        answer = await recv_until(ws, "response.done")
        assert "response.mcp_call.in_progress" not in types(answer)  # a refused call never runs
        assert (
            next(e for e in answer if e["type"] == "response.text.done")["text"]
            == "OK, I will not run search."
        )
        await ws.close()


async def test_a_plain_text_reply_still_works_with_a_custom_responder(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant", responder=ScriptedResponder(TextReply("Hi."))) as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        assert next(e for e in events if e["type"] == "response.audio_transcript.done")["transcript"] == "Hi."
        await ws.close()


# --- the pytest fixture's knob -------------------------------------------------------------------


@pytest.fixture
def voicelive_server_options() -> dict[str, Any]:
    return {"pacing": "instant", "max_session_duration": 120.0}


async def test_the_fixture_takes_options(
    voicelive_server: FakeVoiceLiveServer, http: aiohttp.ClientSession
) -> None:
    assert voicelive_server.pacing == Pacing.instant()
    ws = await connect(http, voicelive_server)
    created = await recv(ws)
    assert created["session"]["expires_at"] <= time.time() + 121
    await ws.close()
