"""Diff: agreement with oasdiff on its own checker pairs, and speed on two releases of Stripe's spec.

The oasdiff pairs are vendored under tests/diff/oasdiff (with oasdiff's licence). Stripe's spec
is several MB per release, too large to commit: fetch it once into bench/fixtures/stripe/ (see
STRIPE_SETUP); without it the speed section is left as it was.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from protocol_kit.diff import CLIENTS, RECEIVERS, Level, compare
from protocol_kit.spec import Spec
from tests.support.paths import REPO

from . import report

OASDIFF = REPO / "tests" / "diff" / "oasdiff"
STRIPE = Path(__file__).resolve().parent / "fixtures" / "stripe"
STRIPE_RELEASES = ("v500", "v520")
STRIPE_SETUP = (
    "git clone https://github.com/stripe/openapi stripe-openapi && mkdir -p bench/fixtures/stripe && "
    + " && ".join(
        f"git -C stripe-openapi show {tag}:openapi/spec3.yaml > bench/fixtures/stripe/{tag}.yaml"
        for tag in STRIPE_RELEASES
    )
)
_VERDICTS = {
    "ours": "ours right",
    "theirs": "theirs right",
    "definition": "a difference of definition",
}


@dataclass(frozen=True)
class Pair:
    key: str
    theirs: str
    ours: str
    ids: tuple[str, ...]


def consumer_level(base: Spec, revision: Spec) -> Level:
    """The diff's level for the users oasdiff speaks for: clients, and receivers of webhooks.

    oasdiff judges a change from the API consumer's side only; a version number it does not
    check is left out too.
    """
    found = compare(base, revision)
    found.changes = [c for c in found.changes if c.kind != "version-not-bumped"]
    return max(found.level(CLIENTS), found.level(RECEIVERS), key=lambda lv: lv.rank)


def oasdiff_pairs() -> list[Pair]:
    """Every vendored pair with oasdiff's expected level and ours."""
    manifest = json.loads((OASDIFF / "expected.json").read_text(encoding="utf-8"))
    pairs = []
    for key, pair in manifest["pairs"].items():
        base = Spec.load(OASDIFF / "pairs" / pair["base"])
        revision = Spec.load(OASDIFF / "pairs" / pair["revision"])
        ours = consumer_level(base, revision).value
        pairs.append(Pair(key, pair["oasdiff"], ours, tuple(pair["ids"])))
    return pairs


def explanations() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(
        (OASDIFF / "disagreements.json").read_text(encoding="utf-8")
    )
    return data


def _oasdiff_section() -> str:
    pairs = oasdiff_pairs()
    agreed = [p for p in pairs if p.ours == p.theirs]
    why = explanations()
    commit = json.loads((OASDIFF / "expected.json").read_text(encoding="utf-8"))["commit"]
    rows = []
    for pair in pairs:
        if pair.ours == pair.theirs:
            continue
        note = why.get(pair.key, {"verdict": "unexplained", "why": "not yet explained"})
        rows.append(
            f"| `{pair.key}` | {pair.theirs} | {pair.ours} | "
            f"{_VERDICTS.get(note['verdict'], note['verdict'])} | {note['why']} |"
        )
    by_level = {
        level: sum(1 for p in pairs if p.theirs == level) for level in (lv.value for lv in Level)
    }
    return "\n".join(
        [
            "## Diff: agreement with oasdiff",
            "",
            f"`protocol-kit diff` on {len(pairs)} base/revision pairs from oasdiff's own checker "
            f"tests (`data/checker/` at {commit[:12]}, vendored with its Apache-2.0 licence in "
            "`tests/diff/oasdiff/`): each pair's expected level is the highest its tests expect "
            "(ERR breaking, WARN possibly breaking, INFO compatible); ours is the highest level "
            "for clients and webhook receivers, the users oasdiff speaks for. "
            f"oasdiff's levels: {by_level['breaking']} breaking, "
            f"{by_level['possibly breaking']} possibly breaking, {by_level['compatible']} "
            "compatible.",
            "",
            f"**Agreement: {len(agreed)} of {len(pairs)} ({100 * len(agreed) / len(pairs):.1f} %).**",
            "",
            "Each disagreement, and who is right:",
            "",
            "| Pair | oasdiff | protocol-kit | Verdict | Why |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Command: `{report.command()}`; `tests/diff/test_oasdiff.py` keeps the rate and "
            "requires an explanation for every disagreement.",
        ]
    )


