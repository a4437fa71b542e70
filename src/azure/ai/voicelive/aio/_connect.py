"""connect(): validate at call time, then open the WebSocket when the context is entered.

The handshake makes exactly one HTTP request: redirects are refused before they are followed
(so no credential reaches another address) and every failure becomes a
[`ConnectionError`][azure.ai.voicelive.aio.ConnectionError] that says what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, Union, cast, overload
from urllib.parse import parse_qsl, urlsplit

import aiohttp

from .._protocol.auth import (
    CredentialKind,
    bearer_headers,
    build_headers,
    classify_credential,
    key_headers,
    normalize_scopes,
    redact_headers,
    token_text,
)
from .._protocol.endpoint import (
    DEFAULT_API_VERSION,
    agent_query,
    build_url,
    check_clear_text,
    describe_target,
    require_model_or_agent,
    safe_url,
    user_agent,
    validate_endpoint,
)
from ._handshake_errors import _handshake_error, _RedirectRefused, _service_error_text

if TYPE_CHECKING:
    from types import TracebackType

    from azure.core.credentials import AzureKeyCredential, TokenCredential
    from azure.core.credentials_async import AsyncTokenCredential

    from .._resilience import ReconnectPolicy
    from ._connection import VoiceLiveConnection

__all__ = ["WebsocketConnectionOptions", "connect"]

_LOGGER = logging.getLogger("azure.ai.voicelive.aio")

DEFAULT_HEARTBEAT = 30.0
DEFAULT_MAX_MSG_SIZE = 4 * 1024 * 1024
DEFAULT_HANDSHAKE_TIMEOUT = 30.0
DEFAULT_CLOSE_TIMEOUT = 10.0
_MAX_ERROR_BODY = 64 * 1024

# The class itself, kept before anyone monkeypatches aiohttp.ClientSession (tests do): its
# ws_connect signature is the list of keywords vendor_options may use.
_SESSION_CLASS = aiohttp.ClientSession
_ws_connect_keywords: frozenset[str] | None = None
_RESERVED_VENDOR_KEYS = {
    "url": "it is built from endpoint=",
    "headers": "pass headers= to connect()",
    "params": "pass query= to connect()",
    "method": "the WebSocket handshake is always a GET",
}
_EXTRA_KWARGS = ("connector", "trust_env")


class WebsocketConnectionOptions(TypedDict, total=False):
    """Transport options for [`connect()`][connect] (every key optional).

    * ``compression`` -- ``True`` offers permessage-deflate with a 15-bit window; an int
      (9-15) offers that window size; ``False``/``0`` (default) disables compression.
    * ``max_msg_size`` -- largest incoming message in bytes (default 4 MiB; 0 = no limit); a
      larger one ends the connection with code 1009.
    * ``heartbeat`` -- seconds between client pings (default 30); no pong within half that
      ends the connection with code 1006 ("heartbeat timeout"). ``None``/``0`` disables it.
    * ``autoclose`` -- answer the server's close frame at once (default ``True``); when
      ``False`` it is answered by [`VoiceLiveConnection.close()`][VoiceLiveConnection.close].
    * ``autoping`` -- answer pings automatically (default ``True``); when ``False`` pings are
      neither answered nor returned by ``recv()``.
    * ``receive_timeout`` -- seconds a ``recv()`` may wait before raising
      ``asyncio.TimeoutError`` (default: wait forever); the connection stays usable.
    * ``close_timeout`` -- seconds ``close()`` waits for the server's close frame (default 10).
    * ``handshake_timeout`` -- seconds allowed for TCP connect, TLS and the HTTP upgrade
      (default 30; ``None`` waits forever); token acquisition is not included.
    * ``vendor_options`` -- further keyword arguments for ``aiohttp.ClientSession.ws_connect``
      (``proxy``, ``ssl``, ``origin``, ``protocols``...), applied last; an unknown keyword raises
      ``TypeError`` when [`connect()`][connect] is called.
    """

    compression: Union[bool, int]
    max_msg_size: int
    heartbeat: float
    autoclose: bool
    autoping: bool
    receive_timeout: float
    close_timeout: float
    handshake_timeout: float
    vendor_options: Mapping[str, Any]


_OPTION_KEYS = frozenset(WebsocketConnectionOptions.__annotations__)


class _Plan:
    """Everything connect() validated, ready for the handshake (holds the credential, never logs it)."""

    __slots__ = (
        "agent_name",
        "api_version",
        "connector",
        "credential",
        "endpoint",
        "handshake_timeout",
        "headers",
        "kind",
        "model",
        "params",
        "query",
        "reconnect",
        "scopes",
        "trust_env",
        "ws_kwargs",
    )
    agent_name: str | None
    api_version: str
    connector: aiohttp.BaseConnector | None
    credential: object
    endpoint: str
    handshake_timeout: float | None
    headers: Mapping[str, Any] | None
    kind: CredentialKind
    model: str | None
    params: list[tuple[str, str]]
    query: Mapping[str, Any] | None
    reconnect: ReconnectPolicy | None
    scopes: tuple[str, ...]
    trust_env: bool
    ws_kwargs: dict[str, Any]

    def __repr__(self) -> str:
        return f"<connect plan endpoint={safe_url(self.endpoint)!r}>"


@overload
def connect(
    *,
    credential: Union[AzureKeyCredential, AsyncTokenCredential, TokenCredential],
    endpoint: str,
    api_version: str = DEFAULT_API_VERSION,
    model: str | None = None,
    query: Mapping[str, Any] | None = None,
    headers: Mapping[str, Any] | None = None,
    connection_options: WebsocketConnectionOptions | None = None,
    credential_scopes: str | Sequence[str] | None = None,
    reconnect: ReconnectPolicy | None = None,
    **kwargs: Any,
) -> contextlib.AbstractAsyncContextManager[VoiceLiveConnection]: ...


@overload
def connect(
    *,
    credential: Union[AzureKeyCredential, AsyncTokenCredential, TokenCredential],
    endpoint: str,
    api_version: str = DEFAULT_API_VERSION,
    agent_name: str,
    project_name: str,
    agent_version: str | None = None,
    conversation_id: str | None = None,
    authentication_identity_client_id: str | None = None,
    foundry_resource_override: str | None = None,
    query: Mapping[str, Any] | None = None,
    headers: Mapping[str, Any] | None = None,
    connection_options: WebsocketConnectionOptions | None = None,
    credential_scopes: str | Sequence[str] | None = None,
    reconnect: ReconnectPolicy | None = None,
    **kwargs: Any,
) -> contextlib.AbstractAsyncContextManager[VoiceLiveConnection]: ...


def connect(
    *,
    credential: Union[AzureKeyCredential, AsyncTokenCredential, TokenCredential],
    endpoint: str,
    api_version: str = DEFAULT_API_VERSION,
    model: str | None = None,
    agent_name: str | None = None,
    project_name: str | None = None,
    agent_version: str | None = None,
    conversation_id: str | None = None,
    authentication_identity_client_id: str | None = None,
    foundry_resource_override: str | None = None,
    query: Mapping[str, Any] | None = None,
    headers: Mapping[str, Any] | None = None,
    connection_options: WebsocketConnectionOptions | None = None,
    credential_scopes: str | Sequence[str] | None = None,
    reconnect: ReconnectPolicy | None = None,
    **kwargs: Any,
) -> contextlib.AbstractAsyncContextManager[VoiceLiveConnection]:
    """Open a Voice Live WebSocket: ``async with connect(...) as connection: ...``.

    Returns an async context manager; nothing touches the network until it is entered.
    Entering acquires a token (token credentials), performs the handshake and yields a
    [`VoiceLiveConnection`][]; leaving closes it and its ``aiohttp.ClientSession``, also on
    error and cancellation. The manager can be entered again after it exits (a new connection
    each time), but not twice at once.

    There are two overloads, for type checkers: a **model session** (``model=``) and an
    **agent session** (``agent_name=`` and ``project_name=``, refined by ``agent_version``,
    ``conversation_id``, ``authentication_identity_client_id`` and ``foundry_resource_override``).
    The signature below is the union of both; pass the arguments of one.

    Args:
        credential: ``AzureKeyCredential`` (sent as the ``api-key`` header) or a token
            credential with ``get_token`` -- async (``azure.identity.aio``) or sync (called in
            a worker thread) -- sent as ``Authorization: Bearer``.
        endpoint: ``https://<resource>.services.ai.azure.com`` (or
            ``.cognitiveservices.azure.com``, ``https://<region>.api.cognitive.microsoft.com``);
            ``/voice-live/realtime`` is appended.
        api_version: The ``api-version`` query parameter.
        model: The model deployment (model sessions).
        agent_name: With ``project_name``, opens an agent session (instead of ``model``).
        project_name: The Foundry project of the agent.
        agent_version: The agent version (agent sessions).
        conversation_id: An agent conversation to continue (agent sessions).
        authentication_identity_client_id: The client ID of the identity the agent
            authenticates with (agent sessions).
        foundry_resource_override: Another Foundry resource that hosts the agent (agent
            sessions).
        query: Extra query parameters; they override the SDK's (``None`` removes one).
        headers: Extra handshake headers. A ``User-Agent`` here replaces the SDK's; the
            credential's ``api-key``/``Authorization`` always wins over one given here.
        connection_options: Transport options, see [`WebsocketConnectionOptions`][].
        credential_scopes: Token scopes (default ``https://ai.azure.com/.default``); a str is
            one scope.
        reconnect: A [`ReconnectPolicy`][] to keep the call going across dropped connections,
            service restarts and session expiry (off by default: without it nothing changes).
            See the "Long calls" guide; the connection then also yields [`ReconnectedEvent`][].
        **kwargs: Extensions: ``connector=`` (an ``aiohttp.BaseConnector`` to use; it is not
            closed) and ``trust_env=`` (let aiohttp read proxy settings from the environment).

    Returns:
        An async context manager that yields the open [`VoiceLiveConnection`][].

    Raises:
        TypeError: At call time, for an unsupported credential, unknown keyword or option.
        ValueError: At call time, for an invalid endpoint, option value or agent/model
            combination.
        ConnectionError: On entering, for every handshake failure, with ``status_code`` (and
            ``retry_after``): HTTP errors, redirects (never followed), timeouts, DNS and
            connection failures. Errors of the credential itself propagate unchanged. Messages
            never contain the key or token.
    """
    plan = _Plan()
    plan.kind = classify_credential(credential)
    plan.credential = credential
    plan.scopes = normalize_scopes(credential_scopes)
    validate_endpoint(endpoint)
    plan.endpoint = endpoint.strip()
    check_clear_text(plan.endpoint)
    if not isinstance(api_version, str) or not api_version:
        raise ValueError(f"api_version must be a non-empty str such as {DEFAULT_API_VERSION!r}")
    plan.api_version = api_version
    plan.params = agent_query(
        model=model,
        agent_name=agent_name,
        project_name=project_name,
        agent_version=agent_version,
        conversation_id=conversation_id,
        authentication_identity_client_id=authentication_identity_client_id,
        foundry_resource_override=foundry_resource_override,
    )
    plan.model = model
    plan.agent_name = agent_name
    for name, value in (("query", query), ("headers", headers)):
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a mapping, got {type(value).__name__}")
    plan.query = query
    plan.headers = headers
    plan.ws_kwargs, plan.handshake_timeout = _resolve_options(connection_options)
    plan.connector, plan.trust_env = _resolve_kwargs(kwargs)
    plan.reconnect = _resolve_reconnect(reconnect)
    require_model_or_agent(plan.params, query, plan.endpoint)
    return _ConnectionManager(plan)


def _resolve_reconnect(reconnect: object) -> ReconnectPolicy | None:
    if reconnect is None:
        return None
    from .._resilience import ReconnectPolicy

    if not isinstance(reconnect, ReconnectPolicy):
        raise TypeError(
            f"reconnect must be a ReconnectPolicy (or None), got {type(reconnect).__name__}; "
            "for the defaults pass reconnect=ReconnectPolicy()"
        )
    return reconnect


def _resolve_kwargs(kwargs: dict[str, Any]) -> tuple[aiohttp.BaseConnector | None, bool]:
    if "session" in kwargs or "client_session" in kwargs:
        raise TypeError(
            "connect() does not take an existing aiohttp.ClientSession: each connection owns its "
            "session so redirects can be refused before a credential is sent; pass connector= "
            "to share an aiohttp connector instead"
        )
    unknown = sorted(set(kwargs) - set(_EXTRA_KWARGS))
    if unknown:
        # The official connect() accepts and ignores extra keywords ("legacy passthrough"), so
        # code may pass some: they are ignored here too, but never silently (a typo shows).
        warnings.warn(
            f"connect() ignores unknown keyword argument(s): {', '.join(unknown)} (as the official "
            f"package does); the extra keywords it uses are {', '.join(_EXTRA_KWARGS)}, and "
            "WebSocket settings go in connection_options.",
            UserWarning,
            stacklevel=3,
        )
    connector = kwargs.get("connector")
    if connector is not None and not isinstance(connector, aiohttp.BaseConnector):
        raise TypeError(f"connector must be an aiohttp.BaseConnector, got {type(connector).__name__}")
    return connector, bool(kwargs.get("trust_env", False))


def _number(options: Mapping[str, Any], key: str, default: float | None, *, allow_none: bool) -> float | None:
    value = options.get(key, default)
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"connection_options[{key!r}] must be a number, not None")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"connection_options[{key!r}] must be a number >= 0, got {value!r}")
    return float(value)


def _flag(options: Mapping[str, Any], key: str) -> bool:
    value = options.get(key, True)
    if not isinstance(value, bool):
        raise ValueError(f"connection_options[{key!r}] must be True or False, got {value!r}")
    return value


def _resolve_options(options: Mapping[str, Any] | None) -> tuple[dict[str, Any], float | None]:
    """connection_options -> (ws_connect keyword arguments, handshake timeout)."""
    if options is None:
        options = {}
    elif not isinstance(options, Mapping):
        raise TypeError(f"connection_options must be a mapping, got {type(options).__name__}")
    unknown = sorted(set(options) - _OPTION_KEYS)
    if unknown:
        raise TypeError(
            f"unknown connection_options key(s): {', '.join(map(repr, unknown))}; "
            f"valid keys: {', '.join(sorted(_OPTION_KEYS))} (pass aiohttp-specific ones in vendor_options)"
        )
    compression = options.get("compression", False)
    if compression is True:
        compress = 15
    elif compression is None or compression is False or compression == 0:
        compress = 0
    elif isinstance(compression, int) and not isinstance(compression, bool) and 9 <= compression <= 15:
        compress = compression
    else:
        raise ValueError(
            "connection_options['compression'] must be True, False or a window size 9-15, "
            f"got {compression!r}"
        )
    max_msg_size = options.get("max_msg_size", DEFAULT_MAX_MSG_SIZE)
    if isinstance(max_msg_size, bool) or not isinstance(max_msg_size, int) or max_msg_size < 0:
        raise ValueError(f"connection_options['max_msg_size'] must be an int >= 0, got {max_msg_size!r}")
    heartbeat = _number(options, "heartbeat", DEFAULT_HEARTBEAT, allow_none=True) or None
    receive_timeout = _number(options, "receive_timeout", None, allow_none=True) or None
    close_timeout = _number(options, "close_timeout", DEFAULT_CLOSE_TIMEOUT, allow_none=False)
    handshake_timeout = _number(options, "handshake_timeout", DEFAULT_HANDSHAKE_TIMEOUT, allow_none=True)
    if handshake_timeout == 0:
        raise ValueError("connection_options['handshake_timeout'] must be > 0 (or None to wait forever)")
    ws_kwargs: dict[str, Any] = {
        "compress": compress,
        # aiohttp refuses a payload >= its limit; max_msg_size is the largest message accepted.
        "max_msg_size": max_msg_size + 1 if max_msg_size else 0,
        "heartbeat": heartbeat,
        "autoclose": _flag(options, "autoclose"),
        "autoping": _flag(options, "autoping"),
    }
    ws_timeout_class = getattr(aiohttp, "ClientWSTimeout", None)
    if ws_timeout_class is not None:
        ws_kwargs["timeout"] = ws_timeout_class(ws_receive=receive_timeout, ws_close=close_timeout)
    else:  # pragma: no cover - aiohttp < 3.10
        ws_kwargs["timeout"] = close_timeout
        ws_kwargs["receive_timeout"] = receive_timeout
    vendor = options.get("vendor_options")
    if vendor is not None:
        if not isinstance(vendor, Mapping):
            raise TypeError(
                f"connection_options['vendor_options'] must be a mapping, got {type(vendor).__name__}"
            )
        vendor = cast("Mapping[str, Any]", vendor)
        allowed = _ws_connect_parameters()
        for key in vendor:
            if key in _RESERVED_VENDOR_KEYS:
                raise TypeError(f"vendor_options may not set {key!r}: {_RESERVED_VENDOR_KEYS[key]}")
            if key not in allowed:
                raise TypeError(
                    f"vendor_options key {key!r} is not a keyword of aiohttp.ClientSession.ws_connect "
                    f"(aiohttp {aiohttp.__version__}); valid: {', '.join(sorted(allowed))}"
                )
        ws_kwargs.update(vendor)
    return ws_kwargs, handshake_timeout


def _ws_connect_parameters() -> frozenset[str]:
    global _ws_connect_keywords
    if _ws_connect_keywords is None:
        params = inspect.signature(_SESSION_CLASS.ws_connect).parameters.values()
        _ws_connect_keywords = frozenset(
            p.name
            for p in params
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("self", "url")
        )
    return _ws_connect_keywords


class _ConnectionManager(contextlib.AbstractAsyncContextManager["VoiceLiveConnection"]):
    """What [`connect()`][connect] returns: opens on ``__aenter__``, closes on ``__aexit__``."""

    def __init__(self, plan: _Plan) -> None:
        self._plan = plan
        self._active = False
        self._connection: VoiceLiveConnection | None = None

    def __repr__(self) -> str:
        return f"<connect endpoint={safe_url(self._plan.endpoint)!r} active={self._active}>"

    async def __aenter__(self) -> VoiceLiveConnection:
        if self._active:
            raise RuntimeError(
                "this connect(...) context manager is already in use; call connect() again for "
                "another connection"
            )
        self._active = True
        try:
            if self._plan.reconnect is None:
                self._connection = await _open(self._plan)
            else:
                from ._reconnect import open_reconnecting

                self._connection = await open_reconnecting(self._plan, self._plan.reconnect, _open)
        except BaseException:
            self._active = False
            raise
        return self._connection

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                await connection.close()
        finally:
            self._active = False
            if connection is not None and connection._hooks:
                from ._connection import _notify

                _notify(connection._hooks, "exited", exc)


async def _open(plan: _Plan) -> VoiceLiveConnection:
    """Token, headers, handshake: a VoiceLiveConnection or a mapped error (session closed)."""
    from .._instrumentation import ConnectionInfo, start_hooks
    from .._version import VERSION
    from ._connection import VoiceLiveConnection, _notify

    agent = user_agent(VERSION)
    url = build_url(
        plan.endpoint, api_version=plan.api_version, client_sdk=agent, params=plan.params, query=plan.query
    )
    parts = urlsplit(url)
    params = dict(plan.params)
    hooks = start_hooks(
        ConnectionInfo(
            server_address=parts.hostname or "",
            server_port=parts.port or (443 if parts.scheme == "wss" else 80),
            api_version=plan.api_version,
            model=plan.model,
            agent_name=plan.agent_name,
            project_name=params.get("agent-project-name"),
            agent_version=params.get("agent-version"),
            conversation_id=params.get("conversation-id"),
            query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
        )
    )
    try:
        auth, secret = await _credential_headers(plan)
        headers = build_headers(plan.headers, auth, agent)
        if _LOGGER.isEnabledFor(logging.DEBUG):
            _LOGGER.debug("opening WebSocket %s headers=%s", safe_url(url), redact_headers(headers))
        session, ws, shared = await _handshake(plan, url, headers, secret)
    except BaseException as exc:
        if hooks:
            _notify(hooks, "connect_failed", exc)
        raise
    connection = VoiceLiveConnection(session, ws)
    connection._hooks = hooks
    if shared is not None:
        connection._release_connector = functools.partial(_SharedConnector.release, shared)
    if hooks:
        _notify(hooks, "connected")
    _LOGGER.debug("connected to %s", describe_target(url))
    return connection


async def _credential_headers(plan: _Plan) -> tuple[dict[str, str], str]:
    """The auth header and the secret in it (to scrub from any message)."""
    credential: Any = plan.credential
    kind: CredentialKind = plan.kind
    if kind == "key":
        headers = key_headers(credential)
        return headers, headers["api-key"]
    get_token = getattr(credential, "get_token", None) or credential.get_token_info
    if kind == "async_token":
        result = await get_token(*plan.scopes)
    else:
        # A sync credential may block for seconds (CLI, managed identity): keep the loop free.
        result = await asyncio.to_thread(get_token, *plan.scopes)
        if inspect.isawaitable(result):
            result = await result
    token = token_text(result)
    return bearer_headers(token), token


class _HandshakeWatch:
    """What the shared trace hooks learn about one handshake: a failed upgrade's error text."""

    __slots__ = ("error_text",)

    def __init__(self) -> None:
        self.error_text: str | None = None


#: The handshakes in progress, by their session: the trace hooks are shared by every connection
#: (one TraceConfig per process instead of one per connection: ~2.5 KB less per connection).
_WATCHES: dict[int, _HandshakeWatch] = {}
#: No total/read timeout on the session: the handshake is bounded by ``handshake_timeout`` and
#: an open WebSocket by its heartbeat.
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=None, sock_read=None)


