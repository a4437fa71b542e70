"""The `voicelive_cassette` fixture and the `--replay` command line, as a user runs them.

A user project in a temporary folder is run with pytest in a subprocess: once with
`--voicelive-record` and `AZURE_VOICELIVE_ENDPOINT` pointing at a fake server (standing in for
Azure), then without (replay, no server running), then with the app changed (a mismatch).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import connect
from azure.ai.voicelive.testing import Cassette, FakeVoiceLiveServer

USER_TESTS = """
import pytest

from azure.ai.voicelive.aio import connect

WORDS = "Hello there"


async def ask(conn, words):
    await conn.session.update(session={"modalities": ["text"], "turn_detection": None})
    await conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": words}]}
    )
    await conn.response.create()
    async for event in conn:
        if event.type == "response.done":
            return event.response.output[0].content[0].text


@pytest.mark.asyncio
async def test_hello(voicelive_cassette):
    async with connect(
        endpoint=voicelive_cassette.endpoint, credential=voicelive_cassette.credential, model="gpt-realtime"
    ) as conn:
        answer = await ask(conn, WORDS)
    assert answer == 'You said: "Hello there".'
    print("MODE", voicelive_cassette.mode)


@pytest.mark.asyncio
@pytest.mark.voicelive_cassette("recorded/custom.jsonl", audio="drop")
async def test_custom_path(voicelive_cassette):
    async with connect(
        endpoint=voicelive_cassette.endpoint, credential=voicelive_cassette.credential, model="gpt-realtime"
    ) as conn:
        assert await ask(conn, "Hi") == 'You said: "Hi".'
"""


def run_project(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    (folder / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n", "utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_VOICELIVE_")}
    clean.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--strict-markers", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
    )


async def test_record_with_the_flag_then_replay_offline_then_fail_on_a_change(tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text(USER_TESTS, "utf-8")
    async with FakeVoiceLiveServer(pacing="instant", api_key="recording-key") as server:
        env = {"AZURE_VOICELIVE_ENDPOINT": server.endpoint, "AZURE_VOICELIVE_API_KEY": "recording-key"}
        out = await asyncio.to_thread(run_project, tmp_path, "--voicelive-record", env=env)
        assert len(server.sessions) == 2  # the tests talked to the "service"
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MODE record" in out.stdout and "2 passed" in out.stdout
    default = tmp_path / "cassettes" / "test_app" / "test_hello.jsonl"
    custom = tmp_path / "recorded" / "custom.jsonl"
    assert Cassette.load(default).header["audio"] == "trim"
    assert Cassette.load(custom).header["audio"] == "drop"
    assert "recording-key" not in default.read_text("utf-8")

    # No flag, no endpoint, no server: replayed.
    out = await asyncio.to_thread(run_project, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MODE replay" in out.stdout and "2 passed" in out.stdout

    # The app changed (it no longer configures the session): the test fails with the first
    # diverging client event, expected vs got, and the cassette line.
    changed = USER_TESTS.replace(
        'await conn.session.update(session={"modalities": ["text"], "turn_detection": None})', ""
    )
    (tmp_path / "test_app.py").write_text(changed, "utf-8")
    out = await asyncio.to_thread(run_project, tmp_path, "-k", "test_hello")
    assert out.returncode == 1
    assert re.search(
        r"the client diverged from cassette \S+test_hello\.jsonl \(different event\) on connection 0 at its "
        r"client event #1:\n\s+expected \(line 3\): session\.update \{.*\n\s+got: "
        r"conversation\.item\.create \{.*\"Hello there\"",
        out.stdout,
    ), out.stdout
    # A failed recording run does not overwrite a good cassette.
    before = default.read_text("utf-8")
    async with FakeVoiceLiveServer(pacing="instant") as server:
        env = {"AZURE_VOICELIVE_ENDPOINT": server.endpoint, "AZURE_VOICELIVE_API_KEY": "k"}
        (tmp_path / "test_app.py").write_text(
            USER_TESTS.replace("assert answer ==", "assert not answer =="), "utf-8"
        )
        out = await asyncio.to_thread(
            run_project, tmp_path, "--voicelive-record", "-k", "test_hello", env=env
        )
    assert out.returncode == 1
    assert default.read_text("utf-8") == before


def test_replay_without_a_cassette_and_record_without_an_endpoint_say_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text(USER_TESTS, "utf-8")
    out = run_project(tmp_path, "-k", "test_hello")
    assert out.returncode == 1
    assert (
        "no cassette at " in out.stdout
        and "test_hello.jsonl: record it once with `pytest --voicelive-record`" in (out.stdout)
    )
    out = run_project(tmp_path, "--voicelive-record")
    assert out.returncode == 4  # a usage error
    assert "--voicelive-record records against the real service: set AZURE_VOICELIVE_ENDPOINT" in out.stderr


async def test_command_line_replays_a_cassette() -> None:
    cassette = Path(__file__).parent / "cassettes" / "weather.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "azure.ai.voicelive.testing", "--port", "0", "--replay", str(cassette)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 20)
        match = re.fullmatch(
            rf"Fake Voice Live server replaying {re.escape(str(cassette))} on (http://127\.0\.0\.1:\d+) "
            r"\(Ctrl\+C to stop\)\n",
            line,
        )
        assert match, line
        async with connect(endpoint=match.group(1), credential=AzureKeyCredential("k"), model="m") as conn:
            await conn.response.create()  # the recording's client sent session.update first
            error = await asyncio.wait_for(conn.recv(), 10)
            assert error.type == "error" and error.error.code == "cassette_mismatch"
    finally:
        proc.terminate()
        try:
            code = await asyncio.to_thread(proc.wait, 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            raise
        assert proc.stdout is not None and proc.stderr is not None
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert code == 0
    assert err.startswith("cassette mismatch: the client diverged from cassette ")
    assert "expected (line 3): session.update" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replay", "missing.jsonl"], "--replay: [Errno 2] No such file or directory: 'missing.jsonl'"),
        (["--replay-timing", "recorded"], "--replay-timing needs --replay"),
    ],
)
def test_command_line_refuses_a_bad_replay(tmp_path: Path, args: list[str], message: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "azure.ai.voicelive.testing", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
