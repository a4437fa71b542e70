"""Transcription: what the user said, as text, while the audio streams in.

With ``input_audio_transcription`` in the session, every committed user turn is transcribed:
``conversation.item.input_audio_transcription.delta`` events stream the text and
``.completed`` gives the whole transcript (``.failed`` if it could not be transcribed). This
sample turns responses off (``ServerVad(create_response=False)``), so it is a pure
speech-to-text pipeline: the server's voice activity detection finds the turn
(``speech_started`` / ``speech_stopped``), commits it, and transcribes it.

The audio is ``samples/data/what_is_the_weather.wav`` (or ``--input-wav``) followed by a second
of silence, so that the detector hears the end of the turn. ``--transcription-model`` picks
the model (``whisper-1``, ``gpt-4o-transcribe``, ``gpt-4o-mini-transcribe``, ``azure-speech``...);
``--language`` hints the language. The bundled fake server does not recognise speech: its
transcripts describe the audio (``[2.8 s of audio]``); tests of your own can give
``FakeVoiceLiveServer(transcriber=...)`` a function that returns the text you expect.

    python samples/transcription_async.py                               # against the fake server
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/transcription_async.py --transcription-model azure-speech
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from _common import parser, run, target

from azure.ai.voicelive.aio import VoiceLiveConnection, connect
from azure.ai.voicelive.audio import chunk_audio, duration_ms, load_pcm16, silence_pcm16
from azure.ai.voicelive.models import (
    AudioInputTranscriptionOptions,
    Modality,
    RequestSession,
    ServerEventConversationItemInputAudioTranscriptionCompleted,
    ServerEventConversationItemInputAudioTranscriptionDelta,
    ServerEventConversationItemInputAudioTranscriptionFailed,
    ServerEventError,
    ServerEventInputAudioBufferCommitted,
    ServerEventInputAudioBufferSpeechStarted,
    ServerEventInputAudioBufferSpeechStopped,
    ServerVad,
)

HERE = Path(__file__).resolve().parent
RATE = 24_000


async def stream(conn: VoiceLiveConnection, pcm: bytes) -> None:
    """Send audio in 20 ms chunks, as a microphone would (without waiting: the file is already recorded)."""
    for chunk in chunk_audio(pcm, chunk_ms=20):
        await conn.input_audio_buffer.append(audio=chunk)


async def print_transcripts(conn: VoiceLiveConnection) -> str:
    """Print the detector's and the transcriber's events until one transcript is complete; return it."""
    async for event in conn:
        if isinstance(event, ServerEventInputAudioBufferSpeechStarted):
            print(f"[speech started at {event.audio_start_ms} ms]")
        elif isinstance(event, ServerEventInputAudioBufferSpeechStopped):
            print(f"[speech stopped at {event.audio_end_ms} ms]")
        elif isinstance(event, ServerEventInputAudioBufferCommitted):
            print(f"[committed as item {event.item_id}]")
        elif isinstance(event, ServerEventConversationItemInputAudioTranscriptionDelta):
            print(f"delta: {event.delta!r}")
        elif isinstance(event, ServerEventConversationItemInputAudioTranscriptionCompleted):
            print(f"transcript: {event.transcript}")
            return event.transcript
        elif isinstance(event, ServerEventConversationItemInputAudioTranscriptionFailed):
            print(f"transcription failed: {event.error}")
            return ""
        elif isinstance(event, ServerEventError):
            print(f"error: {event.error.code}: {event.error.message}")
    return ""


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--input-wav", type=Path, default=HERE / "data" / "what_is_the_weather.wav")
    p.add_argument("--transcription-model", default="whisper-1")
    p.add_argument("--language", default=None, help="e.g. en (optional)")
    args = p.parse_args()

    async with (
        target(args) as t,
        connect(endpoint=t.endpoint, credential=t.credential, model=t.model) as conn,
    ):
        await conn.session.update(
            session=RequestSession(
                modalities=[Modality.TEXT],
                input_audio_format="pcm16",
                input_audio_transcription=AudioInputTranscriptionOptions(
                    model=args.transcription_model, language=args.language
                ),
                turn_detection=ServerVad(silence_duration_ms=500, create_response=False),
            )
        )
        speech = load_pcm16(args.input_wav, sample_rate=RATE)
        print(f"streaming {duration_ms(len(speech)) / 1000:.1f} s of {args.input_wav.name} + 1 s of silence")
        await stream(conn, speech + silence_pcm16(1000, sample_rate=RATE))
        await asyncio.wait_for(print_transcripts(conn), timeout=30)


if __name__ == "__main__":
    run(main)
