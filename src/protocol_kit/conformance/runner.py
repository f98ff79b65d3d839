"""Run a verification: preflight, the behavioural groups in order, the schemathesis phase, clean-up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.control import Interrupted, RunControl
from protocol_kit.conformance.outcome import (
    FUZZ_GROUP,
    WARNINGS,
    CouldNotRun,
    Options,
    Outcome,
    Progress,
    counted,
    warns,
)
from protocol_kit.conformance.rules import GROUPS, Group
from protocol_kit.conformance.session import Account, Session, crash_message
from protocol_kit.conformance.transport import Transport
from protocol_kit.conformance.verdicts import (
    FAILED,
    PASSED,
    SKIPPED,
    Blocked,
    Ledger,
    Rule,
    RuleResult,
    attribute,
)

if TYPE_CHECKING:
    from protocol_kit.conformance.fuzzing import Phase


def run(contract: Contract, options: Options, progress: Progress) -> Outcome:
    """Verify the server; stopped by ``Interrupted`` (Ctrl-C, SIGTERM), the outcome holds what
    was judged until then, and what the run created is deleted all the same."""
    started = time.time()
    display = _InOrder(progress)
    control = options.control or RunControl()
    transport = Transport(options.base_url)
    main = Account("main", options.token)
    other = Account("other", options.other_token) if options.other_token else None
    control.track(lambda: [*main.created, *(other.created if other else [])])
    selected = [g for g in GROUPS if g.name in options.groups]
    chosen = options.rules  # None: every rule of the selected groups

    def judged(rule: Rule) -> None:
        if chosen is None or rule.id in chosen:
            display("rule", rule.group, {"rule": rule.id})

    ledger = Ledger([rule for group in selected for rule in group.rules], judged)
    session = Session(contract, transport, ledger, options.seed, main, other, options.webhooks)
    session.control = control
    session.given_tokens = frozenset(
        filter(
            None, (options.token, options.other_token, options.fuzz_token, options.fuzz_other_token)
        )
    )
    outcome = _outcome(options, started)
    outcome.paths = sorted(contract.methods_by_path)
    fuzzing = FUZZ_GROUP in options.groups
    phase = None
    suite_reported = False
    try:
        try:
            _check_selection(options, [g for g in selected if not g.needs_other_account])
            _preflight(session, _fuzz_accounts(options) if fuzzing else [])
            _check_accounts(session, _fuzz_accounts(options) if fuzzing else [])
            if fuzzing and options.fuzz_token:
                # Accounts of its own: nothing it does can disturb the suite's, so it runs now.
                phase = _phase(contract, options, display)
            alongside = {
                g.name: _Alongside(session, g, outcome.durations) for g in selected if g.alongside
            }
            for group in selected:
                shown = [r for r in group.rules if chosen is None or r.id in chosen]
                display.start(group.name, {"rules": len(shown)})
                if group.name in alongside:
                    alongside[group.name].join()
                else:
                    began = time.monotonic()
                    with session.gate.quiet():
                        _run_group(session, group.name, group.check, [r.id for r in group.rules])
                    outcome.durations[group.name] = time.monotonic() - began
                counts = _counts(ledger, group.name, chosen, options.strict)
                seconds = outcome.durations[group.name]
                display("done", group.name, {"counts": counts, "seconds": seconds})
        except BaseException:
            _stop(control, options, phase)
            raise
        finally:
            outcome.results = _reported(ledger, chosen, control.stopping.is_set())
            suite_reported = True
            _leave_or_clean_up(session, options, outcome)
        if fuzzing:
            phase = phase or _phase(contract, options, display)
            display.start(FUZZ_GROUP, {})
            results, notes = phase.collect()
            outcome.results += results
            outcome.notes += notes
            outcome.durations[FUZZ_GROUP] = phase.seconds
            counts = outcome.counts(FUZZ_GROUP)
            display("done", FUZZ_GROUP, {"counts": counts, "seconds": phase.seconds})
    except Interrupted:
        # Also when the signal came during the suite's clean-up or the phase: finish both.
        outcome.interrupted = True
        _stop(control, options, phase)
        if not suite_reported:
            outcome.results = _reported(ledger, chosen, True)
        _leave_or_clean_up(session, options, outcome)
        if phase is not None and not any(r.rule.group == FUZZ_GROUP for r in outcome.results):
            results, notes = phase.collect()
            outcome.results += results
            outcome.notes += notes
    finally:
        transport.close()
    left = "" if options.keep_data else control.what_may_be_left()
    if left:  # what clean-up could not delete, or cannot know of
        outcome.notes.append(f"clean-up: {left}")
    outcome.elapsed = time.time() - started
    return outcome


def _outcome(options: Options, started: float) -> Outcome:
    outcome = Outcome(options.base_url, options.seed, options.groups, [], {}, started)
    outcome.max_examples = options.max_examples
    outcome.strict = options.strict
    outcome.keep_data = options.keep_data
    outcome.tokens = {"TOKEN": options.token}
    if options.other_token:
        outcome.tokens["OTHER_TOKEN"] = options.other_token
    if FUZZ_GROUP in options.groups and options.fuzz_token:
        outcome.tokens["FUZZ_TOKEN"] = options.fuzz_token
        if options.fuzz_other_token:
            outcome.tokens["FUZZ_OTHER_TOKEN"] = options.fuzz_other_token
    return outcome


def _stop(control: RunControl, options: Options, phase: Phase | None) -> None:
    """Tell every thread of the run to stop: the suite's (their next request or verdict ends
    them, their waits for deliveries end now) and the schemathesis phase."""
    control.stopping.set()
    if options.webhooks is not None:
        options.webhooks.receiver.abandon()
    if phase is not None:
        phase.cancel()


def _reported(ledger: Ledger, chosen: set[str] | None, interrupted: bool) -> list[RuleResult]:
    """The results to report, as they stand: when the run was interrupted, a copy made now
    (threads still finishing must not change it) with the rules not judged yet said so."""
    results = []
    for result in list(ledger.results.values()):
        if interrupted:
            result = replace(result, findings=list(result.findings))
            if result.status == SKIPPED and result.reason == "not run":
                result.reason = "not run: the run was interrupted"
        results.append(result)
    # Attributed over every rule run, chosen or not: a rule chosen with --only that only
    # echoes another's failure says which.
    return [r for r in attribute(results) if chosen is None or r.rule.id in chosen]


def _leave_or_clean_up(session: Session, options: Options, outcome: Outcome) -> None:
    """Delete what the rules created, or with --keep-data say which conversations are kept."""
    if not options.keep_data:
        session.clean_up()
        return
    session.control.wait_idle(timeout=5)
    kept = [
        f"{counted(len(account.created), 'conversation')} of {flag} ({', '.join(account.created)})"
        for flag, account in (("--token", session.main), ("--other-token", session.other))
        if account is not None and account.created
    ]
    if any(note.startswith("--keep-data:") for note in outcome.notes):
        return
    outcome.notes.append(
        "--keep-data: the rules' data is kept: " + "; ".join(kept)
        if kept
        else "--keep-data: none of the conversations the rules made is left (they deleted them)"
    )


class _InOrder:
    """Progress in the groups' order, whatever order the work happens in: what a group reports
    before its turn (the schemathesis phase running alongside the suite) waits for it."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._shown: set[str] = set()
        self._held: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def start(self, group: str, detail: dict[str, Any]) -> None:
        with self._lock:
            self._progress("start", group, detail)
            self._shown.add(group)
            for event, held in self._held.pop(group, []):
                self._progress(event, group, held)

    def __call__(self, event: str, group: str, detail: dict[str, Any]) -> None:
        with self._lock:
            if group in self._shown:
                self._progress(event, group, detail)
            else:
                self._held.setdefault(group, []).append((event, detail))


