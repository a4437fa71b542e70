"""Where the SDK's own time goes on the receive and send hot paths, and what proposals would save.

Two views:

* ``micro`` -- the SDK layers alone, per event, in process: a fake WebSocket whose
  ``receive()`` hands out pre-built aiohttp ``WSMessage`` objects at once (and whose
  ``send_str`` does nothing), so only the SDK's work (plus the JSON / base64 work a raw client
  does too) is timed. Variants run in alternating rounds, medians of ``--rounds``:

  - receive: ``async for event in conn`` reading ``event.type`` and ``event.delta`` (SDK), the
    same with proposals monkeypatched in (``fast-anext``), and the raw floor
    (``json.loads`` + ``base64.b64decode``) over the same messages;
  - send: ``conn.input_audio_buffer.append(audio=chunk)`` (SDK), with ``direct-send``
    monkeypatched in, and the raw ``send_str(json.dumps({...}))`` with ``base64.b64encode``.

* ``cprofile`` -- one SDK receive round and one send round against the real benchmark server
  (``_server.py``, own process) under cProfile; the functions with the most own time, in
  microseconds per event, grouped by where they live (SDK, aiohttp, asyncio, json/base64).

* ``e2e`` -- run.py's receive and send rounds against the real server with proposals
  monkeypatched in, alternating with the unpatched SDK and the raw floor.
* ``memory`` -- tracemalloc KB per idle SDK connection with the memory proposals patched in.

* ``decode`` -- timeit of one audio / transcript frame through the plain and the proposed decoder.

Run:  python benchmarks/profile_paths.py [--only decode,micro,e2e,memory,cprofile] [--rounds 21]
Nothing under ``src/`` is changed on disk: proposals are monkeypatched in this process only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import gc
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import aiohttp  # noqa: E402
from _server import pcm16_tone, response_frames  # noqa: E402

from azure.ai.voicelive.aio import VoiceLiveConnection  # noqa: E402
from azure.ai.voicelive.aio import _connection as connection_module  # noqa: E402
from azure.ai.voicelive.aio import _resources as resources_module  # noqa: E402

TEXT = aiohttp.WSMsgType.TEXT
CLOSE = aiohttp.WSMsgType.CLOSE


# --------------------------------------------------------------------------- fakes
class FakeWS:
    """Just enough of ``aiohttp.ClientWebSocketResponse`` for VoiceLiveConnection."""

    compress = 0
    close_code = 1000

    def __init__(self, messages: list[Any]) -> None:
        self._messages = messages
        self._i = 0
        self.closed = False
        self.sent = 0

    def reset(self) -> None:
        self._i = 0
        self.closed = False

    async def receive(self) -> Any:
        i = self._i
        self._i = i + 1
        return self._messages[i]

    async def send_str(self, text: str) -> None:
        self.sent += 1

    async def close(self, **kwargs: Any) -> bool:
        self.closed = True
        return True

    def exception(self) -> None:
        return None


class FakeSession:
    async def close(self) -> None:
        pass


def messages(n: int) -> list[Any]:
    msgs = [aiohttp.WSMessage(TEXT, frame, None) for frame in response_frames(n)]
    msgs.append(aiohttp.WSMessage(CLOSE, 1000, ""))
    return msgs


# --------------------------------------------------------------------------- proposals (monkeypatches)
_ORIGINAL_ANEXT = VoiceLiveConnection.__anext__
_ORIGINAL_APPEND = resources_module.InputAudioBufferResource.append


async def fast_anext(self: VoiceLiveConnection) -> Any:
    """Proposal R1: ``__anext__`` with the common case inlined (no recv/_receive coroutines).

    One ``await self._ws.receive()``; a TEXT message with no hooks and DEBUG off is decoded and
    returned at once; everything else goes through the unchanged ``recv()`` logic.
    """
    if self._receiving or self._ended is not None or self._hooks:
        return await _ORIGINAL_ANEXT(self)
    self._receiving = True
    try:
        msg = await self._ws.receive()
    finally:
        self._receiving = False
    if msg.type is connection_module._TEXT and not _LOGGER_DEBUG():
        return self._decode(msg.data)
    return await _slow_anext(self, msg)


def _LOGGER_DEBUG() -> bool:
    return connection_module._LOGGER.isEnabledFor(connection_module._DEBUG)


async def _slow_anext(self: VoiceLiveConnection, msg: Any) -> Any:
    """The rest of recv() for a message already taken (test-only replica, enough for the bench)."""
    kind = msg.type
    if kind is connection_module._TEXT:
        return self._decode(msg.data)
    if kind in (
        connection_module._CLOSE,
        connection_module._CLOSING,
        connection_module._CLOSED,
        connection_module._ERROR,
    ):
        self._record_end(msg)
        exc = self._closed_error()
        if exc.code == 1000 or (self._ended is not None and self._ended[2]):
            raise StopAsyncIteration
        raise exc
    return await _ORIGINAL_ANEXT(self)


async def direct_append(self: Any, *, audio: Any, event_id: str | None = None) -> None:
    """Proposal S1: append's bytes fast path sends through ``ws.send_str`` itself (no ``_send_text`` hop)."""
    conn = self._connection
    if (
        event_id is None
        and type(audio) is bytes
        and conn._send_lock is None
        and conn._ended is None
        and conn._close_done is None
        and not conn._hooks
        and not _LOGGER_DEBUG()
    ):
        try:
            await conn._ws.send_str(resources_module._APPEND + resources_module._b64encode(audio) + '"}')
        except ConnectionResetError:
            return await _ORIGINAL_APPEND(self, audio=audio, event_id=event_id)
        return None
    return await _ORIGINAL_APPEND(self, audio=audio, event_id=event_id)


