"""Lifecycle: create → get → update each field → read back via get and list → delete → 404."""

from __future__ import annotations

from typing import Any

from protocol_kit.conformance.diffs import json_text
from protocol_kit.conformance.session import Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement

GROUP = "lifecycle"
DESCRIPTION = "create, retrieve, update, delete and what each leaves behind"
RULES = [
    requirement("LIFECYCLE-CREATE-201", GROUP),
    requirement("LIFECYCLE-CREATE-ECHO", GROUP),
    requirement("LIFECYCLE-CREATE-DISTINCT", GROUP),
    requirement("LIFECYCLE-GET", GROUP),
    requirement("LIFECYCLE-GET-NO-SIDE-EFFECTS", GROUP),
    requirement("LIFECYCLE-UPDATE-RESPONSE", GROUP),
    # Reads the update back with GET (which must change nothing itself) and with the group filter.
    requirement(
        "LIFECYCLE-UPDATE-PERSISTS",
        GROUP,
        relies_on=("LIFECYCLE-GET-NO-SIDE-EFFECTS", "LIST-FILTER-GROUP"),
    ),
    requirement("LIFECYCLE-DELETE-204", GROUP),
    requirement("LIFECYCLE-DELETED-404", GROUP),
    requirement("LIFECYCLE-UNKNOWN-ID-404", GROUP),
]

# The contract pins these: no conversations endpoint ever sets them.
ACTIVITY_FIELDS = ("last_active_at", "last_opened_at")


def _updates(s: Session) -> list[tuple[str, Any]]:
    """One new value for each updatable attribute the spec lists, in spec order."""
    values: dict[str, Any] = {
        "pinned_message_id": s.new_id(),
        "is_pinned": True,
        "is_muted": True,
        "archived_at": 1_600_000_000 + s.rng.randrange(100_000_000),
    }
    return [(name, values[name]) for name in s.contract.updatable_fields if name in values]


def check(s: Session) -> None:
    s.part(_check_unknown_ids, s)
    s.part(_check_lifecycle, s)


def _check_lifecycle(s: Session) -> None:
    contact_id = s.new_id()
    created_ex = s.create({"contact_id": contact_id})
    created = s.require_created(
        "LIFECYCLE-CREATE-201",
        created_ex,
        "create with a contact_id must answer 201 with a conversation",
    )
    s.expect(
        "LIFECYCLE-CREATE-ECHO",
        created.get("contact_id") == contact_id
        and "group_id" in created
        and created["group_id"] is None,
        "the created conversation must carry the contact_id sent and group_id null",
        expected={"contact_id": contact_id, "group_id": None},
        actual={k: created[k] for k in ("contact_id", "group_id") if k in created},
        exchange=created_ex,
    )

    group_id = s.new_id()
    group_ex = s.create({"group_id": group_id})
    grouped = s.require_created(
        "LIFECYCLE-CREATE-201",
        group_ex,
        "create with a group_id must answer 201 with a conversation",
    )
    s.expect(
        "LIFECYCLE-CREATE-ECHO",
        grouped.get("group_id") == group_id
        and "contact_id" in grouped
        and grouped["contact_id"] is None,
        "the created conversation must carry the group_id sent and contact_id null",
        expected={"contact_id": None, "group_id": group_id},
        actual={k: grouped[k] for k in ("contact_id", "group_id") if k in grouped},
        exchange=group_ex,
    )

    again_ex = s.create({"contact_id": contact_id})
    again = s.conversation(again_ex)
    # Which success status is LIFECYCLE-CREATE-201's to judge.
    s.expect(
        "LIFECYCLE-CREATE-DISTINCT",
        200 <= again_ex.status < 300 and again is not None and again["id"] != created["id"],
        "a second create with the same contact must create a new conversation",
        expected=f"success with an id other than {created['id']}",
        actual=again_ex.summary(),
        exchange=again_ex,
    )

    for made in (created, again):
        problems = s.contract.id_schema.errors(made.get("id")) if made else []
        s.expect(
            "LIFECYCLE-CREATE-DISTINCT",
            not problems,
            "a conversation id must be 16 letters and digits",
            expected=f"an id valid against {s.contract.id_schema.pointer}",
            actual="; ".join(problems),
            exchange=again_ex,
        )
    _check_get(s, created)
    _check_updates(s, grouped, group_id)
    _check_delete(s, created["id"])
    _check_case_changed_id(s, grouped["id"])


def _without_activity(conversation: Any) -> Any:
    if not isinstance(conversation, dict):
        return conversation
    return {k: v for k, v in conversation.items() if k not in ACTIVITY_FIELDS}


def _check_get(s: Session, created: dict[str, Any]) -> None:
    first = s.get(created["id"])
    # Whether reading set an activity field is LIFECYCLE-GET-NO-SIDE-EFFECTS' to judge (it
    # compares the whole object, activity fields included).
    s.expect(
        "LIFECYCLE-GET",
        first.status == 200 and _without_activity(first.json) == _without_activity(created),
        "GET must answer 200 with the object the create returned",
        expected=created,
        actual=first.summary(),
        exchange=first,
    )
    s.listing()
    second = s.get(created["id"])
    untouched = (
        all(second.json.get(f) is None for f in ACTIVITY_FIELDS)
        if isinstance(second.json, dict)
        else False
    )
    s.expect(
        "LIFECYCLE-GET-NO-SIDE-EFFECTS",
        second.status == 200 and second.json == created and untouched,
        "a GET after a GET and a list must answer the same object: reading changes nothing",
        expected=created,
        actual=second.summary(),
        exchange=second,
    )


