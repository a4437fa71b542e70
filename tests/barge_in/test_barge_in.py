"""BargeInHandler against the fake server in real-time mode, over a real socket."""

from __future__ import annotations

import asyncio
from typing import Any

from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import BargeInHandler, VoiceLiveConnection, connect
from azure.ai.voicelive.audio import VirtualPlayer, silence_pcm16, sine_pcm16
from azure.ai.voicelive.testing import FakeVoiceLiveServer, ScriptedResponder, TextReply

LONG_REPLY = " ".join(["This is a long answer that keeps talking for quite a while."] * 6)


async def _ask(conn: VoiceLiveConnection, text: str = "Tell me a story") -> None:
    await conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )
    await conn.response.create()


async def _speak(conn: VoiceLiveConnection) -> None:
    """A loud 400 ms tone then silence: enough for server VAD to start and end a user turn."""
    audio = sine_pcm16(220, 400, amplitude=0.5) + silence_pcm16(900)
    for i in range(0, len(audio), 960):
        await conn.input_audio_buffer.append(audio=audio[i : i + 960])


async def _run_until(
    conn: VoiceLiveConnection,
    handler: BargeInHandler,
    stop: Any,
    *,
    barge_at_ms: float,
    player: VirtualPlayer | None,
    timeout: float = 20.0,
) -> list[Any]:
    events: list[Any] = []
    spoke = False

    async def loop() -> None:
        nonlocal spoke
        async for event in conn:
            events.append(event)
            await handler.handle(event)
            played = player.played_ms if player is not None else 0.0
            if (
                not spoke
                and event.type == "response.audio.delta"
                and (player is None or played >= barge_at_ms)
            ):
                spoke = True
                asyncio.get_running_loop().create_task(_speak(conn))
            if stop(events):
                return

    await asyncio.wait_for(loop(), timeout)
    return events


def _types(events: list[Any]) -> list[str]:
    return [e.type for e in events]


async def test_server_vad_barge_in_truncates_at_the_played_milliseconds() -> None:
    responder = ScriptedResponder(TextReply(LONG_REPLY), then=TextReply("OK."))
    async with FakeVoiceLiveServer(realtime=True, responder=responder) as server, VirtualPlayer() as player:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            handler = BargeInHandler(conn, player)
            await _ask(conn)
            events = await _run_until(
                conn,
                handler,
                lambda ev: (
                    "conversation.item.truncated" in _types(ev)
                    and any(e.type == "response.done" and e.response.status == "cancelled" for e in ev)
                ),
                barge_at_ms=600,
                player=player,
            )
    types = _types(events)
    assert "error" not in types, [e for e in events if e.type == "error"]
    truncated = next(e for e in events if e.type == "conversation.item.truncated")
    assert handler.last_truncate_ms == truncated.audio_end_ms
    item_id = truncated.item_id
    # The truncation point is what was heard: at least the 600 ms played before the user spoke,
    # and less than the audio received for that item.
    assert 600 <= truncated.audio_end_ms < handler.received_ms(item_id)
    assert player.queued_ms == 0  # playback cleared
    sent = [e["type"] for e in server.received]
    assert "conversation.item.truncate" in sent
    # Server VAD interrupts the response itself (interrupt_response defaults to true): no
    # redundant response.cancel, so no "no active response" error.
    assert "response.cancel" not in sent
    assert handler.interruptions == 1


async def test_manual_interrupt_cancels_the_response_itself() -> None:
    responder = ScriptedResponder(TextReply(LONG_REPLY))
    async with FakeVoiceLiveServer(realtime=True, responder=responder) as server, VirtualPlayer() as player:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            await conn.session.update(session={"turn_detection": None})
            handler = BargeInHandler(conn, player)
            await _ask(conn)
            events: list[Any] = []
            async with asyncio.timeout(20) if hasattr(asyncio, "timeout") else _nullcontext():
                async for event in conn:
                    events.append(event)
                    await handler.handle(event)
                    if (
                        event.type == "response.audio.delta"
                        and player.played_ms >= 300
                        and handler.response_active
                    ):
                        assert await handler.interrupt()  # e.g. push-to-talk pressed
                    if event.type == "conversation.item.truncated":
                        break
    done = [e for e in events if e.type == "response.done"]
    assert done and done[0].response.status == "cancelled"
    sent = [e["type"] for e in server.received]
    assert sent.count("response.cancel") == 1
    truncated = next(e for e in events if e.type == "conversation.item.truncated")
    assert 300 <= truncated.audio_end_ms < handler.received_ms(truncated.item_id)
    assert "error" not in _types(events)


