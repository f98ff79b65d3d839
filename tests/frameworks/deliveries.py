"""Webhook delivery for the Python framework fixtures: signed events, each conversation's in
order, each retried until a complete 2xx answer arrives within 5 seconds."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Late
from typing import Any

from tests.frameworks.conversations import new_id

ANSWER_SECONDS = 5.0
FIRST_GAP, MAX_GAP, TRIES = 1.0, 60.0, 10
SIGNATURE = "x-protocol-signature"


class Deliverer:
    """Sends one account's events to its endpoint: a queue per conversation, one try at a time."""

    def __init__(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret
        self._queues: dict[str, queue.Queue[bytes]] = {}
        self._lock = threading.Lock()
        # A try's answer is awaited here, so that a try can end at its deadline.
        self._posts = ThreadPoolExecutor(max_workers=32)

    def emit(self, event_type: str, conversation: dict[str, Any]) -> None:
        body = json.dumps({"id": new_id(), "type": event_type, "payload": conversation}).encode()
        with self._lock:
            pending = self._queues.get(conversation["id"])
            if pending is None:
                pending = self._queues[conversation["id"]] = queue.Queue()
                threading.Thread(
                    target=self._drain, args=(conversation["id"],), daemon=True
                ).start()
            pending.put(body)

    def _drain(self, subject: str) -> None:
        while True:
            with self._lock:
                pending = self._queues[subject]
                if pending.empty():
                    del self._queues[subject]
                    return
                body = pending.get()
            self._deliver(body)

    def _deliver(self, body: bytes) -> None:
        gap = FIRST_GAP
        for _ in range(TRIES):
            if self._try(body):
                return
            time.sleep(gap)  # measured from the end of the failed try
            gap = min(2 * gap, MAX_GAP)

    def _try(self, body: bytes) -> bool:
        answer = self._posts.submit(self._post, body)
        try:
            return answer.result(timeout=ANSWER_SECONDS)
        except Late:
            return False

    def _post(self, body: bytes) -> bool:
        signature = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", SIGNATURE: signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=ANSWER_SECONDS) as response:
                response.read()  # the whole answer, body included
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError):
            return False
