"""Exceptions of the Voice Live client (re-exported by `azure.ai.voicelive.aio`)."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import AzureError

__all__ = ["ConnectionClosed", "ConnectionError", "InvalidFrameError"]


class ConnectionError(AzureError):
    """The WebSocket connection could not be opened, or failed while in use.

    ``status_code`` is the HTTP status of a failed handshake (``None`` when there was no HTTP
    response, e.g. DNS failure, refused connection or timeout); ``retry_after`` is the
    server's ``Retry-After`` in seconds when it sent one (429/503). Messages never contain
    credentials.
    """

    def __init__(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.status_code: int | None = kwargs.pop("status_code", None)
        self.retry_after: float | None = kwargs.pop("retry_after", None)
        super().__init__(message, *args, **kwargs)


class ConnectionClosed(ConnectionError):
    """The WebSocket connection was closed by the peer or the network, not by this client.

    ``code`` is the WebSocket close code (1006 when the connection dropped without a close
    frame) and ``reason`` the close reason the server sent.
    """

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"WebSocket connection closed with code {code}: {reason}")


class InvalidFrameError(ConnectionError):
    """The server sent a frame that is not a JSON object (malformed JSON, an array, binary...).

    The connection stays usable: the next ``recv()`` continues with the next frame.
    ``frame`` holds the start of the offending frame (at most 200 characters).
    """

    def __init__(self, message: str, *, frame: str | bytes | bytearray = "") -> None:
        self.frame = frame
        super().__init__(message)
