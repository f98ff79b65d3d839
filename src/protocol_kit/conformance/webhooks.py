"""The kit's webhook receiver: records every delivery's raw bytes and can answer 503 or stall on cue."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# How long a stalled answer takes to complete: past the contract's 5 s receiver timeout.
STALL_SECONDS = 6.5
FAIL = "503"
STALL = "stall"


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got, exactly as it arrived."""

    path: str
    headers: dict[str, str]  # lowercase names
    body: bytes
    received_at: float  # time.monotonic()
    answered: str  # what the receiver did: "200", "503", "stall"

    @property
    def event(self) -> dict[str, Any] | None:
        """The parsed body, or None when it is not a JSON object."""
        try:
            parsed = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None
        return parsed if isinstance(parsed, dict) else None

    @property
    def event_id(self) -> Any:
        return (self.event or {}).get("id")

    @property
    def event_type(self) -> Any:
        return (self.event or {}).get("type")

    @property
    def subject(self) -> Any:
        """The id of the object the event is about."""
        payload = (self.event or {}).get("payload")
        return payload.get("id") if isinstance(payload, dict) else None

    def signed_by(self, secret: str, header: str) -> bool:
        """Whether ``header`` is the lowercase hex HMAC-SHA256 of the raw body with ``secret``."""
        expected = hmac.new(secret.encode("utf-8"), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get(header.lower(), ""), expected)


@dataclass(frozen=True)
class WebhookSetup:
    """What the webhooks rules need: the running receiver, the secret, the signature header."""

    receiver: Receiver
    secret: str
    header: str


class Receiver:
    """An HTTP server on its own threads that answers 200 unless told otherwise for an event."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Condition()
        self._deliveries: list[Delivery] = []
        # (subject, event type) -> what to do with its next deliveries, in turn
        self._cues: dict[tuple[str, str], list[str]] = {}
        self._abandoned = False  # the run stopped: nobody waits for deliveries any more
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/webhooks"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def cue(self, subject: str, event_type: str, *actions: str) -> None:
        """Answer the next deliveries of ``event_type`` about ``subject`` with ``actions`` in turn."""
        with self._lock:
            self._cues[(subject, event_type)] = list(actions)

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def abandon(self) -> None:
        """End every wait now and any later one at once (the run is stopping)."""
        with self._lock:
            self._abandoned = True
            self._lock.notify_all()

    def wait_for(self, done: Callable[[list[Delivery]], bool], timeout: float) -> bool:
        """Wait until ``done(deliveries)`` holds; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not done(self._deliveries):
                left = deadline - time.monotonic()
                if left <= 0 or self._abandoned:
                    return False
                self._lock.wait(timeout=min(left, 0.2))
            return True

    def _action(self, body: bytes) -> str:
        probe = Delivery("", {}, body, 0.0, "")
        key = (probe.subject, probe.event_type)
        with self._lock:
            actions = self._cues.get(key) if isinstance(key[0], str) else None
            return actions.pop(0) if actions else "200"

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)
            self._lock.notify_all()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = read_body(self)
            if body is None:
                return
            received = time.monotonic()
            action = receiver._action(body)
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver._record(Delivery(self.path, headers, body, received, action))
            status = 503 if action == FAIL else 200
            try:
                if action == STALL:
                    trickle(self)
                    return
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass  # a stalled answer's sender gave up and hung up: as intended

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the kit reports deliveries itself

    return Handler


def read_body(handler: BaseHTTPRequestHandler) -> bytes | None:
    """A delivery's whole body; None when the sender hung up mid-body (a crash, a timeout):
    nothing was delivered, and the half-received bytes must not count as an event or a bad
    signature."""
    length = int(handler.headers.get("content-length") or 0)
    try:
        body = handler.rfile.read(length)
    except OSError:
        return None
    if len(body) < length:
        handler.close_connection = True
        return None
    return body


def trickle(handler: BaseHTTPRequestHandler) -> None:
    """A 2xx whose status line comes at once but whose body is complete only after
    STALL_SECONDS: it acknowledges nothing, since the whole answer must arrive within 5 s."""
    body = b'{"received": true}'
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(body)))
    handler.end_headers()
    handler.wfile.flush()
    pause = STALL_SECONDS / len(body)
    for byte in body:
        time.sleep(pause)
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
