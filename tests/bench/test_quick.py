"""Every bench's `--quick` mode runs end to end and writes its section, so the benches never rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import write_section
from tests.support.paths import REPO


def _run_quick(name: str, output: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,  # a quick run, but on a loaded 2-core machine
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return output.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "server",
            [
                "## Server throughput and latency",
                "| get | 16 | reference |",
                "| update | 16 | floor |",
            ],
        ),
        (
            "scale",
            [
                "## Scale",
                "| 10,000 |",
                "deep page",
                "| muted+archived+pinned+group_id | rare",
                "Targets",
            ],
        ),
        (
            "scale_postgres",
            [
                "## Scale on PostgreSQL",
                "| 10,000 |",
                "| muted+archived+pinned+group_id | rare",
                "Targets",
            ],
        ),
        (
            "webhooks",
            [
                "## Webhooks and create throughput",
                "| 16 |",
                "every acknowledged create was delivered",
            ],
        ),
        ("fuzz", ["## Long fuzz (schemathesis)", "Result: **found nothing**"]),
        ("client", ["## Client overhead", "| get |", "| list |"]),
        ("generator", ["## Generator", "| protocol-kit generate"]),
        ("diff", ["## Diff: agreement with oasdiff", "**Agreement:", "| Pair | oasdiff |"]),
        (
            "conformance",
            ["## Conformance run", "`protocol-kit verify`", "| 0 |", "Deviations caught"],
        ),
    ],
)
def test_quick_bench_writes_its_section(name: str, expected: list[str], tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"
    output.write_text(
        "# Benchmarks\n\n<!-- bench:other:start -->\nkept\n<!-- bench:other:end -->\n"
    )
    text = _run_quick(name, output)
    assert f"<!-- bench:{name}:start -->" in text and f"<!-- bench:{name}:end -->" in text
    assert "kept" in text, "another bench's section was lost"
    for fragment in expected:
        assert fragment in text


def test_a_section_is_replaced_in_place(tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"
    write_section("a", "first A", output)
    write_section("b", "only B", output)
    write_section("a", "second A", output)
    text = output.read_text(encoding="utf-8")
    assert (
        text.count("<!-- bench:a:start -->") == 1 and "second A" in text and "first A" not in text
    )
    assert text.index("second A") < text.index("only B"), "section a moved"
