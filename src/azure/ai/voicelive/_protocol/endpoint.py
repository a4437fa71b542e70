"""Endpoint and options -> the Voice Live WebSocket URL (sans-I/O: no sockets, no aiohttp).

The URL is the endpoint with ``https`` -> ``wss`` and ``http`` -> ``ws``, its path without a
trailing ``/`` plus ``/voice-live/realtime``, and this query, in order: ``api-version``,
``x-ms-client-sdk``, then ``model`` (when given) and the agent parameters (``agent-name``,
``agent-project-name``, ``agent-version``, ``conversation-id``,
``agent-authentication-identity-client-id``, ``foundry-resource-override``). A caller's
``query=`` mapping overrides any of these (a ``None`` value removes the key) and adds new keys
after them; keys of the endpoint's own query string come last, when not already set.
"""

from __future__ import annotations

import ipaddress
import os
import platform
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, cast
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = [
    "DEFAULT_API_VERSION",
    "REALTIME_PATH",
    "agent_query",
    "build_url",
    "check_clear_text",
    "describe_target",
    "require_model_or_agent",
    "safe_url",
    "user_agent",
    "validate_endpoint",
]

DEFAULT_API_VERSION = "2026-07-15"
REALTIME_PATH = "/voice-live/realtime"
SDK_MONIKER = "voicelive-python"

_SCHEMES = {"https": "wss", "http": "ws", "wss": "wss", "ws": "ws"}
_DEFAULT_PORTS = {"wss": 443, "ws": 80, "https": 443, "http": 80}
_platform_part: str | None = None


def user_agent(version: str) -> str:
    """``voicelive-python/<version> Python/<x.y.z> (<platform>)`` plus ``$AZURE_HTTP_USER_AGENT``.

    The platform part is computed once per process (``platform.platform()`` reads files);
    the environment variable is read on every call so a change takes effect.
    """
    global _platform_part
    if _platform_part is None:
        _platform_part = f"Python/{platform.python_version()} ({platform.platform()})"
    agent = f"{SDK_MONIKER}/{version} {_platform_part}"
    extra = os.environ.get("AZURE_HTTP_USER_AGENT", "").strip()
    return f"{agent} {extra}" if extra else agent


def validate_endpoint(endpoint: object) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``endpoint`` is an absolute http(s)/ws(s) URL."""
    if not isinstance(endpoint, str):
        raise TypeError(
            f"endpoint must be a str such as 'https://<resource>.services.ai.azure.com', "
            f"got {type(endpoint).__name__}"
        )
    try:
        parts = urlsplit(endpoint.strip())
        port = parts.port  # raises ValueError for a malformed port
    except ValueError as exc:
        raise ValueError(f"endpoint {endpoint!r} is not a valid URL: {exc}") from None
    del port
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise ValueError(
            f"endpoint must be an absolute https:// URL such as "
            f"'https://<resource>.services.ai.azure.com', got {safe_url(endpoint)!r}"
        )


_LOOPBACK_NAMES = frozenset(("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an IP literal) is this machine: 127.0.0.0/8, ::1, localhost."""
    host = host.strip("[]").lower().rstrip(".")
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_clear_text(endpoint: str) -> None:
    """Raise ``ValueError`` for an ``http://``/``ws://`` endpoint that is not on this machine.

    A key or token must not cross a network unencrypted (azure-core refuses bearer tokens over
    http the same way); loopback addresses stay allowed, for local fakes and tunnels.
    """
    parts = urlsplit(endpoint)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme in ("http", "ws") and not is_loopback(host):
        secure = "https" if scheme == "http" else "wss"
        raise ValueError(
            f"Refusing to send a credential over unencrypted {scheme}:// to {host!r}: anyone on "
            f"the network could read it. Use a {secure}:// endpoint (the service only listens on "
            "TLS); plain http:// and ws:// are accepted for loopback hosts only (127.0.0.1, ::1, "
            "localhost), such as the bundled fake server."
        )


