"""Secrets and audio stay out of logs, reprs and exceptions.

Every log record of whole sessions against the fake server is captured (root logger at DEBUG, so
also aiohttp's and asyncio's loggers, and the fake server's own): a key-credential session and a
bearer-token session that stream audio, get spoken replies and are closed by the server, plus
failed handshakes (401 for a wrong key and a wrong token, 429). Neither the key, the tokens, nor
any base64 audio (a marker streamed by the client, and the audio the server sent) may appear in
any formatted message, its arguments or exception text.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AzureKeyCredential

from azure.ai.voicelive.aio import ConnectionClosed, ConnectionError, InvalidFrameError, connect
from azure.ai.voicelive.testing import FakeVoiceLiveServer, Faults

from .conftest import KEY, MODEL, WAIT, drain, open_fake, say, start_text_response

MakeFake = Callable[..., Awaitable[FakeVoiceLiveServer]]

TOKEN = "reliability-TOKEN-9c8b7a6f5e"
WRONG_KEY = "reliability-WRONG-KEY-1a2b3c4d"
WRONG_TOKEN = "reliability-WRONG-TOKEN-5e6f7a8b"
SECRETS = (KEY, TOKEN, WRONG_KEY, WRONG_TOKEN)
# Valid base64 (16 characters): audio bytes that encode back to this exact text, repeated.
MARKER = "QQmarkerAUDIOzz1"
MARKED_AUDIO = base64.b64decode(MARKER * 80)  # 960 bytes: 20 ms of 24 kHz PCM16
assert base64.b64encode(MARKED_AUDIO).decode() == MARKER * 80


class TokenCredential:
    """An async token credential handing out a fixed token."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, 2**31)


class CaptureAll(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> Iterator[str]:
        """Every string a log sink could write for each record: message, args, exception, extras."""
        for record in self.records:
            yield self._formatter.format(record)  # message + exc_info traceback + stack_info
            yield repr(record.msg)
            yield repr(record.args)
            yield repr(vars(record))


@contextlib.contextmanager
def capture_all_logs() -> Iterator[CaptureAll]:
    handler = CaptureAll()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)}
    for name in ("aiohttp", "aiohttp.client", "aiohttp.websocket", "aiohttp.server", "asyncio", "azure"):
        levels.setdefault(name, logging.getLogger(name).level)
    old_root = root.level
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_root)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


APP_LOG = logging.getLogger("reliability.app")  # stands for an application logging its errors


async def key_session(server: FakeVoiceLiveServer, server_audio: list[str]) -> None:
    async with open_fake(server) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT)).type == "session.created"
        await conn.session.update(session={"instructions": "be brief"}, event_id="cfg-1")
        for i in range(10):
            await conn.input_audio_buffer.append(audio=MARKED_AUDIO, event_id=f"audio-{i}")
        await conn.input_audio_buffer.append(audio=MARKER * 80)  # already base64 text
        await conn.input_audio_buffer.clear()
        await start_text_response(conn, "tell me something")
        out = await drain(conn, until="response.done")
        server_audio += [e["delta"] for e in out.events if e.type == "response.audio.delta"]
        closing = asyncio.create_task(server.close_all(4000, "session expired"))
        try:
            async for _ in conn:
                pass
        except ConnectionClosed:
            APP_LOG.exception("voice session ended")
        await asyncio.wait_for(closing, WAIT)


async def token_session(server: FakeVoiceLiveServer, server_audio: list[str]) -> None:
    async with connect(endpoint=server.endpoint, credential=TokenCredential(TOKEN), model=MODEL) as conn:
        await conn.conversation.item.create(item=say("hi"))
        await conn.input_audio_buffer.append(audio=MARKED_AUDIO)
        await conn.response.create()
        out = await drain(conn, until="response.done")
        server_audio += [e["delta"] for e in out.events if e.type == "response.audio.delta"]


async def failed_handshakes(server: FakeVoiceLiveServer) -> list[ConnectionError]:
    errors: list[ConnectionError] = []
    attempts: list[Any] = [
        connect(endpoint=server.endpoint, credential=AzureKeyCredential(WRONG_KEY), model=MODEL),
        connect(endpoint=server.endpoint, credential=TokenCredential(WRONG_TOKEN), model=MODEL),
    ]
    for attempt in attempts:
        try:
            async with attempt:
                pytest.fail("should be refused")
        except ConnectionError as exc:
            APP_LOG.exception("could not connect")
            errors.append(exc)
    server.inject(reject_status=429, retry_after=3)
    try:
        async with open_fake(server):
            pytest.fail("should be refused")
    except ConnectionError as exc:
        APP_LOG.warning("rate limited: %s (%r)", exc, exc, exc_info=exc)
        errors.append(exc)
    server.inject(reject_status=None)
    return errors


