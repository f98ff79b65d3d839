"""Webhook delivery as the contract times it: no redirects, committed first, writes not waiting, order under retries, the whole retry schedule."""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from protocol_kit.conformance.delivery_receiver import (
    HOLD,
    HOLD_SECONDS,
    REDIRECT,
    REDIRECTED_PATH,
    DeliveryReceiver,
    DeliverySetup,
)
from protocol_kit.conformance.session import Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement
from protocol_kit.conformance.webhooks import FAIL, Delivery

GROUP = "delivery"
DESCRIPTION = (
    "how the server delivers its webhooks: timing, redirects, order (needs --webhook-listen)"
)
RUNS_ALONGSIDE = True  # mostly waiting for deliveries
RULES = [
    requirement("WEBHOOK-NO-REDIRECT", GROUP),
    requirement("WEBHOOK-AFTER-COMMIT", GROUP),
    requirement("WEBHOOK-WRITE-NOT-WAITING", GROUP),
    requirement("WEBHOOK-ORDER-UNDER-RETRY", GROUP),
    requirement("WEBHOOK-TRIES", GROUP),
    requirement("WEBHOOK-BACKOFF-SCHEDULE", GROUP),
]
OPT_IN = {"WEBHOOK-TRIES", "WEBHOOK-BACKOFF-SCHEDULE"}  # judged only with --webhooks-full
_WAIT = 30.0  # seconds for an expected delivery to arrive (behind other retries, perhaps)
_FAST_WRITE = 1.0  # seconds a write may take while its event's receiver holds its answer
_SLACK = 0.5  # seconds of scheduling noise allowed on every measured gap
_FIRST_RETRY, _MAX_GAP, _TRIES = 2.0, 60.0, 8
_GRACE = 5.0  # seconds a try is awaited beyond the gap the contract allows it


def check(s: Session) -> None:
    hooks = s.webhooks
    if not isinstance(hooks, DeliverySetup) or not isinstance(hooks.receiver, DeliveryReceiver):
        for rule in RULES:
            s.ledger.skip(rule.id, "not verified: give --webhook-listen and --webhook-secret")
        return
    parts = [_after_commit, _write_not_waiting, _no_redirect, _order_under_retry]
    if hooks.full:
        parts.append(_tries)
    else:
        for rule_id in OPT_IN:
            s.ledger.skip(rule_id, "not verified: give --webhooks-full (takes up to 3 minutes)")
    s.parts_at_once(*parts)


def _receiver(s: Session) -> DeliveryReceiver:
    assert s.webhooks is not None and isinstance(s.webhooks.receiver, DeliveryReceiver)
    return s.webhooks.receiver


def event_type(s: Session, method: str, path: str) -> str:
    """The type of the event the spec's webhooks send after a successful ``method path``."""
    webhook = s.contract.spec.webhook_emitted_by(s.contract.op(method, path).id)
    s.setup(webhook is not None, f"the spec has no webhook for {method} {path}")
    assert webhook is not None
    return str(webhook.event_type)


def _payload(delivery: Delivery) -> Any:
    return (delivery.event or {}).get("payload")


def _tries_of(s: Session, cid: str, kind: str) -> list[Delivery]:
    """Deliveries of ``kind`` about ``cid`` at the endpoint itself, in arrival order."""
    receiver = _receiver(s)
    path = urlsplit(receiver.url).path
    return [
        d
        for d in receiver.deliveries()
        if d.subject == cid and d.event_type == kind and d.path == path
    ]


def _created_and_delivered(s: Session) -> str:
    """A new conversation whose created event has been acknowledged: later cues are its own."""
    made = s.require_created(None, s.create({"contact_id": s.new_id()}), "could not create")
    cid = str(made["id"])
    created = event_type(s, "POST", s.contract.collection_path)
    _receiver(s).wait_for(lambda ds: any(d.subject == cid for d in ds), _WAIT)
    s.setup(bool(_tries_of(s, cid, created)), f"conversation {cid}: no created event arrived")
    return cid


def _update(s: Session, cid: str, body: dict[str, Any]) -> tuple[Exchange, dict[str, Any]]:
    exchange = s.put(cid, body)
    answer = s.conversation(exchange)
    s.setup(exchange.status == 200 and answer is not None, "could not update", exchange)
    assert answer is not None
    return exchange, answer


