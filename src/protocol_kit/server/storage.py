"""SQLite storage for conversations: one row per conversation, scoped by account."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import queue
import secrets
import sqlite3
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from .subscriptions import EventSubscriptions

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
_BOOLEAN_FIELDS = ("is_pinned", "is_muted")
_ID_ALPHABET = string.ascii_letters + string.digits
_SCHEMA_VERSION = 1
# Bounds one transaction, so a flood of writes still commits (and answers) in steady steps.
_MAX_BATCH = 256
_T = TypeVar("_T")

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
CREATE INDEX IF NOT EXISTS conversations_by_flags
    ON conversations (account, is_muted, is_pinned, (archived_at IS NOT NULL), seq);
CREATE INDEX IF NOT EXISTS conversations_by_group_flags
    ON conversations (account, group_id, is_muted, is_pinned, (archived_at IS NOT NULL), seq);
"""
# The list filters, as the flag columns of the `_by_flags` indexes, in their index order.
_FLAG_COLUMNS = (
    ("muted", "is_muted"),
    ("pinned", "is_pinned"),
    ("archived", "(archived_at IS NOT NULL)"),
)
# The webhook outbox: one row per event and endpoint, written in the same transaction as the
# change it reports, so a committed change always has its event and an undone one never does.
# `seq` is the commit order (the deliverer reads the rows by it and sends a subject's rows
# strictly in that order), so the table needs no index of its own.
_OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint     TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    event_type   TEXT    NOT NULL,
    body         BLOB    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_at  REAL    NOT NULL DEFAULT 0
);
"""
_COLUMNS = ", ".join(FIELDS)
_SELECT_SQL = f"SELECT {_COLUMNS} FROM conversations WHERE account = ? AND id = ?"
_INSERT_SQL = f"INSERT INTO conversations (account, {_COLUMNS}) VALUES (?{', ?' * len(FIELDS)})"


class UnknownCursor(Exception):
    """A cursor that does not name one of the account's conversations."""


@dataclass(frozen=True)
class ListQuery:
    limit: int  # no default here: the spec states it, and the request parser fills it in
    muted: bool | None = None
    archived: bool | None = None
    pinned: bool | None = None
    group_id: str | None = None
    starting_after: str | None = None
    ending_before: str | None = None


@dataclass(frozen=True)
class OutboxRow:
    """One pending delivery: an event for one endpoint, and how often it was tried."""

    seq: int
    endpoint: str
    subject: str
    event_id: str
    event_type: str
    body: bytes
    attempts: int
    next_try_at: float


