"""pytest plugin (entry point ``pytest11``): the ``voicelive_server`` fixture.

Importing this module is cheap: the server (and aiohttp) load only when the fixture is used. The
fixture needs pytest-asyncio; without it the plugin registers nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._server import FakeVoiceLiveServer

__all__ = ["voicelive_server"]

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pass
else:

    @pytest_asyncio.fixture
    async def voicelive_server() -> AsyncIterator[FakeVoiceLiveServer]:
        """A started :class:`~azure.ai.voicelive.testing.FakeVoiceLiveServer` (default settings,
        any credential accepted, fast mode) on a free 127.0.0.1 port; stopped after the test."""
        from ._server import FakeVoiceLiveServer

        server = FakeVoiceLiveServer()
        await server.start()
        try:
            yield server
        finally:
            await server.stop()
