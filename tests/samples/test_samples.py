"""Run every sample against the bundled fake server, as a user would, and check what it printed and wrote.

A module-scoped fixture runs them all, ``MAX_PARALLEL`` at a time (one subprocess each,
``-W error``, no ``AZURE_VOICELIVE_*`` variables, each in its own temporary working directory),
the slow real-time samples first, so the module takes little more than the slowest sample (the
two-turn voice assistant, ~10 s). Each run is bounded by ``RUN_TIMEOUT``.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from azure.ai.voicelive.audio import rms_pcm16

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SPEECH_WAV = SAMPLES / "data" / "what_is_the_weather.wav"
RUN_TIMEOUT = 60.0
MAX_PARALLEL = 8
ALL_SAMPLES = sorted(p.name for p in SAMPLES.glob("*.py") if not p.name.startswith("_"))
FAKE_LINE = "(no AZURE_VOICELIVE_ENDPOINT set: using the bundled fake Voice Live server at http://127.0.0.1:"
TRANSCRIPT = r"\[\d+\.\d s of audio\]"  # what the fake transcriber says about audio

# name -> sample file and arguments
RUNS: dict[str, tuple[str, ...]] = {
    "quickstart": ("quickstart_async.py",),
    "text_chat": ("text_chat_async.py",),
    "text_chat_prompts": ("text_chat_async.py", "--prompt", "Hi, I'm Ada.", "--prompt", "Bye!"),
    "function_calling": ("function_calling_async.py",),
    "conversation_history": ("conversation_history_async.py",),
    "manual_turns": ("manual_turns_async.py",),
    "transcription": ("transcription_async.py",),
    "agent_mode": ("agent_mode_async.py",),
    "telephony": ("telephony_async.py",),
    "telephony_alaw": ("telephony_async.py", "--alaw", "--output", "alaw.wav"),
    "interruption": ("interruption_async.py",),
    "voice_assistant": (
        "voice_assistant_async.py",
        "--input-wav",
        str(SPEECH_WAV),
        "--output-wav",
        "reply.wav",
    ),
    "voice_assistant_2_turns": (
        "voice_assistant_async.py",
        "--input-wav",
        str(SPEECH_WAV),
        "--output-wav",
        "reply.wav",
        "--turns",
        "2",
        "--vad",
        "semantic",
    ),
    "voice_assistant_reconnect": (
        "voice_assistant_async.py",
        "--input-wav",
        str(SPEECH_WAV),
        "--output-wav",
        "reply.wav",
        "--turns",
        "2",
        "--reconnect",
    ),
    "voice_assistant_no_devices": ("voice_assistant_async.py",),
    "testing_with_fake_server": ("testing_with_fake_server.py",),
    "replay_cassette": ("replay_cassette.py",),
    **{f"help:{name}": (name, "--help") for name in ALL_SAMPLES},
}


@dataclass
class Run:
    returncode: int | None  # None: killed after RUN_TIMEOUT
    stdout: str
    stderr: str
    cwd: Path
    seconds: float


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_VOICELIVE_")}
    env.pop("PYTEST_ADDOPTS", None)
    env.update(PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    return env


def _docstring_pytest_example() -> str:
    """The pytest example of ``testing_with_fake_server.py``, importing that sample's ``answer``."""
    doc = ast.get_docstring(ast.parse((SAMPLES / "testing_with_fake_server.py").read_text("utf-8")))
    assert doc is not None
    block = doc.split("::\n", 1)[1].split("\nRun it:", 1)[0]
    code = textwrap.dedent(block)
    assert "from myapp import answer" in code
    return code.replace("from myapp import answer", "from testing_with_fake_server import answer")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Run everything, ``MAX_PARALLEL`` at a time, each bounded by ``RUN_TIMEOUT``; results by name."""
    env = _env()
    jobs: dict[str, tuple[list[str], dict[str, str], Path]] = {
        name: (
            [sys.executable, "-W", "error", str(SAMPLES / argv[0]), *argv[1:]],
            env,
            tmp_path_factory.mktemp(name.replace(":", "_")),
        )
        for name, argv in RUNS.items()
    }
    example_dir = tmp_path_factory.mktemp("pytest_example")
    (example_dir / "test_example.py").write_text(_docstring_pytest_example(), "utf-8")
    pytest_args = [
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    ]
    jobs["pytest_example"] = (
        [sys.executable, "-m", "pytest", *pytest_args, "test_example.py"],
        {**env, "PYTHONPATH": str(SAMPLES)},
        example_dir,
    )

    pending = list(jobs)  # in RUNS order: the slow, real-time samples first
    running: dict[str, tuple[subprocess.Popen[bytes], float]] = {}
    results: dict[str, Run] = {}
    deadline = time.monotonic() + 3 * RUN_TIMEOUT
    try:
        while pending or running:
            while pending and len(running) < MAX_PARALLEL:
                name = pending.pop(0)
                argv, run_env, cwd = jobs[name]
                with open(cwd / "stdout.txt", "wb") as out, open(cwd / "stderr.txt", "wb") as err:
                    proc = subprocess.Popen(
                        argv, cwd=cwd, env=run_env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
                    )
                running[name] = (proc, time.monotonic())
            time.sleep(0.02)
            now = time.monotonic()
            for name, (proc, t0) in list(running.items()):
                returncode = proc.poll()
                if returncode is None and now - t0 < RUN_TIMEOUT and now < deadline:
                    continue
                if returncode is None:  # too slow: killed, reported as returncode None
                    proc.kill()
                    proc.wait(timeout=10)
                del running[name]
                cwd = jobs[name][2]
                results[name] = Run(
                    returncode,
                    (cwd / "stdout.txt").read_text("utf-8", errors="replace"),
                    (cwd / "stderr.txt").read_text("utf-8", errors="replace"),
                    cwd,
                    now - t0,
                )
        return results
    finally:
        for proc, _ in running.values():
            proc.kill()
            proc.wait(timeout=10)


def ok(runs: dict[str, Run], name: str, stderr: str = "") -> Run:
    """The run, checked: exit 0, nothing (or exactly ``stderr``) on stderr, the fake server announced."""
    run = runs[name]
    assert run.returncode is not None, (
        f"{name} did not finish in {RUN_TIMEOUT} s:\n{run.stdout}\n{run.stderr}"
    )
    assert run.returncode == 0, f"{name} exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stderr
    assert run.stderr.strip() == stderr, run.stderr
    if not name.startswith("help:") and name != "testing_with_fake_server":
        assert run.stdout.startswith(FAKE_LINE), run.stdout
        assert run.stdout.count(FAKE_LINE) == 1
    return run


def check_wav(path: Path, rate: int, min_seconds: float = 0.5) -> float:
    """A mono 16-bit WAV at ``rate``, longer than ``min_seconds``, not silence; returns its length."""
    assert path.is_file(), f"{path} was not written"
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, rate)
        frames = w.readframes(w.getnframes())
        seconds = w.getnframes() / rate
    assert seconds > min_seconds, f"{path.name}: only {seconds:.2f} s"
    assert rms_pcm16(frames) > 0.01, f"{path.name} is (nearly) silent"
    return seconds


# --- the samples -------------------------------------------------------------------------------


def test_every_sample_has_a_run_and_a_docstring_saying_how_to_run_it() -> None:
    ran = {argv[0] for name, argv in RUNS.items() if not name.startswith("help:")}
    assert set(ALL_SAMPLES) <= ran
    for name in ALL_SAMPLES:
        doc = ast.get_docstring(ast.parse((SAMPLES / name).read_text("utf-8")))
        assert doc, f"{name} has no module docstring"
        assert f"python samples/{name}" in doc, f"{name}'s docstring does not say how to run it"


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_help(runs: dict[str, Run], name: str) -> None:
    run = ok(runs, f"help:{name}")
    assert run.stdout.startswith("usage: ")
    assert "--model" in run.stdout
    if name != "testing_with_fake_server.py":
        assert "--endpoint" in run.stdout and "--api-key" in run.stdout and "--voice" in run.stdout


def test_quickstart(runs: dict[str, Run]) -> None:
    run = ok(runs, "quickstart")
    assert 'assistant: You said: "Hello! What can you do?".  [completed]' in run.stdout
    assert re.search(rf"you \(transcribed\): {TRANSCRIPT}\n", run.stdout)
    assert re.search(r"assistant: I heard \d+\.\d s of audio\.  \[completed\]", run.stdout)
    check_wav(run.cwd / "quickstart_output.wav", 24000)


def test_text_chat(runs: dict[str, Run]) -> None:
    run = ok(runs, "text_chat")
    assert 'assistant: You said: "Hello! Who are you?".  [completed]' in run.stdout
    assert run.stdout.count("[completed]") == 2
    run = ok(runs, "text_chat_prompts")
    assert "you: Hi, I'm Ada.\n" in run.stdout
    assert 'assistant: You said: "Bye!".  [completed]' in run.stdout
    assert run.stdout.count("[completed]") == 2


def test_function_calling(runs: dict[str, Run]) -> None:
    run = ok(runs, "function_calling")
    output = '{"location": "Seattle", "sky": "light rain", "temperature": "14 celsius"}'
    assert f'(calling get_weather({{"location":"Seattle"}}) -> {output})' in run.stdout
    # The final answer quotes the function's output.
    assert "assistant: The result is: Seattle, light rain, 14 celsius.  [completed]" in run.stdout
    assert re.search(r'calling get_time\(\{"location":"Tokyo"\}\)', run.stdout)
    assert re.search(r"assistant: The result is: Tokyo, \d\d:\d\d\.  \[completed\]", run.stdout)


def test_conversation_history(runs: dict[str, Run]) -> None:
    run = ok(runs, "conversation_history")
    out = run.stdout
    created = re.findall(r"^created (\S+) (\w+): ", out, re.M)
    assert [role for _, role in created] == ["system", "user", "assistant", "user", "user", "user"]
    ids = [item_id for item_id, _ in created]
    assert f"deleted {ids[3]}\n" in out
    assert f"created {ids[4]} user: 'My cat is called Miso.' (after {ids[1]})" in out
    assert f"retrieved {ids[2]} assistant: 'Lovely city! Noted, Ada.'" in out
    assert 'assistant: You said: "Where do I live, and what is my cat called?".  [completed]' in out


def test_manual_turns(runs: dict[str, Run]) -> None:
    # The refused commit is an error event: the SDK logs it at WARNING (Python prints warnings
    # of an unconfigured logging setup on stderr), so a misconfigured session is never silent.
    warning = (
        "Voice Live error event: code=input_audio_buffer_commit_empty message='Error committing input "
        "audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has 50.00ms "
        "of audio.' param=None event_id=None"
    )
    out = ok(runs, "manual_turns", stderr=warning).stdout
    assert "commit refused: input_audio_buffer_commit_empty: " in out
    assert "only has 50.00ms of audio" in out
    assert "input buffer cleared; the session goes on" in out
    assert out.index("input buffer cleared") < out.index("committed as item ")
    assert re.search(rf"you \(transcribed\): {TRANSCRIPT}\n", out)
    assert re.search(r"assistant: I heard \d+\.\d s of audio\.  \[completed, \d+\.\d s of audio\]", out)


def test_transcription(runs: dict[str, Run]) -> None:
    out = ok(runs, "transcription").stdout
    assert "[speech started at 0 ms]" in out
    assert re.search(r"\[speech stopped at \d+ ms\]", out)
    assert re.search(r"\[committed as item \S+\]", out)
    deltas = re.findall(r"^delta: '([^']*)'$", out, re.M)
    transcript = re.search(rf"^transcript: ({TRANSCRIPT})$", out, re.M)
    assert deltas and transcript
    assert "".join(deltas) == transcript.group(1)


def test_agent_mode(runs: dict[str, Run]) -> None:
    out = ok(runs, "agent_mode").stdout
    assert re.search(r"^agent: demo-agent \(id asst_\w+, thread thread_\w+\)$", out, re.M)
    assert "in project demo-project" in out
    assert re.search(r'agent: You said: "Hello! What can you help me with\?"\.  \[completed, \d', out)


@pytest.mark.parametrize(
    ("name", "wav"), [("telephony", "telephony_output.wav"), ("telephony_alaw", "alaw.wav")]
)
def test_telephony(runs: dict[str, Run], name: str, wav: str) -> None:
    run = ok(runs, name)
    codec = "g711_alaw" if name.endswith("alaw") else "g711_ulaw"
    assert f"caller: 140 frames of 160 bytes ({codec}, 8000 Hz)" in run.stdout
    assert re.search(rf"caller \(transcribed\): {TRANSCRIPT}\n", run.stdout)
    assert re.search(r"assistant: I heard \d+\.\d s of audio\.  \[completed\]", run.stdout)
    check_wav(run.cwd / wav, 8000)


def test_interruption(runs: dict[str, Run]) -> None:
    out = ok(runs, "interruption").stdout
    heard = re.search(r"speech_started after (\d+) ms of the reply were played \((\d+) ms received\)", out)
    cut = re.search(r"truncate at (\d+) ms", out)
    truncated = re.search(r"conversation\.item\.truncated: \S+ audio_end_ms=(\d+)\]", out)
    assert heard and cut and truncated, out
    played, received, cut_ms = int(heard.group(1)), int(heard.group(2)), int(cut.group(1))
    # The user talks after 1 s of playback; the handler truncates at what was played.
    assert 1000 <= played <= received
    assert cut_ms == int(truncated.group(1))
    assert abs(cut_ms - played) <= 20  # one 20 ms playback tick at most
    # ... which is well inside the reply's audio (the fake synthesises the scripted story).
    from azure.ai.voicelive.testing import synthesize

    story = next(
        ast.literal_eval(node.value)
        for node in ast.parse((SAMPLES / "interruption_async.py").read_text("utf-8")).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "STORY"
    )
    assert 0 < cut_ms < synthesize(story, "pcm16").duration_ms / 2
    assert "[response.done: cancelled]" in out
    kept = re.search(r"the assistant's item now reads: '([^']*)'", out)
    assert kept and story.startswith(kept.group(1)) and 0 < len(kept.group(1)) < len(story) / 4


def test_voice_assistant_with_wav_files(runs: dict[str, Run]) -> None:
    run = ok(runs, "voice_assistant")
    out = run.stdout
    assert "(speaking what_is_the_weather.wav as the microphone)" in out
    assert out.index("[you started speaking at") < out.index("[you stopped speaking at")
    assert re.search(rf"you \(transcribed\): {TRANSCRIPT}\n", out)
    assert re.search(r"assistant: I heard \d+\.\d s of audio\.  \[completed\]", out)
    assert "interrupted" not in out
    seconds = check_wav(run.cwd / "reply.wav", 24000)
    assert f"wrote {seconds:.1f} s of played audio to reply.wav" in out


def test_voice_assistant_two_turns_with_semantic_vad(runs: dict[str, Run]) -> None:
    run = ok(runs, "voice_assistant_2_turns")
    assert run.stdout.count("[completed]") == 2
    assert run.stdout.count("[you started speaking at") == 2
    assert check_wav(run.cwd / "reply.wav", 24000) > 2.0


def test_voice_assistant_survives_a_restart_with_reconnect(runs: dict[str, Run]) -> None:
    out = ok(runs, "voice_assistant_reconnect").stdout
    restart = out.index("[simulating a service restart")
    assert out.count("[completed]") == 2 and out.index("[completed]") < restart
    assert re.search(
        r"\[closed \(code 1012\): continued on a new session after \d+ ms; settings restored: True, "
        r"2 conversation items replayed\]",
        out,
    )
    assert out.rindex("[completed]") > restart  # the second turn was answered on the new session


def test_voice_assistant_without_devices_says_what_to_do(runs: dict[str, Run]) -> None:
    run = runs["voice_assistant_no_devices"]
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError):
        pass
    else:  # pragma: no cover - only where sounddevice is installed
        pytest.skip("sounddevice is installed: the sample would use the real devices")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "pip install 'voicelive[audio]'" in run.stderr
    assert "--input-wav samples/data/what_is_the_weather.wav --output-wav reply.wav" in run.stderr


def test_testing_with_fake_server(runs: dict[str, Run]) -> None:
    out = ok(runs, "testing_with_fake_server").stdout
    assert out.count("ok: ") == 2
    assert out.rstrip().endswith("all checks passed")


def test_replay_cassette(runs: dict[str, Run]) -> None:
    out = ok(runs, "replay_cassette").stdout
    assert "(replaying weather.jsonl)\n" in out
    # What the recorded session said: the recorded tool call and the recorded answer.
    assert '(calling get_weather({"location":"Seattle"}) -> ' in out
    assert out.rstrip().endswith("assistant: The result is: Seattle, light rain, 14 celsius.")


def test_testing_with_fake_server_docstring_example_passes_under_pytest(runs: dict[str, Run]) -> None:
    run = runs["pytest_example"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b2 passed\b", run.stdout), run.stdout


def test_samples_are_listed_in_the_readme_and_the_docs() -> None:
    readme = (SAMPLES / "README.md").read_text("utf-8")
    docs = (ROOT / "docs" / "samples.md").read_text("utf-8")
    for name in ALL_SAMPLES:
        assert name in readme, f"{name} missing from samples/README.md"
        assert name in docs, f"{name} missing from docs/samples.md"


def test_runs_are_quick(runs: dict[str, Run]) -> None:
    slow = {name: round(run.seconds, 1) for name, run in runs.items() if run.seconds > 30}
    assert not slow, f"samples are meant to finish in a few seconds against the fake server: {slow}"


@pytest.mark.parametrize("sample", ["quickstart_async.py", "text_chat_async.py", "function_calling_async.py"])
async def test_a_wrong_key_prints_the_sdks_one_line_explanation(sample: str, tmp_path: Path) -> None:
    import asyncio

    from azure.ai.voicelive.testing import FakeVoiceLiveServer

    async with FakeVoiceLiveServer(api_key="the-right-key") as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AZURE_VOICELIVE")},
            "AZURE_VOICELIVE_ENDPOINT": server.endpoint,
            "AZURE_VOICELIVE_API_KEY": "wrong-key",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SAMPLES / sample),
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    assert proc.returncode == 1
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"error: Authentication failed (HTTP 401) at 127.0.0.1:{server.port}: check the API key"
    )
    assert "wrong-key" not in stdout.decode() + stderr.decode()
