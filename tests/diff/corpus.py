"""Hand-made changes of openapi/conversations.yaml, each with whom it should break and how surely.

Each case edits a copy of the spec (with a small requirements catalogue added, so that
catalogue changes have something to change) and states the level the diff must give each
audience: ``C`` compatible, ``P`` possibly breaking, ``B`` breaking.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "openapi" / "conversations.yaml"

Patch = Callable[[dict[str, Any]], None]
CATALOGUE = {
    "PROTO-METHOD-NOT-ALLOWED": {
        "level": "MUST",
        "page": "errors",
        "section": "Methods",
        "statement": "A method the path does not have MUST be answered 405 with an `Allow` header.",
        "checked": True,
    },
    "PROTO-REQUEST-ID": {
        "level": "SHOULD",
        "page": "errors",
        "section": "Tracing",
        "statement": "A response SHOULD carry an `x-request-id` header.",
        "checked": False,
    },
}


def base_document() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    # The cases change these two entries: they are written here, over the spec's own, so that
    # each case's expected verdict depends on the corpus's wording, not on the spec's.
    data.setdefault("x-requirements", {}).update(copy.deepcopy(CATALOGUE))
    return data


@dataclass(frozen=True)
class Case:
    name: str
    patch: Patch
    clients: str
    servers: str
    receivers: str
    kind: str  # a change of this kind must be among those found


def _schemas(d: dict[str, Any]) -> dict[str, Any]:
    return d["components"]["schemas"]  # type: ignore[no-any-return]


def _params(d: dict[str, Any]) -> dict[str, Any]:
    return d["components"]["parameters"]  # type: ignore[no-any-return]


def _list(d: dict[str, Any]) -> dict[str, Any]:
    return d["paths"]["/v1/conversations"]["get"]  # type: ignore[no-any-return]


def _one(d: dict[str, Any]) -> dict[str, Any]:
    return d["paths"]["/v1/conversations/{id}"]  # type: ignore[no-any-return]


def _req(d: dict[str, Any], rid: str) -> dict[str, Any]:
    return d["x-requirements"][rid]  # type: ignore[no-any-return]


def _set(path: str, value: Any) -> Patch:
    """Set the member at a slash-separated path (``~1`` for a slash inside a key)."""

    def patch(d: dict[str, Any]) -> None:
        *parents, last = [p.replace("~1", "/") for p in path.split("/")]
        node = d
        for part in parents:
            node = node[part]
        node[last] = value

    return patch


def _delete(path: str) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        *parents, last = [p.replace("~1", "/") for p in path.split("/")]
        node = d
        for part in parents:
            node = node[part]
        del node[last]

    return patch


def _add_property(schema: str, name: str, required: bool) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        target = _schemas(d)[schema]
        target["properties"][name] = {"type": "string", "description": "A title."}
        if required:
            target.setdefault("required", []).append(name)

    return patch


def _remove_property(schema: str, name: str) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        target = _schemas(d)[schema]
        del target["properties"][name]
        if name in target.get("required", []):
            target["required"].remove(name)

    return patch


def _add_list_parameter(required: bool) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        _list(d)["parameters"].append(
            {
                "name": "unread",
                "in": "query",
                "required": required,
                "description": "Only unread conversations.",
                "schema": {"type": "boolean"},
            }
        )

    return patch


def _remove_list_parameter(d: dict[str, Any]) -> None:
    _list(d)["parameters"].remove({"$ref": "#/components/parameters/Pinned"})


def _add_operation(d: dict[str, Any]) -> None:
    d["paths"]["/v1/conversations/{id}/archive"] = {
        "parameters": [{"$ref": "#/components/parameters/ConversationId"}],
        "post": {
            "operationId": "archiveConversation",
            "tags": ["Conversations"],
            "summary": "Archive a conversation",
            "description": "Archives it.",
            "responses": {"204": {"description": "Archived."}},
        },
    }


def _add_event(d: dict[str, Any]) -> None:
    d["webhooks"]["conversation.archived"] = copy.deepcopy(d["webhooks"]["conversation.updated"])
    d["webhooks"]["conversation.archived"]["post"]["operationId"] = "conversationArchived"


def _add_security_alternative(d: dict[str, Any]) -> None:
    d["components"]["securitySchemes"]["apiKey"] = {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
    d["security"] = [{"bearerAuth": []}, {"apiKey": []}]


def _add_requirement(level: str) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        d["x-requirements"]["PROTO-NEW"] = {
            "level": level,
            "page": "errors",
            "section": "Methods",
            "statement": f"A server {level} answer HEAD like GET.",
            "checked": True,
        }

    return patch


def _reword(statement: str, rid: str = "PROTO-METHOD-NOT-ALLOWED") -> Patch:
    def patch(d: dict[str, Any]) -> None:
        _req(d, rid)["statement"] = statement

    return patch


def _both(*patches: Patch) -> Patch:
    def patch(d: dict[str, Any]) -> None:
        for each in patches:
            each(d)

    return patch


def _status_201_to_200(d: dict[str, Any]) -> None:
    responses = d["paths"]["/v1/conversations"]["post"]["responses"]
    responses["200"] = responses.pop("201")


def _add_conflict(d: dict[str, Any]) -> None:
    d["paths"]["/v1/conversations"]["post"]["responses"]["409"] = {
        "$ref": "#/components/responses/BadRequest"
    }


S = "components/schemas"
P = "components/parameters"
CASES = [
    # -- requests ------------------------------------------------------------------------------
    Case(
        "create gains a required attribute",
        _add_property("ContactConversationRequest", "title", True),
        "B",
        "B",
        "C",
        "request-body-required-property-added",
    ),
    Case(
        "create gains an optional attribute",
        _add_property("ContactConversationRequest", "title", False),
        "C",
        "B",
        "C",
        "request-body-optional-property-added",
    ),
    Case(
        "update loses an attribute",
        _remove_property("UpdateConversationRequest", "is_muted"),
        "B",
        "C",
        "C",
        "request-body-optional-property-removed",
    ),
    Case(
        "update's is_pinned becomes a string",
        _set(f"{S}/UpdateConversationRequest/properties/is_pinned/type", "string"),
        "B",
        "B",
        "C",
        "request-body-type-changed",
    ),
    Case(
        "limit's maximum lowered",
        _set(f"{P}/Limit/schema/maximum", 50),
        "B",
        "P",
        "C",
        "request-parameter-maximum-decreased",
    ),
    Case(
        "limit's maximum raised",
        _set(f"{P}/Limit/schema/maximum", 200),
        "C",
        "B",
        "C",
        "request-parameter-maximum-increased",
    ),
    Case(
        "limit's minimum raised",
        _set(f"{P}/Limit/schema/minimum", 5),
        "B",
        "P",
        "C",
        "request-parameter-minimum-increased",
    ),
    Case(
        "limit's default changed",
        _set(f"{P}/Limit/schema/default", 20),
        "B",
        "B",
        "C",
        "request-parameter-default-value-changed",
    ),
    Case(
        "list gains an optional filter",
        _add_list_parameter(False),
        "C",
        "P",
        "C",
        "request-parameter-added",
    ),
    Case(
        "list gains a required filter",
        _add_list_parameter(True),
        "B",
        "P",
        "C",
        "request-parameter-added",
    ),
    Case("list loses a filter", _remove_list_parameter, "P", "C", "C", "request-parameter-removed"),
    Case(
        "muted filter becomes required",
        _set(f"{P}/Muted/required", True),
        "B",
        "P",
        "C",
        "request-parameter-became-required",
    ),
    Case(
        "group filter loses its id pattern",
        _set(f"{P}/GroupId/schema", {"type": "string"}),
        "C",
        "B",
        "C",
        "request-parameter-pattern-removed",
    ),
    Case(
        "create's body becomes optional",
        _set("components/requestBodies/CreateConversation/required", False),
        "C",
        "P",
        "C",
        "request-body-became-optional",
    ),
    Case(
        "update's body becomes required",
        _set("components/requestBodies/UpdateConversation/required", True),
        "B",
        "P",
        "C",
        "request-body-became-required",
    ),
    Case(
        "create no longer takes forms",
        _delete(
            "components/requestBodies/CreateConversation/content/application~1x-www-form-urlencoded"
        ),
        "B",
        "C",
        "C",
        "request-body-media-type-removed",
    ),
    Case(
        "update also takes multipart",
        _set(
            "components/requestBodies/UpdateConversation/content/multipart~1form-data",
            {"schema": {"$ref": "#/components/schemas/UpdateConversationForm"}},
        ),
        "C",
        "B",
        "C",
        "request-body-media-type-added",
    ),
    Case(
        "form booleans lose `false`",
        _set(f"{S}/FormBoolean/enum", ["true"]),
        "B",
        "P",
        "C",
        "request-body-enum-value-removed",
    ),
    Case(
        "form booleans gain `1`",
        _set(f"{S}/FormBoolean/enum", ["true", "false", "1"]),
        "C",
        "B",
        "C",
        "request-body-enum-value-added",
    ),
    Case(
        "body size limit lowered",
        _set("components/responses/PayloadTooLarge/x-max-body-bytes", 1024),
        "B",
        "B",
        "C",
        "request-body-size-limit-changed",
    ),
    Case(
        "body size limit raised",
        _set("components/responses/PayloadTooLarge/x-max-body-bytes", 10_000_000),
        "C",
        "B",
        "C",
        "request-body-size-limit-changed",
    ),
    Case(
        "create's one-of hint dropped",
        _delete(f"{S}/CreateConversationRequest/x-required-one-of"),
        "C",
        "B",
        "C",
        "request-body-required-one-of-removed",
    ),
    # -- responses and events ----------------------------------------------------------------
    Case(
        "conversations gain an optional attribute",
        _add_property("Conversation", "title", False),
        "P",
        "C",
        "P",
        "response-body-optional-property-added",
    ),
    Case(
        "conversations gain a required attribute",
        _add_property("Conversation", "title", True),
        "P",
        "B",
        "P",
        "response-body-required-property-added",
    ),
    Case(
        "conversations lose last_opened_at",
        _remove_property("Conversation", "last_opened_at"),
        "B",
        "B",
        "B",
        "response-body-required-property-removed",
    ),
    Case(
        "archived_at no longer null",
        _set(
            f"{S}/Conversation/properties/archived_at", {"$ref": "#/components/schemas/Timestamp"}
        ),
        "C",
        "B",
        "C",
        "response-body-became-not-nullable",
    ),
    Case(
        "is_pinned may be null",
        _set(f"{S}/Conversation/properties/is_pinned/type", ["boolean", "null"]),
        "B",
        "P",
        "B",
        "response-body-became-nullable",
    ),
    Case(
        "pages hold at most 50",
        _set(f"{S}/ConversationList/properties/data/maxItems", 50),
        "C",
        "B",
        "C",
        "response-body-max-items-decreased",
    ),
    Case(
        "pages hold up to 200",
        _set(f"{S}/ConversationList/properties/data/maxItems", 200),
        "B",
        "C",
        "C",
        "response-body-max-items-increased",
    ),
    Case(
        "errors gain a type",
        _set(f"{S}/Error/properties/type/enum", ["api_error", "invalid_request", "rate_limited"]),
        "P",
        "C",
        "C",
        "response-body-enum-value-added",
    ),
    Case(
        "get no longer answers 404",
        _delete("paths/~1v1~1conversations~1{id}/get/responses/404"),
        "C",
        "P",
        "C",
        "response-status-removed",
    ),
    Case("create may answer 409", _add_conflict, "C", "P", "C", "response-status-added"),
    Case(
        "create answers 200, not 201", _status_201_to_200, "B", "P", "C", "response-status-removed"
    ),
    Case(
        "a response's description reworded",
        _set(
            "paths/~1v1~1conversations~1{id}/get/responses/200/description",
            "The conversation asked for.",
        ),
        "C",
        "C",
        "C",
        "response-description-changed",
    ),
    Case(
        "timestamps lose their upper bound",
        _delete(f"{S}/Timestamp/maximum"),
        "B",
        "B",
        "B",
        "response-body-maximum-removed",
    ),
    # -- operations ----------------------------------------------------------------------------
    Case(
        "delete removed",
        _delete("paths/~1v1~1conversations~1{id}/delete"),
        "B",
        "P",
        "C",
        "operation-removed",
    ),
    Case("archive added", _add_operation, "C", "B", "C", "operation-added"),
    Case(
        "get's operationId renamed",
        _set("paths/~1v1~1conversations~1{id}/get/operationId", "retrieveConversation"),
        "P",
        "C",
        "C",
        "operation-id-changed",
    ),
    Case(
        "list's summary reworded",
        _set("paths/~1v1~1conversations/get/summary", "List conversations"),
        "C",
        "C",
        "C",
        "operation-description-changed",
    ),
    Case(
        "delete needs no authentication",
        _set("paths/~1v1~1conversations~1{id}/delete/security", []),
        "C",
        "B",
        "C",
        "security-changed",
    ),
    Case("an API key accepted too", _add_security_alternative, "C", "P", "C", "security-changed"),
    # -- webhooks ------------------------------------------------------------------------------
    Case("a new event", _add_event, "C", "B", "B", "event-added"),
    Case(
        "deletes no longer announced",
        _delete("webhooks/conversation.deleted"),
        "C",
        "C",
        "B",
        "event-removed",
    ),
    Case(
        "deliveries lose their signature",
        _delete("webhooks/conversation.created/post/parameters"),
        "C",
        "C",
        "B",
        "event-parameter-removed",
    ),
    Case(
        "created events sent for updates",
        _set("webhooks/conversation.created/post/x-emitted-by", "updateConversation"),
        "C",
        "B",
        "P",
        "event-trigger-changed",
    ),
    Case(
        "events gain an attribute",
        _add_property("ConversationCreatedEvent", "attempt", False),
        "C",
        "C",
        "P",
        "event-body-optional-property-added",
    ),
    Case(
        "signature format loosened",
        _delete(f"{P}/Signature/schema/pattern"),
        "C",
        "C",
        "P",
        "event-parameter-pattern-removed",
    ),
    Case(
        "deletions sent without a body",
        _delete("webhooks/conversation.deleted/post/requestBody"),
        "C",
        "C",
        "B",
        "event-body-removed",
    ),
    Case(
        "created events may come without a body",
        _set("components/requestBodies/ConversationCreated/required", False),
        "C",
        "C",
        "B",
        "event-body-became-optional",
    ),
    # -- the requirements catalogue --------------------------------------------------------------
    Case("a new MUST", _add_requirement("MUST"), "C", "B", "C", "requirement-added"),
    Case("a new SHOULD", _add_requirement("SHOULD"), "C", "C", "C", "requirement-added"),
    Case(
        "a MUST removed",
        _delete("x-requirements/PROTO-METHOD-NOT-ALLOWED"),
        "P",
        "C",
        "C",
        "requirement-removed",
    ),
    Case(
        "a MUST relaxed to SHOULD",
        _set("x-requirements/PROTO-METHOD-NOT-ALLOWED/level", "SHOULD"),
        "P",
        "C",
        "C",
        "requirement-level-changed",
    ),
    Case(
        "a SHOULD made a MUST",
        _set("x-requirements/PROTO-REQUEST-ID/level", "MUST"),
        "C",
        "B",
        "C",
        "requirement-level-changed",
    ),
    Case(
        "a MUST reworded",
        _reword(
            "A method that the path does not offer MUST be answered 405, with an `Allow` header listing those it does."
        ),
        "P",
        "P",
        "C",
        "requirement-reworded",
    ),
    Case(
        "a MUST reflowed",
        _reword("A method the path does not have MUST be answered 405\nwith an `Allow` header."),
        "C",
        "C",
        "C",
        "requirement-reworded",
    ),
    Case(
        "a MUST turned MUST NOT",
        _reword(
            "A method the path does not have MUST NOT be answered 404; it MUST be answered 405 with an `Allow` header."
        ),
        "P",
        "B",
        "C",
        "requirement-reworded",
    ),
    Case(
        "a SHOULD reworded",
        _reword(
            "A response SHOULD carry an `x-request-id` header naming the request.",
            "PROTO-REQUEST-ID",
        ),
        "C",
        "C",
        "C",
        "requirement-reworded",
    ),
    Case(
        "a requirement moved",
        _set("x-requirements/PROTO-METHOD-NOT-ALLOWED/section", "Routing"),
        "C",
        "C",
        "C",
        "requirement-moved",
    ),
    Case(
        "a requirement now checked",
        _set("x-requirements/PROTO-REQUEST-ID/checked", True),
        "C",
        "P",
        "C",
        "requirement-checked-changed",
    ),
    # -- versions ------------------------------------------------------------------------------
    Case(
        "breaking with a major bump",
        _both(_set(f"{P}/Limit/schema/maximum", 50), _set("info/version", "2.0.0")),
        "B",
        "P",
        "C",
        "request-parameter-maximum-decreased",
    ),
]
