"""connect(): URL, headers, credentials, options, redirects and handshake failures over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import re
import time
from typing import Any

import aiohttp
import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError

from azure.ai.voicelive.aio import (
    ConnectionClosed,
    ConnectionError,
    VoiceLiveConnection,
    WebsocketConnectionOptions,
    connect,
)

from .conftest import WAIT, FakeAsyncCredential, FakeSyncCredential, ScriptedServer, SessionRecorder

KEY = "KEY-SECRET-0123456789"
UA = re.compile(r"voicelive-python/\S+ Python/\d+\.\d+\.\d+\S* \(.+\)")


def key() -> AzureKeyCredential:
    return AzureKeyCredential(KEY)


async def open_and_close(**kwargs: Any) -> None:
    if "agent_name" not in kwargs and "query" not in kwargs:
        kwargs.setdefault("model", "m")
    async with connect(**kwargs) as conn:
        assert isinstance(conn, VoiceLiveConnection)


# ------------------------------------------------------------------ URL and headers
async def test_key_credential_url_and_headers(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_HTTP_USER_AGENT", raising=False)
    await open_and_close(endpoint=server.url + "/", credential=key(), model="gpt-4o-realtime-preview")
    [req] = server.requests
    assert req.method == "GET"
    assert req.path == "/voice-live/realtime"
    names = [name for name, _ in req.query]
    assert names == ["api-version", "x-ms-client-sdk", "model"]
    query = dict(req.query)
    assert query["api-version"] == "2026-07-15"
    assert query["model"] == "gpt-4o-realtime-preview"
    assert UA.fullmatch(query["x-ms-client-sdk"])
    assert req.headers["api-key"] == KEY
    assert "authorization" not in req.headers
    assert req.headers["user-agent"] == query["x-ms-client-sdk"]


@pytest.mark.parametrize("factory", [FakeAsyncCredential, FakeSyncCredential])
@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (None, ("https://ai.azure.com/.default",)),
        ("https://cognitiveservices.azure.com/.default", ("https://cognitiveservices.azure.com/.default",)),
        (["s1", "s2"], ("s1", "s2")),
    ],
)
async def test_token_credentials(
    server: ScriptedServer, factory: type[Any], scopes: Any, expected: tuple[str, ...]
) -> None:
    credential = factory()
    await open_and_close(endpoint=server.url, credential=credential, model="m", credential_scopes=scopes)
    assert credential.scopes == [expected]
    [req] = server.requests
    assert req.headers["authorization"] == f"Bearer {credential.token}"
    assert "api-key" not in req.headers


async def test_agent_mode_query_order(server: ScriptedServer) -> None:
    await open_and_close(
        endpoint=server.url,
        credential=key(),
        api_version="2025-10-01",
        agent_name="my-agent",
        project_name="my-project",
        agent_version="7",
        conversation_id="conv-1",
        authentication_identity_client_id="client-id",
        foundry_resource_override="other-resource",
    )
    [req] = server.requests
    assert [name for name, _ in req.query] == [
        "api-version",
        "x-ms-client-sdk",
        "agent-name",
        "agent-project-name",
        "agent-version",
        "conversation-id",
        "agent-authentication-identity-client-id",
        "foundry-resource-override",
    ]
    query = dict(req.query)
    assert query["api-version"] == "2025-10-01"
    assert query["agent-name"] == "my-agent"
    assert query["agent-project-name"] == "my-project"
    assert query["foundry-resource-override"] == "other-resource"
    assert "model" not in query


async def test_user_query_overrides_and_endpoint_query_kept(server: ScriptedServer) -> None:
    await open_and_close(
        endpoint=server.url + "/?tenant=t1&model=from-endpoint",
        credential=key(),
        model="m",
        query={"api-version": "preview", "feature": True},
    )
    [req] = server.requests
    assert req.query[:2][0] == ("api-version", "preview")
    assert [name for name, _ in req.query] == ["api-version", "x-ms-client-sdk", "model", "feature", "tenant"]
    assert dict(req.query)["model"] == "m"
    assert dict(req.query)["feature"] == "true"


async def test_user_headers_and_user_agent_rules(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_HTTP_USER_AGENT", "contoso-app/1.2")
    await open_and_close(
        endpoint=server.url, credential=key(), headers={"x-ms-client-request-id": "abc", "X-N": 5}
    )
    await open_and_close(
        endpoint=server.url, credential=key(), headers={"User-Agent": "custom/1", "api-key": "ignored"}
    )
    first, second = server.requests
    assert first.headers["x-ms-client-request-id"] == "abc"
    assert first.headers["x-n"] == "5"
    assert first.headers["user-agent"].endswith(" contoso-app/1.2")
    assert UA.fullmatch(first.headers["user-agent"].removesuffix(" contoso-app/1.2"))
    assert dict(first.query)["x-ms-client-sdk"] == first.headers["user-agent"]
    # The caller's User-Agent is sent as is; the credential's api-key wins.
    assert second.headers["user-agent"] == "custom/1"
    assert second.headers["api-key"] == KEY
    assert dict(second.query)["x-ms-client-sdk"].endswith(" contoso-app/1.2")


# ------------------------------------------------------------------ call-time validation
def test_connect_is_sync_and_returns_async_context_manager(server: ScriptedServer) -> None:
    manager = connect(endpoint=server.url, credential=key(), model="m")
    assert isinstance(manager, contextlib.AbstractAsyncContextManager)
    assert server.requests == []  # no I/O before entering
    assert KEY not in repr(manager)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"agent_name": "a"},
            ValueError,
            r"^Both 'agent_name' and 'project_name' are required when connecting to an Azure AI Foundry "
            r"agent\. Missing project_name",
        ),
        ({"project_name": "p"}, ValueError, "'agent_name' and 'project_name' are required"),
        ({"conversation_id": "c"}, ValueError, "only apply to agent sessions"),
        ({"endpoint": "myres.services.ai.azure.com"}, ValueError, "absolute https:// URL"),
        ({"api_version": ""}, ValueError, "api_version"),
        ({"credential": "raw-key"}, TypeError, "AzureKeyCredential"),
        ({"credential": object()}, TypeError, "token credential"),
        ({"headers": ["x"]}, TypeError, "headers must be a mapping"),
        ({"connection_options": {"heartbeat_interval": 1}}, TypeError, "unknown connection_options key"),
        ({"connection_options": {"compression": 20}}, ValueError, "window size"),
        ({"connection_options": {"max_msg_size": -1}}, ValueError, "max_msg_size"),
        ({"connection_options": {"heartbeat": "5"}}, ValueError, "heartbeat"),
        ({"connection_options": {"autoping": "yes"}}, ValueError, "autoping"),
        ({"connection_options": {"vendor_options": {"not_a_kw": 1}}}, TypeError, "not a keyword of aiohttp"),
        ({"connection_options": {"vendor_options": {"headers": {}}}}, TypeError, "pass headers= to connect"),
        ({"session": object()}, TypeError, "connector="),
        ({"credential_scopes": []}, ValueError, "credential_scopes"),
        ({"model": None}, ValueError, r"^connect\(\) needs model= \(a deployment such as 'gpt-realtime'\)"),
        ({"endpoint": "http://example.com"}, ValueError, "^Refusing to send a credential over unencrypted"),
    ],
)
def test_call_time_validation(
    server: ScriptedServer, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    args: dict[str, Any] = {"endpoint": server.url, "credential": key(), "model": "m", **kwargs}
    with pytest.raises(error, match=message) as info:
        connect(**args)
    assert KEY not in str(info.value)
    assert server.requests == []


def test_unknown_keywords_are_ignored_with_a_warning(server: ScriptedServer) -> None:
    # The official connect() accepts extra keywords "for runtime compatibility"; so does ours,
    # but it says so: a typo such as conection_options= does not pass silently.
    with pytest.warns(
        UserWarning,
        match=(
            r"^connect\(\) ignores unknown keyword argument\(s\): conection_options, legacy_option "
            r"\(as the official package does\)"
        ),
    ) as caught:
        manager = connect(
            endpoint=server.url, credential=key(), model="m", legacy_option=True, conection_options={}
        )
    assert isinstance(manager, contextlib.AbstractAsyncContextManager)
    assert caught[0].filename == __file__  # points at the caller's line
    assert server.requests == []


# ------------------------------------------------------------------ redirects
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("credential_factory", [key, FakeAsyncCredential])
async def test_redirect_refused_before_credential_leaks(
    server: ScriptedServer, make_server: Any, status: int, credential_factory: Any
) -> None:
    target: ScriptedServer = await make_server()
    server.status = status
    server.redirect_to = f"{target.url}/elsewhere/voice-live/realtime?sig=LOCATION-SECRET"
    with pytest.raises(ConnectionError) as info:
        await open_and_close(endpoint=server.url, credential=credential_factory(), model="m")
    error = info.value
    assert error.status_code == status
    text = str(error)
    # The official package's exact sentence first (code matches on it), then our detail.
    assert text.startswith("WebSocket redirects are not supported. ")
    assert f"HTTP {status}" in text
    assert f"127.0.0.1:{target.port}/elsewhere/voice-live/realtime" in text
    assert "LOCATION-SECRET" not in text and KEY not in text and "token" not in text.lower()
    assert len(server.requests) == 1
    assert target.requests == []


async def test_redirect_with_relative_location(server: ScriptedServer) -> None:
    server.redirect_to = "/moved?x=1"
    with pytest.raises(ConnectionError, match=r"^WebSocket redirects are not supported\. .*'/moved'") as info:
        await open_and_close(endpoint=server.url, credential=key())
    assert info.value.status_code == 302
    assert len(server.requests) == 1


# ------------------------------------------------------------------ HTTP failures
ERROR_BODY = {"error": {"code": "PermissionDenied", "message": "Principal does not have access."}}


@pytest.mark.parametrize(
    ("status", "fragments"),
    [
        (401, ["Authentication failed (HTTP 401)", "Cognitive Services User", "API key"]),
        (403, ["Access denied (HTTP 403)", "Cognitive Services User"]),
        (404, ["Not found (HTTP 404)", "endpoint", "2026-07-15"]),
        (400, ["Bad request (HTTP 400)"]),
        (500, ["Service error (HTTP 500)", "retry"]),
        (503, ["Service error (HTTP 503)", "retry"]),
        (418, ["HTTP 418"]),
    ],
)
async def test_handshake_status_errors(
    server: ScriptedServer, sessions: SessionRecorder, status: int, fragments: list[str]
) -> None:
    server.status = status
    server.status_body = ERROR_BODY
    server.status_headers = {"x-ms-request-id": "req-42"}
    with pytest.raises(ConnectionError) as info:
        await open_and_close(endpoint=server.url, credential=key(), model="m")
    error = info.value
    assert isinstance(error, AzureError) and not isinstance(error, ConnectionClosed)
    assert error.status_code == status
    text = str(error)
    for fragment in fragments:
        assert fragment in text
    assert "PermissionDenied: Principal does not have access." in text
    assert "req-42" in text
    assert KEY not in text and KEY not in repr(error)
    assert isinstance(error.__cause__, aiohttp.WSServerHandshakeError)
    # The chained aiohttp error keeps no copy of the key either.
    assert KEY not in str(dict(error.__cause__.request_info.headers))
    assert len(sessions.created) == 1 and sessions.all_closed


async def test_token_never_in_error(server: ScriptedServer) -> None:
    server.status = 401
    server.status_body = {"error": {"code": "x", "message": "token async-token-SECRET rejected"}}
    with pytest.raises(ConnectionError) as info:
        await open_and_close(endpoint=server.url, credential=FakeAsyncCredential(), model="m")
    assert "async-token-SECRET" not in str(info.value)


async def test_plain_text_error_body_is_not_quoted(server: ScriptedServer) -> None:
    server.status = 500
    server.status_body = "<html>internal</html>"
    with pytest.raises(ConnectionError) as info:
        await open_and_close(endpoint=server.url, credential=key())
    assert "<html>" not in str(info.value)
    assert info.value.status_code == 500


async def test_429_retry_after_seconds(server: ScriptedServer) -> None:
    server.status = 429
    server.status_headers = {"Retry-After": "7"}
    with pytest.raises(ConnectionError) as info:
        await open_and_close(endpoint=server.url, credential=key())
    error = info.value
    assert error.status_code == 429
    assert error.retry_after == 7.0
    assert "30 new connections per minute" in str(error)
    assert "Retry after 7 s" in str(error)


async def test_429_retry_after_http_date(server: ScriptedServer) -> None:
    server.status = 429
    server.status_headers = {"Retry-After": email.utils.formatdate(time.time() + 30, usegmt=True)}
    with pytest.raises(ConnectionError) as info:
        await open_and_close(endpoint=server.url, credential=key())
    assert info.value.retry_after is not None
    assert 25 <= info.value.retry_after <= 31


async def test_503_retry_after(server: ScriptedServer) -> None:
    server.status = 503
    server.status_headers = {"Retry-After": "2"}
    with pytest.raises(ConnectionError, match="Retry after 2 s") as info:
        await open_and_close(endpoint=server.url, credential=key())
    assert info.value.retry_after == 2.0


# ------------------------------------------------------------------ network failures
async def test_handshake_timeout(silent_server: tuple[str, list[Any]], sessions: SessionRecorder) -> None:
    url, _ = silent_server
    started = time.monotonic()
    with pytest.raises(ConnectionError, match=r"Timed out after 0\.3 s .*127\.0\.0\.1") as info:
        await open_and_close(endpoint=url, credential=key(), connection_options={"handshake_timeout": 0.3})
    assert time.monotonic() - started < 3
    assert info.value.status_code is None
    assert len(sessions.created) == 1 and sessions.all_closed


async def test_dns_failure() -> None:
    with pytest.raises(ConnectionError, match=r"Cannot resolve host 'nonexistent\.invalid'") as info:
        await open_and_close(
            endpoint="https://nonexistent.invalid",
            credential=key(),
            connection_options={"handshake_timeout": WAIT},
        )
    assert info.value.status_code is None
    assert info.value.__cause__ is not None


async def test_connection_refused(free_port: int, sessions: SessionRecorder) -> None:
    with pytest.raises(ConnectionError, match=f"Cannot connect to 127.0.0.1:{free_port}") as info:
        await open_and_close(endpoint=f"http://127.0.0.1:{free_port}", credential=key())
    assert info.value.status_code is None
    assert len(sessions.created) == 1 and sessions.all_closed


# ------------------------------------------------------------------ ClientSession lifecycle
async def test_one_session_per_connection_closed_on_exit(
    server: ScriptedServer, sessions: SessionRecorder
) -> None:
    manager = connect(endpoint=server.url, credential=key(), model="m")
    async with manager as conn:
        assert len(sessions.created) == 1 and not sessions.created[0].closed
        with pytest.raises(RuntimeError, match="already in use"):
            await manager.__aenter__()
        assert len(sessions.created) == 1
    assert conn.closed and sessions.all_closed
    # The same manager can be entered again: a new connection and a new session.
    async with manager as second:
        assert second is not conn
    assert len(sessions.created) == 2 and sessions.all_closed


async def test_session_closed_when_block_raises(server: ScriptedServer, sessions: SessionRecorder) -> None:
    with pytest.raises(KeyError, match="boom"):
        async with connect(endpoint=server.url, credential=key(), model="m"):
            raise KeyError("boom")
    assert len(sessions.created) == 1 and sessions.all_closed


async def test_cancel_during_handshake_closes_session(
    silent_server: tuple[str, list[Any]], sessions: SessionRecorder
) -> None:
    url, accepted = silent_server

    async def enter() -> None:
        async with connect(endpoint=url, credential=key(), model="m"):
            pytest.fail("the handshake cannot succeed")

    task = asyncio.create_task(enter())
    deadline = time.monotonic() + WAIT
    while not accepted and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert accepted, "the client never reached the server"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)
    assert len(sessions.created) == 1 and sessions.all_closed


async def test_credential_error_propagates_without_session(
    server: ScriptedServer, sessions: SessionRecorder
) -> None:
    class Failing:
        async def get_token(self, *scopes: str) -> Any:
            raise ClientAuthenticationError("no identity available")

    with pytest.raises(ClientAuthenticationError, match="no identity"):
        await open_and_close(endpoint=server.url, credential=Failing())
    assert sessions.created == [] and server.requests == []


async def test_user_connector_is_not_closed(server: ScriptedServer, sessions: SessionRecorder) -> None:
    connector = aiohttp.TCPConnector()
    try:
        await open_and_close(endpoint=server.url, credential=key(), connector=connector, trust_env=True)
        assert sessions.init_kwargs[0]["connector"] is connector
        assert sessions.init_kwargs[0]["connector_owner"] is False
        assert sessions.init_kwargs[0]["trust_env"] is True
        assert sessions.all_closed and not connector.closed
    finally:
        await connector.close()


async def test_connections_of_a_loop_share_one_connector_closed_with_the_last(
    server: ScriptedServer, sessions: SessionRecorder
) -> None:
    first = connect(endpoint=server.url, credential=key(), model="m")
    second = connect(endpoint=server.url, credential=key(), model="m")
    async with first:
        async with second:
            connectors = [kwargs["connector"] for kwargs in sessions.init_kwargs]
            assert len(connectors) == 2 and connectors[0] is connectors[1]  # one per loop, shared
            assert all(kwargs["connector_owner"] is False for kwargs in sessions.init_kwargs)
            assert not connectors[0].closed
        assert sessions.created[1].closed and not connectors[0].closed  # still used by the first
    assert sessions.all_closed and connectors[0].closed  # closed with its last connection
    # A new connection after that gets a fresh connector.
    await open_and_close(endpoint=server.url, credential=key())
    assert sessions.init_kwargs[2]["connector"] is not connectors[0]
    assert sessions.init_kwargs[2]["connector"].closed


async def test_a_failed_handshake_gives_the_shared_connector_back(
    server: ScriptedServer, sessions: SessionRecorder
) -> None:
    server.status = 401
    with pytest.raises(ConnectionError):
        await open_and_close(endpoint=server.url, credential=key())
    assert sessions.all_closed and sessions.init_kwargs[0]["connector"].closed


# ------------------------------------------------------------------ options
def assert_ws_timeout(call: dict[str, Any], *, receive: float | None, close: float) -> None:
    if hasattr(aiohttp, "ClientWSTimeout"):
        assert call["timeout"] == aiohttp.ClientWSTimeout(ws_receive=receive, ws_close=close)
    else:  # aiohttp < 3.10 takes plain floats
        assert (call["timeout"], call["receive_timeout"]) == (close, receive)


async def test_default_ws_options(server: ScriptedServer, sessions: SessionRecorder) -> None:
    await open_and_close(endpoint=server.url, credential=key())
    [call] = sessions.ws_connect_calls
    assert call["compress"] == 0
    assert call["heartbeat"] == 30.0
    assert call["max_msg_size"] == 4 * 1024 * 1024 + 1  # aiohttp refuses a payload >= its limit
    assert call["autoclose"] is True and call["autoping"] is True
    assert_ws_timeout(call, receive=None, close=10.0)


async def test_every_option_is_mapped(server: ScriptedServer, sessions: SessionRecorder) -> None:
    options: WebsocketConnectionOptions = {
        "compression": 12,
        "max_msg_size": 1234,
        "heartbeat": 5,
        "autoclose": False,
        "autoping": False,
        "receive_timeout": 2,
        "close_timeout": 3,
        "handshake_timeout": 4,
        "vendor_options": {"origin": "https://contoso.example", "protocols": ["voicelive"]},
    }
    await open_and_close(endpoint=server.url, credential=key(), connection_options=options)
    [call] = sessions.ws_connect_calls
    assert call["compress"] == 12
    assert call["max_msg_size"] == 1235  # inclusive limit: aiohttp refuses >= its own
    assert call["heartbeat"] == 5.0
    assert call["autoclose"] is False and call["autoping"] is False
    assert_ws_timeout(call, receive=2.0, close=3.0)
    [req] = server.requests
    assert req.headers["origin"] == "https://contoso.example"
    assert req.headers["sec-websocket-protocol"] == "voicelive"
    assert "permessage-deflate" in req.headers["sec-websocket-extensions"]


async def test_compression_negotiated_and_usable(server: ScriptedServer, sessions: SessionRecorder) -> None:
    server.frames = [{"type": "session.created", "session": {"instructions": "x" * 5000}}]
    async with connect(
        endpoint=server.url, credential=key(), model="m", connection_options={"compression": True}
    ) as conn:
        event = await conn.recv()
        assert event.type == "session.created"
        await conn.send({"type": "input_audio_buffer.clear", "pad": "y" * 20000})
        frames = await server.wait_frames(1)
    assert frames[0]["pad"] == "y" * 20000
    [req] = server.requests
    assert "permessage-deflate" in req.headers["sec-websocket-extensions"]
    assert sessions.ws_connect_calls[0]["compress"] == 15


async def test_heartbeat_disabled_with_none(server: ScriptedServer, sessions: SessionRecorder) -> None:
    await open_and_close(endpoint=server.url, credential=key(), connection_options={"heartbeat": None})
    assert sessions.ws_connect_calls[0]["heartbeat"] is None