class _Alongside:
    """A group running on a thread of its own from the start (it mostly waits), reported in its
    turn; its writes go between the other groups' turns (the session's gate)."""

    def __init__(self, session: Session, group: Group, durations: dict[str, float]) -> None:
        self._session, self._group, self._durations = session, group, durations
        self._fork = session.fork(group.name, alongside=True)
        self._thread = threading.Thread(target=self._run, name=group.name, daemon=True)
        # Waited on instead of the thread: a Thread.join interrupted by a signal may afterwards
        # return at once although the thread still runs.
        self._done = threading.Event()
        self._thread.start()

    def join(self) -> None:
        self._done.wait()
        self._session.join(self._fork)

    def _run(self) -> None:
        began = time.monotonic()
        group = self._group
        try:
            _run_group(self._fork, group.name, group.check, [r.id for r in group.rules])
        finally:
            self._durations[group.name] = time.monotonic() - began
            self._done.set()


def _phase(contract: Contract, options: Options, progress: Progress) -> Phase:
    from protocol_kit.conformance.fuzzing import Phase  # imported late: only when fuzzing

    return Phase(contract, options, progress).start()


def _fuzz_accounts(options: Options) -> list[Account]:
    """The schemathesis phase's own accounts, when it has them."""
    tokens = [
        ("--fuzz-token", options.fuzz_token),
        ("--fuzz-other-token", options.fuzz_other_token),
    ]
    return [Account(flag, token) for flag, token in tokens if token]


