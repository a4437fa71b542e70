"""End-to-end benchmarks: the SDK against a raw-aiohttp client doing the same work.

One run starts a local aiohttp.web WebSocket server in its own process (``_server.py``), so
the server's CPU is never counted in the client's, and measures, with SDK and raw rounds
alternating in the same run:

1. receive -- a long response of interleaved ``response.audio_transcript.delta`` and
   ``response.audio.delta`` (100 ms of 24 kHz PCM16 each) sent as fast as possible. SDK:
   ``async for event in conn`` reading ``event.type`` and ``event.delta`` (``bytes`` for audio);
   raw: ``ws.receive()`` + ``json.loads`` + ``base64.b64decode`` of each audio delta. Metric:
   client process CPU microseconds per event.
2. send -- 20 ms ``input_audio_buffer.append`` events (960 bytes PCM16) as fast as possible,
   then a commit and its ``input_audio_buffer.committed`` ack. SDK:
   ``conn.input_audio_buffer.append(audio=chunk)``; raw: ``ws.send_str(json.dumps({...}))``
   with ``base64.b64encode``. Metric: CPU microseconds per append.
3. import time of ``azure.ai.voicelive.aio`` over ``aiohttp`` + ``azure.core.exceptions``
   (fresh interpreters); memory per idle connection (RSS and tracemalloc, fresh processes);
   connect latency (``async with connect(...)`` vs ``ClientSession().ws_connect``).
4. scale -- N concurrent real-time sessions (client appends 20 ms every 20 ms; the server
   sends a 100 ms audio delta plus a transcript delta every 100 ms): client CPU share and
   event-loop lag p50/p99 (a task sleeping 10 ms in a loop records its overshoot).

Run:  python benchmarks/run.py [--quick] [--json out.json] [--only receive,send,...]
Prints one Markdown table with medians, min-max spread, SDK/raw ratios and the targets.
Only this project and its dependencies are needed; everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SERVER = HERE / "_server.py"
PAGE = os.sysconf("SC_PAGE_SIZE")
SECTIONS = ("receive", "send", "import", "memory", "connect", "scale")

# Targets (the SDK's performance budget).
RECEIVE_MAX_RATIO = 1.25
SEND_MAX_RATIO = 1.2
IMPORT_MAX_MS = 30.0
IDLE_MAX_KB = 16.0
SCALE_TARGET_N = 200
SCALE_MAX_P99_MS = 20.0


# --------------------------------------------------------------------------- server
class Server:
    """``_server.py`` in a child process; stopped by closing its stdin (then by its pid)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(30)
        if not line or not line[0].startswith("PORT "):
            self.__exit__()
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        self.port = int(line[0].split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


# --------------------------------------------------------------------------- helpers
def pcm16_chunks(ms: int, count: int) -> list[bytes]:
    sys.path.insert(0, str(HERE))
    from _server import pcm16_tone

    return [pcm16_tone(ms, i) for i in range(count)]


def sdk_connect(port: int, **query: str) -> Any:
    from azure.core.credentials import AzureKeyCredential

    from azure.ai.voicelive.aio import connect

    return connect(
        endpoint=f"http://127.0.0.1:{port}",
        credential=AzureKeyCredential("k"),
        model="gpt-4o",
        query=query,
    )


def raw_url(port: int, **query: str) -> str:
    from urllib.parse import urlencode

    params = {"api-version": "2026-07-15", "model": "gpt-4o", **query}
    return f"ws://127.0.0.1:{port}/voice-live/realtime?{urlencode(params)}"


RAW_HEADERS = {"api-key": "k"}


def stats(values: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "values": values,
    }


def paired(sdk: list[float], raw: list[float]) -> float:
    """Median of the per-round ratios (round i of the SDK against round i of raw, run back to back)."""
    return statistics.median(a / b for a, b in zip(sdk, raw, strict=False))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return total - idle, total


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


# --------------------------------------------------------------------------- 1. receive
async def receive_sdk(port: int, n: int) -> tuple[int, int, int]:
    """(CPU ns, wall ns, events) for one SDK receive round."""
    async with sdk_connect(port, scenario="receive", n=str(n)) as conn:
        await conn.recv()  # session.created
        gc.collect()
        count = 0
        audio = 0
        cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
        await conn.send({"type": "bench.start"})
        async for event in conn:
            kind = event.type
            delta = event.delta
            if kind == "response.audio.delta":
                audio += len(delta)
            count += 1
        cpu1, wall1 = time.process_time_ns(), time.perf_counter_ns()
    assert count == n and audio == n // 2 * 4800, (count, audio)
    return cpu1 - cpu0, wall1 - wall0, count


async def receive_raw(port: int, n: int) -> tuple[int, int, int]:
    """(CPU ns, wall ns, events) for one raw-aiohttp receive round (the floor)."""
    import aiohttp

    loads, b64decode = json.loads, base64.b64decode
    text = aiohttp.WSMsgType.TEXT
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(raw_url(port, scenario="receive", n=str(n)), headers=RAW_HEADERS) as ws:
            await ws.receive()  # session.created
            gc.collect()
            count = 0
            audio = 0
            cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
            await ws.send_str('{"type":"bench.start"}')
            while True:
                msg = await ws.receive()
                if msg.type is not text:
                    break
                data = loads(msg.data)
                kind = data["type"]
                if kind == "response.audio.delta":
                    delta = b64decode(data["delta"])
                    audio += len(delta)
                else:
                    delta = data.get("delta")
                count += 1
            cpu1, wall1 = time.process_time_ns(), time.perf_counter_ns()
    assert count == n and audio == n // 2 * 4800, (count, audio)
    return cpu1 - cpu0, wall1 - wall0, count


# --------------------------------------------------------------------------- 2. send
async def send_sdk(port: int, chunks: list[bytes], n: int) -> tuple[int, int, int]:
    async with sdk_connect(port, scenario="send") as conn:
        await conn.recv()  # session.created
        gc.collect()
        append = conn.input_audio_buffer.append
        m = len(chunks)
        cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
        for i in range(n):
            await append(audio=chunks[i % m])
        await conn.input_audio_buffer.commit()
        async for event in conn:
            if event.type == "input_audio_buffer.committed":
                break
        cpu1, wall1 = time.process_time_ns(), time.perf_counter_ns()
    return cpu1 - cpu0, wall1 - wall0, n


async def send_raw(port: int, chunks: list[bytes], n: int) -> tuple[int, int, int]:
    import aiohttp

    dumps, b64encode = json.dumps, base64.b64encode
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(raw_url(port, scenario="send"), headers=RAW_HEADERS) as ws:
            await ws.receive()  # session.created
            gc.collect()
            send_str = ws.send_str
            m = len(chunks)
            cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
            for i in range(n):
                await send_str(
                    dumps({"type": "input_audio_buffer.append", "audio": b64encode(chunks[i % m]).decode()})
                )
            await send_str(dumps({"type": "input_audio_buffer.commit"}))
            while True:
                msg = await ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"connection ended before the commit ack: {msg}")
                if json.loads(msg.data)["type"] == "input_audio_buffer.committed":
                    break
            cpu1, wall1 = time.process_time_ns(), time.perf_counter_ns()
    return cpu1 - cpu0, wall1 - wall0, n


