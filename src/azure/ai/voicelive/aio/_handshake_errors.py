"""Handshake failures -> the `ConnectionError` that says what happened and what to do.

Sans-I/O apart from reading aiohttp's exception types: every function maps an exception (or an
HTTP status with its headers and error body) to a message; secrets are redacted only where they
really occur in text that came from outside.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiohttp

from .._exceptions import ConnectionError
from .._protocol.auth import redact, redact_headers
from .._protocol.endpoint import describe_target, safe_url

if TYPE_CHECKING:
    from ..models._base import _Json
    from ._connect import _Plan

__all__ = ["_RedirectRefused", "_handshake_error", "_retry_after", "_service_error_text"]


class _RedirectRefused(aiohttp.ClientError):
    """Raised inside aiohttp by the redirect hook; becomes the ``ConnectionError`` it causes."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _service_error_text(body: bytes) -> str | None:
    """``code: message`` from a JSON error body (``{"error": {"code", "message"}}``), else None."""
    try:
        data: _Json = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    error: _Json = data.get("error", data)
    if isinstance(error, str):
        return error[:500]
    if not isinstance(error, dict):
        return None
    code, message = error.get("code"), error.get("message")
    if not message and not code:
        return None
    text = f"{code}: {message}" if code and message else str(message or code)
    return text[:500]


def _handshake_error(
    exc: BaseException, plan: _Plan, url: str, error_text: str | None, secret: str
) -> ConnectionError | None:
    """The ConnectionError for a failed handshake, or None to let ``exc`` propagate as it is."""
    if isinstance(exc, ConnectionError):
        return exc
    if isinstance(exc, _RedirectRefused):  # chained, as upstream: __cause__ is an aiohttp.ClientError
        return ConnectionError(str(exc), status_code=exc.status)
    target = describe_target(url)
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        _redact_request_info(exc)
        return _status_error(exc, plan, target, error_text, secret)
    if isinstance(exc, asyncio.TimeoutError):
        after = f" after {plan.handshake_timeout:g} s" if plan.handshake_timeout is not None else ""
        return ConnectionError(
            f"Timed out{after} opening the WebSocket to {target} (connection_options"
            "['handshake_timeout']); check the endpoint and that outbound WebSocket traffic "
            "(wss, port 443) is allowed, or allow more time."
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        host_port = f"{exc.host}:{exc.port}" if exc.port else str(exc.host)
        # Class first: before aiohttp 3.14 a certificate error has no ``os_error`` (reading it
        # raises AttributeError); it carries ``certificate_error`` instead.
        if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
            cause: object = getattr(exc, "certificate_error", None) or getattr(exc, "_os_error", None) or exc
            return ConnectionError(
                f"TLS handshake with {host_port} failed ({_scrub(str(cause), secret)}); check the "
                "endpoint and any TLS-inspecting proxy (vendor_options={'ssl': ...})."
            )
        os_error = exc.os_error
        if isinstance(os_error, socket.gaierror):
            return ConnectionError(
                f"Cannot resolve host {exc.host!r} for {host_port} (DNS lookup failed: "
                f"{os_error.strerror or os_error}); check the endpoint's host name and your network."
            )
        reason = os_error.strerror or str(os_error) or type(os_error).__name__
        return ConnectionError(
            f"Cannot connect to {host_port}: {reason}. Check the endpoint, proxy and firewall."
        )
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        detail = _scrub(str(exc).replace(url, safe_url(url)), secret)
        return ConnectionError(
            f"WebSocket handshake with {target} failed: {type(exc).__name__}"
            + (f": {detail}" if detail else "")
        )
    return None


def _status_error(
    exc: aiohttp.WSServerHandshakeError, plan: _Plan, target: str, error_text: str | None, secret: str
) -> ConnectionError:
    status = exc.status
    headers: Mapping[str, str] = exc.headers or {}
    retry_after = _retry_after(headers)
    wait = f" Retry after {retry_after:g} s." if retry_after is not None else ""
    if status == 401 or status == 403:
        what = "Authentication failed" if status == 401 else "Access denied"
        message = (
            f"{what} (HTTP {status}) at {target}: check the API key (AzureKeyCredential) or, for a "
            "token credential, that its identity has the 'Cognitive Services User' role on the "
            "resource and that credential_scopes fits the endpoint."
        )
    elif status == 404:
        message = (
            f"Not found (HTTP 404) at {target}: check the endpoint "
            "(https://<resource>.services.ai.azure.com) and api_version "
            f"{plan.api_version!r}, and the model or agent name."
        )
    elif status == 429:
        message = (
            f"Rate limited (HTTP 429) by {target}: the service allows 30 new connections per "
            f"minute per resource.{wait or ' Retry later.'}"
        )
    elif 500 <= status <= 599:
        message = (
            f"Service error (HTTP {status}) at {target}: the service could not open the session; retry.{wait}"
        )
    elif status == 400:
        message = (
            f"Bad request (HTTP 400) at {target}: check the api_version, the model or agent "
            "parameters and the query."
        )
    elif status in (301, 302, 303, 307, 308):
        message = f"WebSocket redirects are not supported. {target} answered HTTP {status}."
    elif status == 101:
        message = f"Invalid WebSocket handshake from {target}: {_scrub(exc.message, secret)}."
    else:
        message = (
            f"WebSocket handshake rejected by {target} with HTTP {status}; is the endpoint a "
            "Voice Live resource?"
        )
    # Only what came from outside is redacted: our own wording never contains the secret, and a
    # short key (``"check"``) must not blank out words of it.
    if error_text:
        message += f" Service says: {_scrub(error_text, secret)}"
    request_id = (
        headers.get("x-ms-request-id") or headers.get("apim-request-id") or headers.get("x-request-id")
    )
    if request_id:
        message += f" (request id {_scrub(request_id, secret)})"
    return ConnectionError(message, status_code=status, retry_after=retry_after)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms`` / ``x-ms-retry-after-ms`` / ``Retry-After`` (seconds or HTTP date)."""
    for name, scale in (("retry-after-ms", 1000.0), ("x-ms-retry-after-ms", 1000.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) / scale)
            except ValueError:
                pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, round((when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))


def _redact_request_info(exc: aiohttp.ClientResponseError) -> None:
    """Replace the chained aiohttp error's request headers by a redacted copy (no key/token kept)."""
    try:
        from multidict import CIMultiDict, CIMultiDictProxy

        info = exc.request_info
        redacted = CIMultiDictProxy(CIMultiDict(redact_headers(info.headers)))
        exc.request_info = type(info)(info.url, info.method, redacted, info.real_url)
        # ClientResponseError keeps its own reference in args: (request_info, history).
        exc.args = (exc.request_info, *exc.args[1:])
    except Exception:  # pragma: no cover - defensive: aiohttp internals differ across versions
        pass


def _scrub(text: str, secret: str) -> str:
    return redact(text, secret)
