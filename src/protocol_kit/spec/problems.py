"""Every problem in an OpenAPI document, each at its file, line, column and JSON pointer: what
`protocol-kit lint` reports and what `protocol-kit generate` refuses to generate from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .document import Position, SpecError, UnreadableSpec, child, located
from .messages import describe
from .view import Spec

_Found = tuple[str, str]


@dataclass(frozen=True)
class Problem:
    """One problem: ``str()`` is ``FILE:LINE:COLUMN: JSON-POINTER: MESSAGE``."""

    pointer: str
    message: str
    position: Position | None = None
    file: Path | None = None

    def __str__(self) -> str:
        return located(self.message, self.file, self.pointer, self.position)

    @classmethod
    def of(cls, error: SpecError) -> Problem:
        """The problem a document that could not be loaded has, where loading found it."""
        return cls(error.pointer, error.message, error.position, error.path)


def problems_in(path: str | Path | None) -> tuple[Spec | None, list[Problem]]:
    """The document at ``path`` (None if it does not load) and its problems; UnreadableSpec if
    there is no document to look at."""
    try:
        spec = Spec.load(path)
    except UnreadableSpec:
        raise
    except SpecError as exc:
        return None, [Problem.of(exc)]
    return spec, find_problems(spec)


def blocking_problems(spec: Spec, cache: Path | None = None) -> list[Problem]:
    """The problems that make the document unusable (for serving, for generating), worded and
    placed as `find_problems` does; empty when openapi-spec-validator passes the document (a
    verdict remembered in ``cache``, see `Document.openapi_problem`)."""
    problem = spec.document.openapi_problem(cache=cache)
    if problem is None:
        return []
    found = _blocking(spec) or [(problem.pointer, problem.message)]
    return _located(spec, found)


def find_problems(spec: Spec) -> list[Problem]:
    """Every problem in the document, each once, in document order; empty when it passes."""
    found = _blocking(spec)
    blocked = bool(found)
    if not blocked:
        found += _operation_texts(spec)
        found += _error_responses(spec)
        found += _examples(spec)
    found += _unused_components(spec, readable=not blocked)
    return _located(spec, found)


def _blocking(spec: Spec) -> list[_Found]:
    """What keeps the document from being used at all: a dangling reference, a parameter listed
    twice, anything openapi-spec-validator finds."""
    # Each step needs the ones before it to pass: everything after the first follows references
    # (with a dangling one it would only report the same mistake again, somewhere else), and
    # the view reads operations only from a document of the right shape.
    return (
        list(_dangling_refs(spec))
        or list(_openapi(spec, structure_only=True))
        or list(_duplicate_parameters(spec))
        or list(_openapi(spec, structure_only=False))
    )


def _openapi(spec: Spec, *, structure_only: bool) -> Iterator[_Found]:
    for problem in spec.document.openapi_problems(structure_only=structure_only):
        yield problem.pointer, problem.message


def _located(spec: Spec, found: list[_Found]) -> list[Problem]:
    problems = [problem_at(spec, pointer, message) for pointer, message in dict.fromkeys(found)]
    return sorted(problems, key=_order)


def problem_at(spec: Spec, pointer: str, message: str) -> Problem:
    """``message`` about the node at ``pointer``, at the line and column it is written."""
    return Problem(pointer, message, _position(spec, pointer), spec.path)


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


def _unused_components(spec: Spec, *, readable: bool) -> Iterator[_Found]:
    """Components nothing refers to. Which security schemes are required is read from the
    operations, so it is only known when the document is ``readable`` (has no blocking problem)."""
    used = {ref for _, ref in spec.document.refs()}
    schemes = set(spec.security) if readable else set()
    for operation in spec.operations() if readable else ():
        schemes |= set(operation.security or ())
    for section, names in spec.components().items():
        for name in names:
            pointer = child("#/components", section, name)
            if section == "securitySchemes":
                if readable and name not in schemes:
                    yield pointer, "security scheme is never required"
            elif pointer not in used:
                yield pointer, "component is never referenced"
