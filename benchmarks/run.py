"""End-to-end benchmarks: the SDK against a raw-aiohttp client doing the same work.

One run starts a local aiohttp.web WebSocket server in its own process (``_server.py``), so
the server's CPU is never counted in the client's, and measures:

1. receive -- a long response of interleaved ``response.audio_transcript.delta`` and
   ``response.audio.delta`` (100 ms of 24 kHz PCM16 each) sent as fast as possible. SDK:
   ``async for event in conn`` reading ``event.type`` and ``event.delta`` (``bytes`` for audio);
   raw: ``ws.receive()`` + ``json.loads`` + ``base64.b64decode`` of each audio delta (the
   stdlib floor). Variants, in alternating rounds: the SDK on the standard library, the SDK
   with the speedups extra (orjson, pybase64), raw with stdlib, raw with orjson + pybase64, and
   (``--official-python``) Microsoft's official package in a process of its own. Metric:
   client process CPU microseconds per event.
2. send -- 20 ms ``input_audio_buffer.append`` events (960 bytes PCM16) as fast as possible,
   then a commit and its ``input_audio_buffer.committed`` ack. SDK:
   ``conn.input_audio_buffer.append(audio=chunk)``; raw: ``ws.send_str(json.dumps({...}))``
   with ``base64.b64encode``; with and without the speedups. Metric: CPU microseconds per append.
3. import time of ``azure.ai.voicelive.aio`` over ``aiohttp`` + ``azure.core.exceptions``
   (fresh interpreters); memory per idle connection (RSS and tracemalloc, fresh processes,
   against raw aiohttp sharing one ClientSession as the SDK shares its connector); connect
   latency (``async with connect(...)`` vs ``ClientSession().ws_connect``).
4. scale -- for each client (raw aiohttp, the SDK, the SDK with speedups; each on asyncio and,
   where installed, uvloop), the largest number of concurrent real-time sessions one process
   holds (client appends 20 ms every 20 ms; the server sends a 100 ms audio delta plus a
   transcript delta every 100 ms per session) with event-loop lag p99 under 20 ms and real
   time kept, found by doubling then bisecting; each trial is a fresh client process.
5. profile -- where the client's CPU goes at a fixed number of sessions (cProfile, grouped).

Run:  python benchmarks/run.py [--quick] [--json out.json] [--only receive,send,...]
      [--official-python /path/to/venv-with-the-official-package/bin/python] [--update-docs]
Prints Markdown tables (``report.py`` renders them from the same data ``--json`` writes);
``--update-docs`` rewrites the generated block of ``docs/performance.md`` from this run.
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
from collections.abc import Awaitable, Callable, Generator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SERVER = HERE / "_server.py"
OFFICIAL = HERE / "_official_receive.py"
PAGE = os.sysconf("SC_PAGE_SIZE")
SECTIONS = ("receive", "send", "import", "memory", "connect", "scale", "profile")

# Targets (the SDK's performance budget); report.py reads them from the JSON.
TARGETS = {
    "receive_max_ratio": 1.25,  # SDK (stdlib) / raw stdlib floor
    "send_max_ratio": 1.2,
    "speedups_receive_max_ratio": 0.8,  # SDK with speedups / raw stdlib floor
    "speedups_receive_max_official": 0.25,  # SDK with speedups / official package
    "speedups_send_max_ratio": 0.8,
    "import_max_ms": 30.0,
    "idle_max_kb": 16.0,
    "scale_target_n": 200,
    "scale_max_p99_ms": 20.0,
}
# A scale trial passes when lag p99 is under this and real time is kept both ways.
MAX_P99_MS = 20.0
MIN_SENT_FRACTION = 0.98
MIN_RECEIVED_FRACTION = 0.95


def have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# --------------------------------------------------------------------------- server
class Server:
    """``_server.py`` in a child process; stopped by closing its stdin (then by its pid)."""

    def __init__(self, uvloop: bool = False) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.uvloop = uvloop

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0", *(["--uvloop"] if self.uvloop else [])],
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


def set_sdk_backend(name: str) -> None:
    """Point the SDK's hot paths at the standard library or at the speedups.

    The SDK picks one backend at import (``azure.ai.voicelive._speedups``); to compare both in
    alternating rounds of one process, the benchmark rebinds the same module globals the SDK
    bound at import. The scale trials (fresh processes) use ``VOICELIVE_NO_SPEEDUPS`` instead.
    """
    from azure.ai.voicelive import _speedups
    from azure.ai.voicelive._protocol import codec
    from azure.ai.voicelive.aio import _resources
    from azure.ai.voicelive.models import _base

    backend = _speedups.FAST if name == "speedups" else _speedups.STDLIB
    if backend is None:
        raise RuntimeError("the speedups extra is not installed (pip install -e '.[speedups]')")
    for module, attr, value in (
        (codec, "_loads", backend.loads),
        (_base, "_b64decode", backend.b64decode),
        (_base, "_b64encode", backend.b64encode),
        (_resources, "_b64encode", backend.b64encode),
    ):
        if not hasattr(module, attr):
            raise RuntimeError(f"{module.__name__}.{attr} is gone: update set_sdk_backend()")
        setattr(module, attr, value)


def raw_url(port: int, **query: str) -> str:
    from urllib.parse import urlencode

    params = {"api-version": "2026-07-15", "model": "gpt-4o", **query}
    return f"ws://127.0.0.1:{port}/voice-live/realtime?{urlencode(params)}"


RAW_HEADERS = {"api-key": "k"}


def raw_codecs(fast: bool) -> tuple[Callable[[Any], Any], Callable[[str], bytes], Callable[[Any], str]]:
    """(loads, b64decode, frame encoder) of a hand-written client: stdlib, or orjson + pybase64."""
    if fast:
        import orjson
        import pybase64

        def b64decode(text: str) -> bytes:
            return pybase64.b64decode(text, validate=True)

        def dumps(obj: Any) -> str:
            return orjson.dumps(obj).decode()

        return orjson.loads, b64decode, dumps
    return json.loads, base64.b64decode, json.dumps


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


async def receive_raw(port: int, n: int, fast: bool = False) -> tuple[int, int, int]:
    """(CPU ns, wall ns, events) for one raw-aiohttp receive round (the floor)."""
    import aiohttp

    loads, b64decode, _ = raw_codecs(fast)
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


async def receive_official(port: int, n: int, python: str) -> tuple[int, int, int]:
    """One round of the official package, in its own interpreter (it measures its own CPU)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = await asyncio.to_thread(
        subprocess.run,
        [python, str(OFFICIAL), str(port), str(n)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(HERE),
    )
    if done.returncode != 0:
        raise RuntimeError(f"official round failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if "/src/azure/" in out["package"]:
        raise RuntimeError(f"--official-python imported this project, not the official package: {out}")
    return out["cpu_ns"], out["wall_ns"], out["events"]


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


async def send_raw(port: int, chunks: list[bytes], n: int, fast: bool = False) -> tuple[int, int, int]:
    import aiohttp

    loads, _, dumps = raw_codecs(fast)
    if fast:
        import pybase64

        b64encode: Callable[[Any], str] = pybase64.b64encode_as_string
    else:

        def b64encode(data: Any) -> str:
            return base64.b64encode(data).decode()

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(raw_url(port, scenario="send"), headers=RAW_HEADERS) as ws:
            await ws.receive()  # session.created
            gc.collect()
            send_str = ws.send_str
            m = len(chunks)
            cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
            for i in range(n):
                await send_str(
                    dumps({"type": "input_audio_buffer.append", "audio": b64encode(chunks[i % m])})
                )
            await send_str(dumps({"type": "input_audio_buffer.commit"}))
            while True:
                msg = await ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"connection ended before the commit ack: {msg}")
                if loads(msg.data)["type"] == "input_audio_buffer.committed":
                    break
            cpu1, wall1 = time.process_time_ns(), time.perf_counter_ns()
    return cpu1 - cpu0, wall1 - wall0, n


# --------------------------------------------------------------------------- alternating rounds
async def alternate(
    variants: dict[str, Callable[[], Any]], rounds: int, warmup: int = 1, limit: float = 300.0
) -> dict[str, list[float]]:
    """Run the variants in alternating rounds (A B A B ...); per-unit CPU microseconds per round."""
    results: dict[str, list[float]] = {name: [] for name in variants}
    walls: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(warmup + rounds):
        for name, make in variants.items():
            cpu, wall, units = await asyncio.wait_for(make(), limit)
            if r >= warmup:
                results[name].append(cpu / units / 1000.0)
                walls[name].append(wall / units / 1000.0)
    return {**results, **{f"{k}_wall": v for k, v in walls.items()}}


def sdk_round(backend: str, make: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
    async def run_round() -> Any:
        set_sdk_backend(backend)
        return await make()

    return run_round


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
t0 = time.perf_counter()
import aiohttp, azure.core.exceptions
t1 = time.perf_counter()
import azure.ai.voicelive.aio
t2 = time.perf_counter()
import azure.ai.voicelive._protocol.codec  # what the first connection imports lazily (models, speedups)
t3 = time.perf_counter()
print(json.dumps({"base_ms": (t1 - t0) * 1e3, "aio_ms": (t2 - t1) * 1e3, "models_ms": (t3 - t2) * 1e3}))
"""


def import_times(samples: int) -> dict[str, Any]:
    def once() -> dict[str, float]:
        done = subprocess.run(
            [sys.executable, "-c", IMPORT_CODE], capture_output=True, text=True, timeout=60, check=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    once()  # warm the bytecode cache
    out: dict[str, list[float]] = {"base_ms": [], "aio_ms": [], "models_ms": []}
    for _ in range(samples):
        for key, value in once().items():
            out[key].append(value)
    return {"current": out}


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
        if impl == "raw":  # one ClientSession per connection
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


def profile_groups(profiler: Any, wall: float, top: int = 12) -> dict[str, Any]:
    """cProfile's own time, grouped by where it is spent (µs per wall second) plus the top functions."""
    import pstats

    st: Any = pstats.Stats(profiler)
    groups: dict[str, float] = {}
    funcs: list[tuple[float, str]] = []
    idle = 0.0
    for (filename, line, name), (_cc, calls, own, _cum, _callers) in st.stats.items():
        label = name if filename == "~" else f"{Path(filename).name}:{line}({name})"
        if filename == "~" and ("epoll" in name or "select.select" in name):
            idle += own  # mostly the loop waiting for the sockets: not work (its syscall cost is small)
            continue
        if filename == "~":
            lowered = name.lower()
            if "loads" in lowered or "dumps" in lowered or "json" in lowered:
                group = "JSON parse/encode (C)"
            elif "b64" in lowered or "base64" in lowered:
                group = "base64 (C)"
            elif any(k in lowered for k in ("socket", "epoll", "select", "poll", "send", "recv")):
                group = "socket and poll system calls"
            else:
                group = "other built-ins"
        elif "/aiohttp/" in filename:
            group = "aiohttp (Python parts)"
        elif "/asyncio/" in filename or filename.endswith("selectors.py"):
            group = "asyncio event loop"
        elif "/azure/ai/voicelive/" in filename:
            group = "voicelive SDK"
        elif filename.endswith(
            ("run.py", "json/__init__.py", "json/decoder.py", "json/encoder.py", "base64.py")
        ):
            group = "the session code and stdlib json/base64 wrappers"
        else:
            group = "other Python"
        groups[group] = groups.get(group, 0.0) + own
        funcs.append((own, f"{label} x{calls}"))
    total = sum(groups.values()) or 1.0
    funcs.sort(reverse=True)
    return {
        "idle_us_per_s": idle / wall * 1e6,
        "total_us_per_s": total / wall * 1e6,
        "groups": {k: {"us_per_s": v / wall * 1e6, "share": v / total} for k, v in groups.items()},
        "top": [
            {"function": f, "us_per_s": own / wall * 1e6, "share": own / total} for own, f in funcs[:top]
        ],
    }


async def scale_worker(
    impl: str, fast: bool, port: int, n: int, seconds: float, warmup: float, server_pid: int, profile: bool
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
    loads, b64decode, dumps = raw_codecs(fast and impl == "raw")

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
            send_str = conn.send_str
            if fast:
                import pybase64

                b64encode: Callable[[Any], str] = pybase64.b64encode_as_string
            else:

                def b64encode(data: Any) -> str:
                    return base64.b64encode(data).decode()

            async def append(audio: bytes) -> None:
                await send_str(dumps({"type": "input_audio_buffer.append", "audio": b64encode(audio)}))

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
                data = loads(msg.data)
                if data["type"] == "response.audio.delta":
                    counters["audio_bytes"] += len(b64decode(data["delta"]))
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
    profiler: Any = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()  # wall clock (cheap); the wait in epoll is set apart below
    c0 = dict(counters)
    server0, busy0 = proc_cpu_s(server_pid), machine_busy()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    recording[0] = True
    if profiler is not None:
        profiler.enable()
    await asyncio.sleep(seconds)
    if profiler is not None:
        profiler.disable()
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
        await asyncio.wait_for(close_all(), 60)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    expected_sent = n * wall / 0.02
    expected_received = n * wall / 0.1 * 2
    out = {
        "n": n,
        "cpu_share": (cpu1 - cpu0) / wall,
        "lag_p50_ms": percentile(lags, 0.5),
        "lag_p99_ms": percentile(lags, 0.99),
        "lag_max_ms": max(lags) if lags else float("nan"),
        "sent_per_s": (c1["sent"] - c0["sent"]) / wall,
        "sent_fraction": (c1["sent"] - c0["sent"]) / expected_sent,
        "received_per_s": (c1["received"] - c0["received"]) / wall,
        "received_fraction": (c1["received"] - c0["received"]) / expected_received,
        "open_s": open_s,
        "server_cpu_share": (server1 - server0) / wall,
        "machine_busy": (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
        "gc_ms_per_s": sum(gc_pauses) / wall,
        "gc_max_ms": max(gc_pauses, default=0.0),
        "lags_over_10ms": sum(1 for x in lags if x > 10) / max(1, len(lags)),
    }
    if profiler is not None:
        out["profile"] = profile_groups(profiler, wall)
    return out


def run_worker(args: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- 4. scale: capacity search
#: (client, speedups) of the scale variants; each runs on asyncio and, where installed, uvloop.
SCALE_CLIENTS = {"raw": ("raw", False), "sdk": ("sdk", False), "sdk+speedups": ("sdk", True)}


def scale_trial(
    variant: str,
    loop: str,
    n: int,
    port: int,
    server_pid: int,
    args: argparse.Namespace,
    profile: bool = False,
) -> dict[str, Any]:
    impl, fast = SCALE_CLIENTS[variant]
    env = {"VOICELIVE_NO_SPEEDUPS": "0" if fast else "1"}
    out = run_worker(
        [
            "--worker",
            "scale",
            "--impl",
            impl,
            *(["--fast"] if fast else []),
            "--loop",
            loop,
            "--port",
            str(port),
            "--n",
            str(n),
            "--seconds",
            str(args.scale_seconds),
            "--warmup",
            str(args.scale_warmup),
            "--server-pid",
            str(server_pid),
            *(["--profile"] if profile else []),
        ],
        timeout=args.scale_seconds + args.scale_warmup + 180,
        env=env,
    )
    reasons = []
    if not out["lag_p99_ms"] < MAX_P99_MS:
        reasons.append(f"lag p99 {out['lag_p99_ms']:.1f} ms")
    if out["sent_fraction"] < MIN_SENT_FRACTION:
        reasons.append(f"appends sent/due {out['sent_fraction']:.3f}")
    if out["received_fraction"] < MIN_RECEIVED_FRACTION:
        reasons.append(f"events received/due {out['received_fraction']:.3f}")
    out["passed"] = not reasons
    out["why"] = ", ".join(reasons)
    log(
        f"scale {variant}/{loop} N={n}: {'pass' if out['passed'] else 'FAIL (' + out['why'] + ')'}; "
        f"cpu {out['cpu_share']:.3f} lag p50 {out['lag_p50_ms']:.2f} p99 {out['lag_p99_ms']:.2f} ms "
        f"sent {out['sent_fraction']:.3f} recv {out['received_fraction']:.3f} "
        f"server cpu {out['server_cpu_share']:.2f} machine busy {out['machine_busy']:.2f}"
    )
    return out


def capacity_search(args: argparse.Namespace) -> Generator[int, bool, dict[str, Any]]:
    """Largest N that passes: double from ``--scale-start`` until a failure, then bisect.

    A generator: it yields the N to try next and is sent whether that N passed; its return value
    is ``(max_n, first_failing_n or None)``. The harness runs every client's search in turns,
    one trial each, so a busy spell on a shared machine falls on all of them alike.
    """
    lo, hi = 0, 0
    n = args.scale_start
    while n <= args.scale_max:
        if not (yield n):
            hi = n
            break
        lo = n
        n *= 2
    if hi:
        while hi - lo > max(args.scale_step, lo * args.scale_resolution):
            mid = max(args.scale_step, round((lo + hi) / 2 / args.scale_step) * args.scale_step)
            if mid in (lo, hi):
                break
            if (yield mid):
                lo = mid
            else:
                hi = mid
    return {"max_n": lo, "first_failing_n": hi or None, "capped": not hi}


def run_searches(
    keys: list[tuple[str, str]], port: int, server_pid: int, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Every (client, loop) search, interleaved one trial at a time.

    A failing trial is repeated (``--scale-retries`` times, default 2) and counts as a failure
    only if every try fails: at the edge of capacity one trial in two can fail by chance (lag
    spikes of the event loop, other processes' bursts), for raw aiohttp and the SDK alike.
    """
    searches = {key: capacity_search(args) for key in keys}
    trials: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in keys}
    pending = {key: next(gen) for key, gen in searches.items()}
    done: dict[tuple[str, str], dict[str, Any]] = {}
    retry: dict[tuple[str, str], int] = {}  # failed tries so far at the current N
    while pending:
        for key in list(pending):
            variant, loop = key
            n = pending[key]
            out = scale_trial(variant, loop, n, port, server_pid, args)
            out["repeat"] = key in retry
            trials[key].append(out)
            if not out["passed"] and retry.get(key, 0) < args.scale_retries:
                retry[key] = retry.get(key, 0) + 1  # same N again on this client's next turn
                continue
            retry.pop(key, None)
            try:
                pending[key] = searches[key].send(bool(out["passed"]))
            except StopIteration as stop:
                done[key] = stop.value
                del pending[key]
    results = []
    for key in keys:
        variant, loop = key
        best = [t for t in trials[key] if t["n"] == done[key]["max_n"] and t["passed"]]
        at_max = best[-1] if best else None
        results.append(
            {
                "variant": variant,
                "loop": loop,
                **done[key],
                "at_max": at_max,
                # CPU time per session at the largest N held, as sessions per fully used core.
                "per_core_by_cpu": (at_max["n"] / at_max["cpu_share"]) if at_max else None,
                "trials": trials[key],
            }
        )
        log(f"scale {variant}/{loop}: {done[key]['max_n']} sessions")
    return results


# --------------------------------------------------------------------------- main
async def client_sections(
    port: int, args: argparse.Namespace, only: set[str], results: dict[str, Any], fast: bool
) -> None:
    if "receive" in only:
        t = time.perf_counter()
        n = args.events
        variants: dict[str, Callable[[], Any]] = {
            "sdk": sdk_round("stdlib", lambda: receive_sdk(port, n)),
            "raw": lambda: receive_raw(port, n),
        }
        if fast:
            variants["sdk+speedups"] = sdk_round("speedups", lambda: receive_sdk(port, n))
            variants["raw+speedups"] = lambda: receive_raw(port, n, fast=True)
        if args.official_python:
            python = args.official_python
            variants["official"] = lambda: receive_official(port, n, python)
        res = await alternate(variants, args.rounds)
        results["receive"] = {"events": n, **res}
        log(f"receive done in {time.perf_counter() - t:.1f} s")
    if "send" in only:
        t = time.perf_counter()
        chunks = pcm16_chunks(20, 50)
        n = args.appends
        variants = {
            "sdk": sdk_round("stdlib", lambda: send_sdk(port, chunks, n)),
            "raw": lambda: send_raw(port, chunks, n),
        }
        if fast:
            variants["sdk+speedups"] = sdk_round("speedups", lambda: send_sdk(port, chunks, n))
            variants["raw+speedups"] = lambda: send_raw(port, chunks, n, fast=True)
        res = await alternate(variants, args.rounds)
        results["send"] = {"appends": n, **res}
        log(f"send done in {time.perf_counter() - t:.1f} s")
    if "connect" in only:
        t = time.perf_counter()
        results["connect"] = await connect_latency(port, args.connect_samples)
        log(f"connect done in {time.perf_counter() - t:.1f} s")


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    import aiohttp

    from azure.ai.voicelive import _speedups

    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for name in ("orjson", "pybase64", "uvloop"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "aiohttp": aiohttp.__version__,
        "platform": platform.platform(),
        "speedups": _speedups.FAST is not None,
        **versions,
    }


def worker_main(args: argparse.Namespace) -> None:
    if args.worker == "memory":
        print(json.dumps(asyncio.run(memory_worker(args.impl, args.port, args.n, args.mode))))
        return
    coro = scale_worker(
        args.impl, args.fast, args.port, args.n, args.seconds, args.warmup, args.server_pid, args.profile
    )
    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(coro)
    else:
        result = asyncio.run(coro)
    result["loop"] = args.loop
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description="SDK vs raw aiohttp benchmarks (Markdown tables).")
    parser.add_argument(
        "--quick", action="store_true", help="a short smoke run (small counts, coarse search)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write every measurement as JSON")
    parser.add_argument(
        "--update-docs", action="store_true", help="rewrite docs/performance.md's generated block"
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument(
        "--official-python",
        default=os.environ.get("VOICELIVE_OFFICIAL_PYTHON"),
        help="interpreter of a venv with the official azure-ai-voicelive (receive comparison)",
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--appends", type=int, default=5000)
    parser.add_argument("--import-samples", type=int, default=15)
    parser.add_argument("--memory-conns", type=int, default=200)
    parser.add_argument("--memory-repeats", type=int, default=3)
    parser.add_argument("--connect-samples", type=int, default=40)
    parser.add_argument("--scale-variants", default=",".join(SCALE_CLIENTS))
    parser.add_argument(
        "--scale-loops", default="asyncio,uvloop", help="uvloop is skipped where not installed"
    )
    parser.add_argument("--scale-start", type=int, default=100)
    parser.add_argument("--scale-max", type=int, default=3200)
    parser.add_argument("--scale-step", type=int, default=25)
    parser.add_argument("--scale-resolution", type=float, default=0.1, help="stop bisecting at this fraction")
    parser.add_argument(
        "--scale-retries", type=int, default=2, help="tries again before an N counts as failed (default 2)"
    )
    parser.add_argument("--scale-seconds", type=float, default=5.0)
    parser.add_argument("--scale-warmup", type=float, default=2.0)
    parser.add_argument("--profile-n", type=int, default=200)
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness for this run, its server and workers (negative needs root): on a shared machine "
        "the lag search otherwise measures the other processes' load as much as the client",
    )
    # internal: worker processes
    parser.add_argument("--worker", choices=("memory", "scale"), help=argparse.SUPPRESS)
    parser.add_argument("--impl", help=argparse.SUPPRESS)
    parser.add_argument("--fast", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--loop", default="asyncio", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=float, default=2.0, help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        worker_main(args)
        return

    if args.quick:
        args.rounds, args.events, args.appends = 3, 1000, 1000
        args.import_samples, args.memory_conns, args.memory_repeats = 3, 50, 1
        args.connect_samples = 10
        args.scale_seconds, args.scale_warmup, args.scale_start = 2.0, 1.0, 200
        args.scale_resolution, args.profile_n = 0.25, 100
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    if args.official_python and not Path(args.official_python).exists():
        parser.error(f"--official-python {args.official_python} does not exist")

    if args.nice:
        os.nice(args.nice)  # inherited by the server and every worker process
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "argv": sys.argv[1:], "targets": TARGETS}
    fast = bool(results["machine"]["speedups"])
    if not fast:
        log("the speedups extra is not installed: its variants are skipped (pip install -e '.[bench]')")
    if "import" in only:
        t = time.perf_counter()
        results["import"] = import_times(args.import_samples)
        log(f"import done in {time.perf_counter() - t:.1f} s")
    with Server(uvloop=have("uvloop")) as server:
        port = server.port
        assert server.proc is not None
        server_pid = server.proc.pid
        asyncio.run(client_sections(port, args, only, results, fast))
        if "memory" in only:
            t = time.perf_counter()
            mem: dict[str, Any] = {"n": args.memory_conns}
            for mode in ("rss", "tracemalloc"):
                per: dict[str, list[float]] = {"sdk": [], "raw-shared": [], "raw": []}
                tops: dict[str, list[str]] = {}
                for _ in range(args.memory_repeats):
                    for impl in per:
                        worker_args = ["--worker", "memory", "--impl", impl, "--port", str(port)]
                        worker_args += ["--n", str(args.memory_conns), "--mode", mode]
                        out = run_worker(worker_args, timeout=120)
                        per[impl].append(out["per_conn_kb"])
                        if out["top"]:
                            tops[impl] = out["top"]
                mem[mode] = {**per, "top": tops}
            results["memory"] = mem
            log(f"memory done in {time.perf_counter() - t:.1f} s")
        loops = [x for x in args.scale_loops.split(",") if x and (x != "uvloop" or have("uvloop"))]
        variants = [v for v in args.scale_variants.split(",") if v and (fast or "speedups" not in v)]
        if "scale" in only:
            t = time.perf_counter()
            searches = run_searches([(v, loop) for loop in loops for v in variants], port, server_pid, args)
            results["scale"] = {
                "seconds": args.scale_seconds,
                "warmup": args.scale_warmup,
                "retries": args.scale_retries,
                "criteria": {
                    "max_p99_ms": MAX_P99_MS,
                    "min_sent_fraction": MIN_SENT_FRACTION,
                    "min_received_fraction": MIN_RECEIVED_FRACTION,
                },
                "searches": searches,
            }
            log(f"scale done in {time.perf_counter() - t:.1f} s")
        if "profile" in only:
            t = time.perf_counter()
            profiles = []
            for variant in variants:
                out = scale_trial(variant, "asyncio", args.profile_n, port, server_pid, args, profile=True)
                out["variant"] = variant
                profiles.append(out)
            results["profile"] = {"n": args.profile_n, "seconds": args.scale_seconds, "runs": profiles}
            log(f"profile done in {time.perf_counter() - t:.1f} s")
    results["elapsed_s"] = time.perf_counter() - started
    sys.path.insert(0, str(HERE))
    import report

    print(report.render(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
        log(f"wrote {args.json}")
    if args.update_docs:
        if not args.json:
            parser.error("--update-docs needs --json PATH (the docs name the JSON they came from)")
        report.update_docs(Path(args.json))


if __name__ == "__main__":
    main()
