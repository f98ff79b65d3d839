"""Durability through a restart (--restart-command): acknowledged writes and pending events survive it."""

from __future__ import annotations

import json
import time
from typing import Any

from protocol_kit.conformance.delivery_receiver import DeliveryReceiver, DeliverySetup
from protocol_kit.conformance.rules.delivery import event_type
from protocol_kit.conformance.session import Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement
from protocol_kit.conformance.webhooks import Delivery

GROUP = "restart"
DESCRIPTION = "acknowledged writes and pending events survive a restart (needs --restart-command)"
RULES = [
    requirement("RESTART-KEEPS-WRITES", GROUP),
    requirement("RESTART-KEEPS-EVENTS", GROUP),
]
OPT_IN = {rule.id for rule in RULES}  # judged only with --restart-command
_PENDING_WAIT = 10.0  # seconds for a first (failed) try to show the events are pending
_MAX_GAP = 60.0  # the contract's longest gap between two tries
_GRACE = 10.0  # seconds beyond the longest gap the contract allows by then


def check(s: Session) -> None:
    hooks = s.webhooks
    if (
        not isinstance(hooks, DeliverySetup)
        or hooks.restart is None
        or not isinstance(hooks.receiver, DeliveryReceiver)
    ):
        for rule in RULES:
            s.ledger.skip(rule.id, "not verified: give --restart-command (and --webhook-listen)")
        return
    restart, receiver = hooks.restart, hooks.receiver
    contact = s.new_id()
    receiver.fail(contact)  # the events stay pending: every try answered 503
    try:
        states, events, last = _acknowledged_writes(s, contact)
        receiver.wait_for(lambda ds: any(_about(d, states) for d in ds), _PENDING_WAIT)
        tried = [d.received_at for d in receiver.deliveries() if _about(d, states)]
        restart()
    finally:
        receiver.fail(contact, failing=False)
    for cid, (state, write) in states.items():
        got = s.get(cid)
        status = 200 if state is not None else 404
        s.expect(
            "RESTART-KEEPS-WRITES",
            got.status == status and (state is None or got.json == state),
            f"conversation {cid}: after the restart it is not as its last write answered",
            expected=f"{status} {json.dumps(state, sort_keys=True) if state else ''}".strip(),
            actual=got.summary(),
            exchange=write,
        )
    wanted = set(events)
    # Gaps at most double: the next try is due within twice the time the events have been
    # failing (the restart included), and never more than the longest gap away.
    failing = time.monotonic() - min(tried, default=time.monotonic())
    wait = min(_MAX_GAP, 2 * failing) + _GRACE
    receiver.wait_for(lambda ds: wanted <= _acknowledged(ds), wait)
    missing = wanted - _acknowledged(receiver.deliveries())
    s.expect(
        "RESTART-KEEPS-EVENTS",
        not missing,
        f"{len(missing)} event(s) pending at the restart were never delivered after it",
        expected=f"{len(wanted)} events acknowledged by the receiver within {wait:.0f}s of "
        "the restart",
        actual="missing: " + "; ".join(sorted(f"{kind} {body}" for kind, body in missing)),
        exchange=last,
    )


def _acknowledged_writes(
    s: Session, contact: str
) -> tuple[dict[str, tuple[dict[str, Any] | None, Exchange]], list[tuple[str, str]], Exchange]:
    """Three conversations, then an update of two and the delete of the third: their last
    answered states (None: deleted) and the events the writes owe the receiver."""
    created, updated, deleted = (
        event_type(s, method, path)
        for method, path in (
            ("POST", s.contract.collection_path),
            ("PUT", s.contract.item_path),
            ("DELETE", s.contract.item_path),
        )
    )
    states: dict[str, tuple[dict[str, Any] | None, Exchange]] = {}
    events: list[tuple[str, str]] = []
    made = []
    for _ in range(3):
        exchange = s.create({"contact_id": contact})
        answer = s.require_created(None, exchange, "could not create a conversation")
        made.append(answer)
        states[answer["id"]] = (answer, exchange)
        events.append((created, _canonical(answer)))
    for answer, change in zip(
        made[:2], ({"is_muted": True}, {"archived_at": 700000000}), strict=True
    ):
        exchange = s.put(answer["id"], change)
        after = s.conversation(exchange)
        s.setup(exchange.status == 200 and after is not None, "could not update", exchange)
        assert after is not None
        states[answer["id"]] = (after, exchange)
        events.append((updated, _canonical(after)))
    gone = made[2]
    last = s.send("DELETE", s.contract.item(gone["id"]))
    s.setup(last.status == 204, "could not delete", last)
    states[gone["id"]] = (None, last)
    events.append((deleted, _canonical(gone)))
    return states, events, last


def _canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True)


def _about(delivery: Delivery, states: dict[str, Any]) -> bool:
    return delivery.subject in states


def _acknowledged(deliveries: list[Delivery]) -> set[tuple[str, str]]:
    """(type, payload) of every event the receiver answered 200."""
    return {
        (str(d.event_type), _canonical((d.event or {}).get("payload")))
        for d in deliveries
        if d.answered == "200"
    }
