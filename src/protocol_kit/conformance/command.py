"""`protocol-kit verify`: the command line of the conformance kit."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from protocol_kit.conformance import baseline
from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.control import (
    EXIT_INTERRUPTED,
    Interrupted,
    RunControl,
    stop_on_signals,
)
from protocol_kit.conformance.delivery_receiver import DeliveryReceiver, DeliverySetup
from protocol_kit.conformance.outcome import (
    FUZZ_GROUP,
    GROUP_NAMES,
    RULE_IDS,
    CouldNotRun,
    Options,
    Outcome,
    counted,
)
from protocol_kit.conformance.reports import terminal
from protocol_kit.conformance.restarting import restarter
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.runner import run as run_checks
from protocol_kit.conformance.verdicts import SKIPPED
from protocol_kit.conformance.webhooks import WebhookSetup
from protocol_kit.spec import Spec, SpecError
from protocol_kit.spec.problems import blocking_problems

EXIT_CONFORMANT, EXIT_FAILURES, EXIT_COULD_NOT_RUN = 0, 1, 2  # and EXIT_INTERRUPTED (130)
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
            "so it is safe against accounts that already hold conversations. Each rule checks a "
            "requirement of the spec at its level: a failed MUST is a failure, a failed SHOULD "
            "a warning. Exit status: 0 conformant (warnings included), 1 at least one failure "
            "(with --strict, or a warning), 2 could not run, 130 interrupted (Ctrl-C or SIGTERM: "
            "the run first deletes what it created and writes the reports, verdict INTERRUPTED; "
            "a second Ctrl-C quits at once)."
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
        "--strict",
        action="store_true",
        help="treat warnings (failed SHOULD requirements) as failures: exit 1 on any",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="PATH",
        help="file of accepted failures, one a line (RULE-ID @ CASE: method, path template, "
        "credentials; a bare RULE-ID accepts every case of the rule): those are reported but do "
        "not fail the run",
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
    control = RunControl()
    try:
        with stop_on_signals(control):
            outcome = _verify(args, control)
    except (CouldNotRun, SpecError) as exc:
        print(f"protocol-kit verify: could not run: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    except Interrupted:
        # Before the checks began (or while the servers were stopping): nothing to report.
        print("protocol-kit verify: interrupted before anything was judged", file=sys.stderr)
        return EXIT_INTERRUPTED
    return _finish(args, outcome)


def _verify(args: argparse.Namespace, control: RunControl) -> Outcome:
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
    _check_report_paths(args)
    _check_baseline(args)
    spec = Spec.load(args.spec)
    if args.spec is not None:
        _check_spec(spec, args.spec)
    contract = Contract(spec)
    if args.base_url:
        _check_base_url(args.base_url, contract)
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
            strict=args.strict,
            control=control,
        )
        chosen = f"{counted(len(rules), 'rule')} of " if rules is not None else ""
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
    outcome.embedded = not args.base_url
    outcome.spec_path = str(args.spec) if args.spec else None
    outcome.webhook_listen = args.webhook_listen
    return outcome


def _finish(args: argparse.Namespace, outcome: Outcome) -> int:
    if args.baseline:
        entries = baseline.load(args.baseline)
        fixed = baseline.apply(outcome.results, entries, outcome)
        if fixed:
            outcome.notes.append(
                f"the baseline accepts failures that no longer happen (drop them from "
                f"{args.baseline}): " + ", ".join(fixed)
            )
        if baseline.rule_only(entries) and not args.baseline_update:
            outcome.notes.append(
                f"{args.baseline} accepts whole rules ({', '.join(baseline.rule_only(entries))}): "
                "every case of them, new ones too. Run with --baseline-update to accept only the "
                "cases failing now"
            )
    judged = [r for r in outcome.results if r.status != SKIPPED]
    if not judged and not outcome.interrupted:
        _write_reports(args, outcome)
        reasons = sorted({r.reason for r in outcome.results})
        print(
            "protocol-kit verify: could not run: nothing was verified, every selected rule was "
            f"skipped ({'; '.join(reasons[:3]) or 'no rules selected'})",
            file=sys.stderr,
        )
        return EXIT_COULD_NOT_RUN
    terminal.summary(outcome, args.show_secrets)
    if not _write_reports(args, outcome):
        return EXIT_COULD_NOT_RUN
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if args.baseline_update:
        baseline.write(args.baseline, outcome.results, outcome)
        print(f"baseline written to {args.baseline}")
        return EXIT_CONFORMANT
    return EXIT_FAILURES if outcome.failed else EXIT_CONFORMANT


def _write_reports(args: argparse.Namespace, outcome: Outcome) -> bool:
    """Write the reports asked for; False (and one line on stderr) when one cannot be."""
    try:
        if args.junit_xml:
            from protocol_kit.conformance.reports import junit

            junit.write(args.junit_xml, outcome)
        if args.json:
            from protocol_kit.conformance.reports import json_report

            json_report.write(args.json, outcome, args.show_secrets)
        if args.report:
            from protocol_kit.conformance.reports import html

            html.write(args.report, outcome, args.show_secrets)
    except OSError as exc:
        print(f"protocol-kit verify: could not write a report: {exc}", file=sys.stderr)
        return False
    return True


def _selection(only: str | None, skip: str | None) -> tuple[list[str], set[str] | None]:
    """The groups to run and the rule ids to report (None: all of theirs) from --only/--skip,
    each a comma-separated mix of group names and rule ids."""
    group_of = {rule.id: group.name for group in GROUPS for rule in group.rules}

    def parse(value: str, flag: str) -> set[str]:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in GROUP_NAMES and n.upper() not in group_of]
        if unknown:
            raise CouldNotRun(
                f"{flag}: unknown group or rule id {', '.join(unknown)}"
                + _near_matches(unknown)
                + "; groups: "
                + ", ".join(GROUP_NAMES)
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


def _check_baseline(args: argparse.Namespace) -> None:
    """The baseline can be read, checked before the run rather than found out after it."""
    if args.baseline is None:
        return
    try:
        baseline.load(Path(args.baseline))
    except UnicodeDecodeError as exc:
        raise CouldNotRun(
            f"--baseline {args.baseline}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at "
            f"offset {exc.start})"
        ) from exc
    except OSError as exc:
        raise CouldNotRun(
            f"--baseline {args.baseline}: cannot read it: {exc.strerror or exc}"
        ) from exc


def _check_spec(spec: Spec, path: Path) -> None:
    """A spec given with --spec is one the kit can read: its first problem, as lint puts it."""
    problems = blocking_problems(spec)
    if problems:
        more = len(problems) - 1
        rest = f" ({more} more: protocol-kit lint {path})" if more else ""
        raise CouldNotRun(f"{problems[0]}{rest}")


def _check_report_paths(args: argparse.Namespace) -> None:
    """Every report can be written, checked before the run rather than found out after it."""
    given = [
        (flag, path)
        for flag, path in (
            ("--junit-xml", args.junit_xml),
            ("--json", args.json),
            ("--report", args.report),
        )
        if path is not None
    ]
    for flag, path in given:
        if path.is_dir():
            raise CouldNotRun(f"{flag} {path}: is a directory; give a file name in it")
        ancestor = next(p for p in (path, *path.parents) if p.exists())
        if ancestor != path and not ancestor.is_dir():
            raise CouldNotRun(f"{flag} {path}: cannot be written, {ancestor} is not a directory")
        if not os.access(ancestor, os.W_OK):
            raise CouldNotRun(f"{flag} {path}: cannot be written (no permission on {ancestor})")
    resolved = [path.resolve() for _, path in given]
    if len(set(resolved)) < len(resolved):
        raise CouldNotRun("--junit-xml, --json and --report must name different files")


def _check_base_url(base_url: str, contract: Contract) -> None:
    """An http(s) URL; its path is a prefix the API's own paths go under, so it must not end
    with their common first segment (the version, /v1): that would be requested twice."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CouldNotRun(f"BASE_URL must be an http:// or https:// URL, got {base_url!r}")
    firsts = {"/" + path.split("/")[1] for path in contract.methods_by_path if path.count("/") > 1}
    version = next(iter(firsts)) if len(firsts) == 1 else None
    if version and parts.path.rstrip("/").endswith(version):
        without = base_url.rstrip("/").removesuffix(version)
        raise CouldNotRun(
            f"BASE_URL {base_url} ends in {version}, which every path of the API already starts "
            f"with ({contract.collection_path}): give {without}"
        )


def _near_matches(unknown: list[str]) -> str:
    """``; did you mean …?`` with the group names and rule ids closest to the unknown ones."""
    names = [*GROUP_NAMES, *RULE_IDS]
    by_upper = {name.upper(): name for name in names}
    near = dict.fromkeys(
        by_upper[match]
        for name in unknown
        for match in difflib.get_close_matches(name.upper(), list(by_upper), n=4, cutoff=0.6)
    )
    return f"; did you mean {' or '.join(near)}?" if near else ""


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
