"""One deviation, one failure: how a failure that another rule's failure explains is reported."""

from __future__ import annotations

from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import (
    FAILED,
    PASSED,
    SKIPPED,
    Citation,
    Finding,
    Rule,
    RuleResult,
    attribute,
)

_RULES = {rule.id: rule for group in GROUPS for rule in group.rules}


def _result(
    rule_id: str,
    status: str = FAILED,
    relies_on: tuple[str, ...] = (),
    audits: bool = False,
    exchanges: tuple[Exchange, ...] = (),
) -> RuleResult:
    rule = Rule(rule_id, "g", "", Citation("/x", "p#a"), relies_on=relies_on, audits=audits)
    findings = [Finding("m", "e", "a", exchange) for exchange in exchanges] or [
        Finding("m", "e", "a")
    ]
    return RuleResult(rule, status, "", findings if status == FAILED else [], checks=1)


def _exchange() -> Exchange:
    return Exchange("GET", "http://127.0.0.1/v1/conversations", {}, b"", 500, {}, b"")


def _statuses(results: list[RuleResult]) -> dict[str, tuple[str, str]]:
    return {r.rule.id: (r.status, r.blocked_by) for r in attribute(results)}


def test_a_failure_whose_check_relies_on_a_failed_rule_is_blocked_by_the_root() -> None:
    results = [
        _result("ORDER"),
        _result("CURSOR", relies_on=("ORDER",)),
        _result("RANDOM", relies_on=("CURSOR",)),
        _result("ALONE"),
    ]
    assert _statuses(results) == {
        "ORDER": (FAILED, ""),
        "CURSOR": (SKIPPED, "ORDER"),
        "RANDOM": (SKIPPED, "ORDER"),
        "ALONE": (FAILED, ""),
    }
    blocked = attribute(results)[1]
    assert blocked.reason.startswith("blocked by ORDER: ") and not blocked.findings
    assert results[1].status == FAILED, "the results given are left as they were"


def test_a_rule_that_relies_on_a_passing_rule_keeps_its_failure() -> None:
    results = [_result("ORDER", PASSED), _result("CURSOR", relies_on=("ORDER",))]
    assert _statuses(results)["CURSOR"] == (FAILED, "")


def test_rules_explaining_each_other_are_both_reported() -> None:
    results = [_result("A", relies_on=("B",)), _result("B", relies_on=("A",))]
    assert _statuses(results) == {"A": (FAILED, ""), "B": (FAILED, "")}


def test_an_audit_whose_every_finding_another_rule_reports_is_blocked() -> None:
    reported, unreported = _exchange(), _exchange()
    results = [
        _result("MALFORMED", exchanges=(reported,)),
        _result("NO-5XX", audits=True, exchanges=(reported,)),
    ]
    assert _statuses(results)["NO-5XX"] == (SKIPPED, "MALFORMED")
    results[1] = _result("NO-5XX", audits=True, exchanges=(reported, unreported))
    assert _statuses(results)["NO-5XX"] == (FAILED, ""), "an answer nobody else reports"


def test_the_suite_s_reliances_name_rules_and_never_come_back() -> None:
    for rule in _RULES.values():
        assert set(rule.relies_on) <= set(_RULES), rule.id
        reachable, chain = set(), list(rule.relies_on)
        while chain:
            relied = chain.pop()
            if relied not in reachable:
                reachable.add(relied)
                chain += _RULES[relied].relies_on
        assert rule.id not in reachable, f"{rule.id} relies on itself through {sorted(reachable)}"


def test_an_audit_with_more_findings_than_shown_is_blocked_only_when_all_are_reported() -> None:
    reported = [_exchange() for _ in range(7)]
    audit = _result("NO-5XX", audits=True, exchanges=tuple(reported[:5]))
    audit.more, audit.omitted = [Finding("m", "e", "a", e) for e in reported[5:]], 2
    results = [_result("MALFORMED", exchanges=tuple(reported)), audit]
    assert _statuses(results)["NO-5XX"] == (SKIPPED, "MALFORMED")
    audit.omitted = 3  # one finding nobody kept: it may be an answer no other rule reports
    assert _statuses(results)["NO-5XX"] == (FAILED, "")
