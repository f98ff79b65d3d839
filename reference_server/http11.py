"""uvicorn's HTTP/1.1 protocol, hardened: malformed or oversized requests get the API's error shape."""

from __future__ import annotations

import json
from typing import Any

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors import error_body

# h11 refuses a request head that arrives in pieces once its buffer passes this; a head that
# arrives in one read is not checked by h11, so `_HeaderLimit` applies the same bound to it.
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_COUNT = 100
MAX_TARGET_BYTES = 16 * 1024


class ApiH11Protocol(H11Protocol):
    """H11Protocol whose 400 for malformed HTTP is `{type, message, documentation_url}`, not plain text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = _HeaderLimit(self.app)

    def send_400_response(self, msg: str) -> None:
        message = (
            "The request is not valid HTTP/1.1 (request line, header syntax, Content-Length or "
            f"Transfer-Encoding), or its head is larger than {MAX_HEADER_BYTES} bytes."
        )
        body = json.dumps(error_body(400, message)).encode("ascii")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ]
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers)))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


class _HeaderLimit:
    """414/431 in the error shape for an overlong target or too many or too large headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            target = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b""))
            if target > MAX_TARGET_BYTES:
                await _refuse(
                    send, 414, f"The request target is longer than {MAX_TARGET_BYTES} bytes."
                )
                return
            if len(headers) > MAX_HEADER_COUNT or (
                sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES
            ):
                message = (
                    f"The request headers are too large: at most {MAX_HEADER_COUNT} headers "
                    f"and {MAX_HEADER_BYTES} bytes."
                )
                await _refuse(send, 431, message)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps(error_body(status, message)).encode("ascii")
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def uvicorn_options() -> dict[str, Any]:
    """Settings for `uvicorn.Config`/`uvicorn.run` that every way of running the server shares."""
    return {"http": ApiH11Protocol, "h11_max_incomplete_event_size": MAX_HEADER_BYTES}
