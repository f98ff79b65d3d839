"""Create validation: targets, attributes, ids, bodies, defaults, clock, form encoding."""

from __future__ import annotations

import itertools
import math
import time
from os.path import commonpath
from typing import Any

from protocol_kit.conformance.diffs import json_text
from protocol_kit.conformance.rules.lifecycle import ACTIVITY_FIELDS
from protocol_kit.conformance.session import FORM, JSON, Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement

GROUP = "create"
DESCRIPTION = "POST /v1/conversations: what is accepted, what is rejected, what is stored"
# The kit's clock and the server's may differ a little; a timezone or unit bug is far larger.
CLOCK_TOLERANCE_S = 30
RULES = [
    requirement("CREATE-TARGET-REQUIRED", GROUP),
    requirement("CREATE-TARGET-EXCLUSIVE", GROUP),
    requirement("CREATE-NULL-IS-ABSENT", GROUP),
    requirement("CREATE-UNKNOWN-ATTRIBUTE", GROUP),
    requirement("CREATE-ID-FORMAT", GROUP),
    requirement("CREATE-MALFORMED-BODY", GROUP),
    requirement("CREATE-REJECTED-NOT-STORED", GROUP),
    requirement("CREATE-DEFAULTS", GROUP),
    requirement("CREATE-CREATED-AT", GROUP),
    requirement("CREATE-ID-RANDOM", GROUP),
    requirement("CREATE-FORM", GROUP),
    # Sent form-encoded, and an empty target is read as null: both must work to judge it.
    requirement(
        "CREATE-FORM-EMPTY-IS-ABSENT", GROUP, relies_on=("CREATE-FORM", "CREATE-NULL-IS-ABSENT")
    ),
]


def check(s: Session) -> None:
    newest = _newest_id(s)
    if newest is None:  # an empty account: make a landmark to compare against
        s.create({"group_id": s.new_id()})
        newest = _newest_id(s)
    accepted: list[str] = []
    s.part(_check_rejections, s, s.contract.create_targets, accepted)
    if newest is not None:
        # A create that should have been refused but was accepted is the rule's it broke to
        # report; this one judges only what the refused creates left behind.
        newest = accepted[-1] if accepted else newest
        after_ex = s.listing(limit=1)
        page = s.page(after_ex)
        s.expect(
            "CREATE-REJECTED-NOT-STORED",
            page is not None and [c["id"] for c in page[0]] == [newest],
            "after refused creates the newest conversation must still be the last one "
            "created successfully",
            expected=newest,
            actual=after_ex.summary(),
            exchange=after_ex,
        )
    s.part(_check_accepted, s)


def _check_accepted(s: Session) -> None:
    before = time.time()
    contact_id = s.new_id()
    json_ex = s.create({"contact_id": contact_id})
    json_made = s.require_created(None, json_ex, "a valid JSON create must succeed")
    after = time.time()
    _check_defaults(s, json_made, "contact_id", json_ex)
    created_at = json_made.get("created_at")
    s.expect(
        "CREATE-CREATED-AT",
        isinstance(created_at, int | float)
        and math.isfinite(created_at)
        and created_at == int(created_at)
        and before - CLOCK_TOLERANCE_S <= created_at <= after + CLOCK_TOLERANCE_S,
        "created_at must be the creation time in Unix seconds",
        expected=f"an integer in [{int(before) - CLOCK_TOLERANCE_S}, "
        f"{int(after) + CLOCK_TOLERANCE_S}]",
        actual=created_at,
        exchange=json_ex,
    )

    group_id = s.new_id()
    group_ex = s.create({"group_id": group_id})
    if s.conversation(group_ex) is not None and group_ex.status == 201:
        _check_defaults(s, s.conversation(group_ex) or {}, "group_id", group_ex)

    _check_form(s, json_ex, contact_id)
    _check_form_empty(s)
    _check_null_is_absent(s)
    _check_random_ids(s)


def _check_defaults(s: Session, made: dict[str, Any], target: str, exchange: Any) -> None:
    wanted: dict[str, Any] = {name: False for name in s.contract.boolean_fields}
    wanted.update({name: None for name in s.contract.nullable_fields if name != target})
    actual = {name: made.get(name) for name in wanted}
    s.expect(
        "CREATE-DEFAULTS",
        actual == wanted,
        f"a conversation created with {target} must have the default values",
        expected=wanted,
        actual=actual,
        exchange=exchange,
    )
    s.expect(
        "CREATE-DEFAULTS",
        all(made.get(f) is None for f in ACTIVITY_FIELDS),
        "last_active_at/last_opened_at start null",
        expected="null",
        actual={f: made.get(f) for f in ACTIVITY_FIELDS},
        exchange=exchange,
    )


