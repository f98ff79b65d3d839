"""PostgreSQL storage for conversations: one database shared by any number of server replicas."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

from .storage import (
    FIELDS,
    ListQuery,
    OutboxRow,
    UnknownCursor,
    event_body,
    new_id,
    new_row,
    page_shape,
)
from .store import ClaimsLost, StorageUnavailable
from .subscriptions import EventSubscriptions
from .webhooks import RECEIVER_TIMEOUT

_T = TypeVar("_T")
_COLUMNS = ", ".join(FIELDS)
# pg_advisory_xact_lock keys: one for migrating the schema, one for claiming outbox rows.
_MIGRATION_LOCK = 7_305_190_001
_CLAIM_LOCK = 7_305_190_002
# A replica's claim on outbox rows lasts LEASE seconds and is renewed every RENEW seconds. It
# launches no delivery once its last renewal is older than LEASE - MARGIN, and a delivery
# launched before that ends within the receiver's timeout, so two replicas never send one row
# at once (a dead replica's rows go to another after LEASE).
LEASE = 12.0
_RENEW = 2.0
_MARGIN = RECEIVER_TIMEOUT + 1.0
_WAIT = 3.0  # seconds a request waits for a connection before it is answered 503
_POOL_SIZE = 16
_UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)
# psycopg prepares a statement from its fifth run on a connection. Each is planned once, for
# any parameters: every statement's best plan is the same index walk whatever the account or
# flags, and on a large table PostgreSQL's default would plan a list page again on every run
# (at 1M conversations the planning took three times as long as the walk).
PLAN_CACHE_MODE = "force_generic_plan"

# Each migration runs once, in order, in one transaction; the applied versions are recorded in
# `protocol_kit_schema`. `seq` is the creation order, as in SQLite: newest first is `seq DESC`.
# No index leads with `seq`: one would tempt the planner to walk every account's rows newest
# first, filtering, where the indexes below find an account's matches directly.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE conversations (
            seq               bigint  GENERATED ALWAYS AS IDENTITY,
            account           text    NOT NULL,
            id                text    PRIMARY KEY,
            contact_id        text,
            group_id          text,
            pinned_message_id text,
            is_pinned         boolean NOT NULL DEFAULT false,
            is_muted          boolean NOT NULL DEFAULT false,
            last_active_at    bigint,
            last_opened_at    bigint,
            created_at        bigint  NOT NULL,
            archived_at       bigint,
            is_archived       boolean GENERATED ALWAYS AS (archived_at IS NOT NULL) STORED
        )""",
        "CREATE INDEX conversations_by_account ON conversations (account, seq)",
        "CREATE INDEX conversations_by_group ON conversations (account, group_id, seq)",
        """CREATE INDEX conversations_by_flags
            ON conversations (account, is_muted, is_pinned, is_archived, seq)""",
        """CREATE INDEX conversations_by_group_flags
            ON conversations (account, group_id, is_muted, is_pinned, is_archived, seq)""",
        # One row per event and endpoint, written in the transaction of the change it reports.
        # A replica claims rows (claimed_by, claimed_until) before sending them.
        """CREATE TABLE webhook_outbox (
            seq           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            endpoint      text    NOT NULL,
            subject       text    NOT NULL,
            event_id      text    NOT NULL,
            event_type    text    NOT NULL,
            body          bytea   NOT NULL,
            attempts      integer NOT NULL DEFAULT 0,
            next_try_at   double precision NOT NULL DEFAULT 0,
            claimed_by    text,
            claimed_until timestamptz NOT NULL DEFAULT '-infinity'
        )""",
        "CREATE INDEX webhook_outbox_by_subject ON webhook_outbox (endpoint, subject, seq)",
    ),
)
_SELECT_SQL = f"SELECT {_COLUMNS} FROM conversations WHERE account = %s AND id = %s"
_INSERT_SQL = (
    f"INSERT INTO conversations (account, {_COLUMNS}) VALUES (%s{', %s' * len(FIELDS)}) "
    "ON CONFLICT (id) DO NOTHING"
)
CURSOR_SQL = "SELECT seq FROM conversations WHERE account = %s AND id = %s"
_OUTBOX_INSERT_SQL = (
    "INSERT INTO webhook_outbox (endpoint, subject, event_id, event_type, body) "
    "VALUES (%s, %s, %s, %s, %s)"
)
# Every replica LISTENs on one channel, which a replica stopping NOTIFYs as it hands its rows
# back. A write does not NOTIFY: PostgreSQL commits notifying transactions one at a time, which
# would cost the writes their shared flush, and the writing replica's own deliverer is woken
# directly (a subject another replica holds is read again by that one after it settles).
_LISTEN_SQL = "LISTEN protocol_kit_outbox"
_NOTIFY_SQL = "NOTIFY protocol_kit_outbox"
_LISTEN_TURN = 1.0  # seconds between the listener's looks at whether the store is closing
# The oldest rows nobody holds, skipping a subject while another replica holds an earlier row
# of it: its events go out one at a time, in order, whichever replica sends them. Claims are
# serialised by the transaction's advisory lock, so two claims never both pass the NOT EXISTS
# on one subject; FOR UPDATE SKIP LOCKED passes over rows a replica is settling.
_CLAIM_SQL = """
WITH claimable AS (
    SELECT o.seq FROM webhook_outbox o
    WHERE o.claimed_until < now()
      AND NOT EXISTS (
          SELECT 1 FROM webhook_outbox p
          WHERE p.endpoint = o.endpoint AND p.subject = o.subject AND p.seq < o.seq
            AND p.claimed_until >= now() AND p.claimed_by <> %(me)s)
    ORDER BY o.seq
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_outbox w
SET claimed_by = %(me)s, claimed_until = now() + make_interval(secs => %(lease)s)
FROM claimable WHERE w.seq = claimable.seq
RETURNING w.seq, w.endpoint, w.subject, w.event_id, w.event_type, w.body, w.attempts,
          w.next_try_at
"""


