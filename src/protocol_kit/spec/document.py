"""The raw layer: the parsed OpenAPI document, its JSON pointers, their positions, its validators."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .checks import Check, compile_check
from .messages import json_text

SPEC_URI = "urn:protocol-kit:spec"
# libyaml's loader parses the spec several times faster than the pure-Python one, to the same data.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# What openapi-spec-validator's verdict depends on besides the document, for the verdict cache.
_VALIDATOR_DISTRIBUTIONS = (
    "openapi-spec-validator",
    "openapi-schema-validator",
    "jsonschema",
    "jsonschema-path",
    "referencing",
)


def default_spec_path() -> Path:
    """The spec bundled with the package (``openapi/conversations.yaml`` in the repository)."""
    return Path(str(resources.files("protocol_kit.openapi").joinpath("conversations.yaml")))


def escape_pointer(segment: str) -> str:
    """Escape one JSON-pointer segment (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


def child(pointer: str, *segments: str | int) -> str:
    """``pointer`` extended by ``segments`` (escaped)."""
    return pointer + "".join(f"/{escape_pointer(str(s))}" for s in segments)


@dataclass(frozen=True)
class Position:
    """Where a node starts in the source file (1-based, as editors count)."""

    line: int
    column: int


class SpecError(Exception):
    """The document could not be read or is not an OpenAPI document we can work with.

    Raised while loading, it says where: the file, the JSON pointer and the line and column of
    the node at fault, and ``str()`` gives them as ``FILE:LINE:COLUMN: POINTER: MESSAGE``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        pointer: str = "#",
        position: Position | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.pointer = pointer
        self.position = position
        super().__init__(located(message, path, pointer, position) if path else message)


class UnreadableSpec(SpecError):
    """The file cannot be read at all (missing, a directory, no permission): nothing to check."""


def located(message: str, path: Path | None, pointer: str, position: Position | None) -> str:
    """``FILE:LINE:COLUMN: POINTER: MESSAGE``, the one shape every problem in a document is told in."""
    where = str(path) if path is not None else "<document>"
    if position is not None:
        where += f":{position.line}:{position.column}"
    return f"{where}: {pointer}: {message}"


@dataclass(frozen=True)
class OpenApiProblem:
    """What openapi-spec-validator found wrong, at the pointer it names."""

    pointer: str
    message: str


@dataclass
class Document:
    """The document as parsed, plus what only the raw tree can answer."""

    data: dict[str, Any]
    path: Path | None = None
    _node: yaml.Node | None = field(default=None, repr=False)
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict, repr=False)
    _inlined: dict[str, Draft202012Validator] = field(default_factory=dict, repr=False)
    _checks: dict[str, Check] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Document:
        path = Path(path) if path is not None else default_spec_path()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UnreadableSpec(f"cannot read {path}: {exc.strerror or exc}") from exc
        return cls.parse(_utf8(raw, path), path)

    @classmethod
    def parse(cls, text: str, path: Path) -> Document:
        """The document written in ``text``; ``path`` names it in messages and positions."""
        loader = _YAML_LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            message, position = _yaml_problem(exc, text)
            raise SpecError(message, path=path, position=position) from exc
        finally:
            loader.dispose()
        if not isinstance(data, dict) or "openapi" not in data:
            start = _position(node) if node is not None else Position(1, 1)
            raise SpecError(_not_openapi(data), path=path, position=start)
        return cls(data=data, path=path, _node=node)

    # -- pointers ---------------------------------------------------------------------------

    def node(self, ref: str) -> Any:
        """The node a local reference such as ``#/components/schemas/Id`` points to."""
        if not ref.startswith("#"):
            raise SpecError(f"only local references are supported, got {ref!r}")
        node: Any = self.data
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise SpecError(f"unresolvable $ref {ref}") from exc
        return node

    def follow(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow ``$ref`` chains (local only) from ``node`` at ``pointer``: the target and its pointer."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"circular $ref {ref}")
            seen.add(ref)
            node, pointer = self.node(ref), ref
        return node, pointer

    def walk(self) -> Iterator[tuple[str, Any]]:
        """Every node with its pointer, document order."""
        return _walk(self.data, "#")

    def refs(self) -> Iterator[tuple[str, str]]:
        """Every ``$ref``: the pointer of the object holding it and the reference."""
        for pointer, node in self.walk():
            if isinstance(node, dict) and isinstance(node.get("$ref"), str):
                yield pointer, node["$ref"]

    def without_examples(self, keep_under: tuple[str, ...] = ()) -> dict[str, Any]:
        """A copy without ``example``/``examples``, except beneath the members named ``keep_under``."""
        return dict(_without_examples(self.data, keep_under))

    # -- positions --------------------------------------------------------------------------

    @cached_property
    def _positions(self) -> dict[str, Position]:
        positions: dict[str, Position] = {}
        if self._node is not None:
            _record(self._node, "#", positions)
        return positions

    def position(self, pointer: str) -> Position | None:
        """Where the node at ``pointer`` is written (its key, for an object member)."""
        return self._positions.get(pointer)

    # -- validation ---------------------------------------------------------------------------

    @cached_property
    def registry(self) -> Registry[Any]:
        resource: Resource[Any] = Resource.from_contents(
            self.data, default_specification=DRAFT202012
        )
        registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        return registry

    def validator(self, pointer: str) -> Draft202012Validator:
        """A compiled validator for the schema at ``pointer`` (cached), refs resolved lazily."""
        if pointer not in self._validators:
            schema = {"$ref": f"{SPEC_URI}{pointer}"}
            self._validators[pointer] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[pointer]

    def fast_validator(self, pointer: str) -> Draft202012Validator:
        """The schema at ``pointer`` with its local ``$ref``s copied in place, compiled once.

        The registry-backed validator resolves every ``$ref`` on every call, which was about a
        third of the time of a whole GET on the server; an inlined copy validates the same way
        without the lookups. Schemas that cannot be inlined keep the registry-backed validator.
        """
        if pointer not in self._inlined:
            try:
                compiled = Draft202012Validator(self._inline({"$ref": pointer}, ()))
            except (_NotInlinable, SpecError):
                compiled = self.validator(pointer)
            self._inlined[pointer] = compiled
        return self._inlined[pointer]

    def check(self, pointer: str) -> Check:
        """Whether a value is valid against the schema at ``pointer``: the fast validator's
        ``is_valid``, or a plain predicate where the schema is flat enough (`checks`)."""
        if pointer not in self._checks:
            validator = self.fast_validator(pointer)
            self._checks[pointer] = compile_check(validator.schema) or validator.is_valid
        return self._checks[pointer]

    def _inline(self, node: Any, refs: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self._inline(item, refs) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#") or ref in refs or "allOf" in node:
                raise _NotInlinable(ref)
            target = self._inline(self.node(ref), (*refs, ref))
            if len(node) == 1:
                return target
            # Keywords beside a $ref apply together with it, exactly as an allOf of the two.
            siblings = {k: self._inline(v, refs) for k, v in node.items() if k != "$ref"}
            return {**siblings, "allOf": [target]}
        return {key: self._inline(value, refs) for key, value in node.items()}

    def openapi_problems(self, *, structure_only: bool = False) -> list[OpenApiProblem]:
        """Everything openapi-spec-validator finds wrong with the document, each at the pointer of
        the node at fault (`validity`); empty if it passes. ``structure_only``: only what the
        OpenAPI schema says of the document's shape, not what a walk of its schemas finds."""
        from .validity import openapi_findings  # imports the validator: slow, only when used

        found = dict.fromkeys(openapi_findings(self.data, structure_only=structure_only))
        return [OpenApiProblem(pointer, message) for pointer, message in found]

    def openapi_problem(self, cache: Path | None = None) -> OpenApiProblem | None:
        """The first of `openapi_problems`, None if the document passes.

        Importing and running the validator is slow, and its verdict depends only on the document
        and the validator's code: with a ``cache`` directory, a document that passed is
        remembered by a digest of the parsed document and the validator stack's versions.
        """
        marker = self._validated_marker(cache) if cache is not None else None
        if marker is not None and marker.is_file():
            return None
        problems = self.openapi_problems()
        if problems:
            return problems[0]
        if marker is not None:
            with contextlib.suppress(OSError):  # an unwritable cache: validate again next time
                marker.touch()
        return None

    def _validated_marker(self, cache: Path) -> Path | None:
        """The cache file saying this document is valid; None if its verdict must not be cached."""
        if any(not ref.startswith("#") for _, ref in self.refs()):
            return None  # the verdict would depend on what the other documents say today
        try:
            versions = [metadata.version(name) for name in _VALIDATOR_DISTRIBUTIONS]
        except metadata.PackageNotFoundError:
            return None
        # repr() tells apart everything YAML can give (1, 1.0, "1", True, dates), in document order.
        digest = hashlib.sha256(repr((versions, self.data)).encode()).hexdigest()
        return cache / digest


class _NotInlinable(Exception):
    """A schema whose references cannot be copied in place (recursive, remote, or beside allOf)."""


def _walk(node: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, child(pointer, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def _without_examples(node: Any, keep_under: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_without_examples(item, keep_under) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: value if key in keep_under else _without_examples(value, keep_under)
        for key, value in node.items()
        if key not in ("example", "examples")
    }


def _record(node: yaml.Node, pointer: str, positions: dict[str, Position]) -> None:
    positions.setdefault(pointer, _position(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            member = child(pointer, str(key.value))
            positions[member] = _position(key)  # a member is where its key is written
            _record(value, member, positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, f"{pointer}/{index}", positions)


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _utf8(raw: bytes, path: Path) -> str:
    """The file's text; a byte that is not UTF-8 is reported where it is, as an editor counts."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise SpecError(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded "
            "(an OpenAPI document in YAML or JSON is UTF-8)",
            path=path,
            position=Position(line, column),
        ) from exc


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[str, Position | None]:
    """What the YAML parser found and where, worded without its internal names."""
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or exc.context or "cannot be parsed"
        context = f" ({exc.context})" if exc.problem and exc.context else ""
        mark = exc.problem_mark or exc.context_mark
        position = Position(mark.line + 1, mark.column + 1) if mark is not None else None
        return f"not valid YAML: {problem}{context}", position
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        position = Position(before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        return f"not valid YAML: character {_character(exc.character)}: {exc.reason}", position
    return f"not valid YAML: {exc}", None


def _not_openapi(data: Any) -> str:
    if isinstance(data, dict) and "swagger" in data:
        return (
            f"not an OpenAPI document: a Swagger {json_text(data['swagger'])} one; this tool "
            "reads OpenAPI 3.1 (convert it first)"
        )
    found = "it is empty" if data is None else f"it is {_kind(data)}"
    if isinstance(data, dict):
        found = "it has no top-level `openapi` key"
    return (
        f"not an OpenAPI document: {found} (an OpenAPI document is a mapping with an `openapi` key)"
    )


def _kind(data: Any) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return kinds.get(type(data), f"a {type(data).__name__}")


def _character(character: Any) -> str:
    code = character if isinstance(character, int) else ord(str(character)[:1] or "\0")
    return f"#x{code:04x}"
