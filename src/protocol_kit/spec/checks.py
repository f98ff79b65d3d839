"""Yes-or-no checks of schemas written with common keywords, judged exactly as jsonschema judges them.

A compiled Draft 2020-12 validator dispatches keyword by keyword and builds an error object for
each failed branch of a ``oneOf``; the server asks for a verdict on every path id, query
parameter and body, and needs the errors only when the verdict is no. A schema written with
the keywords below (after ``$ref``s are inlined) is compiled into plain predicates instead.
Any other keyword leaves the whole schema to its validator.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]
# Compiles one keyword's value (given the whole schema) to a predicate, or None if it cannot.
_Compiler = Callable[[Any, Mapping[str, Any]], Check | None]


def _is_integer(value: Any) -> bool:
    # Draft 2020-12: 1.0 is an integer; bool is not, though Python's bool is an int.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


_TYPES: dict[str, Check] = {
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
}
# Keywords that only annotate (the validators are compiled without a format checker), besides
# the `x-` extensions, which JSON Schema ignores too.
_ANNOTATIONS = frozenset(
    {"description", "title", "examples", "example", "default", "format", "deprecated", "$comment"}
)


def compile_check(schema: Any) -> Check | None:
    """A predicate equal to the validator's ``is_valid`` for ``schema``, or None if the schema
    has a keyword (or a keyword value) this module does not read."""
    if isinstance(schema, bool):
        return lambda value: schema
    if not isinstance(schema, Mapping):
        return None
    parts: list[Check] = []
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS or str(keyword).startswith("x-"):
            continue
        compiler = _KEYWORDS.get(keyword)
        part = compiler(argument, schema) if compiler is not None else None
        if part is None:
            return None
        parts.append(part)
    return _all_of(parts)


def _all_of(parts: list[Check]) -> Check:
    if len(parts) == 1:
        return parts[0]

    return lambda value: all(part(value) for part in parts)


def _subschemas(argument: Any) -> list[Check] | None:
    if not isinstance(argument, list) or not argument:
        return None
    checks = [compile_check(sub) for sub in argument]
    return None if any(c is None for c in checks) else [c for c in checks if c is not None]


def _type(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    names = [argument] if isinstance(argument, str) else argument
    if not isinstance(names, list) or not names or not all(n in _TYPES for n in names):
        return None
    types = [_TYPES[name] for name in names]
    return types[0] if len(types) == 1 else lambda value: any(t(value) for t in types)


def _pattern(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, str):
        return None
    search = re.compile(argument).search  # jsonschema: `re.search(pattern, instance)`
    return lambda value: not isinstance(value, str) or search(value) is not None


def _bound(holds: Callable[[Any, Any], bool], applies: Check) -> _Compiler:
    def compile_bound(argument: Any, schema: Mapping[str, Any]) -> Check | None:
        if not _is_number(argument):
            return None
        return lambda value: not applies(value) or holds(value, argument)

    return compile_bound


def _const(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    # jsonschema's `equal` tells True from 1 and None from everything else; for strings it is ==.
    if argument is None or isinstance(argument, bool):
        return lambda value: value is argument
    if isinstance(argument, str):
        return lambda value: isinstance(value, str) and value == argument
    return None


def _enum(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, list) or not all(isinstance(a, str) for a in argument):
        return None
    allowed = frozenset(argument)
    return lambda value: isinstance(value, str) and value in allowed


def _properties(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, Mapping):
        return None
    checks = {name: compile_check(sub) for name, sub in argument.items()}
    if any(c is None for c in checks.values()):
        return None
    pairs = [(name, c) for name, c in checks.items() if c is not None]

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name, check_property in pairs:
            if name in value and not check_property(value[name]):
                return False
        return True

    return check


def _required(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, list) or not all(isinstance(a, str) for a in argument):
        return None
    return lambda value: not isinstance(value, dict) or all(name in value for name in argument)


def _additional_properties(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if argument is True:
        return lambda value: True
    # Only `false`, and only beside plain `properties` (no patternProperties: unread, so the
    # schema already falls back).
    if argument is not False or not isinstance(schema.get("properties", {}), Mapping):
        return None
    allowed = frozenset(schema.get("properties", {}))
    return lambda value: not isinstance(value, dict) or allowed.issuperset(value)


def _all_of_keyword(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    checks = _subschemas(argument)
    return _all_of(checks) if checks is not None else None


def _any_of(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    checks = _subschemas(argument)
    if checks is None:
        return None
    return lambda value: any(check(value) for check in checks)


def _one_of(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    checks = _subschemas(argument)
    if checks is None:
        return None
    return lambda value: sum(1 for check in checks if check(value)) == 1


_KEYWORDS: dict[str, _Compiler] = {
    "type": _type,
    "pattern": _pattern,
    # Each bound fails exactly where jsonschema's does (`<`, `>`), so NaN passes as it does there.
    "minLength": _bound(lambda v, n: not len(v) < n, _TYPES["string"]),
    "maxLength": _bound(lambda v, n: not len(v) > n, _TYPES["string"]),
    "minimum": _bound(lambda v, n: not v < n, _is_number),
    "maximum": _bound(lambda v, n: not v > n, _is_number),
    "const": _const,
    "enum": _enum,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional_properties,
    "allOf": _all_of_keyword,
    "anyOf": _any_of,
    "oneOf": _one_of,
}
