"""Soak for opt-in reconnect: one long voice call through session expiry and TCP drops.

Not a test (not run in CI). A 60-second call (``--seconds``) against the fake service with
sessions that expire every 5 s (``--session``) and a TCP drop about every 7 s (``--drop-every``,
+-1 s), with ``connect(..., reconnect=ReconnectPolicy())``:

* a microphone task streams a 20 ms ``input_audio_buffer.append`` every 20 ms (near-silence, so
  the server VAD stays quiet; each chunk carries its sequence number in its first samples);
* a user task takes turns: a text message "turn k" and ``response.create``; the fake answers with
  what it remembers (``"<k> user turns so far."``), in real-time paced speech. When a reconnect
  reports the response lost, the user asks again.

It checks and reports: every user turn answered with the right count (the conversation survived
every new session); no microphone chunk lost without being counted (server-received + reported
dropped = sent); reconnect downtime p50/p95 (target p95 < 300 ms on loopback); rotations
(make-before-break, before ``expires_at``) never during a response and no gap in output audio.

Session expiry: with a fake that accepts ``FakeVoiceLiveServer(max_session_duration=...)`` it is
the real thing (``error`` ``session_expired``, then close 1001, ``expires_at`` in
``session.created``). With an older fake it is emulated: every ``--session`` seconds the server
closes every connection with 1001, and ``expires_at`` is patched into ``session.created`` so the
client can rotate (the report says which mode ran).

Run:  python benchmarks/soak_reconnect.py [--seconds 60] [--session 5] [--drop-every 7] [--json out.json]
Everything stays on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import logging
import random
import struct
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import ReconnectedEvent, ReconnectPolicy, VoiceLiveConnection, connect
from azure.ai.voicelive.testing import FakeVoiceLiveServer

CHUNK_MS = 20
CHUNK_SAMPLES = 24_000 * CHUNK_MS // 1000
ANSWER = " user turns so far."


def remembering(conversation: list[dict[str, Any]], session: dict[str, Any]) -> str:
    """Answers with what the session remembers: how many user turns the conversation holds."""
    return f"{sum(1 for item in conversation if item.get('role') == 'user')}{ANSWER}"


def mic_chunk(seq: int) -> bytes:
    """20 ms of near-silence whose first three samples encode ``seq`` (amplitude < 64)."""
    head = struct.pack("<3h", seq % 64, seq // 64 % 64, seq // 4096 % 64)
    return head + bytes(2 * CHUNK_SAMPLES - len(head))


def chunk_seq(audio_b64: str) -> int:
    a, b, c = struct.unpack("<3h", base64.b64decode(audio_b64)[:6])
    return a + 64 * b + 4096 * c


@dataclass
class Tally:
    mode: str = ""
    seconds: float = 0.0
    turns_sent: int = 0
    turns_answered: int = 0
    wrong_answers: list[str] = field(default_factory=list[str])
    asked_again: int = 0
    reconnects: dict[str, int] = field(default_factory=dict[str, int])
    downtime_ms: list[float] = field(default_factory=list[float])
    rotation_during_response: int = 0
    first_answer_after_new_session_ok: int = 0
    first_answer_after_new_session_wrong: int = 0
    items_not_replayed: int = 0
    lost: list[str] = field(default_factory=list[str])
    audio_gaps_over_250ms: int = 0
    max_audio_gap_ms: float = 0.0
    mic_sent: int = 0
    mic_received: int = 0
    mic_reported_dropped: int = 0
    mic_duplicates: int = 0
    mic_unaccounted: int = 0
    drops_injected: int = 0
    expiries_emulated: int = 0


def make_server(session_seconds: float) -> tuple[FakeVoiceLiveServer, str]:
    """The fake with real session expiry when it has it, else an emulated one."""
    try:
        server = FakeVoiceLiveServer(
            realtime=True,
            responder=remembering,
            max_session_duration=session_seconds,  # type: ignore[call-arg]
        )
        return server, "real session expiry (max_session_duration)"
    except TypeError:
        pass
    from azure.ai.voicelive.testing import _simulator

    original = _simulator.default_session

    def short_lived(**kwargs: Any) -> dict[str, Any]:
        session = original(**kwargs)
        session["expires_at"] = time.time() + session_seconds
        return session

    _simulator.default_session = short_lived  # type: ignore[assignment]
    server = FakeVoiceLiveServer(realtime=True, responder=remembering)
    return server, "emulated session expiry (close_all(1001) every --session s; expires_at patched)"


async def drop_all(server: FakeVoiceLiveServer) -> int:
    """Abort the TCP connection of every open websocket (no close frame); how many were aborted."""
    return await server.drop_all()


async def chaos(server: FakeVoiceLiveServer, args: argparse.Namespace, tally: Tally, emulate: bool) -> None:
    rng = random.Random(args.seed)
    loop = asyncio.get_running_loop()
    start = loop.time()
    next_drop = start + args.drop_every + rng.uniform(-1, 1)
    next_expiry = start + args.session
    while True:
        now = loop.time()
        wake = min(next_drop, next_expiry if emulate else float("inf"))
        await asyncio.sleep(max(0.0, wake - now))
        if loop.time() >= next_drop:
            tally.drops_injected += await drop_all(server)
            next_drop += args.drop_every + rng.uniform(-1, 1)
        if emulate and loop.time() >= next_expiry:
            await server.close_all(1001, "session expired (emulated)")
            tally.expiries_emulated += 1
            next_expiry += args.session


async def microphone(conn: VoiceLiveConnection, tally: Tally, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    due = loop.time()
    seq = 0
    while not stop.is_set():
        await conn.input_audio_buffer.append(audio=mic_chunk(seq))
        seq += 1
        tally.mic_sent = seq
        due += CHUNK_MS / 1000
        await asyncio.sleep(max(0.0, due - loop.time()))


class Call:
    """The user: one turn at a time, asking again when a reconnect lost the response."""

    def __init__(self, conn: VoiceLiveConnection, tally: Tally) -> None:
        self.conn = conn
        self.tally = tally
        self.turn = 0
        self.answered: asyncio.Event = asyncio.Event()
        self.response_active = False
        self.new_session = False
        self.last_audio: float | None = None

    async def read(self) -> None:
        tally = self.tally
        loop = asyncio.get_running_loop()
        async for event in self.conn:
            if isinstance(event, ReconnectedEvent):
                tally.reconnects[event.cause] = tally.reconnects.get(event.cause, 0) + 1
                if event.cause == "rotation":
                    tally.rotation_during_response += int(self.response_active)
                else:
                    tally.downtime_ms.append(event.downtime_ms)
                tally.items_not_replayed += event.items_not_replayed
                tally.mic_reported_dropped += event.audio_dropped_bytes // (2 * CHUNK_SAMPLES)
                tally.lost.extend(event.lost)
                self.new_session = True
                self.last_audio = None
                if self.turn and not self.answered.is_set() and any("response" in x for x in event.lost):
                    tally.asked_again += 1
                    self.response_active = False
                    await self.conn.response.create()
            elif event.type == "response.created":
                self.response_active = True
                self.last_audio = None
            elif event.type == "response.audio.delta":
                now = loop.time()
                if self.last_audio is not None:
                    gap = (now - self.last_audio) * 1000
                    tally.max_audio_gap_ms = max(tally.max_audio_gap_ms, gap)
                    tally.audio_gaps_over_250ms += gap > 250
                self.last_audio = now
            elif event.type == "response.audio_transcript.done":
                self.check(str(event.transcript))
            elif event.type == "response.done":
                self.response_active = False
                self.last_audio = None
                if event.response.status == "completed":
                    self.answered.set()
                elif not self.answered.is_set():
                    tally.asked_again += 1
                    await self.conn.response.create()

    def check(self, transcript: str) -> None:
        expected = f"{self.turn}{ANSWER}"
        ok = transcript.strip() == expected
        if not ok:
            self.tally.wrong_answers.append(f"turn {self.turn}: {transcript!r}")
        if self.new_session:
            self.new_session = False
            if ok:
                self.tally.first_answer_after_new_session_ok += 1
            else:
                self.tally.first_answer_after_new_session_wrong += 1

    async def talk(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.turn += 1
            self.answered.clear()
            self.tally.turns_sent += 1
            item = {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": f"turn {self.turn}"}],
            }
            await self.conn.conversation.item.create(item=item)
            await self.conn.response.create()
            await asyncio.wait_for(self.answered.wait(), 30)
            self.tally.turns_answered += 1
            await asyncio.sleep(0.4)  # a quiet moment between turns


async def soak(args: argparse.Namespace) -> Tally:
    tally = Tally()
    server, tally.mode = make_server(args.session)
    emulate = tally.mode.startswith("emulated")
    policy = ReconnectPolicy(max_elapsed=30)
    started = time.monotonic()
    async with server:
        async with connect(
            endpoint=server.endpoint,
            credential=AzureKeyCredential("k"),
            model="gpt-realtime",
            reconnect=policy,
        ) as conn:
            await conn.session.update(
                session={
                    "instructions": "Say how many user turns you remember.",
                    "modalities": ["text", "audio"],
                    "input_audio_format": "pcm16",
                    "output_audio_format": "pcm16",
                }
            )
            call = Call(conn, tally)
            stop = asyncio.Event()
            tasks = [
                asyncio.create_task(call.read()),
                asyncio.create_task(microphone(conn, tally, stop)),
                asyncio.create_task(chaos(server, args, tally, emulate)),
            ]
            talker = asyncio.create_task(call.talk(stop))
            try:
                await asyncio.wait(
                    {talker, *tasks}, timeout=args.seconds, return_when=asyncio.FIRST_EXCEPTION
                )
                for task in (talker, *tasks):
                    if task.done() and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
                stop.set()
                tasks[2].cancel()  # no more faults: let the last turn finish
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(talker, 30)
                await asyncio.sleep(0.5)  # the last held audio goes out
            finally:
                for task in (talker, *tasks):
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
        tally.seconds = time.monotonic() - started
        seqs = [
            chunk_seq(e["audio"]) for e in server.received if e.get("type") == "input_audio_buffer.append"
        ]
    tally.mic_received = len(set(seqs))
    tally.mic_duplicates = len(seqs) - len(set(seqs))
    return tally


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(t: Tally) -> dict[str, Any]:
    t.mic_unaccounted = t.mic_sent - t.mic_received - t.mic_reported_dropped
    p50, p95 = percentile(t.downtime_ms, 0.5), percentile(t.downtime_ms, 0.95)
    out = asdict(t)
    out.update(downtime_p50_ms=p50, downtime_p95_ms=p95)
    print(f"mode: {t.mode}; {t.seconds:.1f} s")
    print(
        f"turns: {t.turns_sent} sent, {t.turns_answered} answered, {len(t.wrong_answers)} wrong, "
        f"asked again {t.asked_again}"
    )
    print(
        f"reconnects by cause: {t.reconnects}; connections dropped {t.drops_injected}, "
        f"expiries emulated {t.expiries_emulated}"
    )
    print(
        f"downtime (reconnects, not rotations): n={len(t.downtime_ms)} p50={p50:.1f} ms "
        f"p95={p95:.1f} ms (target p95 < 300 ms)"
    )
    print(
        f"context after a new session: {t.first_answer_after_new_session_ok} right, "
        f"{t.first_answer_after_new_session_wrong} wrong; items not replayed {t.items_not_replayed}"
    )
    print(
        f"rotations during a response: {t.rotation_during_response}; output audio gaps > 250 ms: "
        f"{t.audio_gaps_over_250ms} (max gap {t.max_audio_gap_ms:.0f} ms)"
    )
    print(
        f"microphone chunks: {t.mic_sent} sent, {t.mic_received} received, {t.mic_reported_dropped} reported "
        f"dropped, {t.mic_duplicates} repeated (to a new session: at a rotation, or uncommitted at a "
        "drop), "
        f"{t.mic_unaccounted} unaccounted (lost in flight at a drop)"
    )
    if t.wrong_answers:
        print("wrong answers:", "; ".join(t.wrong_answers[:10]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="Soak: one long call through session expiry and TCP drops.")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--session", type=float, default=5.0, help="session lifetime (max_session_duration)")
    parser.add_argument("--drop-every", type=float, default=7.0, help="seconds between TCP drops (+-1 s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--log", action="store_true", help="show the SDK's INFO logs")
    args = parser.parse_args()
    if args.log:
        logging.basicConfig(level=logging.INFO, format="%(relativeCreated)8.0f %(message)s")
    tally = asyncio.run(soak(args))
    out = report(tally)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    ok = (
        tally.turns_answered == tally.turns_sent
        and not tally.wrong_answers
        and tally.mic_unaccounted <= 0
        and tally.rotation_during_response == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
