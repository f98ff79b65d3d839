"""Prism, as a validating proxy in front of the reference server, finds no violation in valid traffic."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from protocol_kit.server.runner import free_port, running_server
from protocol_kit.spec import default_spec_path
from tests.support.serving import stopping, wait_ready

TOOLS = Path(__file__).resolve().parents[1] / "tools"
PRISM = TOOLS / "node_modules" / ".bin" / "prism"
TOKEN = "token-behind-prism"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def proxied() -> Iterator[httpx.Client]:
    if not PRISM.exists():
        pytest.fail("prism is missing: run `npm ci --prefix tests/tools` (scripts/setup.sh does)")
    with running_server(":memory:", tokens=[TOKEN]) as upstream:
        port = free_port()
        command = [str(PRISM), "proxy", str(default_spec_path()), upstream]
        command += ["--host", "127.0.0.1", "--port", str(port), "--errors", "false"]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with stopping(proc):
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                yield client


def _valid_traffic(api: httpx.Client) -> Iterator[httpx.Response]:
    """Requests the contract allows, in JSON and in forms, and what the server answered."""
    contact = api.post("/v1/conversations", json={"contact_id": "WAz8eIbvDR60rouK"})
    yield contact
    yield api.post("/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV", "contact_id": None})
    yield api.post("/v1/conversations", content="contact_id=WAz8eIbvDR60rouK", headers=FORM)
    yield api.post(
        "/v1/conversations", content="contact_id=null&group_id=8Kw2bQqN1mTz7XcV", headers=FORM
    )
    yield api.post(
        "/v1/conversations", content="contact_id=&group_id=8Kw2bQqN1mTz7XcV", headers=FORM
    )
    one = f"/v1/conversations/{contact.json()['id']}"
    yield api.get(one)
    yield api.put(one, json={"pinned_message_id": "xgQQXg3hrtjh7AvZ", "is_pinned": True})
    yield api.put(one, json={"archived_at": 705103200, "is_muted": True})
    yield api.put(one, json={"pinned_message_id": None, "archived_at": None})
    yield api.put(
        one, content="pinned_message_id=xgQQXg3hrtjh7AvZ&archived_at=705103200", headers=FORM
    )
    yield api.put(one, content="pinned_message_id=&archived_at=", headers=FORM)
    yield api.put(
        one, content="pinned_message_id=null&archived_at=null&is_muted=false", headers=FORM
    )
    yield api.put(one, json={})
    first = api.get("/v1/conversations", params={"limit": 2})
    yield first
    last = first.json()["data"][-1]["id"]
    yield api.get("/v1/conversations", params={"limit": 2, "starting_after": last})
    yield api.get("/v1/conversations", params={"ending_before": last, "muted": "false"})
    yield api.get("/v1/conversations", params={"group_id": "8Kw2bQqN1mTz7XcV", "pinned": "false"})
    yield api.get("/v1/conversations", params={"archived": "false"})
    yield api.delete(one)
    yield api.get(one)  # 404, as declared


def test_valid_traffic_has_no_violations(proxied: httpx.Client) -> None:
    answered = list(_valid_traffic(proxied))
    violations = [
        f"{r.request.method} {r.request.url} {r.request.content!r}: {r.headers['sl-violations']}"
        for r in answered
        if "sl-violations" in r.headers
    ]
    assert violations == []
    # Every request went through to the server and was answered as the contract says.
    assert [r.status_code for r in answered] == [201] * 5 + [200] * 13 + [204, 404]
