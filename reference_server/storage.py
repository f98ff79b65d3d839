"""SQLite storage for conversations: one row per conversation, scoped by account."""

from __future__ import annotations

import secrets
import sqlite3
import string
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FIELDS = (
    "id",
    "contact_id",
    "group_id",
    "pinned_message_id",
    "is_pinned",
    "is_muted",
    "last_active_at",
    "last_opened_at",
    "created_at",
    "archived_at",
)
_BOOLEAN_FIELDS = frozenset({"is_pinned", "is_muted"})
_ID_ALPHABET = string.ascii_letters + string.digits
_SCHEMA_VERSION = 1

# `seq` is the creation order: newest first means `seq DESC`, even within one second.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    account           TEXT    NOT NULL,
    id                TEXT    NOT NULL UNIQUE,
    contact_id        TEXT,
    group_id          TEXT,
    pinned_message_id TEXT,
    is_pinned         INTEGER NOT NULL DEFAULT 0,
    is_muted          INTEGER NOT NULL DEFAULT 0,
    last_active_at    INTEGER,
    last_opened_at    INTEGER,
    created_at        INTEGER NOT NULL,
    archived_at       INTEGER
);
CREATE INDEX IF NOT EXISTS conversations_by_account ON conversations (account, seq);
CREATE INDEX IF NOT EXISTS conversations_by_group ON conversations (account, group_id, seq);
"""
_COLUMNS = ", ".join(FIELDS)


class UnknownCursor(Exception):
    """A cursor that does not name one of the account's conversations."""


@dataclass(frozen=True)
class ListQuery:
    limit: int = 10
    muted: bool | None = None
    archived: bool | None = None
    pinned: bool | None = None
    group_id: str | None = None
    starting_after: str | None = None
    ending_before: str | None = None


class ConversationStore:
    """Conversations in one SQLite database; every public method is one committed transaction."""

    def __init__(self, path: str = ":memory:") -> None:
        # One connection guarded by a lock: the handlers are short, and SQLite serialises
        # writers anyway; check_same_thread is off because uvicorn may call from a threadpool.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a 201/200/204 is only sent after the commit is on disk.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > _SCHEMA_VERSION:
                raise RuntimeError(
                    f"database schema version {version} is newer than this server ({_SCHEMA_VERSION})"
                )
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    def create(self, account: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {name: None for name in FIELDS}
        row.update(is_pinned=False, is_muted=False, created_at=int(time.time()))
        row.update(attributes)
        with self._lock:
            while True:
                row["id"] = _new_id()
                try:
                    self._insert(account, row)
                except sqlite3.IntegrityError:
                    continue  # a random id collided with a stored one: draw another
                return row

    def load(self, account: str, conversations: Iterable[Mapping[str, Any]]) -> None:
        """Insert conversations with fixed ids (oldest first), skipping ids already stored."""
        with self._lock:
            for conversation in conversations:
                exists = self._db.execute(
                    "SELECT 1 FROM conversations WHERE id = ?", (conversation["id"],)
                ).fetchone()
                if not exists:
                    self._insert(account, {name: conversation.get(name) for name in FIELDS})

    def get(self, account: str, conversation_id: str) -> dict[str, Any] | None:
        with self._lock:
            cursor = self._db.execute(
                f"SELECT {_COLUMNS} FROM conversations WHERE account = ? AND id = ?",
                (account, conversation_id),
            )
            found = cursor.fetchone()
        return _to_conversation(found) if found else None

    def update(
        self, account: str, conversation_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        with self._lock:
            if changes:
                assignments = ", ".join(f"{name} = ?" for name in changes)
                values = [_to_column(name, value) for name, value in changes.items()]
                self._db.execute(
                    f"UPDATE conversations SET {assignments} WHERE account = ? AND id = ?",
                    (*values, account, conversation_id),
                )
            found = self._db.execute(
                f"SELECT {_COLUMNS} FROM conversations WHERE account = ? AND id = ?",
                (account, conversation_id),
            ).fetchone()
        return _to_conversation(found) if found else None

    def delete(self, account: str, conversation_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM conversations WHERE account = ? AND id = ?", (account, conversation_id)
            )
        return cursor.rowcount > 0

    def list(self, account: str, query: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        """One page in newest-first order, and whether more lie beyond it in the direction of travel."""
        conditions = ["account = ?"]
        params: list[Any] = [account]
        for column, wanted in (("is_muted", query.muted), ("is_pinned", query.pinned)):
            if wanted is not None:
                conditions.append(f"{column} = ?")
                params.append(int(wanted))
        if query.archived is not None:
            conditions.append("archived_at IS NOT NULL" if query.archived else "archived_at IS NULL")
        if query.group_id is not None:
            conditions.append("group_id = ?")
            params.append(query.group_id)
        backwards = query.ending_before is not None
        cursor_id = query.ending_before if backwards else query.starting_after
        with self._lock:
            if cursor_id is not None:
                found = self._db.execute(
                    "SELECT seq FROM conversations WHERE account = ? AND id = ?",
                    (account, cursor_id),
                ).fetchone()
                if found is None:
                    raise UnknownCursor(cursor_id)
                conditions.append("seq > ?" if backwards else "seq < ?")
                params.append(found[0])
            order = "ASC" if backwards else "DESC"
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM conversations WHERE {' AND '.join(conditions)} "
                f"ORDER BY seq {order} LIMIT ?",
                (*params, query.limit + 1),
            ).fetchall()
        has_more = len(rows) > query.limit
        page = [_to_conversation(row) for row in rows[: query.limit]]
        if backwards:
            page.reverse()
        return page, has_more

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0])

    def _insert(self, account: str, row: Mapping[str, Any]) -> None:
        placeholders = ", ".join("?" for _ in FIELDS)
        self._db.execute(
            f"INSERT INTO conversations (account, {_COLUMNS}) VALUES (?, {placeholders})",
            (account, *(_to_column(name, row[name]) for name in FIELDS)),
        )


def _new_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def _to_column(name: str, value: Any) -> Any:
    if name in _BOOLEAN_FIELDS:
        return int(bool(value))
    return value


def _to_conversation(row: tuple[Any, ...]) -> dict[str, Any]:
    conversation = dict(zip(FIELDS, row, strict=True))
    for name in _BOOLEAN_FIELDS:
        conversation[name] = bool(conversation[name])
    return conversation
