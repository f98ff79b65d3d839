"""The JS client (on Node) unwraps deliveries the reference server really sent; bad signatures throw."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from protocol_kit.conformance.webhooks import Delivery, Receiver
from protocol_kit.server.runner import running_server
from protocol_kit.server.webhooks import Endpoint

from .conftest import TOKEN
from .runtimes import Runtime, node_runtime

SECRET = "js-client-webhook-secret"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return node_runtime(tmp_path_factory.mktemp("node-webhooks"))


@pytest.fixture(scope="module")
def sent() -> Iterator[tuple[list[Delivery], list[object]]]:
    with Receiver() as receiver:
        endpoint = Endpoint(TOKEN, receiver.url, SECRET)
        with running_server(tokens=[TOKEN], webhooks=[endpoint]) as url:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as api:
                made = api.post("/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV"})
                cid = made.json()["id"]
                updated = api.put(f"/v1/conversations/{cid}", json={"is_muted": True})
                api.delete(f"/v1/conversations/{cid}")
            assert receiver.wait_for(lambda ds: len(ds) >= 3, 10)
            yield receiver.deliveries()[:3], [made.json(), updated.json(), updated.json()]


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
