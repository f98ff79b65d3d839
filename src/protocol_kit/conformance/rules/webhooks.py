"""Webhooks: the run's writes arrive at the kit's receiver as the spec's signed events, in order, again after a failure."""

from __future__ import annotations

import itertools
import json
from typing import Any

from protocol_kit.conformance.session import Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement
from protocol_kit.conformance.webhooks import FAIL, STALL, Delivery

GROUP = "webhooks"
DESCRIPTION = "events at the kit's receiver (needs --webhook-listen)"
RUNS_ALONGSIDE = True  # mostly waiting for deliveries; its writes are stretches of s.writing()
RULES = [
    # Events are told apart by their type and payload, as the event schema places them.
    requirement("WEBHOOK-EVENTS", GROUP, relies_on=("WEBHOOK-SCHEMA",)),
    requirement("WEBHOOK-SIGNATURE", GROUP),
    requirement("WEBHOOK-SCHEMA", GROUP),
    requirement("WEBHOOK-UNIQUE-ID", GROUP),
    requirement("WEBHOOK-NONE-FOR-FAILURES", GROUP),
    requirement("WEBHOOK-NONE-FOR-NO-OP", GROUP),
    requirement("WEBHOOK-ACCOUNT", GROUP),
    # Each event is matched to its write by its payload.
    requirement("WEBHOOK-ORDER", GROUP, relies_on=("WEBHOOK-EVENTS",)),
    requirement("WEBHOOK-RETRY-503", GROUP),
    requirement("WEBHOOK-RETRY-TIMEOUT", GROUP),
    requirement("WEBHOOK-BACKOFF", GROUP),
]
_WAIT = 20.0  # seconds for an expected delivery to arrive
_FIRST_DELIVERY = 10.0  # seconds for the first delivery of the run: none means no endpoint
_FIRST_RULE = "WEBHOOK-EVENTS"
_QUIET = 1.5  # seconds of waiting to believe an event will not come
_FIRST_RETRY = 2.0  # the contract: first retry within 2 s of the failed try's end
_TIMEOUT = 5.0  # the contract: a complete 2xx within 5 s acknowledges
_BACKOFF_TRIES = 3
_SLACK = 0.5  # seconds of scheduling jitter a measured gap is allowed
_ORDER_UPDATES = 5


def check(s: Session) -> None:
    hooks = s.webhooks
    if hooks is None:
        for rule in RULES:
            s.ledger.skip(rule.id, "not verified: give --webhook-listen and --webhook-secret")
        return
    if not _anything_arrives(s):
        return
    # Independent conversations, and mostly waiting for deliveries (a retry after a timeout
    # takes over 5 s): the parts run at the same time.
    s.parts_at_once(_events_and_silence, _order, _retry_refused, _retry_unanswered, _backoff)
    everything = hooks.receiver.deliveries()
    _audit(s, everything)


def _anything_arrives(s: Session) -> bool:
    """Whether a create reaches the receiver at all. When nothing does, the endpoint is the
    likely cause (not registered, unreachable): one finding says what to check, and the other
    rules, which would only repeat it, are reported blocked by it."""
    assert s.webhooks is not None
    receiver = s.webhooks.receiver
    with s.writing():
        made = s.create({"contact_id": s.new_id()})
    s.setup(200 <= made.status < 300, "could not create a conversation", made)
    if receiver.wait_for(bool, _FIRST_DELIVERY):
        return True
    s.expect(
        _FIRST_RULE,
        False,
        f"no webhook arrived within {_FIRST_DELIVERY:.0f} s of a create: check that "
        f"{receiver.url} is registered as a webhook endpoint of the --token account, that the "
        "server can reach that address, and that the endpoint's secret is the one given as "
        "--webhook-secret",
        expected=f"a delivery at {receiver.url} for the conversation created",
        actual=f"nothing arrived at {receiver.url}",
        exchange=made,
    )
    for rule in RULES:
        if rule.id != _FIRST_RULE:
            s.ledger.skip(
                rule.id,
                f"blocked by {_FIRST_RULE}: no webhook arrived at {receiver.url}",
                blocked_by=_FIRST_RULE,
            )
    return False


def _types(s: Session) -> dict[str, str]:
    """Event type by method of the resource: what the spec's webhooks say each write sends."""
    collection, item = s.contract.collection_path, s.contract.item_path
    found = {}
    for method, path in (("POST", collection), ("PUT", item), ("DELETE", item)):
        webhook = s.contract.spec.webhook_emitted_by(s.contract.op(method, path).id)
        s.setup(webhook is not None, f"the spec has no webhook for {method} {path}")
        assert webhook is not None
        found[method] = webhook.event_type
    return found


