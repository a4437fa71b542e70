"""Run the fake Voice Live service standalone: ``python -m azure.ai.voicelive.testing [--port 8765]``.

`--replay cassette.jsonl` replays a recorded session instead of simulating one; a client that
diverges from the recording is reported on stderr (and gets an `error` event).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import NoReturn

from ._cassette import Cassette, CassetteError
from ._server import FakeVoiceLiveServer


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range (0-65535; 0 picks a free port)")
    return port


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line on stderr and exit status 2 (no usage block)."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m azure.ai.voicelive.testing",
        description="Run a local fake Azure Voice Live service until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8765, help="TCP port 0-65535; 0 picks a free one (default 8765)"
    )
    parser.add_argument("--api-key", default=None, help="the only api-key accepted (default: any credential)")
    parser.add_argument(
        "--realtime", action="store_true", help="generate reply audio a few times faster than playback"
    )
    parser.add_argument(
        "--pacing",
        choices=("model", "instant"),
        default="model",
        help="model: tens of milliseconds per response, like a fast model (default); instant: no delay",
    )
    parser.add_argument(
        "--max-session-duration",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="session lifetime; then an error session_expired and close 1001 (default 3600; 0: never)",
    )
    parser.add_argument(
        "--replay",
        metavar="CASSETTE",
        default=None,
        help="replay this recorded session (JSON Lines cassette) instead of simulating one",
    )
    parser.add_argument(
        "--replay-timing",
        choices=("fast", "recorded"),
        default="fast",
        help="with --replay: fast, no waiting (default); recorded: the recorded pacing",
    )
    args = parser.parse_args(argv)
    if args.replay_timing != "fast" and args.replay is None:
        parser.error("--replay-timing needs --replay")
    return args


async def _serve(args: argparse.Namespace, cassette: Cassette | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with FakeVoiceLiveServer(
        replay=cassette,
        replay_timing=args.replay_timing,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        realtime=args.realtime,
        pacing=args.pacing,
        max_session_duration=args.max_session_duration or None,
    ) as server:
        what = f"replaying {args.replay}" if args.replay else "listening"
        print(f"Fake Voice Live server {what} on {server.endpoint} (Ctrl+C to stop)", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse arguments, serve until SIGINT/SIGTERM; returns the exit status."""
    args = _parse(argv)
    cassette = None
    if args.replay:
        try:
            cassette = Cassette.load(args.replay)
        except (OSError, CassetteError) as exc:
            print(f"python -m azure.ai.voicelive.testing: error: --replay: {exc}", file=sys.stderr)
            return 2
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("cassette mismatch: %(message)s"))
        logger = logging.getLogger("azure.ai.voicelive.testing")
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(args, cassette))
    except OSError as exc:  # the address is in use, or cannot be bound here: one line, not a traceback
        reason = exc.strerror or str(exc)
        print(
            f"python -m azure.ai.voicelive.testing: error: cannot listen on {args.host}:{args.port}: "
            f"{reason} (try another --port, or --port 0 for a free one)",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
