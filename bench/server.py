"""Server throughput and latency: the reference server vs a bare-Starlette floor vs Stoplight Prism, with wrk."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from protocol_kit.server.runner import free_port
from tests.support.paths import REPO
from tests.support.serving import serve, stopping, wait_ready

from . import report

SPEC = REPO / "openapi" / "conversations.yaml"
PRISM = Path(__file__).resolve().parent / ".prism" / "node_modules" / ".bin" / "prism"
LUA = Path(__file__).resolve().parent / "wrk" / "request.lua"
TOKEN = "bench-server-token"
CONTACT = "WAz8eIbvDR60rouK"
EXAMPLE_ID = "xgQQXg3hrtjh7AvZ"  # the spec's example id: Prism and the floor answer any id
OPERATIONS = ("get", "list", "list2", "create", "update")


@dataclass
class Contender:
    name: str
    url: str
    get_id: str


@dataclass
class Run:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


@dataclass
class Results:
    runs: dict[tuple[str, str, int], list[Run]] = field(default_factory=dict)

    def add(self, contender: str, operation: str, connections: int, run: Run) -> None:
        self.runs.setdefault((contender, operation, connections), []).append(run)


@contextmanager
def _process(args: list[str], url: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    with stopping(proc):
        wait_ready(url, proc, TOKEN)
        yield proc


@contextmanager
def reference(db: Path) -> Iterator[Contender]:
    """`protocol-kit serve` as shipped (file database, WAL, synchronous=FULL), seeded with 100 rows."""
    with serve(db, [TOKEN]) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            ids = [
                client.post("/v1/conversations", json={"contact_id": CONTACT}).json()["id"]
                for _ in range(100)
            ]
        yield Contender("reference", url, ids[50])


@contextmanager
def floor() -> Iterator[Contender]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with _process([sys.executable, "-m", "bench.floor", "--port", str(port)], url):
        yield Contender("floor", url, EXAMPLE_ID)


@contextmanager
def prism() -> Iterator[Contender]:
    """Prism mocking the same spec, with its request log turned down to errors (its fastest setting)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "error", str(SPEC)]
    with _process(args, url):
        yield Contender("prism", url, EXAMPLE_ID)


def _request(operation: str, contender: Contender) -> dict[str, str]:
    one = f"/v1/conversations/{contender.get_id}"
    return {
        "get": {"BENCH_METHOD": "GET", "BENCH_PATH": one},
        "list": {"BENCH_METHOD": "GET", "BENCH_PATH": "/v1/conversations?limit=10"},
        # Prism answers every list with the spec's two-item example: this row compares like with like.
        "list2": {"BENCH_METHOD": "GET", "BENCH_PATH": "/v1/conversations?limit=2"},
        "create": {
            "BENCH_METHOD": "POST",
            "BENCH_PATH": "/v1/conversations",
            "BENCH_BODY": f'{{"contact_id": "{CONTACT}"}}',
        },
        "update": {
            "BENCH_METHOD": "PUT",
            "BENCH_PATH": one,
            "BENCH_BODY": '{"is_muted": true}',
            "BENCH_BODY2": '{"is_muted": false}',
        },
    }[operation]


_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> Run:
    """Requests/s, p50 and p99 in ms, and the count of non-2xx answers, from `wrk --latency`."""
    rate = _RATE.search(output)
    latencies = {p: float(v) * _UNIT_MS[u] for p, v, u in _LATENCY.findall(output)}
    if rate is None or set(latencies) != {"50", "99"}:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    return Run(
        float(rate.group(1)),
        latencies["50"],
        latencies["99"],
        int(non_2xx.group(1)) if non_2xx else 0,
    )


def wrk(contender: Contender, operation: str, connections: int, seconds: int) -> Run:
    # One wrk thread: the machine has few cores, and the server under test needs one.
    env = {**os.environ, "BENCH_TOKEN": TOKEN, **_request(operation, contender)}
    args = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(LUA),
        contender.url,
    ]
    done = subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=seconds + 60, check=True
    )
    return parse_wrk(done.stdout)


