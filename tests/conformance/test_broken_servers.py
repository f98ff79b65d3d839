"""The kit against deliberately broken servers: each has exactly one deviation, each is caught,
and by the rule that is about that deviation."""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.delivery_receiver import DeliveryReceiver
from protocol_kit.conformance.outcome import Options, Outcome
from protocol_kit.conformance.reports import html, json_report, junit, reproduction
from protocol_kit.conformance.rules import GROUPS, delivery, restart
from protocol_kit.conformance.runner import run
from protocol_kit.conformance.verdicts import FAILED, PASSED, SKIPPED
from protocol_kit.conformance.webhooks import WebhookSetup
from tests.conformance.report_checks import (
    assert_printable,
    assert_valid_junit,
    assert_valid_report,
)
from tests.support.caught_faults import CAUGHT
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.fake_webhooks import webhook_setup
from tests.support.faults import BROKEN

# What a Python repr looks like where JSON was meant: 'key': …, True/False/None as words.
PYTHON_REPR = re.compile(r"'[^']*': |[\[{(:, ](True|False|None)\b")
_GROUP_OF = {rule.id: group.name for group in GROUPS for rule in group.rules}
_WEBHOOK_FAULTS = {f: rule for f, rule in BROKEN.items() if _GROUP_OF[rule] == "webhooks"}
_OTHER_FAULTS = {f: rule for f, rule in BROKEN.items() if f not in _WEBHOOK_FAULTS}
# Every group a run judges without opt-in flags and a receiver: a fault must fail its own rule
# and no other.
_WITHOUT_WEBHOOKS = [g.name for g in GROUPS if g.name not in ("webhooks", "delivery", "restart")]


def _verify(
    server: FakeServer,
    contract: Contract,
    groups: list[str],
    seed: int = 7,
    webhooks: WebhookSetup | None = None,
) -> Outcome:
    options = Options(server.url, TOKENS[0], TOKENS[1], seed=seed, groups=groups, webhooks=webhooks)
    return run(contract, options, lambda *event: None)


def _failed(outcome: Outcome) -> set[str]:
    return {r.rule.id for r in outcome.results if r.status == FAILED}


@pytest.fixture(scope="module")
def webhook_runs(contract: Contract) -> dict[str | None, Outcome]:
    """The runs whose time goes into waiting for deliveries (retries, a stalled answer), all at
    once, each on a fake server and receiver of its own: every webhook deviation with the
    webhooks group, and the fault-free server (None) with every group."""

    def run_one(fault: str | None) -> Outcome:
        with (
            DeliveryReceiver() as receiver,
            FakeServer(TOKENS, {fault} if fault else set()) as server,
        ):
            hooks = webhook_setup(receiver)
            server.subscribe(receiver.url, hooks.secret)
            # A webhook fault changes only what is delivered: the webhooks group judges it all.
            groups = ["webhooks"] if fault else [g.name for g in GROUPS]
            return _verify(server, contract, groups, webhooks=hooks)

    faults = [None, *sorted(_WEBHOOK_FAULTS)]
    with ThreadPoolExecutor(max_workers=len(faults)) as pool:
        return dict(zip(faults, pool.map(run_one, faults), strict=True))


def test_the_fake_server_without_faults_passes_every_rule(
    webhook_runs: dict[str | None, Outcome],
) -> None:
    outcome = webhook_runs[None]
    assert _failed(outcome) == set()
    opt_in = delivery.OPT_IN | restart.OPT_IN
    assert {r.status for r in outcome.results if r.rule.id not in opt_in} == {PASSED}


def test_the_battery_covers_every_group() -> None:
    assert len(BROKEN) >= 25
    assert {_GROUP_OF[rule] for rule in (BROKEN | CAUGHT).values()} == {g.name for g in GROUPS}


def test_without_a_receiver_webhooks_are_not_verified(
    fake_server: FakeServer, contract: Contract
) -> None:
    fake_server.reset({"webhook-skip-deleted"})
    outcome = _verify(fake_server, contract, ["webhooks"])
    assert outcome.results and {r.status for r in outcome.results} == {SKIPPED}
    assert all("--webhook-listen" in r.reason for r in outcome.results)


