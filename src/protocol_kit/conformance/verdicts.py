"""Rules, findings and the ledger that turns checks into per-rule results."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from protocol_kit.conformance.transport import Exchange
from protocol_kit.spec import Requirement, Spec
from protocol_kit.spec.view import REQUIREMENTS

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
_MAX_FINDINGS_PER_RULE = 5
_MAX_FINDINGS_KEPT_FOR_BASELINE = 500


SPEC_FILE = "openapi/conversations.yaml"
MUST, SHOULD = "MUST", "SHOULD"  # requirement levels (RFC 2119)


@dataclass(frozen=True)
class Citation:
    """Where a user reads what a rule checks: a JSON pointer into the spec and a docs page with
    the anchor of the statement on it (``errors#proto-method-not-allowed``)."""

    spec: str
    docs: str

    @property
    def docs_page(self) -> str:
        return self.docs.partition("#")[0]

    @property
    def docs_anchor(self) -> str:
        return self.docs.partition("#")[2]

    @property
    def text(self) -> str:
        anchor = f"#{self.docs_anchor}" if self.docs_anchor else ""
        return f"{SPEC_FILE}#{self.spec}; docs: docs/{self.docs_page}.md{anchor}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Rule:
    """One checkable statement of the contract, at its level: a failed MUST fails the run, a
    failed SHOULD is a warning."""

    id: str
    group: str
    statement: str
    citation: Citation
    level: str = MUST


@cache
def _catalogue() -> dict[str, Requirement]:
    return {found.id: found for found in Spec.load().requirements}


def requirement(rule_id: str, group: str) -> Rule:
    """The rule that checks the spec's requirement of the same id: statement, level and
    citation as the catalogue (``x-requirements``) words them."""
    found = _catalogue().get(rule_id)
    if found is None:  # the catalogue test names every rule without a requirement
        return Rule(rule_id, group, "", Citation(f"/{REQUIREMENTS}/{rule_id}", ""))
    return Rule(
        rule_id,
        group,
        found.statement,
        Citation(found.pointer, f"{found.page}#{found.anchor}"),
        found.level,
    )


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