# --------------------------------------------------------------------------- alternating rounds
async def alternate(
    variants: dict[str, Callable[[], Any]], rounds: int, warmup: int = 1, limit: float = 120.0
) -> dict[str, list[float]]:
    """Run the variants in alternating rounds (A B A B ...); per-unit CPU microseconds per round."""
    results: dict[str, list[float]] = {name: [] for name in variants}
    walls: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(warmup + rounds):
        names = list(variants)
        for name in names:
            cpu, wall, units = await asyncio.wait_for(variants[name](), limit)
            if r >= warmup:
                results[name].append(cpu / units / 1000.0)
                walls[name].append(wall / units / 1000.0)
    return {**results, **{f"{k}_wall": v for k, v in walls.items()}}


# --------------------------------------------------------------------------- 3a. connect latency
async def connect_latency(port: int, samples: int) -> dict[str, list[float]]:
    import aiohttp

    async def sdk() -> float:
        t0 = time.perf_counter_ns()
        manager = sdk_connect(port, scenario="idle")
        conn = await manager.__aenter__()
        t1 = time.perf_counter_ns()
        await manager.__aexit__(None, None, None)
        del conn
        return (t1 - t0) / 1e6

    async def raw() -> float:
        t0 = time.perf_counter_ns()
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(raw_url(port, scenario="idle"), headers=RAW_HEADERS)
        t1 = time.perf_counter_ns()
        await ws.close()
        await session.close()
        return (t1 - t0) / 1e6

    out: dict[str, list[float]] = {"sdk": [], "raw": []}
    for i in range(samples + 3):
        for name, fn in (("sdk", sdk), ("raw", raw)):
            ms = await asyncio.wait_for(fn(), 30)
            if i >= 3:
                out[name].append(ms)
    return out


