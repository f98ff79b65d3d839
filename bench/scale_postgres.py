"""Scale on PostgreSQL: bench.scale's list pages and gets at 1k and 1M conversations, served by `serve --db postgresql://…`."""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import psycopg

from protocol_kit.server.auth import account_of
from protocol_kit.server.postgres import (
    CURSOR_SQL,
    PLAN_CACHE_MODE,
    PostgresStore,
    page_statement,
)
from protocol_kit.server.storage import FIELDS, ListQuery
from tests.support.postgres import Cluster
from tests.support.serving import serve

from . import report
from .scale import (
    FILTER_CHECKS,
    PLAIN_CHECKS,
    RARE_TOKEN,
    TOKEN,
    Check,
    Loaded,
    Samples,
    clients_of,
    conversation_rows,
    counts,
    filter_table,
    list_query,
    measure_rounds,
    plain_table,
    run_options,
    verdicts,
)

_SELECT_SQL = f"SELECT {', '.join(FIELDS)} FROM conversations WHERE account = %s AND id = %s"


@dataclass
class PostgresLoaded(Loaded):
    """A database of the cluster holding ``size`` conversations per account."""

    url: str = ""


def build(url: str, size: int, seed: int = 1) -> float:
    """COPY ``size`` conversations into each account of a database with the server's schema;
    the seconds it took.

    The list indexes are dropped for the load and made again afterwards with the migration's
    own statements (read back from the catalogue), which is much faster than inserting into them.
    """
    started = time.perf_counter()
    PostgresStore(url).close()  # the server's migration: the schema as a replica makes it
    rng = random.Random(seed)
    with psycopg.connect(url, autocommit=True) as db:
        indexes = db.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'conversations' AND indexname LIKE 'conversations_by_%'"
        ).fetchall()
        for name, _ in indexes:
            db.execute(f"DROP INDEX {name}")  # type: ignore[arg-type]
        columns = ", ".join(("account", *FIELDS))
        with db.cursor().copy(f"COPY conversations ({columns}) FROM STDIN") as copy:  # type: ignore[arg-type]
            for rare in (False, True):
                for row in conversation_rows(size, rng, rare):
                    copy.write_row(row)
        for _, definition in indexes:
            db.execute(definition)
        db.execute("VACUUM ANALYZE conversations")
    return time.perf_counter() - started


def load(cluster: Cluster, size: int) -> PostgresLoaded:
    """A new database of ``size`` conversations per account, and the cursors and ids to ask for."""
    url = cluster.create_database()
    took = build(url, size)
    print(f"built {size:,} × 2 conversations in {took:.1f} s", flush=True)
    with psycopg.connect(url, autocommit=True) as db:
        found = db.execute("SELECT pg_total_relation_size('conversations')").fetchone()
        loaded = PostgresLoaded(size, cluster.root, int(found[0]) if found else 0, url=url)
        for check in PLAIN_CHECKS + FILTER_CHECKS:
            if check.page == "get":
                continue
            account = account_of(check.token)
            filters = dict(check.filters)
            # Walking up from seq 0: the 11th-oldest match is the cursor, or the newest one.
            sql, params = page_statement(
                account, ListQuery(limit=10, ending_before="-", **filters), 0
            )
            ascending = [row[1] for row in db.execute(sql, params)]  # type: ignore[call-overload]
            loaded.deep_cursor[check] = ascending[10] if len(ascending) > 10 else ascending[-1]
            loaded.page_rows[check] = min(len(_page(db, account, list_query(loaded, check))), 10)
            sql, params = page_statement(account, ListQuery(limit=size, **filters), None)
            (matching,) = db.execute(f"SELECT count(*) FROM ({sql}) m", params).fetchone()  # type: ignore[call-overload,misc]
            loaded.match_share[check] = matching / size
        ids = [
            row[0]
            for row in db.execute(
                "SELECT id FROM conversations WHERE account = %s", (account_of(TOKEN),)
            )
        ]
    loaded.sample_ids = random.Random(size).sample(ids, min(size, 500))
    return loaded


