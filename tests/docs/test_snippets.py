"""Docs are code: every Python block in README.md and docs/ runs as copied.

A block runs as a complete program (``python block.py`` in an empty folder, no Azure settings in
the environment), unless the Markdown line just before its fence marks it:

* ``<!-- snippet: pytest -->``: a pytest test module; it runs with pytest (pytest-asyncio strict
  mode, strict markers) in an empty project and must pass;
* ``<!-- snippet: fragment -->``: a deliberate fragment (statements about an open connection
  ``conn``); it runs inside a small harness that opens ``conn`` to a fake server after asking
  for one text reply, with the models, ``connect``, ``AzureKeyCredential``, ``asyncio`` and
  ``json`` in scope, and ends the session normally (close 1000) after a few seconds, so
  ``async for event in conn`` loops end.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(
    r"^(?:<!-- snippet: (?P<kind>[a-z-]+) -->\n)?```python\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL
)
KINDS = {None, "pytest", "fragment"}

HARNESS = """
import asyncio
import json

from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import connect
from azure.ai.voicelive.models import *  # noqa: F403
from azure.ai.voicelive.testing import FakeVoiceLiveServer


async def _fragment(conn):
{body}


async def _main():
    async with FakeVoiceLiveServer(pacing="instant") as server:
        async with connect(
            endpoint=server.endpoint, credential=AzureKeyCredential("key"), model="gpt-realtime"
        ) as conn:
            hello = {{"type": "message", "role": "user", "content": [{{"type": "input_text", "text": "Hi"}}]}}
            await conn.conversation.item.create(item=hello)
            await conn.response.create()
            loop = asyncio.get_running_loop()
            loop.call_later(3.0, lambda: asyncio.ensure_future(server.close_all(1000)))
            await asyncio.wait_for(_fragment(conn), 60)


asyncio.run(_main())
"""


def blocks() -> list[tuple[str, str | None, str]]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group("kind"), match.group("code")))
    return found


BLOCKS = blocks()


def clean_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("AZURE_VOICELIVE", "AZURE_EXPERIMENTAL"))
    }


def test_every_block_is_found_and_marked_with_a_known_kind() -> None:
    assert len(BLOCKS) >= 10
    assert {kind for _, kind, _ in BLOCKS} <= KINDS
    fences = sum(p.read_text(encoding="utf-8").count("```python\n") for p in DOCS)
    assert fences == len(BLOCKS)  # no block escapes the pattern


@pytest.mark.parametrize(("where", "kind", "code"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_block_runs_as_copied(tmp_path: Path, where: str, kind: str | None, code: str) -> None:
    if kind == "pytest":
        (tmp_path / "test_snippet.py").write_text(code, encoding="utf-8")
        (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers"]
    else:
        if kind == "fragment":
            code = HARNESS.format(body=textwrap.indent(code, "    "))
        (tmp_path / "snippet.py").write_text(code, encoding="utf-8")
        command = [sys.executable, "snippet.py"]
    out = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=clean_env())
    assert out.returncode == 0, f"{where} ({kind or 'program'}) failed:\n{out.stdout}\n{out.stderr}"
    if kind == "pytest":
        assert re.search(r"\d+ passed", out.stdout) and "failed" not in out.stdout, out.stdout
