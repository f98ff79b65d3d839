"""Conformance run: `protocol-kit verify` vs plain `schemathesis run --checks all`, same example budget."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.cli import cli_command
from tests.support.paths import REPO
from tests.support.schemathesis import run_schemathesis, schemathesis_command
from tests.support.serving import serve

from . import report

TOKENS = ("bench-conformance-token-a", "bench-conformance-token-b")
SEED = 20261125


def _requests_logged(log: Path) -> int:
    return sum(
        1
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith(
            ("GET ", "POST ", "PUT ", "DELETE ", "PATCH ", "HEAD ", "OPTIONS ", "TRACE ")
        )
    )


# One deviation per behavioural area, for the time until verify reports its first failure.
FIRST_FAILURE_FAULTS = ("unknown-token-403", "muted-ignored", "update-not-persisted")


def _command(tool: str, url: str, examples: int) -> list[str]:
    if tool == "embedded":
        # The default: no server given, so verify starts the bundled one itself.
        return cli_command("verify", "--seed", str(SEED), "--max-examples", str(examples))
    if tool == "verify":
        return cli_command(
            "verify",
            url,
            "--token",
            TOKENS[0],
            "--other-token",
            TOKENS[1],
            "--max-examples",
            str(examples),
            "--seed",
            str(SEED),
        )
    return schemathesis_command(url, TOKENS[0], max_examples=examples, seed=SEED)


def timed_run(tool: str, examples: int, tmp: Path) -> tuple[float, int, int]:
    """Wall seconds, requests the server logged, and the exit code of one run on a fresh server."""
    if tool == "embedded":
        started = time.perf_counter()
        done = subprocess.run(
            _command(tool, "", examples), cwd=REPO, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-2000:], file=sys.stderr)
        return time.perf_counter() - started, 0, done.returncode
    log = tmp / f"{tool}-{time.monotonic_ns()}.log"
    with serve(tmp / f"{tool}-{time.monotonic_ns()}.db", TOKENS, log) as url:
        before = _requests_logged(log)
        started = time.perf_counter()
        done = subprocess.run(
            _command(tool, url, examples),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
        seconds = time.perf_counter() - started
        time.sleep(0.2)  # let the last access-log lines reach the file
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-2000:], file=sys.stderr)
    return seconds, _requests_logged(log) - before, done.returncode


def first_failure(fault: str, examples: int) -> float | None:
    """Seconds from starting `protocol-kit verify` to its first reported failure (a `✗` line)."""
    from tests.support.fake_server import TOKENS as FAKE_TOKENS
    from tests.support.fake_server import FakeServer

    with FakeServer(list(FAKE_TOKENS), {fault}) as server:
        args = cli_command(
            "verify", server.url, "--token", FAKE_TOKENS[0], "--other-token", FAKE_TOKENS[1]
        )
        args += ["--seed", str(SEED), "--max-examples", str(examples)]
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, text=True)
        found = None
        assert proc.stdout is not None
        for line in proc.stdout:
            if found is None and line.startswith("✗"):
                found = time.perf_counter() - started
        proc.wait()
    return found


def battery(examples: int, limit: int | None) -> tuple[dict[str, tuple[bool, bool]], bool, bool]:
    """Each single-deviation server of the self-tests: caught by verify's rules? by plain schemathesis?

    Also whether each tool passes the fault-free fake server (else its catches would mean nothing).
    verify runs in-process with every behavioural group (its schemathesis phase is the same
    engine as the other column); schemathesis runs as the CLI with ``examples`` per operation.
    """
    from protocol_kit.conformance.contract import Contract
    from protocol_kit.conformance.rules import GROUPS
    from protocol_kit.conformance.runner import Options, run
    from protocol_kit.conformance.verdicts import FAILED
    from protocol_kit.spec import Spec
    from tests.support.fake_server import TOKENS as FAKE_TOKENS
    from tests.support.fake_server import FakeServer
    from tests.support.faults import BROKEN

    contract = Contract(Spec.load())
    groups = [g.name for g in GROUPS]

    def verify_catches(server: FakeServer) -> bool:
        outcome = run(
            contract, Options(server.url, *FAKE_TOKENS, seed=7, groups=groups), lambda *e: None
        )
        return any(r.status == FAILED for r in outcome.results)

    def schemathesis_catches(server: FakeServer) -> bool:
        done = run_schemathesis(server.url, FAKE_TOKENS[0], max_examples=examples, seed=SEED)
        return done.returncode != 0

    caught: dict[str, tuple[bool, bool]] = {}
    with FakeServer(list(FAKE_TOKENS)) as server:
        server.reset(set())
        clean_verify = not verify_catches(server)
        server.reset(set())
        clean_schemathesis = not schemathesis_catches(server)
        for fault in sorted(BROKEN)[:limit]:
            server.reset({fault})
            by_verify = verify_catches(server)
            server.reset({fault})
            caught[fault] = (by_verify, schemathesis_catches(server))
            print(
                f"battery {fault:28} verify {'caught' if by_verify else '-':6} "
                f"schemathesis {'caught' if caught[fault][1] else '-'}",
                flush=True,
            )
    return caught, clean_verify, clean_schemathesis


def _battery_text(
    caught: dict[str, tuple[bool, bool]], clean: tuple[bool, bool], examples: int
) -> str:
    total = len(caught)
    by_verify = sum(v for v, _ in caught.values())
    by_schemathesis = sum(s for _, s in caught.values())
    only_schemathesis = sorted(f for f, (v, s) in caught.items() if s and not v)
    missed = sorted(f for f, (v, s) in caught.items() if not s)
    return (
        f"Deviations caught, on the self-tests' battery of {total} single-deviation fake servers "
        f"(`tests/support/fake_server.py`): **verify's behavioural suite {by_verify}/{total}**, "
        f"**plain schemathesis {by_schemathesis}/{total}** (`--checks all`, every phase, "
        f"`--max-examples {examples}`). On the fault-free fake server: verify "
        f"{'passes' if clean[0] else 'FAILS'}, schemathesis {'passes' if clean[1] else 'FAILS'}. "
        + (
            f"Caught only by schemathesis: {', '.join(only_schemathesis)}. "
            if only_schemathesis
            else ""
        )
        + (f"Missed by schemathesis: {', '.join(missed)}." if missed else "")
    )


def _kept_battery(output: Path | None) -> str | None:
    """The battery paragraph of the last full run, kept when this run skips the battery."""
    if output is None or not output.exists():
        return None
    for paragraph in output.read_text(encoding="utf-8").split("\n\n"):
        if paragraph.startswith("Deviations caught"):
            paragraph = paragraph.split("\n<!--", 1)[0].strip()
            return (
                paragraph
                if "(battery from an earlier run" in paragraph
                else (paragraph + " (battery from an earlier run; this run used `--no-battery`.)")
            )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.conformance", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run for CI: 1 example, one repetition, the battery without faults",
    )
    parser.add_argument(
        "--examples",
        type=int,
        help="examples per operation (default 50, verify's default; quick 3)",
    )
    parser.add_argument(
        "--repetitions", type=int, help="alternating repetitions (default 3; quick 1)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="markdown file to update (default docs/benchmarks.md; quick: none)",
    )
    parser.add_argument(
        "--no-battery", action="store_true", help="skip the deviations-caught battery"
    )
    args = parser.parse_args(argv)
    examples = args.examples or (1 if args.quick else 50)
    repetitions = args.repetitions or (1 if args.quick else 3)
    output = args.output or (None if args.quick else report.DOCS)

    results: dict[str, list[tuple[float, int, int]]] = {
        "embedded": [],
        "verify": [],
        "schemathesis": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(repetitions):
            order = list(results)
            order = order[rep % len(order) :] + order[: rep % len(order)]
            for tool in order:
                results[tool].append(timed_run(tool, examples, Path(tmp)))
                seconds, sent, code = results[tool][-1]
                print(
                    f"rep {rep + 1} {tool:12} {seconds:7.1f} s  {sent:7d} requests  exit {code}",
                    flush=True,
                )

    lines = [
        "| tool | wall s, median (min–max) | requests, median | exit codes |",
        "|---|---:|---:|---|",
    ]
    labels = {
        "embedded": "`protocol-kit verify` (default: embedded server, started and stopped by it)",
        "verify": "`protocol-kit verify URL` (against `protocol-kit serve`)",
        "schemathesis": "plain `schemathesis run --checks all` (against `protocol-kit serve`)",
    }
    for tool, runs in results.items():
        lines.append(
            f"| {labels[tool]} | {report.median_spread([r[0] for r in runs], 1)} | "
            + (f"{statistics.median(r[1] for r in runs):.0f}" if tool != "embedded" else "–")
            + f" | {', '.join(str(r[2]) for r in runs)} |"
        )

    def ratio_to_schemathesis(tool: str) -> float:
        return statistics.median(
            v[0] / s[0] for v, s in zip(results[tool], results["schemathesis"], strict=True)
        )

    ratio = ratio_to_schemathesis("verify")
    embedded_ratio = ratio_to_schemathesis("embedded")
    embedded_seconds = statistics.median(r[0] for r in results["embedded"])
    # Quick: one fault keeps the code path alive; each costs a whole verify run.
    faults = FIRST_FAILURE_FAULTS[:1] if args.quick else FIRST_FAILURE_FAULTS
    firsts = {fault: first_failure(fault, examples) for fault in faults}
    first_text = (
        "Time to the first reported failure (the first `✗` line of `protocol-kit verify` "
        f"against the self-tests' fake server with one deviation, seed {SEED}): "
        + ", ".join(
            f"{fault} {'never reported' if t is None else f'{t:.1f} s'}"
            for fault, t in firsts.items()
        )
        + ". A failure is reported when its rule group finishes; the groups run in a fixed "
        "order, the schemathesis phase last."
    )
    sections = [
        "## Conformance run",
        (
            f"Machine: {report.machine()}. Command: `{report.command()}`. Both against a fresh "
            f"`protocol-kit serve` (file database) per run, `--max-examples {examples}`, seed {SEED}; "
            "schemathesis with every phase, from the repository root (so `schemathesis.toml` applies); "
            "verify with both tokens (behavioural suite, then its schemathesis phase). Requests are "
            f"counted from the server's access log. {repetitions} alternating repetitions."
        ),
        "\n".join(lines),
        (
            f"Wall-time ratios to schemathesis (median of per-repetition ratios): verify URL "
            f"**{ratio:.2f}×**; default embedded verify **{embedded_ratio:.2f}×** "
            f"({embedded_seconds:.1f} s, including starting and stopping its server). Targets: "
            f"embedded verify within 30 s, **{'met' if embedded_seconds <= 30 else 'MISSED'}**; "
            f"within 1.1× of schemathesis, **{'met' if embedded_ratio <= 1.1 else 'MISSED'}**."
        ),
        first_text,
    ]
    if args.no_battery:
        kept = _kept_battery(output)
        if kept:
            sections.append(kept)
    else:
        # Quick: only the fault-free runs of both tools, to keep the code path alive.
        battery_examples = 3 if args.quick else 20
        caught, clean_verify, clean_schemathesis = battery(
            battery_examples, 0 if args.quick else None
        )
        sections.append(_battery_text(caught, (clean_verify, clean_schemathesis), battery_examples))
    body = "\n\n".join(sections)
    print(body)
    if output is not None:
        report.write_section("conformance", body, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