# Proposal M1-M3 (memory per idle connection): aio/_connect.py `_handshake` with
#   M1 one module-level TraceConfig shared by every handshake (its callbacks find the
#      per-handshake _HandshakeWatch in a dict keyed by the session, removed once the
#      handshake is over) instead of a new TraceConfig (16 aiosignal Signals) per connection;
#   M2 cookie_jar=aiohttp.DummyCookieJar() (a WebSocket upgrade never needs cookies);
#   M3 one module-level ClientTimeout instead of one per connection.
from azure.ai.voicelive.aio import _connect as connect_module  # noqa: E402

_ORIGINAL_HANDSHAKE = connect_module._handshake
_WATCHES: dict[Any, Any] = {}
_SHARED_TRACE: list[aiohttp.TraceConfig] = []
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=None, sock_read=None)


async def _shared_on_redirect(session: Any, context: Any, params: Any) -> None:
    watch = _WATCHES.get(session)
    if watch is not None:
        await watch._on_redirect(session, context, params)


async def _shared_on_end(session: Any, context: Any, params: Any) -> None:
    watch = _WATCHES.get(session)
    if watch is not None:
        await watch._on_end(session, context, params)


def _shared_trace_config() -> aiohttp.TraceConfig:
    if not _SHARED_TRACE:
        config = aiohttp.TraceConfig()
        config.on_request_redirect.append(_shared_on_redirect)
        config.on_request_end.append(_shared_on_end)
        config.freeze()
        _SHARED_TRACE.append(config)
    return _SHARED_TRACE[0]


async def lean_handshake(plan: Any, url: str, headers: dict[str, str], secret: str) -> Any:
    """``_connect._handshake`` with M1-M3 applied (otherwise identical)."""
    watch = connect_module._HandshakeWatch()
    session = aiohttp.ClientSession(
        trace_configs=[_shared_trace_config()],
        timeout=_NO_TIMEOUT,
        cookie_jar=aiohttp.DummyCookieJar(),
        connector=plan.connector,
        connector_owner=plan.connector is None,
        trust_env=plan.trust_env,
    )
    _WATCHES[session] = watch

    async def upgrade() -> Any:
        return await session.ws_connect(url, headers=headers, **plan.ws_kwargs)

    try:
        if plan.handshake_timeout is None:
            ws = await upgrade()
        else:
            ws = await asyncio.wait_for(upgrade(), plan.handshake_timeout)
    except BaseException as exc:
        await connect_module._close_session(session)
        error = connect_module._handshake_error(exc, plan, url, watch.error_text, secret)
        if error is None or error is exc:
            raise
        raise error from exc
    finally:
        _WATCHES.pop(session, None)
    return session, ws


# Proposal M4: __slots__ = ("_connection",) on the six resource classes (ConversationResource:
# ("_connection", "item")): no per-instance __dict__.
def _slotted(cls: type, slots: tuple[str, ...]) -> type:
    namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    namespace["__slots__"] = slots
    return type(cls.__name__, cls.__bases__, namespace)


