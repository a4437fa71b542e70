"""Quickstart: one text turn and one spoken turn, with the reply streamed and saved as WAV.

The README's main job. It configures a session (voice, text + audio output, input
transcription, manual turns), sends a typed question and then a recorded one
(``samples/data/what_is_the_weather.wav``), prints the assistant's transcript as it streams in,
and writes all of the assistant's audio to ``quickstart_output.wav``.

    python samples/quickstart_async.py                      # against the bundled fake server
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/quickstart_async.py   # against Azure
"""

from __future__ import annotations

import sys
from pathlib import Path

from _common import parser, run, target, voice_config

from azure.ai.voicelive.aio import VoiceLiveConnection, connect
from azure.ai.voicelive.audio import chunk_audio, duration_ms, read_wav, resample_pcm16, write_wav
from azure.ai.voicelive.models import (
    InputTextContentPart,
    Modality,
    RequestSession,
    ServerEventConversationItemInputAudioTranscriptionCompleted,
    ServerEventError,
    ServerEventResponseAudioDelta,
    ServerEventResponseAudioTranscriptDelta,
    ServerEventResponseDone,
    UserMessageItem,
)

HERE = Path(__file__).resolve().parent
RATE = 24_000


async def stream_reply(conn: VoiceLiveConnection, audio: bytearray) -> str:
    """Print the assistant's transcript as it streams; collect its audio; return the transcript."""
    transcript: list[str] = []
    async for event in conn:
        if isinstance(event, ServerEventConversationItemInputAudioTranscriptionCompleted):
            print(f"you (transcribed): {event.transcript}")
        elif isinstance(event, ServerEventResponseAudioTranscriptDelta):
            if not transcript:
                print("assistant: ", end="")
            transcript.append(event.delta)
            print(event.delta, end="", flush=True)
        elif isinstance(event, ServerEventResponseAudioDelta):
            audio += event.delta  # PCM16 bytes, already base64-decoded
        elif isinstance(event, ServerEventError):
            print(f"\nerror: {event.error.code}: {event.error.message}", file=sys.stderr)
        elif isinstance(event, ServerEventResponseDone):
            print(f"  [{event.response.status}]")
            break
    return "".join(transcript)


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--input-wav", type=Path, default=HERE / "data" / "what_is_the_weather.wav")
    p.add_argument("--output", type=Path, default=Path("quickstart_output.wav"))
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
                output_audio_format="pcm16",
                input_audio_transcription={"model": "whisper-1"},
                turn_detection=None,  # manual turns: sent as null
            )
        )
        assistant_audio = bytearray()

        # Turn 1: typed text.
        question = "Hello! What can you do?"
        print(f"you: {question}")
        await conn.conversation.item.create(
            item=UserMessageItem(content=[InputTextContentPart(text=question)])
        )
        await conn.response.create()
        await stream_reply(conn, assistant_audio)

        # Turn 2: recorded speech, streamed in 20 ms chunks as a microphone would.
        wav = read_wav(args.input_wav)
        pcm = wav.pcm if wav.sample_rate == RATE else resample_pcm16(wav.pcm, wav.sample_rate, RATE)
        print(f"you: (speaking {duration_ms(len(pcm)) / 1000:.1f} s of audio from {args.input_wav.name})")
        for chunk in chunk_audio(pcm, chunk_ms=20):
            await conn.input_audio_buffer.append(audio=chunk)
        await conn.input_audio_buffer.commit()
        await conn.response.create()
        await stream_reply(conn, assistant_audio)

    write_wav(args.output, bytes(assistant_audio), sample_rate=RATE)
    print(f"wrote {duration_ms(len(assistant_audio)) / 1000:.1f} s of assistant audio to {args.output}")


if __name__ == "__main__":
    run(main)
