"""Opt-in reconnect over real sockets: each class of failure, and what the app sees.

The fake service (``FakeVoiceLiveServer``) provides drops, closes, handshake rejections and key
rotation; a small scripted server (``AckServer``) provides what the fake cannot yet: a session
that expires (``error`` ``session_expired`` then close 1001) and a short ``expires_at``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive._instrumentation import ConnectionInfo, ReconnectInfo, add_observer, remove_observer
from azure.ai.voicelive.aio import (
    ConnectionClosed,
    ConnectionError,
    ReconnectedEvent,
    ReconnectingConnection,
    ReconnectPolicy,
    VoiceLiveConnection,
    connect,
)
from azure.ai.voicelive.models import ServerEvent
from azure.ai.voicelive.testing import FakeVoiceLiveServer, Faults

from .conftest import WAIT, FakeAsyncCredential, ScriptedServer

FAST = ReconnectPolicy(base_delay=0.0, max_delay=0.0, max_elapsed=WAIT)
#: Retries until the test clears the fault (a failing handshake every 10 ms at most).
PATIENT = ReconnectPolicy(base_delay=0.01, max_delay=0.01, max_attempts=10_000, max_elapsed=WAIT)
TEXT_SESSION = {"instructions": "Count the turns.", "modalities": ["text"], "turn_detection": None}


def remembering(conversation: list[dict[str, Any]], session: dict[str, Any]) -> str:
    """A responder that answers with what it remembers: the number of user turns so far."""
    return f"{sum(1 for item in conversation if item.get('role') == 'user')} user turns so far."


def user_text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


async def until(predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    """Wait (bounded) until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


async def collect_until(conn: VoiceLiveConnection, event_type: str) -> list[ServerEvent]:
    """Every event up to and including the first of ``event_type`` (bounded)."""

    async def run() -> list[ServerEvent]:
        seen: list[ServerEvent] = []
        async for event in conn:
            seen.append(event)
            if event.type == event_type:
                return seen
        raise AssertionError(f"the connection ended before {event_type}")

    return await asyncio.wait_for(run(), WAIT)


def reconnected(events: list[ServerEvent]) -> ReconnectedEvent:
    found = [e for e in events if isinstance(e, ReconnectedEvent)]
    assert len(found) == 1, [e.type for e in events]
    return found[0]


@pytest.fixture
async def fake() -> AsyncIterator[FakeVoiceLiveServer]:
    async with FakeVoiceLiveServer(responder=remembering) as server:
        yield server


def open_call(server: FakeVoiceLiveServer, policy: ReconnectPolicy = FAST, credential: Any = None) -> Any:
    return connect(
        endpoint=server.endpoint,
        credential=credential or AzureKeyCredential("key"),
        model="gpt-realtime",
        reconnect=policy,
    )


async def start_call(conn: VoiceLiveConnection, text: str = "one") -> None:
    await conn.session.update(session=TEXT_SESSION)
    await conn.conversation.item.create(item=user_text(text))
    await conn.response.create()
    await collect_until(conn, "response.done")


# --------------------------------------------------------------------------- drops and closes
async def test_tcp_drop_mid_response_reconnects_with_session_and_conversation() -> None:
    # The 5th event of the first connection is response.output_item.added: drop right after it.
    async with (
        FakeVoiceLiveServer(responder=remembering, faults=Faults(drop_after=5)) as server,
        open_call(server) as conn,
    ):
        server.faults = Faults()  # only the first connection drops
        await conn.session.update(session=TEXT_SESSION)
        await conn.conversation.item.create(item=user_text("one"))
        await conn.response.create()
        events = await collect_until(conn, "client.reconnected")
        assert [e.type for e in events] == [
            "session.created",
            "session.updated",
            "conversation.item.created",
            "response.created",
            "response.output_item.added",
            "client.reconnected",
        ]
        event = reconnected(events)
        assert event.cause == "closed" and event.close_code == 1006 and event.attempts == 1
        assert event.session_restored and event.items_replayed == 1
        assert any("interrupted" in what for what in event.lost)
        assert event.previous_session_id == server.sessions[0].session["id"]
        assert event.session_id == server.sessions[1].session["id"]
        assert event.downtime_ms >= 0 and event.event_id is None
        new = server.sessions[-1]
        assert new.session["instructions"] == "Count the turns." and new.session["turn_detection"] is None
        assert [item["content"][0]["text"] for item in new.conversation] == ["one"]
        # The conversation goes on with its context: the model remembers the first turn.
        await conn.conversation.item.create(item=user_text("two"))
        await conn.response.create()
        done = await collect_until(conn, "response.done")
        assert "2 user turns so far." in [e.text for e in done if e.type == "response.text.done"]