_RESOURCE_NAMES = (
    "SessionResource",
    "ResponseResource",
    "InputAudioBufferResource",
    "OutputAudioBufferResource",
    "ConversationResource",
    "TranscriptionSessionResource",
)


def _patch_slots() -> Callable[[], None]:
    saved = {name: getattr(connection_module, name) for name in _RESOURCE_NAMES}
    saved_item = resources_module.ConversationItemResource
    resources_module.ConversationItemResource = _slotted(saved_item, ("_connection",))  # type: ignore[misc]
    for name, cls in saved.items():
        slots = ("_connection", "item") if name == "ConversationResource" else ("_connection",)
        setattr(connection_module, name, _slotted(cls, slots))

    def undo() -> None:
        resources_module.ConversationItemResource = saved_item  # type: ignore[misc]
        for name, cls in saved.items():
            setattr(connection_module, name, cls)

    return undo


# Proposal R2 (receive): _protocol/codec.py `decode_server_event` lifts the base64 text of a
# `response.audio.delta` frame out of the frame with str.find (memchr speed) and json-parses
# only the small rest, instead of letting json.loads scan 6,400 characters of base64. Any
# doubt (type not first, an escape anywhere in the delta, a second "delta" key, a parse
# error, no top-level delta) falls back to the plain path, so results are identical.
from azure.ai.voicelive._protocol import codec as codec_module  # noqa: E402
from azure.ai.voicelive.models import ServerEventResponseAudioDelta  # noqa: E402

_ORIGINAL_DECODE = codec_module.decode_server_event
_AUDIO_PREFIX = '{"type":"response.audio.delta"'
_DELTA_KEY = '"delta":"'


def fast_audio_decode(frame: Any) -> Any:
    """``decode_server_event`` with proposal R2 in front (the code proposed for codec.py)."""
    if type(frame) is str and frame.startswith(_AUDIO_PREFIX):
        event = _decode_audio_delta(frame)
        if event is not None:
            return event
    return _ORIGINAL_DECODE(frame)


def _decode_audio_delta(frame: str) -> Any:
    """JSON-parse an audio delta frame without its base64 text; None when unsure (plain path)."""
    i = frame.find(_DELTA_KEY)
    if i <= 0 or frame[i - 1] == "\\":
        return None
    start = i + 9
    end = frame.find('"', start)
    if end < 0 or frame.find(_DELTA_KEY, end) >= 0:
        return None
    delta = frame[start:end]
    if "\\" in delta:
        return None
    try:
        data = json.loads(frame[:start] + frame[end:])
    except (ValueError, RecursionError):
        return None
    if type(data) is not dict or data.get("delta") != "" or data.get("type") != "response.audio.delta":
        return None
    data["delta"] = delta
    event = object.__new__(ServerEventResponseAudioDelta)
    event._data = data
    event._cache = None
    return event


def decode_timings(rounds: int = 31, number: int = 2000) -> dict[str, dict[str, float]]:
    """One frame through the plain and the R2 decoder: CPU µs per call, alternating rounds.

    ``binascii.a2b_base64`` of the same 6,400 characters takes anywhere from about 12 to 24 µs
    depending on where the input and output buffers sit in memory, so each case cycles over 64
    different frames and keeps the last 16 results alive: buffer addresses rotate as they do
    in a real stream, instead of one lucky (or unlucky) placement being measured 2,000 times.
    """
    from collections import deque

    frames = response_frames(128)
    audio_frames = [f for f in frames if '"response.audio.delta"' in f]
    text_frames = [f for f in frames if '"response.audio_transcript.delta"' in f]
    plain, fast = _ORIGINAL_DECODE, fast_audio_decode
    assert all(fast(f) == plain(f) and fast(f).delta == plain(f).delta for f in audio_frames)
    cases: dict[str, tuple[list[str], Callable[[str], Any]]] = {
        "json.loads(audio delta frame)": (audio_frames, json.loads),
        "decode_server_event(audio delta frame)": (audio_frames, plain),
        "R2 decoder(audio delta frame)": (audio_frames, fast),
        "decode_server_event(audio delta frame).delta": (audio_frames, lambda f: plain(f).delta),
        "R2 decoder(audio delta frame).delta": (audio_frames, lambda f: fast(f).delta),
        "json.loads + base64.b64decode (raw floor, audio)": (
            audio_frames,
            lambda f: base64.b64decode(json.loads(f)["delta"]),
        ),
        "json.loads(transcript delta frame)": (text_frames, json.loads),
        "decode_server_event(transcript delta frame)": (text_frames, plain),
        "R2 decoder(transcript delta frame)": (text_frames, fast),
    }
    runs: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (inputs, fn) in cases.items():
            keep: deque[Any] = deque(maxlen=16)
            m = len(inputs)
            t0 = time.process_time_ns()
            for i in range(number):
                keep.append(fn(inputs[i % m]))
            runs[name].append((time.process_time_ns() - t0) / number / 1000)
    print(f"\n### decode: one frame, CPU µs per call ({rounds} alternating rounds of {number})")
    print("| call | min µs | median µs |")
    print("|---|---:|---:|")
    out: dict[str, dict[str, float]] = {}
    for name, values in runs.items():
        out[name] = {"min": min(values), "median": statistics.median(values)}
        print(f"| `{name}` | {min(values):.3f} | {statistics.median(values):.3f} |")
    return out


