"""Update validation: read-only and unknown attributes, types, bounds, null, empty and form bodies."""

from __future__ import annotations

from typing import Any

from protocol_kit.conformance.diffs import json_text
from protocol_kit.conformance.session import FORM, JSON, Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement

GROUP = "update"
DESCRIPTION = "PUT /v1/conversations/{id}: what is accepted, what is rejected, what is stored"
# A refused update is read back with GET to see that nothing changed; an accepted one is
# judged by its answer and read back too: the rules whose behaviour those checks use.
_READS_BACK = ("LIFECYCLE-GET-NO-SIDE-EFFECTS",)
_APPLIES = ("LIFECYCLE-UPDATE-RESPONSE", "LIFECYCLE-UPDATE-PERSISTS", *_READS_BACK)
RULES = [
    requirement("UPDATE-READ-ONLY", GROUP, relies_on=_READS_BACK),
    requirement("UPDATE-UNKNOWN-ATTRIBUTE", GROUP, relies_on=_READS_BACK),
    requirement("UPDATE-TYPES", GROUP, relies_on=_READS_BACK),
    requirement("UPDATE-TIMESTAMP-RANGE", GROUP, relies_on=_APPLIES),
    requirement("UPDATE-INTEGRAL-FLOAT", GROUP, relies_on=_APPLIES),
    requirement("UPDATE-NULL-CLEARS", GROUP, relies_on=_APPLIES),
    requirement("UPDATE-EMPTY", GROUP, relies_on=_APPLIES),
    requirement("UPDATE-MALFORMED-BODY", GROUP, relies_on=_READS_BACK),
    # Clears with the literal `null` (and its own values are read back, as every update's).
    requirement("UPDATE-FORM", GROUP, relies_on=(*_APPLIES, "UPDATE-NULL-CLEARS")),
    # Form-encoded, and an empty value is null: clearing and form typing are its means.
    requirement(
        "UPDATE-FORM-EMPTY-IS-NULL",
        GROUP,
        relies_on=(*_APPLIES, "UPDATE-NULL-CLEARS", "UPDATE-FORM"),
    ),
    # Draws from every kind of update the other rules judge one at a time: JSON and form,
    # null, and the ends of the timestamp range.
    requirement(
        "UPDATE-RANDOM-SEQUENCE",
        GROUP,
        relies_on=(*_APPLIES, "UPDATE-NULL-CLEARS", "UPDATE-FORM", "UPDATE-TIMESTAMP-RANGE"),
    ),
]


def check(s: Session) -> None:
    made_ex = s.create({"group_id": s.new_id()})
    current = s.require_created(None, made_ex, "creating the conversation to update")
    conversation_id = current["id"]
    current = _check_empty(s, conversation_id, current)
    current = _check_rejections(s, conversation_id, current)
    current = _check_values(s, conversation_id, current)
    current = _check_form(s, conversation_id, current)
    current = _check_form_empty(s, conversation_id, current)
    _check_random_sequence(s, conversation_id, current)


_RANDOM_UPDATES = 25


def _check_random_sequence(s: Session, conversation_id: str, current: dict[str, Any]) -> None:
    lo, hi = s.contract.timestamp_bounds
    choices: dict[str, list[Any]] = {
        "pinned_message_id": [None, s.new_id(), s.new_id()],
        "is_pinned": [True, False],
        "is_muted": [True, False],
        "archived_at": [None, lo, hi, 1_600_000_000 + s.rng.randrange(10**6)],
    }
    names = [n for n in s.contract.updatable_fields if n in choices]
    for _ in range(_RANDOM_UPDATES):
        change = {
            n: s.rng.choice(choices[n]) for n in s.rng.sample(names, s.rng.randint(1, len(names)))
        }
        media_type = s.rng.choice([JSON, FORM])
        what = f"{json_text(change)} as {media_type}"
        expected = {**current, **change}
        current = _accepted(
            s,
            "UPDATE-RANDOM-SEQUENCE",
            s.put(conversation_id, change, media_type=media_type),
            expected,
            what,
        )


def _unchanged(
    s: Session, rule_id: str, conversation_id: str, before: dict[str, Any], what: str
) -> dict[str, Any]:
    """Check a refused update changed nothing; return what is stored now."""
    read = s.get(conversation_id)
    s.expect(
        rule_id,
        read.status == 200 and read.json == before,
        f"after the rejected update ({what}) the conversation must be unchanged",
        expected=before,
        actual=read.summary(),
        exchange=read,
    )
    return _stored(s, read, before)


def _stored(s: Session, read: Exchange, expected: dict[str, Any]) -> dict[str, Any]:
    """What a GET shows is stored: the next expectation, so that one change the server made
    wrongly is reported once, by the check that caused it, and not by every check after it.
    An unreadable answer (judged where it was read) leaves ``expected`` in place."""
    stored = s.conversation(read) if read.status == 200 else None
    return stored if stored is not None and stored["id"] == expected["id"] else expected


