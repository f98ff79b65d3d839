"""Machine-readable results: every rule with its status, findings and transcripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from protocol_kit.conformance.outcome import Outcome
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import RuleResult


def document(outcome: Outcome, show_secrets: bool) -> dict[str, Any]:
    return {
        "tool": "protocol-kit verify",
        "base_url": outcome.base_url,
        "seed": outcome.seed,
        "elapsed_seconds": round(outcome.elapsed, 3),
        "conformant": not outcome.failed,
        "counts": outcome.counts(),
        "groups": {g: outcome.counts(g) for g in outcome.groups},
        "results": [_result(r, show_secrets) for r in outcome.results],
        "notes": outcome.notes,
    }


def write(path: Path, outcome: Outcome, show_secrets: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(outcome, show_secrets), indent=2), encoding="utf-8")


def _result(result: RuleResult, show_secrets: bool) -> dict[str, Any]:
    return {
        "id": result.rule.id,
        "group": result.rule.group,
        "statement": result.rule.statement,
        "citation": result.rule.citation,
        "status": result.status,
        "baselined": result.baselined,
        "reason": result.reason,
        "checks": result.checks,
        "findings": [
            {
                "message": f.message,
                "expected": f.expected,
                "actual": f.actual,
                "exchange": _exchange(f.exchange, show_secrets) if f.exchange else None,
            }
            for f in result.findings
        ],
        "more_findings": result.omitted,
    }


def _exchange(exchange: Exchange, show_secrets: bool) -> dict[str, Any]:
    return {
        "curl": exchange.curl(show_secrets),
        "transcript": exchange.transcript(show_secrets),
        "status": exchange.status,
    }
