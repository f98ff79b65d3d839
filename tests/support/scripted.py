"""A tiny HTTP server on loopback that answers as scripted: injected faults for the clients."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# What the scripted server answers once its script has run out.
CONVERSATION = {
    "id": "xgQQXg3hrtjh7AvZ",
    "contact_id": "WAz8eIbvDR60rouK",
    "group_id": None,
    "pinned_message_id": None,
    "is_pinned": False,
    "is_muted": False,
    "last_active_at": 705103200,
    "last_opened_at": 705103200,
    "created_at": 692233200,
    "archived_at": None,
}


def error_body(kind: str, message: str) -> dict[str, str]:
    return {
        "type": kind,
        "message": message,
        "documentation_url": f"https://protocol.chat/docs/errors/{kind}",
    }


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class ScriptedServer:
    """A tiny HTTP server on loopback that answers with the replies it is given, in order.

    Once the script runs out it answers 200 with ``default``. It records every request.
    """

    def __init__(self, default: Any = CONVERSATION) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.requests.append(
                        Recorded(
                            self.command, self.path, dict(self.headers), body, time.monotonic()
                        )
                    )
                    reply = server.replies.pop(0) if server.replies else Reply(200, default)
                if reply.delay:
                    time.sleep(reply.delay)
                if isinstance(reply.body, bytes):  # sent as it is, e.g. a body that is not JSON
                    payload = reply.body
                else:
                    payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if payload:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies = list(replies)
            self.requests = []

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
