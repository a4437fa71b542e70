"""One receive round with Microsoft's official ``azure-ai-voicelive``, run by ``run.py``.

Run with the interpreter of an environment where the official package is installed (never this
project): ``run.py --official-python /path/to/venv/bin/python``. Same client work as the SDK
round in ``run.py`` (``async for event in conn`` reading ``event.type`` and ``event.delta``)
against the same benchmark server; prints one JSON line: CPU and wall nanoseconds for ``n``
events after a warm-up round, and where the package was imported from.

Usage:  python _official_receive.py PORT N
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time


async def one_round(port: int, n: int) -> tuple[int, int, int]:
    from azure.core.credentials import AzureKeyCredential

    from azure.ai.voicelive.aio import connect

    async with connect(
        endpoint=f"http://127.0.0.1:{port}",
        credential=AzureKeyCredential("k"),
        model="gpt-4o",
        query={"scenario": "receive", "n": str(n)},
    ) as conn:
        await conn.recv()  # session.created
        gc.collect()
        count = 0
        audio = 0
        cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
        await conn.send({"type": "bench.start"})
        async for event in conn:
            kind = event.type
            delta = event.delta  # type: ignore[attr-defined]
            if kind == "response.audio.delta":
                audio += len(delta)
            count += 1
        cpu1, wall1 = time.process_time_ns(), time.perf_counter_ns()
    if count != n or audio != n // 2 * 4800:
        raise SystemExit(f"official round read {count} events, {audio} audio bytes")
    return cpu1 - cpu0, wall1 - wall0, count


async def main(port: int, n: int) -> None:
    import azure.ai.voicelive

    await one_round(port, min(n, 500))  # warm-up: imports, caches
    cpu, wall, count = await one_round(port, n)
    print(
        json.dumps({"cpu_ns": cpu, "wall_ns": wall, "events": count, "package": azure.ai.voicelive.__file__})
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
