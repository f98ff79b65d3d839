"""Differences: objects by differing field, id lists by missing, extra and moved ids."""

from __future__ import annotations

from protocol_kit.conformance.diffs import json_text, list_difference, object_difference


def test_objects_show_only_the_differing_fields_with_full_values() -> None:
    long = "x" * 500
    expected = {"id": "a", "note": long, "is_pinned": True, "archived_at": None, "gone": 1}
    actual = {"id": "a", "note": long, "is_pinned": 1, "archived_at": None, "new": False}
    wanted, got = object_difference(expected, actual)
    assert wanted == '{"is_pinned": true, "gone": 1} (the other 3 fields match)'
    assert got == '{"is_pinned": 1, "new": false} (missing: gone; extra: new)'


def test_id_lists_name_missing_extra_and_moved_ids() -> None:
    wanted, got = list_difference(["a", "b", "c", "d"], ["b", "a", "d", "x"])
    assert wanted == '4 ids ["a", "b", "c", "d"]'
    assert 'missing ["c"]' in got and 'extra ["x"]' in got
    assert 'out of order "b" at position 1, expected at 2' in got
    assert "repeated ids" in list_difference(["a"], ["a", "a"])[1]


def test_json_notation_not_python() -> None:
    assert json_text({"is_pinned": True, "v": None}) == '{"is_pinned": true, "v": null}'
