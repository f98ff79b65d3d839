"""Webhooks from the reference server to real receivers over loopback: events, signatures, retries, order."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from protocol_kit.conformance.webhooks import FAIL, Delivery, Receiver
from protocol_kit.server.runner import running_server
from protocol_kit.server.webhooks import (
    MAX_BACKOFF,
    MAX_TRIES,
    Endpoint,
    WebhookConfigError,
    backoff,
    parse_endpoints,
)
from protocol_kit.spec import Spec

from .conftest import OTHER_TOKEN, TOKEN, bearer

SECRET = "whsec-account-one"
OTHER_SECRET = "whsec-account-two"
CONTACT = "WAz8eIbvDR60rouK"


class _Setup:
    def __init__(self, url: str, mine: Receiver, theirs: Receiver) -> None:
        self.url, self.mine, self.theirs = url, mine, theirs
        self.client = httpx.Client(base_url=url, headers=bearer(TOKEN), timeout=10)
        self.other = httpx.Client(base_url=url, headers=bearer(OTHER_TOKEN), timeout=10)

    def of(self, subject: str) -> list[Delivery]:
        return [d for d in self.mine.deliveries() if d.subject == subject]

    def wait(self, subject: str, count: int, timeout: float = 10) -> list[Delivery]:
        self.mine.wait_for(lambda ds: sum(d.subject == subject for d in ds) >= count, timeout)
        return self.of(subject)


@pytest.fixture(scope="module")
def setup() -> Iterator[_Setup]:
    with Receiver() as mine, Receiver() as theirs:
        endpoints = [
            Endpoint(TOKEN, mine.url, SECRET),
            Endpoint(OTHER_TOKEN, theirs.url, OTHER_SECRET),
        ]
        with running_server(tokens=[TOKEN, OTHER_TOKEN], webhooks=endpoints) as url:
            yield _Setup(url, mine, theirs)


def test_each_successful_write_sends_one_signed_event_with_the_api_answer(setup: _Setup) -> None:
    created = setup.client.post("/v1/conversations", json={"contact_id": CONTACT})
    cid = created.json()["id"]
    updated = setup.client.put(f"/v1/conversations/{cid}", json={"is_muted": True})
    assert setup.client.delete(f"/v1/conversations/{cid}").status_code == 204
    deliveries = setup.wait(cid, 3)
    assert [d.event_type for d in deliveries] == [
        "conversation.created",
        "conversation.updated",
        "conversation.deleted",
    ]
    payloads = [d.event["payload"] for d in deliveries]  # type: ignore[index]
    # deleted: the conversation as it was just before (the last answer)
    assert payloads == [created.json(), updated.json(), updated.json()]
    for delivery in deliveries:
        assert delivery.signed_by(SECRET, "x-protocol-signature")
        assert not delivery.signed_by(OTHER_SECRET, "x-protocol-signature")
        assert delivery.headers["content-type"] == "application/json"
        assert len(delivery.event_id) == 16 and delivery.event_id.isalnum()
    assert len({d.event_id for d in deliveries}) == 3


def test_event_bodies_validate_against_the_spec_webhooks(setup: _Setup) -> None:
    created = setup.client.post("/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV"})
    [delivery] = setup.wait(created.json()["id"], 1)
    webhook = next(w for w in Spec.load().webhooks if w.event_type == delivery.event_type)
    assert webhook.event is not None and webhook.event.errors(delivery.event) == []


def test_failures_and_no_op_updates_send_nothing(setup: _Setup) -> None:
    cid = setup.client.post("/v1/conversations", json={"contact_id": CONTACT}).json()["id"]
    setup.wait(cid, 1)
    assert setup.client.put(f"/v1/conversations/{cid}", json={"is_muted": False}).status_code == 200
    assert setup.client.put(f"/v1/conversations/{cid}", json={}).status_code == 200
    assert setup.client.put(f"/v1/conversations/{cid}", json={"is_muted": 3}).status_code == 400
    assert setup.other.delete(f"/v1/conversations/{cid}").status_code == 404
    assert setup.client.post("/v1/conversations", json={}).status_code == 400
    # A later real change of the same conversation proves the deliverer had time to send more.
    setup.client.put(f"/v1/conversations/{cid}", json={"is_pinned": True})
    deliveries = setup.wait(cid, 2)
    assert [d.event_type for d in deliveries] == ["conversation.created", "conversation.updated"]
    assert deliveries[1].event["payload"]["is_pinned"] is True  # type: ignore[index]


def test_an_endpoint_gets_only_its_own_account_events(setup: _Setup) -> None:
    theirs = setup.other.post("/v1/conversations", json={"contact_id": CONTACT}).json()["id"]
    mine = setup.client.post("/v1/conversations", json={"contact_id": CONTACT}).json()["id"]
    setup.wait(mine, 1)
    setup.theirs.wait_for(lambda ds: any(d.subject == theirs for d in ds), 10)
    assert not setup.of(theirs)
    assert all(d.subject != mine for d in setup.theirs.deliveries())
    [delivery] = [d for d in setup.theirs.deliveries() if d.subject == theirs]
    assert delivery.signed_by(OTHER_SECRET, "x-protocol-signature")


def test_a_503_gets_the_same_bytes_again_soon_and_holds_back_the_next_event(
    setup: _Setup,
) -> None:
    cid = setup.client.post("/v1/conversations", json={"contact_id": CONTACT}).json()["id"]
    setup.wait(cid, 1)
    setup.mine.cue(cid, "conversation.updated", FAIL, FAIL)
    setup.client.put(f"/v1/conversations/{cid}", json={"is_muted": True})
    setup.client.put(f"/v1/conversations/{cid}", json={"is_pinned": True})
    deliveries = setup.wait(cid, 5)
    updates = deliveries[1:]
    assert [d.answered for d in updates] == ["503", "503", "200", "200"]
    first, again, third = updates[0], updates[1], updates[2]
    assert again.body == first.body == third.body
    assert again.headers["x-protocol-signature"] == first.headers["x-protocol-signature"]
    assert again.received_at - first.received_at < 2.0
    assert third.received_at - again.received_at > again.received_at - first.received_at
    # The second update was not sent before the first was acknowledged.
    assert json.loads(updates[3].body)["payload"]["is_pinned"] is True
    assert updates[3].received_at >= third.received_at


def test_events_of_one_conversation_arrive_in_commit_order(setup: _Setup) -> None:
    cid = setup.client.post("/v1/conversations", json={"contact_id": CONTACT}).json()["id"]
    answers = [
        setup.client.put(f"/v1/conversations/{cid}", json={"archived_at": n}).json()
        for n in range(1, 11)
    ]
    deliveries = setup.wait(cid, 11)
    assert [d.event["payload"] for d in deliveries[1:]] == answers  # type: ignore[index]


def test_delivery_log_names_the_attempt_but_never_a_secret_or_token(
    setup: _Setup, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="protocol_kit.server.webhooks"):
        cid = setup.client.post("/v1/conversations", json={"contact_id": CONTACT}).json()["id"]
        [delivery] = setup.wait(cid, 1)
        # The line is written once the outcome is recorded, just after the receiver answered.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not _lines(caplog, delivery.event_id):
            time.sleep(0.05)
    lines = _lines(caplog, delivery.event_id)
    assert lines and "conversation.created" in lines[0] and "attempt 1" in lines[0]
    assert "200" in lines[0]
    assert not any(SECRET in r.getMessage() or TOKEN in r.getMessage() for r in caplog.records)


def _lines(caplog: pytest.LogCaptureFixture, event_id: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if event_id in r.getMessage()]


def test_retry_schedule_meets_the_contract() -> None:
    assert backoff(1) <= 2.0
    assert [backoff(n) for n in range(1, 5)] == sorted(backoff(n) for n in range(1, 5))
    assert backoff(2) == 2 * backoff(1)
    assert max(backoff(n) for n in range(1, 50)) == MAX_BACKOFF == 60
    assert MAX_TRIES >= 8


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "{}",
        '[{"token": "t", "url": "http://x/"}]',
        '[{"token": "t", "url": "ftp://x/", "secret": "s"}]',
        '[{"token": "t", "url": "http://x/", "secret": "s"}, {"token": "u", "url": "http://x/", "secret": "s"}]',
    ],
)
def test_malformed_endpoint_configuration_is_refused(text: str) -> None:
    with pytest.raises(WebhookConfigError):
        parse_endpoints(text)


def test_endpoint_repr_hides_token_and_secret() -> None:
    [endpoint] = parse_endpoints(
        '[{"token": "tok-123", "url": "http://h/p?k=v", "secret": "sec-9"}]'
    )
    assert "tok-123" not in repr(endpoint) and "sec-9" not in repr(endpoint)
