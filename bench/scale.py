"""Scale: list pages (unfiltered and every filter combination) and get at 1k, 100k and 1M conversations."""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import statistics
import string
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from protocol_kit.server.auth import account_of
from protocol_kit.server.storage import FIELDS, ConversationStore, ListQuery, page_statement
from tests.support.serving import serve

from . import report

TOKEN = "bench-scale-token"
RARE_TOKEN = "bench-scale-rare-token"
# Bump when the generated data changes, so a cached database from an older run is not reused.
_DATA_VERSION = 2
_ALPHABET = string.ascii_letters + string.digits
_COMMON_GROUP = "GRPcommon0000000"
_RARE_GROUP = "GRPrare000000000"
_OTHER_GROUP = "GRPother00000000"
_RARE_EVERY = 1000  # 0.1 %
_FILTERS = ("muted", "archived", "pinned", "group_id")
_PLAIN = ("first page", "deep page", "get")


@dataclass(frozen=True)
class Check:
    """One request shape: which account, which filters, which page."""

    name: str
    matches: str  # "all", "rare" or "common"
    filters: tuple[tuple[str, Any], ...]
    page: str  # "first page", "deep page" or "get"

    @property
    def token(self) -> str:
        return RARE_TOKEN if self.matches == "rare" else TOKEN


def _filter_checks() -> list[Check]:
    checks = []
    for matches in ("rare", "common"):
        group = _RARE_GROUP if matches == "rare" else _COMMON_GROUP
        for count in range(1, len(_FILTERS) + 1):
            for names in itertools.combinations(_FILTERS, count):
                filters = tuple((name, group if name == "group_id" else True) for name in names)
                for page in ("first page", "deep page"):
                    checks.append(Check("+".join(names), matches, filters, page))
    return checks


_L = TypeVar("_L", bound="Loaded")

PLAIN_CHECKS = [Check("none", "all", (), page) for page in _PLAIN]
FILTER_CHECKS = _filter_checks()


@dataclass
class Loaded:
    """A database of ``size`` conversations per account: where, its bytes, cursors and ids to ask for."""

    size: int
    path: Path
    bytes: int
    deep_cursor: dict[Check, str] = field(default_factory=dict)
    page_rows: dict[Check, int] = field(default_factory=dict)
    match_share: dict[Check, float] = field(default_factory=dict)
    sample_ids: list[str] = field(default_factory=list)


def conversation_rows(size: int, rng: random.Random, rare: bool) -> list[tuple[Any, ...]]:
    """One account's conversations, oldest first.

    Common account: muted, pinned, archived and the group each hold for half the conversations,
    independently (so k filters together match 1/2^k). Rare account: one conversation in 1,000 is
    muted, pinned, archived and in the rare group at once; the rest are none of those.
    """
    account = account_of(RARE_TOKEN if rare else TOKEN)
    start = 1_600_000_000
    rows = []
    for i in range(size):
        cid = "".join(rng.choices(_ALPHABET, k=16))
        if rare:
            hit = i % _RARE_EVERY == _RARE_EVERY // 2
            muted = pinned = archived = hit
            group = _RARE_GROUP if hit else _OTHER_GROUP
        else:
            muted, pinned, archived = (rng.random() < 0.5 for _ in range(3))
            group = _COMMON_GROUP if rng.random() < 0.5 else _OTHER_GROUP
        archived_at = start + i if archived else None
        rows.append(
            (account, cid, None, group, None, pinned, muted, None, None, start + i, archived_at)
        )
    return rows