@pytest.mark.parametrize("code", [1001, 1011, 1012, 1013, 1014])
async def test_transient_server_closes_reconnect(fake: FakeVoiceLiveServer, code: int) -> None:
    async with open_call(fake) as conn:
        await start_call(conn)
        await fake.close_all(code, "restarting")
        event = reconnected(await collect_until(conn, "client.reconnected"))
        assert (event.cause, event.close_code, event.close_reason) == ("closed", code, "restarting")
        assert event.items_replayed == 2 and event.lost == [] and event.errors == []
        assert isinstance(conn, ReconnectingConnection) and conn.reconnects == 1
        assert [i["role"] for i in fake.sessions[-1].conversation] == ["user", "assistant"]
        assert fake.sessions[-1].conversation[1]["content"][0]["text"] == "1 user turns so far."


async def test_normal_close_by_the_server_ends_the_call(fake: FakeVoiceLiveServer) -> None:
    async with open_call(fake) as conn:
        await start_call(conn)
        await fake.close_all(1000, "bye")
        assert [e async for e in conn] == []  # iteration ends quietly, as without reconnect
        assert conn.closed and conn.close_code == 1000 and len(fake.requests) == 1
        with pytest.raises(ConnectionClosed):
            await conn.response.create()


async def test_policy_violation_is_not_retried(fake: FakeVoiceLiveServer) -> None:
    async with open_call(fake) as conn:
        await start_call(conn)
        await fake.close_all(1008, "policy")
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        assert (info.value.code, info.value.reason) == (1008, "policy")
        assert len(fake.requests) == 1


async def test_should_retry_override(fake: FakeVoiceLiveServer) -> None:
    policy = ReconnectPolicy(base_delay=0, should_retry=lambda d: d.code == 4001 or None)
    async with open_call(fake, policy) as conn:
        await start_call(conn)
        await fake.close_all(4001, "app-defined")
        event = reconnected(await collect_until(conn, "client.reconnected"))
        assert event.close_code == 4001