@pytest.mark.parametrize(("fault", "rule_id"), sorted(_OTHER_FAULTS.items()))
def test_each_single_deviation_is_caught_by_its_rule(
    fake_server: FakeServer, contract: Contract, fault: str, rule_id: str, tmp_path: Path
) -> None:
    fake_server.reset({fault})
    outcome = _verify(fake_server, contract, _WITHOUT_WEBHOOKS)
    _assert_caught(outcome, fault, rule_id, tmp_path)
    _assert_reproductions_reproduce(outcome)


@pytest.mark.parametrize(("fault", "rule_id"), sorted(_WEBHOOK_FAULTS.items()))
def test_each_webhook_deviation_is_caught_by_its_rule(
    webhook_runs: dict[str | None, Outcome], fault: str, rule_id: str, tmp_path: Path
) -> None:
    _assert_caught(webhook_runs[fault], fault, rule_id, tmp_path)


def _assert_caught(outcome: Outcome, fault: str, rule_id: str, tmp_path: Path) -> None:
    failed = _failed(outcome)
    # One deviation, one failure: a rule whose check the deviation broke says it is blocked.
    assert failed == {rule_id}, (
        f"{fault}: expected only {rule_id} to fail; failed: {sorted(failed)}"
    )
    blocked = {r.rule.id: r.blocked_by for r in outcome.results if r.blocked_by}
    assert set(blocked.values()) <= {rule_id}, blocked
    finding = outcome.results[[r.rule.id for r in outcome.results].index(rule_id)].findings[0]
    assert finding.message and (finding.expected or finding.actual)
    _assert_reports_valid(outcome, tmp_path)
    for result in outcome.results:
        for shown in result.findings:
            for text in (shown.message, shown.expected, shown.actual):
                assert not PYTHON_REPR.search(text), f"{result.rule.id}: Python notation in {text}"
            answer = shown.exchange
            if answer is not None and answer.response_body and shown.actual:
                # A failure about an answer shows what it said, not its status alone.
                assert not re.fullmatch(r"\d{3}", shown.actual.strip()), (result.rule.id, shown)


def _assert_reports_valid(outcome: Outcome, tmp_path: Path) -> None:
    """The failing run's reports are what a CI and a browser can read."""
    junit.write(tmp_path / "junit.xml", outcome)
    cases = list(assert_valid_junit(tmp_path / "junit.xml").getroot().iter("testcase"))
    # A failed MUST is a <failure>; a failed SHOULD, a warning, a <skipped> that says so.
    warned = [c.find("skipped") for c in cases if c.find("skipped") is not None]
    assert any(case.find("failure") is not None for case in cases) or any(
        (skipped.text or "").startswith("WARNING") for skipped in warned
    )
    assert_valid_report(json_report.document(outcome, show_secrets=False))
    html.write(tmp_path / "report.html", outcome, show_secrets=False)
    assert_printable((tmp_path / "report.html").read_text(encoding="utf-8"), "the HTML report")


def _assert_reproductions_reproduce(outcome: Outcome) -> None:
    """Every reproduction the run prints (a script or one curl command), run by sh against the
    same broken server, gets the answer the failing request got. Each makes its own data, so
    they run side by side."""
    shown = [
        (result.rule.id, finding.exchange.status, printed[1])
        for result in outcome.results
        if result.status == FAILED
        for finding in result.findings
        if finding.exchange is not None
        and not finding.exchange.error
        and (printed := reproduction.shown(finding, outcome, show_secrets=False)) is not None
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        replayed = list(pool.map(lambda each: _replay(each[2], outcome.tokens), shown))
    for (rule_id, status, text), (got, output) in zip(shown, replayed, strict=True):
        assert got == status, (
            f"{rule_id}: the reproduction got {got}, the run got {status}\n{text}\n{output}"
        )


def _replay(text: str, tokens: dict[str, str]) -> tuple[int | None, str]:
    """The status of the last answer the printed reproduction gets, and what it printed."""
    done = subprocess.run(
        ["sh", "-c", text],
        capture_output=True,
        text=True,
        env={**os.environ, **tokens},
        timeout=60,
        check=False,
    )
    statuses = re.findall(r"^HTTP/[\d.]+ (\d{3})", done.stdout, re.MULTILINE)
    return (int(statuses[-1]) if statuses else None), done.stdout[-2000:] + done.stderr
