"""JSON Schema violations worded in JSON notation (`null`, `"abc"`, `true`), not Python's."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import ValidationError


def json_text(value: Any) -> str:
    """``value`` as JSON spells it; what JSON cannot spell keeps its Python form."""
    if isinstance(value, float) and type(value) is not float:
        return repr(value)  # a number kept as it was written, not as its nearest double
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only its escape can be shown
        return json.dumps(value)
    return text


def _listed(values: Any) -> str:
    items = values if isinstance(values, list | tuple) else [values]
    return ", ".join(json_text(v) for v in items)


def describe(error: ValidationError) -> str:
    """One violation, like jsonschema's own message but with every value in JSON notation."""
    value, expected = json_text(error.instance), error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    match error.validator:
        case "type":
            return f"{value} is not of type {_listed(expected)}"
        case "enum":
            return f"{value} is not one of {_listed(expected)}"
        case "const":
            return f"{json_text(expected)} was expected"
        case "minimum":
            return f"{value} is less than the minimum of {json_text(expected)}"
        case "maximum":
            return f"{value} is greater than the maximum of {json_text(expected)}"
        case "exclusiveMinimum":
            return f"{value} is less than or equal to the minimum of {json_text(expected)}"
        case "exclusiveMaximum":
            return f"{value} is greater than or equal to the maximum of {json_text(expected)}"
        case "minLength" | "minItems":
            return f"{value} is too short (at least {json_text(expected)})"
        case "maxLength" | "maxItems":
            return f"{value} is too long (at most {json_text(expected)})"
        case "pattern":
            return f"{value} does not match {json_text(expected)}"
        case "format":
            return f"{value} is not a {json_text(expected)}"
        case "required":
            present = error.instance if isinstance(error.instance, dict) else {}
            names = expected if isinstance(expected, list) else []
            missing = [name for name in names if name not in present]
            return f"{_listed(missing)} is a required property"
        case "additionalProperties" if isinstance(error.instance, dict):
            return f"additional properties are not allowed ({_listed(_extras(error, schema))} unexpected)"
        case "oneOf" | "anyOf":
            return f"{value} is not valid under any of the given schemas"
    if error.validator is None or error.validator == "false":
        return f"false schema does not allow {value}"
    # jsonschema's own wording; a re-raised error carries its whole report after a blank line.
    return error.message.split("\n\n", 1)[0]


def _extras(error: ValidationError, schema: dict[str, Any]) -> list[str]:
    declared = schema.get("properties") or {}
    patterns = [re.compile(p) for p in schema.get("patternProperties") or {}]
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [
        name
        for name in instance
        if name not in declared and not any(p.search(name) for p in patterns)
    ]
