"""pytest plugin (entry point ``pytest11``): the ``voicelive_server`` fixtures.

Found whenever this package and pytest are installed:

* ``voicelive_server``: a started :class:`~azure.ai.voicelive.testing.FakeVoiceLiveServer` on a
  free 127.0.0.1 port, stopped after the test. Configure it for one test with the marker
  ``@pytest.mark.voicelive_server(pacing="instant", api_key="k", realtime=True, faults=...,
  responder=...)`` (any ``FakeVoiceLiveServer`` keyword), or for a module or a whole suite by
  overriding the ``voicelive_server_options`` fixture (a dict of the same keywords); the
  marker's keywords win.
* ``voicelive_server_factory``: an async callable ``await factory(**options)`` that starts one
  more server per call (all stopped after the test), for tests that need several.

* `voicelive_cassette`: record once against Azure, replay offline forever. It yields a
  `CassetteSession` whose `endpoint` and `credential` the test connects with. Run
  with `--voicelive-record` and `AZURE_VOICELIVE_ENDPOINT` (and `AZURE_VOICELIVE_API_KEY`)
  set, it records the test's connections to the real service into the cassette; otherwise it
  replays the cassette with a `FakeVoiceLiveServer`, and the
  test fails at the first client event that diverges from the recording. The marker
  `@pytest.mark.voicelive_cassette(path=None, audio="trim", match=None, timing="fast")`
  configures it (the path is relative to the test file; by default
  `cassettes/<module>/<test>.jsonl` next to it).

The fixtures are async: they need pytest-asyncio (the ``test`` extra installs it). In its strict
mode (the default) mark async tests with ``@pytest.mark.asyncio``; in auto mode nothing is
needed. Without pytest-asyncio, using a fixture fails with a message saying what to install.

Importing this module is cheap: the server (and aiohttp) load only when a fixture is used.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import pytest  # loaded by pytest itself (entry point pytest11)

if TYPE_CHECKING:
    from ._server import FakeVoiceLiveServer

__all__ = [
    "CassetteSession",
    "voicelive_cassette",
    "voicelive_server",
    "voicelive_server_factory",
    "voicelive_server_options",
]

MISSING_PYTEST_ASYNCIO = (
    "The voicelive_server fixtures are async and need pytest-asyncio: "
    "pip install 'voicelive[test]' (or pip install pytest-asyncio)."
)
RECORD_FLAG = "--voicelive-record"
ENDPOINT_VARIABLE = "AZURE_VOICELIVE_ENDPOINT"
KEY_VARIABLE = "AZURE_VOICELIVE_API_KEY"
CASSETTE_MARKER = (
    "voicelive_cassette(path=None, *, audio='trim', match=None, timing='fast'): the cassette of this "
    "test's voicelive_cassette fixture (path relative to the test file)"
)
_failed = pytest.StashKey[bool]()
MARKER = (
    "voicelive_server(**options): FakeVoiceLiveServer keyword arguments for this test's "
    "voicelive_server fixture (pacing=, api_key=, realtime=, faults=, responder=, ...)"
)


def _async_fixture(func: Any) -> Any:
    """``pytest_asyncio.fixture`` when pytest-asyncio is installed; else a fixture that fails
    saying what to install (instead of pytest's generic "async fixture" error)."""
    try:
        import pytest_asyncio
    except ImportError:

        @functools.wraps(func)  # same name and arguments, so pytest resolves it as usual
        def unavailable(*args: Any, **kwargs: Any) -> Any:
            pytest.fail(MISSING_PYTEST_ASYNCIO, pytrace=False)

        return pytest.fixture(unavailable)
    return pytest_asyncio.fixture(func)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--voicelive-record` (record the cassettes of `voicelive_cassette` tests)."""
    parser.getgroup("voicelive").addoption(
        RECORD_FLAG,
        action="store_true",
        default=False,
        help=f"record the cassettes of tests using the voicelive_cassette fixture against the service "
        f"at ${ENDPOINT_VARIABLE} (credential: ${KEY_VARIABLE}, else azure-identity's "
        "DefaultAzureCredential); without it they are replayed",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers (so `--strict-markers` accepts them); check `--voicelive-record`."""
    config.addinivalue_line("markers", MARKER)
    config.addinivalue_line("markers", CASSETTE_MARKER)
    if config.getoption(RECORD_FLAG, default=False) and not os.environ.get(ENDPOINT_VARIABLE):
        raise pytest.UsageError(
            f"{RECORD_FLAG} records against the real service: set {ENDPOINT_VARIABLE} (and "
            f"{KEY_VARIABLE}, or sign in for azure-identity) first"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Note whether the test itself failed: a failed test does not overwrite its cassette."""
    report = yield
    if call.when == "call":
        item.stash[_failed] = bool(report.failed)
    return report


@pytest.fixture
def voicelive_server_options() -> dict[str, Any]:
    """Keyword arguments for the ``voicelive_server`` fixture's server (default: none, i.e.
    realistic model-time pacing). Override it in a ``conftest.py`` or a test module."""
    return {}


def _options(request: pytest.FixtureRequest, base: dict[str, Any]) -> dict[str, Any]:
    options = dict(base)
    marker = request.node.get_closest_marker("voicelive_server")
    if marker is not None:
        if marker.args:
            raise TypeError(
                "@pytest.mark.voicelive_server takes FakeVoiceLiveServer keyword arguments only, "
                f"got positional {marker.args!r}"
            )
        options.update(marker.kwargs)
    return options


def _fail_on_errors(server: FakeVoiceLiveServer) -> None:
    """Fail the test when the fake (or its responder) raised: the client only saw an error event."""
    from ._replay import CassetteMismatch

    mismatch = next((e for e in server.errors if isinstance(e, CassetteMismatch)), None)
    if mismatch is not None:
        pytest.fail(str(mismatch), pytrace=False)
    if server.errors:
        listed = "; ".join(f"{type(e).__name__}: {e}" for e in server.errors[:5])
        pytest.fail(
            f"the fake Voice Live server raised {len(server.errors)} exception(s) during the test "
            f"(the client saw error events or failed responses): {listed}. If the test expects "
            "this, clear server.errors before it ends.",
            pytrace=False,
        )


@_async_fixture
async def voicelive_server(
    request: pytest.FixtureRequest, voicelive_server_options: dict[str, Any]
) -> AsyncIterator[FakeVoiceLiveServer]:
    """A started :class:`~azure.ai.voicelive.testing.FakeVoiceLiveServer` on a free
    127.0.0.1 port (any credential accepted and model-time pacing by default;
    ``voicelive_server_options`` and the ``voicelive_server`` marker configure it),
    stopped after the test."""
    from ._server import FakeVoiceLiveServer

    server = FakeVoiceLiveServer(**_options(request, voicelive_server_options))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    _fail_on_errors(server)


@_async_fixture
async def voicelive_server_factory() -> AsyncIterator[Callable[..., Awaitable[FakeVoiceLiveServer]]]:
    """``await voicelive_server_factory(**options)``: one more started server per call
    (``FakeVoiceLiveServer`` keywords), every one stopped after the test."""
    from ._server import FakeVoiceLiveServer

    started: list[FakeVoiceLiveServer] = []

    async def factory(**options: Any) -> FakeVoiceLiveServer:
        server = FakeVoiceLiveServer(**options)
        await server.start()
        started.append(server)
        return server

    try:
        yield factory
    finally:
        for server in reversed(started):
            await server.stop()
    for server in started:
        _fail_on_errors(server)


class CassetteSession:
    """What the `voicelive_cassette` fixture gives a test: where to connect, and how.

    Attributes:
        mode: `"record"` (connections go to the real service and are recorded) or `"replay"`.
        path: the cassette file.
        endpoint: the endpoint to pass to `connect(endpoint=...)`.
        credential: the credential to pass to `connect(credential=...)` (any credential works in
            replay).
        server: the replaying `FakeVoiceLiveServer` (`None` when recording).
    """

    def __init__(
        self,
        mode: Literal["record", "replay"],
        path: Path,
        endpoint: str,
        credential: Any,
        server: FakeVoiceLiveServer | None = None,
    ) -> None:
        self.mode: Literal["record", "replay"] = mode
        self.path = path
        self.endpoint = endpoint
        self.credential = credential
        self.server = server

    def __repr__(self) -> str:
        return f"<CassetteSession {self.mode} {str(self.path)!r}>"


def _cassette_path(request: pytest.FixtureRequest, given: object) -> Path:
    folder = Path(str(request.node.path)).parent
    if given is not None:
        if not isinstance(given, (str, os.PathLike)):
            raise TypeError(f"@pytest.mark.voicelive_cassette path must be a str or a Path, got {given!r}")
        return folder / os.fspath(cast("str | os.PathLike[str]", given))
    module = Path(str(request.node.path)).stem
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    return folder / "cassettes" / module / f"{name}.jsonl"


def _record_credential() -> Any:
    key = os.environ.get(KEY_VARIABLE)
    if key:
        from azure.core.credentials import AzureKeyCredential

        return AzureKeyCredential(key)
    try:
        from azure.identity.aio import DefaultAzureCredential  # pyright: ignore[reportMissingImports]
    except ImportError:
        pytest.fail(
            f"{RECORD_FLAG}: set {KEY_VARIABLE}, or pip install azure-identity to sign in with Entra ID",
            pytrace=False,
        )
    return DefaultAzureCredential()  # pyright: ignore[reportUnknownVariableType]


@_async_fixture
async def voicelive_cassette(request: pytest.FixtureRequest) -> AsyncIterator[CassetteSession]:
    """Record this test's sessions (with `--voicelive-record`) or replay them (otherwise).

    Yields a `CassetteSession`: connect with its `endpoint` and `credential`. See the module
    docstring for the marker that configures it.
    """
    from azure.core.credentials import AzureKeyCredential

    from ._recorder import record
    from ._server import FakeVoiceLiveServer

    marker = request.node.get_closest_marker("voicelive_cassette")
    args: tuple[Any, ...] = marker.args if marker is not None else ()
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    if len(args) > 1:
        raise TypeError("@pytest.mark.voicelive_cassette takes at most one positional argument, the path")
    path = _cassette_path(request, args[0] if args else kwargs.pop("path", None))
    audio = kwargs.pop("audio", "trim")
    match = kwargs.pop("match", None)
    timing = kwargs.pop("timing", "fast")
    if kwargs:
        raise TypeError(f"@pytest.mark.voicelive_cassette got unknown keywords: {', '.join(sorted(kwargs))}")

    if request.config.getoption(RECORD_FLAG, default=False):
        recording = record(path, audio=audio)
        session = CassetteSession("record", path, os.environ[ENDPOINT_VARIABLE], _record_credential())
        recording.__enter__()
        failed = True
        try:
            yield session
            failed = request.node.stash.get(_failed, False)
        finally:
            recording.__exit__(AssertionError if failed else None, None, None)
        return

    if not path.is_file():
        pytest.fail(
            f"no cassette at {path}: record it once with `pytest {RECORD_FLAG}` and {ENDPOINT_VARIABLE} "
            f"(and {KEY_VARIABLE}) set",
            pytrace=False,
        )
    server = FakeVoiceLiveServer(replay=path, replay_match=match, replay_timing=timing)
    await server.start()
    try:
        yield CassetteSession("replay", path, server.endpoint, AzureKeyCredential("replay"), server)
    finally:
        await server.stop()
    _fail_on_errors(server)
