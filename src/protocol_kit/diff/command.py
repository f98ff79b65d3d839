"""`protocol-kit diff`: the command line of the diff, given a way to prove it by execution."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from protocol_kit.spec import SpecError

from . import json_report, proof, sources
from .compare import compare
from .model import Level, Report
from .text import render_markdown, render_text

EXIT_NONE, EXIT_FOUND, EXIT_COULD_NOT_RUN = 0, 1, 2
_FAIL_ON = {"breaking": Level.BREAKING, "possibly": Level.POSSIBLY}


def register(
    subparsers: argparse._SubParsersAction,  # type: ignore[type-arg]
    prover: proof.Prover | None = None,
) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="list what changed between two versions of the spec, and whom each change breaks",
        description=(
            "Compare two versions of the spec and list every change with whom it breaks "
            "(clients, servers judged by `verify`, webhook receivers), its level (breaking, "
            "possibly breaking, compatible), its JSON pointer and line on each side, and a "
            "one-line explanation. Requirement-catalogue changes are included, and a breaking "
            "change without a major bump of info.version is reported. Each side is a file or "
            "git:REF[:PATH] (the spec at a git revision of this repository; PATH defaults to "
            "openapi/conversations.yaml). Exit status: 0 nothing at the --fail-on level (or no "
            "--fail-on), 1 found, 2 could not run."
        ),
    )
    parser.add_argument(
        "base",
        nargs="?",
        default="git:HEAD",
        metavar="BASE",
        help="the old version (default: git:HEAD)",
    )
    parser.add_argument(
        "revision",
        nargs="?",
        default=None,
        metavar="REVISION",
        help="the new version (default: the working tree's openapi/conversations.yaml)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument(
        "--fail-on",
        choices=tuple(_FAIL_ON),
        default=None,
        help="exit 1 when a change at this level or above breaks someone",
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="write the report to this file instead of stdout"
    )
    parser.add_argument(
        "--prove",
        action="store_true",
        help="also run BASE's Python and JavaScript clients against the reference server serving "
        "REVISION, and REVISION's conformance kit against the reference server serving BASE; "
        "a run that fails where the diff finds nothing breaking is reported as a change",
    )
    parser.set_defaults(func=lambda args: run(args, prover))


def run(args: argparse.Namespace, prover: proof.Prover | None) -> int:
    try:
        revision_source = args.revision if args.revision is not None else sources.default_revision()
        base = sources.load(args.base)
        revision = sources.load(revision_source)
    except SpecError as exc:
        # One line: a YAML error spreads its position over several.
        reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        print(f"protocol-kit diff: {reason}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    report = compare(base, revision, args.base, _name(revision_source))
    notes: list[str] = []
    if args.prove:
        if prover is None:
            print("protocol-kit diff: --prove is not available here", file=sys.stderr)
            return EXIT_COULD_NOT_RUN
        try:
            runs = prover(base, revision)
        except (RuntimeError, OSError) as exc:
            print(f"protocol-kit diff: --prove could not run: {exc}", file=sys.stderr)
            return EXIT_COULD_NOT_RUN
        notes = proof.summary(report, runs)
        report.changes += proof.judge(report, runs)
    text = _render(report, args.format, notes)
    if args.output is not None:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(
                f"protocol-kit diff: cannot write {args.output}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return EXIT_COULD_NOT_RUN
    else:
        sys.stdout.write(text)
    if args.fail_on is None:
        return EXIT_NONE
    threshold = _FAIL_ON[args.fail_on]
    return EXIT_FOUND if any(c.breaks_at_least(threshold) for c in report.changes) else EXIT_NONE


def _name(source: str) -> str:
    """A side's name as a reader knows it: relative to the current directory when inside it."""
    if source.startswith(sources.GIT_PREFIX):
        return source
    try:
        return str(Path(source).resolve().relative_to(Path.cwd()))
    except ValueError:
        return source


def _render(report: Report, fmt: str, notes: list[str]) -> str:
    if fmt == "json":
        made = json_report.document(report)
        if notes:
            made["proof"] = notes
        return json.dumps(made, indent=2, ensure_ascii=False) + "\n"
    body = render_markdown(report) if fmt == "markdown" else render_text(report)
    if notes:
        body += "\n".join(("", *notes) if fmt == "markdown" else notes) + "\n"
    return body
