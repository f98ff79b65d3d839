"""Differences a reader can act on: objects by differing field, lists by missing/extra/moved id."""

from __future__ import annotations

import difflib
import json
from typing import Any

_ABSENT = object()


def json_text(value: Any) -> str:
    """JSON notation, whole, on one line (never a Python repr)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def object_difference(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[str, str]:
    """(expected, actual) restricted to the fields that differ, with their full values; fields
    the answer lacks or adds are named as such."""
    missing = [k for k in expected if k not in actual]
    extra = {k: v for k, v in actual.items() if k not in expected}
    changed = [k for k in expected if k in actual and not _same(expected[k], actual[k])]
    wanted = {k: expected[k] for k in changed + missing}
    got: dict[str, Any] = {k: actual[k] for k in changed}
    got.update(extra)
    notes = []
    if missing:
        notes.append("missing: " + ", ".join(missing))
    if extra:
        notes.append("extra: " + ", ".join(extra))
    shown = json_text(got) + (f" ({'; '.join(notes)})" if notes else "")
    same = len(expected) - len(changed) - len(missing)
    others = "the other field matches" if same == 1 else f"the other {same} fields match"
    return json_text(wanted) + f" ({others})", shown


def list_difference(expected: list[str], actual: list[str]) -> tuple[str, str]:
    """(expected, actual) for id lists: both whole, and which ids are missing, extra, or out of
    order (ids present in both that are not in the longest common order)."""
    missing = [i for i in expected if i not in actual]
    extra = [i for i in actual if i not in expected]
    common_expected = [i for i in expected if i in actual]
    common_actual = [i for i in actual if i in expected]
    matcher = difflib.SequenceMatcher(a=common_expected, b=common_actual, autojunk=False)
    in_order = {
        common_actual[block.b + k]
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    }
    moved = [i for i in common_actual if i not in in_order]
    notes = []
    if missing:
        notes.append(f"missing {json_text(missing)}")
    if extra:
        notes.append(f"extra {json_text(extra)}")
    if moved:
        notes.append(
            "out of order "
            + ", ".join(
                f"{json_text(i)} at position {actual.index(i) + 1}, "
                f"expected at {expected.index(i) + 1}"
                for i in moved
            )
        )
    if not notes and len(actual) != len(expected):
        notes.append("repeated ids")
    # What differs comes first: the whole list after it may be long.
    summary = f" — {'; '.join(notes)} — in all" if notes else ""
    return (
        f"{_ids(len(expected))} {json_text(expected)}",
        f"{_ids(len(actual))}{summary} {json_text(actual)}",
    )


def _ids(number: int) -> str:
    return "1 id" if number == 1 else f"{number} ids"


def _same(left: Any, right: Any) -> bool:
    # JSON has one number type, but true is not 1: compare types where Python would blur them.
    return (type(left) is type(right) and left == right) or (
        isinstance(left, int | float)
        and isinstance(right, int | float)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
        and left == right
    )