def _timed(base: Path, revision: Path, repetitions: int) -> tuple[list[float], int, str]:
    """End-to-end runs of the command line (a fresh process each), and what the last found."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "diff.json"
        for _ in range(repetitions):
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-P",
                    "-m",
                    "protocol_kit",
                    "diff",
                    str(base),
                    str(revision),
                    "--format",
                    "json",
                    "--output",
                    str(out),
                ],
                check=True,
                cwd=tmp,
            )
            times.append(time.perf_counter() - start)
        made = json.loads(out.read_text(encoding="utf-8"))
    counts = ", ".join(f"{n} {level}" for level, n in made["counts"].items())
    return times, len(made["changes"]), counts


def _speed_section(repetitions: int) -> str | None:
    base, revision = (STRIPE / f"{tag}.yaml" for tag in STRIPE_RELEASES)
    if not base.is_file() or not revision.is_file():
        return None
    start = time.perf_counter()
    b_spec, r_spec = Spec.load(base), Spec.load(revision)
    loaded = time.perf_counter()
    compare(b_spec, r_spec)
    compared = time.perf_counter()
    times, changes, counts = _timed(base, revision, repetitions)
    size = (base.stat().st_size + revision.stat().st_size) / 2 / 1e6
    return "\n".join(
        [
            "## Diff speed: two releases of Stripe's spec",
            "",
            f"`protocol-kit diff` between Stripe's public OpenAPI document at {STRIPE_RELEASES[0]} "
            f"and {STRIPE_RELEASES[1]} (`openapi/spec3.yaml`, {size:.1f} MB each, "
            f"{len(b_spec.operations())} operations): {changes} changes ({counts}).",
            "",
            "| Run | Seconds |",
            "|---|---|",
            f"| whole command, fresh process (median of {repetitions}) | "
            f"{report.median_spread(times, 1)} |",
            f"| of which reading both documents | {loaded - start:.1f} |",
            f"| of which comparing them | {compared - loaded:.1f} |",
            "",
            f"Machine: {report.machine()}. Command: `{report.command()}`. The documents are too "
            "large to commit; to reproduce, fetch them first: "
            f"`{STRIPE_SETUP}`.",
        ]
    )


def _proof_section() -> str:
    """Every hand-made change of the spec proved by execution: where the runs and the diff agree."""
    import yaml

    from protocol_kit.diff.proof import judge
    from protocol_kit.prove import prove
    from tests.diff.corpus import CASES, base_document

    rows, disagreements = [], 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        base_file = Path(tmp) / "base.yaml"
        base_file.write_text(yaml.safe_dump(base_document(), sort_keys=False), encoding="utf-8")
        base = Spec.load(base_file)
        for case in CASES:
            data = base_document()
            case.patch(data)
            revision_file = Path(tmp) / "revision.yaml"
            revision_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            revision = Spec.load(revision_file)
            runs = prove(base, revision)
            found = judge(compare(base, revision), runs)
            disagreements += bool(found)
            verdicts = " ".join(
                "✓" if r.passed else ("·" if r.passed is None else "✗") for r in runs
            )
            rows.append(f"| {case.name} | {verdicts} | {'**disagrees**' if found else 'agrees'} |")
    elapsed = time.perf_counter() - start
    return "\n".join(
        [
            "## Diff proved by execution on the hand-made corpus",
            "",
            f"`protocol-kit diff --prove` on each of the {len(CASES)} hand-made changes of the "
            "spec (`tests/diff/corpus.py`): the base's Python and JavaScript clients (their calls, "
            "then their unwrapping of the deliveries) against the reference server serving the "
            "change, and the changed kit against the reference server serving the base. A "
            "disagreement is a run that fails where the diff finds nothing breaking for its "
            f"audience. **{len(CASES) - disagreements} of {len(CASES)} agree.** ✓ passed, "
            "✗ failed, · not run: an unwrapping whose calls failed first, or every client run "
            "when the reference server cannot serve the change (an operation it has no handler "
            "for).",
            "",
            "| Change | Runs: Python calls, unwrap, JavaScript calls, unwrap, kit | Verdict |",
            "|---|---|---|",
            *rows,
            "",
            f"{elapsed:.0f} s in all. Machine: {report.machine()}. Command: `{report.command()}`.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.diff", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run for CI: the agreement with oasdiff only (Stripe's spec is not in CI)",
    )
    parser.add_argument("--repetitions", type=int, help="timed runs (default 3; quick 1)")
    parser.add_argument(
        "--prove",
        action="store_true",
        help="also prove every hand-made change by execution (several minutes)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="markdown file to update (default docs/benchmarks.md; quick: none)",
    )
    args = parser.parse_args(argv)
    output = args.output or (None if args.quick else report.DOCS)
    repetitions = args.repetitions or (1 if args.quick else 3)
    oasdiff = _oasdiff_section()
    if output is not None:
        report.write_section("diff", oasdiff, output)
    print(oasdiff.splitlines()[4])
    if args.prove and output is not None:
        proved = _proof_section()
        report.write_section("diff-prove", proved, output)
        print(proved.splitlines()[2])
    speed = None if args.quick else _speed_section(repetitions)
    if args.quick:
        return 0
    if speed is None:
        print(f"bench.diff: no Stripe fixture in {STRIPE}; to time it: {STRIPE_SETUP}")
    elif output is not None:
        report.write_section("diff-speed", speed, output)
        print(speed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
