"""Spec-driven request parsing: query strings and bodies are coerced and checked against the spec's schemas."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator, ValidationError

from protocol_kit.spec import FORM, JSON, Operation, Schema, Spec
from protocol_kit.spec.checks import Check
from protocol_kit.spec.messages import describe, json_text

from .errors import ApiError

_DIGITS = re.compile(r"^-?[0-9]+$")


class OperationRequest:
    """Validates the query, path and body of requests to one operation, as its spec says."""

    def __init__(self, spec: Spec, operation: Operation) -> None:
        self._spec = spec
        self.operation = operation
        self._query = {p.name: p for p in operation.parameters if p.location == "query"}
        self._path = {p.name: p for p in operation.parameters if p.location == "path"}
        self._bodies: dict[str, Schema] = {
            name: media.schema
            for name, media in operation.body_media_types.items()
            if media.schema is not None
        }
        json_body = self._bodies.get(JSON)
        self._form_types = _property_types(json_body) if json_body else {}
        # Compiled at start-up, not on the first request. A value is checked first (cheap),
        # and only an invalid one is run through its validator for the errors to describe.
        schemas = [*self._bodies.values(), *(p.schema for p in operation.parameters)]
        self._validators: dict[str, Draft202012Validator] = {
            schema.value_pointer: schema.validator for schema in schemas
        }
        self._checks: dict[str, Check] = {schema.value_pointer: schema.check for schema in schemas}
        self._path_pointers = [
            (name, param.schema.value_pointer) for name, param in self._path.items()
        ]
        # What reading a query parameter takes, looked up once: its schema and JSON types.
        self._query_reading = {
            name: (param.schema, param.schema.json_types()) for name, param in self._query.items()
        }
        self._required = [name for name, param in self._query.items() if param.required]
        # The spec's defaults, so no one else restates them.
        self._defaults = {
            name: param.default for name, param in self._query.items() if param.default is not None
        }
        self.reads_query = bool(self._query)

    def _validator(self, schema: Schema) -> Draft202012Validator:
        return self._validators[schema.value_pointer]

    def path_is_valid(self, path_params: Mapping[str, str]) -> bool:
        """Whether every path parameter matches its schema (a malformed id names nothing: 404)."""
        return all(
            self._checks[pointer](path_params.get(name)) for name, pointer in self._path_pointers
        )

    def parse_query(self, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """The known query parameters, coerced to their schema types; unknown ones are ignored."""
        values: dict[str, Any] = {}
        for name, raw in pairs:
            reading = self._query_reading.get(name)
            if reading is None:
                continue
            if name in values:
                raise ApiError(400, f"Query parameter `{name}` is given more than once.")
            schema, types = reading
            value = _coerce(raw, types)
            if not self._checks[schema.value_pointer](value):
                errors = list(self._validator(schema).iter_errors(value))
                raise ApiError(400, self._describe(errors, f"Query parameter `{name}`"))
            values[name] = value
        for name in self._required:
            if name not in values:
                raise ApiError(400, f"Query parameter `{name}` is required.")
        return {**self._defaults, **values}

    def parse_body(self, content_type: str | None, raw: bytes) -> dict[str, Any]:
        """The body as a validated JSON object; empty bodies are an empty object."""
        if not raw:
            document: Any = {}
            media_type = JSON
        else:
            media_type = (content_type or "").split(";")[0].strip().lower()
            if media_type not in self._bodies:
                accepted = " or ".join(f"`{m}`" for m in self._bodies)
                raise ApiError(
                    415, f"Content-Type `{media_type or 'none'}` is not supported; send {accepted}."
                )
            if media_type == FORM:
                # The form's own schema says what the wire carries; the values it reads are then
                # checked once more as the JSON document they stand for.
                fields = _parse_form(raw)
                self._check(self._bodies[FORM], fields)
                document = self._from_form(fields)
            else:
                document = _parse_json(raw)
        self._check(self._bodies.get(JSON) or next(iter(self._bodies.values())), document)
        # JSON Schema counts 1700000000.0 as an integer; store it as one.
        return {
            key: int(value) if isinstance(value, float) and value.is_integer() else value
            for key, value in document.items()
        }

    def _check(self, schema: Schema, document: Any) -> None:
        if not self._checks[schema.value_pointer](document):
            errors = list(self._validator(schema).iter_errors(document))
            raise ApiError(400, self._describe(errors, "Request body"))

    def _from_form(self, fields: dict[str, str]) -> dict[str, Any]:
        """The JSON document a valid form body stands for, typed as the JSON body schema says."""
        return {
            name: _from_form_value(raw, self._form_types.get(name, frozenset()))
            for name, raw in fields.items()
        }

    def _describe(self, errors: list[ValidationError], where: str) -> str:
        """One message for a person: which attribute, what was wrong, what was expected."""
        # The error about one attribute says more than a whole-object rule that failed because of it.
        # Combinator errors are reported whole (below), not by one of their branches.
        error = max(errors, key=lambda e: len(e.absolute_path))
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        location = f"{where} `{path.lstrip('.')}`" if path else where
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        if error.validator in ("oneOf", "anyOf") and isinstance(error.validator_value, list):
            alternatives = [
                Schema.anonymous(self._spec.document, sub).target for sub in error.validator_value
            ]
            branch = _meant_branch(error, alternatives)
            if branch is not None:
                return self._describe(branch, where)
            expected = [alt.description or alt.type for alt in alternatives]
            objects = all(alt.type == "object" for alt in alternatives)
            if all(isinstance(e, str) for e in expected) and not objects:
                shown = _shorten(json_text(error.instance))
                wanted = " or ".join(str(e).rstrip(".") for e in expected)
                return f"{location}: {shown} is not valid; expected {wanted}."
            if "description" in schema:
                return f"{location}: {schema['description']}"
        message = _shorten(describe(error))
        hint = schema.get("description") if error.validator in _HINTED else None
        return f"{location}: {message}" + (f" ({hint})" if hint else "")


_HINTED = frozenset({"pattern", "minLength", "maxLength"})


def _meant_branch(
    error: ValidationError, alternatives: list[Schema]
) -> list[ValidationError] | None:
    """The errors of the one object branch the instance evidently meant, if exactly one.

    A branch is meant when the instance has every attribute it requires (`{"contact_id": "abc"}`
    meant the contact branch, whose complaint is the id); with none or several meant, the
    combinator's own description says more.
    """
    if not all(alt.type == "object" for alt in alternatives):
        return None
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        by_branch.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    meant = [
        errors
        for errors in by_branch.values()
        if not any(e.validator == "required" and not e.relative_path for e in errors)
    ]
    return meant[0] if len(meant) == 1 and len(by_branch) == len(alternatives) else None


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _coerce(raw: str, types: frozenset[str]) -> Any:
    """Read a string from a query as the schema's non-string type where it spells one."""
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "integer" in types and _DIGITS.match(raw):
        try:
            return int(raw)
        except ValueError:  # longer than Python's int-parsing limit: leave it to the schema
            return raw
    return raw


