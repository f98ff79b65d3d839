"""Create, retrieve, update and delete, as the pinned contract says."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import ID
from .contract import assert_error, create, new_id

FIELDS = {
    "id",
    "contact_id",
    "group_id",
    "pinned_message_id",
    "is_pinned",
    "is_muted",
    "last_active_at",
    "last_opened_at",
    "created_at",
    "archived_at",
}


def test_create_answers_201_with_all_ten_fields_and_defaults(api: httpx.Client) -> None:
    before = int(time.time())
    contact = new_id()
    response = api.post("/v1/conversations", json={"contact_id": contact})
    after = int(time.time())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert ID.match(body["id"])
    assert body["contact_id"] == contact
    assert before <= body["created_at"] <= after
    assert body["is_pinned"] is False and body["is_muted"] is False
    for name in (
        "group_id",
        "pinned_message_id",
        "last_active_at",
        "last_opened_at",
        "archived_at",
    ):
        assert body[name] is None


def test_create_with_a_group(api: httpx.Client) -> None:
    group = new_id()
    body = create(api, group_id=group)
    assert body["group_id"] == group and body["contact_id"] is None


def test_explicit_null_counts_as_absent(api: httpx.Client) -> None:
    group = new_id()
    body = create(api, contact_id=None, group_id=group)
    assert body["group_id"] == group


def test_repeated_creates_with_one_contact_make_distinct_conversations(api: httpx.Client) -> None:
    contact = new_id()
    ids = {create(api, contact_id=contact)["id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, ["contact_id", "group_id"]),
        ({"contact_id": None, "group_id": None}, ["contact_id", "group_id"]),
        ({"contact_id": "WAz8eIbvDR60rouK", "group_id": "8Kw2bQqN1mTz7XcV"}, ["Exactly one"]),
        ({"contact_id": "WAz8eIbvDR60rouK", "is_muted": True}, ["is_muted"]),
        ({"contact_id": "WAz8eIbvDR60rouK", "id": "WAz8eIbvDR60rouK"}, ["id"]),
        ({"contact_id": "short"}, ["contact_id"]),
        ({"contact_id": "WAz8eIbvDR60rouK!"}, ["contact_id"]),
        ({"contact_id": "WAz8eIbvDR60rou-"}, ["contact_id"]),
        ({"contact_id": 1234567890123456}, ["contact_id"]),
        ({"group_id": ["8Kw2bQqN1mTz7XcV"]}, ["group_id"]),
    ],
)
def test_create_rejects_bad_bodies_and_stores_nothing(
    api: httpx.Client, body: dict, words: list[str]
) -> None:
    before = api.get("/v1/conversations", params={"limit": 100}).json()["data"]
    assert_error(api.post("/v1/conversations", json=body), 400, *words)
    after = api.get("/v1/conversations", params={"limit": 100}).json()["data"]
    assert before == after


def test_get_returns_what_create_returned_and_has_no_side_effects(api: httpx.Client) -> None:
    created = create(api)
    first = api.get(f"/v1/conversations/{created['id']}")
    second = api.get(f"/v1/conversations/{created['id']}")
    assert first.status_code == 200
    assert first.json() == created == second.json()


@pytest.mark.parametrize(
    "path_id", ["AAAAAAAAAAAAAAAA", "short", "has-a-dash-16chr", "x" * 17, "%C3%A9" * 8]
)
def test_unknown_or_malformed_path_ids_are_404(api: httpx.Client, path_id: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        kwargs = {"json": {}} if method == "PUT" else {}
        assert_error(api.request(method, f"/v1/conversations/{path_id}", **kwargs), 404)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"is_muted": True}, {"is_muted": True}),
        ({"is_pinned": True}, {"is_pinned": True}),
        ({"pinned_message_id": "m3ssageIdPinned1"}, {"pinned_message_id": "m3ssageIdPinned1"}),
        ({"archived_at": 1700000000}, {"archived_at": 1700000000}),
        ({"archived_at": 1700000000.0}, {"archived_at": 1700000000}),
        ({"archived_at": 0}, {"archived_at": 0}),
        ({"archived_at": 9007199254740991}, {"archived_at": 9007199254740991}),
        ({"is_muted": True, "is_pinned": True}, {"is_muted": True, "is_pinned": True}),
    ],
)
def test_update_is_partial_and_persists(api: httpx.Client, change: dict, expected: dict) -> None:
    created = create(api)
    response = api.put(f"/v1/conversations/{created['id']}", json=change)
    assert response.status_code == 200
    assert response.json() == {**created, **expected}
    assert api.get(f"/v1/conversations/{created['id']}").json() == {**created, **expected}


def test_update_keeps_integer_type_for_float_timestamps(api: httpx.Client) -> None:
    created = create(api)
    response = api.put(
        f"/v1/conversations/{created['id']}",
        content=b'{"archived_at": 1700000000.0}',
        headers={"content-type": "application/json"},
    )
    assert b'"archived_at":1700000000' in response.content.replace(b" ", b"")
    assert b"1700000000.0" not in response.content


def test_null_unpins_and_unarchives(api: httpx.Client) -> None:
    created = create(api)
    url = f"/v1/conversations/{created['id']}"
    api.put(url, json={"pinned_message_id": "m3ssageIdPinned1", "archived_at": 1700000000})
    response = api.put(url, json={"pinned_message_id": None, "archived_at": None})
    assert response.json()["pinned_message_id"] is None
    assert response.json()["archived_at"] is None


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"id": "AAAAAAAAAAAAAAAA"}, "id"),
        ({"created_at": 5}, "created_at"),
        ({"contact_id": "AAAAAAAAAAAAAAAA"}, "contact_id"),
        ({"group_id": None}, "group_id"),
        ({"last_active_at": 5}, "last_active_at"),
        ({"last_opened_at": 5}, "last_opened_at"),
        ({"colour": "red"}, "colour"),
        ({"is_muted": "true"}, "is_muted"),
        ({"is_pinned": 1}, "is_pinned"),
        ({"is_muted": None}, "is_muted"),
        ({"archived_at": -1}, "archived_at"),
        ({"archived_at": 9007199254740992}, "archived_at"),
        ({"archived_at": 1.5}, "archived_at"),
        ({"archived_at": "1700000000"}, "archived_at"),
        ({"pinned_message_id": "nope"}, "pinned_message_id"),
        ({"is_muted": True, "created_at": 5}, "created_at"),
    ],
)
def test_update_rejects_bad_attributes_and_changes_nothing(
    api: httpx.Client, change: dict, word: str
) -> None:
    created = create(api)
    url = f"/v1/conversations/{created['id']}"
    assert_error(api.put(url, json=change), 400, word)
    assert api.get(url).json() == created


def test_empty_update_answers_the_unchanged_conversation(api: httpx.Client) -> None:
    created = create(api)
    url = f"/v1/conversations/{created['id']}"
    assert api.put(url).json() == created
    assert api.put(url, json={}).json() == created


def test_delete_answers_204_then_everything_is_404(api: httpx.Client) -> None:
    created = create(api)
    url = f"/v1/conversations/{created['id']}"
    response = api.delete(url)
    assert response.status_code == 204 and response.content == b""
    assert_error(api.get(url), 404, created["id"])
    assert_error(api.put(url, json={"is_muted": True}), 404)
    assert_error(api.delete(url), 404)
    ids = [c["id"] for c in api.get("/v1/conversations", params={"limit": 100}).json()["data"]]
    assert created["id"] not in ids