def build(path: Path, size: int, seed: int = 1) -> None:
    """Bulk-insert ``size`` conversations into each account of a database with the server's schema.

    The list indexes are dropped for the load and made again by the server's own start-up
    migration (the path an existing database takes), which is much faster than inserting into them.
    """
    ConversationStore(str(path)).close()
    rng = random.Random(seed)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")  # a bulk load, not a request: durability comes later
    indexes = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    ]
    for name in indexes:
        db.execute(f"DROP INDEX {name}")
    db.execute("BEGIN")
    for rare in (False, True):
        db.executemany(
            f"INSERT INTO conversations (account, {', '.join(FIELDS)}) "
            f"VALUES ({', '.join('?' * (len(FIELDS) + 1))})",
            conversation_rows(size, rng, rare),
        )
    db.execute("COMMIT")
    db.close()
    ConversationStore(str(path)).close()  # the migration: indexes created if missing
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def load(directory: Path, size: int) -> Loaded:
    """The database of ``size`` from ``directory``, built there first unless already cached."""
    path = directory / f"scale-v{_DATA_VERSION}-{size}.db"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        for leftover in directory.glob(partial.name + "*"):
            leftover.unlink()
        build(partial, size)
        partial.rename(path)
        print(f"built {size:,} × 2 conversations in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing {path}")
    loaded = Loaded(size, path, path.stat().st_size)
    store = ConversationStore(str(path))
    db = sqlite3.connect(path)
    try:
        for check in PLAIN_CHECKS + FILTER_CHECKS:
            if check.page == "get":
                continue
            account = account_of(check.token)
            filters = dict(check.filters)
            # Walking up from seq 0: the 11th-oldest match is the cursor, or the newest one.
            sql, params = page_statement(
                account, ListQuery(limit=10, ending_before="-", **filters), 0
            )
            ascending = [row[1] for row in db.execute(sql, params)]
            loaded.deep_cursor[check] = ascending[10] if len(ascending) > 10 else ascending[-1]
            page, _ = _store_call(store, loaded, check)()
            loaded.page_rows[check] = len(page)
            sql, params = page_statement(account, ListQuery(limit=size, **filters), None)
            (matching,) = db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()
            loaded.match_share[check] = matching / size
        account = account_of(TOKEN)
        ids = [
            row[0]
            for row in db.execute("SELECT id FROM conversations WHERE account = ?", (account,))
        ]
        loaded.sample_ids = random.Random(size).sample(ids, min(size, 500))
    finally:
        db.close()
        store.close()
    return loaded


def list_query(loaded: Loaded, check: Check) -> ListQuery:
    cursor = loaded.deep_cursor[check] if check.page == "deep page" else None
    return ListQuery(limit=10, starting_after=cursor, **dict(check.filters))


def _path(loaded: Loaded, check: Check, rng: random.Random) -> str:
    if check.page == "get":
        return f"/v1/conversations/{rng.choice(loaded.sample_ids)}"
    params: dict[str, str] = {"limit": "10"}
    for name, value in check.filters:
        params[name] = "true" if value is True else str(value)
    if check.page == "deep page":
        params["starting_after"] = loaded.deep_cursor[check]
    return f"/v1/conversations?{urlencode(params)}"


def _store_call(store: ConversationStore, loaded: Loaded, check: Check) -> Callable[[], Any]:
    account = account_of(check.token)
    if check.page == "get":
        rng = random.Random(loaded.size)
        return lambda: store.get(account, rng.choice(loaded.sample_ids))
    query = list_query(loaded, check)
    return lambda: store.list(account, query)


def _old_statement(account: str, query: ListQuery) -> tuple[str, tuple[Any, ...]]:
    """The list query as it was before the flag indexes: `(account, [group_id,] seq)`, then filter."""
    conditions, params = ["account = ?"], [account]
    for name, column in (("muted", "is_muted"), ("pinned", "is_pinned")):
        if getattr(query, name) is not None:
            conditions.append(f"{column} = {int(getattr(query, name))}")
    if query.archived is not None:
        conditions.append("archived_at IS NOT NULL" if query.archived else "archived_at IS NULL")
    if query.group_id is not None:
        conditions.append("group_id = ?")
        params.append(query.group_id)
    if query.starting_after is not None:
        conditions.append("seq < (SELECT seq FROM conversations WHERE id = ?)")
        params.append(query.starting_after)
    index = "conversations_by_group" if query.group_id else "conversations_by_account"
    return (
        f"SELECT seq, {', '.join(FIELDS)} FROM conversations INDEXED BY {index} "
        f"WHERE {' AND '.join(conditions)} ORDER BY seq DESC LIMIT {query.limit + 1}",
        tuple(params),
    )