class PostgresStore(EventSubscriptions):
    """Conversations in a PostgreSQL database, which several server processes may share.

    The API's reads and writes run on an asyncio connection pool, each write in a transaction
    of its own (PostgreSQL commits concurrent transactions together). The webhook deliverer's
    outbox work runs on a small pool of blocking connections, from its own thread. When the
    database cannot be reached, calls raise `StorageUnavailable`, and the pools reconnect
    by themselves once it is back.
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        try:
            _migrate(url)
        except psycopg.Error as exc:
            # libpq's messages run over several lines; the command line prints one.
            raise ConnectionError(f"PostgreSQL database: {' '.join(str(exc).split())}") from exc
        self._pool: AsyncConnectionPool | None = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        self._opening = asyncio.Lock()
        self._outbox = ConnectionPool(
            url, min_size=1, max_size=2, timeout=_WAIT, kwargs=_connection_options(), open=True
        )
        self._me = _replica_name()
        self._renewed_at = 0.0  # monotonic start of the last successful claim or renewal
        self._holding = False
        self._claim_lock = threading.Lock()
        self._closing = threading.Event()
        self._listener: threading.Thread | None = None

    def close(self) -> None:
        """Stop listening; close both pools (the asyncio one only while its loop still runs)."""
        self._closing.set()
        if self._listener is not None:
            self._listener.join(timeout=_LISTEN_TURN + 5)
        self._outbox.close()
        pool, loop = self._pool, self._pool_loop
        if pool is not None and loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(pool.close(), loop).result(timeout=10)

    async def close_pool(self) -> None:
        """Close the asyncio pool from inside the event loop that opened it (an embedding
        caller's loop; a server's loop ends with the process)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def subscribe(
        self, endpoints: Mapping[str, tuple[str, ...]], on_event: Callable[[], None]
    ) -> None:
        """As every store does; and with endpoints, also call ``on_event`` when another
        replica hands its rows back (the deliverer need not wait for its next idle look)."""
        super().subscribe(endpoints, on_event)
        if endpoints and self._listener is None:
            self._listener = threading.Thread(
                target=self._listen, name="outbox-listener", daemon=True
            )
            self._listener.start()

    def _listen(self) -> None:
        """LISTEN for other replicas' hand-backs, on a connection of its own, until ``close``.

        While the connection is away, nothing is missed for long: the deliverer still looks at
        the outbox every second, and a new connection wakes it once on its way in.
        """
        while not self._closing.is_set():
            try:
                with psycopg.connect(self._url, **_connection_options()) as db:
                    db.execute(_LISTEN_SQL)
                    self._committed()
                    while not self._closing.is_set():
                        for _ in db.notifies(timeout=_LISTEN_TURN):
                            self._committed()
            except psycopg.Error:
                self._closing.wait(_LISTEN_TURN)

    async def create(
        self, account: str, attributes: Mapping[str, Any], event: str | None = None
    ) -> dict[str, Any]:
        row = new_row(attributes)

        async def insert(db: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
            while True:
                row["id"] = new_id()
                inserted = await db.execute(_INSERT_SQL, (account, *[row[n] for n in FIELDS]))
                if inserted.rowcount == 1:
                    break  # else a random id collided with a stored one: draw another
            await self._record(db, account, event, row["id"], row)
            return row

        return await self._write(insert)

    async def update(
        self,
        account: str,
        conversation_id: str,
        changes: Mapping[str, Any],
        event: str | None = None,
    ) -> dict[str, Any] | None:
        async def update(db: psycopg.AsyncConnection[Any]) -> dict[str, Any] | None:
            # FOR UPDATE: the state before is the one this update changes, and a concurrent
            # update of the conversation (and its event) waits for this one's commit.
            before = await _select(db, account, conversation_id, lock=bool(event))
            if before is None:
                return None
            after: dict[str, Any] | None = before
            if changes:
                assignments = ", ".join(f"{name} = %s" for name in changes)
                found = await (
                    await db.execute(
                        f"UPDATE conversations SET {assignments} WHERE account = %s AND id = %s "
                        f"RETURNING {_COLUMNS}",
                        (*changes.values(), account, conversation_id),
                    )
                ).fetchone()
                after = _to_conversation(found) if found else None
            if after is not None and after != before:
                # Only an update that changed a stored attribute is an event.
                await self._record(db, account, event, conversation_id, after)
            return after

        return await self._write(update)

    async def delete(self, account: str, conversation_id: str, event: str | None = None) -> bool:
        async def delete(db: psycopg.AsyncConnection[Any]) -> bool:
            found = await (
                await db.execute(
                    f"DELETE FROM conversations WHERE account = %s AND id = %s RETURNING {_COLUMNS}",
                    (account, conversation_id),
                )
            ).fetchone()
            if found is None:
                return False
            await self._record(db, account, event, conversation_id, _to_conversation(found))
            return True

        return await self._write(delete)

    async def find(self, account: str, conversation_id: str) -> dict[str, Any] | None:
        async def find(db: psycopg.AsyncConnection[Any]) -> dict[str, Any] | None:
            return await _select(db, account, conversation_id)

        return await self._read(find)

    async def page(self, account: str, query: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        """One page in newest-first order, and whether more lie beyond it in the direction of travel."""
        backwards = query.ending_before is not None
        cursor_id = query.ending_before if backwards else query.starting_after

        async def page(db: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
            cursor_seq = None
            if cursor_id is not None:
                found = await (await db.execute(CURSOR_SQL, (account, cursor_id))).fetchone()
                if found is None:
                    raise UnknownCursor(cursor_id)
                cursor_seq = found[0]
            return await (await db.execute(*page_statement(account, query, cursor_seq))).fetchall()

        rows = await self._read(page)
        has_more = len(rows) > query.limit
        conversations = [_to_conversation(row[1:]) for row in rows[: query.limit]]
        if backwards:
            conversations.reverse()
        return conversations, has_more

    def load(self, account: str, conversations: Iterable[Mapping[str, Any]]) -> None:
        """Insert conversations with fixed ids (oldest first), skipping ids already stored."""
        with self._blocking() as db, db.transaction():
            for conversation in conversations:
                db.execute(_INSERT_SQL, (account, *[conversation.get(n) for n in FIELDS]))

    def count(self) -> int:
        with self._blocking() as db:
            found = db.execute("SELECT count(*) FROM conversations").fetchone()
        return int(found[0]) if found else 0

    def outbox_size(self) -> int:
        with self._blocking() as db:
            found = db.execute("SELECT count(*) FROM webhook_outbox").fetchone()
        return int(found[0]) if found else 0

    def outbox_next(self, limit: int) -> list[OutboxRow]:
        """Claim up to ``limit`` rows nobody holds, in commit order per subject (see _CLAIM_SQL)."""
        with self._claim_lock:
            started = time.monotonic()
            with self._blocking() as db, db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_CLAIM_LOCK,))
                rows = db.execute(
                    _CLAIM_SQL, {"me": self._me, "limit": limit, "lease": LEASE}
                ).fetchall()
            if not self._holding:
                self._renewed_at = started
            self._holding = self._holding or bool(rows)
        rows.sort(key=lambda row: row[0])
        return [
            OutboxRow(row[0], row[1], row[2], row[3], row[4], bytes(row[5]), row[6], row[7])
            for row in rows
        ]

    def outbox_keep(self) -> None:
        """Renew this replica's claims every few seconds; raise `ClaimsLost` once they may
        lapse before a delivery launched now would end (the database was out of reach)."""
        with self._claim_lock:
            if not self._holding:
                return
            if time.monotonic() - self._renewed_at >= _RENEW:
                started = time.monotonic()
                with contextlib.suppress(StorageUnavailable):  # still ours for a while
                    with self._blocking() as db:
                        db.execute(
                            "UPDATE webhook_outbox "
                            "SET claimed_until = now() + make_interval(secs => %s) "
                            "WHERE claimed_by = %s",
                            (LEASE, self._me),
                        )
                    self._renewed_at = started
            if time.monotonic() - self._renewed_at >= LEASE - _MARGIN:
                # A new name: the old claims are someone else's until they expire, so this
                # replica cannot take a subject's later row before its earlier one is resent.
                self._me = _replica_name()
                self._holding = False
                raise ClaimsLost

    def outbox_release(self) -> None:
        """Hand this replica's unsettled rows back at once instead of after their lease: the
        deliverer calls it as it stops, once none of its deliveries is in flight any more.

        Order holds as when a lease runs out: the claim's NOT EXISTS only has to keep a
        subject's later rows from another replica while this one might still send an earlier
        row, and from here on it sends nothing. One statement frees all of a subject's rows at
        once, and an unsettled row stays in the outbox, so the next claim of the subject starts
        from its first unsettled event (sent again: at least once).
        """
        with self._claim_lock:
            with self._blocking() as db, db.transaction():
                released = db.execute(
                    "UPDATE webhook_outbox SET claimed_by = NULL, claimed_until = '-infinity' "
                    "WHERE claimed_by = %s",
                    (self._me,),
                )
                if released.rowcount:
                    db.execute(_NOTIFY_SQL)  # the other replicas look at once
            self._holding = False

    def outbox_settle(self, done: Iterable[int], retries: Iterable[tuple[int, int, float]]) -> None:
        """Remove the rows acknowledged (or given up) and reschedule ``(seq, attempts,
        next_try_at)``, in one transaction committed without waiting for its flush: a crash
        may lose it, and then the events go out again (the contract is at least once)."""
        with self._blocking() as db, db.transaction():
            db.execute("SET LOCAL synchronous_commit = off")
            db.execute(
                "DELETE FROM webhook_outbox WHERE seq = ANY(%s) AND claimed_by = %s",
                (list(done), self._me),
            )
            with db.cursor() as cursor:
                cursor.executemany(
                    "UPDATE webhook_outbox SET attempts = %s, next_try_at = %s "
                    "WHERE seq = %s AND claimed_by = %s",
                    [(attempts, at, seq, self._me) for seq, attempts, at in retries],
                )

    async def _record(
        self,
        db: psycopg.AsyncConnection[Any],
        account: str,
        event: str | None,
        subject: str,
        payload: Mapping[str, Any],
    ) -> None:
        """Put the event in the outbox for each of the account's endpoints, in this transaction."""
        endpoints = self._subscribers(account, event)
        if event and endpoints:
            event_id, body = event_body(event, payload)
            for url in endpoints:
                await db.execute(_OUTBOX_INSERT_SQL, (url, subject, event_id, event, body))

    async def _write(self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[_T]]) -> _T:
        result = await self._transaction(work)
        self._committed()
        return result

    async def _transaction(
        self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[_T]]
    ) -> _T:
        pool = await self._open_pool()
        try:
            async with pool.connection() as db, db.transaction():
                return await work(db)
        except _UNREACHABLE as exc:
            self._check_soon(pool)
            raise StorageUnavailable(str(exc)) from exc

    async def _read(self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[_T]]) -> _T:
        pool = await self._open_pool()
        try:
            async with pool.connection() as db:
                return await work(db)
        except _UNREACHABLE as exc:
            self._check_soon(pool)
            raise StorageUnavailable(str(exc)) from exc

    def _check_soon(self, pool: AsyncConnectionPool) -> None:
        """After a lost connection, test the idle ones: after a database restart all are dead,
        and each would otherwise fail one more request."""
        task = asyncio.get_running_loop().create_task(pool.check())
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def _open_pool(self) -> AsyncConnectionPool:
        """The asyncio pool, opened on the first call (inside the server's event loop)."""
        if self._pool is not None:
            return self._pool
        async with self._opening:
            if self._pool is None:
                pool = AsyncConnectionPool(
                    self._url,
                    min_size=2,
                    max_size=_POOL_SIZE,
                    timeout=_WAIT,
                    kwargs=_connection_options(),
                    open=False,
                )
                await pool.open()
                self._pool_loop = asyncio.get_running_loop()
                self._pool = pool
        return self._pool

    def _blocking(self) -> Any:
        """A connection of the blocking pool, its loss raised as `StorageUnavailable`."""
        return _Unavailable(self._outbox)