def measure(
    contenders: list[Contender],
    operations: tuple[str, ...],
    concurrency: tuple[int, ...],
    repetitions: int,
    seconds: int,
) -> Results:
    """Every cell `repetitions` times; contenders alternate, in a rotating order, cell by cell."""
    results = Results()
    for contender in contenders if repetitions > 1 else []:  # warm-up: imports, caches
        wrk(contender, "get", 4, 1)
    for rep in range(repetitions):
        for operation in operations:
            for connections in concurrency:
                shift = rep % len(contenders)
                for contender in contenders[shift:] + contenders[:shift]:
                    run = wrk(contender, operation, connections, seconds)
                    results.add(contender.name, operation, connections, run)
                    print(
                        f"rep {rep + 1} {operation:6} c={connections:<3} {contender.name:9} "
                        f"{run.requests_per_s:9.0f} req/s  p50 {run.p50_ms:.2f} ms  p99 {run.p99_ms:.2f} ms"
                        + (f"  NON-2XX {run.non_2xx}" if run.non_2xx else ""),
                        flush=True,
                    )
    return results


def _ratio(results: Results, a: str, b: str, operation: str, connections: int) -> float | None:
    """Median of the per-repetition throughput ratios a/b (each pair ran back to back)."""
    runs_a, runs_b = (
        results.runs.get((a, operation, connections)),
        results.runs.get((b, operation, connections)),
    )
    if not runs_a or not runs_b:
        return None
    return statistics.median(
        x.requests_per_s / y.requests_per_s for x, y in zip(runs_a, runs_b, strict=True)
    )