def _about(s: Session, subject: str) -> list[Delivery]:
    assert s.webhooks is not None
    return [d for d in s.webhooks.receiver.deliveries() if d.subject == subject]


def _distinct(deliveries: list[Delivery]) -> list[Delivery]:
    """One delivery per event (the first), in arrival order: a retry, with the same id and
    bytes, is not a new event; whether two events share an id is WEBHOOK-UNIQUE-ID's."""
    seen: set[Any] = set()
    first = []
    for delivery in deliveries:
        if (delivery.event_id, delivery.body) not in seen:
            seen.add((delivery.event_id, delivery.body))
            first.append(delivery)
    return first


def _wait_events(s: Session, subject: str, count: int, timeout: float = _WAIT) -> list[Delivery]:
    assert s.webhooks is not None
    s.webhooks.receiver.wait_for(
        lambda ds: len(_distinct([d for d in ds if d.subject == subject])) >= count, timeout
    )
    return _distinct(_about(s, subject))


def _payload(delivery: Delivery) -> Any:
    return (delivery.event or {}).get("payload")


def _expect_events(
    s: Session, subject: str, expected: list[tuple[str, Any]], exchange: Exchange
) -> list[Delivery]:
    events = _wait_events(s, subject, len(expected))
    # Extra events could still be on their way: give them a moment to show up.
    assert s.webhooks is not None
    s.webhooks.receiver.wait_for(
        lambda ds: len(_distinct([d for d in ds if d.subject == subject])) > len(expected), _QUIET
    )
    events = _distinct(_about(s, subject))
    got = [(d.event_type, _payload(d)) for d in events]
    s.expect(
        "WEBHOOK-EVENTS",
        # As sets of events: the order they arrive in is WEBHOOK-ORDER's.
        sorted(map(_show_one, got)) == sorted(map(_show_one, expected)),
        f"conversation {subject}: the events received differ from the writes the API answered",
        expected=_show(expected),
        actual=_show(got),
        exchange=exchange,
    )
    return events


def _show(events: list[tuple[str, Any]]) -> str:
    return "; ".join(map(_show_one, events))


def _show_one(event: tuple[str, Any]) -> str:
    kind, payload = event
    return f"{kind} {json.dumps(payload, sort_keys=True)}"


def _events_and_silence(s: Session) -> None:
    """Three conversations, so that each rule sees only its own events: one only failing
    requests are aimed at (any event about it but its create's is a failure's), one that is
    only updated without a change (any update event is the no-op's), and one created, changed
    and deleted (exactly those three events)."""
    types = _types(s)
    unknown = s.new_id()
    with s.writing():
        failing_ex = s.create({"contact_id": s.new_id()})
        failing = s.require_created(None, failing_ex, "could not create a conversation")
        s.put(failing["id"], {"is_muted": "loud"})  # invalid: 400
        s.send("DELETE", s.contract.item(unknown))  # unknown: 404
        last_failing = s.create({"contact_id": s.new_id(), "group_id": s.new_id()})  # 400
        if s.other is not None:  # another account's: 404
            last_failing = s.put(failing["id"], {"is_pinned": True}, account=s.other)
        still = s.require_created(
            None, s.create({"contact_id": s.new_id()}), "could not create a conversation"
        )
        noop_ex = s.put(still["id"], {"is_muted": still.get("is_muted", False)})
        made_ex = s.create({"contact_id": s.new_id()})
        made = s.require_created(None, made_ex, "could not create a conversation")
        cid = made["id"]
        changed_ex = s.put(cid, {"is_muted": not made.get("is_muted", False)})
        changed = s.conversation(changed_ex)
        s.setup(changed_ex.status == 200 and changed is not None, "could not update", changed_ex)
        deleted_ex = s.send("DELETE", s.contract.item(cid))
        s.setup(deleted_ex.status == 204, "could not delete", deleted_ex)
    expected = [
        (types["POST"], made),
        (types["PUT"], changed),
        # Just before the delete it is as the update answered (a read in between could come
        # before the update is committed: that is WEBHOOK-AFTER-COMMIT's to judge).
        (types["DELETE"], changed),
    ]
    _expect_events(s, cid, expected, deleted_ex)
    noop = [d for d in _after_create(s, still["id"], types) if d.event_type == types["PUT"]]
    s.expect(
        "WEBHOOK-NONE-FOR-NO-OP",
        not noop,
        f"conversation {still['id']}: an update that changed nothing sent an event",
        expected="no event for the update that set is_muted to the value it had",
        actual=_show([(d.event_type, _payload(d)) for d in noop]),
        exchange=noop_ex,
    )
    failed = _after_create(s, failing["id"], types) + _about(s, unknown)
    s.expect(
        "WEBHOOK-NONE-FOR-FAILURES",
        not failed,
        f"conversation {failing['id']}: a failed request sent an event",
        expected="no event for the 400 and 404 answers",
        actual=_show([(d.event_type, _payload(d)) for d in failed]),
        exchange=last_failing,
    )
    if s.other is not None:
        with s.writing():
            theirs_ex = s.create({"contact_id": s.new_id()}, account=s.other)
            theirs = s.conversation(theirs_ex)
            # Our own next event proves the deliverer had the time to send theirs, were it to.
            mine = s.conversation(s.create({"contact_id": s.new_id()})) if theirs else None
        if theirs is not None:
            if mine is not None:
                _wait_events(s, mine["id"], 1)
            s.webhooks.receiver.wait_for(  # type: ignore[union-attr]
                lambda ds: any(d.subject == theirs["id"] for d in ds), _QUIET
            )
            leaked = _about(s, theirs["id"])
            s.expect(
                "WEBHOOK-ACCOUNT",
                not leaked,
                "the other account's create was delivered to this account's endpoint",
                expected="no event about the other account's conversation",
                actual=_show([(d.event_type, _payload(d)) for d in leaked]),
                exchange=theirs_ex,
            )
    else:
        s.ledger.skip("WEBHOOK-ACCOUNT", "no --other-token given: a second account is needed")