# --------------------------------------------------------------------------- session expiry, rotation
class AckServer:
    """A scripted service: ``session.created`` (with ``expires_at``), then acks every
    ``session.update`` / ``conversation.item.create``; ``on_frame(n, event, ws)`` scripts more."""

    def __init__(self, server: ScriptedServer, lifetime: Callable[[int], float]) -> None:
        self.server = server
        self.lifetime = lifetime
        self.frames: dict[int, list[dict[str, Any]]] = {}
        self.on_frame: Callable[[int, dict[str, Any], web.WebSocketResponse], Awaitable[None]] | None = None
        server.ws_handler = self.handle

    async def handle(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        n = len(self.server.server_ws)
        self.frames[n] = []
        session = {"id": f"sess_{n}", "expires_at": time.time() + self.lifetime(n)}
        await ws.send_json({"type": "session.created", "event_id": f"e{n}", "session": session})
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(msg.data)
            self.frames[n].append(event)
            if event["type"] == "session.update":
                await ws.send_json({"type": "session.updated", "session": {**session, **event["session"]}})
            elif event["type"] == "conversation.item.create":
                item_id = f"item_{n}_{len(self.frames[n])}"
                item = {"id": item_id, "object": "realtime.item", "status": "completed", **event["item"]}
                await ws.send_json({"type": "conversation.item.created", "item": item})
            if self.on_frame is not None:
                await self.on_frame(n, event, ws)


async def test_session_expiry_reconnects_and_hides_the_expiry_error(server: ScriptedServer) -> None:
    acks = AckServer(server, lambda n: 3600)

    async def expire_first(n: int, event: dict[str, Any], ws: web.WebSocketResponse) -> None:
        if n == 1 and event["type"] == "conversation.item.create":
            error = {"type": "invalid_request_error", "code": "session_expired", "message": "expired"}
            await ws.send_json({"type": "error", "error": error})
            await ws.close(code=1001, message=b"session expired")

    acks.on_frame = expire_first
    async with connect(
        endpoint=server.url, credential=AzureKeyCredential("k"), model="m", reconnect=FAST
    ) as conn:
        await conn.session.update(session={"instructions": "hi"})
        await conn.conversation.item.create(item=user_text("remember me"))
        events = await collect_until(conn, "client.reconnected")
        assert [e.type for e in events] == [
            "session.created",
            "session.updated",
            "conversation.item.created",
            "client.reconnected",
        ]  # the service's session_expired error is consumed: the reconnect reports it
        event = reconnected(events)
        assert (event.cause, event.close_code) == ("session_expired", 1001)
        assert (event.previous_session_id, event.session_id) == ("sess_1", "sess_2")
        carried = acks.frames[2]
        assert [f["type"] for f in carried] == ["session.update", "conversation.item.create"]
        assert carried[0]["session"] == {"instructions": "hi"}
        assert carried[1]["item"]["content"] == [{"type": "input_text", "text": "remember me"}]


async def test_rotation_before_expiry_is_make_before_break(server: ScriptedServer) -> None:
    acks = AckServer(server, lambda n: 0.6 if n == 1 else 3600)
    async with connect(
        endpoint=server.url,
        credential=AzureKeyCredential("k"),
        model="m",
        reconnect=ReconnectPolicy(rotate_before=120),
    ) as conn:
        await conn.session.update(session={"instructions": "hi"})
        events = await collect_until(conn, "client.reconnected")
        event = reconnected(events)
        assert (event.cause, event.downtime_ms, event.attempts) == ("rotation", 0.0, 1)
        assert (event.previous_session_id, event.session_id) == ("sess_1", "sess_2")
        assert event.session_restored
        # The old connection is closed normally once the new one is ready, not before.
        first = server.server_ws[0]
        await until(lambda: first.closed)
        assert first.close_code == 1000
        assert acks.frames[2][0]["type"] == "session.update"
        # Sends go to the new session now.
        await conn.response.cancel()
        await until(lambda: any(f["type"] == "response.cancel" for f in acks.frames[2]))
        assert not any(f["type"] == "response.cancel" for f in acks.frames[1])


async def test_no_rotation_while_a_response_is_active(server: ScriptedServer) -> None:
    acks = AckServer(server, lambda n: 0.4 if n == 1 else 3600)

    async def respond(n: int, event: dict[str, Any], ws: web.WebSocketResponse) -> None:
        if event["type"] == "response.create":
            await ws.send_json({"type": "response.created", "response": {"id": "r1"}})
        elif event["type"] == "response.cancel":
            await ws.send_json({"type": "response.done", "response": {"id": "r1"}})

    acks.on_frame = respond
    async with connect(
        endpoint=server.url, credential=AzureKeyCredential("k"), model="m", reconnect=FAST
    ) as conn:
        await conn.response.create()
        await collect_until(conn, "response.created")
        await asyncio.sleep(0.5)  # the rotation window opened while the response is active
        assert len(server.server_ws) == 1
        await conn.response.cancel()
        events = await collect_until(conn, "client.reconnected")
        assert [e.type for e in events] == ["response.done", "client.reconnected"]
        assert reconnected(events).cause == "rotation"


# --------------------------------------------------------------------------- handshake failures
async def clear_faults_after(server: FakeVoiceLiveServer, status: int, count: int = 1) -> None:
    await until(lambda: sum(r["status"] == status for r in server.requests) >= count)
    server.faults = Faults()


async def test_handshake_429_honours_retry_after(fake: FakeVoiceLiveServer) -> None:
    async with open_call(fake) as conn:
        await start_call(conn)
        fake.inject(reject_status=429, retry_after=0.05)
        clearing = asyncio.create_task(clear_faults_after(fake, 429))
        await fake.close_all(1012)
        event = reconnected(await collect_until(conn, "client.reconnected"))
        await clearing
        assert event.attempts == 2 and event.downtime_ms >= 50  # waited Retry-After
        assert [r["status"] for r in fake.requests] == [101, 429, 101]


async def test_5xx_until_the_policy_gives_up(fake: FakeVoiceLiveServer) -> None:
    policy = ReconnectPolicy(base_delay=0, max_attempts=2)
    async with open_call(fake, policy) as conn:
        await start_call(conn)
        fake.inject(reject_status=503)
        await fake.close_all(1011, "crash")
        await until(lambda: conn.reconnecting or conn.closed)
        held = asyncio.create_task(conn.response.create())
        with pytest.raises(ConnectionError) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        assert info.value.status_code == 503 and not isinstance(info.value, ConnectionClosed)
        with pytest.raises(ConnectionError) as sent:
            await asyncio.wait_for(held, WAIT)
        assert sent.value.status_code == 503  # the held send failed with the final error
        assert conn.closed and conn.close_code == 1011
        assert [r["status"] for r in fake.requests] == [101, 503, 503]


@pytest.mark.parametrize("status", [400, 404])
async def test_client_errors_are_not_retried(fake: FakeVoiceLiveServer, status: int) -> None:
    async with open_call(fake) as conn:
        await start_call(conn)
        fake.inject(reject_status=status)
        await fake.close_all(1012)
        with pytest.raises(ConnectionError) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        assert info.value.status_code == status
        assert [r["status"] for r in fake.requests] == [101, status]


async def test_401_is_retried_once_then_gives_up() -> None:
    async with (
        FakeVoiceLiveServer(api_key="old") as server,
        open_call(server, FAST, AzureKeyCredential("old")) as conn,
    ):
        await start_call(conn)
        server.api_key = "new"  # rotated on the service, not in the app
        await server.close_all(1012)
        with pytest.raises(ConnectionError) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        assert info.value.status_code == 401 and "old" not in str(info.value)
        assert [r["status"] for r in server.requests] == [101, 401, 401]


async def test_rotated_key_is_read_again_on_reconnect() -> None:
    credential = AzureKeyCredential("old")
    async with FakeVoiceLiveServer(api_key="old") as server, open_call(server, FAST, credential) as conn:
        await start_call(conn)
        server.api_key = "new"
        credential.update("new")
        await server.close_all(1012)
        event = reconnected(await collect_until(conn, "client.reconnected"))
        assert event.attempts == 1 and [r["status"] for r in server.requests] == [101, 101]


async def test_token_is_fetched_again_for_every_attempt() -> None:
    credential = FakeAsyncCredential("token-1")
    async with (
        FakeVoiceLiveServer(bearer_token="token-1") as server,
        open_call(server, PATIENT, credential) as conn,
    ):
        await start_call(conn)
        server.bearer_token = credential.token = "token-2"
        server.inject(reject_status=503)
        clearing = asyncio.create_task(clear_faults_after(server, 503))
        await server.close_all(1012)
        event = reconnected(await collect_until(conn, "client.reconnected"))
        await clearing
        statuses = [r["status"] for r in server.requests]
        assert event.attempts >= 2 and statuses == [101] + [503] * (event.attempts - 1) + [101]
        assert len(credential.scopes) == 1 + event.attempts  # a token for every handshake


async def test_first_connection_is_retried_too(fake: FakeVoiceLiveServer) -> None:
    fake.inject(reject_status=503, retry_after=0)
    clearing = asyncio.create_task(clear_faults_after(fake, 503))
    async with open_call(fake, PATIENT) as conn:
        await clearing
        first = await asyncio.wait_for(conn.recv(), WAIT)
        assert first.type == "session.created"  # the first session's events all reach the app
    statuses = [r["status"] for r in fake.requests]
    assert len(statuses) >= 2 and set(statuses[:-1]) == {503} and statuses[-1] == 101


async def test_refused_connections_are_retried_until_the_service_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="azure.ai.voicelive.aio")
    async with FakeVoiceLiveServer(responder=remembering) as first:
        port = first.port
        conn_manager = open_call(first, PATIENT, AzureKeyCredential("secret-key-4711"))
        conn = await conn_manager.__aenter__()
        try:
            await start_call(conn)
            await first.stop()  # closes with 1001 and stops listening: handshakes are refused
            await until(lambda: any("handshake failed;" in r.getMessage() for r in caplog.records))
            async with FakeVoiceLiveServer(responder=remembering, port=port) as second:
                event = reconnected(await collect_until(conn, "client.reconnected"))
                assert event.close_code == 1001 and event.attempts >= 2
                messages = [r.getMessage() for r in caplog.records]
                assert any("reconnected (closed, code 1001)" in m for m in messages)
                assert not any("secret-key-4711" in m for m in messages)
                assert [i["role"] for i in second.sessions[0].conversation] == ["user", "assistant"]
        finally:
            await conn_manager.__aexit__(None, None, None)