def table(
    results: Results,
    contenders: list[str],
    operations: tuple[str, ...],
    concurrency: tuple[int, ...],
) -> str:
    lines = [
        "| operation | conc. | contender | req/s median (min–max) | p50 ms | p99 ms | non-2xx |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for operation in operations:
        for connections in concurrency:
            for name in contenders:
                runs = results.runs.get((name, operation, connections), [])
                lines.append(
                    f"| {operation} | {connections} | {name} | "
                    f"{report.median_spread([r.requests_per_s for r in runs])} | "
                    f"{report.median_spread([r.p50_ms for r in runs], 2)} | "
                    f"{report.median_spread([r.p99_ms for r in runs], 2)} | "
                    f"{sum(r.non_2xx for r in runs)} |"
                )
    return "\n".join(lines)


def targets(
    results: Results, operations: tuple[str, ...], concurrency: tuple[int, ...], with_prism: bool
) -> str:
    lines = [
        "| operation | conc. | reference / floor | reference / Prism | target |",
        "|---|---:|---:|---:|---|",
    ]
    for operation in operations:
        for connections in concurrency:
            vs_floor = _ratio(results, "reference", "floor", operation, connections)
            vs_prism = (
                _ratio(results, "reference", "prism", operation, connections)
                if with_prism
                else None
            )
            verdicts = []
            if operation == "get" and vs_floor is not None:
                verdicts.append(("met" if vs_floor >= 0.5 else "MISSED") + ": get ≥ 0.5× floor")
            if vs_prism is not None:
                verdicts.append(("met" if vs_prism > 1 else "MISSED") + ": ahead of Prism")
            lines.append(
                f"| {operation} | {connections} | {_fmt(vs_floor)} | {_fmt(vs_prism)} | {'; '.join(verdicts) or '–'} |"
            )
    return "\n".join(lines)


_WHY = """\
Where the reference server loses, and what would change it:

- **create, update**: every 2xx waits for an fsync of SQLite's write-ahead log
  (`synchronous=FULL`: the durability that `tests/hardening/test_durability.py` checks with
  `kill -9`); on this disk that is most of a write's time. The floor and Prism store nothing.
  Writes are group-committed (one writer thread commits every write waiting at once in one
  transaction and one fsync, each answered after it), so concurrent writes share an fsync and
  reads never wait behind one. On this machine's disk an fsync is cheap: the same server on a
  tmpfs database creates only 1.1–1.5× faster, so what remains is CPU (Python and h11 per
  request, on the one core wrk leaves). `synchronous=NORMAL` would not close that gap and would
  lose acknowledged writes on power loss, so it is not taken.
- **get, list**: everything runs on uvicorn's pure-Python h11 parser (httptools is not a
  dependency), plus per request: bearer check, spec-driven validation, one SQLite query, the
  access-log line, JSON of the rows. Prism's *list* returns two items whatever the `limit`; compare
  *list2*. Optimised so far: request validators are compiled with their `$ref`s inlined (a GET
  spent about a third of its in-app time resolving references).
- The machine is shared with other jobs: single runs swing by 2×; read the medians and ratios."""


def _fmt(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}×"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run for CI: short, one repetition, no Prism"
    )
    parser.add_argument(
        "--seconds", type=int, help="whole seconds per wrk run (default 5; quick 1)"
    )
    parser.add_argument(
        "--repetitions", type=int, help="alternating repetitions (default 3; quick 1)"
    )
    parser.add_argument(
        "--no-prism",
        action="store_true",
        help="leave Prism out (it is also left out if not installed)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="markdown file to update (default docs/benchmarks.md; quick: none)",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench.server: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    seconds = args.seconds or (1 if args.quick else 5)
    repetitions = args.repetitions or (1 if args.quick else 3)
    concurrency = (16,) if args.quick else (1, 16, 64)
    with_prism = not (args.quick or args.no_prism) and PRISM.exists()
    if not (args.quick or args.no_prism) and not PRISM.exists():
        print(
            f"bench.server: Prism not found at {PRISM}; running without it "
            "(npm install --prefix bench/.prism @stoplight/prism-cli)",
            file=sys.stderr,
        )
    output = args.output or (None if args.quick else report.DOCS)

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        contenders = [
            stack.enter_context(reference(Path(tmp) / "bench.db")),
            stack.enter_context(floor()),
        ]
        if with_prism:
            contenders.append(stack.enter_context(prism()))
        results = measure(contenders, OPERATIONS, concurrency, repetitions, seconds)

    names = [c.name for c in contenders]
    setup = (
        f"Machine: {report.machine()}. Command: `{report.command()}`. "
        f"{report.tool_version(['wrk', '-v']).split(' Copyright')[0]}; one wrk thread, {seconds} s per run, "
        f"{repetitions} alternating repetitions; the figures are median (min–max)."
    )
    contenders_text = (
        "Contenders: **reference** = `protocol-kit serve` as shipped (SQLite file, WAL, "
        "`synchronous=FULL`: every write is fsynced before its 2xx; one access-log line per "
        "request), seeded with 100 conversations; **floor** = a bare Starlette endpoint returning "
        "a constant conversation (`bench/floor.py`) on the same uvicorn settings; **prism** = "
        "Stoplight Prism mocking `openapi/conversations.yaml` (log level `error`). Requests: get "
        "one conversation, list with `limit=10` (*list2*: `limit=2`, the size of Prism's example "
        "page, which it answers whatever the limit), create with a `contact_id`, update alternating "
        '`{"is_muted": true}` and `false` (so every update writes).'
    )
    body = "\n\n".join(
        [
            "## Server throughput and latency",
            setup,
            contenders_text,
            table(results, names, OPERATIONS, concurrency),
            "Throughput ratios (median of the per-repetition ratios; each pair ran back to back):",
            targets(results, OPERATIONS, concurrency, with_prism),
            _WHY,
        ]
    )
    print(body)
    if output is not None:
        report.write_section("server", body, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
