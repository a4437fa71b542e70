"""Interruption (barge-in), deterministic and without audio devices.

The assistant starts a long spoken answer, played in real time by a ``VirtualPlayer`` (a
speaker without a sound card). After about a second of playback (``--interrupt-after-ms``)
the user starts talking over it: the sample streams recorded speech
(``samples/data/what_is_the_weather.wav``) into the input buffer, the server's voice activity
detection sends ``input_audio_buffer.speech_started``, and ``BargeInHandler``

1. cancels the response (here the service already does it: ``interrupt_response`` is on by
   default with server VAD, so the handler does not send a second ``response.cancel``),
2. clears the audio still queued in the player,
3. truncates the assistant's item at the milliseconds actually played
   (``conversation.item.truncate``), so the conversation holds only what the user heard.

It prints how much was played, the truncation point, the ``conversation.item.truncated``
event's ``audio_end_ms`` and the assistant's item as the service now has it. Against the
bundled fake server the long answer is scripted (``ScriptedResponder(TextReply(...))``) and
audio is paced like the real service's.

    python samples/interruption_async.py                                # against the fake server
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/interruption_async.py  # against Azure
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from _common import parser, run, target, voice_config

from azure.ai.voicelive.aio import BargeInHandler, VoiceLiveConnection, connect
from azure.ai.voicelive.audio import VirtualPlayer, chunk_audio, load_pcm16
from azure.ai.voicelive.models import (
    InputTextContentPart,
    Modality,
    RequestSession,
    ServerEventConversationItemRetrieved,
    ServerEventConversationItemTruncated,
    ServerEventError,
    ServerEventInputAudioBufferSpeechStarted,
    ServerEventResponseAudioDelta,
    ServerEventResponseAudioTranscriptDelta,
    ServerEventResponseDone,
    ServerVad,
    UserMessageItem,
)
from azure.ai.voicelive.testing import ScriptedResponder, TextReply

HERE = Path(__file__).resolve().parent
RATE = 24_000
QUESTION = "Tell me a long story about a lighthouse keeper."
STORY = (  # what the fake server answers; the real service makes up its own story
    "Once upon a time, on a rocky island far out at sea, there lived an old lighthouse keeper "
    "named Tobias. Every evening he climbed the hundred and twelve steps of his tower, polished "
    "the great lens until it shone like a second moon, and lit the lamp that kept the fishing "
    "boats safe from the reef. One stormy night, as the wind howled and the waves crashed over "
    "the rocks, he saw a small light blinking far away in the dark."
)


async def talk_over(conn: VoiceLiveConnection, player: VirtualPlayer, after_ms: float, speech: bytes) -> None:
    """Wait until ``after_ms`` of the reply were played, then speak (in real time, 20 ms chunks)."""
    while player.played_ms < after_ms:
        await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    due = loop.time()
    for chunk in chunk_audio(speech, chunk_ms=20):
        await conn.input_audio_buffer.append(audio=chunk)
        due += 0.02
        await asyncio.sleep(max(0.0, due - loop.time()))


async def follow(conn: VoiceLiveConnection, player: VirtualPlayer, barge_in: BargeInHandler) -> None:
    """Play the reply until the interruption has been handled on both sides, printing what happens."""
    item_id = None
    done = truncated = False
    async for event in conn:
        heard = player.played_ms  # before the handler clears the player
        await barge_in.handle(event)  # plays audio deltas; handles speech_started
        if isinstance(event, ServerEventResponseAudioDelta):
            item_id = event.item_id
        elif isinstance(event, ServerEventResponseAudioTranscriptDelta):
            print(event.delta, end="", flush=True)
        elif isinstance(event, ServerEventInputAudioBufferSpeechStarted):
            received = barge_in.received_ms(item_id) if item_id else 0.0
            print(
                f"\n[you talked over the assistant: speech_started after {heard:.0f} ms of the reply were"
                f" played ({received:.0f} ms received)]"
            )
            print(f"[BargeInHandler: playback cleared, truncate at {barge_in.last_truncate_ms} ms]")
        elif isinstance(event, ServerEventResponseDone):
            print(f"[response.done: {event.response.status}]")
            done = True
        elif isinstance(event, ServerEventConversationItemTruncated):
            print(f"[conversation.item.truncated: {event.item_id} audio_end_ms={event.audio_end_ms}]")
            truncated = True
        elif isinstance(event, ServerEventError):
            print(f"error: {event.error.code}: {event.error.message}")
            return
        if done and truncated:
            break
    if item_id is not None:  # what the service now keeps of the assistant's answer
        await conn.conversation.item.retrieve(item_id=item_id)
        async for event in conn:
            if isinstance(event, ServerEventConversationItemRetrieved) and event.item is not None:
                parts: list[Any] = event.item.get("content") or [{}]
                transcript: Any = parts[0].get("transcript")
                print(f"[the assistant's item now reads: {transcript!r}]")
                break


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--input-wav", type=Path, default=HERE / "data" / "what_is_the_weather.wav")
    p.add_argument("--interrupt-after-ms", type=float, default=1000.0)
    args = p.parse_args()
    speech = load_pcm16(args.input_wav, sample_rate=RATE)

    # Options for the bundled fake server (ignored against Azure): real-time pacing, a long answer.
    fake_server = {"realtime": True, "responder": ScriptedResponder(TextReply(STORY))}
    async with (
        target(args, **fake_server) as t,
        connect(endpoint=t.endpoint, credential=t.credential, model=t.model) as conn,
    ):
        await conn.session.update(
            session=RequestSession(
                modalities=[Modality.TEXT, Modality.AUDIO],
                voice=voice_config(t.voice),
                input_audio_format="pcm16",
                output_audio_format="pcm16",
                turn_detection=ServerVad(threshold=0.5, silence_duration_ms=500),
            )
        )
        print(f"you: {QUESTION}")
        await conn.conversation.item.create(
            item=UserMessageItem(content=[InputTextContentPart(text=QUESTION)])
        )
        await conn.response.create()
        print("assistant: ", end="", flush=True)

        async with VirtualPlayer(sample_rate=RATE) as player:
            barge_in = BargeInHandler(conn, player)
            user = asyncio.create_task(talk_over(conn, player, args.interrupt_after_ms, speech))
            try:
                await asyncio.wait_for(follow(conn, player, barge_in), timeout=60)
            finally:
                user.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await user


if __name__ == "__main__":
    run(main)
