"""The typed view answers from the document: operations, conventions, positions, one validator call site."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from protocol_kit.spec import JSON, Schema, Spec, SpecError, default_spec_path


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.load()


def test_operations_by_method_and_path(spec: Spec) -> None:
    listing = spec.operation("GET", "/v1/conversations")
    assert listing.operation_id == "listConversations"
    assert spec.match("put", "/v1/conversations/xgQQXg3hrtjh7AvZ") == spec.operation(
        "PUT", "/v1/conversations/{id}"
    )
    assert spec.match("PATCH", "/v1/conversations/xgQQXg3hrtjh7AvZ") is None
    with pytest.raises(KeyError):
        spec.operation("GET", "/v1/nothing")


def test_parameters_carry_their_schema_default_and_bounds(spec: Spec) -> None:
    limit = spec.operation("GET", "/v1/conversations").parameter("limit")
    assert limit is not None
    node = spec.data["components"]["parameters"]["Limit"]["schema"]
    assert (limit.minimum, limit.maximum, limit.default) == (
        node["minimum"],
        node["maximum"],
        node["default"],
    )
    path_id = spec.operation("GET", "/v1/conversations/{id}").path_parameters[0]
    assert path_id.schema.target.pointer == "#/components/schemas/Id"
    assert path_id.examples[0].value == "xgQQXg3hrtjh7AvZ"


def test_bodies_responses_and_conventions(spec: Spec) -> None:
    create = spec.operation("POST", "/v1/conversations")
    assert create.request_body is not None
    schema = create.request_body.schema(JSON)
    assert schema is not None and schema.target.required_one_of == ("contact_id", "group_id")
    assert set(create.body_media_types) == {JSON, "application/x-www-form-urlencoded"}
    assert create.responses["400"].pointer == "#/components/responses/BadRequest"
    assert create.responses["400"].is_error
    page = spec.operation("GET", "/v1/conversations").pagination
    assert page is not None and page.after is not None and page.before is not None
    assert page.items.target.pointer == "#/components/schemas/Conversation"
    assert spec.operation("GET", "/v1/conversations/{id}").pagination is None
    assert spec.error_schema is not None and spec.error_schema.pointer.endswith("/Error")
    assert (
        spec.max_body_bytes
        == (spec.data["components"]["responses"]["PayloadTooLarge"]["x-max-body-bytes"])
    )


def test_positions_are_where_the_source_writes_each_pointer(spec: Spec) -> None:
    lines = default_spec_path().read_text(encoding="utf-8").splitlines()
    position = spec.position("#/components/schemas/Conversation/properties/is_muted")
    assert position is not None
    assert lines[position.line - 1][position.column - 1 :].startswith("is_muted:")
    assert Spec(copy.deepcopy(spec.data)).position("#/paths") is None  # no source: no positions


def test_openapi_validation_reports_the_pointer(spec: Spec, tmp_path: Path) -> None:
    assert spec.document.openapi_problem() is None
    document = copy.deepcopy(spec.data)
    document["paths"]["/v1/conversations"]["get"]["responses"] = "everything"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    problem = Spec.load(path).document.openapi_problem()
    assert problem is not None
    assert problem.pointer == "#/paths/~1v1~1conversations/get/responses"


def test_a_document_that_is_not_openapi_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not an OpenAPI document"):
        Spec.load(path)


@pytest.mark.parametrize(
    ("node", "types"),
    [
        ({"type": "null"}, {"null"}),
        ({"const": None}, {"null"}),
        ({"const": True}, {"boolean"}),
        ({"const": 7}, {"integer"}),
        ({"type": "string", "const": "x"}, {"string"}),
        ({"anyOf": [{"type": "integer"}, {"const": None}]}, {"integer", "null"}),
    ],
)
def test_json_types_read_const_as_a_type(
    spec: Spec, node: dict[str, object], types: set[str]
) -> None:
    assert Schema.anonymous(spec.document, node).json_types() == types
