"""Generator: `protocol-kit generate` (three clients and the docs) vs openapi-python-client and openapi-generator-cli."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.paths import REPO

from . import report

SPEC = REPO / "openapi" / "conversations.yaml"
# The peers live in their own virtualenv: their pinned dependencies stay out of the project's.
VENV = Path(__file__).resolve().parent / ".gen-venv"
SETUP = (
    f"python -m venv {VENV.relative_to(REPO)} && {VENV.relative_to(REPO)}/bin/pip install "
    "openapi-python-client==0.29.1 openapi-generator-cli==7.26.0"
)


OURS = "protocol-kit generate (Python, JS, PHP clients + docs)"
# protocol-kit keeps a per-user cache (compiled templates, the spec's validation verdict): the
# usual run finds it warm (a shared cache directory, filled by one untimed run first); the
# first run on a machine or in a fresh CI container finds it cold (a new directory every run).
COLD = "protocol-kit generate, cold cache (first run on a machine)"
_PROTOCOL_KIT = [
    sys.executable,
    "-c",
    "from protocol_kit.cli import main; raise SystemExit(main())",
    "generate",
    "--spec",
    str(SPEC),
    "--out",
    "{out}",
]


def _contenders(quick: bool) -> dict[str, list[str]]:
    """Command templates; `{out}` is a fresh directory per run."""
    contenders = {OURS: _PROTOCOL_KIT}
    if quick:
        return contenders
    contenders[COLD] = _PROTOCOL_KIT
    if (VENV / "bin" / "openapi-python-client").exists():
        contenders["openapi-python-client (Python client)"] = [
            str(VENV / "bin" / "openapi-python-client"),
            "generate",
            "--path",
            str(SPEC),
            "--output-path",
            "{out}/client",
            "--overwrite",
        ]
    if (VENV / "bin" / "openapi-generator-cli").exists():
        contenders["openapi-generator-cli -g python (Python client)"] = [
            str(VENV / "bin" / "openapi-generator-cli"),
            "generate",
            "-i",
            str(SPEC),
            "-g",
            "python",
            "-o",
            "{out}/client",
        ]
    return contenders


def _run(command: list[str], out: Path, cache: Path) -> tuple[float, int]:
    """Wall seconds and the number of files written; ``cache`` is protocol-kit's cache home."""
    out.mkdir(parents=True)
    args = [part.replace("{out}", str(out)) for part in command]
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    started = time.perf_counter()
    done = subprocess.run(
        args, cwd=out, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{args[0]} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return seconds, sum(1 for p in out.rglob("*") if p.is_file())


_WHY = (
    "Where protocol-kit's time went (cProfile of one `generate`, 2026-11-25): about 60% compiling "
    "its 46 Jinja2 templates from source on every run, about 15% parsing the YAML with PyYAML's "
    "pure-Python loader, and importing every subcommand's modules (uvicorn, httpx, the conformance "
    "suite) for any subcommand. Since then it caches the compiled templates (Jinja2 "
    "`FileSystemBytecodeCache`) and the spec's validation verdict (skipping openapi-spec-validator's "
    "import and run) under `$XDG_CACHE_HOME/protocol-kit`, parses with `yaml.CSafeLoader`, and "
    "imports only the subcommand it runs. A cold cache still pays for compiling and validating."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generator", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run for CI: protocol-kit only, once"
    )
    parser.add_argument(
        "--repetitions", type=int, help="alternating repetitions (default 5; quick 1)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="markdown file to update (default docs/benchmarks.md; quick: none)",
    )
    args = parser.parse_args(argv)
    repetitions = args.repetitions or (1 if args.quick else 5)
    output = args.output or (None if args.quick else report.DOCS)
    contenders = _contenders(args.quick)
    if not args.quick and len(contenders) < 3:
        print(f"bench.generator: peers missing; install them with: {SETUP}", file=sys.stderr)

    times: dict[str, list[float]] = {name: [] for name in contenders}
    files: dict[str, int] = {}
    names = list(contenders)
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "cache-warm"
        _run(contenders[OURS], Path(tmp) / "warm-up", warm)  # untimed: fills the warm cache
        for rep in range(repetitions):
            shift = rep % len(names)
            for name in names[shift:] + names[:shift]:
                index = names.index(name)
                cache = Path(tmp) / f"cache-{rep}-{index}" if name == COLD else warm
                seconds, count = _run(contenders[name], Path(tmp) / f"{rep}-{index}", cache)
                times[name].append(seconds)
                files[name] = count
                print(f"rep {rep + 1} {name:55} {seconds:6.2f} s  {count} files", flush=True)
        shutil.rmtree(tmp, ignore_errors=True)

    ours = OURS
    lines = [
        "| generator | wall s, median (min–max) | files written | vs protocol-kit |",
        "|---|---:|---:|---:|",
    ]
    for name in names:
        ratio = statistics.median(t / o for t, o in zip(times[name], times[ours], strict=True))
        lines.append(
            f"| {name} | {report.median_spread(times[name], 2)} | {files[name]} | {ratio:.2f}× |"
        )
    peer = "openapi-python-client (Python client)"
    verdict = ""
    if peer in times:
        ratio = statistics.median(o / p for o, p in zip(times[ours], times[peer], strict=True))
        cold = statistics.median(c / p for c, p in zip(times[COLD], times[peer], strict=True))
        verdict = (
            f"Target — faster than openapi-python-client while producing three clients and the docs: "
            f"protocol-kit takes **{ratio:.2f}×** its time with a warm cache, "
            f"**{'met' if ratio < 1 else 'MISSED'}**; with a cold cache (the first run on a "
            f"machine) **{cold:.2f}×**, **{'met' if cold < 1 else 'missed'}**. " + _WHY
        )
    body = "\n\n".join(
        part
        for part in [
            "## Generator",
            (
                f"Machine: {report.machine()}. Command: `{report.command()}`. Each run is a fresh "
                "process writing into an empty directory (JVM and Python start-up included, as a user "
                f"would see it); {repetitions} repetitions in rotating order. The peers come from PyPI "
                f"into `bench/.gen-venv` (`{SETUP}`); openapi-python-client runs its default "
                "post-hooks (ruff). protocol-kit's per-user cache (`XDG_CACHE_HOME`) is one "
                "directory for the warm rows, filled by an untimed run first, and a new empty one "
                "for every cold run."
            ),
            "\n".join(lines),
            verdict,
        ]
        if part
    )
    print(body)
    if output is not None:
        report.write_section("generator", body, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
