"""A server that answers every request with the same page: nothing about it is the API."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

PAGE = b"<!doctype html><html><body><h1>It works!</h1><p>Welcome to nginx.</p></body></html>"
# Everything a report must not carry raw: NUL, terminal escapes (colour, window title), bytes that
# are not UTF-8, a bidi override, markup and CDATA ends, a form feed and a carriage return.
HOSTILE = (
    b'{"id": "\x00\x1b[31mred\x1b]0;owned\x07", "\xff\xfe": "\xe2\x80\xae'
    b'reversed</pre><script>alert(1)</script>]]>\x0c\r\x00\x00\x7f\xc2\x85"}'
)


class _Handler(BaseHTTPRequestHandler):
    page = PAGE
    content_type = "text/html"

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True  # not worth parsing: just hang up after answering
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.page)


class GarbageServer:
    def __init__(self, page: bytes = PAGE, content_type: str = "text/html") -> None:
        handler = type("Handler", (_Handler,), {"page": page, "content_type": content_type})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
