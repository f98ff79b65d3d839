"""Two versions of a schema compared keyword by keyword, each difference judged by its direction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from protocol_kit.spec import Schema, child, json_type

from .directions import Direction
from .model import SERVERS, Level

B, P, C = Level.BREAKING, Level.POSSIBLY, Level.COMPATIBLE
# Upper and lower bounds: lowering an upper bound (or raising a lower one) accepts fewer values.
_UPPER = {
    "maximum": "maximum",
    "exclusiveMaximum": "exclusive maximum",
    "maxLength": "maximum length",
    "maxItems": "maximum number of items",
    "maxProperties": "maximum number of attributes",
    "maxContains": "maximum number of matching items",
}
_LOWER = {
    "minimum": "minimum",
    "exclusiveMinimum": "exclusive minimum",
    "minLength": "minimum length",
    "minItems": "minimum number of items",
    "minProperties": "minimum number of attributes",
    "minContains": "minimum number of matching items",
}
# Assertions compared as a whole: adding one accepts fewer values, removing one accepts more.
_ASSERTIONS = (
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "contains",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "contentSchema",
    "contentMediaType",
    "contentEncoding",
    "multipleOf",
    "uniqueItems",
    "x-required-one-of",
)
# Keywords that say nothing about which values are valid.
_ANNOTATIONS = frozenset(
    {
        "$ref",
        "description",
        "title",
        "summary",
        "example",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
        "xml",
        "discriminator",
        "$comment",
        "$schema",
        "$id",
        "$anchor",
        "$defs",
        "definitions",
    }
)
_HANDLED = frozenset(
    {
        "type",
        "nullable",
        "enum",
        "const",
        "x-extensible-enum",
        "pattern",
        "format",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "anyOf",
        "oneOf",
        "allOf",
        "default",
        *_UPPER,
        *_LOWER,
        *_ASSERTIONS,
    }
)
_NUMBER_TYPES = {"integer", "number"}


@dataclass(frozen=True)
class Delta:
    """One difference inside a schema: what changed, where, and the level for each audience."""

    kind: str
    what: str
    breaks: tuple[tuple[str, Level], ...]
    path: tuple[str, ...]  # the attribute path inside the compared schema (``[]`` for items)
    base: str | None
    revision: str | None

    def under(self, segment: str) -> Delta:
        return Delta(
            self.kind, self.what, self.breaks, (segment, *self.path), self.base, self.revision
        )


class _Node:
    """A schema as it applies: keywords beside a ``$ref`` win over those of its target."""

    def __init__(self, schema: Schema) -> None:
        self.outer = schema
        self.inner = schema.target

    @property
    def key(self) -> str:
        return self.outer.value_pointer

    @property
    def document(self) -> Any:
        return self.outer.document

    def has(self, keyword: str) -> bool:
        return keyword != "$ref" and (self.outer.has(keyword) or self.inner.has(keyword))

    def value(self, keyword: str) -> Any:
        return (
            self.outer.keyword(keyword) if self.outer.has(keyword) else self.inner.keyword(keyword)
        )

    def where(self, keyword: str | None = None) -> str:
        if keyword is not None and self.outer.has(keyword):
            return child(self.outer.pointer, keyword)
        if keyword is not None and self.inner.has(keyword):
            return child(self.inner.pointer, keyword)
        return self.outer.pointer

    def keywords(self) -> set[str]:
        return {*self.outer.keywords, *self.inner.keywords} - {"$ref"}

    def properties(self) -> dict[str, Schema]:
        return {**self.inner.properties, **self.outer.properties}

    def sub(self, keyword: str) -> Schema | None:
        if not isinstance(self.value(keyword), dict):
            return None
        return Schema.at(self.document, self.where(keyword))

    def branches(self, keyword: str) -> tuple[Schema, ...]:
        return self.outer.branches(keyword) or self.inner.branches(keyword)

    @property
    def closed(self) -> bool:
        """Whether attributes it does not list are refused."""
        return (
            self.value("additionalProperties") is False
            or self.value("unevaluatedProperties") is False
        )


class SchemaDiff:
    """Compares schemas of two documents, remembering each pair (components are met many times)."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, str, str], list[Delta]] = {}
        self._busy: set[tuple[str, str, str]] = set()

    def compare(self, base: Schema, revision: Schema, direction: Direction) -> list[Delta]:
        b, r = _Node(base), _Node(revision)
        key = (b.key, r.key, direction.name)
        if key in self._done:
            return self._done[key]
        if key in self._busy:
            return []  # a recursive schema: its own differences are reported where they are
        self._busy.add(key)
        try:
            found = list(_Comparison(self, b, r, direction).deltas())
        finally:
            self._busy.discard(key)
        self._done[key] = found
        return found


