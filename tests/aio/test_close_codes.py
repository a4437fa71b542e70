"""Close codes at the edges: a close frame without a status code, and codes a client may not send."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator

import pytest
from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive.aio import ConnectionClosed, connect

from .conftest import WAIT, ScriptedServer

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@pytest.fixture
async def bare_close_server() -> AsyncIterator[str]:
    """A raw WebSocket server that accepts the upgrade, then sends a close frame with no payload
    (no status code, which RFC 6455 reports as 1005), then waits for the client's close."""

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + _GUID.encode()).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        writer.write(b"\x88\x00")  # FIN + close opcode, empty payload: no status code
        await writer.drain()
        try:
            await asyncio.wait_for(reader.read(64), WAIT)  # the client's close
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_close_frame_without_a_status_code_is_1005(bare_close_server: str) -> None:
    async with connect(endpoint=bare_close_server, credential=AzureKeyCredential("k"), model="m") as conn:
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(conn.recv(), WAIT)
        assert info.value.code == 1005
        assert conn.close_code == 1005
        with pytest.raises(ConnectionClosed) as again:  # and on every later call
            await conn.recv()
        assert again.value.code == 1005


@pytest.mark.parametrize("code", [1004, 1005, 1006, 1015, 999, 1016, 2999, 5000])
async def test_close_refuses_codes_a_client_may_not_send(server: ScriptedServer, code: int) -> None:
    async with connect(endpoint=server.url, credential=AzureKeyCredential("k"), model="m") as conn:
        with pytest.raises(ValueError, match=f"close code {code} cannot be sent"):
            await conn.close(code=code)
        assert not conn.closed


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1014, 3000, 4999])
async def test_close_sends_the_codes_a_client_may_send(server: ScriptedServer, code: int) -> None:
    async with connect(endpoint=server.url, credential=AzureKeyCredential("k"), model="m") as conn:
        await conn.close(code=code)
        assert conn.closed
        assert conn.close_code == code
    [server_ws] = server.server_ws
    for _ in range(200):
        if server_ws.closed:
            break
        await asyncio.sleep(0.01)
    assert server_ws.close_code == code
