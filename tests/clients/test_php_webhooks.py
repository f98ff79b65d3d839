"""The PHP client (on php-cli) unwraps deliveries the reference server really sent; bad signatures throw."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from protocol_kit.conformance.webhooks import Delivery
from tests.support.deliveries import lifecycle_deliveries

from .conftest import TOKEN
from .runtimes import Runtime, php_runtime

pytestmark = pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is not installed")

SECRET = "php-client-webhook-secret"


@pytest.fixture(scope="module")
def php(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return php_runtime(tmp_path_factory.mktemp("php-webhooks"))


@pytest.fixture(scope="module")
def sent() -> Iterator[tuple[list[Delivery], list[object]]]:
    """One create, update and delete, and the three deliveries the server sent for them."""
    with lifecycle_deliveries(
        TOKEN, SECRET, {"contact_id": "WAz8eIbvDR60rouK"}, {"is_muted": True}
    ) as sent:
        yield sent


def test_unwrap_on_php(php: Runtime, sent: tuple[list[Delivery], list[object]]) -> None:
    deliveries, answers = sent
    cases = [{"body": d.body.decode(), "headers": d.headers} for d in deliveries]
    program = f"""<?php
declare(strict_types=1);

use Protocol\\ApiClient;
use Protocol\\Event\\WebhookEvent;
use Protocol\\Exception\\WebhookSignatureException;
use Protocol\\Model\\Conversation;
use Protocol\\Webhook;

$cases = json_decode({json.dumps(json.dumps(cases))}, true);
$out = ['events' => [], 'refused' => []];
foreach ($cases as $c) {{
    $event = ApiClient::unwrapWebhook($c['body'], $c['headers'], '{SECRET}');
    $out['events'][] = [
        'class' => (new \\ReflectionClass($event))->getShortName(),
        'base' => $event instanceof WebhookEvent,
        'typed' => $event->payload instanceof Conversation,
        'event' => $event->toArray(),
    ];
}}
$first = $cases[0];
$server = [];
foreach ($first['headers'] as $name => $value) {{
    $server['HTTP_' . strtoupper(str_replace('-', '_', $name))] = $value;
}}
$out['server_style'] = Webhook::unwrap($first['body'], $server, '{SECRET}')->id;
foreach ([[$first['body'], $first['headers'], 'wrong'],
          [$first['body'] . ' ', $first['headers'], '{SECRET}'],
          [$first['body'], ['content-type' => 'application/json'], '{SECRET}']] as [$body, $headers, $secret]) {{
    try {{
        Webhook::unwrap($body, $headers, $secret);
        $out['refused'][] = false;
    }} catch (WebhookSignatureException $e) {{
        $out['refused'][] = true;
    }}
}}
echo json_encode($out);
"""
    out = php.run(program)
    events = out["events"]
    assert [e["class"] for e in events] == [
        "ConversationCreatedEvent",
        "ConversationUpdatedEvent",
        "ConversationDeletedEvent",
    ]
    assert all(e["base"] and e["typed"] for e in events)
    assert [e["event"]["id"] for e in events] == [d.event_id for d in deliveries]
    assert [e["event"]["type"] for e in events] == [d.event_type for d in deliveries]
    assert [e["event"]["payload"] for e in events] == answers
    assert out["server_style"] == deliveries[0].event_id
    assert out["refused"] == [True, True, True]
