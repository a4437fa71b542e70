"""Telephony: G.711 audio at 8 kHz, as a phone gateway (SIP trunk, Twilio/ACS media stream) sends it.

Phone lines carry 8 kHz G.711: mu-law (``g711_ulaw``, North America and Japan) or A-law
(``g711_alaw``, ``--alaw``: most of the rest of the world), one byte per sample. A gateway
forwards the caller's audio in 20 ms frames of 160 bytes, continuously (silence included), and
plays back whatever the assistant says. The session is set to G.711 both ways, so no
conversion happens in the service; the server's voice activity detection ends the caller's turn.

This sample plays the caller: it resamples ``samples/data/what_is_the_weather.wav`` (24 kHz) to
8 kHz, G.711-encodes it and streams it in real time in 160-byte frames, then keeps sending
silence like an open phone line until the assistant's reply is complete. The reply's G.711
audio is decoded and written as an 8 kHz PCM16 WAV (``telephony_output.wav``).

    python samples/telephony_async.py [--alaw]                          # against the fake server
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/telephony_async.py     # against Azure
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from _common import parser, run, target, voice_config

from azure.ai.voicelive.aio import VoiceLiveConnection, connect
from azure.ai.voicelive.audio import (
    alaw_decode,
    alaw_encode,
    chunk_audio,
    load_pcm16,
    silence_pcm16,
    ulaw_decode,
    ulaw_encode,
    write_wav,
)
from azure.ai.voicelive.models import (
    Modality,
    RequestSession,
    ServerEventConversationItemInputAudioTranscriptionCompleted,
    ServerEventError,
    ServerEventInputAudioBufferSpeechStarted,
    ServerEventInputAudioBufferSpeechStopped,
    ServerEventResponseAudioDelta,
    ServerEventResponseAudioTranscriptDelta,
    ServerEventResponseDone,
    ServerVad,
)

HERE = Path(__file__).resolve().parent
PHONE_RATE = 8_000
FRAME_MS = 20  # 160 samples = 160 bytes of G.711


async def phone_line(
    conn: VoiceLiveConnection, frames: list[bytes], silence: bytes, hangup: asyncio.Event
) -> None:
    """Send the caller's frames every 20 ms, then silence, until ``hangup`` (at most 60 s)."""
    loop = asyncio.get_running_loop()
    due = loop.time()
    for n in range(60_000 // FRAME_MS):
        if hangup.is_set():
            return
        await conn.input_audio_buffer.append(audio=frames[n] if n < len(frames) else silence)
        due += FRAME_MS / 1000
        await asyncio.sleep(max(0.0, due - loop.time()))


async def converse(conn: VoiceLiveConnection, reply: bytearray, decode: Callable[[bytes], bytes]) -> None:
    """Follow the call until the assistant's reply is complete, decoding its G.711 audio into ``reply``."""
    started = False
    async for event in conn:
        if isinstance(event, ServerEventInputAudioBufferSpeechStarted):
            print(f"[caller speaking at {event.audio_start_ms} ms]")
        elif isinstance(event, ServerEventInputAudioBufferSpeechStopped):
            print(f"[caller stopped at {event.audio_end_ms} ms]")
        elif isinstance(event, ServerEventConversationItemInputAudioTranscriptionCompleted):
            print(f"caller (transcribed): {event.transcript}")
        elif isinstance(event, ServerEventResponseAudioDelta):
            reply += decode(event.delta)  # G.711 bytes -> PCM16, ready for a WAV or a sound card
        elif isinstance(event, ServerEventResponseAudioTranscriptDelta):
            if not started:
                print("assistant: ", end="")
                started = True
            print(event.delta, end="", flush=True)
        elif isinstance(event, ServerEventError):
            print(f"\nerror: {event.error.code}: {event.error.message}")
        elif isinstance(event, ServerEventResponseDone):
            print(f"  [{event.response.status}]")
            if event.response.status == "completed":
                return


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--alaw", action="store_true", help="use G.711 A-law instead of mu-law")
    p.add_argument("--input-wav", type=Path, default=HERE / "data" / "what_is_the_weather.wav")
    p.add_argument("--output", type=Path, default=Path("telephony_output.wav"))
    args = p.parse_args()
    codec = "g711_alaw" if args.alaw else "g711_ulaw"
    encode, decode = (alaw_encode, alaw_decode) if args.alaw else (ulaw_encode, ulaw_decode)

    # What the gateway receives from the phone network: 8 kHz G.711 in 160-byte frames.
    caller = encode(load_pcm16(args.input_wav, sample_rate=PHONE_RATE))
    frames = list(chunk_audio(caller, chunk_ms=FRAME_MS, audio_format=codec))
    silence = encode(silence_pcm16(FRAME_MS, sample_rate=PHONE_RATE))

    reply = bytearray()  # decoded PCM16 at 8 kHz
    async with (
        target(args) as t,
        connect(endpoint=t.endpoint, credential=t.credential, model=t.model) as conn,
    ):
        await conn.session.update(
            session=RequestSession(
                instructions="You answer phone calls for a weather line. Keep answers short.",
                modalities=[Modality.TEXT, Modality.AUDIO],
                voice=voice_config(t.voice),
                input_audio_format=codec,
                output_audio_format=codec,
                input_audio_transcription={"model": "whisper-1"},
                turn_detection=ServerVad(silence_duration_ms=500),
            )
        )
        print(f"caller: {len(frames)} frames of {len(frames[0])} bytes ({codec}, {PHONE_RATE} Hz)")
        hangup = asyncio.Event()
        line = asyncio.create_task(phone_line(conn, frames, silence, hangup))
        try:
            await asyncio.wait_for(converse(conn, reply, decode), timeout=60)
        finally:
            hangup.set()
            await line

    write_wav(args.output, bytes(reply), sample_rate=PHONE_RATE)
    print(f"wrote {len(reply) / 2 / PHONE_RATE:.1f} s of the reply ({PHONE_RATE} Hz PCM16) to {args.output}")


if __name__ == "__main__":
    run(main)
