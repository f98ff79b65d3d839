"""The generator is general: a second resource needs no code change; the unsupported fails loudly."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from protocol_kit.generator import GeneratorError, build_model
from protocol_kit.generator.render import render_all, write
from protocol_kit.spec import Spec
from tests.support.paths import REPO
from tests.support.scripted import Reply, ScriptedServer
from tests.support.specs import bundled, with_contacts

_KINDS = ("created", "updated", "deleted")
CONTACTS = [
    {
        "id": f"C0ntact{n:09d}",
        "username": f"user{n}",
        "phone_number": f"1-800-000-{n:04d}",
        "avatar_url": None,
        "display_name": None,
        "last_active_at": None,
        "created_at": 692233200 + n,
    }
    for n in range(3)
]


def test_the_generator_never_names_a_resource() -> None:
    """Nothing in the generator or the templates knows which resources the spec has."""
    sources = [*(REPO / "src" / "protocol_kit" / "generator").glob("*.py")]
    for target in ("python", "js", "php", "snippets", "docs"):
        sources += [p for p in (REPO / "templates" / target).rglob("*") if p.is_file()]
    assert len(sources) > 20
    for path in sources:
        assert not re.search("conversation", path.read_text(encoding="utf-8"), re.IGNORECASE), path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three clients generated from the bundled spec plus a Contacts resource."""
    out = tmp_path_factory.mktemp("contacts")
    api = build_model(Spec(document=with_contacts()))
    write(render_all(api), out)
    return out


@pytest.fixture(scope="module")
def contacts_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer(default=CONTACTS[2])
    yield server
    server.close()


def _script_two_pages(server: ScriptedServer) -> None:
    server.script(
        Reply(200, {"has_more": True, "data": CONTACTS[:2]}),
        Reply(200, {"has_more": False, "data": CONTACTS[2:]}),
    )


SECRET = "contact-hook-secret"
EVENT = json.dumps({"id": "a056V7R7NmNRjl70", "type": "contact.created", "payload": CONTACTS[0]})
SIGNED = {
    Spec.load().webhooks[0].signature_header.name: hmac.new(  # type: ignore[union-attr]
        SECRET.encode(), EVENT.encode(), hashlib.sha256
    ).hexdigest()
}


def _check_requests(server: ScriptedServer) -> None:
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/v1/contacts?limit=2"),
        ("GET", f"/v1/contacts?limit=2&starting_after={CONTACTS[1]['id']}"),
        ("POST", "/v1/contacts"),
        ("DELETE", f"/v1/contacts/{CONTACTS[0]['id']}"),
    ]
    assert json.loads(server.requests[2].body) == {"username": "frank", "phone_number": "1-800"}


def test_every_client_gets_the_new_namespace(generated: Path) -> None:
    expected = [
        "clients/python/protocol_api/resources/contacts.py",
        "clients/js/src/resources/contacts.js",
        "clients/php/src/Resource/Contacts.php",
        "clients/php/src/Model/Contact.php",
    ]
    for rel in expected:
        assert (generated / rel).is_file(), rel
    assert "export declare class Contacts" in (generated / "clients/js/index.d.ts").read_text()
    models = (generated / "clients/python/protocol_api/models.py").read_text()
    assert "class Contact:" in models and "class Conversation:" in models
    for rel in ("Event/ContactCreatedEvent.php", "Event/ContactDeletedEvent.php"):
        assert (generated / "clients/php/src" / rel).is_file(), rel


def test_python_client_unwraps_a_signed_contact_event(generated: Path) -> None:
    program = """
import json, sys
from protocol_api import ApiClient, Contact, WebhookSignatureError
from protocol_api.webhooks import ContactCreatedEvent, EVENT_TYPES
client = ApiClient("t")
event = client.webhooks.unwrap(sys.argv[1].encode(), json.loads(sys.argv[2]), sys.argv[3])
try:
    client.webhooks.unwrap(sys.argv[1].encode(), json.loads(sys.argv[2]), "another secret")
    rejected = False
except WebhookSignatureError:
    rejected = True
print(json.dumps({"class": type(event).__name__, "typed": isinstance(event, ContactCreatedEvent)
                  and isinstance(event.payload, Contact), "payload": event.payload.to_dict(),
                  "types": sorted(EVENT_TYPES), "rejected": rejected}))
"""
    out = _run(
        [sys.executable, "-c", program, EVENT, json.dumps(SIGNED), SECRET],
        env={**os.environ, "PYTHONPATH": str(generated / "clients/python")},
    )
    assert out == {
        "class": "ContactCreatedEvent",
        "typed": True,
        "payload": CONTACTS[0],
        "types": sorted(
            [*(f"conversation.{k}" for k in _KINDS), *(f"contact.{k}" for k in _KINDS)]
        ),
        "rejected": True,
    }


