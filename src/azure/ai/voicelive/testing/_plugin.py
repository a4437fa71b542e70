"""pytest plugin (entry point ``pytest11``): the ``voicelive_server`` fixture.

Override the ``voicelive_server_options`` fixture (a dict of :class:`FakeVoiceLiveServer`
keyword arguments) to configure it, e.g. ``{"pacing": "instant"}`` for tests that do not care
about time, or ``{"max_session_duration": 1.0}`` to exercise expiry.

Importing this module is cheap: the server (and aiohttp) load only when the fixture is used. The
fixture needs pytest-asyncio; without it the plugin registers nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._server import FakeVoiceLiveServer

__all__ = ["voicelive_server", "voicelive_server_options"]

try:
    import pytest
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pass
else:

    @pytest.fixture
    def voicelive_server_options() -> dict[str, Any]:
        """Keyword arguments for the ``voicelive_server`` fixture's server (default: none, i.e.
        realistic model-time pacing). Override it in a ``conftest.py`` or a test module."""
        return {}

    @pytest_asyncio.fixture
    async def voicelive_server(
        voicelive_server_options: dict[str, Any],
    ) -> AsyncIterator[FakeVoiceLiveServer]:
        """A started :class:`~azure.ai.voicelive.testing.FakeVoiceLiveServer` (``voicelive_server_options``;
        by default any credential accepted, model-time pacing) on a free 127.0.0.1 port; stopped
        after the test."""
        from ._server import FakeVoiceLiveServer

        server = FakeVoiceLiveServer(**voicelive_server_options)
        await server.start()
        try:
            yield server
        finally:
            await server.stop()