def _accepted(
    s: Session, rule_id: str, exchange: Exchange, expected: dict[str, Any], what: str
) -> dict[str, Any]:
    """Check an update was answered with ``expected`` and reads back so; return what is stored."""
    s.expect(
        rule_id,
        exchange.status == 200 and exchange.json == expected,
        f"the update {what} must answer 200 with the stored object",
        expected=expected,
        actual=exchange.summary(),
        exchange=exchange,
    )
    read = s.get(str(expected["id"]))
    s.expect(
        rule_id,
        read.status == 200 and read.json == expected,
        f"after the update {what} GET must answer the stored object",
        expected=expected,
        actual=read.summary(),
        exchange=read,
    )
    return _stored(s, read, expected)


def _check_empty(s: Session, conversation_id: str, current: dict[str, Any]) -> dict[str, Any]:
    current = _accepted(s, "UPDATE-EMPTY", s.put(conversation_id, {}), current, "{}")
    bare = s.send("PUT", s.contract.item(conversation_id))
    return _accepted(s, "UPDATE-EMPTY", bare, current, "with no body at all")


def _check_rejections(s: Session, conversation_id: str, current: dict[str, Any]) -> dict[str, Any]:
    lo, hi = s.contract.timestamp_bounds
    plausible = {
        "id": s.new_id(),
        "contact_id": s.new_id(),
        "group_id": s.new_id(),
        "created_at": 1_700_000_000,
        "last_active_at": 1_700_000_000,
        "last_opened_at": 1_700_000_000,
    }
    cases: list[tuple[str, Any, str]] = [
        ("UPDATE-READ-ONLY", {name: plausible.get(name, 1_700_000_000)}, f"of {name}")
        for name in s.contract.read_only_fields
    ]
    cases += [
        ("UPDATE-UNKNOWN-ATTRIBUTE", {"nickname": "x"}, "with an unknown attribute"),
        (
            "UPDATE-UNKNOWN-ATTRIBUTE",
            {"is_muted": current.get("is_muted") is not True, "nickname": "x"},
            "with a valid change and an unknown attribute",
        ),
        (
            "UPDATE-READ-ONLY",
            {"is_pinned": current.get("is_pinned") is not True, "created_at": 1},
            "with a valid change and a read-only attribute",
        ),
        ("UPDATE-READ-ONLY", {"id": current["id"]}, "of id to its own value"),
        (
            "UPDATE-READ-ONLY",
            {"created_at": current.get("created_at", 1_700_000_000)},
            "of created_at to its own value",
        ),
    ]
    wrong: dict[str, list[Any]] = {
        "is_muted": ["true", 1, None, "yes"],
        "is_pinned": ["false", 0, None],
        "pinned_message_id": ["abc", 1234567890123456, "", "a" * (s.contract.id_length + 1), True],
        "archived_at": [lo - 1, hi + 1, "1700000000", 1_700_000_000.5, True, "", [1]],
    }
    for name in s.contract.updatable_fields:
        for value in wrong.get(name, []):
            cases.append(("UPDATE-TYPES", {name: value}, f"{name}={json_text(value)}"))
    for rule_id, body, what in cases:
        exchange = s.put(conversation_id, body)
        s.expect_status(rule_id, exchange, 400, f"an update {what} must answer 400")
        current = _unchanged(s, rule_id, conversation_id, current, what)
    for raw, what in (
        (b'{"is_muted": ', "truncated JSON"),
        (b"[]", "a JSON array"),
        (b'"x"', "a JSON string"),
        (b'{"is_muted": true', "an unclosed object"),
    ):
        exchange = s.send("PUT", s.contract.item(conversation_id), raw=raw, media_type=JSON)
        s.expect_status(
            "UPDATE-MALFORMED-BODY",
            exchange,
            400,
            f"an update whose body is {what} must answer 400",
        )
        current = _unchanged(s, "UPDATE-MALFORMED-BODY", conversation_id, current, what)
    return current


