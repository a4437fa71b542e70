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

The fixtures are async: they need pytest-asyncio (the ``test`` extra installs it). In its strict
mode (the default) mark async tests with ``@pytest.mark.asyncio``; in auto mode nothing is
needed. Without pytest-asyncio, using a fixture fails with a message saying what to install.

Importing this module is cheap: the server (and aiohttp) load only when a fixture is used.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest  # loaded by pytest itself (entry point pytest11)

if TYPE_CHECKING:
    from ._server import FakeVoiceLiveServer

__all__ = ["voicelive_server", "voicelive_server_factory", "voicelive_server_options"]

MISSING_PYTEST_ASYNCIO = (
    "The voicelive_server fixtures are async and need pytest-asyncio: "
    "pip install 'voicelive[test]' (or pip install pytest-asyncio)."
)
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


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``voicelive_server`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line("markers", MARKER)


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