def _after_create(s: Session, subject: str, types: dict[str, str]) -> list[Delivery]:
    """The events about ``subject`` besides its create's (the first of that type), once any
    more had a moment to arrive."""
    assert s.webhooks is not None
    _wait_events(s, subject, 1)
    s.webhooks.receiver.wait_for(lambda ds: len(_distinct(_about(s, subject))) > 1, _QUIET)
    events = _distinct(_about(s, subject))
    created = next((d for d in events if d.event_type == types["POST"]), None)
    return [d for d in events if d is not created]


def _order(s: Session) -> None:
    types = _types(s)
    with s.writing():
        made_ex = s.create({"contact_id": s.new_id()})
        made = s.require_created(None, made_ex, "could not create a conversation")
        answers = [made]
        last = made_ex
        for n in range(1, _ORDER_UPDATES + 1):
            last = s.put(made["id"], {"archived_at": 700000000 + n})
            answer = s.conversation(last)
            s.setup(last.status == 200 and answer is not None, "could not update", last)
            assert answer is not None  # setup() has stopped the check otherwise
            answers.append(answer)
    events = _wait_events(s, made["id"], len(answers))
    got = [_payload(d) for d in events]
    s.expect(
        "WEBHOOK-ORDER",
        got == answers,
        f"conversation {made['id']}: events arrived out of commit order"
        if events
        else f"conversation {made['id']}: no event arrived for its create and updates",
        expected=_show([(types["PUT"], a) for a in answers]),
        actual=_show([(d.event_type, _payload(d)) for d in events]),
        exchange=last,
    )


def _retry_refused(s: Session) -> None:
    """An update's event answered 503 once is sent again, the same, within 2 s."""
    _retried(s, "WEBHOOK-RETRY-503", FAIL, _FIRST_RETRY, {"is_pinned": True})


def _retry_unanswered(s: Session) -> None:
    """An update's event whose answer is not complete within 5 s is sent again, the same,
    within 2 s after the 5 s (a conversation of its own: whether a 503 is retried is not this
    rule's)."""
    _retried(s, "WEBHOOK-RETRY-TIMEOUT", STALL, _TIMEOUT + _FIRST_RETRY, {"archived_at": 7 * 10**8})


def _retried(s: Session, rule_id: str, cue: str, within: float, change: dict[str, Any]) -> None:
    assert s.webhooks is not None
    types = _types(s)
    made_ex = s.create({"contact_id": s.new_id()})
    made = s.require_created(None, made_ex, "could not create a conversation")
    cid = made["id"]
    _wait_events(s, cid, 1)
    s.webhooks.receiver.cue(cid, types["PUT"], cue)
    exchange = s.put(cid, change)
    _redelivered(s, cid, types["PUT"], exchange, rule_id, cue, within)