# ------------------------------------------------------------------ 3b. import time (fresh interpreters)
IMPORT_CODE = r"""
import json, sys, time
variant = sys.argv[1]
if variant == "lazy-audio":
    # Simulates the proposed change: aio/_barge_in.py importing ..audio lazily (the audio
    # package, its devices and dataclasses are then not imported by azure.ai.voicelive.aio).
    import types
    pkg = types.ModuleType("azure.ai.voicelive.audio"); pkg.__path__ = []
    fmt = types.ModuleType("azure.ai.voicelive.audio._formats"); fmt.duration_ms = lambda *a, **k: 0.0
    sys.modules[pkg.__name__] = pkg; sys.modules[fmt.__name__] = fmt
t0 = time.perf_counter()
import aiohttp, azure.core.exceptions
t1 = time.perf_counter()
import azure.ai.voicelive.aio
t2 = time.perf_counter()
import azure.ai.voicelive._protocol.codec  # what the first connection imports lazily (models)
t3 = time.perf_counter()
print(json.dumps({"base_ms": (t1 - t0) * 1e3, "aio_ms": (t2 - t1) * 1e3, "models_ms": (t3 - t2) * 1e3}))
"""


def import_times(samples: int, variants: tuple[str, ...] = ("current", "lazy-audio")) -> dict[str, Any]:
    def once(variant: str) -> dict[str, float]:
        done = subprocess.run(
            [sys.executable, "-c", IMPORT_CODE, variant],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    for variant in variants:  # warm the bytecode cache
        once(variant)
    out: dict[str, dict[str, list[float]]] = {
        v: {"base_ms": [], "aio_ms": [], "models_ms": []} for v in variants
    }
    for _ in range(samples):
        for variant in variants:
            result = once(variant)
            for key, value in result.items():
                out[variant][key].append(value)
    return out


# --------------------------------------------------------------------------- workers (fresh processes)
async def memory_worker(impl: str, port: int, n: int, mode: str) -> dict[str, Any]:
    """Open ``n`` idle connections; RSS or tracemalloc growth per connection."""
    import tracemalloc

    import aiohttp

    shared: list[aiohttp.ClientSession] = []
    url = raw_url(port, scenario="idle")

    async def open_one() -> Any:
        if impl == "sdk":
            manager = sdk_connect(port, scenario="idle")
            conn = await manager.__aenter__()
            await conn.recv()  # session.created: an idle connection has read it
            return manager, conn
        if impl == "raw":  # one ClientSession per connection, as the SDK does
            session = aiohttp.ClientSession()
            ws = await session.ws_connect(url, headers=RAW_HEADERS)
            await ws.receive()
            return session, ws
        ws = await shared[0].ws_connect(url, headers=RAW_HEADERS)  # raw-shared: one session for all
        await ws.receive()
        return None, ws

    async def close_one(held: Any) -> None:
        owner, conn = held
        if impl == "sdk":
            await owner.__aexit__(None, None, None)
        else:
            await conn.close()
            if owner is not None:
                await owner.close()

    if impl == "raw-shared":
        shared.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))
    for _ in range(3):  # warm-up: lazy imports, caches
        await close_one(await open_one())
    await asyncio.sleep(0.2)
    gc.collect()
    top: list[str] = []
    if mode == "tracemalloc":
        tracemalloc.start(1)
        before_snap = tracemalloc.take_snapshot()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = rss_bytes()
    held: list[Any] = []
    for start in range(0, n, 20):
        held.extend(await asyncio.gather(*(open_one() for _ in range(min(20, n - start)))))
    await asyncio.sleep(0.3)
    gc.collect()
    if mode == "tracemalloc":
        after = tracemalloc.get_traced_memory()[0]
        snap = tracemalloc.take_snapshot()
        for stat in snap.compare_to(before_snap, "filename")[:8]:
            frame = stat.traceback[0]
            name = frame.filename.split("site-packages/")[-1].split("/src/")[-1]
            top.append(f"{name}: {stat.size_diff / n / 1024:.2f} KB/conn")
        tracemalloc.stop()
    else:
        after = rss_bytes()
    await asyncio.wait_for(asyncio.gather(*(close_one(h) for h in held)), 60)
    for session in shared:
        await session.close()
    return {"per_conn_kb": (after - before) / n / 1024, "top": top}


