"""The fake agrees with Microsoft's public Voice Live documentation.

Each test names the document it follows (MicrosoftDocs/azure-ai-docs,
``articles/ai-services/speech-service/``): ``voice-live-api-reference-2026-04-10.md`` (the
reference), ``voice-live-how-to.md`` (the how-to), ``how-to-voice-live-auto-truncation.md`` and
the MCP how-to with its includes. A raw aiohttp websocket client talks to
:class:`FakeVoiceLiveServer` wherever the behaviour is observable on the wire; the parts the
wire cannot show (a handshake's ``api-version``) are tested on the simulator.
"""

from __future__ import annotations

import asyncio
import json
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
    Simulator,
    TextReply,
)

KEY = {"api-key": "secret"}
WAIT = 5.0


def query(model: str = "gpt-realtime", version: str = "2026-04-10") -> str:
    return f"?api-version={version}&model={model}"


async def recv(ws: Any) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), WAIT)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def recv_until(ws: Any, kind: str) -> list[dict[str, Any]]:
    events = []
    while True:
        event = await recv(ws)
        events.append(event)
        if event["type"] == kind:
            return events


async def connect(
    http: aiohttp.ClientSession, server: FakeVoiceLiveServer, model: str = "gpt-realtime"
) -> Any:
    return await http.ws_connect(server.url + query(model), headers=KEY)


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


LONG = "This answer goes on for a good while, so that it takes a few seconds to play back."


async def update(ws: Any, session: dict[str, Any], event_id: str = "u1") -> dict[str, Any]:
    """Send a session.update; return the answer (session.updated or error)."""
    await ws.send_json({"type": "session.update", "session": session, "event_id": event_id})
    return await recv(ws)


def assert_invalid(event: dict[str, Any], param: str, event_id: str = "u1") -> None:
    assert event["type"] == "error", event
    assert event["error"] == {
        "type": "invalid_request_error",
        "code": "invalid_value",
        "message": event["error"]["message"],
        "param": param,
        "event_id": event_id,
    }


# --- turn detection defaults (how-to: "Turn Detection Parameters"; reference: RealtimeServerVAD) ---


