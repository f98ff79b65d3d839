"""Both server stacks (httptools + uvloop, h11 + asyncio) answer malformed and odd HTTP alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from protocol_kit.server.runner import running_server
from tests.hardening.test_hostile import _ENTRIES, TOKEN, _request, _send_raw

# The categories where the parsers, not the application, decide.
_HTTP_ENTRIES = [e for e in _ENTRIES if e["category"] in ("http", "methods", "oversized")]


@pytest.fixture(scope="module")
def ports() -> Iterator[dict[str, int]]:
    with (
        running_server(tokens=[TOKEN], http="httptools", loop="uvloop") as fast,
        running_server(tokens=[TOKEN], http="h11", loop="asyncio") as plain,
    ):
        yield {"httptools": int(fast.rsplit(":", 1)[1]), "h11": int(plain.rsplit(":", 1)[1])}


def _answer(port: int, data: bytes) -> tuple[int, Any]:
    answer = _send_raw(port, data)
    body = json.loads(answer.body) if answer.body else None
    return answer.status, body and sorted(body)


@pytest.mark.parametrize(
    "entry", _HTTP_ENTRIES, ids=[f"{e['category']}-{e['name']}" for e in _HTTP_ENTRIES]
)
def test_both_stacks_give_the_same_status_and_shape(
    ports: dict[str, int], entry: dict[str, Any]
) -> None:
    request = _request(entry)
    assert _answer(ports["httptools"], request) == _answer(ports["h11"], request)


def test_a_head_arriving_in_pieces_past_the_limit_is_refused_on_both(
    ports: dict[str, int],
) -> None:
    request = b"GET /v1/conversations HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000
    for port in ports.values():
        status, shape = _answer(port, request)
        assert status in (400, 431) and shape == ["documentation_url", "message", "type"]
