"""The fake server's webhook sender: one event at a time, retried on failure, with fault switches."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import string
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from protocol_kit.conformance.delivery_receiver import DeliverySetup
from protocol_kit.conformance.webhooks import Receiver, WebhookSetup

SECRET = "fake-server-webhook-secret"
_TIMEOUT = 5.0
_TRIES = 8
_DRAIN_WAIT = 4.0  # seconds: past the kit's 3 s held answer, within a client's patience
_ALPHANUMERIC = string.ascii_letters + string.digits
_ACKNOWLEDGED, _REFUSED, _UNANSWERED = "acknowledged", "refused", "unanswered"  # a try's outcome


class FakeSender:
    """Sends the events queued by ``emit`` to one endpoint, in order, waiting for each ack."""

    def __init__(self, url: str, secret: str, faults: Callable[[], set[str]]) -> None:
        self.url, self.secret, self._faults = url, secret, faults
        self._queue: queue.SimpleQueue[tuple[int, bytes, str] | None] = queue.SimpleQueue()
        self._generation = 0  # bumped by `reset`: events of an earlier test are dropped
        self._count = 0
        self._pending = 0  # events emitted and not yet done with: what `drain` waits for
        self._idle = threading.Condition()
        self._by_subject: dict[Any, ThreadPoolExecutor] = {}
        self.first_retry = 0.5  # seconds; doubling after each failed try
        self._client = httpx.Client()  # keep-alive: a run sends hundreds of events
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        self._generation += 1

    def stop(self) -> None:
        self._queue.put(None)

    def emit(self, event_type: str, payload: dict[str, Any]) -> None:
        f = self._faults()
        event_id = "a056V7R7NmNRjl70" if "webhook-reused-id" in f else _new_id()
        event = {"id": event_id, "type": event_type, "payload": payload}
        body = json.dumps(event).encode()
        self._count += 1
        if "webhook-before-commit" in f or "webhook-retry-in-background" in f:
            # Sent at once, one conversation's events in order (a retry may go to the
            # background): it leaves before the change is stored, or passes a retried one.
            subject = payload.get("id")
            self._by_subject.setdefault(subject, ThreadPoolExecutor(1)).submit(self._deliver, body)
            return
        if "webhook-unordered" in f:
            # Every other event is held back a little, on a thread of its own.
            delay = 0.4 if self._count % 2 == 0 else 0.0
            threading.Thread(target=self._later, args=(delay, body), daemon=True).start()
            return
        with self._idle:
            self._pending += 1
        self._queue.put((self._generation, body, event_id))

    def drain(self) -> None:
        """Wait until every event emitted so far is acknowledged or given up."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, _DRAIN_WAIT)

    def _later(self, delay: float, body: bytes) -> None:
        time.sleep(delay)
        self._deliver(body)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            generation, body, _ = item
            if generation == self._generation:
                self._deliver(body)
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _deliver(self, body: bytes) -> None:
        f = self._faults()
        generation = self._generation
        tries = 3 if "webhook-three-tries" in f else _TRIES
        refused = False  # the last try was answered, with a status other than 2xx
        for attempt in range(tries):
            if generation != self._generation:
                return
            if refused and "webhook-retry-new-id" in f:
                # A refused event is sent again as a new one (a timed-out try is repeated).
                event = json.loads(body)
                event["id"] = _new_id()
                body = json.dumps(event).encode()
            outcome = self._send(body, f)
            if outcome == _ACKNOWLEDGED:
                return
            refused = outcome == _REFUSED
            if refused and "webhook-no-retry" in f:
                return  # an answer, whatever its status, is taken as delivered
            if "webhook-retry-in-background" in f and attempt == 0:
                # The next events go on while this one is retried: out of order.
                threading.Thread(target=self._retry_later, args=(body,), daemon=True).start()
                return
            time.sleep(self._gap(attempt, f, refused))

    def _gap(self, attempt: int, f: set[str], refused: bool = False) -> float:
        """Seconds after the ``attempt``-th failed try (from 0): doubling from ``first_retry``."""
        if refused and "webhook-retry-slow" in f:
            return 3.0  # a refusal waits out a Retry-After of its own making
        if "webhook-backoff-steep" in f:
            return 0.2 * 10**attempt  # growing tenfold: 0.2 s, then 2 s
        if "webhook-backoff-jump" in f and attempt == 3:
            return self.first_retry * 2**attempt * 6  # one gap six times its predecessor
        return float(min(60, self.first_retry * 2**attempt))

    def _retry_later(self, body: bytes) -> None:
        f = self._faults()
        for attempt in range(1, _TRIES):
            time.sleep(self._gap(attempt - 1, f))
            if self._send(body, f) == _ACKNOWLEDGED:
                return

    def _send(self, body: bytes, f: set[str]) -> str:
        """One try: acknowledged, refused (a whole answer in time, not a 2xx) or unanswered."""
        signed = body
        if "webhook-sign-reserialised" in f:
            signed = json.dumps(json.loads(body), indent=2, sort_keys=True).encode()
        signature = hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        if "webhook-sign-uppercase" in f:
            signature = signature.upper()
        if "webhook-sign-prefixed" in f:
            signature = f"sha256={signature}"
        media = "text/plain" if "webhook-text-plain" in f else "application/json"
        timeout = 30.0 if "webhook-no-timeout" in f else _TIMEOUT
        # The whole answer, body included, must arrive in time: httpx's timeout is per read.
        deadline = time.monotonic() + (30.0 if "webhook-idle-timeout" in f else timeout)
        try:
            with self._client.stream(
                "POST",
                self.url,
                content=body,
                headers={"content-type": media, "x-protocol-signature": signature},
                timeout=timeout,
                follow_redirects="webhook-follow-redirects" in f,
            ) as answer:
                for _ in answer.iter_raw():
                    if time.monotonic() > deadline:
                        return _UNANSWERED
        except httpx.HTTPError:
            return _UNANSWERED
        if time.monotonic() > deadline:
            return _UNANSWERED
        return _ACKNOWLEDGED if answer.is_success else _REFUSED


def _new_id() -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(16))


def webhook_setup(receiver: Receiver) -> WebhookSetup:
    """What the kit's webhook rules need to judge what a fake server sends ``receiver``."""
    return DeliverySetup(receiver, SECRET, "x-protocol-signature")
