"""Two versions of a schema compared keyword by keyword, each difference judged by its direction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from protocol_kit.spec import Schema, SpecError, child, json_type

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
# Assertions whose value is a schema (or a list or map of them) that applies as a whole: their
# differences are looked for inside them, so a property added under `then` is named as such.
_SUBSCHEMAS = frozenset(
    {
        "then",
        "else",
        "contains",
        "propertyNames",
        "contentSchema",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentSchemas",
        "patternProperties",
        "prefixItems",
    }
)
# Those holding a map of schemas: alike when they map the same keys.
_SCHEMA_MAPS = frozenset({"dependentSchemas", "patternProperties"})
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
        """Its attributes, those its allOf members list included (its own win)."""
        found: dict[str, Schema] = {}
        for member in self.branches("allOf"):
            found.update(_Node(member).properties())
        return {**found, **self.inner.properties, **self.outer.properties}

    def required(self) -> set[str]:
        """The attributes it requires, those its allOf members require included."""
        found = set(_strings(self.value("required")))
        for member in self.branches("allOf"):
            found |= _Node(member).required()
        return found

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
        self._done: dict[tuple[str, str, Direction], list[Delta]] = {}
        self._busy: set[tuple[str, str, Direction]] = set()
        self._same: dict[str, bool] = {}

    def compare(self, base: Schema, revision: Schema, direction: Direction) -> list[Delta]:
        b, r = _Node(base), _Node(revision)
        key = (b.key, r.key, direction)
        if key in self._done:
            return self._done[key]
        if self._unchanged(base, revision):
            self._done[key] = []
            return []
        if key in self._busy:
            return []  # a recursive schema: its own differences are reported where they are
        self._busy.add(key)
        try:
            found = list(_Comparison(self, b, r, direction).deltas())
        finally:
            self._busy.discard(key)
        self._done[key] = found
        return found

    def _unchanged(self, base: Schema, revision: Schema) -> bool:
        """Written alike, and so is everything they reference: nothing to look at inside.

        Most of a large document does not change between two versions; this spares the
        keyword-by-keyword walk of all of it.
        """
        if base.node != revision.node:
            return False
        assumed: list[str] = []
        same = all(self._same_ref(ref, base, revision, assumed) for ref in _refs(base, base.node))
        if not same:
            for ref in assumed:  # judged alike only by assuming a cycle back to a changed one
                self._same.pop(ref, None)
        return same

    def _same_ref(self, ref: str, base: Schema, revision: Schema, assumed: list[str]) -> bool:
        if ref in self._same:
            return self._same[ref]
        self._same[ref] = True  # while it is being judged: a reference back to it is a cycle
        try:
            b_node, r_node = base.document.node(ref), revision.document.node(ref)
        except SpecError:
            same = False
        else:
            same = b_node == r_node and all(
                self._same_ref(inner, base, revision, assumed) for inner in _refs(base, b_node)
            )
        self._same[ref] = same
        if same:
            assumed.append(ref)
        return same


def _refs(schema: Schema, node: Any) -> Iterator[str]:
    """Every ``$ref`` written anywhere inside ``node``."""
    if isinstance(node, dict):
        ref = Schema.anonymous(schema.document, node).ref
        if ref is not None:
            yield ref
        for value in node.values():
            yield from _refs(schema, value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(schema, value)


class _Comparison:
    """One pair of schemas, compared keyword by keyword (subschemas through the owner's memory)."""

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
        wide_b, wide_r = _widened(before, d.text), _widened(after, d.text)
        if before - {"null"} == after - {"null"}:
            if "null" in after:
                yield self.delta(
                    "became-nullable", "null is now allowed", self._wider_type(), "type"
                )
            else:
                yield self.delta(
                    "became-not-nullable", "null is no longer allowed", d.narrower(B), "type"
                )
        elif wide_b <= wide_r:
            yield self.delta(
                "type-generalized",
                f"type widened from {_names(before)} to {_names(after)}",
                self._wider_type(),
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

    def _wider_type(self) -> dict[str, Level]:
        """A value that may now be null or of another type: its reader may break; so may a
        server writing it, since the contract gives the new type a meaning (an empty form value
        is null for a nullable attribute, say) that an old server does not implement."""
        wider = self.d.wider(B)
        if self.d.producer == SERVERS:
            wider[SERVERS] = P
        return wider

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
            # An empty pattern or format says nothing.
            before, after = self.b.value(keyword) or None, self.r.value(keyword) or None
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
        b_req, r_req = self.b.required(), self.r.required()
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
                self.b.where("properties"),
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
                self.r.where("properties"),
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
            b_keyed, r_keyed = _keyed(before), _keyed(after)
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
            if keyword in _SUBSCHEMAS and _shaped_alike(keyword, before, after):
                yield from self._inside(keyword, before)
                continue
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

    def _inside(self, keyword: str, before: Any) -> Iterator[Delta]:
        """The differences inside a keyword that holds schemas alike on both sides."""
        if keyword in _SCHEMA_MAPS:
            segments: list[tuple[tuple[str | int, ...], str]] = [((k,), f"{{{k}}}") for k in before]
        elif isinstance(before, list):
            segments = [((i,), f"[{i}]") for i in range(len(before))]
        else:
            segments = [((), f"({keyword})")]
        b_at, r_at = self.b.where(keyword), self.r.where(keyword)
        for extra, label in segments:
            b_sub = Schema.at(self.b.document, child(b_at, *extra))
            r_sub = Schema.at(self.r.document, child(r_at, *extra))
            for found in self.owner.compare(b_sub, r_sub, self.d):
                yield found.under(label)

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


def became_array_of(base: Schema, revision: Schema) -> Schema | None:
    """The items of a parameter that became an array of values of its old types, else None.

    Written ``name=value``, one value is an array of one (form style, exploded: the query's
    default), so the old single values still fit, as far as the items' own constraints allow.
    """
    b, r = _Node(base), _Node(revision)
    before, after = _types(b), _types(r)
    items = r.sub("items")
    if before is None or after != frozenset({"array"}) or "array" in before or items is None:
        return None
    inside = _types(_Node(items))
    return items if inside is None or before <= _widened(inside, text=True) else None


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
    elif isinstance(node.value("enum"), list) and node.value("enum"):
        # An enum without a type states its types by its values, as `const` does.
        own = frozenset(json_type(v) for v in node.value("enum"))
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


def _shaped_alike(keyword: str, before: Any, after: Any) -> bool:
    """Both hold schemas in the same places: the differences inside them are all there is."""
    if isinstance(before, dict) and isinstance(after, dict):
        return keyword not in _SCHEMA_MAPS or before.keys() == after.keys()
    return isinstance(before, list) and isinstance(after, list) and len(before) == len(after)


def _widened(types: frozenset[str] | set[str], text: bool = False) -> frozenset[str]:
    """Integers are numbers: a set with ``number`` admits integers too (and, written as text,
    a string admits every number and boolean)."""
    wide = set(types)
    if "number" in wide:
        wide.add("integer")
    if text and "string" in wide:
        wide |= {"number", "integer", "boolean"}
    return frozenset(wide)


def _is_null(schema: Schema) -> bool:
    target = schema.target
    return target.type == "null" or (target.has("const") and target.keyword("const") is None)


def _keyed(branches: tuple[Schema, ...]) -> dict[str, Schema]:
    """Branches by their key, the second of a key counted apart (paired in order)."""
    keyed: dict[str, Schema] = {}
    for index, branch in enumerate(branches):
        key = _branch_key(branch, index)
        count = sum(1 for k in keyed if k.split("#", 1)[0] == key)
        keyed[f"{key}#{count}"] = branch
    return keyed


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
    """A branch as a reader knows it: its component, its title, its types, else its place."""
    if schema.ref_name:
        return f"`{schema.ref_name}`"
    if schema.title:
        return f"`{schema.title}`"
    types = _types(_Node(schema))
    return _names(types) if types else f"#{schema.pointer.rsplit('/', 1)[-1]}"


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