def measure_old_plan(loaded: Loaded, checks: list[Check], calls: int) -> dict[Check, float]:
    """Median µs of the filtered pages with the old query shape, for the before/after column."""
    db = sqlite3.connect(loaded.path)
    try:
        medians = {}
        for check in checks:
            sql, params = _old_statement(account_of(check.token), list_query(loaded, check))
            times = []
            for _ in range(calls):
                started = time.perf_counter()
                db.execute(sql, params).fetchall()
                times.append((time.perf_counter() - started) * 1_000_000)
            medians[check] = statistics.median(times)
        return medians
    finally:
        db.close()


@dataclass
class Samples:
    http_ms: dict[tuple[int, Check], list[float]] = field(default_factory=dict)
    store_us: dict[tuple[int, Check], list[float]] = field(default_factory=dict)


def measure_http(
    clients: dict[str, httpx.Client],
    loaded: Loaded,
    checks: list[Check],
    requests: int,
    samples: Samples,
) -> None:
    """Median wall time of ``requests`` sequential requests per check, over one kept-alive connection."""
    rng = random.Random(loaded.size)
    for check in checks:
        times = []
        for _ in range(requests):
            path = _path(loaded, check, rng)
            started = time.perf_counter()
            answer = clients[check.token].get(path)
            times.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200 or (
                check.page != "get" and len(answer.json()["data"]) != loaded.page_rows[check]
            ):
                raise RuntimeError(
                    f"{check} at {loaded.size}: {answer.status_code} {answer.text[:200]}"
                )
        samples.http_ms.setdefault((loaded.size, check), []).append(statistics.median(times))


def measure_store(loaded: Loaded, checks: list[Check], requests: int, samples: Samples) -> None:
    """The same checks straight on ConversationStore: the database's share, without HTTP."""
    store = ConversationStore(str(loaded.path))
    try:
        for check in checks:
            call = _store_call(store, loaded, check)
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1_000_000)
            samples.store_us.setdefault((loaded.size, check), []).append(statistics.median(times))
    finally:
        store.close()


def size_ratio(
    values: dict[tuple[int, Check], list[float]], check: Check, small: int, big: int
) -> float:
    return statistics.median(
        b / s for b, s in zip(values[(big, check)], values[(small, check)], strict=True)
    )


def plain_table(samples: Samples, loads: Sequence[Loaded], store: str = "store") -> str:
    """The unfiltered checks at every size; ``store`` names the in-process column."""
    lines = [
        "| conversations | DB bytes / conversation | check | HTTP ms, median (min–max) | "
        f"{store} µs, median (min–max) |",
        "|---:|---:|---|---:|---:|",
    ]
    for loaded in loads:
        for check in PLAIN_CHECKS:
            lines.append(
                f"| {loaded.size:,} | {loaded.bytes / (2 * loaded.size):.0f} | {check.page} | "
                f"{report.median_spread(samples.http_ms.get((loaded.size, check), []), 2)} | "
                f"{report.median_spread(samples.store_us.get((loaded.size, check), []), 0)} |"
            )
    return "\n".join(lines)


def filter_table(
    samples: Samples,
    small: Loaded,
    big: Loaded,
    old: Mapping[Check, float] | None = None,
    store: str = "store",
) -> tuple[str, list[str]]:
    """The filtered checks at the smallest and the biggest size, and the checks that missed 2×;
    ``old`` adds the old plan's column."""
    old_header = f" old plan µs {big.size:,} |" if old is not None else ""
    lines = [
        f"| filters (all `true`) | matches | page | rows | HTTP ms {small.size:,} | "
        f"HTTP ms {big.size:,} | HTTP ratio | within 2× | {store} µs {small.size:,} | "
        f"{store} µs {big.size:,} | {store} ratio |{old_header}",
        "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|" + ("---:|" if old else ""),
    ]
    misses = []
    for check in FILTER_CHECKS:
        store_ratio = size_ratio(samples.store_us, check, small.size, big.size)
        http_ratio = size_ratio(samples.http_ms, check, small.size, big.size)
        met = http_ratio <= 2
        if not met:
            misses.append(f"{check.name} ({check.matches}, {check.page})")
        lines.append(
            f"| {check.name} | {check.matches} ({big.match_share[check]:.1%}) | {check.page} | "
            f"{small.page_rows[check]} / {big.page_rows[check]} | "
            f"{statistics.median(samples.http_ms[(small.size, check)]):.2f} | "
            f"{statistics.median(samples.http_ms[(big.size, check)]):.2f} | {http_ratio:.2f}× | "
            f"{'met' if met else 'MISSED'} | "
            f"{statistics.median(samples.store_us[(small.size, check)]):.0f} | "
            f"{statistics.median(samples.store_us[(big.size, check)]):.0f} | {store_ratio:.2f}× |"
            + (f" {old[check]:,.0f} |" if old is not None else "")
        )
    return "\n".join(lines), misses


