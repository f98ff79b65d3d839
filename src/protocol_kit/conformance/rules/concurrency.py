"""Concurrency: simultaneous partial updates of one conversation must all persist."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from protocol_kit.conformance.session import Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement

GROUP = "concurrency"
DESCRIPTION = "simultaneous updates of one conversation (timing-dependent: rounds of parallel PUTs)"
RULES = [
    # Each update must change only its own attribute (and be stored) for all of them to persist.
    requirement(
        "UPDATE-CONCURRENT-NO-LOST-WRITES",
        GROUP,
        relies_on=("LIFECYCLE-UPDATE-RESPONSE", "LIFECYCLE-UPDATE-PERSISTS"),
    ),
]


# A lost update needs two writes inside the server's read-modify-write window, which may be a
# few milliseconds wide: many rounds of simultaneous writes, bounded in count and in time.
_CONCURRENT_ROUNDS = 40
_CONCURRENT_SECONDS = 2.0


def check(s: Session) -> None:
    """Rounds of one simultaneous update per attribute (every client changes a different one);
    after each round every change must be stored."""
    made = s.require_created(
        None, s.create({"group_id": s.new_id()}), "creating the conversation to update concurrently"
    )
    conversation_id = made["id"]
    stamp = 1_600_000_000 + s.rng.randrange(10**6)
    states: list[dict[str, Any]] = [
        {
            "pinned_message_id": s.new_id(),
            "is_pinned": True,
            "is_muted": True,
            "archived_at": stamp,
        },
        # Other values, not null: clearing is UPDATE-NULL-CLEARS' to judge.
        {
            "pinned_message_id": s.new_id(),
            "is_pinned": False,
            "is_muted": False,
            "archived_at": stamp + 1,
        },
    ]
    names = [n for n in s.contract.updatable_fields if n in states[0]]
    if len(names) < 2:
        return
    deadline = time.monotonic() + _CONCURRENT_SECONDS
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        for round_number in range(_CONCURRENT_ROUNDS):
            if round_number and time.monotonic() > deadline:
                return
            target = {n: states[round_number % 2][n] for n in names}
            if not _concurrent_round(s, pool, conversation_id, target):
                return


def _concurrent_round(
    s: Session, pool: ThreadPoolExecutor, conversation_id: str, target: dict[str, Any]
) -> bool:
    """Send one update per attribute at the same moment; True when all of them persisted."""
    start = threading.Barrier(len(target))

    def update(name: str) -> Exchange:
        # A sibling that never arrives breaks the barrier: send anyway, the round is still judged.
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=5)
        return s.put(conversation_id, {name: target[name]})

    answers = list(pool.map(update, list(target)))
    sent = ", ".join(f"{{{_json_pair(n, v)}}}" for n, v in target.items())
    for name, answer in zip(target, answers, strict=True):
        if not s.expect(
            "UPDATE-CONCURRENT-NO-LOST-WRITES",
            answer.status == 200,
            f"each of the concurrent updates {sent} must answer 200 (this one: {name})",
            expected="200",
            actual=answer.summary(),
            exchange=answer,
        ):
            return False
    read = s.get(conversation_id)
    stored = read.json if read.status == 200 and isinstance(read.json, dict) else None
    lost = [n for n in target if stored is None or stored.get(n) != target[n]]
    return s.expect(
        "UPDATE-CONCURRENT-NO-LOST-WRITES",
        not lost,
        f"after the concurrent updates {sent} (one request each, sent at the same moment) "
        f"every change must be stored; lost: {', '.join(lost)}",
        expected=target,
        actual={n: stored.get(n) for n in target} if stored is not None else read.summary(),
        exchange=read,
    )


def _json_pair(name: str, value: Any) -> str:
    return f'"{name}": {json.dumps(value)}'