# --------------------------------------------------------------------------- sends during an outage
def chunk(n: int) -> bytes:
    return bytes([n]) * 960  # 20 ms of PCM16 at 24 kHz, recognisable by its value


async def test_sends_during_an_outage_are_held_in_order_and_audio_is_bounded(
    fake: FakeVoiceLiveServer,
) -> None:
    policy = ReconnectPolicy(base_delay=0.02, max_delay=0.02, max_attempts=1000, max_buffered_audio=0.05)
    async with open_call(fake, policy) as conn:
        assert isinstance(conn, ReconnectingConnection)
        await start_call(conn)
        fake.inject(reject_status=503)
        await fake.close_all(1012)
        await until(lambda: conn.reconnecting)
        for n in (1, 2, 3):
            await conn.input_audio_buffer.append(audio=chunk(n))  # returns at once: held
        held = asyncio.create_task(conn.conversation.item.create(item=user_text("during")))
        for _ in range(3):
            await asyncio.sleep(0)  # the held send is queued, behind chunks 1-3
        for n in (4, 5):
            await conn.input_audio_buffer.append(audio=chunk(n))
        assert not held.done()
        before = len(fake.received)
        fake.faults = Faults()
        event = reconnected(await collect_until(conn, "client.reconnected"))
        await asyncio.wait_for(held, WAIT)
        # 2400 bytes of audio may wait (0.05 s at 48000 B/s): chunks 1-3 were dropped, oldest first.
        assert (event.audio_dropped_bytes, event.audio_sent_bytes, event.events_sent) == (2880, 1920, 1)

        def after_carry_over() -> list[dict[str, Any]]:
            return [
                e for e in fake.received[before:] if not str(e.get("event_id", "")).startswith("vl_carry_")
            ]

        await until(lambda: len(after_carry_over()) >= 3)  # sent is not yet received by the server
        after = after_carry_over()
        assert [e["type"] for e in after] == [
            "conversation.item.create",
            "input_audio_buffer.append",
            "input_audio_buffer.append",
        ]
        assert [base64.b64decode(e["audio"])[0] for e in after[1:]] == [4, 5]


