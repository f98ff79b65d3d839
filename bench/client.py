"""Client overhead: the generated Python client vs raw httpx for get and list, same server, kept-alive connections."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.paths import REPO
from tests.support.serving import serve

from . import report
from .scale import TOKEN, Loaded, load

# The generated client is not installed by the project; it is imported from its source tree.
sys.path.insert(0, str(REPO / "clients" / "python"))

from protocol_api import ApiClient


def _calls(loaded: Loaded, url: str) -> tuple[dict[str, Callable[[], object]], list[object]]:
    """For get and list: a raw-httpx call and a client call doing the same work (request + parsed JSON)."""
    raw = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    client = ApiClient(TOKEN, base_url=url, max_retries=0)
    cid = loaded.sample_ids[0]
    calls: dict[str, Callable[[], object]] = {
        "get/httpx": lambda: raw.get(f"/v1/conversations/{cid}").raise_for_status().json(),
        "get/client": lambda: client.conversations.get(cid),
        "list/httpx": lambda: (
            raw.get("/v1/conversations", params={"limit": 10}).raise_for_status().json()
        ),
        "list/client": lambda: client.conversations.list(limit=10),
    }
    return calls, [raw, client]


def _per_call_us(call: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.client", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run for CI: one short round")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default 7; quick 1)")
    parser.add_argument("--calls", type=int, help="calls per block (default 300; quick 20)")
    parser.add_argument(
        "--output",
        type=Path,
        help="markdown file to update (default docs/benchmarks.md; quick: none)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 7)
    calls_per_block = args.calls or (20 if args.quick else 300)
    output = args.output or (None if args.quick else report.DOCS)

    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load(Path(tmp), 1000)
        with serve(loaded.path, [TOKEN]) as url:
            calls, closers = _calls(loaded, url)
            for call in calls.values():  # warm-up: connections, imports
                _per_call_us(call, 10)
            for round_number in range(rounds):
                for operation in ("get", "list"):
                    # httpx and the client alternate block by block, in a rotating order.
                    pair = [f"{operation}/httpx", f"{operation}/client"]
                    for name in pair if round_number % 2 == 0 else pair[::-1]:
                        times.setdefault(name, []).append(
                            _per_call_us(calls[name], calls_per_block)
                        )
            for closer in closers:
                closer.close()  # type: ignore[attr-defined]

    lines = [
        "| operation | raw httpx µs/call | client µs/call | client / httpx | target ≤ 1.15× |",
        "|---|---:|---:|---:|---|",
    ]
    for operation in ("get", "list"):
        raw, client = times[f"{operation}/httpx"], times[f"{operation}/client"]
        ratio = statistics.median(c / r for c, r in zip(client, raw, strict=True))
        lines.append(
            f"| {operation} | {report.median_spread(raw)} | {report.median_spread(client)} | "
            f"{ratio:.2f}× | {'met' if ratio <= 1.15 else 'MISSED'} |"
        )
    body = "\n\n".join(
        [
            "## Client overhead (generated Python client vs raw httpx)",
            (
                f"Machine: {report.machine()}. Command: `{report.command()}`. `protocol_api.ApiClient` "
                "(from `clients/python`, retries off) against raw `httpx.Client` + `.json()`, each with "
                "its own kept-alive connection to the same `protocol-kit serve` (1,000 conversations); "
                f"{rounds} rounds of {calls_per_block} sequential calls per block, blocks alternating; "
                "per-call medians, median (min–max) over rounds; the ratio is the median of per-round ratios."
            ),
            "\n".join(lines),
        ]
    )
    print(body)
    if output is not None:
        report.write_section("client", body, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
