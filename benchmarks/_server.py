"""The benchmark server: a plain aiohttp.web WebSocket server run in its own process.

It serves ``/voice-live/realtime`` (any query) and sends ``session.created`` first, like the
service. The ``scenario`` query parameter selects what it does next:

* ``receive&n=N`` -- wait for the client's first frame (``bench.start``), then send N events
  as fast as possible, alternating ``response.audio_transcript.delta`` and
  ``response.audio.delta`` (100 ms of 24 kHz PCM16 = 4,800 bytes, 6,400 base64 characters),
  then close with 1000.
* ``send`` -- read frames; answer ``input_audio_buffer.commit`` with
  ``input_audio_buffer.committed``.
* ``idle`` -- read frames until the client closes.
* ``realtime`` -- after the client's first frame, send one 100 ms ``response.audio.delta`` plus
  one ``response.audio_transcript.delta`` every 100 ms (absolute schedule, a random phase per
  connection) while reading the client's frames, until the client closes.

Run:  python benchmarks/_server.py [--port 0] [--uvloop]   (prints ``PORT <n>`` once listening;
exits when stdin is closed, so it never outlives the harness).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import random
import struct
import sys

from aiohttp import WSMsgType, web

SAMPLE_RATE = 24_000


def pcm16_tone(ms: int, index: int = 0, freq: float = 220.0) -> bytes:
    """``ms`` of a tone as 24 kHz PCM16 little-endian mono (continuing from chunk ``index``)."""
    n = SAMPLE_RATE * ms // 1000
    start = index * n
    return struct.pack(
        f"<{n}h",
        *(int(8000 * math.sin(2 * math.pi * freq * (start + i) / SAMPLE_RATE)) for i in range(n)),
    )


_AUDIO_CHUNKS = [base64.b64encode(pcm16_tone(100, i)).decode("ascii") for i in range(10)]
_WORDS = ["Hello", " there", ",", " how", " can", " I", " help", " you", " today", "?"]
_frames_cache: dict[int, list[str]] = {}


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def session_created() -> str:
    return _dumps(
        {
            "type": "session.created",
            "event_id": "event_0000",
            "session": {
                "id": "sess_bench",
                "object": "realtime.session",
                "model": "gpt-4o",
                "modalities": ["text", "audio"],
                "instructions": "You are a helpful assistant.",
                "voice": {"name": "en-US-AvaNeural", "type": "azure-standard"},
                "input_audio_format": "pcm16",
                "output_audio_format": "pcm16",
                "input_audio_sampling_rate": 24000,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                },
                "tools": [],
                "tool_choice": "auto",
                "temperature": 0.8,
                "max_response_output_tokens": "inf",
            },
        }
    )


def transcript_delta(i: int) -> str:
    return _dumps(
        {
            "type": "response.audio_transcript.delta",
            "event_id": f"event_{i:08d}",
            "response_id": "resp_bench0001",
            "item_id": "item_bench0001",
            "output_index": 0,
            "content_index": 0,
            "delta": _WORDS[(i // 2) % len(_WORDS)],
        }
    )


def audio_delta(i: int) -> str:
    return _dumps(
        {
            "type": "response.audio.delta",
            "event_id": f"event_{i:08d}",
            "response_id": "resp_bench0001",
            "item_id": "item_bench0001",
            "output_index": 0,
            "content_index": 0,
            "delta": _AUDIO_CHUNKS[(i // 2) % len(_AUDIO_CHUNKS)],
        }
    )


def response_frames(n: int) -> list[str]:
    """N interleaved transcript / audio delta frames (built once per N)."""
    frames = _frames_cache.get(n)
    if frames is None:
        frames = [transcript_delta(i) if i % 2 == 0 else audio_delta(i) for i in range(n)]
        _frames_cache[n] = frames
    return frames


SESSION_CREATED = session_created()
_REALTIME_FRAMES = response_frames(20)
COMMITTED = _dumps(
    {
        "type": "input_audio_buffer.committed",
        "event_id": "event_commit",
        "previous_item_id": None,
        "item_id": "item_user0001",
    }
)
_COMMIT_MARK = '"input_audio_buffer.commit"'


async def _first_frame(ws: web.WebSocketResponse) -> bool:
    msg = await ws.receive()
    return msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY


async def _drain(ws: web.WebSocketResponse) -> None:
    async for _ in ws:
        pass


async def realtime_ticker(ws: web.WebSocketResponse) -> None:
    loop = asyncio.get_running_loop()
    # Independent sessions are not phase-aligned: start each one's 100 ms clock at a random
    # offset, so N sessions do not all burst in the same millisecond.
    start = loop.time() + random.random() * 0.1
    i = 0
    await asyncio.sleep(start - loop.time())
    frames = _REALTIME_FRAMES  # pre-built: the server's CPU is not what is measured
    while not ws.closed:
        try:
            await ws.send_str(frames[(2 * i) % len(frames)])
            await ws.send_str(frames[(2 * i + 1) % len(frames)])
        except (ConnectionError, RuntimeError):
            return
        i += 1
        delay = start + i * 0.1 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)


async def handler(request: web.Request) -> web.StreamResponse:
    query = request.query
    scenario = query.get("scenario", "idle")
    ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024, autoping=True)
    await ws.prepare(request)
    await ws.send_str(SESSION_CREATED)
    if scenario == "receive":
        frames = response_frames(int(query.get("n", "5000")))
        if await _first_frame(ws):
            send = ws.send_str
            for frame in frames:
                await send(frame)
        await ws.close(code=1000)
    elif scenario == "send":
        async for msg in ws:
            if msg.type is WSMsgType.TEXT and _COMMIT_MARK in msg.data:
                await ws.send_str(COMMITTED)
    elif scenario == "realtime":
        if await _first_frame(ws):
            ticker = asyncio.ensure_future(realtime_ticker(ws))
            try:
                await _drain(ws)
            finally:
                ticker.cancel()
    else:
        await _drain(ws)
    return ws


async def main(port: int) -> None:
    app = web.Application()
    app.router.add_get("/voice-live/realtime", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {bound}", flush=True)
    # Exit when the parent closes our stdin (or dies): never outlive the harness.
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (a cheaper server)")
    cli = parser.parse_args()
    if cli.uvloop:
        import uvloop

        uvloop.run(main(cli.port))
    else:
        asyncio.run(main(cli.port))
