"""The intermediate model of the bundled spec: what the clients and the docs are rendered from."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_kit.generator import ApiModel, load_model
from protocol_kit.spec import Spec
from tests.docs.catalogue import with_requirements
from tests.support.specs import write_spec


@pytest.fixture(scope="module")
def api() -> ApiModel:
    return load_model()


def test_resources_and_methods(api: ApiModel) -> None:
    assert [r.name for r in api.resources] == ["conversations"]
    resource = api.resources[0]
    assert (resource.class_name, resource.tag, resource.model.name) == (
        "Conversations",
        "Conversations",
        "Conversation",
    )
    assert [(op.name, op.method, op.path) for op in resource.operations] == [
        ("list", "GET", "/v1/conversations"),
        ("create", "POST", "/v1/conversations"),
        ("get", "GET", "/v1/conversations/{id}"),
        ("update", "PUT", "/v1/conversations/{id}"),
        ("delete", "DELETE", "/v1/conversations/{id}"),
    ]
    assert [op.idempotent for op in resource.operations] == [True, False, True, True, True]
    assert api.version == "1.0.0" and api.base_url == "https://api.protocol.chat"
    assert [m.name for m in api.models] == ["Conversation"]


def test_properties_carry_display_types_and_descriptions(api: ApiModel) -> None:
    model = api.model("Conversation")
    shown = {p.name: (p.type.display, p.type.nullable, p.required) for p in model.properties}
    assert shown == {
        "id": ("string", False, True),
        "contact_id": ("string", True, True),
        "group_id": ("string", True, True),
        "pinned_message_id": ("string", True, True),
        "is_pinned": ("boolean", False, True),
        "is_muted": ("boolean", False, True),
        "last_active_at": ("timestamp", True, True),
        "last_opened_at": ("timestamp", True, True),
        "created_at": ("timestamp", False, True),
        "archived_at": ("timestamp", True, True),
    }
    by_name = {p.name: p for p in model.properties}
    assert by_name["id"].description == "Unique identifier for the conversation."
    assert by_name["created_at"].type.kind == "integer"
    assert by_name["id"].constraints["pattern"] == "^[A-Za-z0-9]{16}$"
    assert model.description.startswith("The conversation model contains all the information")


def test_parameters_bodies_and_pagination(api: ApiModel) -> None:
    listing, create, get, update, delete = api.resources[0].operations
    limit = listing.query_params[0]
    assert (limit.name, limit.type.display, limit.required) == ("limit", "integer", False)
    assert limit.constraints == {"minimum": 1, "maximum": 100, "default": 10}
    assert limit.description == "Limit the number of conversations returned."
    assert [p.name for p in listing.query_params] == [
        "limit",
        "muted",
        "archived",
        "pinned",
        "group_id",
        "starting_after",
        "ending_before",
    ]
    assert listing.pagination is not None
    assert (
        listing.pagination.model,
        listing.pagination.after_param,
        listing.pagination.before_param,
    ) == ("Conversation", "starting_after", "ending_before")
    assert [p.name for p in get.path_params] == ["id"] and get.pagination is None

    assert create.body is not None and create.body.required
    assert create.body.required_one_of == ("contact_id", "group_id")
    assert [(a.name, a.required, a.one_of_required) for a in create.body.attributes] == [
        ("contact_id", False, True),
        ("group_id", False, True),
    ]
    assert [a.name for a in create.required_attributes] == ["contact_id", "group_id"]
    assert [(a.name, a.type.display) for a in update.optional_attributes] == [
        ("pinned_message_id", "string"),
        ("is_pinned", "boolean"),
        ("is_muted", "boolean"),
        ("archived_at", "timestamp"),
    ]
    assert delete.body is None and delete.body_attributes == ()


def test_responses_examples_and_errors(api: ApiModel) -> None:
    listing, create, get, _, delete = api.resources[0].operations
    assert (listing.success.status, listing.success.kind) == ("200", "page")
    assert listing.success.examples[0].value["data"][0]["id"] == "xgQQXg3hrtjh7AvZ"
    assert (create.success.status, create.success.kind, create.success.model) == (
        "201",
        "model",
        "Conversation",
    )
    assert (delete.success.status, delete.success.kind) == ("204", "empty")
    assert [e.status for e in get.errors] == ["401", "404", "500"]
    assert get.errors[1].examples[0].value["type"] == "invalid_request"
    assert [(e.name, e.status) for e in api.errors] == [
        ("BadRequest", 400),
        ("Authentication", 401),
        ("NotFound", 404),
        ("PayloadTooLarge", 413),
        ("UnsupportedMediaType", 415),
        ("RateLimit", 429),
        ("InternalServer", 500),
    ]
    assert [p.name for p in api.error_model.properties] == ["type", "message", "documentation_url"]


def test_samples_come_from_the_spec_examples(api: ApiModel) -> None:
    listing, create, get, update, _ = api.resources[0].operations
    assert listing.sample.query == (("limit", 10),) and listing.sample.body is None
    assert create.sample.body == (("contact_id", "WAz8eIbvDR60rouK"),)
    assert get.sample.path_args == (("id", "xgQQXg3hrtjh7AvZ"),)
    assert get.sample.url_path == "/v1/conversations/xgQQXg3hrtjh7AvZ"
    assert update.sample.body == (("is_muted", True),)


def test_what_the_guide_pages_read(api: ApiModel) -> None:
    """Servers, error responses, the page's fields, the signature header and the webhook guide:
    each as the spec states it."""
    spec = Spec.load()
    assert [(s.url, s.description) for s in api.servers] == [
        (s.url, " ".join(s.description.split())) for s in spec.servers
    ]
    statuses = sorted({s for op in spec.operations() for s in op.responses if s[0] in "45"})
    assert [e.status for e in api.error_responses] == statuses
    unauthorized = next(e for e in api.error_responses if e.status == "401")
    assert unauthorized.operations == tuple(op.operation_id for op in api.operations)
    assert (
        unauthorized.example is not None and unauthorized.example.value["type"] == "invalid_request"
    )
    listing = api.paginated[0].pagination
    assert listing is not None
    assert [(p.name, p.type.display) for p in listing.page_fields] == [
        ("has_more", "boolean"),
        ("data", "array"),
    ]
    hook = api.webhooks[0]
    header = spec.webhooks[0].signature_header
    assert header is not None
    assert hook.signature_description == " ".join(header.description.split())
    assert [h for h, _ in api.webhook_guide] == ["", "Events", "Delivery", "Order", "Signature"]
    assert all("**" not in text.split(" ", 1)[0] for _, text in api.webhook_guide)


def test_requirements_come_from_the_catalogue_in_its_order(tmp_path: Path) -> None:
    document = with_requirements()
    with_catalogue = load_model(write_spec(document, tmp_path))
    assert [r.id for r in with_catalogue.requirements] == list(document["x-requirements"])
    on_auth = with_catalogue.requirements_on("authentication")
    assert [r.section for r in on_auth] == ["Bearer tokens", "Order of checks"]
    assert with_catalogue.requirement_sections("conversations") == (
        "Update a conversation",
        "Identifiers",
    )
    unchecked = with_catalogue.requirements_on("conversations", "Identifiers")[0]
    assert (unchecked.anchor, unchecked.level, unchecked.checked) == (
        "id-unpredictable",
        "SHOULD",
        False,
    )
    assert unchecked.pointer == "/x-requirements/ID-UNPREDICTABLE"
