"""Yes-or-no checks of flat scalar schemas (an id, a flag, a bounded integer), judged as jsonschema judges them.

A compiled Draft 2020-12 validator spends a few microseconds dispatching keyword by keyword even
on a string with a pattern; the server asks that of every path id and query parameter. A schema
written only with the keywords below is checked by one plain predicate instead. Any other
keyword (a ``$ref``, a combinator, ``enum``…) leaves the schema to its validator.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]


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
}
# Keywords that only annotate: the validators are compiled without a format checker.
_ANNOTATIONS = frozenset(
    {"description", "title", "examples", "example", "default", "format", "deprecated", "$comment"}
)
_ASSERTIONS = frozenset({"type", "pattern", "minLength", "maxLength", "minimum", "maximum"})


def compile_check(schema: Any) -> Check | None:
    """A predicate equal to the validator's ``is_valid`` for ``schema``, or None if it has
    keywords this module does not read (or a value it does not expect)."""
    if not isinstance(schema, Mapping) or not set(schema) <= _ANNOTATIONS | _ASSERTIONS:
        return None
    declared = schema.get("type")
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or not names or not all(name in _TYPES for name in names):
        return None
    types = [_TYPES[name] for name in names]
    pattern = schema.get("pattern")
    min_length, max_length = schema.get("minLength"), schema.get("maxLength")
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    bounds = (min_length, max_length, minimum, maximum)
    if not all(b is None or _is_number(b) for b in bounds):
        return None
    if pattern is not None and not isinstance(pattern, str):
        return None
    search = re.compile(pattern).search if pattern is not None else None

    def check(value: Any) -> bool:
        if not any(is_type(value) for is_type in types):
            return False
        if isinstance(value, str):  # the string keywords apply to strings only
            if min_length is not None and len(value) < min_length:
                return False
            if max_length is not None and len(value) > max_length:
                return False
            if search is not None and not search(value):
                return False
        elif _is_number(value):  # the bounds apply to numbers only
            if minimum is not None and value < minimum:
                return False
            if maximum is not None and value > maximum:
                return False
        return True

    return check
