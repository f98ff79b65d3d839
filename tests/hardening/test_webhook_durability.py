"""Webhook outbox durability: `kill -9` mid-load loses no event of an acknowledged write, invents none."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from protocol_kit.conformance.webhooks import Receiver
from tests.support.serving import ServeProcess

_WORKERS = 4
_KILL_AFTER = (0.2, 0.9)
_SECRET = "hardening-webhook-secret"
_CONTACT = "WAz8eIbvDR60rouK"
Event = tuple[str, str]  # (type, payload as canonical JSON)


def _event(kind: str, payload: dict[str, Any]) -> Event:
    return (f"conversation.{kind}", json.dumps(payload, sort_keys=True))


@dataclass
class _Worker:
    seed: int
    state: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    acknowledged: set[Event] = field(default_factory=set)
    in_flight: set[Event] = field(default_factory=set)  # what an interrupted write may have sent
    requests: int = 0


def _drive(url: str, token: str, worker: _Worker, stop: threading.Event) -> None:
    rng = random.Random(worker.seed)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            live = [cid for cid, s in worker.state.items() if s is not None]
            roll = rng.random()
            try:
                if not live or roll < 0.4:
                    worker.in_flight = {("conversation.created", "*")}  # any payload may land
                    answer = client.post("/v1/conversations", json={"contact_id": _CONTACT})
                    created = answer.json()
                    worker.state[created["id"]] = created
                    worker.acknowledged.add(_event("created", created))
                elif roll < 0.85:
                    cid = rng.choice(live)
                    before = worker.state[cid]
                    assert before is not None
                    changes = {"is_muted": rng.random() < 0.5, "is_pinned": rng.random() < 0.5}
                    worker.in_flight = {_event("updated", {**before, **changes})}
                    after = client.put(f"/v1/conversations/{cid}", json=changes).json()
                    worker.state[cid] = after
                    if after != before:  # a no-op update sends nothing
                        worker.acknowledged.add(_event("updated", after))
                else:
                    cid = rng.choice(live)
                    before = worker.state[cid]
                    assert before is not None
                    worker.in_flight = {_event("deleted", before)}
                    assert client.delete(f"/v1/conversations/{cid}").status_code == 204
                    worker.state[cid] = None
                    worker.acknowledged.add(_event("deleted", before))
            except httpx.TransportError:
                return  # killed: the request in flight stays unacknowledged
            worker.in_flight = set()
            worker.requests += 1


def _reread(
    url: str, token: str, state: dict[str, dict[str, Any] | None]
) -> dict[str, dict[str, Any] | None]:
    fresh: dict[str, dict[str, Any] | None] = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for cid, known in state.items():
            if known is not None:
                answer = client.get(f"/v1/conversations/{cid}")
                fresh[cid] = answer.json() if answer.status_code == 200 else None
            else:
                fresh[cid] = None
    return fresh


def _delivered(receiver: Receiver) -> set[Event]:
    found = set()
    for delivery in receiver.deliveries():
        assert delivery.signed_by(_SECRET, "x-protocol-signature")
        event = delivery.event
        assert event is not None
        found.add((event["type"], json.dumps(event["payload"], sort_keys=True)))
    return found


def test_no_acknowledged_event_is_lost_and_none_is_invented(
    serve: ServeProcess, tmp_path: Path
) -> None:
    token = serve.tokens[0]
    with Receiver() as receiver:
        config = tmp_path / "webhooks.json"
        config.write_text(json.dumps([{"token": token, "url": receiver.url, "secret": _SECRET}]))
        serve.args = ["--webhooks", str(config)]
        workers: list[_Worker] = []
        may_have_sent: set[Event] = set()
        created_in_flight = 0
        for round_number, kill_after in enumerate(_KILL_AFTER):
            serve.start()
            stop = threading.Event()
            round_workers = [_Worker(seed=round_number * 100 + i) for i in range(_WORKERS)]
            for i, worker in enumerate(round_workers):
                if workers:
                    # An interrupted update or delete landed one way or the other: ask.
                    worker.state = _reread(serve.url, token, workers[i].state)
                    worker.acknowledged |= workers[i].acknowledged
            threads = [
                threading.Thread(target=_drive, args=(serve.url, token, w, stop), daemon=True)
                for w in round_workers
            ]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 20
            while sum(w.requests for w in round_workers) < _WORKERS * 3:
                assert time.monotonic() < deadline, "the load never got going"
                time.sleep(0.01)
            time.sleep(kill_after)
            serve.kill9()
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            workers = round_workers
            for worker in workers:
                may_have_sent |= {e for e in worker.in_flight if e[1] != "*"}
                created_in_flight += any(e[1] == "*" for e in worker.in_flight)
                worker.in_flight = set()

        serve.start()  # the restarted server drains what the killed one left in its outbox
        acknowledged = set().union(*(w.acknowledged for w in workers))
        assert receiver.wait_for(lambda _: acknowledged <= _delivered(receiver), 60), (
            f"lost {len(acknowledged - _delivered(receiver))} acknowledged event(s)"
        )
        time.sleep(1.0)  # anything still on its way would arrive now
        invented = _delivered(receiver) - acknowledged - may_have_sent
        # Only creates that were in flight at a kill may add events nobody was told about.
        assert all(kind == "conversation.created" for kind, _ in invented), invented
        assert len(invented) <= created_in_flight
        assert len(acknowledged) > 30, "too little load for the kill points to prove anything"
