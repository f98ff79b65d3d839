"""schemathesis hooks for the property-based phase: touch only conversations the run created.

schemathesis reuses ids it sees in responses (a list shows the account's existing conversations)
as path parameters of later requests, and would update or delete data the run did not create.
Such an id is swapped for the conversation the run created last (what a create-then-use chain
means anyway, so checks like ensure_resource_availability still hold), or, before any create,
for a well-formed id that names nothing. Loaded through SCHEMATHESIS_HOOKS by
protocol_kit.conformance.fuzzing; the id pattern comes from the spec.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any

import schemathesis

ID_PATTERN_ENV = "PROTOCOL_KIT_ID_PATTERN"
# A file of the calls as they go: "call" before each, "done" after its answer, "created ID"
# for each conversation made. A run stopped midway knows what to delete, and can wait for the
# call under way to be answered before it stops schemathesis.
CALL_LOG_ENV = "PROTOCOL_KIT_CALL_LOG"
# When this file exists, no new call starts: the run is stopping.
STOP_FILE_ENV = "PROTOCOL_KIT_STOP_FILE"
STOPPING = "the verification is stopping: no new request"


def _log(line: str) -> None:
    log = os.environ.get(CALL_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as calls:
            calls.write(line + "\n")


_ID = re.compile(os.environ.get(ID_PATTERN_ENV, r"^[A-Za-z0-9]{16}$"))
_created: dict[str, None] = {}  # insertion-ordered: the last one is the newest
_foreign: set[str] = set()  # ids seen in answers that the run did not create


def _stand_in(value: str) -> str:
    """A well-formed id derived from ``value`` that names nothing, deterministically."""
    digest = hashlib.sha256(f"protocol-kit:{value}".encode()).hexdigest()
    return (digest * 2)[: len(value)]


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    stop = os.environ.get(STOP_FILE_ENV)
    if stop and os.path.exists(stop):
        raise RuntimeError(STOPPING)
    _log("call")
    parameters = case.path_parameters or {}
    for name, value in list(parameters.items()):
        if isinstance(value, str) and value in _foreign:
            parameters[name] = next(reversed(_created)) if _created else _stand_in(value)
    # In form bodies the contract reads decimal digits as a timestamp, so an id made only of
    # digits (schemathesis likes 0000000000000000) means two things: send one with a letter.
    if "x-www-form-urlencoded" in str(case.media_type or "") and isinstance(case.body, dict):
        for name, value in list(case.body.items()):
            if isinstance(value, str) and value.isdigit() and _ID.search(value):
                case.body[name] = "a" + value[1:]


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    _log("done")
    if not 200 <= response.status_code < 300:
        return
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return
    if not isinstance(body, dict):
        return
    if case.method.upper() == "POST" and isinstance(body.get("id"), str):
        _created[body["id"]] = None
        _log(f"created {body['id']}")
    data = body.get("data")
    items = data if isinstance(data, list) else [body]
    for item in items:
        seen = item.get("id") if isinstance(item, dict) else None
        if isinstance(seen, str) and _ID.search(seen) and seen not in _created:
            _foreign.add(seen)