def _check_updates(s: Session, conversation: dict[str, Any], group_id: str) -> None:
    # Each update is predicted from what the server holds, as last read: one wrong answer or
    # one lost write is reported once, by its own rule, not again by every update after it.
    stored = dict(conversation)
    for name, value in _updates(s):
        sent = json_text({name: value})
        exchange = s.put(conversation["id"], {name: value})
        expected = {**stored, name: value}
        s.expect(
            "LIFECYCLE-UPDATE-RESPONSE",
            exchange.status == 200 and exchange.json == expected,
            f"PUT {sent} must answer 200 with the stored conversation "
            "(earlier updates kept, nothing else changed)",
            expected=expected,
            actual=exchange.summary(),
            exchange=exchange,
        )
        answered = s.conversation(exchange) if exchange.status == 200 else None
        read = s.get(conversation["id"])
        shown = s.conversation(read) if read.status == 200 else None
        # Persisting is judged apart from answering: what is read back must carry the change
        # and be the object the update should have made or the one it answered.
        s.expect(
            "LIFECYCLE-UPDATE-PERSISTS",
            shown is not None and shown.get(name) == value and shown in (expected, answered),
            f"after PUT {sent} GET must answer the updated object",
            expected=expected,
            actual=read.summary(),
            exchange=read,
        )
        visible = shown if shown is not None else expected
        listed = s.listing(group_id=group_id)
        entry = _listed(listed, conversation["id"])
        # Compared attribute by attribute: an object's shape is PROTO-RESPONSE-SHAPE's to judge.
        fields = s.contract.conversation_fields
        s.expect(
            "LIFECYCLE-UPDATE-PERSISTS",
            entry is not None
            and entry.get(name) == value
            and all(entry.get(f) == visible.get(f) for f in fields),
            f"after PUT {sent} the list filtered by its group must show the update",
            expected={"data": [visible]},
            actual=listed.summary(),
            exchange=listed,
        )
        stored = visible


def _listed(listed: Exchange, conversation_id: str) -> dict[str, Any] | None:
    """The conversation as a list answer shows it (its page's other members are judged by the
    list rules, its shape by PROTO-RESPONSE-SHAPE)."""
    body = listed.json
    data = body.get("data") if listed.status == 200 and isinstance(body, dict) else None
    members = data if isinstance(data, list) else []
    found = [c for c in members if isinstance(c, dict) and c.get("id") == conversation_id]
    return found[0] if len(found) == 1 else None


def _check_delete(s: Session, conversation_id: str) -> None:
    deleted = s.send("DELETE", s.contract.item(conversation_id))
    s.expect(
        "LIFECYCLE-DELETE-204",
        deleted.status == 204 and deleted.response_body == b"",
        "DELETE must answer 204 with an empty body",
        expected="204, empty body",
        actual=deleted.summary(),
        exchange=deleted,
    )
    for method, body in (("GET", None), ("PUT", {"is_muted": True}), ("DELETE", None)):
        exchange = s.send(method, s.contract.item(conversation_id), body=body)
        s.expect_status(
            "LIFECYCLE-DELETED-404",
            exchange,
            404,
            f"{method} of a deleted conversation must answer 404",
        )
    listed = s.listing(limit=s.contract.limit_bounds[1])
    page = s.page(listed)
    if page is not None:
        ids = [c["id"] for c in page[0]]
        s.expect(
            "LIFECYCLE-DELETED-404",
            conversation_id not in ids,
            "a deleted conversation must not be listed any more",
            expected=f"{conversation_id} absent",
            actual=f"listed at position "
            f"{ids.index(conversation_id) if conversation_id in ids else -1}",
            exchange=listed,
        )


def _check_unknown_ids(s: Session, ids: list[str] | None = None) -> None:
    length = s.contract.id_length
    if ids is None:
        ids = [
            s.new_id(),
            "abc",
            "a" * (length + 1),
            "a" * (length - 1),
            "abcdefgh-" + "a" * (length - 9),
        ]
    for method, body in (("GET", None), ("PUT", {"is_muted": False}), ("DELETE", None)):
        for conversation_id in ids:
            exchange = s.send(method, s.contract.item(conversation_id), body=body)
            s.expect_status(
                "LIFECYCLE-UNKNOWN-ID-404",
                exchange,
                404,
                f"{method} of id {json_text(conversation_id)} (not one of the account's "
                "conversations) must answer 404",
            )


def _check_case_changed_id(s: Session, real_id: str) -> None:
    """Ids are case-sensitive: the same letters in other cases name no conversation."""
    swapped = real_id.swapcase()
    if swapped == real_id:
        return
    _check_unknown_ids(s, [swapped])
    read = s.get(real_id)
    s.expect(
        "LIFECYCLE-UNKNOWN-ID-404",
        read.status == 200,
        "requests for a case-changed id must not touch the real conversation",
        expected="200",
        actual=read.summary(),
        exchange=read,
    )
