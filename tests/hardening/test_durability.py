"""Durability: `kill -9` the server mid-load; after a restart every acknowledged write is there, intact."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from protocol_kit.server.storage import FIELDS
from tests.support.serving import ServeProcess

_WORKERS = 8
_KILL_AFTER = (0.1, 0.6, 1.3)  # seconds into the load: several different kill points
_CONTACT = "WAz8eIbvDR60rouK"


@dataclass
class _Worker:
    """One client thread's view: what the server acknowledged, and the one request in flight."""

    seed: int
    acked: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # None: deleted
    # (conversation id or None for a create, what the store holds if it committed)
    in_flight: tuple[str | None, dict[str, Any] | None] | None = None
    creates_in_flight: int = 0
    requests: int = 0


def _random_update(rng: random.Random) -> dict[str, Any]:
    candidates: dict[str, Any] = {
        "is_pinned": rng.choice([True, False]),
        "is_muted": rng.choice([True, False]),
        "archived_at": rng.choice([None, rng.randrange(0, 2**40)]),
        "pinned_message_id": rng.choice([None, "".join(rng.choices("abcXYZ0189", k=16))]),
    }
    chosen = rng.sample(sorted(candidates), rng.randint(1, len(candidates)))
    return {name: candidates[name] for name in chosen}


def _drive(url: str, token: str, worker: _Worker, stop: threading.Event) -> None:
    """Creates, updates and deletes on this worker's own conversations until the server dies."""
    rng = random.Random(worker.seed)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10.0) as client:
        while not stop.is_set():
            live = [cid for cid, state in worker.acked.items() if state is not None]
            roll = rng.random()
            try:
                if not live or roll < 0.4:
                    body = (
                        {"contact_id": _CONTACT}
                        if rng.random() < 0.5
                        else {"group_id": "8Kw2bQqN1mTz7XcV"}
                    )
                    worker.in_flight = (None, None)
                    answer = client.post("/v1/conversations", json=body)
                    assert answer.status_code == 201, answer.text
                    created = answer.json()
                    worker.acked[created["id"]] = created
                elif roll < 0.9:
                    cid = rng.choice(live)
                    changes = _random_update(rng)
                    worker.in_flight = (cid, {**worker.acked[cid], **changes})  # type: ignore[dict-item]
                    answer = client.put(f"/v1/conversations/{cid}", json=changes)
                    assert answer.status_code == 200, answer.text
                    assert answer.json() == worker.in_flight[1]
                    worker.acked[cid] = answer.json()
                else:
                    cid = rng.choice(live)
                    worker.in_flight = (cid, None)
                    answer = client.delete(f"/v1/conversations/{cid}")
                    assert answer.status_code == 204, answer.text
                    worker.acked[cid] = None
            except httpx.TransportError:
                return  # the server was killed: this request stays unacknowledged
            worker.in_flight = None
            worker.requests += 1


def _stored(db_path: str) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute(f"SELECT {', '.join(FIELDS)} FROM conversations").fetchall()
    stored = {}
    for row in rows:
        item = dict(zip(FIELDS, row, strict=True))
        item["is_pinned"], item["is_muted"] = bool(item["is_pinned"]), bool(item["is_muted"])
        stored[item["id"]] = item
    return stored


def test_every_acknowledged_write_survives_kill_9(serve: ServeProcess) -> None:
    token = serve.tokens[0]
    workers: list[_Worker] = []
    total_requests = 0
    orphans: set[str] = set()  # rows of creates that were in flight at a kill
    for round_number, kill_after in enumerate(_KILL_AFTER):
        serve.start()
        stop = threading.Event()
        round_workers = [_Worker(seed=round_number * 100 + i) for i in range(_WORKERS)]
        # Earlier rounds' acknowledged conversations carry over: this round updates them too.
        for i, worker in enumerate(round_workers):
            if workers:
                worker.acked.update(workers[i].acked)
        threads = [
            threading.Thread(target=_drive, args=(serve.url, token, w, stop), daemon=True)
            for w in round_workers
        ]
        for thread in threads:
            thread.start()
        # Kill mid-load: once the load is flowing (a busy machine starts slowly), then after
        # this round's own delay, so each round dies at a different point.
        deadline = time.monotonic() + 20
        while sum(w.requests for w in round_workers) < _WORKERS * 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(kill_after)
        serve.kill9()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
            assert not thread.is_alive()
        workers = round_workers
        total_requests += sum(w.requests for w in workers)

        # Straight from the file, before any server touches it again.
        stored = _stored(str(serve.db))
        orphans = _assert_acknowledged_state(stored, workers, orphans)
        for worker in workers:
            # An interrupted update or delete landed one way or the other: the file says which.
            if worker.in_flight is not None and worker.in_flight[0] is not None:
                worker.acked[worker.in_flight[0]] = stored.get(worker.in_flight[0])

    # And through the API after a restart: the server reads back what it acknowledged.
    serve.start()
    with httpx.Client(base_url=serve.url, headers={"Authorization": f"Bearer {token}"}) as client:
        for worker in workers:
            for cid, state in worker.acked.items():
                answer = client.get(f"/v1/conversations/{cid}")
                if state is None:
                    assert answer.status_code == 404, answer.text
                else:
                    assert answer.status_code == 200, answer.text
                    assert answer.json() == state
    assert total_requests > 50, "the load never got going; the kill points proved nothing"


def _was_in_flight(worker: _Worker, cid: str) -> bool:
    return worker.in_flight is not None and worker.in_flight[0] == cid


def _assert_acknowledged_state(
    stored: dict[str, dict[str, Any]], workers: list[_Worker], orphans: set[str]
) -> set[str]:
    """Check the file against the acknowledgements; return the rows nobody was told about."""
    expected_ids: set[str] = set(orphans)
    unacknowledged_creates = 0
    for worker in workers:
        for cid, state in worker.acked.items():
            if _was_in_flight(worker, cid):
                # Killed mid-request: either outcome is allowed, nothing else.
                assert worker.in_flight is not None
                allowed = [state, worker.in_flight[1]]
                assert stored.get(cid) in allowed, (cid, stored.get(cid), allowed)
                if stored.get(cid) is not None:
                    expected_ids.add(cid)
            elif state is None:
                assert cid not in stored, f"acknowledged delete of {cid} was lost"
            else:
                assert stored.get(cid) == state, f"acknowledged state of {cid} was lost"
                expected_ids.add(cid)
        if worker.in_flight is not None and worker.in_flight[0] is None:
            unacknowledged_creates += 1
    # Rows nobody acknowledged may only come from creates that were in flight at the kill.
    new_orphans = set(stored) - expected_ids
    assert len(new_orphans) <= unacknowledged_creates
    return orphans | new_orphans
