"""Sans-I/O tests of the URL builder and the credential helpers (no sockets)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure.core.credentials import AccessToken, AzureKeyCredential

from azure.ai.voicelive._protocol.auth import (
    DEFAULT_SCOPES,
    bearer_headers,
    build_headers,
    classify_credential,
    key_headers,
    normalize_scopes,
    redact_headers,
    token_text,
)
from azure.ai.voicelive._protocol.endpoint import (
    agent_query,
    build_url,
    describe_target,
    safe_url,
    user_agent,
    validate_endpoint,
)

NO_AGENT: dict[str, Any] = dict(
    agent_name=None,
    project_name=None,
    agent_version=None,
    conversation_id=None,
    authentication_identity_client_id=None,
    foundry_resource_override=None,
)


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("https://res.services.ai.azure.com", "wss://res.services.ai.azure.com/voice-live/realtime"),
        (
            "https://res.cognitiveservices.azure.com/",
            "wss://res.cognitiveservices.azure.com/voice-live/realtime",
        ),
        ("http://127.0.0.1:8080", "ws://127.0.0.1:8080/voice-live/realtime"),
        (
            "wss://eastus.api.cognitive.microsoft.com/base/",
            "wss://eastus.api.cognitive.microsoft.com/base/voice-live/realtime",
        ),
        (
            "https://res.services.ai.azure.com/voice-live/realtime",
            "wss://res.services.ai.azure.com/voice-live/realtime",
        ),
        ("HTTPS://Res.services.ai.azure.com", "wss://Res.services.ai.azure.com/voice-live/realtime"),
    ],
)
def test_url_scheme_and_path(endpoint: str, expected: str) -> None:
    url = build_url(endpoint, api_version="v1", client_sdk="sdk")
    assert url.split("?")[0] == expected


def test_query_order_model_then_user_overrides_then_endpoint_query() -> None:
    url = build_url(
        "https://res.services.ai.azure.com/?keep=1&api-version=ignored",
        api_version="2026-07-15",
        client_sdk="voicelive-python/1 Python/3 (x y)",
        params=agent_query(model="gpt-4o", **NO_AGENT),
        query={"model": "override", "extra": True, "n": 3, "multi": ["a", "b"]},
    )
    assert query_of(url) == [
        ("api-version", "2026-07-15"),
        ("x-ms-client-sdk", "voicelive-python/1 Python/3 (x y)"),
        ("model", "override"),
        ("extra", "true"),
        ("n", "3"),
        ("multi", "a"),
        ("multi", "b"),
        ("keep", "1"),
    ]
    assert " " not in url and "+" not in url  # spaces are percent-encoded


def test_user_query_none_removes_a_key() -> None:
    url = build_url("https://x.example", api_version="v", client_sdk="s", query={"x-ms-client-sdk": None})
    assert query_of(url) == [("api-version", "v")]


def test_agent_query_order() -> None:
    params = agent_query(
        model=None,
        agent_name="bot",
        project_name="proj",
        agent_version="3",
        conversation_id="c1",
        authentication_identity_client_id="cid",
        foundry_resource_override="other",
    )
    assert params == [
        ("agent-name", "bot"),
        ("agent-project-name", "proj"),
        ("agent-version", "3"),
        ("conversation-id", "c1"),
        ("agent-authentication-identity-client-id", "cid"),
        ("foundry-resource-override", "other"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"agent_name": "a"}, "Missing project_name"),
        ({"project_name": "p"}, "Missing agent_name"),
        ({"agent_version": "1"}, "only apply to agent sessions"),
        ({"agent_name": "", "project_name": "p"}, "must not be empty"),
    ],
)
def test_agent_query_validation(kwargs: dict[str, Any], message: str) -> None:
    args = {**NO_AGENT, "model": None, **kwargs}
    with pytest.raises(ValueError, match=message):
        agent_query(**args)


@pytest.mark.parametrize(
    "endpoint", ["res.services.ai.azure.com", "ftp://x", "https://", "https://h:notaport"]
)
def test_invalid_endpoint(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        validate_endpoint(endpoint)


def test_endpoint_must_be_str() -> None:
    with pytest.raises(TypeError, match="endpoint must be a str"):
        validate_endpoint(None)


def test_user_agent_format_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_HTTP_USER_AGENT", raising=False)
    agent = user_agent("9.9.9")
    assert re.fullmatch(r"voicelive-python/9\.9\.9 Python/\d+\.\d+\.\d+\S* \(.+\)", agent), agent
    monkeypatch.setenv("AZURE_HTTP_USER_AGENT", "myapp/2.0")
    assert user_agent("9.9.9") == agent + " myapp/2.0"


def test_describe_target_and_safe_url() -> None:
    assert describe_target("wss://h.example/x?api-key=s") == "h.example:443"
    assert describe_target("ws://127.0.0.1:81/x") == "127.0.0.1:81"
    assert describe_target("ws://[::1]:81/x") == "[::1]:81"
    assert safe_url("https://user:pw@h.example/p?sig=SECRET#f") == "https://h.example/p"


# ---------------------------------------------------------------- auth
class AsyncCred:
    async def get_token(self, *scopes: str) -> AccessToken:
        return AccessToken("t", 0)


class SyncCred:
    def get_token(self, *scopes: str) -> AccessToken:
        return AccessToken("t", 0)


class TokenInfoOnly:
    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessToken:
        return AccessToken("t", 0)


def test_classify_credential() -> None:
    assert classify_credential(AzureKeyCredential("k")) == "key"
    assert classify_credential(AsyncCred()) == "async_token"
    assert classify_credential(SyncCred()) == "sync_token"
    assert classify_credential(TokenInfoOnly()) == "async_token"


def test_unknown_credential_names_type_not_value() -> None:
    with pytest.raises(TypeError, match="AzureKeyCredential") as info:
        classify_credential(object())
    assert "builtins.object" in str(info.value)
    with pytest.raises(TypeError, match=r"AzureKeyCredential\(key\)") as info:
        classify_credential("my-secret-key-value")
    assert "my-secret-key-value" not in str(info.value)


def test_scopes() -> None:
    assert normalize_scopes(None) == DEFAULT_SCOPES == ("https://ai.azure.com/.default",)
    assert normalize_scopes("https://x/.default") == ("https://x/.default",)
    assert normalize_scopes(["a", "b"]) == ("a", "b")
    with pytest.raises(ValueError, match="must not be empty"):
        normalize_scopes([])
    with pytest.raises(TypeError):
        normalize_scopes([1])  # type: ignore[list-item]


def test_key_and_bearer_headers() -> None:
    assert key_headers(AzureKeyCredential("K")) == {"api-key": "K"}
    assert bearer_headers("T") == {"Authorization": "Bearer T"}
    assert token_text(AccessToken("T", 0)) == "T"
    assert token_text("T") == "T"
    with pytest.raises(TypeError, match="AccessToken"):
        token_text(None)


def test_build_headers_user_agent_rules() -> None:
    merged = build_headers({"X-Custom": 1, "Skip": None}, {"api-key": "K"}, "ua/1")
    assert merged == {"X-Custom": "1", "api-key": "K", "User-Agent": "ua/1"}
    # The caller's User-Agent (any case) replaces ours.
    assert build_headers({"user-agent": "mine"}, {"api-key": "K"}, "ua/1") == {
        "user-agent": "mine",
        "api-key": "K",
    }
    # The credential's header wins over a caller's auth header of the same name.
    merged = build_headers(
        {"AUTHORIZATION": "Basic x", "Api-Key": "old"}, {"Authorization": "Bearer T"}, "ua"
    )
    assert merged == {"Authorization": "Bearer T", "User-Agent": "ua"}


def test_redact_headers() -> None:
    redacted = redact_headers({"api-key": "K", "Authorization": "Bearer T", "User-Agent": "ua"})
    assert redacted == {"api-key": "***", "Authorization": "***", "User-Agent": "ua"}


def test_model_accompanies_an_agent_first() -> None:
    # The official agent overload of connect() accepts model= as well: it goes before the agent.
    args = {**NO_AGENT, "model": "gpt-4o", "agent_name": "a", "project_name": "p", "agent_version": "2"}
    assert agent_query(**args) == [
        ("model", "gpt-4o"),
        ("agent-name", "a"),
        ("agent-project-name", "p"),
        ("agent-version", "2"),
    ]