def _page(db: psycopg.Connection[Any], account: str, query: ListQuery) -> list[tuple[Any, ...]]:
    """One page as the server reads it: the cursor's seq by its id, then the page's statement."""
    cursor_seq = None
    if query.starting_after is not None:
        found = db.execute(CURSOR_SQL, (account, query.starting_after)).fetchone()
        cursor_seq = found[0] if found else None
    sql, params = page_statement(account, query, cursor_seq)
    return db.execute(sql, params).fetchall()  # type: ignore[call-overload,no-any-return]


def _database_call(
    db: psycopg.Connection[Any], loaded: Loaded, check: Check
) -> Callable[[], object]:
    account = account_of(check.token)
    if check.page == "get":
        rng = random.Random(loaded.size)
        return lambda: db.execute(_SELECT_SQL, (account, rng.choice(loaded.sample_ids))).fetchone()
    query = list_query(loaded, check)
    return lambda: _page(db, account, query)


def measure_database(
    loaded: PostgresLoaded, checks: list[Check], requests: int, samples: Samples
) -> None:
    """The same checks as SQL on one connection set up as the server's are: the database's
    share, without HTTP."""
    options = f"-c plan_cache_mode={PLAN_CACHE_MODE}"
    with psycopg.connect(loaded.url, autocommit=True, options=options) as db:
        for check in checks:
            call = _database_call(db, loaded, check)
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1_000_000)
            samples.store_us.setdefault((loaded.size, check), []).append(statistics.median(times))


def _target(samples: Samples, small: Loaded, big: Loaded, misses: list[str]) -> str:
    return (
        verdicts(samples, small, big, misses)
        + " The queries are the SQLite server's shapes: the cursor's `seq` looked up by its id, "
        "then one range per value of the flags left open on `(account, [group_id,] is_muted, "
        "is_pinned, is_archived, seq)`, each stopping at the page's LIMIT, merged in `seq` "
        "order. The server plans each prepared statement once (`plan_cache_mode="
        "force_generic_plan`): with PostgreSQL's default, a filtered page at 1M was planned "
        "again on every run, 190–265 µs where the walk takes 33–69 µs, and 19 of the 60 rows "
        "missed 2× (run of 2026-12-07 05:54 UTC). "
        "`tests/reference_server/postgres/test_query_plans.py` asserts from `EXPLAIN EXECUTE` "
        "of the prepared statement, planned as the server plans it, that every combination the "
        "spec allows reads an index and sorts no more than a page per range. *rows* = rows on "
        "the page at the small / big size; *database* = the same SQL on a connection of the "
        "bench's own, set up as the server's."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_postgres", description=__doc__)
    run_options(parser)
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (1_000, 1_000_000)
    output = args.output or (None if args.quick else report.DOCS)

    with ExitStack() as stack:
        cluster = Cluster().start()
        stack.callback(cluster.remove)
        loads = [load(cluster, size) for size in sizes]
        clients = [
            clients_of(stack, stack.enter_context(serve(loaded.url, [TOKEN, RARE_TOKEN])))
            for loaded in loads
        ]
        samples = measure_rounds(clients, loads, args, measure_database)

    filter_rows, misses = filter_table(samples, loads[0], loads[-1], store="database")
    report.publish(
        "scale_postgres",
        [
            "## Scale on PostgreSQL",
            (
                f"Machine: {report.machine()}; PostgreSQL {cluster.bin.parent.name} "
                "(a throw-away local cluster, default settings). Command: "
                f"`{report.command()}`. The same two accounts as the SQLite scale section "
                "(common: each flag and the group half the conversations, independently; rare: "
                "one in 1,000 matches every filter), loaded with `COPY` into the server's own "
                "schema, its indexes made after the load by the migration's statements. "
                + counts(
                    args,
                    "`protocol-kit serve --db postgresql://…`",
                    "executions of the same SQL on a connection of the bench's own (*database*)",
                )
                + "; each figure is the median over rounds of the per-round median. The machine "
                "is shared with other agents' jobs: compare the ratios, which pair the sizes "
                "within each round."
            ),
            plain_table(samples, loads, store="database"),
            filter_rows,
            _target(samples, loads[0], loads[-1], misses),
        ],
        output,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
