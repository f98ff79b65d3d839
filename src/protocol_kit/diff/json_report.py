"""A diff as JSON, in the format that SCHEMA (shipped in the package) documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .model import Change, Level, Location, Report

REPORT_VERSION = 1
SCHEMA = Path(__file__).with_name("diff-report.schema.json")


def document(report: Report) -> dict[str, Any]:
    return {
        "report_version": REPORT_VERSION,
        "tool": "protocol-kit diff",
        "base": {"source": report.base, "version": report.base_version},
        "revision": {"source": report.revision, "version": report.revision_version},
        "level": report.level().value,
        "counts": {level.value: report.count(level) for level in Level},
        "changes": [_change(c) for c in report.changes],
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "level": change.level.value,
        "breaks": {who: level.value for who, level in change.impact},
        "context": change.context,
        "also_in": list(change.also_in),
        "message": change.message,
        "base": _location(change.base),
        "revision": _location(change.revision),
    }


def _location(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"pointer": location.pointer, "line": location.line, "column": location.column}
