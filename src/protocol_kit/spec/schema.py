"""Typed JSON Schema objects: one schema node of the document, its pointer and its keywords."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator

from .checks import Check
from .document import Document, child

# Validation keywords a reader (docs, clients) shows as the schema's bounds.
CONSTRAINT_KEYWORDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "default",
    "minItems",
    "maxItems",
    "enum",
)
# The spec's hint that exactly one of these attributes must be given (machine-checkable one-of).
REQUIRED_ONE_OF = "x-required-one-of"


@dataclass(frozen=True, eq=False)
class Schema:
    """One schema node as written (``$ref`` not followed) at ``pointer``; ``target`` follows it."""

    document: Document
    node: dict[str, Any]
    pointer: str

    @classmethod
    def at(cls, document: Document, pointer: str) -> Schema:
        node = document.node(pointer)
        return cls(document, node if isinstance(node, dict) else {}, pointer)

    @classmethod
    def anonymous(cls, document: Document, node: Any) -> Schema:
        """A schema met by value (a validator error's subschema), not at a known pointer."""
        return cls(document, node if isinstance(node, dict) else {}, "")

    def __repr__(self) -> str:
        return f"Schema({self.pointer})"

    # -- references -----------------------------------------------------------------------

    @property
    def ref(self) -> str | None:
        ref = self.node.get("$ref")
        return ref if isinstance(ref, str) else None

    @property
    def ref_name(self) -> str | None:
        """The last segment of the ``$ref`` (the component's name), if any."""
        return self.ref.rsplit("/", 1)[-1] if self.ref else None

    @cached_property
    def target(self) -> Schema:
        """The schema the ``$ref`` chain ends at (this one, without a ``$ref``)."""
        if self.ref is None:
            return self
        node, pointer = self.document.follow(self.node, self.pointer)
        return Schema(self.document, node if isinstance(node, dict) else {}, pointer)

    @property
    def value_pointer(self) -> str:
        """The pointer a validator is compiled from: the ``$ref`` itself when it is all there is."""
        if self.ref is not None and len(self.node) == 1:
            return self.ref
        return self.pointer

    # -- keywords -------------------------------------------------------------------------

    def has(self, keyword: str) -> bool:
        return keyword in self.node

    @property
    def keywords(self) -> tuple[str, ...]:
        """The keywords written on this node."""
        return tuple(str(k) for k in self.node)

    def keyword(self, keyword: str) -> Any:
        """The raw value of a keyword (extensions included), None when absent."""
        return self.node.get(keyword)

    @property
    def type(self) -> str | list[str] | None:
        declared = self.node.get("type")
        if isinstance(declared, list):
            return [str(t) for t in declared]
        return str(declared) if declared is not None else None

    @property
    def format(self) -> str | None:
        value = self.node.get("format")
        return str(value) if value is not None else None

    @property
    def description(self) -> str | None:
        value = self.node.get("description")
        return str(value) if value is not None else None

    @property
    def title(self) -> str | None:
        value = self.node.get("title")
        return str(value) if value is not None else None

    @property
    def enum(self) -> tuple[Any, ...]:
        return tuple(self.node.get("enum", ()))

    @property
    def default(self) -> Any:
        return self.node.get("default")

    @property
    def examples(self) -> tuple[Any, ...]:
        value = self.node.get("examples")
        return tuple(value) if isinstance(value, list) else ()

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(str(name) for name in self.node.get("required", ()))

    @property
    def required_one_of(self) -> tuple[str, ...]:
        """The attributes of which exactly one must be given (``x-required-one-of``)."""
        return tuple(str(name) for name in self.node.get(REQUIRED_ONE_OF, ()))

    def integer(self, keyword: str) -> int | None:
        """A numeric keyword (``minimum``, ``maxLength``, …) as an int, None when absent."""
        value = self.node.get(keyword)
        return int(value) if isinstance(value, int | float) else None

    def constraints(self) -> dict[str, Any]:
        """This node's own validation keywords."""
        return {k: self.node[k] for k in CONSTRAINT_KEYWORDS if k in self.node}

    # -- subschemas -----------------------------------------------------------------------

    @cached_property
    def properties(self) -> dict[str, Schema]:
        props = self.node.get("properties")
        if not isinstance(props, dict):
            return {}
        base = child(self.pointer, "properties")
        return {
            str(name): Schema(
                self.document, node if isinstance(node, dict) else {}, child(base, name)
            )
            for name, node in props.items()
        }

    @property
    def items(self) -> Schema | None:
        node = self.node.get("items")
        if not isinstance(node, dict):
            return None
        return Schema(self.document, node, child(self.pointer, "items"))

    def branches(self, keyword: str) -> tuple[Schema, ...]:
        """The subschemas of ``anyOf``, ``oneOf`` or ``allOf``."""
        nodes = self.node.get(keyword)
        if not isinstance(nodes, list):
            return ()
        return tuple(
            Schema(self.document, n if isinstance(n, dict) else {}, child(self.pointer, keyword, i))
            for i, n in enumerate(nodes)
        )

    @property
    def any_of(self) -> tuple[Schema, ...]:
        return self.branches("anyOf")

    @property
    def one_of(self) -> tuple[Schema, ...]:
        return self.branches("oneOf")

    # -- what it accepts ------------------------------------------------------------------

    def json_types(self) -> frozenset[str]:
        """Every JSON type the schema can accept, looking through ``$ref`` and combinators."""
        return frozenset(self._json_types(set()))

    def _json_types(self, seen: set[str]) -> set[str]:
        if self.pointer in seen:
            return set()
        seen.add(self.pointer)
        types: set[str] = set()
        declared = self.type
        if isinstance(declared, str):
            types.add(declared)
        elif isinstance(declared, list):
            types.update(declared)
        elif self.has("const"):
            # `const: null` states the type by its one value, as `type: 'null'` would.
            types.add(json_type(self.node["const"]))
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in self.branches(key):
                types |= sub._json_types(seen)
        if self.ref is not None:
            types |= self.target._json_types(seen)
        return types

    @property
    def nullable(self) -> bool:
        return "null" in self.json_types()

    @property
    def validator(self) -> Draft202012Validator:
        """A validator for this schema, ``$ref``s inlined where possible (compiled once)."""
        return self.document.fast_validator(self.value_pointer)

    @property
    def check(self) -> Check:
        """Whether an instance is valid: the validator's verdict, sooner where it can be (compiled once)."""
        return self.document.check(self.value_pointer)

    def errors(self, instance: Any) -> list[str]:
        """Readable violations of ``instance`` (empty when valid), at most five, path first."""
        found = sorted(self.validator.iter_errors(instance), key=lambda e: list(e.path))
        return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in found[:5]]


def json_type(value: Any) -> str:
    """The JSON type of a decoded value (``true`` is a boolean, not an integer)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
