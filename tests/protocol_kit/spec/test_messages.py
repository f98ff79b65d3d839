"""Schema violations worded in JSON notation."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from protocol_kit.spec.messages import describe, json_text


@pytest.mark.parametrize(
    ("schema", "instance", "message"),
    [
        ({"type": "boolean"}, None, 'null is not of type "boolean"'),
        ({"type": ["string", "null"]}, True, 'true is not of type "string", "null"'),
        ({"enum": ["a", None]}, "b", '"b" is not one of "a", null'),
        ({"maximum": 100}, 500, "500 is greater than the maximum of 100"),
        ({"pattern": "^a$"}, "b", '"b" does not match "^a$"'),
        ({"required": ["id", "x"]}, {"x": None}, '"id" is a required property'),
        (
            {"properties": {"a": {}}, "additionalProperties": False},
            {"a": 1, "b": 2, "c": None},
            'additional properties are not allowed ("b", "c" unexpected)',
        ),
    ],
)
def test_messages_use_json_notation(schema: dict[str, Any], instance: Any, message: str) -> None:
    (error,) = Draft202012Validator(schema).iter_errors(instance)
    assert describe(error) == message


def test_values_json_cannot_encode_stay_readable() -> None:
    assert json_text("\ud800") == '"\\ud800"'  # a lone surrogate, escaped rather than crashing
    assert json_text("é") == '"é"'
