"""HTTP-level rules: content types, form bodies, sizes, unknown paths and methods, the error shape."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from .contract import assert_error, create, new_id

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_form_and_json_bodies_give_the_same_result(api: httpx.Client) -> None:
    contact = new_id()
    from_form = api.post("/v1/conversations", content=f"contact_id={contact}", headers=FORM)
    from_json = api.post("/v1/conversations", json={"contact_id": contact})
    assert from_form.status_code == from_json.status_code == 201

    def strip(c):
        return {k: v for k, v in c.items() if k not in ("id", "created_at")}

    assert strip(from_form.json()) == strip(from_json.json())


def test_form_values_true_false_digits_and_null(api: httpx.Client) -> None:
    created = create(api)
    url = f"/v1/conversations/{created['id']}"
    body = urlencode({"is_muted": "true", "is_pinned": "false", "archived_at": "1700000000"})
    updated = api.put(url, content=body, headers=FORM).json()
    assert (updated["is_muted"], updated["is_pinned"], updated["archived_at"]) == (
        True,
        False,
        1700000000,
    )
    body = urlencode({"archived_at": "null", "pinned_message_id": "null"})
    updated = api.put(url, content=body, headers=FORM).json()
    assert updated["archived_at"] is None and updated["pinned_message_id"] is None


def test_an_all_digit_id_in_a_form_stays_an_id(api: httpx.Client) -> None:
    response = api.post("/v1/conversations", content="contact_id=1234567890123456", headers=FORM)
    assert response.status_code == 201
    assert response.json()["contact_id"] == "1234567890123456"


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("is_muted=yes", "is_muted"),
        ("is_muted=True", "is_muted"),
        ("archived_at=-5", "archived_at"),
        ("archived_at=1.5", "archived_at"),
        ("is_muted=true&is_muted=false", "is_muted"),
        ("colour=red", "colour"),
        ("no-equals-sign", "form"),
        ("is_muted=%FF", "form"),
    ],
)
def test_bad_form_bodies_are_400_and_change_nothing(
    api: httpx.Client, body: str, word: str
) -> None:
    created = create(api)
    url = f"/v1/conversations/{created['id']}"
    assert_error(api.put(url, content=body, headers=FORM), 400, word)
    assert api.get(url).json() == created


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/jsonx"],
)
def test_other_content_types_are_415(api: httpx.Client, content_type: str) -> None:
    created = create(api)
    body = b'{"is_muted": true}'
    headers = {"content-type": content_type}
    assert_error(
        api.post("/v1/conversations", content=body, headers=headers),
        415,
        content_type.split(";")[0],
    )
    assert_error(api.put(f"/v1/conversations/{created['id']}", content=body, headers=headers), 415)


def test_json_with_a_charset_parameter_is_json(api: httpx.Client) -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    body = f'{{"contact_id": "{new_id()}"}}'
    assert api.post("/v1/conversations", content=body, headers=headers).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"contact_id": }',
        b"[]",
        b'"text"',
        b"null",
        b'{"a": NaN}',
        b"\xff\xfe",
        b"{" * 5000 + b"}" * 5000,
    ],
)
def test_malformed_json_is_400(api: httpx.Client, body: bytes) -> None:
    headers = {"content-type": "application/json"}
    assert_error(api.post("/v1/conversations", content=body, headers=headers), 400)


def test_bodies_over_one_mebibyte_are_413(api: httpx.Client) -> None:
    body = b'{"contact_id": "' + b"a" * (1024 * 1024) + b'"}'
    headers = {"content-type": "application/json"}
    assert_error(api.post("/v1/conversations", content=body, headers=headers), 413)

    def chunks():  # no Content-Length: the limit must hold for streamed bodies too
        yield b'{"contact_id": "'
        for _ in range(1100):
            yield b"a" * 1024
        yield b'"}'

    assert_error(api.post("/v1/conversations", content=chunks(), headers=headers), 413)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/v1",
        "/v1/conversation",
        "/v1/conversations/",
        "/v2/conversations",
        "/v1/conversations/a/b",
    ],
)
def test_unknown_paths_are_404_before_authentication(anonymous: httpx.Client, path: str) -> None:
    assert_error(anonymous.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("HEAD", "/v1/conversations", {"GET", "POST"}),
        ("OPTIONS", "/v1/conversations", {"GET", "POST"}),
        ("PATCH", "/v1/conversations", {"GET", "POST"}),
        ("TRACE", "/v1/conversations", {"GET", "POST"}),
        ("PUT", "/v1/conversations", {"GET", "POST"}),
        ("DELETE", "/v1/conversations", {"GET", "POST"}),
        ("BREW", "/v1/conversations", {"GET", "POST"}),
        ("POST", "/v1/conversations/xgQQXg3hrtjh7AvZ", {"GET", "PUT", "DELETE"}),
        ("PATCH", "/v1/conversations/xgQQXg3hrtjh7AvZ", {"GET", "PUT", "DELETE"}),
        ("HEAD", "/v1/conversations/xgQQXg3hrtjh7AvZ", {"GET", "PUT", "DELETE"}),
    ],
)
def test_unsupported_methods_are_405_with_allow(
    anonymous: httpx.Client, method: str, path: str, allowed: set[str]
) -> None:
    response = anonymous.request(method, path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    if method != "HEAD":
        assert_error(response, 405, method)


def test_every_body_is_json(api: httpx.Client) -> None:
    created = create(api)
    for response in (
        api.get("/v1/conversations"),
        api.get(f"/v1/conversations/{created['id']}"),
        api.put(f"/v1/conversations/{created['id']}", json={}),
        api.get("/v1/conversations", params={"limit": 0}),
    ):
        assert response.headers["content-type"] == "application/json"
