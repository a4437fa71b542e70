"""The fake service over real sockets, driven by a raw aiohttp websocket client."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest

from azure.ai.voicelive.audio import pcm16_to_base64, silence_pcm16, sine_pcm16
from azure.ai.voicelive.testing import FakeVoiceLiveServer, Faults, TextReply

QUERY = "?api-version=2026-07-15&model=gpt-realtime"
KEY = {"api-key": "secret"}
WAIT = 5.0


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


def say(text: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
    }


# --- handshake -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?model=gpt-realtime", "MissingApiVersionParameter"),
        ("?api-version=2026-07-15", "BadRequest"),
        ("?api-version=2026-07-15&agent-name=a", "BadRequest"),
        ("?api-version=2026-07-15&agent-project-name=p", "BadRequest"),
    ],
)
async def test_bad_query_is_rejected_with_400(http: aiohttp.ClientSession, query: str, code: str) -> None:
    async with FakeVoiceLiveServer() as server:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(server.url + query, headers=KEY)
        assert info.value.status == 400
        async with http.get(server.url.replace("ws://", "http://") + query, headers=KEY) as resp:
            assert resp.status == 400
            body = await resp.json()
        assert body["error"]["code"] == code and body["error"]["message"]
        assert server.connections == 0 and server.requests[0]["status"] == 400


@pytest.mark.parametrize(
    ("server_kwargs", "headers", "accepted"),
    [
        ({}, {}, False),
        ({}, {"api-key": "anything"}, True),
        ({}, {"Authorization": "Bearer any-token"}, True),
        ({}, {"Authorization": "Basic abc"}, False),
        ({"api_key": "secret"}, {"api-key": "secret"}, True),
        ({"api_key": "secret"}, {"api-key": "wrong"}, False),
        ({"api_key": "secret"}, {"Authorization": "Bearer any-token"}, False),
        ({"bearer_token": "tok"}, {"Authorization": "Bearer tok"}, True),
        ({"bearer_token": "tok"}, {"Authorization": "Bearer other"}, False),
        ({"bearer_token": "tok"}, {"api-key": "k"}, False),
        ({"api_key": "secret", "bearer_token": "tok"}, {"api-key": "secret"}, True),
    ],
)
async def test_credentials(
    http: aiohttp.ClientSession, server_kwargs: dict[str, Any], headers: dict[str, str], accepted: bool
) -> None:
    async with FakeVoiceLiveServer(**server_kwargs) as server:
        if accepted:
            async with http.ws_connect(server.url + QUERY, headers=headers) as ws:
                assert (await recv(ws))["type"] == "session.created"
        else:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await http.ws_connect(server.url + QUERY, headers=headers)
            assert info.value.status == 401
            async with http.get(server.url.replace("ws://", "http://") + QUERY, headers=headers) as resp:
                assert resp.status == 401
                body = await resp.json()
            assert body["error"]["code"] == "401" and "Access denied" in body["error"]["message"]
        assert all(r["headers"].get("api-key", "***") == "***" for r in server.requests)  # redacted


async def test_other_paths_and_plain_http(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer() as server:
        async with http.get(server.endpoint + "/openai/realtime") as resp:
            assert resp.status == 404 and (await resp.json())["error"]["code"] == "404"
        async with http.get(server.endpoint + "/voice-live/realtime" + QUERY, headers=KEY) as resp:
            assert resp.status == 400 and "websocket" in (await resp.json())["error"]["message"]


async def test_session_created_and_text_round_trip(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer() as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.endpoint)
        assert server.url == f"ws://127.0.0.1:{server.port}/voice-live/realtime" and server.port > 0
        async with http.ws_connect(server.url + QUERY, headers=KEY) as ws:
            created = await recv(ws)
            assert created["type"] == "session.created"
            assert re.fullmatch(r"event_[0-9A-Za-z]{21}", created["event_id"])
            assert re.fullmatch(r"sess_[0-9A-Za-z]{21}", created["session"]["id"])
            assert created["session"]["model"] == "gpt-realtime"
            assert server.connections == 1
            await ws.send_json({**say("Hello server"), "event_id": "c1"})
            await ws.send_json({"type": "response.create", "event_id": "c2"})
            events = await recv_until(ws, "response.done")
            assert events[0]["type"] == "conversation.item.created"
            assert events[-1]["response"]["status"] == "completed"
            transcript = next(e for e in events if e["type"] == "response.audio_transcript.done")[
                "transcript"
            ]
            assert transcript == 'You said: "Hello server".'
            audio = b"".join(
                base64.b64decode(e["delta"]) for e in events if e["type"] == "response.audio.delta"
            )
            assert len(audio) > 48000
            ids = [e["event_id"] for e in [created, *events]]
            assert len(set(ids)) == len(ids)
        assert [e.get("event_id") for e in server.received] == ["c1", "c2"]
        (sim,) = server.sessions
        assert [i["role"] for i in sim.conversation] == ["user", "assistant"]
        for _ in range(100):
            if server.connections == 0:
                break
            await asyncio.sleep(0.01)
        assert server.connections == 0 and sim.closed


async def test_agent_mode_handshake(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer() as server:
        url = server.url + "?api-version=2026-07-15&agent-name=helper&agent-project-name=proj"
        async with http.ws_connect(url, headers={"Authorization": "Bearer t"}) as ws:
            session = (await recv(ws))["session"]
        assert session["agent"]["name"] == "helper" and session["model"] is None
        assert server.requests[0]["query"]["agent-name"] == "helper"


async def test_bad_frames_get_errors_and_the_session_goes_on(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer() as server, http.ws_connect(server.url + QUERY, headers=KEY) as ws:
        await recv(ws)
        await ws.send_str("{oops")
        assert (await recv(ws))["error"]["code"] == "invalid_json"
        await ws.send_bytes(b"\x01\x02")
        assert (await recv(ws))["error"]["code"] == "invalid_frame"
        await ws.send_json({"type": "what.ever", "event_id": "x1"})
        error = await recv(ws)
        assert error["error"]["code"] == "invalid_value" and error["error"]["event_id"] == "x1"
        await ws.send_json(say("ok"))
        await ws.send_json({"type": "response.create"})
        assert (await recv_until(ws, "response.done"))[-1]["response"]["status"] == "completed"


async def test_voice_activity_over_the_socket(http: aiohttp.ClientSession) -> None:
    async with (
        FakeVoiceLiveServer(transcriber=lambda pcm, rate: "turn on the lights") as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as ws,
    ):
        await recv(ws)
        await ws.send_json(
            {"type": "session.update", "session": {"input_audio_transcription": {"model": "whisper-1"}}}
        )
        await recv(ws)
        audio = silence_pcm16(400) + sine_pcm16(180, 800) + silence_pcm16(800)
        for i in range(0, len(audio), 960):
            await ws.send_json(
                {"type": "input_audio_buffer.append", "audio": pcm16_to_base64(audio[i : i + 960])}
            )
        events = await recv_until(ws, "response.done")
        kinds = [e["type"] for e in events]
        assert kinds[:4] == [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.created",
        ]
        # speech at 400 ms minus the 400 ms default padding; its end at 1200 ms plus 500 ms silence
        assert events[0]["audio_start_ms"] == 0 and abs(events[1]["audio_end_ms"] - 1700) <= 20
        done = next(e for e in events if e["type"] == "response.audio_transcript.done")
        assert done["transcript"] == 'You said: "turn on the lights".'


# --- realtime pacing and cancellation ------------------------------------------------------------


async def test_realtime_audio_is_paced_and_cancel_stops_it(http: aiohttp.ClientSession) -> None:
    async with (
        FakeVoiceLiveServer(realtime=True) as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as ws,
    ):
        await recv(ws)
        await ws.send_json(say("Please tell me a rather long story about the sea"))
        await ws.send_json({"type": "response.create"})
        start = time.monotonic()
        audio_ms = 0.0
        while audio_ms < 500:
            event = await recv(ws)
            if event["type"] == "response.audio.delta":
                audio_ms += len(base64.b64decode(event["delta"])) / 48
        elapsed = time.monotonic() - start
        # 500 ms of audio generated 4 times faster than playback: 125 ms, neither instant nor real time
        assert 0.1 <= elapsed <= 2.0
        await ws.send_json({"type": "response.cancel"})
        events = await recv_until(ws, "response.done")
        assert events[-1]["response"]["status"] == "cancelled"
        assert time.monotonic() - start < 2.5
        item = events[-1]["response"]["output"][0]
        assert item["status"] == "incomplete"
        # nothing more is streamed after the cancellation
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.receive(), 0.3)


async def test_async_responder_over_the_socket(http: aiohttp.ClientSession) -> None:
    async def responder(conversation: list[dict[str, Any]], session: dict[str, Any]) -> TextReply:
        await asyncio.sleep(0.01)
        return TextReply(f"{len(conversation)} items so far.")

    async with (
        FakeVoiceLiveServer(responder=responder) as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as ws,
    ):
        await recv(ws)
        await ws.send_json({"type": "session.update", "session": {"modalities": ["text"]}})
        await ws.send_json(say("hi"))
        await ws.send_json({"type": "response.create"})
        events = await recv_until(ws, "response.done")
        assert next(e for e in events if e["type"] == "response.text.done")["text"] == "1 items so far."


# --- faults --------------------------------------------------------------------------------------


async def test_close_after_n_events_with_code_and_reason(http: aiohttp.ClientSession) -> None:
    async with (
        FakeVoiceLiveServer(faults=Faults(close_after=1, close_code=4001, close_reason="boom")) as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as ws,
    ):
        assert (await recv(ws))["type"] == "session.created"
        msg = await asyncio.wait_for(ws.receive(), WAIT)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert (msg.data, msg.extra) == (4001, "boom")
        assert ws.close_code == 4001


async def test_close_right_after_the_handshake(http: aiohttp.ClientSession) -> None:
    async with (
        FakeVoiceLiveServer(faults=Faults(close_after=0, close_code=1008, close_reason="policy")) as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as ws,
    ):
        msg = await asyncio.wait_for(ws.receive(), WAIT)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1008 and msg.extra == "policy"


async def test_close_mid_response(http: aiohttp.ClientSession) -> None:
    async with (
        FakeVoiceLiveServer(faults=Faults(close_after=6, close_code=1011, close_reason="oops")) as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as ws,
    ):
        await recv(ws)
        await ws.send_json(say("hello"))
        await ws.send_json({"type": "response.create"})
        kinds = []
        while True:
            msg = await asyncio.wait_for(ws.receive(), WAIT)
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            kinds.append(json.loads(msg.data)["type"])
        assert len(kinds) == 5 and "response.done" not in kinds
        assert msg.type == aiohttp.WSMsgType.CLOSE and (msg.data, msg.extra) == (1011, "oops")


async def test_drop_after_n_events_aborts_the_connection(http: aiohttp.ClientSession) -> None:
    async with (
        FakeVoiceLiveServer(faults=Faults(drop_after=1)) as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as ws,
    ):
        assert (await recv(ws))["type"] == "session.created"
        msg = await asyncio.wait_for(ws.receive(), WAIT)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE)
        assert msg.type != aiohttp.WSMsgType.CLOSE or msg.data == 1006
        assert ws.close_code not in (1000, 1001)
        for _ in range(100):
            if server.connections == 0:
                break
            await asyncio.sleep(0.01)
        assert server.connections == 0


@pytest.mark.parametrize(
    ("faults", "expect"),
    [
        (Faults(malformed_after=1), (aiohttp.WSMsgType.TEXT, "this is not JSON {")),
        (Faults(non_object_after=1), (aiohttp.WSMsgType.TEXT, '["not", "an", "object"]')),
        (Faults(binary_after=1), (aiohttp.WSMsgType.BINARY, b"\x00\x01binary\xff")),
        (Faults(malformed_after=1, malformed_frame="<html>"), (aiohttp.WSMsgType.TEXT, "<html>")),
    ],
)
async def test_junk_frames_then_the_session_continues(
    http: aiohttp.ClientSession, faults: Faults, expect: tuple[aiohttp.WSMsgType, Any]
) -> None:
    async with (
        FakeVoiceLiveServer(faults=faults) as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as ws,
    ):
        assert (await recv(ws))["type"] == "session.created"
        msg = await asyncio.wait_for(ws.receive(), WAIT)
        assert (msg.type, msg.data) == expect
        await ws.send_json({"type": "response.create"})
        assert (await recv_until(ws, "response.done"))[-1]["response"]["status"] == "completed"


async def test_event_delay(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(faults=Faults(event_delay=0.2)) as server:
        start = time.monotonic()
        async with http.ws_connect(server.url + QUERY, headers=KEY) as ws:
            await recv(ws)
            first = time.monotonic() - start
            await ws.send_json({"type": "input_audio_buffer.clear"})
            await recv(ws)
            second = time.monotonic() - start
        assert first >= 0.19 and second - first >= 0.19


@pytest.mark.parametrize(
    ("faults", "status", "body", "retry_after"),
    [
        (Faults(reject_status=429, retry_after=7), 429, {"error": {"code": "429"}}, "7"),
        (Faults(reject_status=503, retry_after=0.5, reject_body="down"), 503, "down", "0.5"),
        (
            Faults(reject_status=403, reject_body={"error": {"code": "Forbidden"}}),
            403,
            {"error": {"code": "Forbidden"}},
            None,
        ),
        (Faults(reject_status=404), 404, {"error": {"code": "404"}}, None),
        (Faults(reject_status=401), 401, {"error": {"code": "401"}}, None),
        (Faults(reject_status=500, reject_body=b"\x00", reject_headers={"X-Test": "1"}), 500, b"\x00", None),
    ],
)
async def test_handshake_rejection(
    http: aiohttp.ClientSession, faults: Faults, status: int, body: Any, retry_after: str | None
) -> None:
    async with FakeVoiceLiveServer(faults=faults) as server:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(server.url + QUERY, headers=KEY)
        assert info.value.status == status
        headers = info.value.headers
        assert headers is not None and headers.get("Retry-After") == retry_after
        async with http.get(server.url.replace("ws://", "http://") + QUERY, headers=KEY) as resp:
            assert resp.status == status
            if isinstance(body, dict):
                got = await resp.json()
                assert got["error"]["code"] == body["error"]["code"]
            elif isinstance(body, bytes):
                assert await resp.read() == body and resp.headers["X-Test"] == "1"
            else:
                assert await resp.text() == body
        assert server.sessions == []


async def test_faults_change_at_runtime_for_new_connections(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer() as server:
        async with http.ws_connect(server.url + QUERY, headers=KEY) as first:
            await recv(first)
            assert server.inject(reject_status=503, retry_after=1) == Faults(reject_status=503, retry_after=1)
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(server.url + QUERY, headers=KEY)
            server.faults = Faults(close_after=1, close_code=4000)
            async with http.ws_connect(server.url + QUERY, headers=KEY) as second:
                await recv(second)
                assert (await asyncio.wait_for(second.receive(), WAIT)).data == 4000
            # the first connection kept the faults it started with
            await first.send_json({"type": "input_audio_buffer.clear"})
            assert (await recv(first))["type"] == "input_audio_buffer.cleared"
        with pytest.raises(TypeError):
            server.inject(no_such_fault=1)


async def test_close_all(http: aiohttp.ClientSession) -> None:
    async with (
        FakeVoiceLiveServer() as server,
        http.ws_connect(server.url + QUERY, headers=KEY) as a,
        http.ws_connect(server.url + QUERY, headers=KEY) as b,
    ):
        await recv(a)
        await recv(b)
        assert server.connections == 2
        closing = asyncio.ensure_future(server.close_all(4002, "maintenance"))
        for ws in (a, b):
            msg = await asyncio.wait_for(ws.receive(), WAIT)
            assert msg.type == aiohttp.WSMsgType.CLOSE and (msg.data, msg.extra) == (4002, "maintenance")
        await asyncio.wait_for(closing, WAIT)
        assert server.connections == 0
        assert all(sim.closed for sim in server.sessions)


async def test_start_and_stop_are_idempotent(http: aiohttp.ClientSession) -> None:
    server = FakeVoiceLiveServer()
    assert await server.start() is server
    port = server.port
    await server.start()
    assert server.port == port
    ws = await http.ws_connect(server.url + QUERY, headers=KEY)
    await recv(ws)
    stopping = asyncio.ensure_future(server.stop())
    msg = await asyncio.wait_for(ws.receive(), WAIT)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
    await asyncio.wait_for(stopping, WAIT)
    await server.stop()
    await ws.close()
    with pytest.raises(aiohttp.ClientConnectionError):
        await http.ws_connect(server.url + QUERY, headers=KEY)


# --- pytest plugin and command line --------------------------------------------------------------


async def test_voicelive_server_fixture(
    voicelive_server: FakeVoiceLiveServer, http: aiohttp.ClientSession
) -> None:
    assert isinstance(voicelive_server, FakeVoiceLiveServer)
    assert voicelive_server.connections == 0 and voicelive_server.api_key is None
    async with http.ws_connect(voicelive_server.url + QUERY, headers=KEY) as ws:
        assert (await recv(ws))["type"] == "session.created"


def test_plugin_is_registered_through_the_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("voicelive")
    assert plugin is not None and plugin.__name__ == "azure.ai.voicelive.testing._plugin"


async def test_command_line_runs_the_server(http: aiohttp.ClientSession) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "azure.ai.voicelive.testing", "--port", "0", "--api-key", "cli-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 20)
        match = re.fullmatch(
            r"Fake Voice Live server listening on (http://127\.0\.0\.1:\d+) \(Ctrl\+C to stop\)\n", line
        )
        assert match, line
        url = match.group(1).replace("http://", "ws://") + "/voice-live/realtime" + QUERY
        async with http.ws_connect(url, headers={"api-key": "cli-key"}) as ws:
            assert (await recv(ws))["type"] == "session.created"
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(url, headers={"api-key": "other"})
    finally:
        proc.terminate()
        try:
            code = await asyncio.to_thread(proc.wait, 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            raise
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert code == 0


async def test_record_false_keeps_nothing(http: aiohttp.ClientSession) -> None:
    async with FakeVoiceLiveServer(record=False) as server:
        async with http.ws_connect(server.url + QUERY, headers=KEY) as ws:
            await recv(ws)
            await ws.send_json({"type": "input_audio_buffer.clear"})
            await recv(ws)
            assert len(server.sessions) == 1
        for _ in range(100):
            if not server.sessions:
                break
            await asyncio.sleep(0.01)
        assert server.sessions == [] and server.received == [] and server.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"close_code": 1006},
        {"close_code": 999},
        {"close_code": 5000},
        {"close_after": -1},
        {"drop_after": True},
        {"event_delay": -0.1},
        {"reject_status": 101},
    ],
)
def test_invalid_faults_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Faults"):
        Faults(**kwargs)


async def test_redirect_rejection_carries_the_location(http: aiohttp.ClientSession) -> None:
    faults = Faults(reject_status=307, reject_headers={"Location": "http://127.0.0.1:9/elsewhere"})
    async with FakeVoiceLiveServer(faults=faults) as server:
        url = server.url.replace("ws://", "http://") + QUERY
        async with http.get(url, allow_redirects=False) as resp:
            assert resp.status == 307 and resp.headers["Location"] == "http://127.0.0.1:9/elsewhere"


async def test_drop_all_aborts_every_connection_without_a_close_frame() -> None:
    from azure.core.credentials import AzureKeyCredential

    from azure.ai.voicelive.aio import ConnectionClosed, connect

    async with FakeVoiceLiveServer(pacing="instant") as server:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            assert (await conn.recv()).type == "session.created"
            assert await server.drop_all() == 1
            with pytest.raises(ConnectionClosed) as info:
                await asyncio.wait_for(conn.recv(), 5)
            assert info.value.code == 1006
        assert await server.drop_all() == 0


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("70000", "argument --port: 70000 is out of range (0-65535; 0 picks a free port) (see --help)"),
        ("-1", "argument --port: -1 is out of range (0-65535; 0 picks a free port) (see --help)"),
        ("eighty", "argument --port: 'eighty' is not a port number (see --help)"),
    ],
)
def test_cli_rejects_a_bad_port_in_one_line(port: str, message: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "azure.ai.voicelive.testing", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr == f"python -m azure.ai.voicelive.testing: error: {message}\n"


async def test_cli_reports_a_port_in_use_in_one_line() -> None:
    async with FakeVoiceLiveServer() as taken:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "azure.ai.voicelive.testing",
            "--port",
            str(taken.port),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"python -m azure.ai.voicelive.testing: error: cannot listen on 127.0.0.1:{taken.port}:"
    )
    assert lines[0].endswith("(try another --port, or --port 0 for a free one)")
    assert b"Traceback" not in stdout + stderr
