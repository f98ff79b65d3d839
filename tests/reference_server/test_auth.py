"""Authentication and account isolation."""

from __future__ import annotations

import httpx
import pytest

from .conftest import bearer
from .contract import assert_error, create, new_id


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer token-of-account-one extra"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Token token-of-account-one"},
        {"Authorization": "Bearer not-a-known-token"},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/conversations"),
        ("POST", "/v1/conversations"),
        ("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ"),
        ("PUT", "/v1/conversations/xgQQXg3hrtjh7AvZ"),
        ("DELETE", "/v1/conversations/xgQQXg3hrtjh7AvZ"),
    ],
)
def test_missing_malformed_or_unknown_token_is_401(
    anonymous: httpx.Client, headers: dict[str, str], method: str, path: str
) -> None:
    response = anonymous.request(method, path, headers=headers, json={"contact_id": new_id()})
    assert_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_another_accounts_conversation_is_indistinguishable_from_a_missing_one(
    api: httpx.Client, other_api: httpx.Client
) -> None:
    mine = create(api)
    missing = new_id()
    for method, kwargs in (("GET", {}), ("PUT", {"json": {"is_muted": True}}), ("DELETE", {})):
        theirs = other_api.request(method, f"/v1/conversations/{mine['id']}", **kwargs)
        absent = other_api.request(method, f"/v1/conversations/{missing}", **kwargs)
        assert theirs.status_code == absent.status_code == 404
        assert theirs.json()["message"].replace(mine["id"], missing) == absent.json()["message"]
        assert dict(theirs.headers).keys() == dict(absent.headers).keys()
    assert api.get(f"/v1/conversations/{mine['id']}").json() == mine


def test_lists_are_per_account_and_cursors_do_not_cross(
    api: httpx.Client, other_api: httpx.Client
) -> None:
    group = new_id()
    mine = create(api, group_id=group)
    assert other_api.get("/v1/conversations", params={"group_id": group}).json()["data"] == []
    everything = other_api.get("/v1/conversations", params={"limit": 100}).json()["data"]
    assert mine["id"] not in {c["id"] for c in everything}
    for cursor in ("starting_after", "ending_before"):
        assert_error(other_api.get("/v1/conversations", params={cursor: mine["id"]}), 400, cursor)


def test_the_bearer_scheme_is_case_insensitive(base_url: str) -> None:
    headers = {"Authorization": "bearer token-of-account-one"}
    assert httpx.get(f"{base_url}/v1/conversations", headers=headers).status_code == 200
    assert (
        httpx.get(
            f"{base_url}/v1/conversations", headers=bearer("token-of-account-one")
        ).status_code
        == 200
    )