class _Comparison:
    def __init__(self, owner: SchemaDiff, b: _Node, r: _Node, d: Direction) -> None:
        self.owner, self.b, self.r, self.d = owner, b, r, d

    def delta(
        self, kind: str, what: str, breaks: dict[str, Level], keyword: str | None = None
    ) -> Delta:
        b_where = (
            self.b.where(keyword) if keyword is None or self.b.has(keyword) else self.b.where()
        )
        r_where = (
            self.r.where(keyword) if keyword is None or self.r.has(keyword) else self.r.where()
        )
        return Delta(kind, what, tuple(breaks.items()), (), b_where, r_where)

    def deltas(self) -> Iterator[Delta]:
        yield from self._types()
        yield from self._values()
        yield from self._bounds()
        yield from self._strings()
        yield from self._objects()
        yield from self._arrays()
        yield from self._combinators()
        yield from self._assertions()
        yield from self._default()
        yield from self._others()

    # -- types ------------------------------------------------------------------------------

    def _types(self) -> Iterator[Delta]:
        before, after = _types(self.b), _types(self.r)
        if before == after:
            return
        d = self.d
        if before is None:
            yield self.delta(
                "type-set", f"type restricted to {_names(after)}", d.narrower(B), "type"
            )
            return
        if after is None:
            yield self.delta(
                "type-removed", f"type {_names(before)} no longer stated", d.wider(B), "type"
            )
            return
        wide_b, wide_r = _widened(before), _widened(after)
        if before - {"null"} == after - {"null"}:
            if "null" in after:
                yield self.delta("became-nullable", "null is now allowed", d.wider(B), "type")
            else:
                yield self.delta(
                    "became-not-nullable", "null is no longer allowed", d.narrower(B), "type"
                )
        elif wide_b <= wide_r:
            yield self.delta(
                "type-generalized",
                f"type widened from {_names(before)} to {_names(after)}",
                d.wider(B),
                "type",
            )
        elif wide_r <= wide_b:
            yield self.delta(
                "type-specialized",
                f"type narrowed from {_names(before)} to {_names(after)}",
                d.narrower(B),
                "type",
            )
        else:
            yield self.delta(
                "type-changed",
                f"type changed from {_names(before)} to {_names(after)}",
                d.both(B),
                "type",
            )

    # -- values -----------------------------------------------------------------------------

    def _values(self) -> Iterator[Delta]:
        d = self.d
        before, after = self.b.value("enum"), self.r.value("enum")
        if isinstance(before, list) and isinstance(after, list):
            gone = [v for v in before if v not in after]
            new = [v for v in after if v not in before]
            if gone:
                yield self.delta(
                    "enum-value-removed",
                    f"enum value {_values(gone)} removed",
                    d.narrower(B),
                    "enum",
                )
            if new:
                yield self.delta(
                    "enum-value-added", f"enum value {_values(new)} added", d.wider(P), "enum"
                )
        elif isinstance(after, list):
            yield self.delta(
                "became-enum", f"now limited to {_values(after)}", d.narrower(B), "enum"
            )
        elif isinstance(before, list):
            yield self.delta(
                "enum-removed", f"no longer limited to {_values(before)}", d.wider(B), "enum"
            )
        before, after = self.b.value("x-extensible-enum"), self.r.value("x-extensible-enum")
        if isinstance(before, list) and isinstance(after, list):
            gone = [v for v in before if v not in after]
            new = [v for v in after if v not in before]
            if gone:
                yield self.delta(
                    "extensible-enum-value-removed",
                    f"extensible enum value {_values(gone)} removed",
                    d.narrower(B),
                    "x-extensible-enum",
                )
            if new:
                yield self.delta(
                    "extensible-enum-value-added",
                    f"extensible enum value {_values(new)} added (readers expect new values)",
                    {},
                    "x-extensible-enum",
                )
        b_has, r_has = self.b.has("const"), self.r.has("const")
        if b_has and r_has and _canon(self.b.value("const")) != _canon(self.r.value("const")):
            yield self.delta(
                "const-changed",
                f"constant changed from {_value(self.b.value('const'))} to {_value(self.r.value('const'))}",
                d.both(B),
                "const",
            )
        elif r_has and not b_has:
            yield self.delta(
                "const-added", f"now always {_value(self.r.value('const'))}", d.narrower(B), "const"
            )
        elif b_has and not r_has:
            yield self.delta(
                "const-removed",
                f"no longer always {_value(self.b.value('const'))}",
                d.wider(B),
                "const",
            )

    # -- bounds -----------------------------------------------------------------------------

    def _bounds(self) -> Iterator[Delta]:
        for keyword, name in _UPPER.items():
            yield from self._bound(keyword, name, upper=True)
        for keyword, name in _LOWER.items():
            yield from self._bound(keyword, name, upper=False)

    def _bound(self, keyword: str, name: str, *, upper: bool) -> Iterator[Delta]:
        before, after = _number(self.b.value(keyword)), _number(self.r.value(keyword))
        d = self.d
        if isinstance(self.b.value(keyword), bool) or isinstance(self.r.value(keyword), bool):
            # OpenAPI 3.0's boolean form: it makes the plain bound exclusive.
            b_flag, r_flag = self.b.value(keyword) is True, self.r.value(keyword) is True
            if b_flag != r_flag:
                yield self.delta(
                    f"{_kind(keyword)}-{'set' if r_flag else 'removed'}",
                    f"{name} {'now' if r_flag else 'no longer'} excludes the bound itself",
                    d.narrower(P) if r_flag else d.wider(P),
                    keyword,
                )
            return
        if before == after:
            return
        if before is None and after is not None:
            yield self.delta(
                f"{_kind(keyword)}-set", f"{name} {_num(after)} set", d.narrower(P), keyword
            )
        elif after is None and before is not None:
            yield self.delta(
                f"{_kind(keyword)}-removed", f"{name} {_num(before)} removed", d.wider(B), keyword
            )
        elif before is not None and after is not None:
            fewer = after < before if upper else after > before
            verb = "decreased" if after < before else "increased"
            yield self.delta(
                f"{_kind(keyword)}-{verb}",
                f"{name} {verb} from {_num(before)} to {_num(after)}",
                d.narrower(B) if fewer else d.wider(B),
                keyword,
            )

    # -- strings ----------------------------------------------------------------------------

    def _strings(self) -> Iterator[Delta]:
        d = self.d
        for keyword, level in (("pattern", B), ("format", P)):
            before, after = self.b.value(keyword), self.r.value(keyword)
            if before == after:
                continue
            if before is None:
                yield self.delta(
                    f"{keyword}-added", f"{keyword} {after!r} added", d.narrower(level), keyword
                )
            elif after is None:
                yield self.delta(
                    f"{keyword}-removed", f"{keyword} {before!r} removed", d.wider(P), keyword
                )
            else:
                yield self.delta(
                    f"{keyword}-changed",
                    f"{keyword} changed from {before!r} to {after!r}",
                    d.both(P),
                    keyword,
                )

    # -- objects ----------------------------------------------------------------------------

    def _objects(self) -> Iterator[Delta]:
        d = self.d
        b_props, r_props = self.b.properties(), self.r.properties()
        b_req, r_req = (
            set(_strings(self.b.value("required"))),
            set(_strings(self.r.value("required"))),
        )
        for name, schema in r_props.items():
            if name in b_props:
                continue
            required = name in r_req
            breaks: dict[str, Level] = {}
            if required:
                breaks.update(d.narrower(B))
            if d.consumer == SERVERS:
                breaks[SERVERS] = B if self.b.closed else P
            elif self.b.closed:
                breaks[d.consumer] = P
            what = f"{'required' if required else 'optional'} attribute `{name}` added"
            yield Delta(
                "required-property-added" if required else "optional-property-added",
                what,
                tuple(breaks.items()),
                (),
                self.b.where(),
                schema.pointer,
            )
        for name, schema in b_props.items():
            if name in r_props:
                continue
            breaks = {}
            if d.producer != SERVERS:
                breaks[d.producer] = B if self.r.closed else P
            else:
                breaks[d.consumer] = B if name in b_req else P
                if self.r.closed:
                    breaks[SERVERS] = B
            what = f"{'required' if name in b_req else 'optional'} attribute `{name}` removed"
            yield Delta(
                "required-property-removed" if name in b_req else "optional-property-removed",
                what,
                tuple(breaks.items()),
                (),
                schema.pointer,
                self.r.where(),
            )
        for name in sorted(r_req - b_req):
            if not (name in r_props and name not in b_props):  # a new attribute says it
                yield self.delta(
                    "property-became-required",
                    f"`{name}` became required",
                    d.narrower(B),
                    "required",
                )
        for name in sorted(b_req - r_req):
            if not (name in b_props and name not in r_props):  # a removed attribute says it
                yield self.delta(
                    "property-became-optional", f"`{name}` became optional", d.wider(B), "required"
                )
        for name, schema in b_props.items():
            if name in r_props:
                for found in self.owner.compare(schema, r_props[name], d):
                    yield found.under(name)
        yield from self._additional()

    def _additional(self) -> Iterator[Delta]:
        d = self.d
        before, after = self.b.value("additionalProperties"), self.r.value("additionalProperties")
        b_sub, r_sub = self.b.sub("additionalProperties"), self.r.sub("additionalProperties")
        if b_sub is not None and r_sub is not None:
            for found in self.owner.compare(b_sub, r_sub, d):
                yield found.under("{*}")
        elif before is False and after is not False:
            yield self.delta(
                "additional-properties-allowed",
                "attributes it does not list are now allowed",
                d.wider(P),
                "additionalProperties",
            )
        elif after is False and before is not False:
            yield self.delta(
                "additional-properties-refused",
                "attributes it does not list are now refused",
                d.narrower(P),
                "additionalProperties",
            )
        elif (before is None) != (after is None) and (b_sub or r_sub):
            yield self.delta(
                "additional-properties-changed",
                "the schema of unlisted attributes changed",
                d.both(P),
                "additionalProperties",
            )

    # -- arrays -----------------------------------------------------------------------------

    def _arrays(self) -> Iterator[Delta]:
        b_items, r_items = self.b.sub("items"), self.r.sub("items")
        if b_items is not None and r_items is not None:
            for found in self.owner.compare(b_items, r_items, self.d):
                yield found.under("[]")
        elif b_items is None and r_items is not None:
            yield self.delta(
                "items-added", "its items are now constrained", self.d.narrower(B), "items"
            )
        elif b_items is not None and r_items is None:
            yield self.delta(
                "items-removed", "its items are no longer constrained", self.d.wider(B), "items"
            )

    # -- anyOf, oneOf, allOf ------------------------------------------------------------------

    def _combinators(self) -> Iterator[Delta]:
        d = self.d
        for keyword in ("anyOf", "oneOf", "allOf"):
            # A new branch of anyOf/oneOf accepts more; a new allOf member accepts fewer.
            added, removed = (
                (d.narrower(B), d.wider(P)) if keyword == "allOf" else (d.wider(B), d.narrower(B))
            )
            before, after = self.b.branches(keyword), self.r.branches(keyword)
            if not before and not after:
                continue
            if not before or not after:
                rest = [s for s in (after or before) if not _is_null(s)]
                if len(rest) == 1 and keyword != "allOf":
                    continue  # one schema wrapped to allow null, or unwrapped: the type says it
                verb = "added" if after else "removed"
                breaks = (added if after else removed) if keyword == "allOf" else d.both(P)
                yield self.delta(f"{_kind(keyword)}-{verb}", f"`{keyword}` {verb}", breaks, keyword)
                continue
            b_keyed = {_branch_key(s, i): s for i, s in enumerate(before)}
            r_keyed = {_branch_key(s, i): s for i, s in enumerate(after)}
            for name, schema in b_keyed.items():
                if name in r_keyed:
                    yield from self.owner.compare(schema, r_keyed[name], d)
                elif not _is_null(schema):
                    yield Delta(
                        f"{_kind(keyword)}-removed",
                        f"{keyword} branch {_label(schema)} removed",
                        tuple(removed.items()),
                        (),
                        schema.pointer,
                        self.r.where(keyword),
                    )
            for name, schema in r_keyed.items():
                if name not in b_keyed and not _is_null(schema):
                    yield Delta(
                        f"{_kind(keyword)}-added",
                        f"{keyword} branch {_label(schema)} added",
                        tuple(added.items()),
                        (),
                        self.b.where(keyword),
                        schema.pointer,
                    )

    # -- the rest -----------------------------------------------------------------------------

    def _assertions(self) -> Iterator[Delta]:
        d = self.d
        for keyword in _ASSERTIONS:
            before, after = self.b.value(keyword), self.r.value(keyword)
            if _canon(before) == _canon(after) or (
                before in (None, False) and after in (None, False)
            ):
                continue
            if before in (None, False) or before == {}:
                yield self.delta(
                    f"{_kind(keyword)}-added", f"`{keyword}` added", d.narrower(B), keyword
                )
            elif after in (None, False) or after == {}:
                yield self.delta(
                    f"{_kind(keyword)}-removed", f"`{keyword}` removed", d.wider(B), keyword
                )
            else:
                yield self.delta(
                    f"{_kind(keyword)}-changed", f"`{keyword}` changed", d.both(B), keyword
                )

    def _default(self) -> Iterator[Delta]:
        b_has, r_has = self.b.has("default"), self.r.has("default")
        if not b_has and not r_has:
            return
        before, after = self.b.value("default"), self.r.value("default")
        if b_has and r_has and _canon(before) == _canon(after):
            return
        # A request's default is behaviour: what an omitted value means. A response's is a note.
        breaks = {self.d.producer: B, self.d.consumer: B} if self.d.consumer == SERVERS else {}
        if b_has and r_has:
            what = f"default changed from {_value(before)} to {_value(after)}"
        elif r_has:
            what = f"default {_value(after)} added"
            breaks = {k: P for k in breaks}
        else:
            what = f"default {_value(before)} removed"
            breaks = {k: P for k in breaks}
        yield self.delta("default-value-changed", what, breaks, "default")

    def _others(self) -> Iterator[Delta]:
        for keyword in sorted((self.b.keywords() | self.r.keywords()) - _HANDLED - _ANNOTATIONS):
            before, after = self.b.value(keyword), self.r.value(keyword)
            if _canon(before) == _canon(after):
                continue
            breaks = {} if keyword.startswith("x-") else self.d.both(P)
            yield self.delta("keyword-changed", f"`{keyword}` changed", breaks, keyword)
        if (self.b.value("description") or "") != (self.r.value("description") or ""):
            yield self.delta("description-changed", "description changed", {}, "description")