class ConversationStore(EventSubscriptions):
    """Conversations in one SQLite database.

    Reads run on the caller's thread. Writes are awaited: a single writer thread commits every
    write that is waiting at once in one transaction (group commit), so concurrent writes share
    one fsync, and each write's future is settled only after its commit is on disk.
    """

    def __init__(self, path: str = ":memory:") -> None:
        super().__init__()
        self._db = _connect(path)
        self._migrate()
        if path == ":memory:":
            # An in-memory database exists only inside its one connection: share it.
            self._reader, self._read_lock = self._db, threading.Lock()
            self._write_lock = self._read_lock
        else:
            # WAL lets a second connection read the last commit while the writer fsyncs.
            self._reader, self._read_lock = _connect(path), threading.Lock()
            self._write_lock = threading.Lock()
        self._pending: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._outbox_read_up_to = 0  # the last outbox seq handed out by `outbox_next`
        self._writer = threading.Thread(target=self._commit_loop, name="sqlite-writer", daemon=True)
        self._writer.start()

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the connections."""
        self._pending.put(None)
        self._writer.join()
        with self._read_lock:
            if self._reader is not self._db:
                self._reader.close()
        with self._write_lock:
            if self._reader is not self._db:
                # Fold the write-ahead log into the database file, so that file alone holds it all.
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            raise RuntimeError(
                f"database schema version {version} is newer than this server ({_SCHEMA_VERSION})"
            )
        self._db.executescript(_SCHEMA)
        self._db.executescript(_OUTBOX_SCHEMA)
        self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    async def create(
        self, account: str, attributes: Mapping[str, Any], event: str | None = None
    ) -> dict[str, Any]:
        row = new_row(attributes)

        def insert(db: sqlite3.Connection) -> dict[str, Any]:
            while True:
                row["id"] = new_id()
                try:
                    _insert(db, account, row)
                except sqlite3.IntegrityError:
                    continue  # a random id collided with a stored one: draw another
                self._record(db, account, event, row["id"], row)
                return row

        return await self._write(insert)

    async def update(
        self,
        account: str,
        conversation_id: str,
        changes: Mapping[str, Any],
        event: str | None = None,
    ) -> dict[str, Any] | None:
        def update(db: sqlite3.Connection) -> dict[str, Any] | None:
            before = _select(db, account, conversation_id) if event else None
            if changes:
                assignments = ", ".join(f"{name} = ?" for name in changes)
                values = [_to_column(name, value) for name, value in changes.items()]
                # RETURNING: the row as updated, without reading it again.
                found = db.execute(
                    f"UPDATE conversations SET {assignments} WHERE account = ? AND id = ? "
                    f"RETURNING {_COLUMNS}",
                    (*values, account, conversation_id),
                ).fetchall()
                after = _to_conversation(found[0]) if found else None
            else:
                after = _select(db, account, conversation_id)
            if after is not None and before is not None and after != before:
                # Only an update that changed a stored attribute is an event.
                self._record(db, account, event, conversation_id, after)
            return after

        return await self._write(update)

    async def delete(self, account: str, conversation_id: str, event: str | None = None) -> bool:
        def delete(db: sqlite3.Connection) -> bool:
            before = _select(db, account, conversation_id) if event else None
            cursor = db.execute(
                "DELETE FROM conversations WHERE account = ? AND id = ?", (account, conversation_id)
            )
            if cursor.rowcount > 0 and before is not None:
                self._record(db, account, event, conversation_id, before)
            return cursor.rowcount > 0

        return await self._write(delete)

    def _record(
        self,
        db: sqlite3.Connection,
        account: str,
        event: str | None,
        subject: str,
        payload: Mapping[str, Any],
    ) -> None:
        """Put the event in the outbox for each of the account's endpoints, in this transaction."""
        endpoints = self._subscribers(account, event)
        if not endpoints:
            return
        assert event is not None  # no event, no endpoints (above)
        event_id, body = event_body(event, payload)
        db.executemany(
            "INSERT INTO webhook_outbox (endpoint, subject, event_id, event_type, body) "
            "VALUES (?, ?, ?, ?, ?)",
            [(url, subject, event_id, event, body) for url in endpoints],
        )

    def outbox_next(self, limit: int) -> list[OutboxRow]:
        """Up to ``limit`` pending rows this store has not handed out yet, in commit order.

        One deliverer reads a database file (delivery.py holds its lock), so handing a row out
        is all the claim it needs: `seq` is the commit order, and reading on from the last one
        handed out finds each row once.
        """
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT seq, endpoint, subject, event_id, event_type, body, attempts, next_try_at "
                "FROM webhook_outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (self._outbox_read_up_to, limit),
            ).fetchall()
        if rows:
            self._outbox_read_up_to = rows[-1][0]
        return [
            OutboxRow(row[0], row[1], row[2], row[3], row[4], bytes(row[5]), row[6], row[7])
            for row in rows
        ]

    def outbox_keep(self) -> None:
        """Nothing to renew: the rows handed out stay this deliverer's (see `outbox_next`)."""

    def outbox_release(self) -> None:
        """Nothing to hand back: one deliverer sends a database file's outbox."""

    def outbox_settle(self, done: Iterable[int], retries: Iterable[tuple[int, int, float]]) -> None:
        """Remove the rows acknowledged (or given up) and reschedule ``(seq, attempts,
        next_try_at)``, in one transaction that is not synced to disk on its own.

        A crash may lose it, and then the events go out again: the contract delivers at least
        once. Syncing it would cost an fsync per round of deliveries, as many as the writes.
        """
        with self._write_lock:
            # Back to FULL before the lock is released: every acknowledged write stays synced.
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(
                        "DELETE FROM webhook_outbox WHERE seq = ?", [(seq,) for seq in done]
                    )
                    self._db.executemany(
                        "UPDATE webhook_outbox SET attempts = ?, next_try_at = ? WHERE seq = ?",
                        [(attempts, at, seq) for seq, attempts, at in retries],
                    )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            finally:
                self._db.execute("PRAGMA synchronous=FULL")

    def outbox_size(self) -> int:
        with self._read_lock:
            return int(self._reader.execute("SELECT COUNT(*) FROM webhook_outbox").fetchone()[0])

    def load(self, account: str, conversations: Iterable[Mapping[str, Any]]) -> None:
        """Insert conversations with fixed ids (oldest first), skipping ids already stored."""
        with self._write_lock:
            self._db.execute("BEGIN IMMEDIATE")
            for conversation in conversations:
                exists = self._db.execute(
                    "SELECT 1 FROM conversations WHERE id = ?", (conversation["id"],)
                ).fetchone()
                if not exists:
                    _insert(self._db, account, {name: conversation.get(name) for name in FIELDS})
            self._db.execute("COMMIT")

    async def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[_T] = loop.create_future()
        self._pending.put(_Write(work, done, loop))
        # A cancelled wait (the client hung up) cancels only the answer: the write is queued and
        # commits anyway, and `_settle` skips the cancelled future.
        return await done

    def _commit_loop(self) -> None:
        stopping = False
        while not stopping:
            first = self._pending.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    item = self._pending.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[_Write]) -> None:
        outcomes: list[tuple[_Write, Any, BaseException | None]]
        with self._write_lock:
            try:
                try:
                    outcomes = self._run(batch, alone=False)
                except _WriteFailed as failed:
                    if len(batch) == 1:
                        outcomes = [(batch[0], None, failed.__cause__)]
                    else:
                        # Writes rarely fail; when one does, the others are run again, each
                        # write in a savepoint of its own, so the failing one is undone alone.
                        outcomes = self._run(batch, alone=True)
            except Exception as exc:
                outcomes = [(write, None, exc) for write in batch]
        self._committed()
        for write, result, error in outcomes:
            write.loop.call_soon_threadsafe(_settle, write.done, result, error)

    def _run(
        self, batch: list[_Write], alone: bool
    ) -> list[tuple[_Write, Any, BaseException | None]]:
        """Run the batch in one transaction and commit it; without ``alone``, the first failing
        write undoes the whole transaction (raising `_WriteFailed`)."""
        outcomes: list[tuple[_Write, Any, BaseException | None]] = []
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            for write in batch:
                if not alone:
                    try:
                        outcomes.append((write, write.work(db), None))
                    except Exception as exc:
                        raise _WriteFailed from exc
                    continue
                db.execute("SAVEPOINT write")
                try:
                    outcomes.append((write, write.work(db), None))
                    db.execute("RELEASE write")
                except Exception as exc:
                    db.execute("ROLLBACK TO write")
                    db.execute("RELEASE write")
                    outcomes.append((write, None, exc))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return outcomes

    def get(self, account: str, conversation_id: str) -> dict[str, Any] | None:
        with self._read_lock:
            return _select(self._reader, account, conversation_id)

    async def find(self, account: str, conversation_id: str) -> dict[str, Any] | None:
        """`get`, as the API awaits it (a read from SQLite is quicker than a thread hop)."""
        return self.get(account, conversation_id)

    async def page(self, account: str, query: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        """`list`, as the API awaits it."""
        return self.list(account, query)

    def list(self, account: str, query: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        """One page in newest-first order, and whether more lie beyond it in the direction of travel."""
        backwards = query.ending_before is not None
        cursor_id = query.ending_before if backwards else query.starting_after
        with self._read_lock:
            cursor_seq = None
            if cursor_id is not None:
                found = self._reader.execute(CURSOR_SQL, (account, cursor_id)).fetchone()
                if found is None:
                    raise UnknownCursor(cursor_id)
                cursor_seq = found[0]
            sql, params = page_statement(account, query, cursor_seq)
            rows = self._reader.execute(sql, params).fetchall()
        has_more = len(rows) > query.limit
        page = [_to_conversation(row[1:]) for row in rows[: query.limit]]
        if backwards:
            page.reverse()
        return page, has_more

    def count(self) -> int:
        with self._read_lock:
            return int(self._reader.execute("SELECT COUNT(*) FROM conversations").fetchone()[0])


CURSOR_SQL = "SELECT seq FROM conversations WHERE account = ? AND id = ?"


def page_statement(
    account: str, query: ListQuery, cursor_seq: int | None
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of one list page: ``limit + 1`` rows of ``seq`` then FIELDS.

    Every filter combination walks an index whose leading columns are all equalities and whose
    last is ``seq``, so a page costs a B-tree descent plus its rows however rare the matches:
    the flags left open are spelled out value by value, one index range each, merged in ``seq``
    order by a UNION ALL (SQLite merges ordered arms and stops at the LIMIT). ``INDEXED BY``
    makes a plan that cannot use the index an error instead of a silent scan.
    """
    shape, params = page_shape(account, query, cursor_seq)
    return _page_sql(*shape), params


class PageShape(NamedTuple):
    """What a page statement's text depends on: which filters are given (a few dozen shapes)."""

    grouped: bool
    filtered: bool
    arm_count: int
    cursor: str | None  # "after" (starting_after), "before" (ending_before) or None


def page_shape(
    account: str, query: ListQuery, cursor_seq: int | None
) -> tuple[PageShape, tuple[Any, ...]]:
    """The shape of one list page's statement and its parameters, in the order the arms take
    them: per arm the account, the group, the flags' values, the cursor; then ``limit + 1``."""
    backwards = cursor_seq is not None and query.ending_before is not None
    arms = _flag_arms(query)
    params: list[Any] = []
    for flags in arms:
        params.append(account)
        if query.group_id is not None:
            params.append(query.group_id)
        params.extend(flags)
        if cursor_seq is not None:
            params.append(cursor_seq)
    params.append(query.limit + 1)
    cursor = None if cursor_seq is None else "before" if backwards else "after"
    return PageShape(query.group_id is not None, arms != [()], len(arms), cursor), tuple(params)


def _flag_arms(query: ListQuery) -> list[tuple[bool, ...]]:
    """The values of the list's flags (muted, pinned, archived) that one page merges, one index
    range each: a given flag has its one value, an open flag both; ``[()]`` when none is given."""
    wanted = [getattr(query, name) for name, _ in _FLAG_COLUMNS]
    if all(value is None for value in wanted):
        return [()]
    return list(itertools.product(*([v] if v is not None else [False, True] for v in wanted)))


def event_body(event: str, payload: Mapping[str, Any]) -> tuple[str, bytes]:
    """A new event's id and the JSON body its deliveries send."""
    event_id = new_id()
    # Serialised once: every delivery and retry of the event sends these very bytes.
    body = json.dumps(
        {"id": event_id, "type": event, "payload": dict(payload)},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    return event_id, body


@functools.cache
def _page_sql(grouped: bool, filtered: bool, arm_count: int, cursor: str | None) -> str:
    """The text of a page statement; it depends only on which filters are given (a few dozen)."""
    if filtered:
        index = "conversations_by_group_flags" if grouped else "conversations_by_flags"
    else:
        index = "conversations_by_group" if grouped else "conversations_by_account"
    conditions = ["account = ?"]
    if grouped:
        conditions.append("group_id = ?")
    if filtered:
        conditions += [f"{column} = ?" for _, column in _FLAG_COLUMNS]
    if cursor is not None:
        conditions.append("seq > ?" if cursor == "before" else "seq < ?")
    arm = f"SELECT seq, {_COLUMNS} FROM conversations INDEXED BY {index} WHERE {' AND '.join(conditions)}"
    order = "ASC" if cursor == "before" else "DESC"
    return f"{' UNION ALL '.join([arm] * arm_count)} ORDER BY seq {order} LIMIT ?"


def _connect(path: str) -> sqlite3.Connection:
    # check_same_thread off: the writer thread and the event loop each use their own
    # connection, but the in-memory database shares one, under a lock.
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    # FULL: a 201/200/204 is only sent after the commit is on disk.
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=5000")
    return db


def _insert(db: sqlite3.Connection, account: str, row: Mapping[str, Any]) -> None:
    db.execute(_INSERT_SQL, (account, *[_to_column(name, row[name]) for name in FIELDS]))


def _select(db: sqlite3.Connection, account: str, conversation_id: str) -> dict[str, Any] | None:
    found = db.execute(_SELECT_SQL, (account, conversation_id)).fetchone()
    return _to_conversation(found) if found else None


class _WriteFailed(Exception):
    """A write of a batch run without savepoints failed (its error is the cause)."""


@dataclass(frozen=True)
class _Write:
    work: Callable[[sqlite3.Connection], Any]
    done: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def _settle(done: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if done.cancelled():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


def new_row(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """A conversation about to be created: every field, the defaults, then ``attributes``."""
    row: dict[str, Any] = dict.fromkeys(FIELDS)
    row.update(is_pinned=False, is_muted=False, created_at=int(time.time()))
    row.update(attributes)
    return row


def new_id() -> str:
    # One urandom read, not 16 `secrets.choice` calls (a create spent 8% of its time there);
    # bytes past the largest multiple of the alphabet's size are dropped, so every character
    # is equally likely.
    usable = len(_ID_ALPHABET) * (256 // len(_ID_ALPHABET))
    chars: list[str] = []
    while len(chars) < 16:
        chars += [
            _ID_ALPHABET[b % len(_ID_ALPHABET)] for b in secrets.token_bytes(24) if b < usable
        ]
    return "".join(chars[:16])


def _to_column(name: str, value: Any) -> Any:
    if name in _BOOLEAN_FIELDS:
        return int(bool(value))
    return value


def _to_conversation(row: tuple[Any, ...]) -> dict[str, Any]:
    conversation = dict(zip(FIELDS, row, strict=True))
    for name in _BOOLEAN_FIELDS:
        conversation[name] = bool(conversation[name])
    return conversation
