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
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from azure.ai.voicelive.testing import FakeVoiceLiveServer, Simulator

KEY = {"api-key": "secret"}
WAIT = 5.0


def query(model: str = "gpt-realtime", version: str = "2026-04-10") -> str:
    return f"?api-version={version}&model={model}"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


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