def patch(name: str) -> Callable[[], None]:
    """Apply one proposal; returns the undo."""
    if name == "fast-audio-decode":
        codec_module.decode_server_event = fast_audio_decode
        return lambda: setattr(codec_module, "decode_server_event", _ORIGINAL_DECODE)
    if name == "lean-handshake":
        connect_module._handshake = lean_handshake
        return lambda: setattr(connect_module, "_handshake", _ORIGINAL_HANDSHAKE)
    if name == "slotted-resources":
        return _patch_slots()
    if name == "fast-anext":
        VoiceLiveConnection.__anext__ = fast_anext  # type: ignore[method-assign]
        return lambda: setattr(VoiceLiveConnection, "__anext__", _ORIGINAL_ANEXT)
    if name == "direct-send":
        resources_module.InputAudioBufferResource.append = direct_append  # type: ignore[method-assign]
        return lambda: setattr(resources_module.InputAudioBufferResource, "append", _ORIGINAL_APPEND)
    raise ValueError(name)


# --------------------------------------------------------------------------- micro rounds
async def micro_receive_sdk(ws: FakeWS, n: int) -> float:
    ws.reset()
    conn = VoiceLiveConnection(FakeSession(), ws)  # type: ignore[arg-type]
    audio = 0
    t0 = time.process_time_ns()
    async for event in conn:
        kind = event.type
        delta = event.delta
        if kind == "response.audio.delta":
            audio += len(delta)
    t1 = time.process_time_ns()
    assert audio == n // 2 * 4800
    return (t1 - t0) / n / 1000


async def micro_receive_raw(ws: FakeWS, n: int) -> float:
    ws.reset()
    loads, b64decode = json.loads, base64.b64decode
    audio = 0
    t0 = time.process_time_ns()
    while True:
        msg = await ws.receive()
        if msg.type is not TEXT:
            break
        data = loads(msg.data)
        if data["type"] == "response.audio.delta":
            audio += len(b64decode(data["delta"]))
        else:
            data.get("delta")
    t1 = time.process_time_ns()
    assert audio == n // 2 * 4800
    return (t1 - t0) / n / 1000


async def micro_receive_sdk_nothing_read(ws: FakeWS, n: int) -> float:
    """SDK iteration + lazy decode, no field read (what the SDK costs before any user work)."""
    ws.reset()
    conn = VoiceLiveConnection(FakeSession(), ws)  # type: ignore[arg-type]
    t0 = time.process_time_ns()
    async for _ in conn:
        pass
    t1 = time.process_time_ns()
    return (t1 - t0) / n / 1000


async def micro_receive_raw_loads_only(ws: FakeWS, n: int) -> float:
    ws.reset()
    loads = json.loads
    t0 = time.process_time_ns()
    while True:
        msg = await ws.receive()
        if msg.type is not TEXT:
            break
        loads(msg.data)
    t1 = time.process_time_ns()
    return (t1 - t0) / n / 1000