class _Unavailable:
    """``with`` a blocking pool's connection; any database error surfaces as `StorageUnavailable`,
    which the deliverer survives and retries (its work is all idempotent)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._context: Any = None

    def __enter__(self) -> psycopg.Connection[Any]:
        self._context = self._pool.connection()
        try:
            return self._context.__enter__()  # type: ignore[no-any-return]
        except (psycopg.Error, PoolTimeout) as exc:
            raise StorageUnavailable(str(exc)) from exc

    def __exit__(self, kind: Any, error: BaseException | None, trace: Any) -> None:
        try:
            self._context.__exit__(kind, error, trace)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StorageUnavailable(str(exc)) from exc
        if isinstance(error, psycopg.Error | PoolTimeout):
            raise StorageUnavailable(str(error)) from error


def page_statement(
    account: str, query: ListQuery, cursor_seq: int | None
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of one list page: ``limit + 1`` rows of ``seq`` then FIELDS.

    As in SQLite: every filter combination is one index range per value of the flags left
    open, each with equalities on its leading columns and ``seq`` last; each range is read
    in ``seq`` order up to the page's size, and the ranges' rows merged.
    """
    shape, params = page_shape(account, query, cursor_seq)
    if shape.arm_count > 1:
        # Each arm's own LIMIT takes the page's size, after that arm's parameters.
        per_arm, size = (len(params) - 1) // shape.arm_count, params[-1]
        arms = [(*params[i * per_arm : (i + 1) * per_arm], size) for i in range(shape.arm_count)]
        params = (*(value for arm in arms for value in arm), size)
    return _page_sql(*shape), params


