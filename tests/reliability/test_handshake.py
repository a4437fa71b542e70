"""Every handshake failure is a ``ConnectionError`` with the HTTP status (when there was one) and a
message that says what to do; the credential never reaches a redirect target.

Against the fake server's ``reject_status`` faults (and its real 401 for a wrong key), plus TLS
failures: ``https`` to a plain-HTTP server, and to a TLS server whose certificate is self-signed.
DNS failures, refused connections and handshake timeouts are covered in ``tests/aio/test_connect.py``.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import ConnectionClosed, ConnectionError, connect
from azure.ai.voicelive.testing import FakeVoiceLiveServer

from .conftest import KEY, MODEL, WAIT, open_fake

MakeFake = Callable[..., Awaitable[FakeVoiceLiveServer]]


async def failed_connect(endpoint: str, *, key: str = KEY, **options: Any) -> ConnectionError:
    """Enter connect(); return the ConnectionError (exactly that class: not a subclass) it raised."""
    with pytest.raises(ConnectionError) as info:
        async with connect(
            endpoint=endpoint,
            credential=AzureKeyCredential(key),
            model=MODEL,
            connection_options=options or None,  # type: ignore[arg-type]
        ):
            pytest.fail("the handshake should have failed")
    exc = info.value
    assert type(exc) is ConnectionError, f"expected ConnectionError, got {type(exc).__name__}"
    assert key not in str(exc) and key not in repr(exc)
    return exc


# ------------------------------------------------------------------ HTTP statuses (fake server faults)
@pytest.mark.parametrize(
    ("status", "retry_after", "hints"),
    [
        (
            401,
            None,
            ["Authentication failed", "HTTP 401", "check the API key", "Injected handshake rejection"],
        ),
        (403, None, ["Access denied", "HTTP 403", "Cognitive Services User"]),
        (404, None, ["Not found", "HTTP 404", "check the endpoint", "api_version"]),
        (429, 7, ["Rate limited", "HTTP 429", "30 new connections per minute", "Retry after 7 s"]),
        (429, None, ["Rate limited", "HTTP 429", "Retry later"]),
        (500, None, ["Service error", "HTTP 500", "retry"]),
        (502, None, ["Service error", "HTTP 502"]),
        (503, 2.5, ["Service error", "HTTP 503", "Retry after 2.5 s"]),
    ],
)
async def test_rejected_handshake_is_a_connection_error_with_status(
    fake: MakeFake, status: int, retry_after: float | None, hints: list[str]
) -> None:
    server = await fake()
    server.inject(reject_status=status, retry_after=retry_after)
    exc = await failed_connect(server.endpoint)
    assert exc.status_code == status
    assert exc.retry_after == retry_after
    assert str(server.port) in str(exc)  # it says where
    for hint in hints:
        assert hint in str(exc)
    assert server.sessions == [] and len(server.requests) == 1  # exactly one request, no retry


async def test_wrong_key_is_401_from_the_real_auth_check(fake: MakeFake) -> None:
    server = await fake()
    exc = await failed_connect(server.endpoint, key="wrong-key-0123456789")
    assert exc.status_code == 401
    assert "Access denied due to invalid subscription key" in str(exc)  # the service's own words
    assert server.requests[0]["status"] == 401 and server.sessions == []


async def test_non_json_error_body_still_gives_status_and_advice(fake: MakeFake) -> None:
    server = await fake()
    server.inject(reject_status=503, reject_body=b"\x00\xff<html>upstream</html>", retry_after=1)
    exc = await failed_connect(server.endpoint)
    assert exc.status_code == 503 and exc.retry_after == 1
    assert "Service error (HTTP 503)" in str(exc)


async def test_handshake_failure_then_success_on_the_same_server(fake: MakeFake) -> None:
    server = await fake()
    server.inject(reject_status=503, retry_after=1)
    await failed_connect(server.endpoint)
    server.inject(reject_status=None)
    async with open_fake(server) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT)).type == "session.created"


# ------------------------------------------------------------------ redirects
@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirect_is_refused_and_the_target_never_sees_the_credential(
    fake: MakeFake, status: int
) -> None:
    target = await fake()
    server = await fake()
    location = f"{target.url}?api-version=2026-07-15&model={MODEL}"
    server.inject(reject_status=status, reject_headers={"Location": location})
    exc = await failed_connect(server.endpoint)
    assert exc.status_code == status
    assert str(exc).startswith("WebSocket redirects are not supported. ")
    assert "no credential was sent" in str(exc)
    assert len(server.requests) == 1
    assert target.requests == [] and target.sessions == []  # not even a request reached it


# ------------------------------------------------------------------ TLS
def _self_signed(directory: Path) -> tuple[Path, Path]:
    crypto = pytest.importorskip("cryptography", reason="the cryptography package makes the test certificate")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[int, Path]]:
    """A TLS WebSocket server with a self-signed certificate: (port, certificate path)."""
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "session.created", "event_id": "tls"})
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        yield int(runner.addresses[0][1]), cert
    finally:
        await runner.cleanup()


async def test_https_to_a_plain_http_server_is_a_tls_connection_error(fake: MakeFake) -> None:
    server = await fake()
    exc = await failed_connect(f"https://127.0.0.1:{server.port}", handshake_timeout=WAIT)
    assert exc.status_code is None
    assert "TLS handshake with 127.0.0.1" in str(exc)
    assert "proxy" in str(exc)  # actionable: what to check
    assert server.sessions == []


async def test_self_signed_certificate_is_a_tls_connection_error(tls_server: tuple[int, Path]) -> None:
    port, _ = tls_server
    exc = await failed_connect(f"https://127.0.0.1:{port}", handshake_timeout=WAIT)
    assert exc.status_code is None
    assert "TLS handshake" in str(exc) and "CERTIFICATE_VERIFY_FAILED" in str(exc)
    assert "vendor_options={'ssl': ...}" in str(exc)


async def test_trusting_the_certificate_connects(tls_server: tuple[int, Path]) -> None:
    # The control for the test above: the same server works once its certificate is trusted.
    port, cert = tls_server
    trusted = ssl.create_default_context(cafile=str(cert))
    async with connect(
        endpoint=f"https://127.0.0.1:{port}",
        credential=AzureKeyCredential(KEY),
        model=MODEL,
        connection_options={"vendor_options": {"ssl": trusted}},
    ) as conn:
        assert (await asyncio.wait_for(conn.recv(), WAIT))["event_id"] == "tls"


async def test_server_closing_during_the_upgrade_is_a_connection_error() -> None:
    """A server that accepts TCP and closes it as soon as the request arrives (no HTTP answer)."""

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        exc = await failed_connect(f"http://127.0.0.1:{port}", handshake_timeout=WAIT)
    finally:
        server.close()
        await server.wait_closed()
    assert not isinstance(exc, ConnectionClosed)
    assert exc.status_code is None
    assert f"127.0.0.1:{port}" in str(exc)
