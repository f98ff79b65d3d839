"""Rules, findings and the ledger that turns checks into per-rule results."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
    # The rules whose behaviour this rule's checks use as a means (to make their data, to read
    # it back): when one of those fails, this rule's failure may only echo it.
    relies_on: tuple[str, ...] = ()
    # Judges every answer of the run, whichever rule's request provoked it: an answer that
    # another rule's finding is about is that rule's to report.
    audits: bool = False


@cache
def _catalogue() -> dict[str, Requirement]:
    return {found.id: found for found in Spec.load().requirements}


def requirement(
    rule_id: str, group: str, relies_on: tuple[str, ...] = (), audits: bool = False
) -> Rule:
    """The rule that checks the spec's requirement of the same id: statement, level and
    citation as the catalogue (``x-requirements``) words them."""
    found = _catalogue().get(rule_id)
    if found is None:  # the catalogue test names every rule without a requirement
        citation = Citation(f"/{REQUIREMENTS}/{rule_id}", "")
        return Rule(rule_id, group, "", citation, relies_on=relies_on, audits=audits)
    return Rule(
        rule_id,
        group,
        found.statement,
        Citation(found.pointer, f"{found.page}#{found.anchor}"),
        found.level,
        relies_on,
        audits,
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
    blocked_by: str = ""  # skipped because this rule's failure may explain this one's


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

    def skip(self, rule_id: str, reason: str, blocked_by: str = "") -> None:
        with self._lock:
            result = self.results[rule_id]
            if result.status == SKIPPED and result.reason == "not run":
                result.reason, result.blocked_by = reason, blocked_by


def attribute(results: list[RuleResult]) -> list[RuleResult]:
    """One deviation, one failure: a failed rule whose check relied on a rule that failed, or
    an audit whose every finding is an answer another failed rule reports, is blocked by the
    failure at the root of it (reported skipped, with ``blocked_by``). The results given are
    left as they are; those that change are copies."""
    by_id = {result.rule.id: result for result in results}
    failed = {rule_id for rule_id, result in by_id.items() if result.status == FAILED}
    explained_by = {
        rule_id: cause
        for rule_id in failed
        if (cause := _cause(by_id[rule_id], failed, by_id)) is not None
    }
    attributed = []
    for result in results:
        root = _root(result.rule.id, explained_by)
        if root is None:
            attributed.append(result)
            continue
        why = (
            f"its check relies on behaviour that {root} found failing"
            if explained_by[result.rule.id] in result.rule.relies_on
            else f"the answers it would fail are findings of {root}"
        )
        attributed.append(
            replace(
                result,
                status=SKIPPED,
                reason=f"blocked by {root}: {why}; judged again once {root} passes",
                findings=[],
                omitted=0,
                more=[],
                blocked_by=root,
            )
        )
    return attributed


def _cause(result: RuleResult, failed: set[str], by_id: dict[str, RuleResult]) -> str | None:
    """The failed rule that explains ``result``'s failure, if one does."""
    for relied in result.rule.relies_on:
        if relied in failed:
            return relied
    # An audit's findings beyond those kept cannot be told apart: it keeps its failure.
    if not result.rule.audits or result.omitted > len(result.more):
        return None
    reporters: dict[int, str] = {}
    for rule_id in sorted(failed):
        other = by_id[rule_id]
        if other.rule.audits:
            continue
        for finding in (*other.findings, *other.more):
            if finding.exchange is not None:
                reporters.setdefault(id(finding.exchange), rule_id)
    causes = [
        reporters.get(id(f.exchange)) if f.exchange else None
        for f in (*result.findings, *result.more)
    ]
    return causes[0] if causes and None not in causes else None


def _root(rule_id: str, explained_by: dict[str, str]) -> str | None:
    """The failure at the end of ``rule_id``'s chain of causes; None when nothing explains it
    or the chain comes back to it (rules explaining each other are both reported)."""
    seen = {rule_id}
    cause = explained_by.get(rule_id)
    while cause is not None and cause in explained_by:
        if cause in seen:
            return None
        seen.add(cause)
        cause = explained_by[cause]
    return cause