def _check_values(s: Session, conversation_id: str, current: dict[str, Any]) -> dict[str, Any]:
    lo, hi = s.contract.timestamp_bounds
    for value in (lo, hi):
        expected = {**current, "archived_at": value}
        current = _accepted(
            s,
            "UPDATE-TIMESTAMP-RANGE",
            s.put(conversation_id, {"archived_at": value}),
            expected,
            f"archived_at={value}",
        )
    whole = 1_700_000_000 + s.rng.randrange(1000)
    expected = {**current, "archived_at": whole}
    current = _accepted(
        s,
        "UPDATE-INTEGRAL-FLOAT",
        s.put(conversation_id, {"archived_at": float(whole)}),
        expected,
        f"archived_at={float(whole)}",
    )
    pinned = {**current, "pinned_message_id": s.new_id(), "is_pinned": True}
    current = _accepted(
        s,
        "UPDATE-NULL-CLEARS",
        s.put(
            conversation_id, {"pinned_message_id": pinned["pinned_message_id"], "is_pinned": True}
        ),
        pinned,
        "pinning a message",
    )
    for name in ("pinned_message_id", "archived_at"):
        expected = {**current, name: None}
        current = _accepted(
            s, "UPDATE-NULL-CLEARS", s.put(conversation_id, {name: None}), expected, f"{name}=null"
        )
    return current


def _check_form(s: Session, conversation_id: str, current: dict[str, Any]) -> dict[str, Any]:
    stamp = 1_650_000_000 + s.rng.randrange(1000)
    message = s.new_id()
    steps: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"is_muted": "true"}, {"is_muted": True}),
        ({"archived_at": str(stamp)}, {"archived_at": stamp}),
        (
            {"pinned_message_id": message, "is_pinned": "false"},
            {"pinned_message_id": message, "is_pinned": False},
        ),
        (
            {"pinned_message_id": "null", "archived_at": "null", "is_muted": "false"},
            {"pinned_message_id": None, "archived_at": None, "is_muted": False},
        ),
    ]
    for sent, change in steps:
        what = "form " + "&".join(f"{k}={v}" for k, v in sent.items())
        expected = {**current, **change}
        current = _accepted(
            s, "UPDATE-FORM", s.put(conversation_id, sent, media_type=FORM), expected, what
        )
    # Spellings a server may accept with the same meaning, or refuse with 400.
    for sent, change in (
        ({"is_muted": "yes"}, {"is_muted": True}),
        ({"is_muted": "OFF"}, {"is_muted": False}),
        ({"is_pinned": "1"}, {"is_pinned": True}),
        ({"is_pinned": "0"}, {"is_pinned": False}),
        ({"archived_at": f"+{stamp}"}, {"archived_at": stamp}),
        ({"archived_at": f"00{stamp + 1}"}, {"archived_at": stamp + 1}),
    ):
        what = "form " + "&".join(f"{k}={v}" for k, v in sent.items())
        exchange = s.put(conversation_id, sent, media_type=FORM)
        if exchange.status == 400:
            current = _unchanged(s, "UPDATE-FORM", conversation_id, current, what)
        else:
            expected = {**current, **change}
            current = _accepted(s, "UPDATE-FORM", exchange, expected, what)
    for sent in (
        {"is_muted": "banana"},
        {"archived_at": "abc"},
        {"is_pinned": "2"},
        {"archived_at": "-5"},
        {"archived_at": "1.5"},
        {"archived_at": "1_0"},
        {"archived_at": "1_000"},
        {"archived_at": " 5"},
        {"archived_at": "\u0665"},  # ARABIC-INDIC DIGIT FIVE: a digit, not a decimal one
    ):
        what = "form " + "&".join(f"{k}={v}" for k, v in sent.items())
        exchange = s.put(conversation_id, sent, media_type=FORM)
        s.expect_status("UPDATE-FORM", exchange, 400, f"an update {what} must answer 400")
        current = _unchanged(s, "UPDATE-FORM", conversation_id, current, what)
    return current


def _check_form_empty(s: Session, conversation_id: str, current: dict[str, Any]) -> dict[str, Any]:
    rule_id = "UPDATE-FORM-EMPTY-IS-NULL"
    nullable = [n for n in s.contract.updatable_fields if n in s.contract.nullable_fields]
    # Give every nullable attribute a value first, so that clearing it is observable (an
    # ordinary timestamp: the ends of the range are UPDATE-TIMESTAMP-RANGE's).
    values = {
        "pinned_message_id": s.new_id(),
        "archived_at": 1_600_000_000 + s.rng.randrange(10**8),
    }
    for name in nullable:
        if name in values:
            expected = {**current, name: values[name]}
            current = _accepted(
                s, rule_id, s.put(conversation_id, {name: values[name]}), expected, f"{name} set"
            )
        expected = {**current, name: None}
        current = _accepted(
            s,
            rule_id,
            s.put(conversation_id, {name: ""}, media_type=FORM),
            expected,
            f"form {name}= (empty)",
        )
    for name in s.contract.updatable_fields:
        if name in nullable:
            continue
        what = f"form {name}= (empty)"
        exchange = s.put(conversation_id, {name: ""}, media_type=FORM)
        s.expect_status(rule_id, exchange, 400, f"an update {what} must answer 400")
        current = _unchanged(s, rule_id, conversation_id, current, what)
    return current
