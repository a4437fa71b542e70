"""Voice assistant: talk to it through the microphone, hear it through the speaker, interrupt it.

The shape of a real voice app:

* the microphone streams 20 ms chunks (``Microphone``) into ``input_audio_buffer.append``;
* server voice activity detection (``ServerVad``, or ``AzureSemanticVad`` with
  ``--vad semantic``) decides when you start and stop talking, and starts each response;
* the reply's audio goes to the speaker (``AudioPlayer``) through a ``BargeInHandler``, which
  also handles interruptions: when you talk over the assistant it cancels the response,
  clears the queued audio and truncates the assistant's item at the milliseconds you heard.

Devices need ``pip install 'voicelive[audio]'`` (sounddevice). Without them, run it on files:
``--input-wav PATH`` plays the role of the microphone (the WAV spoken in real time in 20 ms
chunks, then silence until the reply has been heard, so the detector ends the turn) and
``--output-wav PATH`` the role of the speaker (a ``VirtualPlayer`` plays the reply against the
clock and the WAV gets exactly what was played). It stops after the first complete reply, or
after ``--turns N`` (the WAV is spoken again for each turn); with the microphone it runs until
Ctrl+C. Against the bundled fake server, audio is paced like the real service's.

``--reconnect`` keeps the call going across dropped connections, service restarts and session
expiry (``connect(..., reconnect=ReconnectPolicy())``): the session configuration and the
conversation are carried to the new session and each reconnect is printed. Against the fake
server the sample simulates a service restart (close code 1012) after the first reply.

    python samples/voice_assistant_async.py                             # microphone and speaker
    python samples/voice_assistant_async.py --input-wav samples/data/what_is_the_weather.wav \\
        --output-wav reply.wav                                          # no audio devices needed
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/voice_assistant_async.py   # against Azure
    python samples/voice_assistant_async.py --reconnect --turns 2 \
        --input-wav samples/data/what_is_the_weather.wav --output-wav reply.wav   # survives a restart
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Union

from _common import parser, run, target, voice_config

from azure.ai.voicelive.aio import (
    BargeInHandler,
    ReconnectedEvent,
    ReconnectPolicy,
    VoiceLiveConnection,
    connect,
)
from azure.ai.voicelive.audio import (
    AudioDependencyError,
    AudioPlayer,
    Microphone,
    VirtualPlayer,
    chunk_audio,
    duration_ms,
    load_pcm16,
    silence_pcm16,
    write_wav,
)
from azure.ai.voicelive.models import (
    AudioEchoCancellation,
    AudioNoiseReduction,
    AzureSemanticVad,
    Modality,
    RequestSession,
    ServerEventConversationItemInputAudioTranscriptionCompleted,
    ServerEventConversationItemTruncated,
    ServerEventError,
    ServerEventInputAudioBufferSpeechStarted,
    ServerEventInputAudioBufferSpeechStopped,
    ServerEventResponseAudioTranscriptDelta,
    ServerEventResponseDone,
    ServerVad,
)

RATE = 24_000
CHUNK_MS = 20
Player = Union[AudioPlayer, VirtualPlayer]


async def wav_microphone(path: Path, player: Player, reply_done: asyncio.Event) -> AsyncIterator[bytes]:
    """A stand-in microphone: the WAV in real time, then silence until the reply was heard; again."""
    speech = load_pcm16(path, sample_rate=RATE)
    silence = silence_pcm16(CHUNK_MS, sample_rate=RATE)

    def chunks() -> Iterator[bytes]:
        while True:
            reply_done.clear()
            yield from chunk_audio(speech, chunk_ms=CHUNK_MS)
            while not reply_done.is_set() or player.queued_ms > 0:  # listening to the answer
                yield silence

    loop = asyncio.get_running_loop()
    due = loop.time()
    for chunk in chunks():
        yield chunk
        due += CHUNK_MS / 1000
        await asyncio.sleep(max(0.0, due - loop.time()))


async def send_microphone(conn: VoiceLiveConnection, source: AsyncIterator[bytes]) -> None:
    async for chunk in source:
        await conn.input_audio_buffer.append(audio=chunk)


async def converse(
    conn: VoiceLiveConnection,
    player: Player,
    turns: int,
    reply_done: asyncio.Event,
    after_reply: Callable[[int], Awaitable[None]] | None = None,
) -> None:
    """Handle server events until ``turns`` replies were completed (0: forever).

    ``after_reply(n)`` runs after the n-th completed reply (the fake-server restart of ``--reconnect``).
    """
    barge_in = BargeInHandler(conn, player)
    completed = 0
    started = False
    async for event in conn:
        assistant_speaking = barge_in.response_active or player.queued_ms > 0
        # Plays the reply's audio; on speech_started: cancel the response, clear playback, truncate.
        await barge_in.handle(event)
        if isinstance(event, ServerEventInputAudioBufferSpeechStarted):
            print(f"[you started speaking at {event.audio_start_ms} ms]")
            if assistant_speaking:
                print("[you interrupted the assistant: response cancelled, playback cleared]")
        elif isinstance(event, ServerEventConversationItemTruncated):
            print(f"[the assistant's reply was truncated at {event.audio_end_ms} ms, what you heard]")
        elif isinstance(event, ServerEventInputAudioBufferSpeechStopped):
            print(f"[you stopped speaking at {event.audio_end_ms} ms]")
        elif isinstance(event, ServerEventConversationItemInputAudioTranscriptionCompleted):
            print(f"you (transcribed): {event.transcript}")
        elif isinstance(event, ServerEventResponseAudioTranscriptDelta):
            if not started:
                print("assistant: ", end="")
                started = True
            print(event.delta, end="", flush=True)
        elif isinstance(event, ReconnectedEvent):  # only with --reconnect
            lost = f"; lost: {', '.join(event.lost)}" if event.lost else ""
            print(
                f"[{event.cause} (code {event.close_code}): continued on a new session after "
                f"{event.downtime_ms:.0f} ms; settings restored: {event.session_restored}, "
                f"{event.items_replayed} conversation items replayed{lost}]"
            )
            started = False
        elif isinstance(event, ServerEventError):
            print(f"\nerror: {event.error.code}: {event.error.message}")
        elif isinstance(event, ServerEventResponseDone):
            print(f"  [{event.response.status}]")
            started = False
            if event.response.status == "completed":
                completed += 1
                reply_done.set()
                if completed == turns:
                    return
                if after_reply is not None:
                    await after_reply(completed)


def open_devices(args: Any) -> tuple[Player, Any]:
    """The speaker and the microphone: real devices, or files (``--output-wav`` / ``--input-wav``)."""
    try:
        player: Player = VirtualPlayer(sample_rate=RATE, record=True) if args.output_wav else AudioPlayer()
        mic = None if args.input_wav else Microphone(sample_rate=RATE, chunk_ms=CHUNK_MS)
    except AudioDependencyError as exc:
        raise SystemExit(
            f"{exc}\nOr run without audio devices: --input-wav samples/data/what_is_the_weather.wav "
            "--output-wav reply.wav"
        ) from None
    return player, mic


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--input-wav", type=Path, help="speak this WAV instead of using the microphone")
    p.add_argument("--output-wav", type=Path, help="play into this WAV instead of the speaker")
    p.add_argument(
        "--turns", type=int, default=None, help="stop after N replies (default: 1 with --input-wav)"
    )
    p.add_argument("--vad", choices=["server", "semantic"], default="server", help="turn detection")
    p.add_argument(
        "--reconnect",
        action="store_true",
        help="survive dropped connections and session expiry (with the fake server: simulate a restart)",
    )
    args = p.parse_args()
    turns = args.turns if args.turns is not None else (1 if args.input_wav else 0)
    player, mic = open_devices(args)

    vad = AzureSemanticVad if args.vad == "semantic" else ServerVad
    detection = vad(threshold=0.5, prefix_padding_ms=300, silence_duration_ms=500)

    async with (
        target(args, realtime=True) as t,
        connect(
            endpoint=t.endpoint,
            credential=t.credential,
            model=t.model,
            reconnect=ReconnectPolicy() if args.reconnect else None,
        ) as conn,
    ):
        await conn.session.update(
            session=RequestSession(
                instructions="You are a friendly voice assistant. Keep answers short.",
                modalities=[Modality.TEXT, Modality.AUDIO],
                voice=voice_config(t.voice),
                input_audio_format="pcm16",
                output_audio_format="pcm16",
                input_audio_transcription={"model": "whisper-1"},
                input_audio_noise_reduction=AudioNoiseReduction(type="azure_deep_noise_suppression"),
                input_audio_echo_cancellation=AudioEchoCancellation(),  # the speaker must not interrupt
                turn_detection=detection,
            )
        )
        reply_done = asyncio.Event()
        if args.input_wav:
            source = wav_microphone(args.input_wav, player, reply_done)
            print(f"(speaking {args.input_wav.name} as the microphone)")
        else:
            source = aiter(mic)
            print("(listening: speak into the microphone; Ctrl+C to stop)")

        async def restart_fake_server(completed: int) -> None:
            if completed == 1:
                print("[simulating a service restart: the fake server closes the connection with 1012]")
                await t.server.close_all(1012, "service restarting")

        after_reply = restart_fake_server if args.reconnect and t.fake else None

        async with player:
            sender = asyncio.create_task(send_microphone(conn, source))
            try:
                timeout = 60.0 * turns if args.input_wav else None
                await asyncio.wait_for(converse(conn, player, turns, reply_done, after_reply), timeout)
                await asyncio.wait_for(player.drain(), timeout=60)  # let the last reply finish playing
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
                if mic is not None:
                    mic.close()

    if args.output_wav:
        assert isinstance(player, VirtualPlayer)
        write_wav(args.output_wav, bytes(player.played_audio), sample_rate=RATE)
        print(
            f"wrote {duration_ms(len(player.played_audio)) / 1000:.1f} s of played audio to {args.output_wav}"
        )


if __name__ == "__main__":
    run(main)
