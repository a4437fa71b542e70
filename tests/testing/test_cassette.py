"""Session cassettes: record against the fake (standing in for Azure), replay, compare.

Round trips run an app twice, once recording against a simulating `FakeVoiceLiveServer` and
once against `FakeVoiceLiveServer(replay=...)`, and compare every server event the app received.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AzureKeyCredential

from azure.ai.voicelive.aio import ConnectionClosed, VoiceLiveConnection, connect
from azure.ai.voicelive.audio import pcm16_to_base64, silence_pcm16, sine_pcm16
from azure.ai.voicelive.testing import (
    Cassette,
    CassetteError,
    CassetteMismatch,
    FakeVoiceLiveServer,
    Match,
    ScriptedResponder,
    TextReply,
    record,
)

WAIT = 10.0
CASSETTES = Path(__file__).parent / "cassettes"
Flow = Callable[[VoiceLiveConnection, list[dict[str, Any]]], Awaitable[None]]


async def read_until(conn: VoiceLiveConnection, got: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Read events into `got` until one of type `kind`; return it."""
    while True:
        event = dict(await asyncio.wait_for(conn.recv(), WAIT))
        got.append(event)
        if event["type"] == kind:
            return event


def user_text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


async def send_audio(conn: VoiceLiveConnection, audio: bytes, chunk: int = 960) -> None:
    for i in range(0, len(audio), chunk):
        await conn.input_audio_buffer.append(audio=pcm16_to_base64(audio[i : i + chunk]))


SPEECH = silence_pcm16(300) + sine_pcm16(180, 900) + silence_pcm16(800)


# --- the flows -----------------------------------------------------------------------------------