async def micro_send_sdk(ws: FakeWS, chunks: list[bytes], n: int) -> float:
    conn = VoiceLiveConnection(FakeSession(), ws)  # type: ignore[arg-type]
    append = conn.input_audio_buffer.append
    m = len(chunks)
    t0 = time.process_time_ns()
    for i in range(n):
        await append(audio=chunks[i % m])
    t1 = time.process_time_ns()
    return (t1 - t0) / n / 1000


async def micro_send_raw(ws: FakeWS, chunks: list[bytes], n: int) -> float:
    dumps, b64encode, send_str = json.dumps, base64.b64encode, ws.send_str
    m = len(chunks)
    t0 = time.process_time_ns()
    for i in range(n):
        await send_str(
            dumps({"type": "input_audio_buffer.append", "audio": b64encode(chunks[i % m]).decode()})
        )
    t1 = time.process_time_ns()
    return (t1 - t0) / n / 1000


def proposals_of(variant: str) -> list[str]:
    """ "sdk+a&b, note" -> ["a", "b"]."""
    if "+" not in variant:
        return []
    return variant.split("+", 1)[1].split(",")[0].split(" ")[0].split("&")


async def micro(rounds: int, n: int) -> dict[str, dict[str, list[float]]]:
    ws = FakeWS(messages(n))
    send_ws = FakeWS([])
    chunks = [pcm16_tone(20, i) for i in range(50)]
    receive_variants: dict[str, Callable[[], Any]] = {
        "sdk": lambda: micro_receive_sdk(ws, n),
        "sdk+fast-anext": lambda: micro_receive_sdk(ws, n),
        "sdk+fast-audio-decode": lambda: micro_receive_sdk(ws, n),
        "sdk+fast-anext&fast-audio-decode": lambda: micro_receive_sdk(ws, n),
        "raw floor": lambda: micro_receive_raw(ws, n),
        "sdk, no field read": lambda: micro_receive_sdk_nothing_read(ws, n),
        "sdk+fast-anext, no field read": lambda: micro_receive_sdk_nothing_read(ws, n),
        "raw json.loads only": lambda: micro_receive_raw_loads_only(ws, n),
    }
    send_variants: dict[str, Callable[[], Any]] = {
        "sdk": lambda: micro_send_sdk(send_ws, chunks, n),
        "sdk+direct-send": lambda: micro_send_sdk(send_ws, chunks, n),
        "raw floor": lambda: micro_send_raw(send_ws, chunks, n),
    }
    out: dict[str, dict[str, list[float]]] = {"receive": {}, "send": {}}
    for section, variants in (("receive", receive_variants), ("send", send_variants)):
        results: dict[str, list[float]] = {k: [] for k in variants}
        for r in range(rounds + 1):
            for name, fn in variants.items():
                undos = [patch(p) for p in proposals_of(name)]
                try:
                    gc.collect()
                    value = await fn()
                finally:
                    for undo in reversed(undos):
                        undo()
                if r:
                    results[name].append(value)
        out[section] = results
    return out


# --------------------------------------------------------------------------- end to end with proposals
async def e2e(port: int, rounds: int, n: int) -> dict[str, dict[str, list[float]]]:
    """The run.py receive / send rounds against the real server, proposals monkeypatched in."""
    import run

    chunks = [pcm16_tone(20, i) for i in range(50)]
    sections: dict[str, dict[str, Callable[[], Any]]] = {
        "receive": {
            "sdk": lambda: run.receive_sdk(port, n),
            "sdk+fast-audio-decode": lambda: run.receive_sdk(port, n),
            "sdk+fast-anext&fast-audio-decode": lambda: run.receive_sdk(port, n),
            "raw floor": lambda: run.receive_raw(port, n),
        },
        "send": {
            "sdk": lambda: run.send_sdk(port, chunks, n),
            "sdk+direct-send": lambda: run.send_sdk(port, chunks, n),
            "raw floor": lambda: run.send_raw(port, chunks, n),
        },
    }
    out: dict[str, dict[str, list[float]]] = {}
    for section, variants in sections.items():
        results: dict[str, list[float]] = {k: [] for k in variants}
        for r in range(rounds + 1):
            for name, fn in variants.items():
                undos = [patch(p) for p in proposals_of(name)]
                try:
                    cpu, _wall, units = await asyncio.wait_for(fn(), 120)
                finally:
                    for undo in reversed(undos):
                        undo()
                if r:
                    results[name].append(cpu / units / 1000)
        out[section] = results
        unit = "event" if section == "receive" else "append"
        floor = statistics.median(results["raw floor"])
        best = min(results["raw floor"])
        print(
            f"\n### end to end {section}: client CPU µs per {unit}, real server, {rounds} alternating rounds"
        )
        print("| variant | min µs | min / raw floor | median (min-max) | median / raw floor |")
        print("|---|---:|---:|---:|---:|")
        for name, values in results.items():
            print(
                f"| {name} | {min(values):.3f} | {min(values) / best:.3f}x | {summarize(values)} "
                f"| {statistics.median(values) / floor:.3f}x |"
            )
    return out