async def test_no_truncation_when_nothing_was_played() -> None:
    responder = ScriptedResponder(TextReply(LONG_REPLY))
    async with FakeVoiceLiveServer(realtime=True, responder=responder) as server:
        player = VirtualPlayer()  # never started: nothing is played
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            handler = BargeInHandler(conn, player)
            await _ask(conn)
            events = await _run_until(
                conn,
                handler,
                lambda ev: (
                    any(e.type == "response.done" for e in ev)
                    and any(e.type == "input_audio_buffer.speech_stopped" for e in ev)
                ),
                barge_at_ms=0,
                player=None,
            )
    sent = [e["type"] for e in server.received]
    assert "conversation.item.truncate" not in sent
    assert handler.last_truncate_ms is None
    assert "error" not in _types(events)


class _Overplayed:
    """A player claiming more playback than the audio received (clock drift, a bug elsewhere)."""

    def __init__(self) -> None:
        self.cleared = 0

    def write(self, pcm16: bytes, *, item_id: str | None = None) -> None:
        pass

    def clear(self) -> None:
        self.cleared += 1

    def played_ms_for(self, item_id: str) -> float:
        return 60_000.0


async def test_truncation_is_clamped_to_the_audio_received() -> None:
    responder = ScriptedResponder(TextReply(LONG_REPLY))
    async with FakeVoiceLiveServer(realtime=True, responder=responder) as server:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            await conn.session.update(session={"turn_detection": None})
            player = _Overplayed()
            handler = BargeInHandler(conn, player)
            await _ask(conn)
            events: list[Any] = []
            deltas = 0
            async for event in conn:
                events.append(event)
                await handler.handle(event)
                if event.type == "response.audio.delta":
                    deltas += 1
                    if deltas == 3:
                        await handler.interrupt()
                if event.type in ("conversation.item.truncated", "error"):
                    break
    assert player.cleared == 1
    truncated = events[-1]
    assert truncated.type == "conversation.item.truncated", truncated
    # Clamped to the 3 deltas received (100 ms each), never past the audio the service sent.
    assert truncated.audio_end_ms == handler.last_truncate_ms == int(handler.received_ms(truncated.item_id))
    assert truncated.audio_end_ms == 300


class _nullcontext:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _until(predicate: Any, timeout: float = 20.0) -> None:
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)


async def test_a_reply_heard_in_full_is_not_truncated() -> None:
    responder = ScriptedResponder(TextReply("OK."))
    async with FakeVoiceLiveServer(realtime=True, responder=responder) as server, VirtualPlayer() as player:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            handler = BargeInHandler(conn, player)
            await _ask(conn, "Say OK")
            async for event in conn:
                await handler.handle(event)
                if event.type == "response.done":
                    break
            await _until(lambda: player.queued_ms == 0)  # every millisecond was played
            assert player.played_ms > 0
            await handler.interrupt()  # the user speaks after hearing it all
            await conn.input_audio_buffer.clear(event_id="marker")
            await _until(lambda: any(e.get("event_id") == "marker" for e in server.received))
    sent = [e["type"] for e in server.received]
    assert "conversation.item.truncate" not in sent
    assert handler.last_truncate_ms is None


async def test_the_same_item_is_truncated_at_most_once() -> None:
    responder = ScriptedResponder(TextReply(LONG_REPLY))
    async with FakeVoiceLiveServer(realtime=True, responder=responder) as server, VirtualPlayer() as player:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            handler = BargeInHandler(conn, player)
            await _ask(conn)

            async def consume() -> None:
                async for event in conn:
                    await handler.handle(event)

            consumer = asyncio.get_running_loop().create_task(consume())
            try:
                await _until(lambda: player.played_ms >= 300)
                await handler.interrupt()
                await handler.interrupt()  # a second speech_started for the same reply
                await _until(lambda: any(e["type"] == "conversation.item.truncate" for e in server.received))
                await conn.input_audio_buffer.clear(event_id="marker")
                await _until(lambda: any(e.get("event_id") == "marker" for e in server.received))
            finally:
                consumer.cancel()
    truncates = [e for e in server.received if e["type"] == "conversation.item.truncate"]
    assert len(truncates) == 1
    assert truncates[0]["audio_end_ms"] >= 300
