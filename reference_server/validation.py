"""Spec-driven request parsing: query strings and bodies are coerced and checked against the spec's schemas."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator, ValidationError

from protocol_kit.spec import JSON, Operation, Schema, Spec
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
        # Compiled at start-up, not on the first request.
        self._validators: dict[str, Draft202012Validator] = {
            schema.value_pointer: schema.validator
            for schema in [*self._bodies.values(), *(p.schema for p in operation.parameters)]
        }

    def _validator(self, schema: Schema) -> Draft202012Validator:
        return self._validators[schema.value_pointer]

    def path_is_valid(self, path_params: Mapping[str, str]) -> bool:
        """Whether every path parameter matches its schema (a malformed id names nothing: 404)."""
        return all(
            self._validator(param.schema).is_valid(path_params.get(name))
            for name, param in self._path.items()
        )

    def parse_query(self, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """The known query parameters, coerced to their schema types; unknown ones are ignored."""
        values: dict[str, Any] = {}
        for name, raw in pairs:
            param = self._query.get(name)
            if param is None:
                continue
            if name in values:
                raise ApiError(400, f"Query parameter `{name}` is given more than once.")
            value = _coerce(raw, param.schema.json_types())
            errors = list(self._validator(param.schema).iter_errors(value))
            if errors:
                raise ApiError(400, self._describe(errors, f"Query parameter `{name}`"))
            values[name] = value
        for name, param in self._query.items():
            if param.required and name not in values:
                raise ApiError(400, f"Query parameter `{name}` is required.")
            if name not in values and param.default is not None:
                values[name] = param.default  # the spec's default, so no one else restates it
        return values

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
            document = _parse_json(raw) if media_type == JSON else self._parse_form(media_type, raw)
        if media_type not in self._bodies:
            media_type = next(iter(self._bodies))
        errors = list(self._validator(self._bodies[media_type]).iter_errors(document))
        if errors:
            raise ApiError(400, self._describe(errors, "Request body"))
        # JSON Schema counts 1700000000.0 as an integer; store it as one.
        return {
            key: int(value) if isinstance(value, float) and value.is_integer() else value
            for key, value in document.items()
        }

    def _parse_form(self, media_type: str, raw: bytes) -> dict[str, Any]:
        try:
            pairs = parse_qsl(
                raw.decode("ascii"), keep_blank_values=True, strict_parsing=True, errors="strict"
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, f"The form body is malformed: {exc}.") from exc
        properties = self._bodies[media_type].target.properties
        document: dict[str, Any] = {}
        for name, value in pairs:
            if name in document:
                raise ApiError(400, f"Request body attribute `{name}` is given more than once.")
            types = properties[name].json_types() if name in properties else frozenset()
            document[name] = _coerce(value, types)
        return document

    def _describe(self, errors: list[ValidationError], where: str) -> str:
        """One message for a person: which attribute, what was wrong, what was expected."""
        # The error about one attribute says more than a whole-object rule that failed because of it.
        # Combinator errors are reported whole (below), not by one of their branches.
        error = max(errors, key=lambda e: len(e.absolute_path))
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        location = f"{where} `{path.lstrip('.')}`" if path else where
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        if error.validator in ("oneOf", "anyOf"):
            alternatives = [
                Schema.anonymous(self._spec.document, sub).target for sub in error.validator_value
            ]
            expected = [alt.description or alt.type for alt in alternatives]
            if all(isinstance(e, str) for e in expected):
                shown = _shorten(json_text(error.instance))
                wanted = " or ".join(str(e).rstrip(".") for e in expected)
                return f"{location}: {shown} is not valid; expected {wanted}."
            if "description" in schema:
                return f"{location}: {schema['description']}"
        message = _shorten(describe(error))
        hint = schema.get("description") if error.validator in _HINTED else None
        return f"{location}: {message}" + (f" ({hint})" if hint else "")


_HINTED = frozenset({"pattern", "minLength", "maxLength"})


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _coerce(raw: str, types: frozenset[str]) -> Any:
    """Read a string from a query or form as the schema's non-string type where it spells one."""
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "integer" in types and _DIGITS.match(raw):
        try:
            return int(raw)
        except ValueError:  # longer than Python's int-parsing limit: leave it to the schema
            return raw
    # Form-encoded APIs write null as an empty value; the literal null means the same.
    if "null" in types and raw in ("", "null"):
        return None
    return raw


def _parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise ApiError(400, "The request body is not valid UTF-8.") from exc
    except RecursionError as exc:
        raise ApiError(400, "The JSON body is nested too deeply.") from exc
    except ValueError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
