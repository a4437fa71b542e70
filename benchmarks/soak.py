"""Soak: many real-time voice sessions against the fake service, with faults injected at random.

Not a test (not run in CI). It checks, under load and for a long time, the guarantees of
``docs/reliability.md``: nothing lost (per connection, every event the server sent before a close,
a TCP drop or the end is delivered, in order), only documented errors, reconnection works, and
memory does not grow.

* The fake service (:class:`azure.ai.voicelive.testing.FakeVoiceLiveServer`, ``realtime=True``,
  server VAD on) runs in its own process (``soak.py --serve``), so its CPU is not the client's.
  It runs one fake server per fault profile: clean, TCP drops and close frames (1011, 4000)
  after N events, malformed / non-object / binary frames after N events (the session goes on).
* Each of ``--sessions`` clients streams real-time audio (a 20 ms ``input_audio_buffer.append``
  every 20 ms on an absolute schedule: 1 s of tone then 3 s of silence, so the server VAD ends
  a turn and the fake answers with speech) and reads every event. Every (re)connection picks a
  profile at random; after an abnormal end the client reconnects (after 0.2-0.6 s).
* After ``--seconds`` the clients stop sending and the server closes every connection with
  1000, so each connection's tally is complete. The server process counts the events it sent
  on each connection (a hook on the fake server's connection object: test-only internals); the
  client counts what it received. Expected = what the server sent before its fault (or the end).

Run:  python benchmarks/soak.py [--sessions 50] [--seconds 60] [--seed 1] [--json out.json]
Everything stays on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

KEY = "soak-key"
MODEL = "gpt-realtime"
CHUNK_MS = 20

# name -> (weight, Faults keyword arguments). Counts are server events on that connection.
PROFILES: dict[str, tuple[float, dict[str, Any]]] = {
    "clean": (0.40, {}),
    "drop@30": (0.07, {"drop_after": 30}),
    "drop@150": (0.07, {"drop_after": 150}),
    "drop@400": (0.06, {"drop_after": 400}),
    "close1011@60": (0.07, {"close_after": 60, "close_code": 1011, "close_reason": "internal error"}),
    "close4000@250": (0.07, {"close_after": 250, "close_code": 4000, "close_reason": "session expired"}),
    "close1001@100": (0.06, {"close_after": 100, "close_code": 1001, "close_reason": "going away"}),
    "malformed@40": (0.07, {"malformed_after": 40}),
    "non_object@90": (0.06, {"non_object_after": 90}),
    "binary@150": (0.07, {"binary_after": 150}),
}
JUNK_AFTER = {"malformed@40": 40, "non_object@90": 90, "binary@150": 150}


def rss_kb() -> int | None:
    """Resident set size of this process in KiB (Linux), else None."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_kb() -> int | None:
    """Peak resident set size of this process in KiB (Linux VmHWM), else ru_maxrss."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# =========================================================================== server process
async def serve(seed: int) -> None:
    """Run one fake server per profile; report ports, then, on "end", close all and report tallies."""
    from azure.ai.voicelive.testing import FakeVoiceLiveServer, Faults
    from azure.ai.voicelive.testing import _server as fake_impl

    sent: dict[str, int] = {}
    # Test-only hook: the fake's per-connection object counts the events it sent (``sent``).
    original_run = fake_impl._Connection.run

    async def counted_run(self: Any) -> None:
        try:
            await original_run(self)
        finally:
            sent[self.request.query.get("soak-conn", "?")] = self.sent

    fake_impl._Connection.run = counted_run  # type: ignore[method-assign]
    random.seed(seed)
    servers: dict[str, Any] = {}
    for name, (_, faults) in PROFILES.items():
        server = FakeVoiceLiveServer(api_key=KEY, realtime=True, record=False, faults=Faults(**faults))
        await server.start()
        servers[name] = server
    rss_start = rss_kb()
    print(json.dumps({"ports": {n: s.port for n, s in servers.items()}, "rss_kb": rss_start}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    command = (await reader.readline()).decode().strip()  # "end", or "" when the parent is gone
    if command == "end":
        await asyncio.wait_for(
            asyncio.gather(*(s.close_all(1000, "soak over") for s in servers.values())), 30
        )
        deadline = time.monotonic() + 15
        while any(s.connections for s in servers.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    gc.collect()
    report = {"sent": sent, "rss_kb_start": rss_start, "rss_kb_end": rss_kb(), "rss_kb_peak": peak_rss_kb()}
    print(json.dumps(report), flush=True)
    for server in servers.values():
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.stop(), 10)


# =========================================================================== clients
@dataclass
class Conn:
    """One connection as the client saw it."""

    tag: str
    profile: str
    delivered: int = 0
    invalid_frames: int = 0
    id_gaps: int = 0  # event ids not consecutive (event_1, event_2, ...): an event went missing
    end: str = ""  # "1000 soak over", "1006 connection lost ...", "handshake: ...", ...
    end_code: int | None = None
    unexpected: str = ""  # an exception type other than the documented ones
    appends: int = 0
    send_failed: str = ""
    speech_turns: int = 0  # input_audio_buffer.speech_started
    responses_done: int = 0  # response.done
    audio_deltas: int = 0  # response.audio.delta


@dataclass
class Totals:
    conns: list[Conn] = field(default_factory=list)
    max_lag_ms: float = 0.0
    connecting: int = 0


def audio_cycle() -> list[bytes]:
    """One 4 s cycle of 20 ms PCM16 chunks: 1 s of a 220 Hz tone (speech for the VAD), 3 s silence."""
    from azure.ai.voicelive.audio import silence_pcm16, sine_pcm16

    tone = sine_pcm16(220.0, 1000, amplitude=0.3)
    step = 24 * CHUNK_MS * 2  # bytes per chunk at 24 kHz PCM16
    chunks = [tone[i : i + step] for i in range(0, len(tone), step)]
    return chunks + [silence_pcm16(CHUNK_MS)] * 150


async def run_connection(
    ports: dict[str, int], profile: str, tag: str, chunks: list[bytes], stop: asyncio.Event, totals: Totals
) -> Conn:
    from azure.core.credentials import AzureKeyCredential

    from azure.ai.voicelive.aio import ConnectionClosed, ConnectionError, InvalidFrameError, connect

    record = Conn(tag=tag, profile=profile)
    manager = connect(
        endpoint=f"http://127.0.0.1:{ports[profile]}",
        credential=AzureKeyCredential(KEY),
        model=MODEL,
        query={"soak-conn": tag},
        connection_options={"handshake_timeout": 10, "close_timeout": 5, "heartbeat": 10},
    )
    totals.connecting += 1
    try:
        conn = await manager.__aenter__()
    except ConnectionError as exc:
        record.end = f"handshake: {exc}"
        return record
    finally:
        totals.connecting -= 1

    async def sender() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time() + random.random() * 0.02
        i = random.randrange(len(chunks))  # sessions are out of phase
        try:
            while not stop.is_set():
                due = start + record.appends * CHUNK_MS / 1000
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    totals.max_lag_ms = max(totals.max_lag_ms, -delay * 1000)
                await conn.input_audio_buffer.append(audio=chunks[i % len(chunks)])
                record.appends += 1
                i += 1
        except ConnectionClosed as exc:
            record.send_failed = f"{exc.code}"

    async def receiver() -> None:
        expected_id = 1
        while True:
            try:
                async for event in conn:
                    record.delivered += 1
                    kind = event.type
                    if kind == "response.audio.delta":
                        record.audio_deltas += 1
                    elif kind == "input_audio_buffer.speech_started":
                        record.speech_turns += 1
                    elif kind == "response.done":
                        record.responses_done += 1
                    if event.get("event_id") != f"event_{expected_id}":
                        record.id_gaps += 1
                        with contextlib.suppress(ValueError, TypeError, AttributeError):
                            expected_id = int(str(event.get("event_id")).rsplit("_", 1)[1])
                    expected_id += 1
                record.end, record.end_code = f"{conn.close_code} {conn.close_reason}", conn.close_code
                return
            except InvalidFrameError:
                record.invalid_frames += 1
            except ConnectionClosed as exc:
                record.end, record.end_code = f"{exc.code} {exc.reason}", exc.code
                return

    send_task = asyncio.create_task(sender())
    try:
        await receiver()
    except Exception as exc:  # anything else breaks a documented guarantee
        record.unexpected = f"{type(exc).__name__}: {exc}"
    finally:
        send_task.cancel()
        try:
            await send_task
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # append() raised something other than ConnectionClosed
            record.unexpected = record.unexpected or f"send: {type(exc).__name__}: {exc}"
        try:
            await asyncio.wait_for(manager.__aexit__(None, None, None), 10)
        except Exception as exc:
            record.unexpected = record.unexpected or f"close: {type(exc).__name__}: {exc}"
    return record


async def session_loop(
    index: int, ports: dict[str, int], chunks: list[bytes], stop: asyncio.Event, totals: Totals
) -> None:
    names = list(PROFILES)
    weights = [PROFILES[n][0] for n in names]
    await asyncio.sleep(random.random())  # spread the first handshakes over a second
    k = 0
    while not stop.is_set():
        profile = random.choices(names, weights)[0]
        record = await run_connection(ports, profile, f"s{index}-c{k}", chunks, stop, totals)
        totals.conns.append(record)
        k += 1
        if record.end_code == 1000 and stop.is_set():
            return
        await asyncio.sleep(0.2 + random.random() * 0.4)


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    random.seed(args.seed)
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        os.path.abspath(__file__),
        "--serve",
        "--seed",
        str(args.seed),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        hello = json.loads(await asyncio.wait_for(server.stdout.readline(), 30))
        ports: dict[str, int] = hello["ports"]
        # Loaded before the first RSS reading, so the reading is of a warm client.
        import azure.ai.voicelive.aio
        import azure.ai.voicelive.models  # noqa: F401

        chunks = audio_cycle()
        totals = Totals()
        stop = asyncio.Event()
        gc.collect()
        rss = {"start": rss_kb()}
        started = time.monotonic()
        tasks = [
            asyncio.create_task(session_loop(i, ports, chunks, stop, totals)) for i in range(args.sessions)
        ]
        warm = min(10.0, args.seconds / 3)
        await asyncio.sleep(warm)
        rss["after_warmup"] = rss_kb()
        await asyncio.sleep(max(0.0, args.seconds - warm))
        stop.set()
        # Let handshakes in progress finish (they then see `stop`), then ask the server to end.
        deadline = time.monotonic() + 15
        while totals.connecting and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        server.stdin.write(b"end\n")
        await server.stdin.drain()
        done, pending = await asyncio.wait(tasks, timeout=60)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        elapsed = time.monotonic() - started
        tally = json.loads(await asyncio.wait_for(server.stdout.readline(), 60))
        gc.collect()
        rss["end"] = rss_kb()
        rss["peak"] = peak_rss_kb()
        await asyncio.wait_for(server.wait(), 30)
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    return summarize(args, totals, tally, rss, elapsed, len(pending))


def summarize(
    args: argparse.Namespace,
    totals: Totals,
    tally: dict[str, Any],
    rss: dict[str, Any],
    elapsed: float,
    hung: int,
) -> dict[str, Any]:
    sent: dict[str, int] = tally["sent"]
    conns = totals.conns
    mismatches = []
    total_sent = total_delivered = 0
    junk_expected = junk_seen = 0
    for c in conns:
        if c.end.startswith("handshake"):
            continue
        expected = sent.get(c.tag)
        if expected is None:
            mismatches.append(f"{c.tag} ({c.profile}): no server tally")
            continue
        total_sent += expected
        total_delivered += c.delivered
        if c.delivered != expected:
            mismatches.append(
                f"{c.tag} ({c.profile}): server sent {expected}, client got {c.delivered} ({c.end})"
            )
        if c.profile in JUNK_AFTER and expected >= JUNK_AFTER[c.profile]:
            junk_expected += 1
        junk_seen += c.invalid_frames
    ends = collections.Counter(c.end_code if c.end_code is not None else c.end.split(":")[0] for c in conns)
    by_profile = collections.Counter(c.profile for c in conns)
    unexpected = [f"{c.tag}: {c.unexpected}" for c in conns if c.unexpected]
    return {
        "sessions": args.sessions,
        "seconds": args.seconds,
        "elapsed_s": round(elapsed, 1),
        "seed": args.seed,
        "connections": len(conns),
        "reconnects": len(conns) - args.sessions,
        "by_profile": dict(sorted(by_profile.items())),
        "server_sent": total_sent,
        "client_delivered": total_delivered,
        "per_connection_mismatches": mismatches,
        "id_gaps": sum(c.id_gaps for c in conns),
        "invalid_frames": {"expected": junk_expected, "raised": junk_seen},
        "ends_by_code": {str(k): v for k, v in sorted(ends.items(), key=lambda kv: str(kv[0]))},
        "send_failures": collections.Counter(c.send_failed for c in conns if c.send_failed),
        "unexpected_exceptions": unexpected,
        "hung_sessions": hung,
        "appends": sum(c.appends for c in conns),
        "speech_turns": sum(c.speech_turns for c in conns),
        "responses_done": sum(c.responses_done for c in conns),
        "audio_deltas": sum(c.audio_deltas for c in conns),
        "max_sender_lag_ms": round(totals.max_lag_ms, 1),
        "client_rss_kb": rss,
        "server_rss_kb": {k: tally.get(f"rss_kb_{k}") for k in ("start", "end", "peak")},
        "connections_detail": [asdict(c) for c in conns] if args.detail else None,
    }


def print_report(r: dict[str, Any]) -> None:
    def mb(kb: int | None) -> str:
        return "n/a" if kb is None else f"{kb / 1024:.1f} MB"

    pct = 100.0 * r["client_delivered"] / r["server_sent"] if r["server_sent"] else 100.0
    c, s = r["client_rss_kb"], r["server_rss_kb"]
    lines = [
        f"soak: {r['sessions']} sessions x {r['seconds']} s (elapsed {r['elapsed_s']} s), seed {r['seed']}; "
        "fake server realtime=True, server VAD, separate process",
        f"connections: {r['connections']} ({r['reconnects']} reconnects); by profile: "
        + ", ".join(f"{k} {v}" for k, v in r["by_profile"].items()),
        f"events: server sent {r['server_sent']}, client delivered {r['client_delivered']} ({pct:.2f} %); "
        f"connections with delivered != sent: {len(r['per_connection_mismatches'])}; "
        f"event-id gaps: {r['id_gaps']}",
        f"invalid frames: injected {r['invalid_frames']['expected']}, "
        f"raised as InvalidFrameError {r['invalid_frames']['raised']}",
        "connection ends by close code: " + ", ".join(f"{k} x{v}" for k, v in r["ends_by_code"].items()),
        "failed sends (ConnectionClosed code): "
        + (", ".join(f"{k} x{v}" for k, v in sorted(r["send_failures"].items())) or "none"),
        f"unexpected exceptions: {len(r['unexpected_exceptions'])}; hung sessions: {r['hung_sessions']}",
        f"audio: {r['appends']} appends of 20 ms (max sender lag {r['max_sender_lag_ms']} ms); "
        f"server VAD turns {r['speech_turns']}, responses done {r['responses_done']}, "
        f"audio deltas received {r['audio_deltas']}",
        f"client RSS: start {mb(c['start'])}, after warm-up {mb(c['after_warmup'])}, end {mb(c['end'])}, "
        f"peak {mb(c['peak'])}",
        f"server RSS: start {mb(s['start'])}, end {mb(s['end'])}, peak {mb(s['peak'])}",
    ]
    for m in r["per_connection_mismatches"][:10]:
        lines.append(f"  mismatch: {m}")
    for u in r["unexpected_exceptions"][:10]:
        lines.append(f"  unexpected: {u}")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="write the full report to this file")
    parser.add_argument("--detail", action="store_true", help="include every connection in --json")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.seed))
        return 0
    report = asyncio.run(soak(args))
    print_report(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, default=str)
    ok = (
        not report["per_connection_mismatches"]
        and not report["unexpected_exceptions"]
        and not report["hung_sessions"]
        and report["invalid_frames"]["expected"] == report["invalid_frames"]["raised"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