def _retried(s: Session, cid: str, cue: str, rule_id: str, what: str, wait: float = _WAIT) -> None:
    """Answer the conversation's next update event with ``cue``; ``rule_id`` holds when the
    same event then arrives again at the endpoint."""
    kind = event_type(s, "PUT", s.contract.item_path)
    _receiver(s).cue(cid, kind, cue)
    exchange, _ = _update(s, cid, {"archived_at": 700000000 + s.rng.randrange(1000)})
    _receiver(s).wait_for(lambda ds: len(_tries_of(s, cid, kind)) >= 2, wait)
    tries = _tries_of(s, cid, kind)
    s.setup(bool(tries), f"conversation {cid}: the update's event never arrived")
    again = len(tries) >= 2 and tries[1].event_id == tries[0].event_id
    s.expect(
        rule_id,
        again,
        f"conversation {cid}: {what}, and the event was not sent again",
        expected="the same event sent again to the endpoint",
        actual=f"{len(tries)} delivery(ies) to the endpoint"
        + (f"; the next carried event id {tries[1].event_id}" if len(tries) > 1 else ""),
        exchange=exchange,
    )


def _no_redirect(s: Session) -> None:
    cid = _created_and_delivered(s)
    what = f"a 307 to {REDIRECTED_PATH} counted as acknowledged"
    _retried(s, cid, REDIRECT, "WEBHOOK-NO-REDIRECT", what)


def _write_not_waiting(s: Session) -> None:
    cid = _created_and_delivered(s)
    kind = event_type(s, "PUT", s.contract.item_path)
    took: list[float] = []
    exchange = None
    # A second write confirms a slow first one: a busy machine can delay any one answer.
    for flag in (True, False):
        _receiver(s).cue(cid, kind, HOLD)
        with s.writing():
            began = time.monotonic()
            exchange, _ = _update(s, cid, {"is_pinned": flag})
            took.append(time.monotonic() - began)
        if took[-1] <= _FAST_WRITE:
            break
    s.expect(
        "WEBHOOK-WRITE-NOT-WAITING",
        min(took) <= _FAST_WRITE,
        f"conversation {cid}: the update waited for its event's delivery",
        expected=f"the answer within {_FAST_WRITE:.0f}s while the receiver holds its answer "
        f"{HOLD_SECONDS:.0f}s",
        actual="answered after " + " and ".join(f"{t:.1f}s" for t in took),
        exchange=exchange,
    )


def _after_commit(s: Session) -> None:
    receiver = _receiver(s)
    reader = s.fork("on-arrival", alongside=False)
    seen: list[tuple[Delivery, Exchange]] = []
    lock = threading.Lock()
    finished = threading.Event()  # later arrivals (retries) are not looked at

    def on_arrival(delivery: Delivery) -> None:
        with lock:
            if finished.is_set() or not isinstance(delivery.subject, str):
                return
            seen.append((delivery, reader.send("GET", s.contract.item(delivery.subject))))

    contact = s.new_id()
    receiver.probe(contact, on_arrival)
    created = event_type(s, "POST", s.contract.collection_path)
    updated = event_type(s, "PUT", s.contract.item_path)
    deleted = event_type(s, "DELETE", s.contract.item_path)

    def arrived(count: int) -> None:
        receiver.wait_for(lambda ds: len(seen) >= count, _WAIT)
        s.setup(len(seen) >= count, "an event of the conversation never arrived")

    try:
        made_ex = s.create({"contact_id": contact})
        made = s.require_created(None, made_ex, "could not create")
        arrived(1)
        change = {"is_muted": not made.get("is_muted")}
        changed_ex, changed = _update(s, made["id"], change)
        arrived(2)
        deleted_ex = s.send("DELETE", s.contract.item(made["id"]))
        s.setup(deleted_ex.status == 204, "could not delete", deleted_ex)
        arrived(3)
    finally:
        with lock:
            finished.set()
        s.join(reader)
    # What each event's arrival must find: the conversation, its change, its absence. Only
    # that: the rest of a GET's answer is other rules' business.
    expected: dict[str, tuple[int, dict[str, Any], Exchange]] = {
        created: (200, {}, made_ex),
        updated: (200, {name: changed.get(name) for name in change}, changed_ex),
        deleted: (404, {}, deleted_ex),
    }
    for delivery, got in _first_of_each(seen):
        if delivery.event_type not in expected:
            continue  # not an event of these writes: judged by the webhooks group
        status, state, write = expected[delivery.event_type]
        body = got.json if isinstance(got.json, dict) else {}
        s.expect(
            "WEBHOOK-AFTER-COMMIT",
            got.status == status and all(body.get(k) == v for k, v in state.items()),
            f"conversation {made['id']}: when its {delivery.event_type} event arrived, a GET "
            "did not yet show that change",
            expected=f"{status} " + (f"with {json.dumps(state, sort_keys=True)}" if state else ""),
            actual=got.summary(),
            exchange=write,
        )


