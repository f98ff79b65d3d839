"""Accepted failures: a text file of rule ids (one a line) that a run reports but does not fail on."""

from __future__ import annotations

from pathlib import Path

from protocol_kit.conformance.verdicts import FAILED, RuleResult

_HEADER = (
    "# protocol-kit verify baseline: failures accepted for now, one rule id a line.\n"
    "# Regenerate with `protocol-kit verify … --baseline PATH --baseline-update`.\n"
)


def load(path: Path) -> set[str]:
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


def apply(results: list[RuleResult], accepted: set[str]) -> None:
    for result in results:
        result.baselined = result.status == FAILED and result.rule.id in accepted


def write(path: Path, results: list[RuleResult]) -> None:
    failing = sorted(r.rule.id for r in results if r.status == FAILED)
    path.write_text(_HEADER + "".join(f"{rule_id}\n" for rule_id in failing), encoding="utf-8")
