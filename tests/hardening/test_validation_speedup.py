"""The request validators compiled with inlined $refs, and the plain checks of flat schemas (speed-ups), judge exactly as the spec's own validators."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from protocol_kit.server.errors import ApiError
from protocol_kit.server.validation import OperationRequest
from protocol_kit.spec import Spec
from protocol_kit.spec.checks import compile_check

_SPEC = Spec.load()
_POINTERS = sorted(
    {f"{p.pointer}/schema" for op in _SPEC.operations() for p in op.parameters}
    | {op.body_schema_pointer(m) for op in _SPEC.operations() for m in op.body_media_types}
)
# fmt: off
_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 10, 100, 101, 1.0, 1.5, 2**53, 2**53 - 1, "", "true", "false",
    "null", "10", "-1", "101", "xgQQXg3hrtjh7AvZ", "xgQQXg3hrtjh7AvZZ", "xgQQXg3hrtjh7Av!",
    "ÄÖÜäöüßÄÖÜäöüßÄÖ", [], {}, {"contact_id": "WAz8eIbvDR60rouK"}, {"group_id": "WAz8eIbvDR60rouK"},
    {"contact_id": "WAz8eIbvDR60rouK", "group_id": "WAz8eIbvDR60rouK"}, {"contact_id": None},
    {"contact_id": None, "group_id": "WAz8eIbvDR60rouK"}, {"is_muted": "true"}, {"is_muted": True},
    {"archived_at": -1}, {"archived_at": 1.0}, {"archived_at": None}, {"pinned_message_id": None},
    {"pinned_message_id": "short"}, {"id": "xgQQXg3hrtjh7AvZ"}, {"is_pinned": 1}, {"x": 1},
    # For the checks of flat schemas: Python's `$` also matches before a final newline (so does
    # jsonschema's), Unicode digits, bounds at and past the edge, floats, huge integers.
    "xgQQXg3hrtjh7AvZ\n", "\nxgQQXg3hrtjh7AvZ", "１２３４５６７８９０１２３４５６", 0.5, 100.0, 100.5, -0.0,
    99.99999999999999, 2**64, -(2**64), float("inf"), float("-inf"), float("nan"), [1], {"a": 1},
    # For the checks of bodies: one-of branches, explicit nulls, wrong types, form strings.
    {"contact_id": "WAz8eIbvDR60rouK", "group_id": None}, {"group_id": "8Kw2bQqN1mTz7XcV", "contact_id": None},
    {"contact_id": None, "group_id": None}, {"contact_id": True}, {"group_id": 1}, {"contact_id": ""},
    {"contact_id": "WAz8eIbvDR60rouK", "group_id": ""}, {"contact_id": "WAz8eIbvDR60rouK", "group_id": "null"},
    {"contact_id": "", "group_id": "8Kw2bQqN1mTz7XcV"}, {"is_muted": 1}, {"is_muted": None}, {"is_pinned": "true"},
    {"is_pinned": "false", "is_muted": "yes"}, {"archived_at": True}, {"archived_at": 2**53}, {"archived_at": 2**53 - 1},
    {"archived_at": "0007"}, {"archived_at": "9007199254740991"}, {"archived_at": "9007199254740992"},
    {"archived_at": ""}, {"archived_at": "null"}, {"pinned_message_id": ""}, {"pinned_message_id": "null"},
    {"pinned_message_id": "xgQQXg3hrtjh7AvZ", "is_pinned": True, "is_muted": False, "archived_at": None},
    {"is_muted": True, "x": None}, {"archived_at": float("nan")}, {1: 2},
]
# fmt: on


def _about(error: Any) -> tuple[str, str, str]:
    return str(error.validator), repr(list(error.absolute_path)), repr(error.instance)


@pytest.mark.parametrize("pointer", _POINTERS)
def test_inlined_validator_agrees_with_the_spec(pointer: str) -> None:
    fast, reference = _SPEC.document.fast_validator(pointer), _SPEC.validator(pointer)
    assert fast is not reference, "not inlined: the speed-up does not apply to this schema"
    assert isinstance(fast, Draft202012Validator)
    for value in _VALUES:
        assert fast.is_valid(value) == reference.is_valid(value), value
        # jsonschema's own oneOf/anyOf messages print the subschemas (inlined vs `$ref`), so
        # compare what each error is about here; the messages users see are compared below.
        fast_errors = sorted(_about(e) for e in fast.iter_errors(value))
        assert fast_errors == sorted(_about(e) for e in reference.iter_errors(value)), value


@pytest.mark.parametrize("pointer", _POINTERS)
def test_check_agrees_with_the_spec(pointer: str) -> None:
    check, reference = _SPEC.document.check(pointer), _SPEC.validator(pointer)
    for value in _VALUES:
        assert check(value) == reference.is_valid(value), value


def test_what_every_request_checks_gets_a_compiled_check() -> None:
    """Ids, flags, the limit and the bodies must not fall back to the validator."""
    for pointer in _POINTERS:
        assert compile_check(_SPEC.document.fast_validator(pointer).schema), pointer
    assert compile_check({"type": "string", "uniqueItems": True}) is None  # unread: fall back
    assert compile_check({"enum": [1, "a"]}) is None  # only strings are read in an enum


def _outcome(method: Any, *args: Any) -> Any:
    try:
        return method(*args)
    except ApiError as exc:
        return exc.status, exc.message


@pytest.mark.parametrize("operation", list(_SPEC.operations()), ids=lambda op: op.operation_id)
def test_requests_get_the_same_answers_as_with_the_specs_validators(operation: Any) -> None:
    fast = OperationRequest(_SPEC, operation)
    slow = OperationRequest(_SPEC, operation)
    slow._validators = {pointer: _SPEC.validator(pointer) for pointer in fast._validators}
    slow._checks = {pointer: validator.is_valid for pointer, validator in slow._validators.items()}
    for value in _VALUES:
        if isinstance(value, str):
            assert fast.path_is_valid({"id": value}) == slow.path_is_valid({"id": value})
            for name in ("limit", "muted", "group_id", "starting_after"):
                pairs = [(name, value)]
                assert _outcome(fast.parse_query, pairs) == _outcome(slow.parse_query, pairs)
        if operation.request_body is not None:
            raw = json.dumps(value).encode()
            assert _outcome(fast.parse_body, "application/json", raw) == _outcome(
                slow.parse_body, "application/json", raw
            ), value
