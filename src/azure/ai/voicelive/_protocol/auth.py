"""Credential -> handshake headers (sans-I/O: classification, scopes, header merging, redaction).

* ``AzureKeyCredential`` -> ``api-key: <key>``.
* A token credential (anything with ``get_token``; async or sync) ->
  ``Authorization: Bearer <token>`` for ``["https://ai.azure.com/.default"]`` unless
  ``credential_scopes`` says otherwise (a ``str`` means a one-item list).

Acquiring the token is I/O and lives in the ``aio`` layer; everything here is pure.
Secrets never appear in messages: errors name the credential's type, never its value.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from azure.core.credentials import AzureKeyCredential

__all__ = [
    "DEFAULT_SCOPES",
    "SECRET_HEADERS",
    "CredentialKind",
    "bearer_headers",
    "build_headers",
    "classify_credential",
    "key_headers",
    "normalize_scopes",
    "redact",
    "redact_headers",
    "token_text",
]

DEFAULT_SCOPES: tuple[str, ...] = ("https://ai.azure.com/.default",)
#: Header names (lower case) whose values are secrets: never logged, never shown.
SECRET_HEADERS = frozenset(
    ("api-key", "authorization", "proxy-authorization", "cookie", "ocp-apim-subscription-key")
)
_AUTH_HEADERS = frozenset(("api-key", "authorization"))

CredentialKind = Literal["key", "async_token", "sync_token"]


def classify_credential(credential: object) -> CredentialKind:
    """How ``credential`` authenticates; ``TypeError`` (naming only its type) when it cannot."""
    if isinstance(credential, AzureKeyCredential):
        return "key"
    if isinstance(credential, str):
        raise TypeError(
            "credential must be a credential object, not a str: wrap an API key as "
            "azure.core.credentials.AzureKeyCredential(key)"
        )
    get_token = getattr(credential, "get_token", None)
    if get_token is None:
        get_token = getattr(credential, "get_token_info", None)
    if callable(get_token):
        return "async_token" if inspect.iscoroutinefunction(get_token) else "sync_token"
    raise TypeError(
        "credential must be an azure.core.credentials.AzureKeyCredential or a token credential "
        "with get_token() (for example azure.identity.aio.DefaultAzureCredential); "
        f"got {type(credential).__module__}.{type(credential).__qualname__}"
    )


def normalize_scopes(scopes: str | Sequence[str] | None) -> tuple[str, ...]:
    """``None`` -> the default scope; a ``str`` -> a one-item tuple; validates the items."""
    if scopes is None:
        return DEFAULT_SCOPES
    items: tuple[object, ...] = (scopes,) if isinstance(scopes, str) else tuple(scopes)
    if not items:
        raise ValueError("credential_scopes must not be empty; omit it to use https://ai.azure.com/.default")
    for item in items:
        if not isinstance(item, str) or not item:
            raise TypeError(f"credential_scopes must contain non-empty str items, got {item!r}")
    return items  # type: ignore[return-value]


def key_headers(credential: AzureKeyCredential) -> dict[str, str]:
    """``{"api-key": key}``; ``ValueError`` for an empty key."""
    key = credential.key
    if not key:
        raise ValueError("the AzureKeyCredential's key is empty")
    return {"api-key": key}


def token_text(access_token: object) -> str:
    """The token string of a ``get_token()``/``get_token_info()`` result (or a plain str)."""
    token = access_token if isinstance(access_token, str) else getattr(access_token, "token", None)
    if not isinstance(token, str) or not token:
        raise TypeError(
            "the credential's get_token() returned "
            f"{type(access_token).__name__}, expected an AccessToken with a non-empty .token"
        )
    return token


def bearer_headers(token: str) -> dict[str, str]:
    """``{"Authorization": "Bearer <token>"}``."""
    return {"Authorization": f"Bearer {token}"}


def build_headers(
    user_headers: Mapping[str, Any] | None, auth: Mapping[str, str], user_agent: str
) -> dict[str, str]:
    """The handshake headers: the caller's, then the credential's (which replace any caller
    ``api-key``/``Authorization``), then ``User-Agent`` when the caller sent none.

    Names compare case-insensitively; ``None`` values are dropped; other values become text.
    """
    headers: dict[str, str] = {}
    seen: set[str] = set()
    if user_headers:
        for name, value in user_headers.items():
            if value is None:
                continue
            lower = str(name).lower()
            if lower in _AUTH_HEADERS and auth:
                continue
            headers[str(name)] = value if isinstance(value, str) else str(value)
            seen.add(lower)
    headers.update(auth)
    if "user-agent" not in seen:
        headers["User-Agent"] = user_agent
    return headers


def redact_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """A copy safe to log: secret header values replaced by ``***``."""
    return {
        str(name): "***" if str(name).lower() in SECRET_HEADERS else str(value)
        for name, value in headers.items()
    }


#: A secret at least this long is redacted wherever it occurs; a shorter one only where it stands
#: as a whole token, so that a key such as ``"k"`` cannot garble ``check the endpoint``.
_ANYWHERE_LENGTH = 12
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def redact(text: str, secret: str, mask: str = "***") -> str:
    """``text`` with every real occurrence of ``secret`` replaced by ``mask``.

    A secret of 12 characters or more (every real key and token) is replaced wherever it occurs;
    a shorter one only where it stands alone, not inside a longer word or number (``"wrong"``
    in ``key 'wrong' rejected`` is redacted, the ``k`` of ``check`` is not).
    """
    if not secret or secret not in text:
        return text
    if len(secret) >= _ANYWHERE_LENGTH:
        return text.replace(secret, mask)
    out: list[str] = []
    start = 0
    size = len(secret)
    while True:
        at = text.find(secret, start)
        if at < 0:
            break
        before = text[at - 1] if at > 0 else ""
        after = text[at + size] if at + size < len(text) else ""
        if before not in _TOKEN_CHARS and after not in _TOKEN_CHARS:
            out.append(text[start:at])
            out.append(mask)
        else:
            out.append(text[start : at + size])
        start = at + size
    out.append(text[start:])
    return "".join(out)
