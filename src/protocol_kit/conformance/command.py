"""`protocol-kit verify`: the command line of the conformance kit."""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from protocol_kit.conformance import baseline
from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.delivery_receiver import DeliveryReceiver, DeliverySetup
from protocol_kit.conformance.outcome import (
    FUZZ_GROUP,
    GROUP_NAMES,
    RULE_IDS,
    CouldNotRun,
    Options,
    Outcome,
)
from protocol_kit.conformance.reports import terminal
from protocol_kit.conformance.restarting import restarter
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.runner import run as run_checks
from protocol_kit.conformance.verdicts import SKIPPED
from protocol_kit.conformance.webhooks import WebhookSetup
from protocol_kit.spec import Spec, SpecError

EXIT_CONFORMANT, EXIT_FAILURES, EXIT_COULD_NOT_RUN = 0, 1, 2
DEFAULT_MAX_EXAMPLES = 50
# (base URL, token, other token, the schemathesis phase's own two tokens or None) of a server
# to verify.
Target = tuple[str, str, str | None, tuple[str, str | None] | None]
# Starts a server for the spec for one run, when no BASE_URL is given, sending its webhooks to
# (receiver URL, secret). The command line passes the bundled reference server: the kit itself
# never imports a server.
# With supervised=True it runs as a child process ($SERVER_PID) restarted whenever it exits.
Embedded = Callable[..., AbstractContextManager[Target]]


def register(
    subparsers: argparse._SubParsersAction,  # type: ignore[type-arg]
    embedded: Embedded | None = None,
) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check a server against the contract (behavioural suite + schemathesis)",
        description=(
            "Check that a server implements the Protocol Conversations API contract. A "
            "behavioural suite (hand-written rules with stable ids: lifecycle, create, update, "
            "concurrency, list, auth, isolation, webhooks, delivery, restart, encoding, protocol) runs "
            "first, then a property-based phase with "
            "schemathesis (or alongside the suite, when that phase has accounts of its own: "
            "--fuzz-token, or the embedded server's). Without BASE_URL the bundled reference server is started on a free "
            "port with a temporary database and generated tokens, verified and stopped. "
            "The run creates its own data under fresh random group ids, judges only that, and "
            "deletes it at the end (schemathesis is kept to the conversations it creates too), "
            "so it is safe against accounts that already hold conversations. Exit status: 0 conformant, 1 at least one failure, 2 could not run."
        ),
    )
    parser.add_argument(
        "base_url",
        nargs="?",
        metavar="BASE_URL",
        help="server to verify, e.g. http://127.0.0.1:8000 (default: start the "
        "bundled reference server)",
    )
    parser.add_argument(
        "--token",
        help="bearer token of the account to test with (required "
        "with BASE_URL; generated for the embedded server)",
    )
    parser.add_argument(
        "--other-token",
        help="bearer token of a second account, for the "
        "isolation checks and schemathesis' object-level authorization check; "
        "without it those are reported as skipped",
    )
    parser.add_argument(
        "--fuzz-token",
        help="bearer token of a third account, for the schemathesis phase alone: with it that "
        "phase runs alongside the behavioural suite instead of after it (the embedded server "
        "has accounts for this of its own)",
    )
    parser.add_argument(
        "--fuzz-other-token",
        help="a fourth account's, with --fuzz-token: schemathesis' object-level authorization "
        "check runs between the two",
    )
    parser.add_argument(
        "--junit-xml",
        type=Path,
        metavar="PATH",
        help="write JUnit XML: one testcase per rule and per schemathesis operation/check",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="PATH.html",
        help="write a self-contained HTML report with failure transcripts",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write machine-readable results")
    parser.add_argument(
        "--seed",
        type=int,
        help="seed for every random choice (data shapes, "
        "schemathesis generation); default: random, printed at start",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help="schemathesis examples per operation and phase (default: "
        f"{DEFAULT_MAX_EXAMPLES}; the default run stays under a minute)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="concurrent schemathesis workers (default: 1; the behavioural "
        "suite always runs sequentially: its list checks need a quiet "
        "account)",
    )
    parser.add_argument(
        "--only",
        metavar="SELECTION",
        help="comma-separated groups and rule ids to run (e.g. LIST-FILTER-MUTED,auth); groups: "
        + ", ".join(GROUP_NAMES)
        + "; a rule id runs its group's checks and reports that rule",
    )
    parser.add_argument(
        "--skip", metavar="SELECTION", help="comma-separated groups and rule ids not to run"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="PATH",
        help="file of accepted failure ids: those are reported but do not fail the run",
    )
    parser.add_argument(
        "--baseline-update",
        action="store_true",
        help="write the current failures to --baseline (and exit 0)",
    )
    parser.add_argument(
        "--spec",
        type=Path,
        metavar="PATH",
        help="OpenAPI document to verify against (default: the bundled spec)",
    )
    parser.add_argument(
        "--webhook-listen",
        metavar="HOST:PORT",
        help="run the kit's webhook receiver here and check the server's webhooks (register "
        "http://HOST:PORT/webhooks for the --token account); without it the webhooks group is "
        "reported not verified. The embedded server is wired to a receiver of its own",
    )
    parser.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help="the secret the endpoint registered at --webhook-listen signs with",
    )
    parser.add_argument(
        "--webhooks-full",
        action="store_true",
        help="also count an unacknowledged event's tries up to 8 and check every gap against "
        "the contract's backoff (adds up to about 3 minutes at the contract's slowest schedule)",
    )
    parser.add_argument(
        "--restart-command",
        metavar="CMD",
        help="restart the server under test with this shell command in the middle of the run "
        "(after acknowledged writes, with their events pending) and check that nothing was "
        "lost; needs --webhook-listen. Without BASE_URL the bundled server runs as a child "
        "process whose id is in $SERVER_PID, restarted whenever it exits: "
        "--restart-command 'kill -9 $SERVER_PID'",
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="leave the conversations the run creates in place (for debugging a failure; "
        "by default they are deleted at the end)",
    )
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="print tokens in reproduction commands instead of <redacted>",
    )
    parser.set_defaults(func=run, embedded=embedded)