@functools.cache
def _page_sql(grouped: bool, filtered: bool, arm_count: int, cursor: str | None) -> str:
    conditions = ["account = %s"]
    if grouped:
        conditions.append("group_id = %s")
    if filtered:
        conditions += ["is_muted = %s", "is_pinned = %s", "is_archived = %s"]
    if cursor is not None:
        conditions.append("seq > %s" if cursor == "before" else "seq < %s")
    order = "ASC" if cursor == "before" else "DESC"
    arm = f"SELECT seq, {_COLUMNS} FROM conversations WHERE {' AND '.join(conditions)}"
    if arm_count == 1:
        return f"{arm} ORDER BY seq {order} LIMIT %s"
    # Each arm stops at the page's size on its own, so the merge sorts at most a page per arm.
    arms = [f"({arm} ORDER BY seq {order} LIMIT %s)"] * arm_count
    return f"{' UNION ALL '.join(arms)} ORDER BY seq {order} LIMIT %s"


def _migrate(url: str) -> None:
    """Bring the schema to this server's version; replicas starting at once take turns."""
    with psycopg.connect(url, **_connection_options(autocommit=False)) as db:
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        db.execute(
            "CREATE TABLE IF NOT EXISTS protocol_kit_schema "
            "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        found = db.execute("SELECT coalesce(max(version), 0) FROM protocol_kit_schema").fetchone()
        version = int(found[0]) if found else 0
        if version > len(_MIGRATIONS):
            raise RuntimeError(
                f"database schema version {version} is newer than this server ({len(_MIGRATIONS)})"
            )
        for number, statements in enumerate(_MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                db.execute(statement)
            db.execute("INSERT INTO protocol_kit_schema (version) VALUES (%s)", (number,))
        db.commit()


def _connection_options(autocommit: bool = True) -> dict[str, Any]:
    # connect_timeout: a database host that drops packets fails a connection in seconds.
    return {
        "autocommit": autocommit,
        "connect_timeout": 3,
        "options": f"-c plan_cache_mode={PLAN_CACHE_MODE}",
    }


def _replica_name() -> str:
    return secrets.token_hex(8)


async def _select(
    db: psycopg.AsyncConnection[Any], account: str, conversation_id: str, lock: bool = False
) -> dict[str, Any] | None:
    sql = _SELECT_SQL + " FOR UPDATE" if lock else _SELECT_SQL
    found = await (await db.execute(sql, (account, conversation_id))).fetchone()
    return _to_conversation(found) if found else None


def _to_conversation(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(FIELDS, row, strict=True))
