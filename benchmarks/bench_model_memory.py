"""Memory and time of one model instance: what giving models a ``__dict__`` costs.

Models keep their wire data in slots (``_data``, ``_cache``) and, since 0.2, also have
``__dict__`` and ``__weakref__`` slots so that ``vars(m)``, ad-hoc attributes and weak
references work as on the official package. The instance dict is only created when used.

Measured with tracemalloc (bytes per instance, the wrapper alone and a small constructed
``RequestSession`` with its data) and ``perf_counter`` (decode + read of an audio delta, best of
7 rounds), in one process:

    python benchmarks/bench_model_memory.py [--n 20000]

Compare against the same script on a checkout before the change (``git stash``) to see the cost.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import time
import tracemalloc

from azure.ai.voicelive import models
from azure.ai.voicelive._protocol.codec import decode_server_event

FRAME = json.dumps(
    {
        "type": "response.audio.delta",
        "event_id": "event_1",
        "response_id": "resp_1",
        "item_id": "item_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "AAAA" * 100,
    }
)


def per_instance(n: int) -> tuple[float, float, float]:
    gc.collect()
    tracemalloc.start()
    datas = [json.loads(FRAME) for _ in range(n)]
    before = tracemalloc.get_traced_memory()[0]
    wrappers = [models.ServerEventResponseAudioDelta._from_wire(d) for d in datas]
    after_wrap = tracemalloc.get_traced_memory()[0]
    sessions = [models.RequestSession(modalities=["text"], voice="alloy") for _ in range(n)]
    after_sessions = tracemalloc.get_traced_memory()[0]
    try:
        for w in wrappers[: n // 2]:
            w.note = 1  # the instance dict, once used
    except AttributeError:  # a version without __dict__ (before 0.2)
        pass
    after_used = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del datas, wrappers, sessions
    return (
        (after_wrap - before) / n,
        (after_sessions - after_wrap) / n,
        (after_used - after_sessions) / (n // 2),
    )


def decode_time(n: int) -> float:
    frames = [FRAME] * n
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for frame in frames:
            event = decode_server_event(frame)
            _ = event.delta, event.type
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    wrapper, session, used = per_instance(args.n)
    print(f"Python {platform.python_version()} ({platform.machine()})")
    print(f"model wrapper (decoded event, data excluded): {wrapper:7.1f} B/instance")
    print(f"RequestSession(modalities, voice) with data:  {session:7.1f} B/instance")
    print(f"instance dict once an ad-hoc attribute is set: +{used:6.1f} B/instance")
    print(f"decode + read of an audio delta:              {decode_time(args.n):7.3f} us/event")


if __name__ == "__main__":
    main()