def verdicts(samples: Samples, small: Loaded, big: Loaded, misses: list[str]) -> str:
    """The two targets' verdicts in a sentence: the unfiltered deep page and every filter."""
    deep = next(check for check in PLAIN_CHECKS if check.page == "deep page")
    ratio = size_ratio(samples.http_ms, deep, small.size, big.size)
    filtered = (
        f"**met** for all {len(FILTER_CHECKS)} filtered rows"
        if not misses
        else f"**MISSED** for {len(misses)} of {len(FILTER_CHECKS)}: {', '.join(misses)}"
    )
    return (
        f"Targets — at {big.size:,} within 2× of the same query at {small.size:,} (median of "
        f"per-round ratios, HTTP as a client sees it): unfiltered deep page {ratio:.2f}×, "
        f"**{'met' if ratio <= 2 else 'MISSED'}**; every filter combination, first and deep "
        f"page, rare and common matches: {filtered}."
    )


def run_options(parser: argparse.ArgumentParser) -> None:
    """The options both scale benches take."""
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run for CI: 1k and 10k, one round"
    )
    parser.add_argument("--rounds", type=int, help="rounds over all sizes (default 5; quick 1)")
    parser.add_argument(
        "--requests",
        type=int,
        help="requests per unfiltered check per round (default 200; quick 10)",
    )
    parser.add_argument(
        "--filter-requests",
        type=int,
        help="requests per filtered check per round (default 30; quick 3)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="markdown file to update (default docs/benchmarks.md; quick: none)",
    )


def clients_of(stack: ExitStack, url: str) -> dict[str, httpx.Client]:
    """A kept-alive client per account of the server at ``url``, closed with ``stack``."""
    return {
        token: stack.enter_context(
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        )
        for token in (TOKEN, RARE_TOKEN)
    }


def measure_rounds(
    clients: Sequence[dict[str, httpx.Client]],
    loads: Sequence[_L],
    args: argparse.Namespace,
    measure_store: Callable[[_L, list[Check], int, Samples], None],
) -> Samples:
    """Every check at every size, ``args.rounds`` times; the filtered checks only at the
    smallest and biggest sizes."""
    rounds = args.rounds or (1 if args.quick else 5)
    requests = args.requests or (10 if args.quick else 200)
    filter_requests = args.filter_requests or (3 if args.quick else 30)
    extremes = {loads[0].size, loads[-1].size}
    samples = Samples()

    def checks_for(loaded: Loaded) -> list[Check]:
        return PLAIN_CHECKS + (FILTER_CHECKS if loaded.size in extremes else [])

    for client, loaded in zip(clients, loads, strict=True):  # warm-up: caches
        measure_http(client, loaded, checks_for(loaded), 3, Samples())
    for round_number in range(rounds):
        # Sizes alternate round by round, in a rotating order, so drift hits them alike.
        order = list(range(len(loads)))
        order = order[round_number % len(order) :] + order[: round_number % len(order)]
        for i in order:
            measure_http(clients[i], loads[i], PLAIN_CHECKS, requests, samples)
            measure_store(loads[i], PLAIN_CHECKS, requests, samples)
            if loads[i].size in extremes:
                measure_http(clients[i], loads[i], FILTER_CHECKS, filter_requests, samples)
                measure_store(loads[i], FILTER_CHECKS, filter_requests * 5, samples)
        print(f"round {round_number + 1}/{rounds} done", flush=True)
    return samples