def _types(node: _Node, depth: int = 0) -> frozenset[str] | None:
    """The JSON types a schema admits (None: any), looking into anyOf and oneOf branches."""
    declared = node.value("type")
    own: frozenset[str] | None
    if isinstance(declared, str):
        own = frozenset({declared})
    elif isinstance(declared, list):
        own = frozenset(str(t) for t in declared)
    elif node.has("const"):
        own = frozenset({json_type(node.value("const"))})
    else:
        own = None
    if own is not None and node.value("nullable") is True:
        own |= {"null"}
    if depth > 8:
        return own  # deep enough to tell the types of any schema a person writes
    for keyword in ("anyOf", "oneOf"):
        union: set[str] = set()
        for branch in node.branches(keyword):
            sub = _types(_Node(branch), depth + 1)
            if sub is None:
                union = set()
                break
            union |= sub
        if union:
            own = frozenset(union) if own is None else own & _widened(union)
    return own


def _widened(types: frozenset[str] | set[str]) -> frozenset[str]:
    """Integers are numbers: a set with ``number`` admits integers too."""
    return frozenset(types | {"integer"}) if "number" in types else frozenset(types)


def _is_null(schema: Schema) -> bool:
    target = schema.target
    return target.type == "null" or (target.has("const") and target.keyword("const") is None)


def _branch_key(schema: Schema, index: int) -> str:
    """How branches are paired across versions: by the component they name, else by type."""
    if schema.ref_name:
        return f"ref:{schema.ref_name}"
    types = _types(_Node(schema))
    if types:
        return f"type:{','.join(sorted(types))}"
    title = schema.title
    return f"title:{title}" if title else f"index:{index}"


def _label(schema: Schema) -> str:
    if schema.ref_name:
        return f"`{schema.ref_name}`"
    types = _types(_Node(schema))
    return (
        f"`{schema.title}`"
        if schema.title
        else (_names(types) if types else f"#{schema.pointer.rsplit('/', 1)[-1]}")
    )


def _names(types: frozenset[str] | None) -> str:
    return " or ".join(sorted(types)) if types else "any"


def _kind(keyword: str) -> str:
    """A keyword as a part of a change's kind: ``maxLength`` → ``max-length``."""
    out = "".join(f"-{c.lower()}" if c.isupper() else c for c in keyword.removeprefix("x-"))
    return out.replace("$", "")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _value(value: Any) -> str:
    return json.dumps(value, default=str)


def _values(values: list[Any]) -> str:
    return ", ".join(_value(v) for v in values)
