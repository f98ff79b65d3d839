"""openapi-spec-validator's findings, each at the JSON pointer of the node at fault, in words."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jsonschema import ValidationError

from .document import escape_pointer
from .messages import describe, json_text

# The versions this tool reads: the document's `openapi` field.
VERSION = re.compile(r"3\.1\.\d+")
# Where the validator's own errors say a node is (attribute set on the error), see `_locating`.
_WHERE = "_protocol_kit_where"


def openapi_findings(
    data: dict[str, Any], *, structure_only: bool = False
) -> Iterator[tuple[str, str]]:
    """Each (pointer, message) openapi-spec-validator finds in ``data``, in the order it finds them.

    The validator checks the document against the OpenAPI schema (its errors carry document
    paths); only a document whose structure passes is walked (``structure_only``: never), each
    schema checked against the dialect's meta-schema, defaults against their schemas, parameters
    and operation ids. Those errors say nothing about where the node is: each walker here records
    the node it was given on the errors it passes up, and the node is found in the document by
    identity (the validator reads the parsed objects themselves).
    """
    version = data.get("openapi")
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        yield "#/openapi", _version_problem(version)
        return
    # Slow imports: only when used.
    from openapi_spec_validator import OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import schema_v31
    from openapi_spec_validator.schemas.backend.jsonschema import create_validator

    # jsonschema's errors say which keyword failed (jsonschema-rs' only say it in words).
    structure = [
        ("/".join(["#", *(escape_pointer(str(part)) for part in error.absolute_path)]), error)
        for error in create_validator(schema_v31).iter_errors(data)
    ]
    yield from ((pointer, _message(error)) for pointer, error in structure)
    if structure or structure_only:
        return

    class _Locating(OpenAPIV31SpecValidator):
        keyword_validators = {  # noqa: RUF012 - replaces the base class's mapping, never mutated
            keyword: _locating(keyword, validator)
            for keyword, validator in OpenAPIV31SpecValidator.keyword_validators.items()
        }

    pointers = _pointers(data)
    walker = _Locating(data)
    try:
        for error in walker.root_validator(walker.schema_path):
            yield _where(error, pointers), _message(error)
    except RecursionError:
        yield "#", "not valid OpenAPI: a chain of $ref that never reaches a schema"
    except Exception as exc:  # the validator raises unrelated types, referencing's among them
        # referencing's Unresolvable: its message holds the whole document; its ref says it all.
        ref = getattr(exc, "ref", None)
        found = f"unresolvable $ref {ref}" if ref else type(exc).__name__
        yield "#", f"not valid OpenAPI: {found}"


def _version_problem(version: Any) -> str:
    if isinstance(version, int | float) and not isinstance(version, bool):
        return f'{json_text(version)} is a number; the version is a string such as "3.1.0"'
    return f"{json_text(version)} is not an OpenAPI version this tool reads (it reads 3.1.x)"


def _locating(keyword: str, validator: type[Any]) -> type[Any]:
    """``validator`` (one of openapi-spec-validator's walkers) marking the errors it yields with
    the node it was given, unless a walker nested deeper marked them first."""
    walk: Callable[..., Iterator[ValidationError]] = validator.__call__

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Iterator[ValidationError]:
        for error in walk(self, *args, **kwargs):
            if not hasattr(error, _WHERE):
                setattr(error, _WHERE, (keyword, _node(args)))
            yield error

    return type(validator.__name__, (validator,), {"__call__": __call__})


def _node(args: tuple[Any, ...]) -> Any:
    """The node a walker was given: its first path argument (the operation walker's first
    arguments are its URL and method), read."""
    return next((a.read_value() for a in args if hasattr(a, "read_value")), None)


def _pointers(data: Any) -> dict[int, str]:
    """Each container node's pointer by identity; the first one in document order."""
    pointers: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(data, "#")]
    while stack:
        node, pointer = stack.pop()
        if id(node) in pointers:
            continue
        pointers[id(node)] = pointer
        if isinstance(node, Mapping):
            items = [(escape_pointer(str(k)), v) for k, v in node.items()]
        elif isinstance(node, list):
            items = [(str(i), v) for i, v in enumerate(node)]
        else:
            continue
        stack += [
            (v, f"{pointer}/{k}") for k, v in reversed(items) if isinstance(v, Mapping | list)
        ]
    return pointers


def _where(error: ValidationError, pointers: dict[int, str]) -> str:
    inside = [escape_pointer(str(part)) for part in error.absolute_path]
    keyword, node = getattr(error, _WHERE, ("", None))
    pointer = pointers.get(id(node), "#")
    if keyword == "schema":  # a meta-schema error: its path is inside the schema
        return "/".join([pointer, *inside])
    if keyword == "default" and isinstance(node, Mapping):  # a default that fails its schema
        return f"{pointer}/default" if "default" in node else f"{pointer}/schema/default"
    return pointer


def _message(error: ValidationError) -> str:
    return f"not valid OpenAPI: {_wording(error)}"


def _wording(error: ValidationError) -> str:
    """The error in words; a container is named by its kind, not dumped (it can be the document)."""
    branches = error.context or []
    if error.validator in ("anyOf", "oneOf") and branches:
        if all(branch.validator == "required" for branch in branches):
            names = [name for branch in branches for name in _names(branch.validator_value)]
            return f"at least one of {', '.join(json_text(n) for n in names)} is required"
        telling = [b for b in branches if b.validator in ("enum", "const")] or [
            b for b in branches if b.validator != "type"
        ]
        if len(telling) == 1:
            return _wording(telling[0])
    if isinstance(error.instance, Mapping | list) and error.validator not in _NAMES_THE_PART:
        kind = "an object" if isinstance(error.instance, Mapping) else "a list"
        if error.validator == "type":
            expected = error.validator_value
            names = expected if isinstance(expected, list) else [expected]
            return f"{kind} is not of type {', '.join(json_text(n) for n in names)}"
        if error.validator == "minProperties":
            return f"{kind} with fewer than {json_text(error.validator_value)} member(s)"
        return f"{kind} that does not match the OpenAPI schema here (its `{error.validator}`)"
    return describe(error)


# Errors whose wording names the part of a container at fault rather than the whole container.
_NAMES_THE_PART = (
    "required",
    "additionalProperties",
    "unevaluatedProperties",
    "minItems",
    "maxItems",
)


def _names(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
