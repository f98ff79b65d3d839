"""Run a verification: preflight, the behavioural groups in order, the schemathesis phase, clean-up."""

from __future__ import annotations

import time
from collections.abc import Callable

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.outcome import FUZZ_GROUP, CouldNotRun, Options, Outcome, Progress
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.session import Account, Session, crash_message
from protocol_kit.conformance.transport import Transport
from protocol_kit.conformance.verdicts import FAILED, PASSED, SKIPPED, Blocked, Ledger


def run(contract: Contract, options: Options, progress: Progress) -> Outcome:
    started = time.time()
    transport = Transport(options.base_url)
    main = Account("main", options.token)
    other = Account("other", options.other_token) if options.other_token else None
    selected = [g for g in GROUPS if g.name in options.groups]
    ledger = Ledger([rule for group in selected for rule in group.rules])
    session = Session(contract, transport, ledger, options.seed, main, other)
    outcome = Outcome(options.base_url, options.seed, options.groups, [], {}, started)
    try:
        _preflight(session)
        for group in selected:
            progress("start", group.name, {"rules": len(group.rules)})
            began = time.monotonic()
            _run_group(session, group.name, group.check, [r.id for r in group.rules])
            outcome.durations[group.name] = time.monotonic() - began
            progress(
                "done",
                group.name,
                {"counts": _counts(ledger, group.name), "seconds": outcome.durations[group.name]},
            )
    finally:
        session.clean_up()
        transport.close()
    outcome.results = [
        result
        for result in ledger.results.values()
        if options.rules is None or result.rule.id in options.rules
    ]
    if FUZZ_GROUP in options.groups:
        from protocol_kit.conformance.fuzzing import (
            run_schemathesis,  # imported late: schemathesis is heavy
        )

        progress("start", FUZZ_GROUP, {})
        began = time.monotonic()
        results, notes = run_schemathesis(contract, options, progress)
        outcome.results += results
        outcome.notes += notes
        outcome.durations[FUZZ_GROUP] = time.monotonic() - began
        progress(
            "done",
            FUZZ_GROUP,
            {"counts": outcome.counts(FUZZ_GROUP), "seconds": outcome.durations[FUZZ_GROUP]},
        )
    outcome.elapsed = time.time() - started
    return outcome


def _counts(ledger: Ledger, group: str) -> dict[str, int]:
    counted = {PASSED: 0, FAILED: 0, SKIPPED: 0}
    for result in ledger.results.values():
        if result.rule.group == group:
            counted[result.status] += 1
    return counted


def _preflight(session: Session) -> None:
    """The first call decides whether the run can happen at all."""
    for account in (session.main, session.other):
        if account is None:
            continue
        exchange = session.listing(account, limit=1)
        if exchange.error:
            raise CouldNotRun(f"cannot reach {session.transport.base_url}: {exchange.error}")
        if exchange.status in (401, 403):
            flag = "--token" if account is session.main else "--other-token"
            raise CouldNotRun(
                f"the server rejected {flag} on the first call "
                f"(GET {session.contract.collection_path} answered {exchange.status})"
            )


def _run_group(
    session: Session, name: str, check: Callable[[Session], None], rule_ids: list[str]
) -> None:
    ledger = session.ledger
    session.blocked, session.crashes = None, []
    try:
        check(session)
    except Blocked as blocked:
        session.blocked = session.blocked or str(blocked)
    except Exception as exc:
        session.crashes.append(crash_message(exc))
    for message in session.crashes:
        # A check that crashed on the server's answer has not passed: fail the first rule
        # nobody judged yet (or the group's first), and say what happened.
        pending = [r for r in rule_ids if ledger.results[r].checks == 0] or rule_ids
        ledger.record(
            pending[0],
            False,
            message=f"{name}: {message}",
            expected="an answer the checks can read",
            actual=message,
        )
        session.blocked = session.blocked or message
    for rule_id in rule_ids:
        if ledger.results[rule_id].checks == 0:
            ledger.skip(
                rule_id,
                f"blocked: {session.blocked}"
                if session.blocked
                else "no check of this rule applied",
            )
