"""Rules, findings and the ledger that turns checks into per-rule results."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from protocol_kit.conformance.transport import Exchange

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
_MAX_FINDINGS_PER_RULE = 5
_MAX_FINDINGS_KEPT_FOR_BASELINE = 500


SPEC_FILE = "openapi/conversations.yaml"
DOCS_FILES = ("docs/conversations.md", "docs/index.html")
HEADING_SEPARATOR = " › "


@dataclass(frozen=True)
class Citation:
    """Where a user reads what a rule checks: a JSON pointer into the spec and the heading (a
    path of headings, outermost first) of the generated docs (the Markdown page or the HTML
    reference)."""

    spec: str
    docs: str

    @property
    def text(self) -> str:
        return f"{SPEC_FILE}#{self.spec}; docs: “{self.docs}”"

    def __str__(self) -> str:
        return self.text


def cite(spec: str, docs: str) -> Citation:
    return Citation(spec, docs)


@dataclass(frozen=True)
class Rule:
    """One checkable statement of the contract."""

    id: str
    group: str
    statement: str
    citation: Citation


@dataclass
class Finding:
    """One observed violation of a rule."""

    message: str
    expected: str
    actual: str
    exchange: Exchange | None = None
    # Details printed under their own label (e.g. "schemathesis": that tool's own explanation).
    labels: dict[str, str] = field(default_factory=dict)
    # Every request the rule's check made up to the deviation, set-up included, in order.
    requests: list[Exchange] = field(default_factory=list)
    accepted: bool = False  # its case is one the baseline accepts


@dataclass
class RuleResult:
    rule: Rule
    status: str = SKIPPED
    reason: str = "not run"
    findings: list[Finding] = field(default_factory=list)
    checks: int = 0
    omitted: int = 0  # findings beyond the ones kept
    baselined: bool = False
    # The omitted findings themselves (up to a bound), for a baseline to tell known cases
    # from new ones; reports show ``findings``.
    more: list[Finding] = field(default_factory=list)


class Blocked(Exception):
    """A prerequisite failed: the rest of this check function cannot run meaningfully."""


class Ledger:
    """Collects pass/fail observations per rule id."""

    def __init__(self, rules: list[Rule], on_judged: Callable[[Rule], None] | None = None) -> None:
        self.results: dict[str, RuleResult] = {rule.id: RuleResult(rule) for rule in rules}
        self._on_judged = on_judged  # told once per rule, at its first observation
        self._lock = threading.Lock()  # parts of the suite run on threads of their own

    def record(
        self,
        rule_id: str,
        ok: bool,
        *,
        message: str = "",
        expected: str = "",
        actual: str = "",
        exchange: Exchange | None = None,
        requests: list[Exchange] | None = None,
    ) -> bool:
        with self._lock:
            result = self.results[rule_id]
            result.checks += 1
            first = result.checks == 1
            if ok:
                if result.status == SKIPPED:
                    result.status, result.reason = PASSED, ""
            else:
                result.status, result.reason = FAILED, ""
                if len(result.findings) < _MAX_FINDINGS_PER_RULE:
                    sequence = requests or ([exchange] if exchange is not None else [])
                    result.findings.append(
                        Finding(message, expected, actual, exchange, requests=list(sequence))
                    )
                else:
                    result.omitted += 1
                    if len(result.more) < _MAX_FINDINGS_KEPT_FOR_BASELINE:
                        sequence = [exchange] if exchange is not None else []
                        result.more.append(
                            Finding(message, expected, actual, exchange, requests=sequence)
                        )
        if first and self._on_judged is not None:
            self._on_judged(result.rule)
        return ok

    def skip(self, rule_id: str, reason: str) -> None:
        with self._lock:
            result = self.results[rule_id]
            if result.status == SKIPPED and result.reason == "not run":
                result.reason = reason
