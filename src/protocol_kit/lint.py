"""`protocol-kit lint`: openapi-spec-validator, then the project's own rules, each problem at its line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .spec import Position, Spec, SpecError, child
from .spec.messages import describe


@dataclass(frozen=True)
class Problem:
    pointer: str
    message: str
    position: Position | None = None
    file: Path | None = None

    def __str__(self) -> str:
        where = str(self.file) if self.file is not None else "<document>"
        if self.position is not None:
            where += f":{self.position.line}:{self.position.column}"
        return f"{where}: {self.pointer}: {self.message}"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "lint",
        help="check an OpenAPI document against OpenAPI 3.1 and the project's rules",
        description="Validate PATH with openapi-spec-validator, then check the project's rules: every "
        "example validates against its schema; every operation has operationId, summary and "
        "description; every 4xx/5xx response uses the Error schema; no operation lists a "
        "parameter twice; every $ref resolves and every component is used. Prints each problem "
        "as FILE:LINE:COLUMN: JSON-POINTER: MESSAGE; exits 1 if there is any.",
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
    """Every problem in the document, each once, in document order; empty when it passes."""
    found = list(_dangling_refs(spec))
    if not found:
        # Everything below follows references, openapi-spec-validator included: with a dangling
        # one it would only report the same mistake again, somewhere else.
        found += _duplicate_parameters(spec)
        if not found:
            problem = spec.document.openapi_problem()
            if problem is not None:
                found.append((problem.pointer, problem.message))
        if not found:
            found += _operation_texts(spec)
            found += _error_responses(spec)
            found += _examples(spec)
    found += _unused_components(spec)
    problems = [
        Problem(pointer, message, _position(spec, pointer), spec.path)
        for pointer, message in dict.fromkeys(found)
    ]
    return sorted(problems, key=_order)


def _order(problem: Problem) -> tuple[int, int]:
    return (problem.position.line, problem.position.column) if problem.position else (0, 0)


def _position(spec: Spec, pointer: str) -> Position | None:
    """Where ``pointer`` is written; a pointer into a value YAML does not spell out (an example
    member written inline) falls back to its nearest written parent."""
    while pointer:
        position = spec.position(pointer)
        if position is not None:
            return position
        pointer = pointer.rpartition("/")[0]
    return None


_Found = tuple[str, str]


def _dangling_refs(spec: Spec) -> Iterator[_Found]:
    for pointer, ref in spec.document.refs():
        try:
            spec.document.node(ref)
        except SpecError as exc:
            yield child(pointer, "$ref"), str(exc)


def _duplicate_parameters(spec: Spec) -> Iterator[_Found]:
    try:
        operations = spec.operations()
    except SpecError:
        return
    for operation in operations:
        seen: set[tuple[str, str]] = set()
        for param in operation.parameters:
            key = (param.name, param.location)
            if key in seen:
                yield (
                    operation.pointer,
                    f"{operation.method} {operation.path} lists the {param.location} parameter "
                    f"{json.dumps(param.name)} more than once",
                )
            seen.add(key)


def _operation_texts(spec: Spec) -> Iterator[_Found]:
    for operation in spec.operations():
        texts = {
            "operationId": operation.operation_id,
            "summary": operation.summary,
            "description": operation.description,
        }
        for key, text in texts.items():
            if not text:
                yield operation.pointer, f"operation has no {key}"


def _error_responses(spec: Spec) -> Iterator[_Found]:
    error = spec.error_schema
    error_ref = error.pointer if error is not None else "#/components/schemas/Error"
    for operation in spec.operations():
        for status, response in operation.responses.items():
            if not response.is_error:
                continue
            schema = response.schema
            if schema is None or schema.ref != error_ref:
                yield (
                    response.pointer,
                    f"a {status} response must be application/json with {error_ref}",
                )


def _examples(spec: Spec) -> Iterator[_Found]:
    """Examples of media types, parameters and schemas, each checked against the schema beside it."""
    for schema, example in spec.examples():
        for error in spec.validator(schema.pointer).iter_errors(example.value):
            yield child(example.pointer, *error.absolute_path), describe(error)


def _unused_components(spec: Spec) -> Iterator[_Found]:
    used = {ref for _, ref in spec.document.refs()}
    schemes = set(spec.security)
    try:
        for operation in spec.operations():
            schemes |= set(operation.security or ())
    except SpecError:
        pass  # a dangling reference, reported already; the schemes it hides stay unknown
    for section, names in spec.components().items():
        for name in names:
            pointer = child("#/components", section, name)
            if section == "securitySchemes":
                if name not in schemes:
                    yield pointer, "security scheme is never required"
            elif pointer not in used:
                yield pointer, "component is never referenced"


__all__ = ["Problem", "lint"]
