"""Machine-readable results: every rule with its status, findings and transcripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from protocol_kit.conformance.outcome import Outcome
from protocol_kit.conformance.reports import reproduction
from protocol_kit.conformance.reports.visible import visible
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import Finding, RuleResult

WARNING = "warning"  # the status of a failed SHOULD, unless the run is strict
# The format's version, documented with the format itself in SCHEMA (shipped in the package).
REPORT_VERSION = 2
SCHEMA = Path(__file__).with_name("verify-report.schema.json")


def document(outcome: Outcome, show_secrets: bool) -> dict[str, Any]:
    made: dict[str, Any] = _visible(
        {
            "report_version": REPORT_VERSION,
            "tool": "protocol-kit verify",
            "base_url": outcome.base_url,
            "seed": outcome.seed,
            "elapsed_seconds": round(outcome.elapsed, 3),
            "conformant": not outcome.failed and not outcome.interrupted,
            "strict": outcome.strict,
            "interrupted": outcome.interrupted,
            "verdict": outcome.verdict(),
            "counts": outcome.counts(),
            "groups": {g: outcome.counts(g) for g in outcome.groups},
            "results": [_result(r, outcome, show_secrets) for r in outcome.results],
            "notes": outcome.notes,
        }
    )
    return made


def write(path: Path, outcome: Outcome, show_secrets: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(outcome, show_secrets), indent=2), encoding="utf-8")


def _result(result: RuleResult, outcome: Outcome, show_secrets: bool) -> dict[str, Any]:
    return {
        "id": result.rule.id,
        "group": result.rule.group,
        "statement": result.rule.statement,
        "level": result.rule.level,
        "citation": {
            "text": result.rule.citation.text,
            "spec": result.rule.citation.spec,
            "docs": result.rule.citation.docs,
        },
        "status": WARNING if outcome.warns(result) else result.status,
        "baselined": result.baselined,
        "reason": result.reason,
        "blocked_by": result.blocked_by,
        "checks": result.checks,
        "findings": [_finding(f, outcome, show_secrets) for f in result.findings],
        "more_findings": result.omitted,
        "reproduce": reproduction.command(outcome, result),
    }


def _finding(finding: Finding, outcome: Outcome, show_secrets: bool) -> dict[str, Any]:
    return {
        "message": finding.message,
        "expected": finding.expected,
        "actual": finding.actual,
        "labels": dict(finding.labels),
        "exchange": _exchange(finding.exchange, outcome, show_secrets)
        if finding.exchange
        else None,
        "requests": [_exchange(e, outcome, show_secrets) for e in finding.requests],
        "script": reproduction.script(finding, outcome, show_secrets),
    }


def _exchange(exchange: Exchange, outcome: Outcome, show_secrets: bool) -> dict[str, Any]:
    return {
        "method": exchange.method,
        "url": exchange.url,
        "curl": reproduction.curl(exchange, outcome, show_secrets),
        "transcript": exchange.transcript(show_secrets),
        "status": exchange.status,
    }


def _visible(node: Any) -> Any:
    """Every string as a reader sees it in the other reports (control bytes as escapes)."""
    if isinstance(node, str):
        return visible(node)
    if isinstance(node, list):
        return [_visible(item) for item in node]
    if isinstance(node, dict):
        return {key: _visible(value) for key, value in node.items()}
    return node
