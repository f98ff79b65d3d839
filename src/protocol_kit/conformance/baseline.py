"""Accepted failures: a text file of rule ids (one a line) that a run reports but does not fail on."""

from __future__ import annotations

from pathlib import Path

from protocol_kit.conformance.verdicts import FAILED, PASSED, RuleResult

_HEADER = (
    "# protocol-kit verify baseline: failures accepted for now, one rule id a line (the\n"
    "# property-based phase's as schemathesis:CHECK:METHOD PATH), so it holds for every seed.\n"
    "# Regenerate with `protocol-kit verify … --baseline PATH --baseline-update`.\n"
)


def load(path: Path) -> set[str]:
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


def apply(results: list[RuleResult], accepted: set[str]) -> list[str]:
    """Mark the failures the baseline accepts; return the accepted ids that ran and passed (the
    baseline can drop them)."""
    fixed = []
    for result in results:
        result.baselined = result.status == FAILED and result.rule.id in accepted
        if result.status == PASSED and result.rule.id in accepted:
            fixed.append(result.rule.id)
    return fixed


def write(path: Path, results: list[RuleResult]) -> None:
    failing = sorted((r for r in results if r.status == FAILED), key=lambda r: r.rule.id)
    lines = "".join(f"{r.rule.id}  # {r.rule.statement}\n" for r in failing)
    path.write_text(_HEADER + lines, encoding="utf-8")