def audio_windows(deltas: list[str]) -> list[str]:
    """Distinctive 24-character slices of every audio delta the server sent."""
    windows: set[str] = set()
    for delta in deltas:
        for start in (0, len(delta) // 3, len(delta) // 2, len(delta) - 24):
            piece = delta[start : start + 24]
            if len(set(piece)) > 4:  # skip runs such as "AAAA...", which say nothing
                windows.add(piece)
    return sorted(windows)


async def test_logs_never_contain_secrets_or_audio(fake: MakeFake) -> None:
    server_audio: list[str] = []
    with capture_all_logs() as logs:
        key_server = await fake(api_key=KEY)
        await key_session(key_server, server_audio)
        token_server = await fake(api_key=None, bearer_token=TOKEN)
        await token_session(token_server, server_audio)
        errors = await failed_handshakes(token_server)
        # A connection the server breaks with a junk frame and a close mid-response.
        key_server.faults = Faults(malformed_after=3, close_after=12, close_code=1011, close_reason="oops")
        async with open_fake(key_server) as conn:
            await start_text_response(conn)
            for _ in range(40):
                try:
                    await asyncio.wait_for(conn.recv(), WAIT)
                except InvalidFrameError:
                    APP_LOG.debug("bad frame", exc_info=True)
                except ConnectionClosed:
                    APP_LOG.error("closed", exc_info=True)
                    break

    assert [e.status_code for e in errors] == [401, 401, 429]
    assert len(server_audio) >= 5
    windows = audio_windows(server_audio)
    assert len(windows) >= 10
    texts = list(logs.texts())
    everything = "\n".join(texts)
    # The capture works and DEBUG lines summarise frames: type, size, event id.
    assert re.search(r"sent input_audio_buffer\.append \(\d+ chars\) event_id=audio-3", everything)
    assert "received response.audio.delta (" in everything
    assert "'api-key': '***'" in everything and "'Authorization': '***'" in everything
    assert "Authentication failed (HTTP 401)" in everything  # the app's error logs were captured
    for secret in SECRETS:
        assert secret not in everything, f"a secret leaked into the logs: {secret}"
    assert MARKER not in everything, "client audio leaked into the logs"
    leaked = [w for w in windows if w in everything]
    assert leaked == [], "server audio leaked into the logs"


# ------------------------------------------------------------------ reprs and exception chains
def walk(exc: BaseException) -> Iterator[str]:
    """str()/repr() of an exception, its args, its attributes, its cause and context, recursively."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield repr(obj)
        yield str(obj)
        if isinstance(obj, BaseException):
            stack.extend(obj.args)
            stack.extend(v for v in vars(obj).values() if v is not None)
            stack.extend(x for x in (obj.__cause__, obj.__context__) if x is not None)
        elif isinstance(obj, (tuple, list)):
            stack.extend(obj)


async def _error_of(kind: str, make: MakeFake) -> BaseException:
    server = await make(api_key=KEY, bearer_token=TOKEN)
    credential: Any = AzureKeyCredential(KEY)
    options: dict[str, Any] | None = None
    endpoint = server.endpoint
    if kind == "401-key":
        credential = AzureKeyCredential(WRONG_KEY)
    elif kind == "401-token":
        credential = TokenCredential(WRONG_TOKEN)
    elif kind == "403":
        server.inject(reject_status=403)
    elif kind == "429-token":
        credential = TokenCredential(TOKEN)
        server.inject(reject_status=429, retry_after=1)
    elif kind == "redirect":
        server.inject(reject_status=307, reject_headers={"Location": "http://127.0.0.1:9/elsewhere"})
    elif kind == "tls":
        endpoint = f"https://127.0.0.1:{server.port}"
    elif kind == "closed":
        server.inject(close_after=1, close_code=4000, close_reason="expired")
    elif kind == "invalid-frame":
        server.inject(malformed_after=1)
    try:
        async with connect(
            endpoint=endpoint, credential=credential, model=MODEL, connection_options=options
        ) as conn:
            for _ in range(5):
                await asyncio.wait_for(conn.recv(), WAIT)
    except (ConnectionError, InvalidFrameError) as exc:
        return exc
    pytest.fail(f"{kind}: no error")


# Regression: the chained aiohttp WSServerHandshakeError used to keep the unredacted request
# headers (api-key / Authorization) in .args[0] (its RequestInfo).
KINDS = [
    "401-key",
    "401-token",
    "403",
    "429-token",
    "redirect",
    "tls",
    "closed",
    "invalid-frame",
]


@pytest.mark.parametrize("kind", [k if isinstance(k, str) else k.values[0] for k in KINDS])
async def test_error_messages_and_tracebacks_have_no_secret(fake: MakeFake, kind: str) -> None:
    exc = await _error_of(kind, fake)
    text = "".join(traceback.format_exception(exc)) + str(exc) + repr(exc)
    cause = exc.__cause__
    if cause is not None:
        text += str(cause) + repr(cause)
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("kind", KINDS)
async def test_exception_chain_args_and_attributes_have_no_secret(fake: MakeFake, kind: str) -> None:
    exc = await _error_of(kind, fake)
    everything = "\n".join(walk(exc))
    for secret in SECRETS:
        assert secret not in everything, f"{kind}: secret found in the exception chain"


async def test_reprs_have_no_secret(fake: MakeFake) -> None:
    server = await fake(api_key=KEY, bearer_token=TOKEN)
    for credential in (AzureKeyCredential(KEY), TokenCredential(TOKEN)):
        manager = connect(endpoint=server.endpoint, credential=credential, model=MODEL)
        texts = [repr(manager), str(manager)]
        async with manager as conn:
            texts += [repr(conn), str(conn), repr(manager), repr(conn.session), repr(conn.input_audio_buffer)]
            event = await asyncio.wait_for(conn.recv(), WAIT)
            texts.append(repr(event))
        texts += [repr(conn), repr(manager)]
        for text in texts:
            assert KEY not in text and TOKEN not in text