async def scale_worker(
    impl: str, port: int, n: int, seconds: float, warmup: float, server_pid: int
) -> dict[str, Any]:
    """N concurrent real-time sessions; CPU share and event-loop lag over ``seconds``."""
    import random

    import aiohttp

    loop = asyncio.get_running_loop()
    chunks = pcm16_chunks(20, 50)
    stop = asyncio.Event()
    counters = {"sent": 0, "received": 0, "audio_bytes": 0}
    shared: list[aiohttp.ClientSession] = []
    url = raw_url(port, scenario="realtime")

    async def open_one() -> Any:
        if impl == "sdk":
            manager = sdk_connect(port, scenario="realtime")
            conn = await manager.__aenter__()
            await conn.recv()
            return manager, conn
        ws = await shared[0].ws_connect(url, headers=RAW_HEADERS)
        await ws.receive()
        return None, ws

    async def sender(conn: Any, phase: float) -> None:
        if impl == "sdk":
            await conn.send({"type": "bench.start"})
            append = conn.input_audio_buffer.append
        else:
            await conn.send_str('{"type":"bench.start"}')
            dumps, send_str = json.dumps, conn.send_str

            async def append(audio: bytes) -> None:
                await send_str(
                    dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(audio).decode()})
                )

        start = loop.time() + phase
        k = 0
        while not stop.is_set():
            delay = start + k * 0.02 - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await append(audio=chunks[k % 50])
            except Exception:
                return
            counters["sent"] += 1
            k += 1

    async def receiver(conn: Any) -> None:
        if impl == "sdk":
            async for event in conn:
                kind = event.type
                delta = event.delta
                if kind == "response.audio.delta":
                    counters["audio_bytes"] += len(delta)
                counters["received"] += 1
        else:
            text = aiohttp.WSMsgType.TEXT
            while True:
                msg = await conn.receive()
                if msg.type is not text:
                    return
                data = json.loads(msg.data)
                if data["type"] == "response.audio.delta":
                    counters["audio_bytes"] += len(base64.b64decode(data["delta"]))
                else:
                    data.get("delta")
                counters["received"] += 1

    lags: list[float] = []
    recording = [False]
    gc_pauses: list[float] = []
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif recording[0]:
            gc_pauses.append((time.perf_counter() - gc_started[0]) * 1e3)

    gc.callbacks.append(on_gc)

    async def lag_probe() -> None:
        sleep, now = asyncio.sleep, time.perf_counter
        while not stop.is_set():
            t = now()
            await sleep(0.01)
            if recording[0]:
                lags.append((now() - t - 0.01) * 1e3)

    if impl != "sdk":
        shared.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))
    held: list[Any] = []
    t_open = time.perf_counter()
    for start in range(0, n, 25):
        held.extend(await asyncio.gather(*(open_one() for _ in range(min(25, n - start)))))
    open_s = time.perf_counter() - t_open
    tasks = [asyncio.ensure_future(lag_probe())]
    for _, conn in held:
        tasks.append(asyncio.ensure_future(receiver(conn)))
        tasks.append(asyncio.ensure_future(sender(conn, random.random() * 0.02)))
    await asyncio.sleep(warmup)
    gc.collect()
    # Let the lag probe's sleep that spanned the full collection finish outside the window.
    await asyncio.sleep(0.05)
    c0 = dict(counters)
    server0, busy0 = proc_cpu_s(server_pid), machine_busy()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    recording[0] = True
    await asyncio.sleep(seconds)
    recording[0] = False
    cpu1, wall1 = time.process_time(), time.perf_counter()
    server1, busy1 = proc_cpu_s(server_pid), machine_busy()
    gc.callbacks.remove(on_gc)
    c1 = dict(counters)
    stop.set()
    wall = wall1 - wall0

    async def close_all() -> None:
        if impl == "sdk":
            await asyncio.gather(*(m.__aexit__(None, None, None) for m, _ in held), return_exceptions=True)
        else:
            await asyncio.gather(*(ws.close() for _, ws in held), return_exceptions=True)
            await shared[0].close()

    try:
        await asyncio.wait_for(close_all(), 30)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    expected_sent = n * wall / 0.02
    return {
        "cpu_share": (cpu1 - cpu0) / wall,
        "lag_p50_ms": percentile(lags, 0.5),
        "lag_p99_ms": percentile(lags, 0.99),
        "lag_max_ms": max(lags) if lags else float("nan"),
        "sent_per_s": (c1["sent"] - c0["sent"]) / wall,
        "sent_fraction": (c1["sent"] - c0["sent"]) / expected_sent,
        "received_per_s": (c1["received"] - c0["received"]) / wall,
        "open_s": open_s,
        "server_cpu_share": (server1 - server0) / wall,
        "machine_busy": (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
        "gc_ms_per_s": sum(gc_pauses) / wall,
        "gc_max_ms": max(gc_pauses, default=0.0),
        "lags_over_10ms": sum(1 for x in lags if x > 10) / max(1, len(lags)),
    }


def run_worker(args: list[str], timeout: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report
def fmt(s: dict[str, Any] | None, digits: int = 2) -> str:
    if not s:
        return "-"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def row(name: str, sdk: str, raw: str, ratio: str, target: str, met: bool | None) -> list[str]:
    return [name, sdk, raw, ratio, target, "-" if met is None else ("yes" if met else "**NO**")]


def build_table(results: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    rec = results.get("receive")
    if rec:
        s, r = stats(rec["sdk"]), stats(rec["raw"])
        ratio = s["median"] / r["median"]
        rows.append(
            row(
                f"receive: CPU µs/event ({rec['events']} events x {len(rec['sdk'])} rounds)",
                fmt(s),
                fmt(r),
                f"{ratio:.2f}x (paired {paired(rec['sdk'], rec['raw']):.2f}x)",
                f"<= {RECEIVE_MAX_RATIO}x",
                ratio <= RECEIVE_MAX_RATIO,
            )
        )
    snd = results.get("send")
    if snd:
        s, r = stats(snd["sdk"]), stats(snd["raw"])
        ratio = s["median"] / r["median"]
        rows.append(
            row(
                f"send: CPU µs/append ({snd['appends']} x {len(snd['sdk'])} rounds)",
                fmt(s),
                fmt(r),
                f"{ratio:.2f}x (paired {paired(snd['sdk'], snd['raw']):.2f}x)",
                f"<= {SEND_MAX_RATIO}x",
                ratio <= SEND_MAX_RATIO,
            )
        )
    imp = results.get("import")
    if imp:
        cur = imp["current"]
        aio = stats(cur["aio_ms"])
        rows.append(
            row(
                "import azure.ai.voicelive.aio: ms over aiohttp + azure.core.exceptions (raw: those two)",
                fmt(aio, 1),
                fmt(stats(cur["base_ms"]), 1),
                "-",
                f"<= {IMPORT_MAX_MS:g} ms",
                aio["median"] <= IMPORT_MAX_MS,
            )
        )
        if "lazy-audio" in imp:
            lazy = stats(imp["lazy-audio"]["aio_ms"])
            rows.append(
                row(
                    "  same, simulating a lazy `audio` import in aio/_barge_in.py (proposal)",
                    fmt(lazy, 1),
                    "-",
                    "-",
                    f"<= {IMPORT_MAX_MS:g} ms",
                    lazy["median"] <= IMPORT_MAX_MS,
                )
            )
        rows.append(
            row(
                "  first connection's lazy import of the models/codec (ms, informational)",
                fmt(stats(cur["models_ms"]), 1),
                "-",
                "-",
                "-",
                None,
            )
        )
    mem = results.get("memory")
    if mem:
        for mode, label in (("rss", "RSS"), ("tracemalloc", "tracemalloc")):
            if mode not in mem:
                continue
            m = mem[mode]
            s, r = stats(m["sdk"]), stats(m["raw"])
            over = s["median"] - r["median"]
            rows.append(
                row(
                    f"idle connection ({mem['n']} open): {label} KB/conn (raw: own ClientSession each)",
                    fmt(s, 1),
                    fmt(r, 1),
                    f"{s['median'] / r['median']:.2f}x (SDK adds {over:.1f} KB)",
                    f"<= {IDLE_MAX_KB:g} KB",
                    s["median"] <= IDLE_MAX_KB,
                )
            )
            if m.get("raw-shared"):
                rows.append(
                    row(
                        f"  {label} KB/conn, raw with one shared ClientSession (reference)",
                        "-",
                        fmt(stats(m["raw-shared"]), 1),
                        "-",
                        "-",
                        None,
                    )
                )
    con = results.get("connect")
    if con:
        s, r = stats(con["sdk"]), stats(con["raw"])
        rows.append(
            row(
                f"connect latency: ms to an open WebSocket ({len(con['sdk'])} each)",
                fmt(s, 2),
                fmt(r, 2),
                f"{s['median'] / r['median']:.2f}x",
                "-",
                None,
            )
        )
    scale = results.get("scale")
    if scale:
        for n in scale["n"]:
            key = str(n)
            sdk_runs, raw_runs = scale["sdk"][key], scale.get("raw", {}).get(key, [])

            def pick(runs: list[dict[str, Any]], field: str) -> dict[str, Any] | None:
                return stats([r[field] for r in runs]) if runs else None

            cpu_s, cpu_r = pick(sdk_runs, "cpu_share"), pick(raw_runs, "cpu_share")
            rows.append(
                row(
                    f"scale N={n} ({scale['seconds']:g} s real-time): client CPU share (CPU s / wall s)",
                    fmt(cpu_s, 3),
                    fmt(cpu_r, 3),
                    f"{cpu_s['median'] / cpu_r['median']:.2f}x" if cpu_s and cpu_r else "-",
                    "-",
                    None,
                )
            )
            p50s, p50r = pick(sdk_runs, "lag_p50_ms"), pick(raw_runs, "lag_p50_ms")
            rows.append(row(f"  N={n}: event-loop lag p50 (ms)", fmt(p50s, 2), fmt(p50r, 2), "-", "-", None))
            p99s, p99r = pick(sdk_runs, "lag_p99_ms"), pick(raw_runs, "lag_p99_ms")
            target = n == SCALE_TARGET_N
            rows.append(
                row(
                    f"  N={n}: event-loop lag p99 (ms)",
                    fmt(p99s, 2),
                    fmt(p99r, 2),
                    "-",
                    f"< {SCALE_MAX_P99_MS:g} ms" if target else "-",
                    (p99s["median"] < SCALE_MAX_P99_MS) if target and p99s else None,
                )
            )
            others = [
                r["machine_busy"] * (results["machine"]["nproc"] or 1)
                - r["cpu_share"]
                - r["server_cpu_share"]
                for r in sdk_runs + raw_runs
            ]
            rows.append(
                row(
                    f"  N={n}: CPU of the server / of other processes in the window (cores)",
                    fmt(pick(sdk_runs, "server_cpu_share"), 2),
                    fmt(pick(raw_runs, "server_cpu_share"), 2),
                    "others: {:.2f} ({:.2f}-{:.2f})".format(
                        *(max(0.0, x) for x in (statistics.median(others), min(others), max(others)))
                    ),
                    "-",
                    None,
                )
            )
            sf_s, sf_r = pick(sdk_runs, "sent_fraction"), pick(raw_runs, "sent_fraction")
            rows.append(
                row(
                    f"  N={n}: appends sent / due (real-time keeps up at 1.00)",
                    fmt(sf_s, 3),
                    fmt(sf_r, 3),
                    "-",
                    "-",
                    None,
                )
            )
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    header = ["benchmark", "SDK median (min-max)", "raw median (min-max)", "SDK/raw", "target", "met"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * 3 + ["---", "---"]) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    import aiohttp

    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "aiohttp": aiohttp.__version__,
        "platform": platform.platform(),
    }


# --------------------------------------------------------------------------- main
async def client_sections(
    port: int, args: argparse.Namespace, only: set[str], results: dict[str, Any]
) -> None:
    if "receive" in only:
        t = time.perf_counter()
        n = args.events
        res = await alternate(
            {"sdk": lambda: receive_sdk(port, n), "raw": lambda: receive_raw(port, n)}, args.rounds
        )
        results["receive"] = {"events": n, **res}
        log(f"receive done in {time.perf_counter() - t:.1f} s")
    if "send" in only:
        t = time.perf_counter()
        chunks = pcm16_chunks(20, 50)
        n = args.appends
        res = await alternate(
            {"sdk": lambda: send_sdk(port, chunks, n), "raw": lambda: send_raw(port, chunks, n)}, args.rounds
        )
        results["send"] = {"appends": n, **res}
        log(f"send done in {time.perf_counter() - t:.1f} s")
    if "connect" in only:
        t = time.perf_counter()
        results["connect"] = await connect_latency(port, args.connect_samples)
        log(f"connect done in {time.perf_counter() - t:.1f} s")


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="SDK vs raw aiohttp benchmarks (one table).")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (small counts, 2 s scale)")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement as JSON")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--appends", type=int, default=5000)
    parser.add_argument("--import-samples", type=int, default=15)
    parser.add_argument("--memory-conns", type=int, default=200)
    parser.add_argument("--memory-repeats", type=int, default=3)
    parser.add_argument("--connect-samples", type=int, default=40)
    parser.add_argument("--scale-n", default="50,100,200")
    parser.add_argument("--scale-seconds", type=float, default=10.0)
    parser.add_argument("--scale-rounds", type=int, default=2)
    parser.add_argument("--no-raw-scale", action="store_true", help="scale: skip the raw-aiohttp runs")
    # internal: worker processes
    parser.add_argument("--worker", choices=("memory", "scale"), help=argparse.SUPPRESS)
    parser.add_argument("--impl", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=float, default=2.0, help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "memory":
        print(json.dumps(asyncio.run(memory_worker(args.impl, args.port, args.n, args.mode))))
        return
    if args.worker == "scale":
        print(
            json.dumps(
                asyncio.run(
                    scale_worker(args.impl, args.port, args.n, args.seconds, args.warmup, args.server_pid)
                )
            )
        )
        return

    if args.quick:
        args.rounds, args.events, args.appends = 3, 1000, 1000
        args.import_samples, args.memory_conns, args.memory_repeats = 3, 50, 1
        args.connect_samples, args.scale_seconds, args.scale_n, args.scale_rounds = 10, 2.0, "50,200", 1
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "argv": sys.argv[1:]}
    if "import" in only:
        t = time.perf_counter()
        results["import"] = import_times(args.import_samples)
        log(f"import done in {time.perf_counter() - t:.1f} s")
    with Server() as server:
        port = server.port
        asyncio.run(client_sections(port, args, only, results))
        if "memory" in only:
            t = time.perf_counter()
            mem: dict[str, Any] = {"n": args.memory_conns}
            for mode in ("rss", "tracemalloc"):
                per: dict[str, list[float]] = {"sdk": [], "raw": [], "raw-shared": []}
                tops: dict[str, list[str]] = {}
                for _ in range(args.memory_repeats):
                    for impl in per:
                        out = run_worker(
                            [
                                "--worker",
                                "memory",
                                "--impl",
                                impl,
                                "--port",
                                str(port),
                                "--n",
                                str(args.memory_conns),
                                "--mode",
                                mode,
                            ],
                            timeout=120,
                        )
                        per[impl].append(out["per_conn_kb"])
                        if out["top"]:
                            tops[impl] = out["top"]
                mem[mode] = {**per, "top": tops}
            results["memory"] = mem
            log(f"memory done in {time.perf_counter() - t:.1f} s")
        if "scale" in only:
            t = time.perf_counter()
            ns = [int(x) for x in args.scale_n.split(",") if x]
            scale: dict[str, Any] = {"n": ns, "seconds": args.scale_seconds, "sdk": {}, "raw": {}}
            impls = ("sdk",) if args.no_raw_scale else ("sdk", "raw")
            for n in ns:
                for impl in impls:
                    scale[impl][str(n)] = []
                for _ in range(args.scale_rounds):
                    for impl in impls:
                        out = run_worker(
                            [
                                "--worker",
                                "scale",
                                "--impl",
                                impl,
                                "--port",
                                str(port),
                                "--n",
                                str(n),
                                "--seconds",
                                str(args.scale_seconds),
                                "--server-pid",
                                str(server.proc.pid),
                            ],
                            timeout=args.scale_seconds + 120,
                        )
                        scale[impl][str(n)].append(out)
                        log(
                            f"scale {impl} N={n}: cpu {out['cpu_share']:.3f} "
                            f"lag p50 {out['lag_p50_ms']:.2f} p99 {out['lag_p99_ms']:.2f} "
                            f"max {out['lag_max_ms']:.1f} ms sent {out['sent_fraction']:.3f} "
                            f"server cpu {out['server_cpu_share']:.2f} "
                            f"machine busy {out['machine_busy']:.2f} "
                            f"gc {out['gc_ms_per_s']:.1f} ms/s max {out['gc_max_ms']:.1f} ms"
                        )
            results["scale"] = scale
            log(f"scale done in {time.perf_counter() - t:.1f} s")
    results["elapsed_s"] = time.perf_counter() - started
    table = markdown_table(build_table(results))
    m = results["machine"]
    print(
        f"voicelive benchmarks: {m['nproc']} CPUs ({m['cpu']}), {m['implementation']} {m['python']}, "
        f"aiohttp {m['aiohttp']}; {results['elapsed_s']:.0f} s"
    )
    print()
    print(table)
    if args.json:
        results["table"] = table
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
