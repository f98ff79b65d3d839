"""The kit against deliberately broken servers: each has exactly one deviation, each is caught,
and by the rule that is about that deviation."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.outcome import Options, Outcome
from protocol_kit.conformance.reports import html, json_report, junit
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.runner import run
from protocol_kit.conformance.verdicts import FAILED, PASSED
from tests.conformance.conftest import TOKENS
from tests.conformance.fake_server import FakeServer
from tests.conformance.report_checks import (
    assert_printable,
    assert_valid_junit,
    assert_valid_report,
)

# fault switch of tests/conformance/fake_server.py → the rule that must report it.
BROKEN = {
    # filters
    "muted-ignored": "LIST-FILTER-MUTED",
    "false-means-absent": "LIST-FILTER-MUTED",
    "archived-truthy": "LIST-FILTER-ARCHIVED",
    "pinned-by-message": "LIST-FILTER-PINNED",
    "archived-by-now": "LIST-FILTER-ARCHIVED",
    "filters-or": "LIST-FILTER-COMBINED",
    "group-ignored": "LIST-FILTER-GROUP",
    "filters-need-group": "LIST-FILTER-PINNED",
    "bool-lenient": "LIST-FILTER-VALUES",
    # pagination and order
    "oldest-first": "LIST-ORDER",
    "order-by-id-in-second": "LIST-ORDER",
    "order-by-last-update": "LIST-ORDER",
    "default-limit-20": "LIST-DEFAULT-LIMIT",
    "limit-clamp-50": "LIST-LIMIT",
    "limit-bounds-loose": "LIST-LIMIT-BOUNDS",
    "after-inclusive": "LIST-CURSOR-FORWARD",
    "before-from-top": "LIST-CURSOR-BACKWARD",
    "before-oldest-first": "LIST-CURSOR-BACKWARD",
    "has-more-page-full": "LIST-HAS-MORE",
    "before-has-more-false": "LIST-HAS-MORE",
    "cursor-unknown-empty": "LIST-CURSOR-UNKNOWN",
    "both-cursors": "LIST-CURSOR-BOTH",
    "cursor-must-match": "LIST-CURSOR-FILTERED-OUT",
    "unknown-query-400": "LIST-UNKNOWN-PARAMETER",
    # persistence and lifecycle
    "update-not-persisted": "LIFECYCLE-UPDATE-PERSISTS",
    "update-returns-old": "LIFECYCLE-UPDATE-RESPONSE",
    "update-replaces": "LIFECYCLE-UPDATE-RESPONSE",
    "update-sets-last-active": "LIFECYCLE-UPDATE-RESPONSE",
    "delete-noop": "LIFECYCLE-DELETED-404",
    "get-sets-last-opened": "LIFECYCLE-GET-NO-SIDE-EFFECTS",
    "dedupe-contact": "LIFECYCLE-CREATE-DISTINCT",
    "id-case-insensitive": "LIFECYCLE-UNKNOWN-ID-404",
    # validation
    "create-both-allowed": "CREATE-TARGET-EXCLUSIVE",
    "create-extra-allowed": "CREATE-UNKNOWN-ATTRIBUTE",
    "null-counts-as-given": "CREATE-NULL-IS-ABSENT",
    "create-id-lenient": "CREATE-ID-FORMAT",
    "created-at-ms": "CREATE-CREATED-AT",
    "sequential-ids": "CREATE-ID-RANDOM",
    "archived-default-now": "CREATE-DEFAULTS",
    "bool-coerce": "UPDATE-TYPES",
    "update-read-only-ignored": "UPDATE-READ-ONLY",
    "update-partial-apply": "UPDATE-UNKNOWN-ATTRIBUTE",
    "read-only-same-value-ok": "UPDATE-READ-ONLY",
    "timestamp-negative-allowed": "UPDATE-TYPES",
    "timestamp-max-int32": "UPDATE-TIMESTAMP-RANGE",
    "float-timestamp-rejected": "UPDATE-INTEGRAL-FLOAT",
    "null-ignored": "UPDATE-NULL-CLEARS",
    "update-empty-400": "UPDATE-EMPTY",
    "update-lost-write": "UPDATE-CONCURRENT-NO-LOST-WRITES",
    "malformed-json-500": "CREATE-MALFORMED-BODY",
    # content types and sizes
    "form-unsupported": "CREATE-FORM",
    "form-untyped": "UPDATE-FORM",
    "form-empty-kept": "UPDATE-FORM-EMPTY-IS-NULL",
    "media-type-ignored": "PROTO-UNSUPPORTED-MEDIA-TYPE",
    "media-type-exact": "PROTO-MEDIA-TYPE-PARAMETERS",
    "no-size-limit": "PROTO-PAYLOAD-TOO-LARGE",
    "size-limit-decimal": "PROTO-PAYLOAD-TOO-LARGE",
    # auth
    "no-www-authenticate": "AUTH-WWW-AUTHENTICATE",
    "unknown-token-403": "AUTH-UNKNOWN-TOKEN",
    "auth-prefix-token": "AUTH-UNKNOWN-TOKEN",
    "auth-any-scheme": "AUTH-MALFORMED",
    "auth-skip-delete": "AUTH-MISSING",
    "auth-after-lookup": "AUTH-BEFORE-ID",
    "validate-before-auth": "AUTH-BEFORE-VALIDATION",
    "auth-scheme-case-sensitive": "AUTH-SCHEME-CASE-INSENSITIVE",
    "auth-token-case-folded": "AUTH-TOKEN-EXACT",
    # isolation
    "isolation-off": "ISOLATION-GET",
    "isolation-list": "ISOLATION-LIST",
    "cursor-any-account": "ISOLATION-CURSOR",
    "has-more-all-accounts": "ISOLATION-LIST",
    # status codes
    "create-200": "LIFECYCLE-CREATE-201",
    "delete-200": "LIFECYCLE-DELETE-204",
    "malformed-id-400": "LIFECYCLE-UNKNOWN-ID-404",
    "deleted-410": "LIFECYCLE-DELETED-404",
    "method-404": "PROTO-METHOD-NOT-ALLOWED",
    "head-allowed": "PROTO-METHOD-NOT-ALLOWED",
    "options-allowed": "PROTO-METHOD-NOT-ALLOWED",
    "no-allow-header": "PROTO-ALLOW-HEADER",
    "auth-before-routing": "PROTO-ROUTING-BEFORE-AUTH",
    "trailing-slash-redirect": "PROTO-UNKNOWN-PATH",
    # shapes
    "extra-field": "PROTO-RESPONSE-SHAPE",
    "missing-field": "PROTO-RESPONSE-SHAPE",
    "list-no-has-more": "PROTO-RESPONSE-SHAPE",
    "error-no-doc-url": "PROTO-ERROR-SHAPE",
    "error-type-wrong": "PROTO-ERROR-SHAPE",
    "error-text-plain": "PROTO-JSON-RESPONSES",
    "success-text-plain": "PROTO-JSON-RESPONSES",
    "error-message-generic": "PROTO-ERROR-MESSAGE",
}
_GROUP_OF = {rule.id: group.name for group in GROUPS for rule in group.rules}


def _verify(server: FakeServer, contract: Contract, groups: list[str], seed: int = 7) -> Outcome:
    options = Options(server.url, TOKENS[0], TOKENS[1], seed=seed, groups=groups)
    return run(contract, options, lambda *event: None)


def _failed(outcome: Outcome) -> set[str]:
    return {r.rule.id for r in outcome.results if r.status == FAILED}


def test_the_fake_server_without_faults_passes_every_rule(
    fake_server: FakeServer, contract: Contract
) -> None:
    fake_server.reset(set())
    outcome = _verify(fake_server, contract, [g.name for g in GROUPS])
    assert _failed(outcome) == set()
    assert {r.status for r in outcome.results} == {PASSED}


def test_the_battery_covers_every_group() -> None:
    assert len(BROKEN) >= 25
    assert {_GROUP_OF[rule] for rule in BROKEN.values()} == {g.name for g in GROUPS}


@pytest.mark.parametrize(("fault", "rule_id"), sorted(BROKEN.items()))
def test_each_single_deviation_is_caught_by_its_rule(
    fake_server: FakeServer, contract: Contract, fault: str, rule_id: str, tmp_path: Path
) -> None:
    fake_server.reset({fault})
    # Only the rule's own group: the assertion is about that rule (protocol audits its own traffic).
    outcome = _verify(fake_server, contract, [_GROUP_OF[rule_id]])
    failed = _failed(outcome)
    assert rule_id in failed, f"{fault} was not reported by {rule_id}; failed: {sorted(failed)}"
    finding = outcome.results[[r.rule.id for r in outcome.results].index(rule_id)].findings[0]
    assert finding.message and (finding.expected or finding.actual)
    _assert_reports_valid(outcome, tmp_path)


def _assert_reports_valid(outcome: Outcome, tmp_path: Path) -> None:
    """The failing run's reports are what a CI and a browser can read."""
    junit.write(tmp_path / "junit.xml", outcome)
    cases = assert_valid_junit(tmp_path / "junit.xml").getroot().iter("testcase")
    assert any(case.find("failure") is not None for case in cases)
    assert_valid_report(json_report.document(outcome, show_secrets=False))
    html.write(tmp_path / "report.html", outcome, show_secrets=False)
    assert_printable((tmp_path / "report.html").read_text(encoding="utf-8"), "the HTML report")
