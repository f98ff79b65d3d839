"""The JS client (on Node) unwraps deliveries the reference server really sent; bad signatures throw."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from protocol_kit.conformance.webhooks import Delivery
from tests.support.deliveries import lifecycle_deliveries

from .conftest import TOKEN
from .runtimes import Runtime, node_runtime

SECRET = "js-client-webhook-secret"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return node_runtime(tmp_path_factory.mktemp("node-webhooks"))


@pytest.fixture(scope="module")
def sent() -> Iterator[tuple[list[Delivery], list[object]]]:
    with lifecycle_deliveries(
        TOKEN, SECRET, {"group_id": "8Kw2bQqN1mTz7XcV"}, {"is_muted": True}
    ) as sent:
        yield sent


def test_unwrap_on_node(
    node: Runtime, sent: tuple[list[Delivery], list[object]], tmp_path: Path
) -> None:
    deliveries, answers = sent
    cases = [{"body": d.body.decode(), "headers": d.headers} for d in deliveries]
    program = f"""
import ApiClient, {{ unwrap, WebhookSignatureError }} from '@example/protocol-api'
const cases = {json.dumps(cases)}
const client = new ApiClient('t')
const out = {{ events: [], refused: [] }}
for (const c of cases) out.events.push(client.webhooks.unwrap(Buffer.from(c.body), c.headers, '{SECRET}'))
const first = cases[0]
for (const [body, secret] of [[first.body, 'wrong'], [first.body + ' ', '{SECRET}']]) {{
  try {{ unwrap(body, first.headers, secret); out.refused.push(false) }}
  catch (e) {{ out.refused.push(e instanceof WebhookSignatureError) }}
}}
try {{ unwrap(first.body, {{}}, '{SECRET}'); out.refused.push(false) }}
catch (e) {{ out.refused.push(e instanceof WebhookSignatureError) }}
console.log(JSON.stringify(out))
"""
    out = node.run(program)
    assert [e["type"] for e in out["events"]] == [d.event_type for d in deliveries]
    assert [e["id"] for e in out["events"]] == [d.event_id for d in deliveries]
    assert [e["payload"] for e in out["events"]] == answers
    assert out["refused"] == [True, True, True]