def require_model_or_agent(
    params: Sequence[tuple[str, str]], query: Mapping[str, Any] | None, endpoint: str = ""
) -> None:
    """Raise ``ValueError`` when neither a model nor an agent names what answers the session.

    The model or agent may come as ``model=`` / ``agent_name=``, in ``query=``, or in the
    endpoint's own query string.
    """
    if params or (query and (query.get("model") or query.get("agent-name"))):
        return
    own = dict(parse_qsl(urlsplit(endpoint).query)) if "?" in endpoint else {}
    if own.get("model") or own.get("agent-name"):
        return
    raise ValueError(
        "connect() needs model= (a deployment such as 'gpt-realtime') or agent_name= with "
        "project_name= (an Azure AI Foundry agent): the service must know what answers the session."
    )


# The official package's wording, which code may match on; ours adds what is missing.
_BOTH_REQUIRED = (
    "Both 'agent_name' and 'project_name' are required when connecting to an Azure AI Foundry agent."
)


def agent_query(
    *,
    model: str | None,
    agent_name: str | None,
    project_name: str | None,
    agent_version: str | None,
    conversation_id: str | None,
    authentication_identity_client_id: str | None,
    foundry_resource_override: str | None,
) -> list[tuple[str, str]]:
    """The model / agent part of the query, in wire order; validates the combination.

    Raises ``ValueError`` when only one of ``agent_name`` / ``project_name`` is given, or when an
    agent option comes without them. ``model`` may accompany an agent (it comes first).
    """
    extras = {
        "agent_version": agent_version,
        "conversation_id": conversation_id,
        "authentication_identity_client_id": authentication_identity_client_id,
        "foundry_resource_override": foundry_resource_override,
    }
    if agent_name is None and project_name is None:
        given = [name for name, value in extras.items() if value is not None]
        if given:
            raise ValueError(
                f"{_BOTH_REQUIRED} {', '.join(given)} only apply to agent sessions: pass agent_name= "
                "and project_name= too."
            )
        return [] if model is None else [("model", _text("model", model))]
    if agent_name is None or project_name is None:
        missing = "agent_name" if agent_name is None else "project_name"
        raise ValueError(
            f"{_BOTH_REQUIRED} Missing {missing}: an agent session names both the agent and its "
            "Foundry project."
        )
    # The official agent overload accepts model= too: it is sent before the agent parameters.
    pairs = [] if model is None else [("model", _text("model", model))]
    pairs += [
        ("agent-name", _text("agent_name", agent_name)),
        ("agent-project-name", _text("project_name", project_name)),
    ]
    for key, name in (
        ("agent-version", "agent_version"),
        ("conversation-id", "conversation_id"),
        ("agent-authentication-identity-client-id", "authentication_identity_client_id"),
        ("foundry-resource-override", "foundry_resource_override"),
    ):
        value = extras[name]
        if value is not None:
            pairs.append((key, _text(name, value)))
    return pairs


def _text(name: str, value: object) -> str:
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _query_values(value: Any) -> list[str]:
    """One query value (or several, for a list) as text; bools are ``true``/``false``."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [text for item in cast("Sequence[object]", value) for text in _query_values(item)]
    return [str(value)]


def build_url(
    endpoint: str,
    *,
    api_version: str,
    client_sdk: str,
    params: Sequence[tuple[str, str]] = (),
    query: Mapping[str, Any] | None = None,
) -> str:
    """The WebSocket URL for ``endpoint`` with the query in wire order (see the module doc)."""
    parts = urlsplit(endpoint.strip())
    scheme = _SCHEMES[parts.scheme.lower()]
    path = parts.path.rstrip("/")
    if not path.endswith(REALTIME_PATH):
        path += REALTIME_PATH
    ordered: dict[str, list[str]] = {"api-version": [api_version], "x-ms-client-sdk": [client_sdk]}
    for key, value in params:
        ordered[key] = [value]
    if query:
        for key, value in query.items():
            key = str(key)
            if value is None:
                ordered.pop(key, None)
            else:
                ordered[key] = _query_values(value)
    if parts.query:
        own: dict[str, list[str]] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            own.setdefault(key, []).append(value)
        for key, values in own.items():
            ordered.setdefault(key, values)
    encoded = "&".join(
        f"{quote(key, safe='')}={quote(value, safe='')}"
        for key, values in ordered.items()
        for value in values
    )
    return urlunsplit((scheme, parts.netloc, path, encoded, ""))


def describe_target(url: str) -> str:
    """``host:port`` of a URL, for error messages (never the query or user info)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return "?"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def safe_url(url: str) -> str:
    """``url`` without user info, query string and fragment (which may carry secrets)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
