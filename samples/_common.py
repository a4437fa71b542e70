"""What every sample shares: command-line options, credentials, and the fake server fallback.

With no endpoint (``--endpoint`` or ``AZURE_VOICELIVE_ENDPOINT``) a sample starts the bundled
``FakeVoiceLiveServer`` in-process and says so in one line; with an endpoint it talks to Azure,
using ``--api-key`` / ``AZURE_VOICELIVE_API_KEY`` or else ``DefaultAzureCredential``
(``pip install 'voicelive[identity]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncGenerator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AzureKeyCredential


@dataclass
class Target:
    """Where a sample connects: pass ``endpoint`` and ``credential`` to ``connect()``."""

    endpoint: str
    credential: Any
    model: str
    voice: str
    fake: bool
    server: Any = None
    """The in-process ``FakeVoiceLiveServer`` when ``fake`` (samples use it to simulate faults)."""


def parser(description: str | None) -> argparse.ArgumentParser:
    """An argument parser with the options every sample has."""
    p = argparse.ArgumentParser(description=(description or "").strip().splitlines()[0])
    p.add_argument(
        "--endpoint",
        default=os.environ.get("AZURE_VOICELIVE_ENDPOINT"),
        help="Voice Live endpoint (default: $AZURE_VOICELIVE_ENDPOINT; none: the bundled fake server)",
    )
    p.add_argument(
        "--api-key",
        default=os.environ.get("AZURE_VOICELIVE_API_KEY"),
        help="API key (default: $AZURE_VOICELIVE_API_KEY; none: DefaultAzureCredential)",
    )
    p.add_argument("--model", default=os.environ.get("AZURE_VOICELIVE_MODEL", "gpt-4o-realtime-preview"))
    p.add_argument("--voice", default=os.environ.get("AZURE_VOICELIVE_VOICE", "en-US-AvaNeural"))
    return p


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """``asyncio.run(main())``, with connection failures as the SDK's one-line explanation.

    A wrong key, an unreachable endpoint or a dropped session prints ``error: <what happened and
    what to do>`` on stderr and exits with status 1, instead of a traceback; Ctrl+C exits quietly.
    """
    from azure.ai.voicelive.aio import ConnectionClosed, ConnectionError

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except ConnectionClosed as exc:
        sys.exit(f"error: the session ended: {exc}")
    except ConnectionError as exc:
        sys.exit(f"error: {exc}")


def voice_config(name: str) -> Any:
    """An Azure standard voice for names like ``en-US-AvaNeural``, else an OpenAI voice name."""
    if "-" in name:
        return {"type": "azure-standard", "name": name}
    return name


@contextlib.asynccontextmanager
async def target(args: argparse.Namespace, **server_options: Any) -> AsyncGenerator[Target, None]:
    """Yield the connection target: Azure when configured, otherwise an in-process fake server."""
    if args.endpoint:
        if args.api_key:
            yield Target(args.endpoint, AzureKeyCredential(args.api_key), args.model, args.voice, fake=False)
            return
        try:
            from azure.identity.aio import DefaultAzureCredential
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise SystemExit(
                "No API key given: install 'voicelive[identity]' for DefaultAzureCredential"
            ) from exc
        async with DefaultAzureCredential() as credential:
            yield Target(args.endpoint, credential, args.model, args.voice, fake=False)
        return
    from azure.ai.voicelive.testing import FakeVoiceLiveServer

    async with FakeVoiceLiveServer(**server_options) as server:
        print(
            "(no AZURE_VOICELIVE_ENDPOINT set: using the bundled fake Voice Live server"
            f" at {server.endpoint})"
        )
        yield Target(
            server.endpoint, AzureKeyCredential("fake-key"), args.model, args.voice, fake=True, server=server
        )