def _comparable(conversation: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in conversation.items() if k not in ("id", "created_at")}


def _check_form(s: Session, json_ex: Exchange, contact_id: str) -> None:
    _expect_same_as_json(s, {"contact_id": contact_id}, json_ex, "contact_id")
    # The literal null is null: the same result as JSON null (which CREATE-NULL-IS-ABSENT judges).
    body = {"group_id": s.new_id(), "contact_id": None}
    _expect_same_as_json(s, body, s.create(body), "group_id and contact_id=null")


def _expect_same_as_json(
    s: Session, body: dict[str, Any], json_ex: Exchange, what: str, made: list[str] | None = None
) -> None:
    """A form create of ``body`` must give the result its JSON create ``json_ex`` gave: the same
    status and, on success, the same conversation (which status is right is other rules')."""
    form_ex = s.create(body, media_type=FORM)
    if made is not None:
        made.extend(filter(None, map(_made_id, (json_ex, form_ex))))
    json_made, form_made = s.conversation(json_ex), s.conversation(form_ex)
    same = form_ex.status == json_ex.status and (
        json_ex.status >= 300
        or (
            json_made is not None
            and form_made is not None
            and _comparable(form_made) == _comparable(json_made)
        )
    )
    s.expect(
        "CREATE-FORM",
        same,
        f"a form-encoded create with {what} must give the same result as the JSON one",
        expected={
            "status": json_ex.status,
            **({} if json_made is None else _comparable(json_made)),
        },
        actual=form_ex.summary(),
        exchange=form_ex,
    )


def _made_id(exchange: Exchange) -> str:
    """The id of the conversation a create answered with success, or ''."""
    body = exchange.json
    made = body.get("id") if 200 <= exchange.status < 300 and isinstance(body, dict) else None
    return made if isinstance(made, str) else ""


def _check_form_empty(s: Session) -> None:
    targets = s.contract.create_targets
    for target in targets:
        other = next(t for t in targets if t != target)
        other_id = s.new_id()
        exchange = s.create({target: "", other: other_id}, media_type=FORM)
        made = s.conversation(exchange)
        s.expect(
            "CREATE-FORM-EMPTY-IS-ABSENT",
            200 <= exchange.status < 300
            and made is not None
            and made.get(other) == other_id
            and target in made
            and made[target] is None,
            f"a form create with {target}= (empty) and {other} must succeed with {target} null",
            expected={"status": "success", other: other_id, target: None},
            actual=exchange.summary(),
            exchange=exchange,
        )
        alone = s.create({target: ""}, media_type=FORM)
        s.expect_status(
            "CREATE-FORM-EMPTY-IS-ABSENT",
            alone,
            400,
            f"a form create with only {target}= (empty) has no target and must answer 400",
        )


def _check_null_is_absent(s: Session) -> None:
    for body, target in (
        ({"contact_id": s.new_id(), "group_id": None}, "contact_id"),
        ({"group_id": s.new_id(), "contact_id": None}, "group_id"),
    ):
        exchange = s.create(body)
        made = s.conversation(exchange)
        other = "group_id" if target == "contact_id" else "contact_id"
        s.expect(
            "CREATE-NULL-IS-ABSENT",
            200 <= exchange.status < 300
            and made is not None
            and made.get(target) == body[target]
            and other in made
            and made[other] is None,
            f"a create with {target} and {other}: null must succeed",
            expected=f"success with {target}={body[target]} and {other}=null",
            actual=exchange.summary(),
            exchange=exchange,
        )


# Two random ids share this many leading or trailing characters with odds of 62^-6 per pair.
_SHARED_RUN = 6
_RANDOM_SAMPLE = 20


