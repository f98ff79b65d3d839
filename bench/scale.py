"""Scale: list (first and deep page) and get latency with 1k, 100k and 1M conversations in one account."""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import string
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from protocol_kit.server.auth import account_of
from protocol_kit.server.storage import FIELDS, ConversationStore, ListQuery
from tests.support.serving import serve

from . import report

TOKEN = "bench-scale-token"
_ALPHABET = string.ascii_letters + string.digits
_CHECKS = ("first page", "deep page", "get")


@dataclass
class Loaded:
    """A database of ``size`` conversations: where it is, its bytes, and ids to ask for."""

    size: int
    path: Path
    bytes: int
    deep_cursor: str  # `starting_after` that leaves exactly one page of 10 before the end
    sample_ids: list[str]


def load(path: Path, size: int, seed: int = 1) -> Loaded:
    """Bulk-insert ``size`` conversations into a fresh database made by the server's own schema."""
    ConversationStore(str(path)).close()  # the schema and indexes, exactly as the server makes them
    rng = random.Random(seed)
    account = account_of(TOKEN)
    ids = ["".join(rng.choices(_ALPHABET, k=16)) for _ in range(size)]
    if len(set(ids)) != size:
        raise RuntimeError("id collision while loading; use another seed")
    start = 1_600_000_000
    rows = (
        (
            account,
            cid,
            "WAz8eIbvDR60rouK" if i % 2 else None,
            None if i % 2 else "8Kw2bQqN1mTz7XcV",
            None,
            i % 7 == 0,
            i % 5 == 0,
            None,
            None,
            start + i,
            start + i if i % 11 == 0 else None,
        )
        for i, cid in enumerate(ids)
    )
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")  # a bulk load, not a request: durability comes later
    db.execute("BEGIN")
    db.executemany(
        f"INSERT INTO conversations (account, {', '.join(FIELDS)}) VALUES ({', '.join('?' * (len(FIELDS) + 1))})",
        rows,
    )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    newest_first = ids[::-1]
    return Loaded(
        size, path, path.stat().st_size, newest_first[-11], rng.sample(ids, min(size, 500))
    )


@dataclass
class Samples:
    http_ms: dict[tuple[int, str], list[float]] = field(default_factory=dict)
    store_us: dict[tuple[int, str], list[float]] = field(default_factory=dict)


def _paths(loaded: Loaded, rng: random.Random) -> dict[str, str]:
    return {
        "first page": "/v1/conversations?limit=10",
        "deep page": f"/v1/conversations?limit=10&starting_after={loaded.deep_cursor}",
        "get": f"/v1/conversations/{rng.choice(loaded.sample_ids)}",
    }


def measure_http(client: httpx.Client, loaded: Loaded, requests: int, samples: Samples) -> None:
    """Median wall time of ``requests`` sequential requests per check, over one kept-alive connection."""
    rng = random.Random(loaded.size)
    for check in _CHECKS:
        times = []
        for _ in range(requests):
            path = _paths(loaded, rng)[check]
            started = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200 or (check != "get" and len(answer.json()["data"]) != 10):
                raise RuntimeError(
                    f"{check} at {loaded.size}: {answer.status_code} {answer.text[:200]}"
                )
        samples.http_ms.setdefault((loaded.size, check), []).append(statistics.median(times))


def measure_store(loaded: Loaded, requests: int, samples: Samples) -> None:
    """The same checks straight on ConversationStore: the database's share, without HTTP."""
    store = ConversationStore(str(loaded.path))
    account = account_of(TOKEN)
    rng = random.Random(loaded.size)
    calls = {
        "first page": lambda: store.list(account, ListQuery(limit=10)),
        "deep page": lambda: store.list(
            account, ListQuery(limit=10, starting_after=loaded.deep_cursor)
        ),
        "get": lambda: store.get(account, rng.choice(loaded.sample_ids)),
    }
    try:
        for check, call in calls.items():
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1_000_000)
            samples.store_us.setdefault((loaded.size, check), []).append(statistics.median(times))
    finally:
        store.close()


