"""uvicorn's HTTP/1.1 protocols, hardened: malformed or oversized requests get the API's error shape."""

from __future__ import annotations

import importlib.util
import json
from typing import Any, Literal

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors import error_body

HttpStack = Literal["auto", "httptools", "h11"]
LoopStack = Literal["auto", "uvloop", "asyncio"]

# h11 refuses a request head that arrives in pieces once its buffer passes this; a head that
# arrives in one read is not checked by h11, so `HeaderLimit` applies the same bound to it.
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_COUNT = 100
MAX_TARGET_BYTES = 16 * 1024


class ApiH11Protocol(H11Protocol):
    """H11Protocol whose 400 for malformed HTTP is `{type, message, documentation_url}`, not plain text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = HeaderLimit(self.app)

    def send_400_response(self, msg: str) -> None:
        abandon(self.cycle)
        body = bad_http_body()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ]
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers)))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


def abandon(cycle: Any) -> None:
    """Give up a request whose body turned out malformed, as if its client had gone: its answer
    is never written (the 400 for the bad HTTP is) and, its body never arriving, it writes nothing."""
    if cycle is not None and not cycle.response_complete:
        cycle.disconnected = True
        cycle.message_event.set()


def bad_http_body() -> bytes:
    message = (
        "The request is not valid HTTP/1.1 (request line, header syntax, Host, Content-Length or "
        f"Transfer-Encoding), or its head is larger than {MAX_HEADER_BYTES} bytes."
    )
    return json.dumps(error_body(400, message)).encode("ascii")


class HeaderLimit:
    """414/431 in the error shape for an overlong target or too many or too large headers.

    Also the 400 for an HTTP/1.1 request without Host or an HTTP/0.9 one, which h11 refuses
    itself and llhttp (httptools) lets through.
    """

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
            version = scope.get("http_version")
            if version not in ("1.0", "1.1") or (
                version == "1.1" and not any(name == b"host" for name, _ in headers)
            ):
                await _refuse(send, 400, json.loads(bad_http_body())["message"])
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps(error_body(status, message)).encode("ascii")
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def uvicorn_options(http: HttpStack = "auto", loop: LoopStack = "auto") -> dict[str, Any]:
    """Settings for `uvicorn.Config`/`uvicorn.run` that every way of running the server shares.

    ``auto`` takes the compiled parser (httptools) and event loop (uvloop) where their wheels
    are installed, and the pure-Python h11 and asyncio otherwise (uvloop has no Windows build);
    either protocol answers bad HTTP in the API's error shape, with the same limits.
    """
    if http == "auto":
        http = "httptools" if _installed("httptools") else "h11"
    if loop == "auto":
        loop = "uvloop" if _installed("uvloop") else "asyncio"
    protocol: type[Any] = ApiH11Protocol
    if http == "httptools":
        from .http_llhttp import ApiHttpToolsProtocol

        protocol = ApiHttpToolsProtocol
    return {
        "http": protocol,
        "loop": loop,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }
