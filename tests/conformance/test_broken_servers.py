"""The kit against deliberately broken servers: each has exactly one deviation, each is caught,
and by the rule that is about that deviation."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.delivery_receiver import DeliveryReceiver
from protocol_kit.conformance.outcome import Options, Outcome
from protocol_kit.conformance.reports import html, json_report, junit, reproduction
from protocol_kit.conformance.rules import GROUPS, delivery, restart
from protocol_kit.conformance.runner import run
from protocol_kit.conformance.transport import NOT_JSON
from protocol_kit.conformance.verdicts import FAILED, PASSED, SKIPPED, Finding
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
    same broken server, gets the answer the failing request got: its status and, where the
    finding is about the answer's body, that body as far as the finding shows it. Each makes its
    own data, so they run side by side."""
    shown = [
        (result.rule.id, finding, printed[1])
        for result in outcome.results
        if result.status == FAILED
        for finding in result.findings
        if finding.exchange is not None
        and not finding.exchange.error
        and (printed := reproduction.shown(finding, outcome, show_secrets=False)) is not None
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        replayed = list(pool.map(lambda each: _replay(each[2], outcome.tokens), shown))
    for (rule_id, finding, text), (got, output, body) in zip(shown, replayed, strict=True):
        assert finding.exchange is not None
        status = finding.exchange.status
        assert got == status, (
            f"{rule_id}: the reproduction got {got}, the run got {status}\n{text}\n{output}"
        )
        about = _what_the_body_finding_shows(finding, outcome)
        if about is None:
            continue
        shows, take = about
        differences = _same(shows, take(body), text, "")
        assert not differences, (
            f"{rule_id}: the reproduction's answer differs from the run's: "
            f"{'; '.join(differences)}\n{text}\n{output}"
        )


def _what_the_body_finding_shows(
    finding: Finding, outcome: Outcome
) -> tuple[Any, Callable[[Any], Any]] | None:
    """What a finding about the failing answer's JSON body shows of it (the fields that differ,
    or the whole body when that is what was expected otherwise), and how to take the same from
    the replay's answer; None when the finding is about the status, or the reproduction cannot
    make what the answer is about: data the run deleted, or a whole account's list (it holds
    what the other replays made meanwhile)."""
    answer = finding.exchange
    prefix = f"{answer.status} " if answer is not None else ""
    if answer is None or answer.json is NOT_JSON or not finding.actual.startswith(prefix):
        return None
    collections = tuple(path for path in outcome.paths if "{" not in path)
    on_the_collection = urlsplit(answer.url).path.rstrip("/").endswith(collections)
    if on_the_collection and answer.method != "POST":
        return None
    script = reproduction.script(finding, outcome, False)
    if (len(finding.requests) > 1 and not script) or _says_it_left_out_requests(script):
        return None
    rest = finding.actual.removeprefix(prefix)
    item = rest.startswith("data[0] ")
    try:
        shown, _ = json.JSONDecoder().raw_decode(rest.removeprefix("data[0] "))
    except ValueError:
        return None
    if shown == answer.json:  # the whole answer: about the body unless a status was expected
        if re.fullmatch(r"\d{3}", finding.expected.strip()):
            return None
        return answer.json, lambda replayed: replayed
    if not isinstance(shown, dict):
        return None

    def fields(body: Any) -> Any:
        """The fields the finding shows, of the object (or a list page's first item)."""
        if item:
            data = body.get("data") if isinstance(body, dict) else None
            body = data[0] if isinstance(data, list) and data else None
        if not isinstance(body, dict):
            return body
        return {name: body.get(name, NOT_JSON) for name in shown}

    return fields(answer.json), fields


def _says_it_left_out_requests(script: str) -> bool:
    """Whether the script says its set-up is cut short (its last answer may then differ)."""
    return reproduction.LEFT_OUT.partition("{}")[2] in script


def _same(run: Any, replay: Any, text: str, at: str) -> list[str]:
    """Where the replay's answer differs from the run's (as JSON pointers): values the server
    makes up on its own (ids, timestamps) may differ, but not in type; all else must not."""
    where = at or "/"
    if isinstance(run, dict) and isinstance(replay, dict):
        if run.keys() != replay.keys():
            return [f"{where}: fields {sorted(run)} in the run, {sorted(replay)} replayed"]
        return [d for k in run for d in _same(run[k], replay[k], text, f"{at}/{k}")]
    if isinstance(run, list) and isinstance(replay, list):
        if len(run) != len(replay):
            return [f"{where}: {len(run)} items in the run, {len(replay)} replayed"]
        return [
            d
            for n, (r, p) in enumerate(zip(run, replay, strict=True))
            for d in _same(r, p, text, f"{at}/{n}")
        ]
    if run == replay and type(run) is type(replay):
        return []
    if _made_up(run, text) and _made_up(replay, text) and type(run) is type(replay):
        return []
    return [f"{where}: {_json(run)} in the run, {_json(replay)} replayed"]


def _made_up(value: Any, text: str) -> bool:
    """A value the server chose itself: a string or number (not a flag) that the reproduction
    does not send anywhere."""
    return (
        isinstance(value, str | int | float)
        and not isinstance(value, bool)
        and str(value) not in text
    )


def _json(value: Any) -> str:
    return "nothing" if value is NOT_JSON else json.dumps(value, ensure_ascii=False)


def _replay(text: str, tokens: dict[str, str]) -> tuple[int | None, str, Any]:
    """The status of the last answer the printed reproduction gets, what it printed, and that
    answer's body as JSON (``NOT_JSON`` when it is not)."""
    done = subprocess.run(
        ["sh", "-c", text],
        capture_output=True,
        text=True,
        env={**os.environ, **tokens},
        timeout=60,
        check=False,
    )
    statuses = re.findall(r"^HTTP/[\d.]+ (\d{3})", done.stdout, re.MULTILINE)
    # The last answer is the last block curl -i printed: its head, a blank line, its body
    # (line ends read as "\n").
    body = done.stdout.rpartition("\nHTTP/")[2].partition("\n\n")[2]
    try:
        parsed = json.loads(body) if body else NOT_JSON
    except ValueError:
        parsed = NOT_JSON
    return (int(statuses[-1]) if statuses else None), done.stdout[-2000:] + done.stderr, parsed