# --------------------------------------------------------------------------- memory per idle connection
async def memory_per_connection(port: int, n: int, patches: tuple[str, ...], shared: bool = False) -> float:
    """tracemalloc KB per idle SDK connection (session.created read), with ``patches`` applied.

    ``shared``: every connection gets the same ``connector=`` (an aiohttp.TCPConnector(limit=0)),
    which is what proposal M5 (one connector per event loop, owned by the SDK) would do.
    """
    import tracemalloc

    from azure.core.credentials import AzureKeyCredential

    from azure.ai.voicelive.aio import connect

    connector = aiohttp.TCPConnector(limit=0) if shared else None

    def open_manager() -> Any:
        extra = {"connector": connector} if connector is not None else {}
        return connect(
            endpoint=f"http://127.0.0.1:{port}",
            credential=AzureKeyCredential("k"),
            model="gpt-4o",
            query={"scenario": "idle"},
            **extra,
        )

    undos = [patch(p) for p in patches]
    try:
        for _ in range(3):
            async with open_manager() as conn:
                await conn.recv()
        gc.collect()
        tracemalloc.start(1)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        managers = []
        for _ in range(n):
            manager = open_manager()
            conn = await manager.__aenter__()
            await conn.recv()
            managers.append(manager)
        await asyncio.sleep(0.2)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        await asyncio.gather(*(m.__aexit__(None, None, None) for m in managers))
    finally:
        for undo in reversed(undos):
            undo()
        if connector is not None:
            await connector.close()
    return (after - before) / n / 1024


def memory_proposals(n: int, rounds: int) -> dict[str, list[float]]:
    import run

    variants: dict[str, tuple[tuple[str, ...], bool]] = {
        "sdk": ((), False),
        "sdk+lean-handshake (M1-M3)": (("lean-handshake",), False),
        "sdk+slotted-resources (M4)": (("slotted-resources",), False),
        "sdk+M1-M4": (("lean-handshake", "slotted-resources"), False),
        "sdk, shared connector= (M5 alone)": ((), True),
        "sdk+M1-M4, shared connector= (M5)": (("lean-handshake", "slotted-resources"), True),
    }
    out: dict[str, list[float]] = {k: [] for k in variants}
    with run.Server() as server:
        for _ in range(rounds):
            for name, (patches, shared) in variants.items():
                out[name].append(asyncio.run(memory_per_connection(server.port, n, patches, shared)))
    print(f"\n### memory: tracemalloc KB per idle SDK connection ({n} open), median (min-max) of {rounds}")
    print("| variant | KB/conn | vs sdk |")
    print("|---|---:|---:|")
    base = statistics.median(out["sdk"])
    for name, values in out.items():
        print(f"| {name} | {summarize(values)} | {statistics.median(values) - base:+.2f} |")
    return out


# --------------------------------------------------------------------------- cProfile against the real server
def group_of(filename: str) -> str:
    if "azure/ai/voicelive" in filename:
        return "SDK"
    if "aiohttp" in filename or "multidict" in filename or "yarl" in filename:
        return "aiohttp"
    if "benchmarks/" in filename:
        return "benchmark loop"
    if "asyncio" in filename or filename == "~":
        return "asyncio / builtins"
    return "other"


