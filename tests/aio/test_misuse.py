"""Misuse that explains itself: clear-text credentials, a missing model, redaction that never garbles."""

from __future__ import annotations

import random
import re
import string

import pytest
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive._protocol.auth import redact
from azure.ai.voicelive._protocol.endpoint import check_clear_text, is_loopback
from azure.ai.voicelive.aio import ConnectionError, connect
from azure.ai.voicelive.testing import FakeVoiceLiveServer

MESSAGES = [
    "Authentication failed (HTTP 401) at 127.0.0.1:8080: check the API key (AzureKeyCredential) or, "
    "for a token credential, that its identity has the 'Cognitive Services User' role.",
    "Not found (HTTP 404): check the endpoint (https://<resource>.services.ai.azure.com) and api_version.",
    "Cannot connect to example.com:443: Connection refused. Check the endpoint, proxy and firewall.",
]


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://example.com",
        "ws://myres.services.ai.azure.com/",
        "http://10.0.0.7:8080",
        "http://[2001:db8::1]",
    ],
)
def test_clear_text_to_a_remote_host_is_refused_before_any_io(endpoint: str) -> None:
    with pytest.raises(
        ValueError, match=r"^Refusing to send a credential over unencrypted (http|ws)://"
    ) as info:
        connect(endpoint=endpoint, credential=AzureKeyCredential("SECRET-KEY-123456"), model="m")
    text = str(info.value)
    assert "SECRET-KEY-123456" not in text
    assert "loopback hosts only" in text


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1:1", "ws://127.8.9.10", "http://localhost:9", "http://[::1]:9", "https://example.com"],
)
def test_tls_or_loopback_is_allowed(endpoint: str) -> None:
    check_clear_text(endpoint)  # no error
    connect(endpoint=endpoint, credential=AzureKeyCredential("k"), model="m")  # no I/O yet


def test_loopback_detection() -> None:
    assert all(
        is_loopback(h) for h in ("127.0.0.1", "127.255.0.1", "::1", "[::1]", "localhost", "LOCALHOST.")
    )
    assert not any(
        is_loopback(h) for h in ("10.0.0.1", "192.168.1.1", "example.com", "localhost.example.com")
    )


def test_connect_without_model_or_agent_fails_before_io() -> None:
    with pytest.raises(ValueError) as info:
        connect(endpoint="https://example.com", credential=AzureKeyCredential("k"))
    assert str(info.value) == (
        "connect() needs model= (a deployment such as 'gpt-realtime') or agent_name= with "
        "project_name= (an Azure AI Foundry agent): the service must know what answers the session."
    )
    # A model in query= or in the endpoint's own query string is enough.
    connect(endpoint="https://example.com", credential=AzureKeyCredential("k"), query={"model": "m"})
    connect(endpoint="https://example.com/?model=m", credential=AzureKeyCredential("k"))
    connect(
        endpoint="https://example.com", credential=AzureKeyCredential("k"), agent_name="a", project_name="p"
    )


@pytest.mark.parametrize("length", range(1, 65))
def test_redaction_never_garbles_messages(length: int) -> None:
    rng = random.Random(length)
    for secret in ("k" * length, "".join(rng.choices(string.ascii_letters + string.digits, k=length))):
        for message in MESSAGES:
            if secret not in message:
                continue
            redacted = redact(message, secret)
            if length >= 12:
                assert secret not in redacted
            else:  # short: only whole-token occurrences go
                words = message.split()
                assert len(redacted.split()) == len(words)
        # Where the secret really occurs, as a token, it is always redacted.
        for template in ("key '{}' was rejected", "{}", "api-key={}&x=1", "({})", "{} and {}"):
            assert redact(template.format(secret, secret), secret) == template.format("***", "***")


def test_redaction_keeps_words_that_contain_a_short_key() -> None:
    assert redact("check the endpoint", "k") == "check the endpoint"
    assert redact("check the endpoint", "e") == "check the endpoint"
    assert redact("the wrong key: 'wrong'", "wrong") == "the *** key: '***'"
    assert redact("wrongly typed", "wrong") == "wrongly typed"
    assert redact("KEY-0123456789abcdef inside xKEY-0123456789abcdefx", "KEY-0123456789abcdef") == (
        "*** inside x***x"
    )