def _table(samples: Samples, loads: list[Loaded]) -> str:
    lines = [
        "| conversations | DB bytes / conversation | check | HTTP ms, median (min–max) | store µs, median (min–max) |",
        "|---:|---:|---|---:|---:|",
    ]
    for loaded in loads:
        for check in _CHECKS:
            lines.append(
                f"| {loaded.size:,} | {loaded.bytes / loaded.size:.0f} | {check} | "
                f"{report.median_spread(samples.http_ms.get((loaded.size, check), []), 2)} | "
                f"{report.median_spread(samples.store_us.get((loaded.size, check), []), 0)} |"
            )
    return "\n".join(lines)


def _target(samples: Samples, smallest: int, largest: int) -> str:
    ratios = [
        big / small
        for big, small in zip(
            samples.http_ms[(largest, "deep page")],
            samples.http_ms[(smallest, "deep page")],
            strict=True,
        )
    ]
    ratio = statistics.median(ratios)
    verdict = "met" if ratio <= 2 else "MISSED"
    return (
        f"Target — deep page at {largest:,} within 2× of {smallest:,} (HTTP, median of per-round "
        f"ratios): **{ratio:.2f}×, {verdict}**. Keyset pagination: the cursor is looked up by its "
        "unique id, then the `(account, seq)` index is walked from there, so depth costs a B-tree "
        "descent (logarithmic), never an OFFSET scan."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run for CI: 1k and 10k, one round"
    )
    parser.add_argument("--rounds", type=int, help="rounds over all sizes (default 5; quick 1)")
    parser.add_argument(
        "--requests", type=int, help="requests per check per round (default 200; quick 20)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="markdown file to update (default docs/benchmarks.md; quick: none)",
    )
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (1_000, 100_000, 1_000_000)
    rounds = args.rounds or (1 if args.quick else 5)
    requests = args.requests or (20 if args.quick else 200)
    output = args.output or (None if args.quick else report.DOCS)

    samples = Samples()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        loads = []
        for size in sizes:
            started = time.perf_counter()
            loads.append(load(Path(tmp) / f"scale-{size}.db", size))
            print(
                f"loaded {size:,} conversations in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        clients = []
        for loaded in loads:
            url = stack.enter_context(serve(loaded.path, [TOKEN]))
            clients.append(
                stack.enter_context(
                    httpx.Client(
                        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
                    )
                )
            )
        for client, loaded in zip(
            clients, loads, strict=True
        ):  # warm-up: page cache, first requests
            measure_http(client, loaded, max(requests // 10, 5), Samples())
        for round_number in range(rounds):
            # Sizes alternate round by round, in a rotating order, so drift hits them alike.
            order = list(range(len(loads)))
            order = order[round_number % len(order) :] + order[: round_number % len(order)]
            for i in order:
                measure_http(clients[i], loads[i], requests, samples)
                measure_store(loads[i], requests, samples)
            print(f"round {round_number + 1}/{rounds} done", flush=True)

    body = "\n\n".join(
        [
            "## Scale",
            (
                f"Machine: {report.machine()}. Command: `{report.command()}`. One account holding all "
                f"conversations, bulk-loaded with the server's own schema; {rounds} rounds × {requests} "
                "sequential requests per check over one kept-alive connection to `protocol-kit serve`, "
                "the sizes alternating round by round; each figure is the median over rounds of the "
                "per-round median. *deep page* = `limit=10&starting_after=<the 11th-oldest id>`; *get* = "
                "random ids. *store* = the same call on `ConversationStore` in-process, without HTTP."
            ),
            _table(samples, loads),
            _target(samples, sizes[0], sizes[-1]),
        ]
    )
    print(body)
    if output is not None:
        report.write_section("scale", body, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
