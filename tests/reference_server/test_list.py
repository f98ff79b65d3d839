"""Listing: limits, filters, newest-first order and both cursor directions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .contract import assert_error, create, new_id


@pytest.fixture(scope="module")
def dataset(api: httpx.Client) -> tuple[str, list[dict[str, Any]]]:
    """23 conversations in one fresh group, oldest first, with every mix of states."""
    group = new_id()
    created = []
    for index in range(23):
        conversation = create(api, group_id=group)
        change: dict[str, Any] = {}
        if index % 2:
            change["is_muted"] = True
        if index % 3 == 0:
            change["is_pinned"] = True
        if index % 5 in (1, 2):
            change["archived_at"] = 1700000000 + index
        if change:
            conversation = api.put(f"/v1/conversations/{conversation['id']}", json=change).json()
        created.append(conversation)
    return group, created


def _list(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/conversations", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_default_limit_is_ten_newest_first(api: httpx.Client, dataset) -> None:
    group, created = dataset
    page = _list(api, group_id=group)
    assert [c["id"] for c in page["data"]] == [c["id"] for c in reversed(created)][:10]
    assert page["has_more"] is True


@pytest.mark.parametrize("limit", [1, 7, 23, 100])
def test_limit_bounds_the_page(api: httpx.Client, dataset, limit: int) -> None:
    group, _ = dataset
    page = _list(api, group_id=group, limit=limit)
    assert len(page["data"]) == min(limit, 23)
    assert page["has_more"] is (limit < 23)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", ""])
def test_limit_outside_1_to_100_is_400(api: httpx.Client, limit: str) -> None:
    assert_error(api.get("/v1/conversations", params={"limit": limit}), 400, "limit")


@pytest.mark.parametrize(
    "filters",
    [
        {"muted": "true"},
        {"muted": "false"},
        {"pinned": "true"},
        {"pinned": "false"},
        {"archived": "true"},
        {"archived": "false"},
        {"muted": "true", "pinned": "false"},
        {"muted": "false", "archived": "true", "pinned": "true"},
    ],
)
def test_filters_select_exactly_the_matching_conversations(
    api: httpx.Client, dataset, filters: dict[str, str]
) -> None:
    group, created = dataset
    checks = {
        "muted": lambda c: c["is_muted"],
        "pinned": lambda c: c["is_pinned"],
        "archived": lambda c: c["archived_at"] is not None,
    }
    expected = [
        c["id"]
        for c in reversed(created)
        if all(checks[name](c) == (value == "true") for name, value in filters.items())
    ]
    assert expected, "the dataset must hold a match for every filter"
    page = _list(api, group_id=group, limit=100, **filters)
    assert [c["id"] for c in page["data"]] == expected
    assert page["has_more"] is False


@pytest.mark.parametrize("value", ["yes", "1", "TRUE", "True", ""])
def test_boolean_filters_take_only_true_or_false(api: httpx.Client, value: str) -> None:
    for name in ("muted", "archived", "pinned"):
        assert_error(api.get("/v1/conversations", params={name: value}), 400, name)


def test_group_filter_and_malformed_group(api: httpx.Client, dataset) -> None:
    assert _list(api, group_id=new_id())["data"] == []
    assert_error(api.get("/v1/conversations", params={"group_id": "nope"}), 400, "group_id")


@pytest.mark.parametrize("limit", [1, 4, 10, 23])
def test_forward_and_backward_walks_cover_the_dataset_exactly(
    api: httpx.Client, dataset, limit: int
) -> None:
    group, created = dataset
    newest_first = [c["id"] for c in reversed(created)]
    walked: list[str] = []
    page = _list(api, group_id=group, limit=limit)
    while True:
        walked += [c["id"] for c in page["data"]]
        assert page["has_more"] is (len(walked) < len(newest_first))
        if not page["has_more"]:
            break
        page = _list(api, group_id=group, limit=limit, starting_after=walked[-1])
    assert walked == newest_first

    back: list[str] = []
    page = _list(api, group_id=group, limit=limit, starting_after=newest_first[-1])
    assert page == {"has_more": False, "data": []}
    cursor = newest_first[-1]
    while True:
        page = _list(api, group_id=group, limit=limit, ending_before=cursor)
        ids = [c["id"] for c in page["data"]]
        back = ids + back
        expected_before = newest_first[: newest_first.index(cursor)]
        assert ids == expected_before[-limit:]
        assert page["has_more"] is (len(expected_before) > limit)
        if not page["has_more"]:
            break
        cursor = ids[0]
    assert back == newest_first[:-1]


def test_cursor_may_name_a_conversation_the_filters_exclude(api: httpx.Client, dataset) -> None:
    group, created = dataset
    newest_first = list(reversed(created))
    unmuted = next(c for c in newest_first if not c["is_muted"])
    position = newest_first.index(unmuted)
    page = _list(api, group_id=group, muted="true", limit=100, starting_after=unmuted["id"])
    assert [c["id"] for c in page["data"]] == [
        c["id"] for c in newest_first[position + 1 :] if c["is_muted"]
    ]


def test_cursors_are_rejected_together_and_when_unknown(api: httpx.Client, dataset) -> None:
    _, created = dataset
    both = {"starting_after": created[5]["id"], "ending_before": created[3]["id"]}
    assert_error(api.get("/v1/conversations", params=both), 400, "starting_after", "ending_before")
    for name in ("starting_after", "ending_before"):
        assert_error(api.get("/v1/conversations", params={name: new_id()}), 400, name)
        assert_error(api.get("/v1/conversations", params={name: "bad"}), 400, name)


def test_same_second_creates_list_later_created_first(api: httpx.Client) -> None:
    group = new_id()
    ids = [create(api, group_id=group)["id"] for _ in range(6)]
    assert [c["id"] for c in _list(api, group_id=group)["data"]] == ids[::-1]


def test_unknown_query_parameters_are_ignored(api: httpx.Client, dataset) -> None:
    group, _ = dataset
    assert _list(api, group_id=group, colour="red") == _list(api, group_id=group)


def test_repeated_query_parameter_is_400(api: httpx.Client) -> None:
    assert_error(api.get("/v1/conversations?limit=1&limit=2"), 400, "limit")