def _run(command: list[str], **kwargs: Any) -> Any:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False, **kwargs
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_python_client_uses_the_new_namespace(
    generated: Path, contacts_server: ScriptedServer
) -> None:
    _script_two_pages(contacts_server)
    program = """
import json, sys
from protocol_api import ApiClient, Contact
client = ApiClient("t", base_url=sys.argv[1])
ids = [c.id for c in client.contacts.list(limit=2)]
created = client.contacts.create(username="frank", phone_number="1-800")
client.contacts.delete(ids[0])
print(json.dumps({"ids": ids, "created": created.to_dict(), "typed": isinstance(created, Contact),
                  "both": hasattr(client, "conversations")}))
"""
    out = _run(
        [sys.executable, "-c", program, contacts_server.url],
        env={**os.environ, "PYTHONPATH": str(generated / "clients/python")},
    )
    assert out == {
        "ids": [c["id"] for c in CONTACTS],
        "created": CONTACTS[2],
        "typed": True,
        "both": True,
    }
    _check_requests(contacts_server)
    for command in (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--check", "."]):
        lint = subprocess.run(
            command, cwd=generated / "clients/python", capture_output=True, text=True, check=False
        )
        assert lint.returncode == 0, lint.stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_client_uses_the_new_namespace(generated: Path, contacts_server: ScriptedServer) -> None:
    _script_two_pages(contacts_server)
    index = (generated / "clients/js/src/index.js").as_uri()
    program = f"""
import ApiClient from '{index}'
const client = new ApiClient('t', {{ baseUrl: process.argv[1] }})
const ids = []
for await (const c of client.contacts.list({{ limit: 2 }})) ids.push(c.id)
const created = await client.contacts.create({{ username: 'frank', phone_number: '1-800' }})
await client.contacts.delete(ids[0])
console.log(JSON.stringify({{ ids, created, both: 'conversations' in client }}))
"""
    out = _run(["node", "--input-type=module", "-e", program, contacts_server.url])
    assert out == {"ids": [c["id"] for c in CONTACTS], "created": CONTACTS[2], "both": True}
    _check_requests(contacts_server)


@pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is not installed")
def test_php_client_uses_the_new_namespace(
    generated: Path, contacts_server: ScriptedServer
) -> None:
    _script_two_pages(contacts_server)
    program = """<?php
$client = new \\Protocol\\ApiClient('t', ['base_url' => $argv[1]]);
$ids = [];
foreach ($client->contacts->list(['limit' => 2]) as $contact) { $ids[] = $contact->id; }
$created = $client->contacts->create(['username' => 'frank', 'phone_number' => '1-800']);
$client->contacts->delete($ids[0]);
echo json_encode(['ids' => $ids, 'created' => $created, 'class' => get_class($created)]);
"""
    script = generated / "contacts.php"
    script.write_text(program, encoding="utf-8")
    autoload = generated / "clients/php/autoload.php"
    # auto_prepend_file stands in for Composer's autoloader (it does not apply to `php -r`).
    out = _run(["php", "-d", f"auto_prepend_file={autoload}", str(script), contacts_server.url])
    assert out == {
        "ids": [c["id"] for c in CONTACTS],
        "created": CONTACTS[2],
        "class": "Protocol\\Model\\Contact",
    }
    _check_requests(contacts_server)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_client_unwraps_a_signed_contact_event(generated: Path) -> None:
    index = (generated / "clients/js/src/index.js").as_uri()
    program = f"""
import {{ unwrap, WebhookSignatureError }} from '{index}'
const [body, headers, secret] = [process.argv[1], JSON.parse(process.argv[2]), process.argv[3]]
const event = unwrap(body, headers, secret)
let rejected = false
try {{ unwrap(body, headers, 'another secret') }} catch (e) {{ rejected = e instanceof WebhookSignatureError }}
console.log(JSON.stringify({{ type: event.type, payload: event.payload, rejected }}))
"""
    out = _run(["node", "--input-type=module", "-e", program, EVENT, json.dumps(SIGNED), SECRET])
    assert out == {"type": "contact.created", "payload": CONTACTS[0], "rejected": True}


@pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is not installed")
def test_php_client_unwraps_a_signed_contact_event(generated: Path) -> None:
    program = """<?php
[$body, $headers, $secret] = [$argv[1], json_decode($argv[2], true), $argv[3]];
$event = \\Protocol\\Webhook::unwrap($body, $headers, $secret);
try {
    \\Protocol\\Webhook::unwrap($body, $headers, 'another secret');
    $rejected = false;
} catch (\\Protocol\\Exception\\WebhookSignatureException $e) {
    $rejected = true;
}
echo json_encode(['event' => get_class($event), 'payload' => get_class($event->payload),
    'id' => $event->payload->id, 'rejected' => $rejected]);
"""
    script = generated / "unwrap.php"
    script.write_text(program, encoding="utf-8")
    autoload = generated / "clients/php/autoload.php"
    out = _run(
        [
            "php",
            "-d",
            f"auto_prepend_file={autoload}",
            str(script),
            EVENT,
            json.dumps(SIGNED),
            SECRET,
        ]
    )
    assert out == {
        "event": "Protocol\\Event\\ContactCreatedEvent",
        "payload": "Protocol\\Model\\Contact",
        "id": CONTACTS[0]["id"],
        "rejected": True,
    }


def _node(document: dict[str, Any], keys: tuple[str | int, ...]) -> Any:
    node: Any = document
    for key in keys:
        node = node[key]
    return node


def _set(*keys: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        _node(document, keys[:-1])[keys[-1]] = value

    return mutate


def _delete(*keys: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        del _node(document, keys[:-1])[keys[-1]]

    return mutate


def _append_parameter(document: dict[str, Any]) -> None:
    parameters = document["paths"]["/v1/conversations"]["get"]["parameters"]
    parameters.append({"name": "session", "in": "cookie", "schema": {"type": "string"}})


LIST = "#/paths/~1v1~1conversations/get"
SCHEMAS = "#/components/schemas"


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (
            _set("components", "schemas", "Conversation", "allOf", value=[{"type": "object"}]),
            f"{SCHEMAS}/Conversation/allOf",
        ),
        (_append_parameter, f"{LIST}/parameters/7/in"),
        (
            _delete(
                "components", "requestBodies", "CreateConversation", "content", "application/json"
            ),
            "#/components/requestBodies/CreateConversation/content",
        ),
        (_delete("tags", 0, "x-model"), "#/tags/0"),
        (
            _set(
                "components",
                "schemas",
                "Conversation",
                "properties",
                "contact_id",
                "anyOf",
                value=[{"type": "string"}, {"type": "integer"}],
            ),
            f"{SCHEMAS}/Conversation/properties/contact_id/anyOf",
        ),
        (_set("paths", "/v1/conversations", "get", "tags", value=["Elsewhere"]), f"{LIST}/tags"),
        (
            _set(
                "components",
                "schemas",
                "Conversation",
                "properties",
                "is_muted",
                "type",
                value=["boolean", "string"],
            ),
            f"{SCHEMAS}/Conversation/properties/is_muted/type",
        ),
        (
            _delete("components", "parameters", "ConversationId", "examples"),
            "#/components/parameters/ConversationId",
        ),
    ],
    ids=[
        "allOf",
        "cookie-parameter",
        "form-only-body",
        "tag-without-x-model",
        "union-of-two-types",
        "untagged-operation",
        "type-list",
        "path-parameter-without-example",
    ],
)
def test_unsupported_constructs_fail_naming_the_pointer(
    mutate: Callable[[dict[str, Any]], None], pointer: str
) -> None:
    document = bundled()
    mutate(document)
    with pytest.raises(GeneratorError) as raised:
        build_model(Spec(document=document))
    assert raised.value.pointer == pointer
    assert str(raised.value).startswith(f"{pointer}: ")