def counts(args: argparse.Namespace, served: str, called: str) -> str:
    """How many rounds and requests a run made, in words: requests to the server ``served``,
    and calls ``called``."""
    requests = args.requests or (10 if args.quick else 200)
    filter_requests = args.filter_requests or (3 if args.quick else 30)
    return (
        f"{args.rounds or (1 if args.quick else 5)} rounds, the sizes alternating round by "
        f"round; per round and check, {requests} sequential requests (filtered checks: "
        f"{filter_requests}) over one kept-alive connection to {served}, and {requests} / "
        f"{filter_requests * 5} {called}"
    )


def _target(samples: Samples, small: Loaded, big: Loaded, misses: list[str]) -> str:
    """The verdicts, and why the figures are what they are."""
    return (
        verdicts(samples, small, big, misses)
        + " The store ratio of a rare first page is the page's fill, not a walk: 0.1 % "
        "of 1,000 is one row, of 1,000,000 a full page of 10, and turning rows into "
        "conversations costs a few µs each. *old plan* = the same page with the query shape "
        "before the flag indexes (walk `(account, [group_id,] seq)` and filter), once on the big "
        "database: linear in the rows it has to pass to fill the page. Keyset pagination: the cursor is looked up by its unique id, then an index "
        "is walked from there, so depth costs a B-tree descent, never an OFFSET scan. Filters: two "
        "indexes `(account, [group_id,] is_muted, is_pinned, archived_at IS NOT NULL, seq)`; a "
        "query names every flag column, the flags it leaves open spelled out value by value "
        "(up to 8 index ranges, `UNION ALL` merged in `seq` order by SQLite, which stops at the "
        "page's LIMIT), so a page reads its rows plus one B-tree descent per range whether 0.1 % "
        "or 50 % match. `tests/reference_server/test_query_plans.py` asserts from `EXPLAIN QUERY "
        "PLAN` that every combination the spec allows searches an index and sorts nothing. "
        "*rows* = rows on the page at the small / big size."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    run_options(parser)
    parser.add_argument(
        "--cache",
        type=Path,
        help="directory keeping the built databases between runs "
        "(default: protocol-kit-bench-scale in the temp directory; quick: a fresh one)",
    )
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (1_000, 100_000, 1_000_000)
    output = args.output or (None if args.quick else report.DOCS)

    with ExitStack() as stack:
        if args.cache is None and args.quick:
            cache = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        else:
            cache = args.cache or Path(tempfile.gettempdir()) / "protocol-kit-bench-scale"
        cache.mkdir(parents=True, exist_ok=True)
        loads = [load(cache, size) for size in sizes]
        clients = [
            clients_of(stack, stack.enter_context(serve(loaded.path, [TOKEN, RARE_TOKEN])))
            for loaded in loads
        ]
        samples = measure_rounds(clients, loads, args, measure_store)
        old = measure_old_plan(loads[-1], FILTER_CHECKS, 3)

    filter_rows, misses = filter_table(samples, loads[0], loads[-1], old)
    report.publish(
        "scale",
        [
            "## Scale",
            (
                f"Machine: {report.machine()}. Command: `{report.command()}`. Two accounts of "
                "*conversations* each, bulk-loaded into the server's own schema (its start-up "
                "migration then makes the indexes): in the *common* one muted, pinned, archived and "
                f"the group each hold for half the conversations, independently; in the *rare* one "
                "one conversation in 1,000 is muted, pinned, archived and in the group at once. "
                + counts(args, "`protocol-kit serve`", "calls on `ConversationStore` in-process")
                + " (*store*: the database's share, without HTTP); each figure is the median over "
                "rounds of the per-round median. *deep page* = `limit=10&starting_after=<the "
                "11th-oldest match>` (the newest match, with fewer than 11); *get* = random ids."
            ),
            plain_table(samples, loads),
            filter_rows,
            _target(samples, loads[0], loads[-1], misses),
        ],
        output,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