def profile_report(profile: cProfile.Profile, units: int, title: str, top: int) -> dict[str, Any]:
    stats = pstats.Stats(profile)
    rows = []
    groups: dict[str, float] = {}
    total = 0.0
    waiting = 0.0
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "poll' of 'select" in func:
            waiting += tt
            continue
        total += tt
        g = group_of(filename)
        if (
            "/json/" in filename
            or "/base64.py" in filename
            or any(k in func for k in ("json", "b64", "a2b", "b2a", "loads", "dumps"))
        ):
            g = "json / base64 (C)"
        groups[g] = groups.get(g, 0.0) + tt
        short = filename.split("site-packages/")[-1].split("/src/")[-1]
        rows.append((tt, ct, nc, f"{short}:{line}({func})", g))
    rows.sort(reverse=True)
    print(f"\n### {title}: cProfile, own time per event (µs; profiler overhead inflates small calls)")
    print(f"(left out: {waiting / units * 1e6:.2f} µs/event waiting in epoll)")
    print(
        f"total {total / units * 1e6:.2f} µs/event under cProfile; by group: "
        + ", ".join(f"{g} {t / units * 1e6:.2f}" for g, t in sorted(groups.items(), key=lambda kv: -kv[1]))
    )
    print("| own µs/event | cum µs/event | calls/event | function | group |")
    print("|---:|---:|---:|---|---|")
    for tt, ct, nc, name, g in rows[:top]:
        print(f"| {tt / units * 1e6:.2f} | {ct / units * 1e6:.2f} | {nc / units:.2f} | `{name}` | {g} |")
    return {"total_us": total / units * 1e6, "groups_us": {g: t / units * 1e6 for g, t in groups.items()}}


async def profiled_rounds(port: int, n: int, top: int) -> dict[str, Any]:
    import run

    chunks = [pcm16_tone(20, i) for i in range(50)]
    await run.receive_sdk(port, 500)  # warm-up: lazy imports
    await run.send_sdk(port, chunks, 500)
    out: dict[str, Any] = {}
    for name, coro_fn in (
        ("receive (SDK)", lambda: run.receive_sdk(port, n)),
        ("receive (raw)", lambda: run.receive_raw(port, n)),
        ("send (SDK)", lambda: run.send_sdk(port, chunks, n)),
        ("send (raw)", lambda: run.send_raw(port, chunks, n)),
    ):
        # Wall-clock timer (the CPU-time one costs a syscall per call and inflates everything
        # ~3x); the only blocking call, epoll's poll (waiting for the server), is left out.
        profile = cProfile.Profile()
        profile.enable()
        try:
            await asyncio.wait_for(coro_fn(), 120)
        finally:
            profile.disable()
        out[name] = profile_report(profile, n, name, top)
    return out


def summarize(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description="Profile the SDK's receive and send paths.")
    parser.add_argument("--only", default="decode,micro,e2e,memory,cprofile")
    parser.add_argument("--rounds", type=int, default=21, help="e2e rounds per variant")
    parser.add_argument("--micro-rounds", type=int, default=31)
    parser.add_argument("--micro-events", type=int, default=2000)
    parser.add_argument("--profile-events", type=int, default=5000)
    parser.add_argument("--top", type=int, default=18)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    only = set(args.only.split(","))
    results: dict[str, Any] = {}
    if "decode" in only:
        results["decode"] = decode_timings()
    if "micro" in only:
        res = asyncio.run(micro(args.micro_rounds, args.micro_events))
        results["micro"] = res
        for section, variants in res.items():
            unit = "event" if section == "receive" else "append"
            floor = statistics.median(variants["raw floor"])
            best = min(variants["raw floor"])
            print(
                f"\n### micro {section}: CPU µs per {unit}, fake WebSocket, "
                f"{args.micro_rounds} alternating rounds "
                f"of {args.micro_events} (min is the least-disturbed round: use it on a busy machine)"
            )
            print("| variant | min µs | min vs raw floor | median (min-max) | median vs raw floor |")
            print("|---|---:|---:|---:|---:|")
            for name, values in variants.items():
                print(
                    f"| {name} | {min(values):.3f} | {min(values) - best:+.3f} | {summarize(values)} "
                    f"| {statistics.median(values) - floor:+.3f} |"
                )
    if "e2e" in only:
        import run

        with run.Server() as server:
            results["e2e"] = asyncio.run(e2e(server.port, args.rounds, 5000))
    if "memory" in only:
        results["memory"] = memory_proposals(100, 3)
    if "cprofile" in only:
        import run

        with run.Server() as server:
            results["cprofile"] = asyncio.run(profiled_rounds(server.port, args.profile_events, args.top))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