async def test_turn_detection_defaults_of_the_current_api_version(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        vad = (await recv(ws))["session"]["turn_detection"]
        assert vad["type"] == "server_vad"
        assert (vad["threshold"], vad["prefix_padding_ms"], vad["silence_duration_ms"]) == (0.5, 400, 500)
        assert vad["speech_duration_ms"] == 200
        for kind in ("azure_semantic_vad", "azure_semantic_vad_en", "azure_semantic_vad_multilingual"):
            semantic = (await update(ws, {"turn_detection": {"type": kind}}))["session"]["turn_detection"]
            assert semantic["type"] == kind
            assert semantic["prefix_padding_ms"] == 420 and semantic["speech_duration_ms"] == 80
            assert semantic["silence_duration_ms"] == 500 and semantic["threshold"] == 0.5
        await ws.close()


def test_turn_detection_padding_of_earlier_api_versions() -> None:
    # "For earlier API versions, the default is 300 for all types" (how-to).
    old = Simulator(api_version="2025-10-01")
    assert old.session["turn_detection"]["prefix_padding_ms"] == 300
    (updated,) = old.handle(
        {"type": "session.update", "session": {"turn_detection": {"type": "azure_semantic_vad"}}}
    )
    assert updated["session"]["turn_detection"]["prefix_padding_ms"] == 300
    for version in ("2026-04-10", "2026-07-15", None):
        assert Simulator(api_version=version).session["turn_detection"]["prefix_padding_ms"] == 400


async def test_the_handshake_api_version_picks_the_defaults(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await http.ws_connect(server.url + "?api-version=2025-10-01&model=gpt-realtime", headers=KEY)
        assert (await recv(ws))["session"]["turn_detection"]["prefix_padding_ms"] == 300
        await ws.close()


# --- accepted and rejected values -----------------------------------------------------------------


async def test_mai_transcribe_is_accepted_by_its_documented_name(http: aiohttp.ClientSession) -> None:
    # how-to, "MAI Transcribe (preview)": "model": "mai-transcribe" (the SDK enum says mai-transcribe-1)
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server, "gpt-4.1")
        await recv(ws)
        for model in ("mai-transcribe", "mai-transcribe-1"):
            updated = await update(ws, {"input_audio_transcription": {"model": model}})
            assert updated["session"]["input_audio_transcription"]["model"] == model
        await ws.close()


async def test_input_sampling_rates(http: aiohttp.ClientSession) -> None:
    # reference, RealtimeRequestSession: "default: 24000 for pcm16, 8000 for g711_ulaw and g711_alaw";
    # how-to: pcm16 takes 16000 and 24000; the SDK models add 8000, its live tests 44100.
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        assert (await recv(ws))["session"]["input_audio_sampling_rate"] == 24000
        for rate in (8000, 16000, 24000, 44100):
            assert (await update(ws, {"input_audio_sampling_rate": rate}))["session"][
                "input_audio_sampling_rate"
            ] == rate
        assert_invalid(
            await update(ws, {"input_audio_sampling_rate": 48000}), "session.input_audio_sampling_rate"
        )
        for fmt in ("g711_ulaw", "g711_alaw"):
            g711 = (await update(ws, {"input_audio_format": fmt}))["session"]
            assert (g711["input_audio_format"], g711["input_audio_sampling_rate"]) == (fmt, 8000)
        refused = await update(ws, {"input_audio_sampling_rate": 16000}, "u2")
        assert_invalid(refused, "session.input_audio_sampling_rate", "u2")
        assert "8000" in refused["error"]["message"]
        both = await update(ws, {"input_audio_format": "pcm16", "input_audio_sampling_rate": 16000})
        assert both["session"]["input_audio_sampling_rate"] == 16000
        back = (await update(ws, {"input_audio_format": "g711_ulaw"}))["session"]
        assert back["input_audio_sampling_rate"] == 8000
        pcm = (await update(ws, {"input_audio_format": "pcm16"}))["session"]
        assert pcm["input_audio_sampling_rate"] == 24000  # the pcm16 default again
        await ws.close()


async def test_azure_realtime_starts_with_the_native_ava_voice(http: aiohttp.ClientSession) -> None:
    # how-to, "azure-realtime model": "If you don't specify a voice, ava is used by default. The
    # default appears in both the session.created response and subsequent session.updated responses."
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server, "azure-realtime")
        created = (await recv(ws))["session"]
        assert created["voice"] == {"type": "azure-realtime-native", "name": "ava"}
        updated = await update(ws, {"instructions": "Be brief."})
        assert updated["session"]["voice"] == {"type": "azure-realtime-native", "name": "ava"}
        chosen = await update(ws, {"voice": {"type": "azure-realtime-native", "name": "andrew"}})
        assert chosen["session"]["voice"]["name"] == "andrew"
        reset = await update(ws, {"voice": None})
        assert reset["session"]["voice"] == {"type": "azure-realtime-native", "name": "ava"}
        other = await connect(http, server, "gpt-realtime")
        assert (await recv(other))["session"]["voice"] == {
            "name": "en-US-AvaNeural",
            "type": "azure-standard",
        }
        await ws.close()
        await other.close()


async def test_the_model_of_a_session_cannot_change(http: aiohttp.ClientSession) -> None:
    # reference, session.update: "once a session is initialized with a particular model, it can't
    # be changed to another model".
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server, "gpt-realtime")
        await recv(ws)
        same = await update(ws, {"model": "gpt-realtime", "instructions": "Hi"})
        assert same["type"] == "session.updated" and same["session"]["model"] == "gpt-realtime"
        refused = await update(ws, {"model": "gpt-4.1", "instructions": "changed"}, "u2")
        assert_invalid(refused, "session.model", "u2")
        # all or nothing: the rest of the refused update did not apply
        kept = await update(ws, {"modalities": ["text"]}, "u3")
        assert kept["session"]["model"] == "gpt-realtime" and kept["session"]["instructions"] == "Hi"
        await ws.close()


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"temperature": 0.5}, "session.temperature"),
        ({"temperature": 1.3}, "session.temperature"),
        ({"turn_detection": {"type": "server_vad", "threshold": 0.0}}, "session.turn_detection.threshold"),
        ({"turn_detection": {"type": "server_vad", "threshold": 1.0}}, "session.turn_detection.threshold"),
        (
            {"turn_detection": {"type": "azure_semantic_vad", "threshold": 0.005}},
            "session.turn_detection.threshold",
        ),
    ],
)
async def test_out_of_range_numbers_get_invalid_value(
    http: aiohttp.ClientSession, session: dict[str, Any], param: str
) -> None:
    # reference: temperature "limited to [0.6, 1.2]"; VAD threshold "in the range [0.01, 1.0)".
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        refused = await update(ws, session)
        assert_invalid(refused, param)
        assert "outside the range" in refused["error"]["message"]
        await ws.close()


