"""Manual turns: no voice activity detection; the app decides when the user's turn ends.

With ``turn_detection=None`` (sent as JSON ``null``) the service never ends a turn by itself:
the app appends audio (``input_audio_buffer.append``), ends the turn with
``input_audio_buffer.commit`` and asks for an answer with ``response.create``: push-to-talk,
or audio that arrives as whole files.

The sample first commits only 50 ms of audio: the service refuses buffers under 100 ms with an
``error`` event (code ``input_audio_buffer_commit_empty``). The app handles it, clears the
buffer (``input_audio_buffer.clear`` -> ``input_audio_buffer.cleared``) and goes on: it
appends a whole recorded question (``samples/data/what_is_the_weather.wav``), commits, and
prints the spoken answer's transcript.

    python samples/manual_turns_async.py                                # against the fake server
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/manual_turns_async.py  # against Azure
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from _common import parser, run, target, voice_config

from azure.ai.voicelive.aio import VoiceLiveConnection, connect
from azure.ai.voicelive.audio import bytes_for_ms, chunk_audio, duration_ms, load_pcm16
from azure.ai.voicelive.models import (
    Modality,
    RequestSession,
    ServerEvent,
    ServerEventConversationItemInputAudioTranscriptionCompleted,
    ServerEventError,
    ServerEventInputAudioBufferCleared,
    ServerEventInputAudioBufferCommitted,
    ServerEventResponseAudioDelta,
    ServerEventResponseAudioTranscriptDelta,
    ServerEventResponseDone,
)

HERE = Path(__file__).resolve().parent
RATE = 24_000


async def next_of(conn: VoiceLiveConnection, *kinds: type[ServerEvent], timeout: float = 30.0) -> ServerEvent:
    """The next event of one of ``kinds`` (``error`` events always count), waiting at most ``timeout`` s."""

    async def wait() -> ServerEvent:
        async for event in conn:
            if isinstance(event, (*kinds, ServerEventError)):
                return event
        raise RuntimeError("the connection closed")

    return await asyncio.wait_for(wait(), timeout)


async def send_audio(conn: VoiceLiveConnection, pcm: bytes) -> None:
    for chunk in chunk_audio(pcm, chunk_ms=20):
        await conn.input_audio_buffer.append(audio=chunk)


async def commit(conn: VoiceLiveConnection) -> bool:
    """End the user's turn; return False (after clearing the buffer) if the service refused."""
    await conn.input_audio_buffer.commit()
    event = await next_of(conn, ServerEventInputAudioBufferCommitted)
    if isinstance(event, ServerEventError):
        print(f"commit refused: {event.error.code}: {event.error.message}")
        await conn.input_audio_buffer.clear()
        await next_of(conn, ServerEventInputAudioBufferCleared)
        print("input buffer cleared; the session goes on")
        return False
    assert isinstance(event, ServerEventInputAudioBufferCommitted)
    print(f"committed as item {event.item_id}")
    return True


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--input-wav", type=Path, default=HERE / "data" / "what_is_the_weather.wav")
    args = p.parse_args()

    async with (
        target(args) as t,
        connect(endpoint=t.endpoint, credential=t.credential, model=t.model) as conn,
    ):
        await conn.session.update(
            session=RequestSession(
                instructions="You are a friendly assistant. Keep answers short.",
                modalities=[Modality.TEXT, Modality.AUDIO],
                voice=voice_config(t.voice),
                input_audio_format="pcm16",
                input_audio_transcription={"model": "whisper-1"},
                turn_detection=None,  # manual turns: sent as null
            )
        )

        # A click on the push-to-talk button that was too short: 50 ms of audio.
        speech = load_pcm16(args.input_wav, sample_rate=RATE)
        print("you: (pressed push-to-talk for 50 ms)")
        await send_audio(conn, speech[: bytes_for_ms(50)])
        if await commit(conn):
            await conn.response.create()  # not reached: 50 ms is too short

        # The real question.
        print(f"you: (speaking {duration_ms(len(speech)) / 1000:.1f} s of audio from {args.input_wav.name})")
        await send_audio(conn, speech)
        if not await commit(conn):
            return
        await conn.response.create()

        reply_audio = 0
        started = False
        async for event in conn:
            if isinstance(event, ServerEventConversationItemInputAudioTranscriptionCompleted):
                print(f"you (transcribed): {event.transcript}")
            elif isinstance(event, ServerEventResponseAudioTranscriptDelta):
                if not started:
                    print("assistant: ", end="")
                    started = True
                print(event.delta, end="", flush=True)
            elif isinstance(event, ServerEventResponseAudioDelta):
                reply_audio += len(event.delta)
            elif isinstance(event, ServerEventError):
                print(f"\nerror: {event.error.code}: {event.error.message}")
            elif isinstance(event, ServerEventResponseDone):
                print(f"  [{event.response.status}, {duration_ms(reply_audio) / 1000:.1f} s of audio]")
                break


if __name__ == "__main__":
    run(main)