def _counts(ledger: Ledger, group: str, chosen: set[str] | None, strict: bool) -> dict[str, int]:
    """The group's rules by status (a failed SHOULD as a warning unless the run is strict, a
    failure another rule's explains as skipped), counting only the rules the run reports
    (``chosen``)."""
    tally = {PASSED: 0, FAILED: 0, SKIPPED: 0, WARNINGS: 0}
    for result in attribute(list(ledger.results.values())):
        if result.rule.group == group and (chosen is None or result.rule.id in chosen):
            tally[WARNINGS if warns(result, strict) else result.status] += 1
    return tally


def _preflight(session: Session, fuzz_accounts: list[Account]) -> None:
    """The first call decides whether the run can happen at all."""
    flags = [("--token", session.main), ("--other-token", session.other)]
    for flag, account in flags + [(a.label, a) for a in fuzz_accounts]:
        if account is None:
            continue
        exchange = session.listing(account, limit=1)
        if exchange.error:
            raise CouldNotRun(f"cannot reach {session.transport.base_url}: {exchange.error}")
        if exchange.status in (401, 403):
            raise CouldNotRun(
                f"the server rejected {flag} on the first call "
                f"(GET {session.contract.collection_path} answered {exchange.status})"
            )


def _check_selection(options: Options, runnable: list[Group]) -> None:
    """A selection that can judge nothing is refused before any request."""
    if options.other_token or runnable or FUZZ_GROUP in options.groups:
        return
    needing = [g for g in options.groups if g != FUZZ_GROUP]
    raise CouldNotRun(
        f"the selected {'group' if len(needing) == 1 else 'groups'} {', '.join(needing)} "
        "need a second account: give "
        "--other-token (another account's bearer token) or select other groups; "
        "otherwise nothing would be verified"
    )


def _check_accounts(session: Session, fuzz_accounts: list[Account]) -> None:
    """--token and --other-token must be two accounts, or every isolation check would report
    a leak that is none: a conversation made with one must be invisible to the other. The
    schemathesis phase's accounts must not be --token's either: running alongside, their
    writes would show in the lists the suite judges whole."""
    main, other = session.main, session.other
    if other is not None and other.token == main.token:
        raise CouldNotRun("--token and --other-token are the same token; give a second account's")
    for fuzz in fuzz_accounts:
        if fuzz.token in (main.token, other.token if other else None):
            raise CouldNotRun(
                f"{fuzz.label} is also --token or --other-token; give an account of its own"
            )
    if other is None and not fuzz_accounts:
        return
    group_id = session.new_id()
    made = session.send(
        "POST",
        session.contract.collection_path,
        body={"group_id": group_id},
        record=False,
    )
    session.remember(made)  # deleted with the run's data
    mine = session.conversation(made) if made.status == 201 else None
    if mine is None:
        return  # the create itself is judged by the rules
    for fuzz in fuzz_accounts:
        read = session.send("GET", session.contract.item(mine["id"]), account=fuzz, record=False)
        if read.status == 200:
            raise CouldNotRun(
                f"{fuzz.label} acts as the --token account: a conversation created with --token "
                f"is readable with {fuzz.label}. The schemathesis phase runs alongside the "
                "behavioural suite in accounts of its own: give another account's token"
            )
    if other is None:
        return
    read = session.send("GET", session.contract.item(mine["id"]), account=other, record=False)
    listed = session.send(
        "GET",
        session.contract.collection_path,
        account=other,
        params={"group_id": group_id},
        record=False,
    )
    page = session.page(listed)
    if read.status == 200 and page is not None and [c["id"] for c in page[0]] == [mine["id"]]:
        raise CouldNotRun(
            "--token and --other-token act as the same account: a conversation created with "
            "--token is readable and listed with --other-token. Give a second account's token "
            "as --other-token (were they two accounts, the server would be showing every "
            "conversation to every account: the isolation rules ISOLATION-GET and "
            "ISOLATION-LIST)"
        )


def _run_group(
    session: Session, name: str, check: Callable[[Session], None], rule_ids: list[str]
) -> None:
    ledger = session.ledger
    session.blocked, session.crashes = None, []
    session.mark()
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
