"""The pytest plugin as a user gets it: a fresh project, only the installed package, its fixtures.

Each test writes a small test project in a temporary folder and runs pytest on it in a
subprocess, in pytest-asyncio's strict mode (the default), in auto mode, and with pytest-asyncio
missing (a stand-in package that cannot be imported, and its plugin switched off).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

USER_TESTS = """
import pytest
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import ConnectionError, connect
from azure.ai.voicelive.testing import Faults


@pytest.mark.asyncio
async def test_default_server(voicelive_server):
    async with connect(
        endpoint=voicelive_server.endpoint, credential=AzureKeyCredential("any"), model="gpt-4o"
    ) as conn:
        event = await conn.recv()
        assert event.type == "session.created"


@pytest.mark.asyncio
@pytest.mark.voicelive_server(api_key="right-key", pacing="instant")
async def test_marker_configures_this_test(voicelive_server):
    assert voicelive_server.api_key == "right-key"
    with pytest.raises(ConnectionError) as info:
        async with connect(
            endpoint=voicelive_server.endpoint, credential=AzureKeyCredential("wrong"), model="gpt-4o"
        ):
            pass
    assert info.value.status_code == 401


@pytest.mark.asyncio
async def test_factory_starts_several(voicelive_server_factory):
    first = await voicelive_server_factory(pacing="instant")
    second = await voicelive_server_factory(faults=Faults(reject_status=503))
    assert first.port != second.port
    with pytest.raises(ConnectionError) as info:
        async with connect(endpoint=second.endpoint, credential=AzureKeyCredential("k"), model="m"):
            pass
    assert info.value.status_code == 503
"""


def run_project(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, asyncio_plugin: bool = True
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(USER_TESTS, encoding="utf-8")
    ini = "[pytest]\n"
    if asyncio_plugin:  # pytest-asyncio's own setting and marker exist only with it
        ini += "asyncio_default_fixture_loop_scope = function\n"
        args = ("--strict-markers", *args)
    (tmp_path / "pytest.ini").write_text(ini, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_fixtures_work_in_both_pytest_asyncio_modes(tmp_path: Path, mode: str) -> None:
    out = run_project(tmp_path, "-o", f"asyncio_mode={mode}")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed" in out.stdout


def test_without_pytest_asyncio_the_fixture_says_what_to_install(tmp_path: Path) -> None:
    shim = tmp_path / "shim" / "pytest_asyncio"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(
        "raise ImportError('pytest-asyncio is not installed (test stand-in)')\n"
    )
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "shim"), os.environ.get("PYTHONPATH", "")])}
    out = run_project(tmp_path, "-p", "no:asyncio", "-k", "default_server", env=env, asyncio_plugin=False)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert (
        "The voicelive_server fixtures are async and need pytest-asyncio: "
        "pip install 'voicelive[test]' (or pip install pytest-asyncio)."
    ) in text
    assert "Traceback" not in text


FAILING_RESPONDER = """
import pytest
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import connect


def broken(conversation, session):
    raise RuntimeError("responder bug")


@pytest.mark.asyncio
@pytest.mark.voicelive_server(responder=broken, pacing="instant")
async def test_app(voicelive_server):
    endpoint = voicelive_server.endpoint
    async with connect(endpoint=endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
        await conn.response.create()
        async for event in conn:
            if event.type == "response.done":
                assert event.response.status == "failed"  # all the client sees
                break
"""


def test_the_fixture_fails_a_test_when_the_fake_raised(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(FAILING_RESPONDER, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 passed, 1 error" in out.stdout
    assert (
        "the fake Voice Live server raised 1 exception(s) during the test (the client saw error events "
        "or failed responses): RuntimeError: responder bug. If the test expects this, clear "
        "server.errors before it ends."
    ) in out.stdout
