"""The long fuzz: plain schemathesis, every check and phase, 1,000 examples per operation, against `protocol-kit serve`."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.paths import REPO
from tests.support.schemathesis import PHASES, schemathesis_command
from tests.support.serving import serve

from . import report

TOKEN = "bench-fuzz-token"
SEED = 20261125


def _server_errors(log: Path) -> tuple[int, int]:
    """5xx answers in the server's access log, and tracebacks it printed."""
    lines = log.read_text(errors="replace").splitlines()
    fivexx = sum(1 for line in lines if re.match(r"^[A-Z]+ \S+ 5\d\d ", line))
    return fivexx, sum(1 for line in lines if line.startswith("Traceback"))


def run_schemathesis(
    url: str, examples: int, seed: int, report_dir: Path
) -> tuple[int, str, float]:
    """Exit code, stdout and wall seconds of one run; run from the repo root so schemathesis.toml applies."""
    extra = ["--report", "ndjson", "--report-dir", str(report_dir)]
    args = schemathesis_command(url, TOKEN, max_examples=examples, seed=seed, extra=extra)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - started


def _summary(output: str) -> list[str]:
    """The lines of schemathesis' closing summary worth keeping: phases, test cases, failures."""
    keep = re.compile(
        r"(✅|❌|⏭|🚫|test cases|scenarios|failures?|errors?|Seed|passed|failed)", re.IGNORECASE
    )
    return [line.strip() for line in output.splitlines() if keep.search(line) and len(line) < 200][
        -25:
    ]


def _requests(report_dir: Path) -> int | None:
    """How many HTTP requests schemathesis sent, from its NDJSON event stream."""
    files = list(report_dir.glob("*.ndjson"))
    if not files:
        return None
    sent = 0
    for line in files[0].read_text(encoding="utf-8").splitlines():
        sent += line.count('"request":')
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run for CI: 5 examples per operation"
    )
    parser.add_argument(
        "--examples", type=int, help="max examples per operation (default 1000; quick 5)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--output",
        type=Path,
        help="markdown file to update (default docs/benchmarks.md; quick: none)",
    )
    args = parser.parse_args(argv)
    if shutil.which("schemathesis") is None:
        print("bench.fuzz: schemathesis is not installed", file=sys.stderr)
        return 2
    examples = args.examples or (5 if args.quick else 1000)
    output = args.output or (None if args.quick else report.DOCS)

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        with serve(Path(tmp) / "fuzz.db", [TOKEN], log) as url:
            code, out, seconds = run_schemathesis(url, examples, args.seed, Path(tmp) / "report")
        sent = _requests(Path(tmp) / "report")
        fivexx, tracebacks = _server_errors(log)
    print(out[-5000:])
    verdict = (
        "**found nothing**" if code == 0 else f"**FAILED (exit {code})** — see the summary below"
    )
    body = "\n\n".join(
        [
            "## Long fuzz (schemathesis)",
            (
                f"Machine: {report.machine()}. Command: `{report.command()}` = `schemathesis run "
                f"openapi/conversations.yaml --checks all --phases {PHASES} --max-examples {examples} "
                f"--seed {args.seed}` against `protocol-kit serve` (file database), from the repository "
                f"root so `schemathesis.toml` applies. {report.tool_version(['schemathesis', '--version'])}."
            ),
            f"Result: {verdict}; wall time {seconds:.0f} s"
            + (f"; about {sent:,} requests recorded in the NDJSON report" if sent else "")
            + f"; the server's log shows {fivexx} 5xx answers and {tracebacks} tracebacks.",
            "```\n" + "\n".join(_summary(out)) + "\n```",
        ]
    )
    if output is not None:
        report.write_section("fuzz", body, output)
    print(json.dumps({"exit": code, "seconds": round(seconds, 1), "requests": sent, "5xx": fivexx}))
    return code or int(fivexx > 0 or tracebacks > 0)


if __name__ == "__main__":
    raise SystemExit(main())
