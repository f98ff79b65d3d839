"""The kit's receiver with the answers that test a sender's delivery promises: redirected, held, probed on arrival."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from protocol_kit.conformance.webhooks import (
    FAIL,
    STALL,
    Delivery,
    Receiver,
    WebhookSetup,
    read_body,
    trickle,
)

# A 307 to a URL of the receiver that answers 200: a try that did not acknowledge the event.
REDIRECT = "redirect"
REDIRECTED_PATH = "/webhooks/redirected"
# An answer held this long before a 200: well within 5 s, far longer than a write may take.
HOLD = "hold"
HOLD_SECONDS = 3.0

# Called on each delivery before it is answered (the delivery's effects checked on arrival).
Probe = Callable[[Delivery], None]


@dataclass(frozen=True)
class DeliverySetup(WebhookSetup):
    """The webhooks set-up with the opt-in checks: every try counted (``full``), and a restart
    of the server under test in the middle of the run (``restart``, None: not checked)."""

    full: bool = False
    restart: Callable[[], None] | None = None


class DeliveryReceiver(Receiver):
    """The kit's receiver; on cue it also redirects or holds an answer, and runs the
    probes registered for a payload's contact before answering."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._probes: dict[str, Probe] = {}  # contact_id in the payload -> probe
        self._failing: set[str] = set()  # contact_ids whose events are answered 503 for now
        base = self._server.RequestHandlerClass
        assert isinstance(base, type) and issubclass(base, BaseHTTPRequestHandler)
        self._server.RequestHandlerClass = _handler(self, base)

    def probe(self, contact_id: str, probe: Probe) -> None:
        """Run ``probe`` on every delivery whose payload has ``contact_id``, before answering."""
        with self._lock:
            self._probes[contact_id] = probe

    def fail(self, contact_id: str, failing: bool = True) -> None:
        """Answer 503 to every delivery whose payload has ``contact_id`` until told otherwise."""
        with self._lock:
            if failing:
                self._failing.add(contact_id)
            else:
                self._failing.discard(contact_id)

    def _probe_for(self, delivery: Delivery) -> Probe | None:
        contact = _contact(delivery)
        with self._lock:
            return self._probes.get(contact) if contact is not None else None

    def _failing_now(self, delivery: Delivery) -> bool:
        contact = _contact(delivery)
        with self._lock:
            return contact in self._failing


def _contact(delivery: Delivery) -> str | None:
    payload = (delivery.event or {}).get("payload")
    contact = payload.get("contact_id") if isinstance(payload, dict) else None
    return contact if isinstance(contact, str) else None


def _handler(
    receiver: DeliveryReceiver, base: type[BaseHTTPRequestHandler]
) -> type[BaseHTTPRequestHandler]:
    class Handler(base):  # type: ignore[valid-type,misc]
        def do_POST(self) -> None:
            body = read_body(self)
            if body is None:
                return
            received = time.monotonic()
            # The redirect's target only acknowledges: it has no cues of its own.
            action = "200" if self.path == REDIRECTED_PATH else receiver._action(body)
            headers = {name.lower(): value for name, value in self.headers.items()}
            delivery = Delivery(self.path, headers, body, received, action)
            if receiver._failing_now(delivery):
                delivery = Delivery(self.path, headers, body, received, FAIL)
                action = FAIL
            receiver._record(delivery)
            probe = receiver._probe_for(delivery)
            if probe is not None:
                probe(delivery)
            try:
                self._answer(action)
            except OSError:
                self.close_connection = True  # the sender gave up and hung up: as intended

        def _answer(self, action: str) -> None:
            if action == STALL:
                trickle(self)
                return
            if action == HOLD:
                time.sleep(HOLD_SECONDS)
            if action == REDIRECT:
                self.send_response(307)
                self.send_header("location", REDIRECTED_PATH)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            status = 503 if action == FAIL else 200
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

    return Handler
