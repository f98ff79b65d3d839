"""The server's 400 messages show values in JSON notation, as the request carried them."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from protocol_kit.server.runner import running_server
from protocol_kit.spec import Spec

from .conftest import TOKEN, bearer


@pytest.fixture(scope="module")
def conversation(api: httpx.Client) -> dict[str, Any]:
    response = api.post("/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV"})
    assert response.status_code == 201
    return dict(response.json())


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"is_muted": None}, 'null is not of type "boolean"'),
        ({"is_muted": "yes"}, '"yes" is not of type "boolean"'),
        ({"is_pinned": 1}, '1 is not of type "boolean"'),
        ({"pinned_message_id": "abc"}, '"abc" is not valid; expected'),
        ({"colour": "red", "size": 1}, '("colour", "size" unexpected)'),
    ],
)
def test_body_messages_use_json_notation(
    api: httpx.Client, conversation: dict[str, Any], body: dict[str, Any], shown: str
) -> None:
    response = api.put(f"/v1/conversations/{conversation['id']}", json=body)
    assert response.status_code == 400
    message = response.json()["message"]
    assert shown in message
    assert "None" not in message and "'" not in message, message


def test_a_form_null_string_is_shown_as_a_string(
    api: httpx.Client, conversation: dict[str, Any]
) -> None:
    response = api.put(
        f"/v1/conversations/{conversation['id']}",
        content=b"is_muted=maybe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert 'Request body `is_muted`: "maybe" is not' in message
    assert "'" not in message, message


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"limit": "abc"}, 'Query parameter `limit`: "abc" is not of type "integer"'),
        ({"limit": "0"}, "Query parameter `limit`: 0 is less than the minimum of 1"),
        ({"group_id": "x"}, 'Query parameter `group_id`: "x" does not match "^[A-Za-z0-9]{16}$"'),
    ],
)
def test_query_messages_use_json_notation(
    api: httpx.Client, query: dict[str, str], shown: str
) -> None:
    response = api.get("/v1/conversations", params=query)
    assert response.status_code == 400
    assert shown in response.json()["message"]


def test_the_default_limit_is_the_specs(api: httpx.Client, spec: Spec) -> None:
    limit = spec.operation("GET", "/v1/conversations").parameter("limit")
    assert limit is not None and isinstance(limit.default, int)
    for _ in range(limit.default + 1):
        created = api.post("/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV"})
        assert created.status_code == 201
    page = api.get("/v1/conversations").json()
    assert len(page["data"]) == limit.default and page["has_more"] is True


def test_the_body_limit_and_the_default_limit_come_from_the_spec() -> None:
    document = copy.deepcopy(Spec.load().data)
    document["components"]["responses"]["PayloadTooLarge"]["x-max-body-bytes"] = 64
    document["components"]["parameters"]["Limit"]["schema"]["default"] = 3
    with (
        running_server(tokens=[TOKEN], spec=Spec(document)) as url,
        httpx.Client(base_url=url, headers=bearer(TOKEN)) as client,
    ):
        padded = b'{"group_id": "8Kw2bQqN1mTz7XcV"' + b" " * 40 + b"}"
        too_large = client.post(
            "/v1/conversations", content=padded, headers={"Content-Type": "application/json"}
        )
        assert too_large.status_code == 413
        assert "64 bytes" in too_large.json()["message"]
        for _ in range(4):
            created = client.post("/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV"})
            assert created.status_code == 201
        assert len(client.get("/v1/conversations").json()["data"]) == 3


@pytest.mark.parametrize(
    "literal", ["1700000000.0000001", "9007199254740990.5", "5.000000000000001"]
)
def test_a_number_rounded_into_an_integer_is_not_an_integer(
    api: httpx.Client, conversation: dict[str, Any], literal: str
) -> None:
    """The number written is judged, not its nearest double (which a JavaScript parser keeps)."""
    before = api.get(f"/v1/conversations/{conversation['id']}").json()
    response = api.put(
        f"/v1/conversations/{conversation['id']}",
        content=f'{{"archived_at": {literal}}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert f"{literal} is not valid" in response.json()["message"]
    assert api.get(f"/v1/conversations/{conversation['id']}").json() == before


@pytest.mark.parametrize(("literal", "stored"), [("1.0", 1), ("1e3", 1000), ("17E8", 1700000000)])
def test_an_integer_written_with_a_fraction_or_exponent_is_an_integer(
    api: httpx.Client, conversation: dict[str, Any], literal: str, stored: int
) -> None:
    """JSON Schema's `integer` is a number with no fractional part, however it is written."""
    response = api.put(
        f"/v1/conversations/{conversation['id']}",
        content=f'{{"archived_at": {literal}}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["archived_at"] == stored
