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
from typing import Any

import httpx

from protocol_kit.conformance.webhooks import Receiver, WebhookSetup

SECRET = "fake-server-webhook-secret"
_TIMEOUT = 5.0
_TRIES = 8
_ALPHANUMERIC = string.ascii_letters + string.digits


class FakeSender:
    """Sends the events queued by ``emit`` to one endpoint, in order, waiting for each ack."""

    def __init__(self, url: str, secret: str, faults: Callable[[], set[str]]) -> None:
        self.url, self.secret, self._faults = url, secret, faults
        self._queue: queue.SimpleQueue[tuple[int, bytes, str] | None] = queue.SimpleQueue()
        self._generation = 0  # bumped by `reset`: events of an earlier test are dropped
        self._count = 0
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
        if "webhook-unordered" in f:
            # Every other event is held back a little, on a thread of its own.
            delay = 0.4 if self._count % 2 == 0 else 0.0
            threading.Thread(target=self._later, args=(delay, body), daemon=True).start()
            return
        self._queue.put((self._generation, body, event_id))

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

    def _deliver(self, body: bytes) -> None:
        f = self._faults()
        generation = self._generation
        for attempt in range(_TRIES):
            if generation != self._generation:
                return
            if attempt and "webhook-retry-new-id" in f:
                event = json.loads(body)
                event["id"] = _new_id()
                body = json.dumps(event).encode()
            if self._send(body, f):
                return
            if "webhook-no-retry" in f:
                return
            time.sleep(_gap(attempt, f))

    def _send(self, body: bytes, f: set[str]) -> bool:
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
        deadline = time.monotonic() + timeout
        try:
            with self._client.stream(
                "POST",
                self.url,
                content=body,
                headers={"content-type": media, "x-protocol-signature": signature},
                timeout=timeout,
            ) as answer:
                for _ in answer.iter_bytes():
                    if time.monotonic() > deadline:
                        return False
        except httpx.HTTPError:
            return False
        return answer.is_success and time.monotonic() <= deadline


def _gap(attempt: int, f: set[str]) -> float:
    """Seconds after the ``attempt``-th failed try (from 0): doubling from half a second."""
    if "webhook-retry-slow" in f:
        return 3.0
    if "webhook-backoff-steep" in f:
        return 0.2 * 10**attempt  # growing tenfold: 0.2 s, then 2 s
    return min(60, 0.5 * 2**attempt)


def _new_id() -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(16))


def webhook_setup(receiver: Receiver) -> WebhookSetup:
    """What the kit's webhook rules need to judge what a fake server sends ``receiver``."""
    return WebhookSetup(receiver, SECRET, "x-protocol-signature")
