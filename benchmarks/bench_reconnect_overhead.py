"""What opt-in reconnect costs per event: the receive and send rounds of ``run.py``, off and on.

Alternates rounds with ``reconnect=None`` (the default path, unchanged) and
``reconnect=ReconnectPolicy()`` (a pump task, the call-state tracker and a queue per event)
against the same server process, and prints client CPU microseconds per event (medians).

Run:  python benchmarks/bench_reconnect_overhead.py [--rounds 5] [--events 5000] [--appends 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # the benchmark harness next to this file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--appends", type=int, default=5000)
    args = parser.parse_args()

    from azure.core.credentials import AzureKeyCredential

    from azure.ai.voicelive.aio import ReconnectPolicy, connect

    def connect_with(policy: ReconnectPolicy | None) -> Any:
        def sdk_connect(port: int, **query: str) -> Any:
            return connect(
                endpoint=f"http://127.0.0.1:{port}",
                credential=AzureKeyCredential("k"),
                model="gpt-4o",
                query=query,
                reconnect=policy,
            )

        return sdk_connect

    modes = {"off": connect_with(None), "on": connect_with(ReconnectPolicy())}
    chunks = run.pcm16_chunks(20, 50)
    results: dict[str, dict[str, list[float]]] = {m: {"receive": [], "send": []} for m in modes}
    with run.Server() as server:
        for _ in range(args.rounds):
            for mode, factory in modes.items():
                run.sdk_connect = factory
                cpu, _, n = asyncio.run(run.receive_sdk(server.port, args.events))
                results[mode]["receive"].append(cpu / 1000 / n)
                cpu, _, n = asyncio.run(run.send_sdk(server.port, chunks, args.appends))
                results[mode]["send"].append(cpu / 1000 / n)
    print("| path | reconnect off: CPU µs | reconnect on: CPU µs | on/off |")
    print("|---|---:|---:|---:|")
    for path in ("receive", "send"):
        off = statistics.median(results["off"][path])
        on = statistics.median(results["on"][path])
        unit = "event" if path == "receive" else "append"
        print(f"| {path} (per {unit}) | {off:.2f} | {on:.2f} | {on / off:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