class _HandshakeHooks:
    """aiohttp trace hooks installed on every SDK session: refuse redirects, keep error bodies."""

    @staticmethod
    async def on_redirect(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestRedirectParams
    ) -> None:
        # Raised before aiohttp follows the redirect: the target never sees a request.
        response = params.response
        location = response.headers.get("Location") or response.headers.get("URI")
        where = f"Location {safe_url(location)!r}" if location else "no Location header"
        raise _RedirectRefused(
            f"WebSocket redirects are not supported. {describe_target(str(response.url))} answered "
            f"HTTP {response.status} with {where}. The redirect was not followed and no credential "
            "was sent to it; if that address is the right service endpoint, pass it as endpoint=.",
            response.status,
        )

    @staticmethod
    async def on_end(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        response = params.response
        watch = _WATCHES.get(id(session))
        if response.status == 101 or watch is None:
            return
        length = response.content_length
        if length is None or length > _MAX_ERROR_BODY:
            return
        try:
            body = await response.read()
        except Exception:  # the error body is a nicety; the status still tells the story
            return
        watch.error_text = _service_error_text(body)


_TRACE_CONFIG = aiohttp.TraceConfig()
_TRACE_CONFIG.on_request_redirect.append(_HandshakeHooks.on_redirect)
_TRACE_CONFIG.on_request_end.append(_HandshakeHooks.on_end)
_TRACE_CONFIG.freeze()


class _SharedConnector:
    """The SDK's TCP connector for one event loop, shared by that loop's connections.

    Each connection still has its own ``ClientSession`` (the redirect refusal is per handshake);
    sharing the connector saves about 3.5 KB per idle connection. The connector is closed when
    its last connection closes, so nothing outlives the connections that used it.
    """

    __slots__ = ("connector", "users")
    by_loop: dict[asyncio.AbstractEventLoop, _SharedConnector] = {}

    def __init__(self) -> None:
        # limit=0: aiohttp's default of 100 connections per connector would cap the sessions.
        self.connector = aiohttp.TCPConnector(limit=0)
        self.users = 0

    @classmethod
    def acquire(cls) -> aiohttp.TCPConnector:
        loop = asyncio.get_running_loop()
        shared = cls.by_loop.get(loop)
        if shared is None or shared.connector.closed:
            shared = cls.by_loop[loop] = cls()
        shared.users += 1
        return shared.connector

    @classmethod
    async def release(cls, connector: aiohttp.BaseConnector) -> None:
        loop = asyncio.get_running_loop()
        shared = cls.by_loop.get(loop)
        if shared is None or shared.connector is not connector:
            return
        shared.users -= 1
        if shared.users <= 0:
            del cls.by_loop[loop]
            await connector.close()


async def _handshake(
    plan: _Plan, url: str, headers: dict[str, str], secret: str
) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse[bool], aiohttp.BaseConnector | None]:
    """Open the WebSocket: (session, ws, the shared connector to release on close, if any)."""
    watch = _HandshakeWatch()
    shared = _SharedConnector.acquire() if plan.connector is None else None
    # Looked up at call time so tests (and users) can substitute aiohttp.ClientSession.
    session = aiohttp.ClientSession(
        trace_configs=[_TRACE_CONFIG],
        timeout=_NO_TIMEOUT,
        cookie_jar=aiohttp.DummyCookieJar(),  # a WebSocket upgrade needs no cookies (~1 KB less)
        connector=shared or plan.connector,
        connector_owner=False,
        trust_env=plan.trust_env,
    )
    _WATCHES[id(session)] = watch

    async def upgrade() -> aiohttp.ClientWebSocketResponse[bool]:
        return await session.ws_connect(url, headers=headers, **plan.ws_kwargs)

    try:
        if plan.handshake_timeout is None:
            ws = await upgrade()
        else:
            ws = await asyncio.wait_for(upgrade(), plan.handshake_timeout)
    except BaseException as exc:
        # Also on cancellation (including mid-handshake): never leak the session.
        await _close_session(session)
        if shared is not None:
            await _SharedConnector.release(shared)
        error = _handshake_error(exc, plan, url, watch.error_text, secret)
        if error is None or error is exc:
            raise
        raise error from exc
    finally:
        _WATCHES.pop(id(session), None)
    return session, ws, shared


async def _close_session(session: aiohttp.ClientSession) -> None:
    try:
        await session.close()
    except Exception:
        _LOGGER.debug("error closing the aiohttp session", exc_info=True)
