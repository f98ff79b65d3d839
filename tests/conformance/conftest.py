"""Fixtures for the conformance kit's self-tests: the contract and a fault-switched fake server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.delivery_receiver import DeliveryReceiver
from protocol_kit.conformance.webhooks import WebhookSetup
from protocol_kit.spec import Spec
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.fake_webhooks import webhook_setup


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract(Spec.load())


@pytest.fixture(scope="module")
def webhooks() -> Iterator[WebhookSetup]:
    """The kit's webhook receiver, for one module's fake server to send to."""
    with DeliveryReceiver() as receiver:
        yield webhook_setup(receiver)


@pytest.fixture(scope="module")
def fake_server(webhooks: WebhookSetup) -> Iterator[FakeServer]:
    """One fake server per module; each test resets its data and chooses its one fault."""
    with FakeServer(TOKENS) as server:
        server.subscribe(webhooks.receiver.url, webhooks.secret)
        yield server
