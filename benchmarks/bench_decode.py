"""Decode cost of a realistic server event stream: our typed decoder against the plain-JSON floor.

The stream imitates a spoken response: interleaved ``response.audio_transcript.delta`` and
``response.audio.delta`` frames (each audio delta carries 100 ms of 24 kHz PCM16: 4,800 bytes,
6,400 base64 characters), with a ``response.done`` carrying a full response (output item,
usage with token details) every 50 events.

Measured in the same process, rounds alternating between the variants (so drift hits all alike),
with the garbage collector disabled during each round:

  (a) ``json.loads(frame)``                                   - parsing alone
  (b) ``json.loads`` + ``base64.b64decode`` of audio deltas   - the floor a user of plain JSON hits
  (c) ``decode_server_event(frame)`` + ``event.type`` and ``event.delta`` (``bytes`` for audio)
  (c0) ``decode_server_event(frame)`` alone                   - the lazy decode, nothing read

Run:  python benchmarks/bench_decode.py [--events 1000] [--rounds 7] [--passes 5]
Only the standard library and this project are needed.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import math
import platform
import statistics
import struct
import sys
import time
from collections.abc import Callable

from azure.ai.voicelive._protocol.codec import decode_server_event

SAMPLE_RATE = 24_000
CHUNK_MS = 100


def pcm_chunk(index: int) -> bytes:
    """100 ms of a 220 Hz tone as 24 kHz PCM16 little-endian mono (4,800 bytes)."""
    n = SAMPLE_RATE * CHUNK_MS // 1000
    start = index * n
    return struct.pack(
        f"<{n}h", *(int(8000 * math.sin(2 * math.pi * 220 * (start + i) / SAMPLE_RATE)) for i in range(n))
    )


def response_done(n: int) -> dict[str, object]:
    return {
        "type": "response.done",
        "event_id": f"event_{n:06d}",
        "response": {
            "id": f"resp_{n:06d}",
            "object": "realtime.response",
            "status": "completed",
            "status_details": None,
            "output": [
                {
                    "id": f"item_{n:06d}",
                    "object": "realtime.item",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [
                        {"type": "audio", "transcript": "It's 18 degrees and sunny in Seattle right now."}
                    ],
                }
            ],
            "conversation_id": "conv_CAbR3xq0Zf2mVw8kLp1Ty",
            "voice": {"type": "azure-standard", "name": "en-US-AvaMultilingualNeural", "temperature": 0.8},
            "modalities": ["text", "audio"],
            "output_audio_format": "pcm16",
            "temperature": 0.8,
            "max_output_tokens": "inf",
            "usage": {
                "total_tokens": 372,
                "input_tokens": 227,
                "output_tokens": 145,
                "input_token_details": {
                    "cached_tokens": 128,
                    "text_tokens": 119,
                    "audio_tokens": 108,
                    "image_tokens": 0,
                    "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 64, "image_tokens": 0},
                },
                "output_token_details": {"text_tokens": 32, "audio_tokens": 113},
            },
        },
    }


def build_stream(count: int) -> tuple[list[str], list[bytes]]:
    """Return the text frames and the PCM chunks the audio deltas carry (in order)."""
    words = ["It's", "18", "degrees", "and", "sunny", "in", "Seattle", "right", "now."]
    frames: list[str] = []
    pcm: list[bytes] = []
    chunks = [pcm_chunk(i) for i in range(8)]  # distinct payloads, reused (encoding is not measured)
    common = {"response_id": "resp_CAbR5mN2cJ7hGd4eQw9Zk", "item_id": "item_CAbR5nB1aZ9xCv7bNm4Qs"}
    for n in range(count):
        if n % 50 == 49:
            event: dict[str, object] = response_done(n)
        elif n % 2 == 0:
            event = {
                "type": "response.audio_transcript.delta",
                "event_id": f"event_{n:06d}",
                **common,
                "output_index": 0,
                "content_index": 0,
                "delta": words[n % len(words)] + " ",
            }
        else:
            chunk = chunks[n % len(chunks)]
            pcm.append(chunk)
            event = {
                "type": "response.audio.delta",
                "event_id": f"event_{n:06d}",
                **common,
                "output_index": 0,
                "content_index": 0,
                "delta": base64.b64encode(chunk).decode("ascii"),
            }
        frames.append(json.dumps(event, separators=(",", ":")))
    return frames, pcm


def run_json(frames: list[str]) -> int:
    loads = json.loads
    n = 0
    for f in frames:
        loads(f)
        n += 1
    return n


def run_json_b64(frames: list[str]) -> int:
    loads = json.loads
    b64decode = base64.b64decode
    total = 0
    for f in frames:
        d = loads(f)
        if d["type"] == "response.audio.delta":
            total += len(b64decode(d["delta"]))
    return total


def run_typed(frames: list[str]) -> int:
    decode = decode_server_event
    total = 0
    for f in frames:
        ev = decode(f)
        if ev.type == "response.audio.delta":
            total += len(ev.delta)
    return total


def run_typed_lazy(frames: list[str]) -> int:
    decode = decode_server_event
    n = 0
    for f in frames:
        decode(f)
        n += 1
    return n


def timed(fn: Callable[[list[str]], int], frames: list[str], passes: int) -> int:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(passes):
            fn(frames)
        return time.perf_counter_ns() - start
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--passes", type=int, default=5, help="passes over the stream per round")
    args = parser.parse_args(argv)

    frames, pcm = build_stream(args.events)
    n_audio = sum('"type":"response.audio.delta"' in f for f in frames)
    n_done = sum('"type":"response.done"' in f for f in frames)
    size = sum(len(f) for f in frames)

    # Correctness first: every variant sees the same audio.
    assert run_json_b64(frames) == run_typed(frames) == sum(len(c) for c in pcm)
    typed_audio = [ev.delta for ev in map(decode_server_event, frames) if ev.type == "response.audio.delta"]
    assert typed_audio == pcm

    variants: dict[str, Callable[[list[str]], int]] = {
        "(a)  json.loads": run_json,
        "(b)  json.loads + b64decode (floor)": run_json_b64,
        "(c)  decode_server_event + .type/.delta": run_typed,
        "(c0) decode_server_event only (lazy)": run_typed_lazy,
    }
    for fn in variants.values():  # warm-up
        fn(frames)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]  # rotate who goes first
        for name in order:
            ns = timed(variants[name], frames, args.passes)
            samples[name].append(ns / 1000 / (len(frames) * args.passes))

    print(f"Python {sys.version.split()[0]} ({platform.python_implementation()}) on {platform.platform()}")
    print(
        f"{len(frames)} frames, {size / 1e6:.2f} MB of text: {n_audio} response.audio.delta "
        f"({CHUNK_MS} ms / 4,800 bytes / 6,400 base64 chars each), "
        f"{len(frames) - n_audio - n_done} response.audio_transcript.delta, {n_done} response.done"
    )
    print(
        f"{args.rounds} alternating rounds per variant ({args.passes} passes over the stream each), "
        "gc disabled during rounds; microseconds per event"
    )
    print()
    print(f"{'variant':42} {'median':>8} {'min':>8} {'max':>8}")
    for name in names:
        s = samples[name]
        print(f"{name:42} {statistics.median(s):8.2f} {min(s):8.2f} {max(s):8.2f}")
    b = samples[names[1]]
    c = samples[names[2]]
    print()
    print(
        f"ratio (c)/(b): median {statistics.median(c) / statistics.median(b):.3f}, "
        f"best-of {min(c) / min(b):.3f}"
    )


if __name__ == "__main__":
    main()