def run(args: argparse.Namespace) -> int:
    try:
        groups, rules = _selection(args.only, args.skip)
        if args.base_url and not args.token:
            raise CouldNotRun("--token is required with BASE_URL")
        if args.fuzz_other_token and not args.fuzz_token:
            raise CouldNotRun("--fuzz-other-token needs --fuzz-token")
        if args.fuzz_token and not args.base_url:
            raise CouldNotRun(
                "--fuzz-token goes with BASE_URL: the embedded server has accounts of its own"
            )
        if args.baseline_update and not args.baseline:
            raise CouldNotRun("--baseline-update needs --baseline PATH")
        if args.max_examples < 1 or args.workers < 1:
            raise CouldNotRun("--max-examples and --workers must be at least 1")
        spec = Spec.load(args.spec)
        contract = Contract(spec)
        seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
        with _receiver(args, spec) as hooks, _server(args, spec, hooks) as target:
            base_url, token, other_token, fuzz = target
            if args.restart_command:
                hooks = _restarting(args.restart_command, base_url, hooks)
                fuzz = None  # the schemathesis phase waits for the suite: a restart would cut it
            options = Options(
                base_url=base_url,
                token=token,
                other_token=other_token,
                fuzz_token=fuzz[0] if fuzz else None,
                fuzz_other_token=fuzz[1] if fuzz else None,
                seed=seed,
                max_examples=args.max_examples,
                workers=args.workers,
                groups=groups,
                rules=rules,
                keep_data=args.keep_data,
                webhooks=hooks,
            )
            chosen = f"{len(rules)} rule(s) of " if rules is not None else ""
            print(
                f"protocol-kit verify {base_url} — seed {seed} (repeat with --seed {seed}); "
                f"{chosen}groups: {', '.join(groups)}",
                flush=True,
            )
            progress = terminal.progress_for(sys.stdout)
            try:
                outcome = run_checks(contract, options, progress)
            finally:
                progress.close()
    except (CouldNotRun, SpecError) as exc:
        print(f"protocol-kit verify: could not run: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    return _finish(args, outcome)


def _finish(args: argparse.Namespace, outcome: Outcome) -> int:
    if args.baseline:
        fixed = baseline.apply(outcome.results, baseline.load(args.baseline))
        if fixed:
            outcome.notes.append(
                f"the baseline accepts rules that now pass (drop them from {args.baseline}): "
                + ", ".join(fixed)
            )
    if not outcome.results or all(r.status == SKIPPED for r in outcome.results):
        _write_reports(args, outcome)
        reasons = sorted({r.reason for r in outcome.results})
        print(
            "protocol-kit verify: could not run: nothing was verified, every selected rule was "
            f"skipped ({'; '.join(reasons[:3]) or 'no rules selected'})",
            file=sys.stderr,
        )
        return EXIT_COULD_NOT_RUN
    terminal.summary(outcome, args.show_secrets)
    _write_reports(args, outcome)
    if args.baseline_update:
        baseline.write(args.baseline, outcome.results)
        print(f"baseline written to {args.baseline}")
        return EXIT_CONFORMANT
    return EXIT_FAILURES if outcome.failed else EXIT_CONFORMANT


def _write_reports(args: argparse.Namespace, outcome: Outcome) -> None:
    if args.junit_xml:
        from protocol_kit.conformance.reports import junit

        junit.write(args.junit_xml, outcome)
    if args.json:
        from protocol_kit.conformance.reports import json_report

        json_report.write(args.json, outcome, args.show_secrets)
    if args.report:
        from protocol_kit.conformance.reports import html

        html.write(args.report, outcome, args.show_secrets)


def _selection(only: str | None, skip: str | None) -> tuple[list[str], set[str] | None]:
    """The groups to run and the rule ids to report (None: all of theirs) from --only/--skip,
    each a comma-separated mix of group names and rule ids."""
    group_of = {rule.id: group.name for group in GROUPS for rule in group.rules}

    def parse(value: str, flag: str) -> set[str]:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in GROUP_NAMES and n.upper() not in group_of]
        if unknown:
            raise CouldNotRun(
                f"{flag}: unknown group or rule id {', '.join(unknown)}; groups: "
                + ", ".join(GROUP_NAMES)
                + "; rule ids: "
                + ", ".join(RULE_IDS)
            )
        chosen: set[str] = set()
        for name in names:
            if name in GROUP_NAMES:
                members = [r for r, g in group_of.items() if g == name]
                chosen.update(members or [FUZZ_GROUP])
            else:
                chosen.add(name.upper())
        return chosen

    everything = set(RULE_IDS) | {FUZZ_GROUP}
    wanted = parse(only, "--only") if only else everything
    wanted -= parse(skip, "--skip") if skip else set()
    groups = [g for g in GROUP_NAMES if g in {group_of.get(r, r) for r in wanted}]
    if not groups:
        raise CouldNotRun("--only/--skip leave nothing to run")
    rules = wanted - {FUZZ_GROUP}
    every_rule = rules == {r for r, g in group_of.items() if g in groups}
    return groups, None if every_rule else rules