def _first_of_each(seen: list[tuple[Delivery, Exchange]]) -> list[tuple[Delivery, Exchange]]:
    """The probe of each event's first arrival: a retry arrives after the commit anyway."""
    ids: set[Any] = set()
    first = []
    for delivery, got in seen:
        if delivery.event_id not in ids:
            ids.add(delivery.event_id)
            first.append((delivery, got))
    return first


def _order_under_retry(s: Session) -> None:
    cid = _created_and_delivered(s)
    kind = event_type(s, "PUT", s.contract.item_path)
    _receiver(s).cue(cid, kind, FAIL, FAIL)
    with s.writing():
        _update(s, cid, {"archived_at": 700000001})
        last, _ = _update(s, cid, {"archived_at": 700000002})

    def events(tries: list[Delivery]) -> list[list[Delivery]]:
        """Tries grouped by the payload they carry, in order of first arrival."""
        grouped: dict[str, list[Delivery]] = {}
        for delivery in tries:
            grouped.setdefault(json.dumps(_payload(delivery), sort_keys=True), []).append(delivery)
        return list(grouped.values())

    _receiver(s).wait_for(lambda ds: len(events(_tries_of(s, cid, kind))) >= 2, _WAIT)
    found = events(_tries_of(s, cid, kind))
    s.setup(len(found) >= 2, f"conversation {cid}: the second update's event never arrived")
    first, second = found[0], found[1]
    acknowledged = [d for d in first if d.answered == "200"]
    next_at = second[0].received_at
    settled = (acknowledged and acknowledged[0].received_at <= next_at) or len(
        [d for d in first if d.received_at <= next_at]
    ) >= _TRIES
    s.expect(
        "WEBHOOK-ORDER-UNDER-RETRY",
        bool(settled),
        f"conversation {cid}: the next event was sent while the previous one was being retried",
        expected="the second update's event only after the first was answered 200",
        actual=", ".join(
            f"{'second' if d in second else 'first'} answered {d.answered}"
            for d in sorted(first + second, key=lambda d: d.received_at)
        ),
        exchange=last,
    )


def _tries(s: Session) -> None:
    cid = _created_and_delivered(s)
    kind = event_type(s, "PUT", s.contract.item_path)
    _receiver(s).cue(cid, kind, *[FAIL] * _TRIES)
    exchange, _ = _update(s, cid, {"is_pinned": True})
    _receiver(s).wait_for(lambda ds: bool(_tries_of(s, cid, kind)), _WAIT)
    tries = _tries_of(s, cid, kind)
    s.setup(bool(tries), f"conversation {cid}: the update's event never arrived")
    # Each next try is awaited as long as the contract allows its gap, and a grace beyond:
    # a late try is judged by the backoff rule, a missing one by the tries rule.
    while len(tries) < _TRIES:
        gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(tries)]
        allowed = min(_MAX_GAP, 2 * gaps[-1]) if gaps else _FIRST_RETRY
        left = tries[-1].received_at + allowed + _GRACE - time.monotonic()
        count = len(tries)
        _receiver(s).wait_for(
            lambda ds, seen=count: len(_tries_of(s, cid, kind)) > seen,  # type: ignore[misc]
            max(left, 0),
        )
        tries = _tries_of(s, cid, kind)
        if len(tries) == count:
            break
    tries = tries[:_TRIES]
    s.expect(
        "WEBHOOK-TRIES",
        len(tries) >= _TRIES,
        f"conversation {cid}: the event was given up before its 8th try",
        expected=f"{_TRIES} tries of an event answered 503 every time",
        actual=f"{len(tries)} tries; none more within {_GRACE:.0f}s of the gap allowed",
        exchange=exchange,
    )
    # The first gap is judged by WEBHOOK-RETRY-503 (within 2 s); the schedule rule judges
    # every gap against the 60 s cap and each later one against twice its predecessor.
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(tries)]
    limits = [_MAX_GAP] + [min(_MAX_GAP, 2 * gap) for gap in gaps[:-1]]
    late = [
        f"gap {n + 1}: {gap:.1f}s > {limit:.1f}s"
        for n, (gap, limit) in enumerate(zip(gaps, limits, strict=True))
        if gap > limit + _SLACK
    ]
    s.expect(
        "WEBHOOK-BACKOFF-SCHEDULE",
        not late,
        f"conversation {cid}: tries were spaced further apart than the contract allows",
        expected="each gap after the first at most twice the previous, none over 60s",
        actual="; ".join(late) + " (gaps: " + ", ".join(f"{g:.1f}s" for g in gaps) + ")",
        exchange=exchange,
    )
