"""Concurrent writers that remember what the API acknowledged: the conversations, their last
acknowledged state, and the events each acknowledged write must send, in write order."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from protocol_kit.conformance.webhooks import Delivery

_CONTACT = "WAz8eIbvDR60rouK"
Event = tuple[str, str]  # (type, payload as canonical JSON)


def event_of(kind: str, payload: dict[str, Any]) -> Event:
    return (f"conversation.{kind}", json.dumps(payload, sort_keys=True))


def delivered(delivery: Delivery) -> Event | None:
    event = delivery.event
    if event is None or not isinstance(event.get("payload"), dict):
        return None
    return (str(event.get("type")), json.dumps(event["payload"], sort_keys=True))


@dataclass
class Writer:
    """One writer's record. A conversation whose update went unanswered is written no more:
    its stored state may be the last acknowledged one or the one attempted (``unsure``)."""

    seed: int
    created: list[str] = field(default_factory=list)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    unsure: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)  # by conversation, in order
    statuses: Counter[str] = field(default_factory=Counter)
    answers: list[tuple[float, int, httpx.Headers, bytes]] = field(default_factory=list)

    def drive(self, url: str, token: str, stop: threading.Event) -> None:
        """Create and update conversations at ``url`` until ``stop``."""
        rng = random.Random(self.seed)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=15) as client:
            while not stop.is_set():
                writable = [cid for cid in self.state if cid not in self.unsure]
                if not writable or rng.random() < 0.4:
                    self._create(client)
                else:
                    cid = rng.choice(writable)
                    self._update(client, cid, rng.random() < 0.5, rng.random() < 0.5)

    def _send(
        self, client: httpx.Client, method: str, path: str, body: Any
    ) -> httpx.Response | None:
        try:
            answer = client.request(method, path, json=body)
        except httpx.TransportError:
            self.statuses["no answer"] += 1
            time.sleep(0.05)
            return None
        self.statuses[str(answer.status_code)] += 1
        self.answers.append((time.monotonic(), answer.status_code, answer.headers, answer.content))
        if answer.status_code >= 500:
            time.sleep(0.05)
        return answer

    def _create(self, client: httpx.Client) -> None:
        answer = self._send(client, "POST", "/v1/conversations", {"contact_id": _CONTACT})
        if answer is not None and answer.status_code == 201:
            made = answer.json()
            self.created.append(made["id"])
            self.state[made["id"]] = made
            self.events[made["id"]] = [event_of("created", made)]

    def _update(self, client: httpx.Client, cid: str, muted: bool, pinned: bool) -> None:
        before = self.state[cid]
        changes = {"is_muted": muted, "is_pinned": pinned}
        answer = self._send(client, "PUT", f"/v1/conversations/{cid}", changes)
        if answer is None or answer.status_code != 200:
            self.unsure[cid] = {**before, **changes}
            return
        after = answer.json()
        self.state[cid] = after
        if after != before:  # a no-op update sends nothing
            self.events[cid].append(event_of("updated", after))


def run_writers(
    url: str, token: str, count: int, stop: threading.Event, seed: int = 0
) -> tuple[list[Writer], list[threading.Thread]]:
    """Start ``count`` writers on threads of their own."""
    writers = [Writer(seed * 100 + i) for i in range(count)]
    threads = [
        threading.Thread(target=w.drive, args=(url, token, stop), daemon=True) for w in writers
    ]
    for thread in threads:
        thread.start()
    return writers, threads