@contextmanager
def _receiver(args: argparse.Namespace, spec: Spec) -> Iterator[WebhookSetup | None]:
    """The kit's webhook receiver: at --webhook-listen, or on a free port for the embedded
    server (which is registered with it); none for a BASE_URL without --webhook-listen."""
    if args.base_url and not args.webhook_listen:
        if args.webhook_secret:
            raise CouldNotRun("--webhook-secret needs --webhook-listen HOST:PORT")
        yield None
        return
    headers = [w.signature_header.name for w in spec.webhooks if w.signature_header is not None]
    if not headers:
        if args.webhook_listen:
            raise CouldNotRun("--webhook-listen: the spec declares no signed webhooks")
        yield None
        return
    host, port = "127.0.0.1", 0
    if args.webhook_listen:
        host, _, port_text = args.webhook_listen.rpartition(":")
        if not host or not port_text.isdigit() or int(port_text) > 65535:
            raise CouldNotRun(f"--webhook-listen: expected HOST:PORT, got {args.webhook_listen!r}")
        port = int(port_text)
        if not args.webhook_secret and args.base_url:
            raise CouldNotRun("--webhook-listen needs --webhook-secret (the endpoint's secret)")
    secret = args.webhook_secret or secrets.token_urlsafe(24)
    try:
        receiver = DeliveryReceiver(host, port).start()
    except OSError as exc:
        raise CouldNotRun(f"--webhook-listen: cannot listen on {host}:{port}: {exc}") from exc
    try:
        print(f"webhook receiver listening at {receiver.url}", flush=True)
        yield DeliverySetup(receiver, secret, headers[0], full=args.webhooks_full)
    finally:
        receiver.stop()


def _restarting(command: str, base_url: str, hooks: WebhookSetup | None) -> DeliverySetup:
    if not isinstance(hooks, DeliverySetup):
        raise CouldNotRun("--restart-command needs --webhook-listen: pending events are checked")
    return dataclasses.replace(hooks, restart=restarter(command, base_url))


@contextmanager
def _server(args: argparse.Namespace, spec: Spec, hooks: WebhookSetup | None) -> Iterator[Target]:
    """The server to verify: the one given, or the embedded one started for the run."""
    if args.base_url:
        fuzz = (args.fuzz_token, args.fuzz_other_token) if args.fuzz_token else None
        yield args.base_url.rstrip("/"), args.token, args.other_token, fuzz
        return
    if args.embedded is None:
        raise CouldNotRun("BASE_URL is required: no server to start was configured")
    webhook = (hooks.receiver.url, hooks.secret) if hooks else None
    with args.embedded(spec, webhook, supervised=bool(args.restart_command)) as target:
        yield target