async def test_close_during_an_outage_fails_held_sends(fake: FakeVoiceLiveServer) -> None:
    policy = ReconnectPolicy(base_delay=0.02, max_delay=0.02, max_attempts=1000)
    async with open_call(fake, policy) as conn:
        await start_call(conn)
        fake.inject(reject_status=503)
        await fake.close_all(1012)
        await until(lambda: conn.reconnecting)
        held = asyncio.create_task(conn.response.create())
        await asyncio.sleep(0)
        await conn.close()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(held, WAIT)
        assert [e async for e in conn] == []
        assert conn.closed and conn.close_code == 1000


# --------------------------------------------------------------------------- opt-in, telemetry
async def test_without_reconnect_nothing_changes(fake: FakeVoiceLiveServer) -> None:
    fake.inject(drop_after=1)
    async with connect(endpoint=fake.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
        assert type(conn) is VoiceLiveConnection
        with pytest.raises(ConnectionClosed) as info:
            async for _ in conn:
                pass
        assert info.value.code == 1006
    assert len(fake.requests) == 1


def test_reconnect_must_be_a_policy() -> None:
    with pytest.raises(TypeError, match="ReconnectPolicy"):
        connect(
            endpoint="https://x.services.ai.azure.com", credential=AzureKeyCredential("k"), reconnect=True
        )  # type: ignore[arg-type]


async def test_telemetry_hooks_see_each_reconnect(fake: FakeVoiceLiveServer) -> None:
    seen: list[ReconnectInfo] = []

    class Hooks:
        def connected(self) -> None: ...
        def connect_failed(self, error: BaseException) -> None: ...
        def sent(self, frame: str) -> None: ...
        def received(self, event: Any, size: int) -> None: ...
        def closed(self, code: int | None, reason: str, error: BaseException | None) -> None: ...
        def reconnected(self, info: ReconnectInfo) -> None:
            seen.append(info)

    def factory(info: ConnectionInfo) -> Hooks:
        return Hooks()

    add_observer(factory)
    try:
        async with open_call(fake) as conn:
            await start_call(conn)
            await fake.close_all(1011)
            await collect_until(conn, "client.reconnected")
    finally:
        remove_observer(factory)
    assert len(seen) == 1
    info = seen[0]
    assert (info.cause, info.close_code, info.attempts, info.items_replayed) == ("closed", 1011, 1, 2)
    assert info.started <= info.ended and info.downtime_ms >= 0


async def test_uncommitted_audio_of_a_manual_turn_reaches_the_new_session(fake: FakeVoiceLiveServer) -> None:
    # The old session's input buffer dies with it: the audio sent since its last commit goes to
    # the new session first, so the user's turn in progress is not lost.
    async with open_call(fake, PATIENT) as conn:
        await start_call(conn)  # manual turns (turn_detection null)
        for n in range(1, 11):  # 200 ms of audio, not yet committed
            await conn.input_audio_buffer.append(audio=chunk(n))
        await until(lambda: sum(1 for e in fake.received if e["type"] == "input_audio_buffer.append") >= 10)
        before = len(fake.received)
        assert await fake.drop_all() == 1
        event = reconnected(await collect_until(conn, "client.reconnected"))
        assert event.audio_sent_bytes == 10 * 960
        await conn.input_audio_buffer.commit(event_id="after")
        done = await collect_until(conn, "input_audio_buffer.committed")
        assert not [e for e in done if e.type == "error"]
    resent = [e for e in fake.received[before:] if e["type"] == "input_audio_buffer.append"]
    assert [base64.b64decode(e["audio"])[0] for e in resent] == list(range(1, 11))


async def test_committed_audio_is_not_sent_again(fake: FakeVoiceLiveServer) -> None:
    async with open_call(fake, PATIENT) as conn:
        await start_call(conn)
        for n in range(1, 6):
            await conn.input_audio_buffer.append(audio=chunk(n))
        await conn.input_audio_buffer.commit()
        await collect_until(conn, "input_audio_buffer.committed")
        before = len(fake.received)
        await fake.drop_all()
        event = reconnected(await collect_until(conn, "client.reconnected"))
        assert event.audio_sent_bytes == 0
    assert not [e for e in fake.received[before:] if e["type"] == "input_audio_buffer.append"]


# --------------------------------------------------------------------------- against the fake's real expiry
async def _turn(conn: VoiceLiveConnection, text: str) -> list[ServerEvent]:
    await conn.conversation.item.create(item=user_text(text))
    await conn.response.create()
    return await collect_until(conn, "response.done")


def _answer(events: list[ServerEvent]) -> str:
    return next(e.text for e in events if e.type == "response.text.done")


async def test_real_session_expiry_reconnects_with_the_conversation() -> None:
    from azure.ai.voicelive.testing import DefaultResponder

    policy = ReconnectPolicy(base_delay=0.0, max_delay=0.0, rotate_before=None)  # no rotation: expire
    responder = DefaultResponder(memory=True)
    async with FakeVoiceLiveServer(max_session_duration=1.0, responder=responder) as server:
        async with open_call(server, policy) as conn:
            await conn.session.update(session=TEXT_SESSION)
            first = _answer(await _turn(conn, "My name is Ada"))
            assert first.startswith("This is turn 1")
            event = reconnected(await collect_until(conn, "client.reconnected"))
            assert event.cause == "session_expired"
            assert event.close_code == 1001
            second = _answer(await _turn(conn, "What is my name?"))
    assert second.startswith('This is turn 2; earlier you said: "My name is Ada"')
    assert len(server.sessions) == 2


async def test_rotation_before_expiry_switches_without_downtime() -> None:
    from azure.ai.voicelive.testing import DefaultResponder

    policy = ReconnectPolicy(base_delay=0.0, max_delay=0.0, rotate_before=0.8)
    responder = DefaultResponder(memory=True)
    async with FakeVoiceLiveServer(max_session_duration=1.5, responder=responder) as server:
        async with open_call(server, policy) as conn:
            await conn.session.update(session=TEXT_SESSION)
            await _turn(conn, "My name is Ada")
            event = reconnected(await collect_until(conn, "client.reconnected"))
            assert event.cause == "rotation"
            assert event.downtime_ms == 0
            answer = _answer(await _turn(conn, "What is my name?"))
    assert answer.startswith('This is turn 2; earlier you said: "My name is Ada"')
    assert len(server.sessions) == 2