def _backoff(s: Session) -> None:
    """Three tries of one event, the first two answered 503: the second gap is at most twice
    the first (both measured from an answer that came at once)."""
    assert s.webhooks is not None
    receiver = s.webhooks.receiver
    types = _types(s)
    made = s.require_created(
        None, s.create({"contact_id": s.new_id()}), "could not create a conversation"
    )
    cid = made["id"]
    _wait_events(s, cid, 1)
    receiver.cue(cid, types["PUT"], FAIL, FAIL, "200")
    exchange = s.put(cid, {"is_muted": True})
    s.setup(exchange.status == 200, "could not update", exchange)

    def tries(deliveries: list[Delivery]) -> list[Delivery]:
        return _tries(deliveries, cid, types["PUT"])

    receiver.wait_for(lambda ds: len(tries(ds)) >= _BACKOFF_TRIES, _WAIT + 10)
    got = tries(receiver.deliveries())[:_BACKOFF_TRIES]
    if len(got) < _BACKOFF_TRIES:  # no retry at all is WEBHOOK-RETRY-503's finding
        s.ledger.skip("WEBHOOK-BACKOFF", "the event answered 503 was not tried three times")
        return
    first, second = (b.received_at - a.received_at for a, b in itertools.pairwise(got))
    s.expect(
        "WEBHOOK-BACKOFF",
        second <= 2 * first + _SLACK,
        f"conversation {cid}: the second retry gap is more than twice the first",
        expected=f"a second gap of at most {2 * first:.1f}s (twice {first:.1f}s)",
        actual=f"gaps of {first:.1f}s then {second:.1f}s",
        exchange=exchange,
    )


def _tries(deliveries: list[Delivery], cid: str, event_type: str) -> list[Delivery]:
    """Every try of the events of ``event_type`` about ``cid``, in arrival order: the checks
    that use it make one such event, whatever its payload (that is WEBHOOK-EVENTS's)."""
    return [d for d in deliveries if d.subject == cid and d.event_type == event_type]


def _redelivered(
    s: Session,
    cid: str,
    event_type: str,
    exchange: Exchange,
    rule_id: str,
    cue: str,
    within: float | None,
) -> None:
    assert s.webhooks is not None
    s.setup(exchange.status == 200, "could not update", exchange)

    def tries(deliveries: list[Delivery]) -> list[Delivery]:
        return _tries(deliveries, cid, event_type)

    s.webhooks.receiver.wait_for(lambda ds: len(tries(ds)) >= 2, _WAIT + 10)
    got = tries(s.webhooks.receiver.deliveries())
    cued = [d for d in got if d.answered == cue]
    ok = len(got) >= 2 and bool(cued)
    detail = "no delivery"
    if ok:
        failed, again = cued[0], got[got.index(cued[0]) + 1]
        same = (
            again.body == failed.body
            and again.event_id == failed.event_id
            and again.headers.get(s.webhooks.header) == failed.headers.get(s.webhooks.header)
        )
        gap = again.received_at - failed.received_at
        ok = same and (within is None or gap <= within + _SLACK)
        detail = f"retry {'identical' if same else 'differs'}, {gap:.1f}s after the {cue}"
    elif len(got) == 1:
        detail = f"one delivery (answered {got[0].answered}), never sent again"
    s.expect(
        rule_id,
        ok,
        f"conversation {cid}: the event answered {cue} was not redelivered as the contract says",
        expected="the same id, bytes and signature again"
        + (f" within {within:.0f}s" if within else ""),
        actual=detail,
        exchange=exchange,
    )


def _audit(s: Session, deliveries: list[Delivery]) -> None:
    """What every delivery of the run must satisfy: signature, schema, distinct ids."""
    assert s.webhooks is not None
    hooks = s.webhooks
    schemas = {w.event_type: w.event for w in s.contract.spec.webhooks}
    by_id: dict[Any, bytes] = {}
    for delivery in deliveries:
        signed = delivery.signed_by(hooks.secret, hooks.header)
        json_type = (
            delivery.headers.get("content-type", "").split(";")[0].strip() == "application/json"
        )
        s.expect(
            "WEBHOOK-SIGNATURE",
            signed and json_type,
            f"delivery {delivery.event_id}: "
            + (
                "bad signature (is --webhook-secret the endpoint's secret?)"
                if not signed
                else "not application/json"
            ),
            expected=f"{hooks.header}: hex HMAC-SHA256 of the raw body; application/json",
            actual=f"{hooks.header}: {delivery.headers.get(hooks.header, '(none)')}; "
            f"content-type: {delivery.headers.get('content-type', '(none)')}; "
            f"body {delivery.body[:200]!r}",
        )
        schema = schemas.get(delivery.event_type)
        errors = (
            schema.errors(delivery.event)
            if schema is not None and delivery.event is not None
            else [f"no webhook in the spec for {delivery.event_type!r}"]
        )
        s.expect(
            "WEBHOOK-SCHEMA",
            not errors,
            f"delivery {delivery.event_id}: the body breaks the event schema",
            expected="a body valid against the spec's webhook",
            actual="; ".join(errors[:3]) + f" in {delivery.body[:200]!r}",
        )
        previous = by_id.setdefault(delivery.event_id, delivery.body)
        s.expect(
            "WEBHOOK-UNIQUE-ID",
            previous == delivery.body,
            f"event id {delivery.event_id} was used for two different events",
            expected="one body per event id",
            actual=f"{previous[:200]!r} and {delivery.body[:200]!r}",
        )
