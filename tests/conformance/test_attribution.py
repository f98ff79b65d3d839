"""One deviation, one failure: how a failure that another rule's failure explains is reported."""

from __future__ import annotations

import io
import json

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.outcome import Options
from protocol_kit.conformance.reports import json_report, terminal
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.runner import run
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
from tests.support.fake_server import TOKENS, FakeServer

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


def test_a_run_reports_the_rules_an_order_fault_blocks_in_every_report(
    fake_server: FakeServer, contract: Contract
) -> None:
    fake_server.reset({"oldest-first"})
    options = Options(fake_server.url, TOKENS[0], TOKENS[1], seed=5, groups=["list"])
    outcome = run(contract, options, lambda *event: None)
    by_id = {r.rule.id: r for r in outcome.results}
    assert [r.rule.id for r in outcome.results if r.status == FAILED] == ["LIST-ORDER"]
    blocked = sorted(rule_id for rule_id, r in by_id.items() if r.blocked_by == "LIST-ORDER")
    assert "LIST-CURSOR-FORWARD" in blocked and by_id["LIST-CURSOR-FORWARD"].status == SKIPPED
    printed = io.StringIO()
    terminal.summary(outcome, show_secrets=False, stream=printed)
    assert "blocked by LIST-ORDER" in printed.getvalue()
    document = json.loads(json.dumps(json_report.document(outcome, show_secrets=False)))
    shown = {r["id"]: r["blocked_by"] for r in document["results"] if r["blocked_by"]}
    assert sorted(shown) == blocked and set(shown.values()) == {"LIST-ORDER"}
