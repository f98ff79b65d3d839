"""Helpers for the contract tests: the error-shape assertion and fresh ids."""

from __future__ import annotations

import secrets
import string
from typing import Any

import httpx

_ALPHABET = string.ascii_letters + string.digits


def new_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def assert_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """The response is ``status`` with exactly the API's error shape, mentioning ``words``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"type", "message", "documentation_url"}, body
    expected_type = "api_error" if status >= 500 else "invalid_request"
    assert body["type"] == expected_type
    assert body["documentation_url"] == f"https://protocol.chat/docs/errors/{expected_type}"
    for word in words:
        assert word in body["message"], (word, body["message"])
    return body


def create(api: httpx.Client, **attributes: Any) -> dict[str, Any]:
    response = api.post("/v1/conversations", json=attributes or {"contact_id": new_id()})
    assert response.status_code == 201, response.text
    return response.json()