def _check_random_ids(s: Session) -> None:
    group_id = s.new_id()
    ids, creates = [], []
    for _ in range(_RANDOM_SAMPLE):
        created = s.create({"group_id": group_id})
        made = s.conversation(created)
        if made is not None:
            ids.append(made["id"])
            creates.append(created)
    last = creates[-1] if creates else None
    for (first, second), exchange in zip(itertools.pairwise(ids), creates[1:], strict=True):
        prefix = len(commonpath([first, second]))
        suffix = len(commonpath([first[::-1], second[::-1]]))
        s.expect(
            "CREATE-ID-RANDOM",
            max(prefix, suffix) < _SHARED_RUN,
            "consecutive creates should not get ids that share a long prefix or suffix",
            expected=f"fewer than {_SHARED_RUN} shared leading/trailing characters",
            actual=f"{first} then {second}",
            exchange=exchange,
        )
    if len(ids) == _RANDOM_SAMPLE:
        s.expect(
            "CREATE-ID-RANDOM",
            ids != sorted(ids) and ids != sorted(ids, reverse=True),
            f"{_RANDOM_SAMPLE} consecutive ids should not come out in sorted order",
            expected="no order",
            actual=ids,
            exchange=last,
        )


def _newest_id(s: Session) -> str | None:
    page = s.page(s.listing(limit=1))
    return page[0][0]["id"] if page and page[0] else None


def _check_rejections(s: Session, targets: list[str], made: list[str]) -> None:
    """Creates that must be refused; the ids of any the server accepted go to ``made``."""
    contact, group = targets[0], targets[-1]
    rejected: list[tuple[str, Any, str]] = [
        ("CREATE-TARGET-REQUIRED", {}, "an empty object"),
        ("CREATE-TARGET-REQUIRED", {contact: None}, f"only {contact}: null"),
        ("CREATE-TARGET-REQUIRED", {group: None}, f"only {group}: null"),
        ("CREATE-TARGET-REQUIRED", {contact: None, group: None}, "both null"),
        ("CREATE-TARGET-EXCLUSIVE", {contact: s.new_id(), group: s.new_id()}, "both targets"),
    ]
    read_only = {
        "id": s.new_id(),
        "is_muted": True,
        "is_pinned": True,
        "pinned_message_id": s.new_id(),
        "archived_at": 1_700_000_000,
        "created_at": 1_700_000_000,
        "last_active_at": 1_700_000_000,
        "last_opened_at": 1_700_000_000,
    }
    for name in s.contract.conversation_fields:
        if name not in targets and name in read_only:
            rejected.append(
                (
                    "CREATE-UNKNOWN-ATTRIBUTE",
                    {group: s.new_id(), name: read_only[name]},
                    f"the attribute {name}",
                )
            )
    rejected.append(
        (
            "CREATE-UNKNOWN-ATTRIBUTE",
            {contact: s.new_id(), "nickname": "x"},
            "an unknown attribute `nickname`",
        )
    )
    length = s.contract.id_length
    bad_ids: list[Any] = [
        "abc",
        "a" * (length - 1),
        "a" * (length + 1),
        "abcdefgh-" + "a" * (length - 9),
        "",
        1234567890123456,
        True,
        [s.new_id()],
        {"id": s.new_id()},
        " " + "a" * (length - 1),
    ]
    for target in targets:
        for bad in bad_ids:
            rejected.append(("CREATE-ID-FORMAT", {target: bad}, f"{target}={json_text(bad)}"))
    for rule_id, body, what in rejected:
        exchange = s.create(body)
        made.extend(filter(None, [_made_id(exchange)]))
        s.expect_status(rule_id, exchange, 400, f"a create with {what} must answer 400")
    # Form-encoded, the same creates are refused as in JSON: that sameness is CREATE-FORM's.
    as_form: list[tuple[dict[str, Any], str]] = [
        ({contact: "abc"}, "contact_id=abc"),
        ({group: s.new_id(), "is_muted": True}, "is_muted=true"),
        ({contact: s.new_id(), group: s.new_id()}, "both targets"),
    ]
    for body, what in as_form:
        _expect_same_as_json(s, body, s.create(body), what, made)
    valid = f'{{"{contact}": "{s.new_id()}"'
    for raw, what in (
        (valid.encode(), "truncated JSON"),
        (b"[]", "a JSON array"),
        (b'"x"', "a JSON string"),
        (b"null", "JSON null"),
        (b"", "an empty body"),
        (valid.encode() + b', "x": "\xff\xfe"}', "invalid UTF-8"),
    ):
        exchange = s.send("POST", s.contract.collection_path, raw=raw, media_type=JSON)
        s.remember(exchange)
        s.expect_status(
            "CREATE-MALFORMED-BODY", exchange, 400, f"a create whose body is {what} must answer 400"
        )
