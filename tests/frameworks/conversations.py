"""The conversations domain the Python framework fixtures share: an in-memory store, the
attribute rules of creates and updates, and the pages of the list."""

from __future__ import annotations

import itertools
import re
import secrets
import string
import threading
import time
from collections.abc import Callable
from typing import Any

ID = re.compile(r"[A-Za-z0-9]{16}")
MAX_TIMESTAMP = 2**53 - 1
MAX_BODY_BYTES = 1024 * 1024
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
UPDATABLE = ("pinned_message_id", "is_pinned", "is_muted", "archived_at")
TARGETS = ("contact_id", "group_id")
_ALPHANUMERIC = string.ascii_letters + string.digits
# Spellings of booleans and integers in query strings and forms, beyond true/false and digits.
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
_DECIMAL = re.compile(r"\+?[0-9]+")

Event = Callable[[str, str, dict[str, Any]], None]  # (account, event type, conversation)


class Invalid(Exception):
    """A request the contract refuses with 400; the message names what is at fault."""


def new_id() -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(16))


def boolean(text: str, name: str) -> bool:
    """A boolean written in a query string or a form."""
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise Invalid(f"`{name}` must be true or false, not {text!r}.")


def integer(text: str, name: str, low: int, high: int) -> int:
    """A decimal integer written in a query string or a form, within bounds."""
    if not _DECIMAL.fullmatch(text):
        raise Invalid(f"`{name}` must be a decimal integer, not {text!r}.")
    value = int(text)
    if not low <= value <= high:
        raise Invalid(f"`{name}` must be between {low} and {high}, not {value}.")
    return value


def is_id(value: Any) -> bool:
    return isinstance(value, str) and ID.fullmatch(value) is not None


def create_attributes(data: dict[str, Any], form: bool) -> dict[str, Any]:
    """The targets of a create (JSON or form values), exactly one of them given."""
    unknown = [name for name in data if name not in TARGETS]
    if unknown:
        raise Invalid(f"Unknown attribute `{unknown[0]}`.")
    given = {}
    for name in TARGETS:
        value = data.get(name)
        if form and value in ("", "null"):
            value = None
        if value is None:
            continue
        if not is_id(value):
            raise Invalid(f"`{name}` must be 16 letters and digits.")
        given[name] = value
    if len(given) != 1:
        raise Invalid("Give exactly one of `contact_id` and `group_id`.")
    return given


def update_attributes(data: dict[str, Any], form: bool) -> dict[str, Any]:
    """The changes of an update (JSON or form values), every one valid."""
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name not in UPDATABLE:
            raise Invalid(f"`{name}` cannot be updated.")
        changes[name] = _form_value(name, value) if form else _json_value(name, value)
    return changes


def _json_value(name: str, value: Any) -> Any:
    if name in ("is_pinned", "is_muted"):
        if not isinstance(value, bool):
            raise Invalid(f"`{name}` must be a boolean.")
        return value
    if value is None:
        return None
    if name == "pinned_message_id":
        if not is_id(value):
            raise Invalid(f"`{name}` must be 16 letters and digits or null.")
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIMESTAMP:
        raise Invalid(f"`{name}` must be an integer timestamp from 0 to {MAX_TIMESTAMP} or null.")
    return value


def _form_value(name: str, value: str) -> Any:
    if name in ("is_pinned", "is_muted"):
        return boolean(value, name)
    if value in ("", "null"):
        return None
    if name == "pinned_message_id":
        if not is_id(value):
            raise Invalid(f"`{name}` must be 16 letters and digits or null.")
        return value
    return integer(value, name, 0, MAX_TIMESTAMP)


class Store:
    """Each account's conversations, in creation order; every change reported to ``on_event``."""

    def __init__(self, on_event: Event) -> None:
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._on_event = on_event
        self._sequence = itertools.count()

    def create(self, account: str, targets: dict[str, Any]) -> dict[str, Any]:
        row = {
            "id": new_id(),
            "contact_id": targets.get("contact_id"),
            "group_id": targets.get("group_id"),
            "pinned_message_id": None,
            "is_pinned": False,
            "is_muted": False,
            "last_active_at": None,
            "last_opened_at": None,
            "created_at": int(time.time()),
            "archived_at": None,
        }
        with self._lock:
            self._rows.setdefault(account, []).append(row)
            self._on_event(account, "conversation.created", dict(row))
        return dict(row)

    def get(self, account: str, conversation_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._find(account, conversation_id)
            return dict(row) if row else None

    def update(
        self, account: str, conversation_id: str, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        with self._lock:
            row = self._find(account, conversation_id)
            if row is None:
                return None
            changed = any(row[name] != value for name, value in changes.items())
            row.update(changes)
            if changed:
                self._on_event(account, "conversation.updated", dict(row))
            return dict(row)

    def delete(self, account: str, conversation_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._find(account, conversation_id)
            if row is None:
                return None
            self._rows[account].remove(row)
            self._on_event(account, "conversation.deleted", dict(row))
            return dict(row)

    def page(
        self,
        account: str,
        limit: int,
        filters: dict[str, bool],
        group: str | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        """One page of the list: newest first, after or before a cursor, filtered."""
        if after is not None and before is not None:
            raise Invalid("Give `starting_after` or `ending_before`, not both.")
        with self._lock:
            newest_first = [dict(row) for row in reversed(self._rows.get(account, []))]
        ids = [row["id"] for row in newest_first]
        cursor = after if after is not None else before
        if cursor is not None and cursor not in ids:
            name = "starting_after" if after is not None else "ending_before"
            raise Invalid(f"`{name}` is not one of your conversations.")
        if after is not None:
            candidates = newest_first[ids.index(after) + 1 :]
        elif before is not None:
            candidates = newest_first[: ids.index(before)][::-1]  # nearest the cursor first
        else:
            candidates = newest_first
        matching = [
            row
            for row in candidates
            if (group is None or row["group_id"] == group)
            and all(FILTERS[name](row) == value for name, value in filters.items())
        ]
        data = matching[:limit]
        if before is not None:
            data.reverse()
        return {"has_more": len(matching) > limit, "data": data}

    def _find(self, account: str, conversation_id: str) -> dict[str, Any] | None:
        return next((r for r in self._rows.get(account, []) if r["id"] == conversation_id), None)


FILTERS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "muted": lambda row: bool(row["is_muted"]),
    "pinned": lambda row: bool(row["is_pinned"]),
    "archived": lambda row: row["archived_at"] is not None,
}
