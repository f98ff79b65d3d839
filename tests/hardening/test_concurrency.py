"""Concurrency: 64 clients mixing every operation on shared and own conversations; the end state replays."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.serving import ServeProcess

_CLIENTS = 64
_SECONDS = 6.0  # at least this long, and on until _REQUESTS are answered, but never past _HARD_STOP
_REQUESTS = 1500
_HARD_STOP = 25.0
_SHARED_PER_ACCOUNT = 3
_CONTACT = "WAz8eIbvDR60rouK"


@dataclass
class _SharedWrite:
    """One acknowledged full update of a shared conversation, with when it was sent and answered."""

    body: dict[str, Any]
    sent: float
    answered: float


@dataclass
class _Log:
    statuses: list[int] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # 5xx and lock errors, with their bodies
    own: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # None: deleted
    created_order: list[str] = field(default_factory=list)
    shared_writes: dict[str, list[_SharedWrite]] = field(default_factory=dict)
    owned: dict[int, set[str]] = field(default_factory=dict)  # client number -> its creates


def _full_update(tag: int) -> dict[str, Any]:
    """Every mutable field, all derived from one unique tag, so a torn write would show."""
    return {
        "archived_at": tag,
        "is_pinned": tag % 2 == 0,
        "is_muted": tag % 3 == 0,
        "pinned_message_id": f"Tag{tag:013d}",
    }


async def _client(
    url: str, token: str, number: int, shared: list[str], log: _Log, done: Callable[[], bool]
) -> None:
    rng = random.Random(number)
    tag = number * 1_000_000
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:

        async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            answer = await client.request(method, path, **kwargs)
            log.statuses.append(answer.status_code)
            if answer.status_code >= 500 or "lock" in answer.text.lower():
                log.bad.append(f"{method} {path} -> {answer.status_code} {answer.text[:200]}")
            return answer

        while not done():
            mine = [cid for cid in log.owned.setdefault(number, set()) if log.own[cid] is not None]
            roll = rng.random()
            if roll < 0.15 or not mine:
                body = (
                    {"contact_id": _CONTACT}
                    if rng.random() < 0.5
                    else {"group_id": "8Kw2bQqN1mTz7XcV"}
                )
                answer = await call("POST", "/v1/conversations", json=body)
                assert answer.status_code == 201, answer.text
                log.own[answer.json()["id"]] = answer.json()
                log.created_order.append(answer.json()["id"])
                log.owned[number].add(answer.json()["id"])
            elif roll < 0.30:
                cid = rng.choice(mine)
                changes = {
                    k: v
                    for k, v in _full_update(rng.randrange(10**6)).items()
                    if rng.random() < 0.5
                }
                answer = await call("PUT", f"/v1/conversations/{cid}", json=changes)
                assert answer.status_code == 200, answer.text
                expected = {**log.own[cid], **changes}  # type: ignore[dict-item]
                assert answer.json() == expected
                log.own[cid] = expected
            elif roll < 0.40:
                cid = rng.choice(mine)
                answer = await call("GET", f"/v1/conversations/{cid}")
                assert answer.status_code == 200 and answer.json() == log.own[cid]
            elif roll < 0.45:
                cid = rng.choice(mine)
                answer = await call("DELETE", f"/v1/conversations/{cid}")
                assert answer.status_code == 204
                log.own[cid] = None
                gone = await call("GET", f"/v1/conversations/{cid}")
                assert gone.status_code == 404
            elif roll < 0.70:
                cid = rng.choice(shared)
                tag += 1
                body = _full_update(tag)
                sent = time.monotonic()
                answer = await call("PUT", f"/v1/conversations/{cid}", json=body)
                answered = time.monotonic()
                assert answer.status_code == 200, answer.text
                stored = answer.json()
                assert {k: stored[k] for k in body} == body  # the answer is this write, whole
                log.shared_writes.setdefault(cid, []).append(_SharedWrite(body, sent, answered))
            elif roll < 0.85:
                cid = rng.choice(shared)
                answer = await call("GET", f"/v1/conversations/{cid}")
                assert answer.status_code == 200
                stored = answer.json()
                if stored["archived_at"] is not None:  # some full write, never a mix of two
                    assert {k: stored[k] for k in _full_update(0)} == _full_update(
                        stored["archived_at"]
                    )
            else:
                params = rng.choice(
                    [
                        {"limit": 10},
                        {"limit": 100, "archived": "true"},
                        {"muted": "false", "pinned": "true"},
                        {"group_id": "8Kw2bQqN1mTz7XcV"},
                    ]
                )
                answer = await call("GET", "/v1/conversations", params=params)
                assert answer.status_code == 200 and isinstance(answer.json()["data"], list)


async def _run(
    url: str, tokens: list[str], shared: dict[str, list[str]], logs: dict[str, _Log]
) -> None:
    started = time.monotonic()

    def done() -> bool:
        # A shared, busy machine answers fewer requests per second: keep going until enough.
        elapsed = time.monotonic() - started
        answered = sum(len(log.statuses) for log in logs.values())
        return elapsed > _HARD_STOP or (elapsed > _SECONDS and answered >= _REQUESTS)

    await asyncio.gather(
        *(
            _client(url, tokens[n % 2], n, shared[tokens[n % 2]], logs[tokens[n % 2]], done)
            for n in range(_CLIENTS)
        )
    )


def _walk(client: httpx.Client) -> list[str]:
    """Every id of the account, newest first, page by page."""
    ids: list[str] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.get("/v1/conversations", params=params).json()
        ids += [item["id"] for item in page["data"]]
        if not page["has_more"]:
            return ids
        params["starting_after"] = ids[-1]


def test_64_concurrent_clients_leave_a_state_that_replays(serve: ServeProcess) -> None:
    serve.start()
    shared: dict[str, list[str]] = {}
    initial: dict[str, dict[str, Any]] = {}
    for token in serve.tokens:
        with httpx.Client(
            base_url=serve.url, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            created = [
                client.post("/v1/conversations", json={"contact_id": _CONTACT}).json()
                for _ in range(_SHARED_PER_ACCOUNT)
            ]
        shared[token] = [c["id"] for c in created]
        initial.update({c["id"]: c for c in created})
    logs = {token: _Log() for token in serve.tokens}

    asyncio.run(_run(serve.url, serve.tokens, shared, logs))

    statuses = [s for log in logs.values() for s in log.statuses]
    assert len(statuses) >= 500, "too little load to say anything"
    assert [b for log in logs.values() for b in log.bad] == []
    assert not any(s >= 500 for s in statuses)

    for token, log in logs.items():
        with httpx.Client(
            base_url=serve.url, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            # Own conversations: the replay of each client's acknowledged operations, exactly.
            for cid, state in log.own.items():
                answer = client.get(f"/v1/conversations/{cid}")
                if state is None:
                    assert answer.status_code == 404
                else:
                    assert answer.status_code == 200 and answer.json() == state
            # Shared ones: the last write in real time order; never one that another write
            # provably followed (sent after it was answered), never a mix of two.
            for cid in shared[token]:
                final = client.get(f"/v1/conversations/{cid}").json()
                writes = log.shared_writes.get(cid, [])
                if not writes:
                    assert final == initial[cid]
                    continue
                fields = {k: final[k] for k in _full_update(0)}
                winners = [w for w in writes if w.body == fields]
                assert len(winners) == 1, f"{cid} holds no acknowledged write: {fields}"
                assert not [w for w in writes if w.sent > winners[0].answered], (
                    f"{cid} lost a write that was sent after the one it holds was acknowledged"
                )
            # The account's list is exactly its live conversations, newest first.
            live = [cid for cid in log.created_order if log.own[cid] is not None]
            listed = _walk(client)
            assert len(listed) == len(set(listed))
            assert set(listed) == set(live) | set(shared[token])
            # One client's creates are sequential, so the list shows them in reverse.
            for number, owned in log.owned.items():
                order = [
                    listed.index(cid) for cid in log.created_order if cid in owned and log.own[cid]
                ]
                assert order == sorted(order, reverse=True), number

    serve.stop()
    server_log = serve.log.read_text(errors="replace")
    for sign in ("Traceback", "locked", "unhandled error"):
        assert sign not in server_log