async def test_in_range_numbers_are_accepted_up_to_their_bounds(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        for temperature in (0.6, 1.2):
            assert (await update(ws, {"temperature": temperature}))["session"]["temperature"] == temperature
        for threshold in (0.01, 0.99):
            vad = {"type": "server_vad", "threshold": threshold}
            assert (await update(ws, {"turn_detection": vad}))["session"]["turn_detection"][
                "threshold"
            ] == threshold
        await ws.send_json({"type": "response.create", "response": {"temperature": 2.0}, "event_id": "r1"})
        assert_invalid(await recv(ws), "response.temperature", "r1")
        await ws.close()


# --- responses ----------------------------------------------------------------------------------


async def test_max_response_output_tokens_limits_a_response(http: aiohttp.ClientSession) -> None:
    # reference, response.create: "max_response_output_tokens": 1000 (the SDK 1.3.1 model calls it
    # max_output_tokens); the response object carries the limit under both names.
    async with FakeVoiceLiveServer(pacing="instant", responder=ScriptedResponder(LONG, LONG, LONG)) as server:
        ws = await connect(http, server)
        await recv(ws)
        for name in ("max_response_output_tokens", "max_output_tokens"):
            await ws.send_json({"type": "response.create", "response": {name: 3, "modalities": ["text"]}})
            events = await recv_until(ws, "response.done")
            created, done = events[0]["response"], events[-1]["response"]
            assert created["max_response_output_tokens"] == created["max_output_tokens"] == 3
            assert done["status"] == "incomplete"
            assert done["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}
            text = next(e for e in events if e["type"] == "response.text.done")["text"]
            assert LONG.startswith(text) and len(text) <= 12
        both = {"max_response_output_tokens": 3, "max_output_tokens": 5}
        await ws.send_json({"type": "response.create", "response": both, "event_id": "r1"})
        assert_invalid(await recv(ws), "response.max_output_tokens", "r1")
        await ws.send_json(
            {"type": "response.create", "response": {"max_response_output_tokens": 0}, "event_id": "r2"}
        )
        assert_invalid(await recv(ws), "response.max_response_output_tokens", "r2")
        await ws.close()


async def test_auto_truncate_needs_interrupt_response(http: aiohttp.ClientSession) -> None:
    # how-to-voice-live-auto-truncation.md, "Dependencies": "interrupt_response must be set to true
    # (default) ... if the response continues playing after the user speaks, there's nothing to
    # truncate."
    async with FakeVoiceLiveServer(realtime=True, responder=ScriptedResponder(LONG)) as server:
        ws = await connect(http, server)
        await recv(ws)
        vad = {"type": "server_vad", "auto_truncate": True, "interrupt_response": False}
        assert (await update(ws, {"turn_detection": vad}))["session"]["turn_detection"]["auto_truncate"]
        await ws.send_json(say("Tell me something long"))
        await ws.send_json({"type": "response.create"})
        await recv_until(ws, "response.done")
        for event in append(silence_pcm16(100) + sine_pcm16(600, 300) + silence_pcm16(700)):
            await ws.send_json(event)
        after = await recv_until(ws, "response.done")  # the user's turn gets its own response
        assert "input_audio_buffer.speech_started" in types(after)
        assert "conversation.item.truncated" not in types(after)
        await ws.close()


# --- shapes ---------------------------------------------------------------------------------------


async def test_a_user_audio_part_carries_audio_null(http: aiohttp.ClientSession) -> None:
    # reference, conversation.item.created "Example with Audio Item": "audio": null
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        await update(ws, {"turn_detection": None})
        for event in append(sine_pcm16(300, 300)):
            await ws.send_json(event)
        await ws.send_json({"type": "input_audio_buffer.commit"})
        created = (await recv_until(ws, "conversation.item.created"))[-1]
        assert created["item"]["content"] == [{"type": "input_audio", "audio": None, "transcript": None}]
        audio = pcm16_to_base64(sine_pcm16(300, 200))
        item = {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": audio}]}
        await ws.send_json({"type": "conversation.item.create", "item": item})
        echoed = (await recv_until(ws, "conversation.item.created"))[-1]
        assert echoed["item"]["content"][0]["audio"] is None
        await ws.send_json({"type": "conversation.item.retrieve", "item_id": echoed["item"]["id"]})
        retrieved = (await recv_until(ws, "conversation.item.retrieved"))[-1]
        assert retrieved["item"]["content"][0]["audio"] == audio  # retrieval returns the audio
        await ws.close()


async def test_output_audio_buffer_clear_is_for_avatar_mode(http: aiohttp.ClientSession) -> None:
    # reference, output_audio_buffer.clear: "only supported in avatar mode". The docs name no error
    # code: the fake answers avatar_not_configured (the service's state-error style).
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await connect(http, server)
        await recv(ws)
        await ws.send_json({"type": "output_audio_buffer.clear", "event_id": "c1"})
        error = await recv(ws)
        assert error["type"] == "error"
        assert error["error"]["code"] == "avatar_not_configured" and error["error"]["event_id"] == "c1"
        assert error["error"]["type"] == "invalid_request_error"
        assert "avatar mode" in error["error"]["message"]
        await update(ws, {"avatar": {"character": "lisa", "customized": False}})
        await ws.send_json({"type": "output_audio_buffer.clear"})
        assert (await recv(ws))["type"] == "output_audio_buffer.cleared"
        await ws.close()


# --- credentials in the query (reference, "Authentication": for browsers) ------------------------


async def test_credentials_in_the_query_are_accepted_and_redacted(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(pacing="instant", api_key="k-123", bearer_token="t-456") as server:
        ws = await http.ws_connect(server.url + query() + "&api-key=k-123")
        assert (await recv(ws))["type"] == "session.created"
        await ws.close()
        ws = await http.ws_connect(server.url + query() + "&Authorization=Bearer%20t-456")
        assert (await recv(ws))["type"] == "session.created"
        await ws.close()
        for wrong in ("&api-key=nope", "&Authorization=Bearer%20nope", "&Authorization=t-456", ""):
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await http.ws_connect(server.url + query() + wrong)
            assert info.value.status == 401, wrong
        assert [r["status"] for r in server.requests] == [101, 101, 401, 401, 401, 401]
        for request in server.requests:
            for name, value in request["query"].items():
                if name.lower() in ("api-key", "authorization"):
                    assert value == "***"
        assert "k-123" not in repr(server.requests) and "t-456" not in repr(server.requests)
    async with FakeVoiceLiveServer(pacing="instant") as open_server:  # no credential configured
        ws = await http.ws_connect(open_server.url + query() + "&api-key=anything")
        assert (await recv(ws))["type"] == "session.created"
        await ws.close()


# --- MCP (reference: MCPTool, mcp_* events; MCP how-to and its includes; the official samples) ----

MCP = {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example/docs"}


async def mcp_session(http: aiohttp.ClientSession, server: FakeVoiceLiveServer, tool: dict[str, Any]) -> Any:
    ws = await connect(http, server)
    await recv(ws)
    await ws.send_json({"type": "session.update", "session": {"tools": [tool], "modalities": ["text"]}})
    await recv_until(ws, "conversation.item.created")  # the mcp_list_tools item
    return ws


async def test_an_mcp_call_ends_the_response_and_runs_after_it(http: aiohttp.ClientSession) -> None:
    # The service runs the call after response.done; the client sends response.create to hear the
    # result (the official samples do so on response.mcp_call.completed).
    responder = DefaultResponder(mcp_results={"search": '{"answer":"42"}'})
    async with FakeVoiceLiveServer(pacing="instant", responder=responder) as server:
        ws = await mcp_session(http, server, {**MCP, "require_approval": "never"})
        await ws.send_json(say("search the docs for the answer"))
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        assert [i["type"] for i in events[-1]["response"]["output"]] == ["mcp_call"]
        created = next(
            e for e in events if e["type"] == "conversation.item.created" and e["item"]["type"] == "mcp_call"
        )
        assert created["item"]["arguments"] == ""  # then the arguments stream
        args = [e for e in events if e["type"].startswith("response.mcp_call_arguments.")]
        assert args[-1]["type"] == "response.mcp_call_arguments.done"
        assert "".join(e["delta"] for e in args[:-1]) == args[-1]["arguments"]
        assert json.loads(args[-1]["arguments"]) == {"query": "search the docs for the answer"}
        ran = await recv_until(ws, "response.output_item.done")
        assert types(ran) == [
            "response.mcp_call.in_progress",
            "response.mcp_call.completed",
            "response.output_item.done",
        ]
        assert ran[-1]["response_id"] == events[-1]["response"]["id"]
        assert (
            ran[-1]["item"]["output"] == '{"answer":"42"}' and ran[-1]["item"]["approval_request_id"] is None
        )
        await ws.send_json({"type": "response.create"})
        answer = await recv_until(ws, "response.done")
        assert next(e for e in answer if e["type"] == "response.text.done")["text"] == "The result is: 42."
        await ws.close()


async def test_an_mcp_tool_runs_only_once_approved(http: aiohttp.ClientSession) -> None:
    ran: list[dict[str, Any]] = []

    def search(arguments: dict[str, Any]) -> str:
        ran.append(arguments)
        return "found it"

    responder = DefaultResponder(mcp_results={"search": search})
    async with FakeVoiceLiveServer(pacing="instant", responder=responder) as server:
        ws = await mcp_session(http, server, MCP)  # require_approval defaults to "always"
        for decision in (False, True):
            await ws.send_json(say("search for pricing"))
            await ws.send_json({"type": "response.create"})
            request = (await recv_until(ws, "response.done"))[-1]["response"]["output"][1]
            assert ran == []  # asked, not run
            answer = {
                "type": "mcp_approval_response",
                "approval_request_id": request["id"],
                "approve": decision,
            }
            await ws.send_json({"type": "conversation.item.create", "item": answer})
            await recv_until(ws, "conversation.item.created")
            if decision:
                await recv_until(ws, "response.output_item.done")
        assert ran == [{"query": "search for pricing"}]
        # A request is answered once.
        answer = {"type": "mcp_approval_response", "approval_request_id": request["id"], "approve": True}
        await ws.send_json({"type": "conversation.item.create", "item": answer, "event_id": "again"})
        assert_invalid(await recv(ws), "item.approval_request_id", "again")
        await ws.send_json({"type": "response.create"})
        text = next(e for e in await recv_until(ws, "response.done") if e["type"] == "response.text.done")
        assert text["text"] == "The result is: found it."
        await ws.close()


@pytest.mark.parametrize(
    ("rule", "asked"),
    [
        ("never", False),
        ("always", True),
        ({"never": ["search"]}, False),
        ({"always": ["search"]}, True),
        ({"never": ["other"], "always": ["another"]}, True),  # not listed: "always" (MCP how-to)
    ],
)
async def test_mcp_approval_rules(http: aiohttp.ClientSession, rule: Any, asked: bool) -> None:
    async with FakeVoiceLiveServer(pacing="instant") as server:
        ws = await mcp_session(http, server, {**MCP, "require_approval": rule})
        await ws.send_json(say("search for pricing"))
        await ws.send_json({"type": "response.create"})
        output = (await recv_until(ws, "response.done"))[-1]["response"]["output"]
        assert [i["type"] for i in output] == ["mcp_call"] + (["mcp_approval_request"] if asked else [])
        await ws.close()


async def test_a_reply_after_an_mcp_call_fails_the_response(http: aiohttp.ClientSession) -> None:
    responder = ScriptedResponder(
        [McpCallReply("docs", "search", {"query": "x"}, output="ok"), TextReply("Done.")]
    )
    async with FakeVoiceLiveServer(pacing="instant", responder=responder) as server:
        ws = await mcp_session(http, server, {**MCP, "require_approval": "never"})
        await ws.send_json({"type": "response.create"})
        done = (await recv_until(ws, "response.done"))[-1]["response"]
        assert done["status"] == "failed"
        assert "McpCallReply must come last" in done["status_details"]["error"]["message"]
        assert [type(e) for e in server.errors] == [TypeError]
        server.errors.clear()
        await ws.close()


# --- gaps filled: a pre-generated assistant message; the transcription's place --------------------


async def test_a_pre_generated_assistant_message_is_spoken_without_the_model(
    http: aiohttp.ClientSession,
) -> None:
    # reference, response.create "Example with pre-generated assistant message": the service speaks
    # the text (one text part) and adds the message to the conversation.
    responder = ScriptedResponder("The model would have said this.")
    async with FakeVoiceLiveServer(pacing="instant", responder=responder) as server:
        ws = await connect(http, server)
        await recv(ws)
        message = {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": "repeat what I say"}],
        }
        await ws.send_json(
            {"type": "response.create", "response": {"pre_generated_assistant_message": message}}
        )
        events = await recv_until(ws, "response.done")
        done = next(e for e in events if e["type"] == "response.audio_transcript.done")
        assert done["transcript"] == "repeat what I say"
        assert any(e["type"] == "response.audio.delta" for e in events)
        item_id = events[-1]["response"]["output"][0]["id"]
        await ws.send_json({"type": "conversation.item.retrieve", "item_id": item_id})
        retrieved = (await recv_until(ws, "conversation.item.retrieved"))[-1]["item"]
        assert (
            retrieved["role"] == "assistant" and retrieved["content"][0]["transcript"] == "repeat what I say"
        )
        assert responder.calls == []  # no model inference
        two = {**message, "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
        await ws.send_json(
            {
                "type": "response.create",
                "response": {"pre_generated_assistant_message": two},
                "event_id": "p1",
            }
        )
        assert_invalid(await recv(ws), "response.pre_generated_assistant_message.content", "p1")
        user = {**message, "role": "user"}
        await ws.send_json(
            {
                "type": "response.create",
                "response": {"pre_generated_assistant_message": user},
                "event_id": "p2",
            }
        )
        assert_invalid(await recv(ws), "response.pre_generated_assistant_message.role", "p2")
        await ws.close()


@pytest.mark.parametrize("first", [True, False])
async def test_the_transcription_can_come_before_or_after_the_response(
    http: aiohttp.ClientSession, first: bool
) -> None:
    # reference, conversation.item.input_audio_transcription.completed: "this event can come
    # before or after the response events".
    pacing = Pacing(transcription_first=first)
    async with FakeVoiceLiveServer(pacing=pacing, transcriber=lambda pcm, rate: "hello there") as server:
        ws = await connect(http, server)
        await recv(ws)
        await update(ws, {"input_audio_transcription": {"model": "whisper-1"}})
        for event in append(silence_pcm16(200) + sine_pcm16(800, 300) + silence_pcm16(700)):
            await ws.send_json(event)
        events = await recv_until(ws, "response.done")
        if "conversation.item.input_audio_transcription.completed" not in types(events):
            events += await recv_until(ws, "conversation.item.input_audio_transcription.completed")
        kinds = types(events)
        completed = kinds.index("conversation.item.input_audio_transcription.completed")
        assert (completed < kinds.index("response.created")) is first
        assert events[completed]["transcript"] == "hello there"
        await ws.close()
    with pytest.raises(ValueError, match="transcription_first"):
        Pacing(transcription_first="yes")  # type: ignore[arg-type]