async def text_flow(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
    await read_until(conn, got, "session.created")
    await conn.session.update(session={"modalities": ["text"], "turn_detection": None})
    await conn.conversation.item.create(item=user_text("Hello there"))
    await conn.response.create()
    await read_until(conn, got, "response.done")


async def vad_flow(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
    await read_until(conn, got, "session.created")
    await conn.session.update(session={"input_audio_transcription": {"model": "whisper-1"}})
    await read_until(conn, got, "session.updated")
    await send_audio(conn, SPEECH)
    await read_until(conn, got, "response.done")


async def function_flow(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
    tool = {
        "type": "function",
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
    }
    await conn.session.update(session={"modalities": ["text"], "tools": [tool], "turn_detection": None})
    await conn.conversation.item.create(item=user_text("What's the weather in Seattle?"))
    await conn.response.create()
    call = await read_until(conn, got, "response.function_call_arguments.done")
    await read_until(conn, got, "response.done")
    output = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"sky": "sunny"}'}
    await conn.conversation.item.create(item=output)
    await conn.response.create()
    await read_until(conn, got, "response.done")


async def interruption_flow(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
    """Barge-in: the user speaks during a long spoken reply; the app truncates what was played."""
    await read_until(conn, got, "session.created")
    await conn.conversation.item.create(item=user_text("Tell me a long story about the sea"))
    await conn.response.create()
    delta = await read_until(conn, got, "response.audio.delta")
    await send_audio(conn, SPEECH)
    done = await read_until(conn, got, "response.done")
    assert done["response"]["status"] == "cancelled"
    await conn.conversation.item.truncate(item_id=delta["item_id"], content_index=0, audio_end_ms=40)
    await read_until(conn, got, "conversation.item.truncated")
    await read_until(conn, got, "response.done")  # the answer to what the user said


FLOWS: dict[str, tuple[Flow, dict[str, Any]]] = {
    "text": (text_flow, {"pacing": "instant"}),
    "vad": (vad_flow, {"pacing": "instant", "transcriber": lambda pcm, rate: "turn on the lights"}),
    "function_call": (function_flow, {"pacing": "instant"}),
    "interruption": (
        interruption_flow,
        {
            "realtime": True,
            "responder": ScriptedResponder(TextReply("Once upon a time " * 30), TextReply("Sure.")),
        },
    ),
}


async def run(endpoint: str, flow: Flow, credential: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with connect(
        endpoint=endpoint, credential=credential or AzureKeyCredential("k"), model="gpt-realtime", **kwargs
    ) as conn:
        await flow(conn, got)
    return got


async def record_flow(path: Path, name: str, audio: Any = "trim") -> list[dict[str, Any]]:
    flow, options = FLOWS[name]
    async with FakeVoiceLiveServer(**options) as server:
        async with record(path, audio=audio):
            got = await run(server.endpoint, flow)
    assert server.errors == []
    return got


async def replay_flow(
    path: Path, name: str, **options: Any
) -> tuple[list[dict[str, Any]], FakeVoiceLiveServer]:
    async with FakeVoiceLiveServer(replay=path, **options) as server:
        got = await run(server.endpoint, FLOWS[name][0])
    return got, server


def audio_as_length(event: dict[str, Any]) -> dict[str, Any]:
    if event["type"] == "response.audio.delta":
        return {**event, "delta": len(base64.b64decode(event["delta"]))}
    return event


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FLOWS))
async def test_round_trip_with_audio_kept_gives_the_identical_events(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.jsonl"
    recorded = await record_flow(path, name, audio="keep")
    replayed, server = await replay_flow(path, name)
    assert server.errors == []
    assert len(replayed) > 3
    assert replayed == recorded  # types, ids, payloads, audio


@pytest.mark.parametrize("name", list(FLOWS))
async def test_round_trip_with_audio_trimmed_keeps_everything_but_the_sound(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / f"{name}.jsonl"
    recorded = await record_flow(path, name)
    replayed, server = await replay_flow(path, name)
    assert server.errors == []
    assert [audio_as_length(e) for e in replayed] == [audio_as_length(e) for e in recorded]
    deltas = [base64.b64decode(e["delta"]) for e in replayed if e["type"] == "response.audio.delta"]
    if name != "text" and name != "function_call":
        assert deltas and all(d == bytes(len(d)) for d in deltas)  # silence of the recorded length
        assert any(
            any(d)
            for d in (
                base64.b64decode(e["delta"])
                for e in recorded
                if "delta" in e and e["type"] == "response.audio.delta"
            )
        )


async def test_dropped_audio_replays_as_empty_deltas_and_still_matches_appends(tmp_path: Path) -> None:
    path = tmp_path / "vad.jsonl"
    recorded = await record_flow(path, "vad", audio="drop")
    replayed, server = await replay_flow(path, "vad")
    assert server.errors == []
    assert [e["type"] for e in replayed] == [e["type"] for e in recorded]
    assert {e["delta"] for e in replayed if e["type"] == "response.audio.delta"} == {""}
    assert '"$audio":"dropped"' in path.read_text("utf-8")


async def test_appends_match_by_total_length_not_chunk_count(tmp_path: Path) -> None:
    path = tmp_path / "vad.jsonl"
    recorded = await record_flow(path, "vad")

    async def bigger_chunks(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        await read_until(conn, got, "session.created")
        await conn.session.update(session={"input_audio_transcription": {"model": "whisper-1"}})
        await read_until(conn, got, "session.updated")
        await send_audio(conn, SPEECH, chunk=4000)  # not a divisor of the recorded runs
        await read_until(conn, got, "response.done")

    async with FakeVoiceLiveServer(replay=path) as server:
        replayed = await run(server.endpoint, bigger_chunks)
    assert server.errors == []
    assert [audio_as_length(e) for e in replayed] == [audio_as_length(e) for e in recorded]


async def test_a_server_close_is_replayed_with_its_code(tmp_path: Path) -> None:
    path = tmp_path / "expiry.jsonl"

    async def until_closed(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        with pytest.raises(ConnectionClosed) as info:
            while True:
                got.append(dict(await asyncio.wait_for(conn.recv(), WAIT)))
        got.append({"closed": info.value.code, "reason": info.value.reason})

    async with FakeVoiceLiveServer(max_session_duration=0.2) as server, record(path):
        recorded = await run(server.endpoint, until_closed)
    assert recorded[-1]["closed"] == 1001 and recorded[-2]["error"]["code"] == "session_expired"
    async with FakeVoiceLiveServer(replay=path) as server:
        replayed = await run(server.endpoint, until_closed)
    assert replayed == recorded and server.errors == []


async def test_recorded_pacing_waits_the_recorded_time_between_frames(tmp_path: Path) -> None:
    path = tmp_path / "text.jsonl"
    await record_flow(path, "text")
    lines = path.read_text("utf-8").splitlines()
    # Spread the recorded frames out, then check the replayer asks for those waits.
    rows = [json.loads(line) for line in lines[1:]]
    for number, row in enumerate(rows):
        row["t"] = number * 0.5
    cassette = Cassette.parse([lines[0], *map(json.dumps, rows)], "spread")
    from azure.ai.voicelive.testing._replay import Replayer

    paced = Replayer(cassette, 0, timing="recorded")
    fast = Replayer(cassette, 0)
    first = paced.start() + paced.receive({"type": "session.update"})
    assert [o.delay for o in first] == [0.5]  # session.created: 0.5 s after the line before it
    assert [o.delay for o in fast.start()] == [0.0]
    replayed, server = await replay_flow(path, "text", replay_timing="recorded")
    assert server.errors == [] and replayed


# --- mismatches ----------------------------------------------------------------------------------


async def test_different_event_gets_an_error_event_and_a_mismatch_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "text.jsonl"
    await record_flow(path, "text")
    line = 1 + next(
        n
        for n, text in enumerate(path.read_text("utf-8").splitlines())
        if '"conversation.item.create"' in text
    )
    async with FakeVoiceLiveServer(replay=path) as server:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            await read_until(conn, [], "session.created")
            await conn.session.update(session={"modalities": ["text"], "turn_detection": None})
            await conn.response.create()  # skipped conversation.item.create
            error = await read_until(conn, [], "error")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(conn.recv(), WAIT)
    assert closed.value.code == 1008
    assert error["error"]["code"] == "cassette_mismatch"
    [mismatch] = server.errors
    assert isinstance(mismatch, CassetteMismatch)
    assert (mismatch.kind, mismatch.line, mismatch.connection) == ("different", line, 0)
    assert mismatch.expected.startswith("conversation.item.create {")
    assert mismatch.got == 'response.create {"type":"response.create"}'
    message = str(mismatch)
    assert error["error"]["message"] == message
    assert f"cassette {path}" in message and "(different event)" in message
    assert f"expected (line {line}): conversation.item.create" in message
    assert "at its client event #2" in message


async def test_extra_event_after_the_recording(tmp_path: Path) -> None:
    path = tmp_path / "text.jsonl"
    await record_flow(path, "text")

    async def one_more(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        await text_flow(conn, got)
        await conn.response.create()
        await read_until(conn, got, "error")

    async with FakeVoiceLiveServer(replay=path) as server:
        got = await run(server.endpoint, one_more)
    [mismatch] = server.errors
    assert isinstance(mismatch, CassetteMismatch) and mismatch.kind == "extra"
    assert mismatch.line is None and mismatch.got.startswith("response.create")
    assert "no more client events on this connection" in mismatch.expected
    assert got[-1]["error"]["message"] == str(mismatch)


async def test_missing_event_when_the_client_stops_early(tmp_path: Path) -> None:
    path = tmp_path / "function_call.jsonl"
    await record_flow(path, "function_call")

    async def stops_after_the_call(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
        await conn.session.update(session={"modalities": ["text"], "tools": [tool], "turn_detection": None})
        await conn.conversation.item.create(item=user_text("What's the weather in Seattle?"))
        await conn.response.create()
        await read_until(conn, got, "response.done")  # and never sends the function's output

    async with FakeVoiceLiveServer(replay=path) as server:
        await run(server.endpoint, stops_after_the_call)
    [mismatch] = server.errors
    assert isinstance(mismatch, CassetteMismatch) and mismatch.kind == "missing"
    assert mismatch.expected.startswith("conversation.item.create {")
    assert '"function_call_output"' in mismatch.expected
    assert mismatch.got == "the client closed the connection"
    assert (
        mismatch.line is not None
        and '"function_call_output"' in path.read_text("utf-8").splitlines()[mismatch.line - 1]
    )


async def test_strict_matching_compares_payloads_but_not_ids(tmp_path: Path) -> None:
    path = tmp_path / "text.jsonl"
    await record_flow(path, "text")
    strict = Match(strict=True)
    replayed, server = await replay_flow(path, "text", replay_match=strict)
    assert server.errors == [] and replayed  # the same payloads (ids would differ: ignored)

    async def other_words(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        await read_until(conn, got, "session.created")
        await conn.session.update(session={"modalities": ["text"], "turn_detection": None})
        await conn.conversation.item.create(item=user_text("Goodbye"))
        await read_until(conn, got, "error")

    async with FakeVoiceLiveServer(replay=path, replay_match=strict) as server:
        await run(server.endpoint, other_words)
    [mismatch] = server.errors
    assert isinstance(mismatch, CassetteMismatch) and mismatch.kind == "different"
    assert '"text":"Hello there"' in mismatch.expected and '"text":"Goodbye"' in mismatch.got
    for lenient in (Match(strict=True, ignore={"content"}), Match()):  # the words are not compared

        async def other_words_to_the_end(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
            await read_until(conn, got, "session.created")
            await conn.session.update(session={"modalities": ["text"], "turn_detection": None})
            await conn.conversation.item.create(item=user_text("Goodbye"))
            await conn.response.create()
            await read_until(conn, got, "response.done")

        async with FakeVoiceLiveServer(replay=path, replay_match=lenient) as server:
            await run(server.endpoint, other_words_to_the_end)
        assert server.errors == []


async def test_audio_short_of_the_recording_is_a_difference(tmp_path: Path) -> None:
    path = tmp_path / "manual.jsonl"

    async def manual_turn(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        await conn.session.update(session={"turn_detection": None, "modalities": ["text"]})
        await send_audio(conn, sine_pcm16(180, 1000))
        await conn.input_audio_buffer.commit()
        await read_until(conn, got, "input_audio_buffer.committed")

    async with FakeVoiceLiveServer(pacing="instant") as server, record(path):
        await run(server.endpoint, manual_turn)

    async def less_audio(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        await conn.session.update(session={"turn_detection": None, "modalities": ["text"]})
        await send_audio(conn, sine_pcm16(180, 500))
        await conn.input_audio_buffer.commit()
        await read_until(conn, got, "error")

    async with FakeVoiceLiveServer(replay=path) as server:
        await run(server.endpoint, less_audio)
    [mismatch] = server.errors
    assert isinstance(mismatch, CassetteMismatch) and mismatch.kind == "different"
    assert mismatch.expected == "input_audio_buffer.append (24000 bytes, 0.50 s more audio)"
    assert mismatch.got.startswith("input_audio_buffer.commit")


async def test_appends_in_any_order_let_audio_run_ahead_of_other_events(tmp_path: Path) -> None:
    path = tmp_path / "manual.jsonl"

    async def audio_then_text(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        await conn.session.update(session={"turn_detection": None, "modalities": ["text"]})
        await read_until(conn, got, "session.updated")
        await send_audio(conn, sine_pcm16(180, 400))
        await conn.conversation.item.create(item=user_text("and this"))
        await read_until(conn, got, "conversation.item.created")
        await send_audio(conn, sine_pcm16(180, 400))
        await conn.input_audio_buffer.commit()
        await read_until(conn, got, "input_audio_buffer.committed")

    async with FakeVoiceLiveServer(pacing="instant") as server, record(path):
        recorded = await run(server.endpoint, audio_then_text)

    async def all_audio_first(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        await conn.session.update(session={"turn_detection": None, "modalities": ["text"]})
        await read_until(conn, got, "session.updated")
        await send_audio(conn, sine_pcm16(180, 800))  # the microphone task ran ahead
        await conn.conversation.item.create(item=user_text("and this"))
        await read_until(conn, got, "conversation.item.created")
        await conn.input_audio_buffer.commit()
        await read_until(conn, got, "input_audio_buffer.committed")

    async with FakeVoiceLiveServer(replay=path, replay_match=Match(appends="any")) as server:
        replayed = await run(server.endpoint, all_audio_first)
    assert server.errors == [] and replayed == recorded
    async with FakeVoiceLiveServer(replay=path) as server:  # ordered (the default): a difference
        with pytest.raises((ConnectionClosed, asyncio.TimeoutError)):
            await run(server.endpoint, all_audio_first)
    assert [type(e) for e in server.errors] == [CassetteMismatch]
    assert server.errors[0].kind == "extra"  # type: ignore[attr-defined]


async def test_connections_missing_or_extra(tmp_path: Path) -> None:
    path = tmp_path / "two.jsonl"
    async with FakeVoiceLiveServer(pacing="instant") as server, record(path):
        await run(server.endpoint, text_flow)
        await run(server.endpoint, text_flow)
    assert Cassette.load(path).header["connections"] == 2
    async with FakeVoiceLiveServer(replay=path) as server:
        await run(server.endpoint, text_flow)
    [mismatch] = server.errors
    assert isinstance(mismatch, CassetteMismatch) and mismatch.kind == "missing" and mismatch.connection == 1
    async with FakeVoiceLiveServer(replay=path) as server:
        for _ in range(2):
            await run(server.endpoint, text_flow)
        got: list[dict[str, Any]] = []
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            error = await read_until(conn, got, "error")
    assert "no connection #2 (the cassette recorded 2 connections)" in error["error"]["message"]
    assert [e.kind for e in server.errors] == ["extra"]  # type: ignore[attr-defined]


# --- secrets, format, size -----------------------------------------------------------------------


class TokenCredential:
    def __init__(self, token: str) -> None:
        self.token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, 2_000_000_000)


async def test_no_key_token_or_header_value_reaches_the_cassette(tmp_path: Path) -> None:
    key, token = "sk-cassette-key-8d1f0c", "eyJ0eXAiOiJKV1Qi.cassette-token.e4b2"
    path = tmp_path / "secrets.jsonl"
    async with FakeVoiceLiveServer(api_key=key, bearer_token=token, pacing="instant") as server, record(path):
        await run(server.endpoint, text_flow, AzureKeyCredential(key), query={"sig": "query-secret-77"})
        await run(server.endpoint, text_flow, TokenCredential(token))
    assert [r["headers"]["api-key"] for r in server.requests[:1]] == ["***"]  # the key was sent
    text = path.read_text("utf-8")
    for secret in (key, token, f"Bearer {token}", "query-secret-77", "sig"):
        assert secret not in text
    for header in ("api-key", "authorization", "Authorization", "x-ms-client-sdk", "User-Agent"):
        assert header not in text
    for row in map(json.loads, text.splitlines()[1:]):
        if "open" in row:
            assert set(row["open"]) == {"api-version", "model"}


def test_shipped_cassettes_hold_no_credential() -> None:
    shipped = sorted(CASSETTES.glob("*.jsonl"))
    assert shipped
    for path in shipped:
        text = path.read_text("utf-8")
        assert not re.search(r"(?i)api-key|authorization|bearer|x-ms-client-sdk|\"token\"", text), path
        cassette = Cassette.load(path)
        assert cassette.header["audio"] == "trim" and cassette.tracks


async def test_a_thirty_second_audio_conversation_trimmed_is_under_100_kb(tmp_path: Path) -> None:
    """Three spoken turns (5.2 s each) and three spoken replies, with the microphone open during the
    replies too (a 20 ms chunk of room noise after each server event), recorded with audio trimmed."""
    path = tmp_path / "thirty_seconds.jsonl"
    turn = silence_pcm16(300) + sine_pcm16(180, 4000) + silence_pcm16(900)
    answer = "Here is a spoken answer, sentence after sentence, for you to hear today, all of it."
    replies = ScriptedResponder(*(TextReply(answer),) * 3)

    async def conversation(conn: VoiceLiveConnection, got: list[dict[str, Any]]) -> None:
        for _ in range(3):
            await send_audio(conn, turn)  # 20 ms chunks, as from a microphone
            while got[-1:] == [] or got[-1]["type"] != "response.done":
                got.append(dict(await asyncio.wait_for(conn.recv(), WAIT)))
                await conn.input_audio_buffer.append(audio=pcm16_to_base64(silence_pcm16(20)))
            got.append({"type": "turn ended"})

    async with FakeVoiceLiveServer(pacing="instant", responder=replies) as server, record(path):
        recorded = await run(server.endpoint, conversation)
    sent = 3 * len(turn) + 960 * sum(e["type"] != "turn ended" for e in recorded)
    heard = sum(len(base64.b64decode(e["delta"])) for e in recorded if e["type"] == "response.audio.delta")
    seconds = (sent + heard) / 48000
    size = path.stat().st_size
    print(f"\n{seconds:.1f} s of audio ({sent / 48000:.1f} s in, {heard / 48000:.1f} s out): {size} bytes")
    assert seconds >= 30
    assert size < 100_000
    async with FakeVoiceLiveServer(replay=path) as server:
        replayed = await run(server.endpoint, conversation)
    assert server.errors == []
    assert [audio_as_length(e) for e in replayed] == [audio_as_length(e) for e in recorded]


def test_the_header_and_the_lines(tmp_path: Path) -> None:
    cassette = Cassette.load(CASSETTES / "weather.jsonl")
    header = cassette.header
    assert header["voicelive_cassette"] == 1
    assert set(header) >= {"api_version", "model", "sdk", "recorded_at", "audio", "connections"}
    assert header["sdk"].startswith("voicelive ")
    kinds = [step.kind for step in cassette.tracks[0]]
    assert kinds[0] == "client" and "server" in kinds and kinds[-1] == "close"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "line 1: empty file"),
        (["not json"], "line 1: the header is not JSON"),
        (['{"a": 1}'], "line 1: no cassette header"),
        (['{"voicelive_cassette": 2}'], "line 1: cassette format version 2; this package reads version 1"),
        (['{"voicelive_cassette": 1}', "{"], "line 2: not JSON"),
        (
            ['{"voicelive_cassette": 1}', '{"conn": 0, "server": {"type": "x"}}'],
            "line 2: connection 0 was not opened",
        ),
        (
            ['{"voicelive_cassette": 1}', '{"conn": 0, "open": {}}', '{"conn": 0, "server": {}}'],
            "line 3: 'server' must be",
        ),
        (
            ['{"voicelive_cassette": 1}', '{"conn": 0, "open": {}}', '{"conn": 0, "what": 1}'],
            "line 3: expected one of",
        ),
    ],
)
def test_unreadable_cassettes_say_which_line(lines: list[str], message: str) -> None:
    with pytest.raises(CassetteError, match=re.escape(f"bad.jsonl {message}")):
        Cassette.parse(lines, "bad.jsonl")


async def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="audio must be one of 'keep', 'trim', 'drop'"):
        record(tmp_path / "x.jsonl", audio="mute")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="apply only with replay="):
        FakeVoiceLiveServer(replay_timing="recorded")
    with pytest.raises(FileNotFoundError):
        FakeVoiceLiveServer(replay=tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match=r"Match\.appends"):
        Match(appends="sometimes")  # type: ignore[arg-type]
    with (
        pytest.raises(RuntimeError, match="no Voice Live connection was opened"),
        record(tmp_path / "x.jsonl"),
    ):
        pass
    assert not (tmp_path / "x.jsonl").exists()


async def test_a_failed_block_keeps_the_previous_cassette(tmp_path: Path) -> None:
    path = tmp_path / "text.jsonl"
    await record_flow(path, "text")
    before = path.read_text("utf-8")
    with pytest.raises(ZeroDivisionError):
        async with FakeVoiceLiveServer(pacing="instant") as server, record(path):
            await run(server.endpoint, text_flow)
            1 / 0  # noqa: B018
    assert path.read_text("utf-8") == before
