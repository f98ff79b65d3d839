"""The Python client unwraps deliveries the reference server really sent: typed events, bad signatures refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from protocol_api import (
    ApiClient,
    Conversation,
    ConversationCreatedEvent,
    ConversationDeletedEvent,
    ConversationUpdatedEvent,
    WebhookSignatureError,
)

from protocol_kit.conformance.webhooks import Delivery
from tests.support.deliveries import lifecycle_deliveries

from .conftest import TOKEN

SECRET = "python-client-webhook-secret"


@pytest.fixture(scope="module")
def deliveries() -> Iterator[tuple[list[Delivery], list[dict[str, object]]]]:
    """One create, update and delete, and the three deliveries the server sent for them."""
    with lifecycle_deliveries(
        TOKEN, SECRET, {"contact_id": "WAz8eIbvDR60rouK"}, {"is_pinned": True}
    ) as sent:
        yield sent


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
