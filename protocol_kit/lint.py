"""`protocol-kit lint`: openapi-spec-validator, then the project's own rules, each problem with its JSON pointer."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from .spec import Spec, SpecError, escape_pointer


@dataclass(frozen=True)
class Problem:
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.message}"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "lint",
        help="check an OpenAPI document against OpenAPI 3.1 and the project's rules",
        description="Validate PATH with openapi-spec-validator, then check the project's rules: every "
        "example validates against its schema; every operation has operationId, summary and "
        "description; every 4xx/5xx response uses the Error schema; every $ref resolves and every "
        "component is used. Prints each problem with its JSON pointer; exits 1 if there is any.",
    )
    parser.add_argument(
        "path", nargs="?", default=None, help="the document (default: the bundled spec)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        spec = Spec.load(args.path)
    except SpecError as exc:
        print(f"protocol-kit lint: {exc}", file=sys.stderr)
        return 2
    problems = lint(spec)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {spec.path}", file=sys.stderr)
        return 1
    print(f"{spec.path}: OK")
    return 0


def lint(spec: Spec) -> list[Problem]:
    """Every problem in the document; empty when it passes."""
    problems = list(_dangling_refs(spec))
    if problems:
        return (
            problems  # everything after this, openapi-spec-validator included, follows references
        )
    try:
        validate(spec.document)
    except OpenAPIValidationError as exc:
        pointer = "#/" + "/".join(escape_pointer(str(p)) for p in exc.path)
        return [Problem(pointer, f"not valid OpenAPI: {exc.message}")]
    problems += _operation_texts(spec)
    problems += _error_responses(spec)
    problems += _examples(spec)
    problems += _unused_components(spec)
    return problems


def _walk(node: Any, pointer: str = "#") -> Iterator[tuple[str, Any]]:
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{escape_pointer(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def _refs(spec: Spec) -> Iterator[tuple[str, str]]:
    for pointer, node in _walk(spec.document):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            yield pointer, node["$ref"]


def _dangling_refs(spec: Spec) -> Iterator[Problem]:
    for pointer, ref in _refs(spec):
        try:
            spec.pointer(ref)
        except SpecError as exc:
            yield Problem(pointer, str(exc))


def _operation_texts(spec: Spec) -> Iterator[Problem]:
    for operation in spec.operations():
        for key in ("operationId", "summary", "description"):
            if not operation.raw.get(key):
                yield Problem(operation.pointer, f"operation has no {key}")


def _error_responses(spec: Spec) -> Iterator[Problem]:
    error_ref = "#/components/schemas/Error"
    for operation in spec.operations():
        for status, raw in operation.raw.get("responses", {}).items():
            if str(status)[0] not in "45":
                continue
            pointer = raw.get("$ref", f"{operation.pointer}/responses/{status}")
            content = spec.resolve(raw).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            if schema.get("$ref") != error_ref:
                yield Problem(
                    pointer, f"a {status} response must be application/json with {error_ref}"
                )


def _examples(spec: Spec) -> Iterator[Problem]:
    """Examples of media types, parameters and schemas, each checked against the schema beside it."""
    for pointer, node in _walk(spec.document):
        if not isinstance(node, dict) or "schema" not in node:
            continue
        schema_pointer = f"{pointer}/schema"
        validator = spec.validator(schema_pointer)
        candidates: list[tuple[str, Any]] = []
        if "example" in node:
            candidates.append((f"{pointer}/example", node["example"]))
        for name, example in (node.get("examples") or {}).items():
            example_pointer = example.get("$ref", f"{pointer}/examples/{escape_pointer(name)}")
            resolved = spec.resolve(example)
            if "value" in resolved:
                candidates.append((f"{example_pointer}/value", resolved["value"]))
        for example_pointer, value in candidates:
            for error in validator.iter_errors(value):
                where = "/".join(escape_pointer(str(p)) for p in error.absolute_path)
                yield Problem(example_pointer + (f"/{where}" if where else ""), error.message)
    for name, schema in spec.document.get("components", {}).get("schemas", {}).items():
        validator = spec.validator(f"#/components/schemas/{escape_pointer(name)}")
        for index, value in enumerate(schema.get("examples", [])):
            for error in validator.iter_errors(value):
                yield Problem(
                    f"#/components/schemas/{escape_pointer(name)}/examples/{index}", error.message
                )


def _unused_components(spec: Spec) -> Iterator[Problem]:
    used = {ref for _, ref in _refs(spec)}
    schemes = {name for requirement in spec.document.get("security", []) for name in requirement}
    for operation in spec.operations():
        schemes |= {
            name for requirement in operation.raw.get("security", []) for name in requirement
        }
    for section, entries in spec.document.get("components", {}).items():
        for name in entries:
            pointer = f"#/components/{section}/{escape_pointer(name)}"
            if section == "securitySchemes":
                if name not in schemes:
                    yield Problem(pointer, "security scheme is never required")
            elif pointer not in used:
                yield Problem(pointer, "component is never referenced")


__all__ = ["Problem", "lint"]