@pytest.mark.parametrize("wrong", ["k", "e", "wrong", "check"])
async def test_wrong_short_key_gives_an_ungarbled_message(wrong: str) -> None:
    async with FakeVoiceLiveServer(api_key="the-right-key-0123456789") as server:
        with pytest.raises(ConnectionError) as info:
            async with connect(endpoint=server.endpoint, credential=AzureKeyCredential(wrong), model="m"):
                pass
    text = str(info.value)
    assert info.value.status_code == 401
    assert text.startswith(f"Authentication failed (HTTP 401) at 127.0.0.1:{server.port}: check the API key")
    ours, _, theirs = text.partition(" Service says: ")
    assert "***" not in ours  # our wording intact; the service's text is redacted where it has the key
    assert not re.search(rf"(?<![A-Za-z0-9]){wrong}(?![A-Za-z0-9])", theirs)


async def test_a_key_echoed_by_the_server_is_redacted() -> None:
    secret = "wrong"
    async with FakeVoiceLiveServer() as server:
        server.inject(
            reject_status=403, reject_body={"error": {"code": "Forbidden", "message": "key wrong denied"}}
        )
        with pytest.raises(ConnectionError) as info:
            async with connect(endpoint=server.endpoint, credential=AzureKeyCredential(secret), model="m"):
                pass
    text = str(info.value)
    assert text.startswith(f"Access denied (HTTP 403) at 127.0.0.1:{server.port}: check the API key")
    assert "key *** denied" in text


# ------------------------------------------------------------------ typos in wire-format mappings
async def test_typos_in_mappings_warn_once_naming_the_closest_field() -> None:
    from azure.ai.voicelive._protocol import hints

    hints._WARNED.clear()  # once per key per process: start from a clean slate
    async with FakeVoiceLiveServer() as server:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            with pytest.warns(UserWarning) as caught:
                await conn.session.update(session={"modalitis": ["text"], "instructions": "Be brief."})
                await conn.session.update(session={"modalitis": ["text"]})  # the same key: no second warning
                await conn.response.create(response={"instuctions": "x", "modalities": ["text"]})
                await conn.conversation.item.create(
                    item={
                        "type": "message",
                        "role": "user",
                        "contnet": [{"type": "input_text", "text": "hi"}],
                    }
                )
                await conn.conversation.item.create(
                    item={"type": "function_call_output", "call_id": "c", "outptu": "1"}
                )
            messages = [str(w.message) for w in caught]
            tail = (
                " It is sent as it is (a preview field works), but the service ignores keys it does not know."
            )
            assert messages == [
                "session={...} has a key no Voice Live field has: 'modalitis'; did you mean 'modalities'?"
                + tail,
                "response={...} has a key no Voice Live field has: 'instuctions'; "
                "did you mean 'instructions'?" + tail,
                "item={...} has a key no Voice Live field has: 'contnet'; did you mean 'content'?" + tail,
                "item={...} has a key no Voice Live field has: 'outptu'; did you mean 'output'?" + tail,
            ]
            assert all(w.filename == __file__ for w in caught)  # points at the caller's line
    # Still sent, as they are (preview fields keep working).
    sent = [e for e in server.received if e["type"] == "session.update"]
    assert sent[0]["session"]["modalitis"] == ["text"]


async def test_known_keys_models_and_preview_free_mappings_do_not_warn() -> None:
    import warnings

    from azure.ai.voicelive.models import RequestSession

    async with FakeVoiceLiveServer() as server:
        async with connect(endpoint=server.endpoint, credential=AzureKeyCredential("k"), model="m") as conn:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                await conn.session.update(
                    session={
                        "modalities": ["text"],
                        "turn_detection": {"type": "server_vad"},
                        "voice": "alloy",
                    }
                )
                await conn.session.update(session=RequestSession(modalities=["text"]))
                await conn.response.create(response={"modalities": ["text"], "instructions": "x"})


# ------------------------------------------------------------------ server errors are never silent
async def test_a_server_error_event_is_logged_at_warning(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.WARNING, logger="azure.ai.voicelive")
    async with FakeVoiceLiveServer(pacing="instant") as server:
        async with connect(
            endpoint=server.endpoint, credential=AzureKeyCredential("SECRET-KEY-0123456789"), model="m"
        ) as conn:
            await conn.input_audio_buffer.append(audio=bytes(480))
            await conn.conversation.item.delete(item_id="no_such_item", event_id="evt_delete_1")
            async for event in conn:
                if event.type == "error":
                    break
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.name.startswith("azure.ai.voicelive")
    text = record.getMessage()
    assert text.startswith("Voice Live error event: code=")
    assert "event_id=evt_delete_1" in text
    assert "no_such_item" in text  # the service's message names the item
    assert "SECRET-KEY" not in caplog.text
    assert "AAAA" not in caplog.text  # no audio payload
