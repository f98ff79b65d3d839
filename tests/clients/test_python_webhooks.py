"""The Python client unwraps deliveries the reference server really sent: typed events, bad signatures refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from protocol_api import (
    ApiClient,
    Conversation,
    ConversationCreatedEvent,
    ConversationDeletedEvent,
    ConversationUpdatedEvent,
    WebhookSignatureError,
)

from protocol_kit.conformance.webhooks import Delivery, Receiver
from protocol_kit.server.runner import running_server
from protocol_kit.server.webhooks import Endpoint

from .conftest import TOKEN

SECRET = "python-client-webhook-secret"


@pytest.fixture(scope="module")
def deliveries() -> Iterator[tuple[list[Delivery], list[dict[str, object]]]]:
    """One create, update and delete, and the three deliveries the server sent for them."""
    with Receiver() as receiver:
        endpoint = Endpoint(TOKEN, receiver.url, SECRET)
        with running_server(tokens=[TOKEN], webhooks=[endpoint]) as url:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as api:
                made = api.post("/v1/conversations", json={"contact_id": "WAz8eIbvDR60rouK"})
                cid = made.json()["id"]
                updated = api.put(f"/v1/conversations/{cid}", json={"is_pinned": True})
                api.delete(f"/v1/conversations/{cid}")
            assert receiver.wait_for(lambda ds: len(ds) >= 3, 10)
            yield receiver.deliveries()[:3], [made.json(), updated.json(), updated.json()]


def test_unwrap_returns_the_typed_event_of_each_real_delivery(
    deliveries: tuple[list[Delivery], list[dict[str, object]]],
) -> None:
    sent, answers = deliveries
    client = ApiClient(TOKEN)
    events = [client.webhooks.unwrap(d.body, d.headers, SECRET) for d in sent]
    assert [type(e) for e in events] == [
        ConversationCreatedEvent,
        ConversationUpdatedEvent,
        ConversationDeletedEvent,
    ]
    for event, delivery, answer in zip(events, sent, answers, strict=True):
        assert event.id == delivery.event_id and event.type == delivery.event_type
        assert isinstance(event.payload, Conversation)
        assert event.payload.to_dict() == answer
    client.close()


def test_unwrap_refuses_a_bad_signature_a_wrong_secret_and_a_changed_body(
    deliveries: tuple[list[Delivery], list[dict[str, object]]],
) -> None:
    delivery = deliveries[0][0]
    client = ApiClient(TOKEN)
    with pytest.raises(WebhookSignatureError):
        client.webhooks.unwrap(delivery.body, delivery.headers, "another-secret")
    with pytest.raises(WebhookSignatureError):
        client.webhooks.unwrap(delivery.body + b" ", delivery.headers, SECRET)
    with pytest.raises(WebhookSignatureError):
        client.webhooks.unwrap(delivery.body, {"content-type": "application/json"}, SECRET)
    upper = {k.upper(): v for k, v in delivery.headers.items()}
    assert client.webhooks.unwrap(delivery.body, upper, SECRET).id == delivery.event_id
    client.close()