def _parse_form(raw: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            raw.decode("ascii"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, f"The form body is malformed: {exc}.") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise ApiError(400, f"Request body attribute `{name}` is given more than once.")
        fields[name] = value
    return fields


def _property_types(schema: Schema) -> dict[str, frozenset[str]]:
    """The JSON types each attribute of a body schema may take, across its one-of branches."""
    types: dict[str, frozenset[str]] = {}
    pending = [schema.target]
    while pending:
        current = pending.pop()
        for name, prop in current.properties.items():
            types[name] = types.get(name, frozenset()) | prop.json_types()
        for key in ("oneOf", "anyOf", "allOf"):
            pending.extend(branch.target for branch in current.branches(key))
    return types


def _from_form_value(raw: str, types: frozenset[str]) -> Any:
    """A form value its form schema accepted, as the JSON value it writes."""
    # Form-encoded APIs write null as an empty value; the literal null means the same.
    if "null" in types and raw in ("", "null"):
        return None
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "integer" in types and _DIGITS.match(raw):
        # Leading zeros do not count against Python's limit on the length of integer text.
        return int(raw.lstrip("0") or "0")
    return raw


def _parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant, parse_float=_exact_number)
    except UnicodeDecodeError as exc:
        raise ApiError(400, "The request body is not valid UTF-8.") from exc
    except RecursionError as exc:
        raise ApiError(400, "The JSON body is nested too deeply.") from exc
    except ValueError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from exc


class _RoundedNumber(float):
    """A JSON number that is not an integer although its nearest double is one
    (``1700000000.0000001``): judged as the number written, never as its rounding, so it is
    refused where an integer is required, as a parser that keeps every digit would refuse it."""

    literal: str

    def __new__(cls, literal: str) -> _RoundedNumber:
        number = super().__new__(cls, literal)
        number.literal = literal
        return number

    def is_integer(self) -> bool:
        return False

    def __repr__(self) -> str:
        return self.literal


def _exact_number(literal: str) -> float:
    number = float(literal)
    if number.is_integer() and Decimal(literal) != Decimal(int(number)):
        return _RoundedNumber(literal)
    return number


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
