"""`protocol-kit generate`: render the client libraries from the spec, or check they are current."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from protocol_kit.spec import Spec, SpecError, UnreadableSpec
from protocol_kit.spec.problems import Problem, blocking_problems, problem_at

from .cache import cache_dir
from .loader import GeneratorError, build_model
from .model import ApiModel
from .render import diff, header_text, render_all, write

# Pages made outside the generator (the command line passes the changelog): given the spec's
# path and the notice generated files start with, more files keyed like render_all's.
Extra = Callable[[Path | None, str], dict[str, str]]

_DESCRIPTION = """\
Generate the client libraries (clients/python: protocol_api, clients/js: @example/protocol-api,
clients/php: protocol/sdk) and the docs (docs/<page>.mdx in the docs site's layout and
docs/<page>.md for each resource and each guide page, the static HTML reference docs/index.html
and docs/llms.txt) from the OpenAPI document.
The spec is loaded and validated, turned into one intermediate model, and rendered through the Jinja2 templates in templates/<target>/.
Output is deterministic: the same spec and templates give the same bytes. Generated files that
the templates no longer produce are deleted. To save time on later runs, the compiled templates and
the spec's validation verdict are cached in $XDG_CACHE_HOME/protocol-kit (default
~/.cache/protocol-kit); it is safe to delete, and a cache that can't be written is skipped.
"""
_EPILOG = """\
exit status: 0 on success (with --check: everything is current); 1 when --check finds files
that differ (each is printed); 2 when nothing could be generated: the spec has problems (each
printed as `protocol-kit lint` prints it, FILE:LINE:COLUMN: JSON-POINTER: MESSAGE) or uses a
construct the generator does not support (printed the same way), a file cannot be read or
written (the message names it), or the arguments are wrong.
"""


def register(subparsers: Any, extra: Extra | None = None) -> None:
    """Add the `generate` subcommand to the `protocol-kit` parser."""
    parser = subparsers.add_parser(
        "generate",
        help="generate the Python, JavaScript and PHP clients from the spec",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--spec",
        metavar="PATH",
        type=Path,
        default=None,
        help="the OpenAPI document to generate from (default: the spec bundled with protocol-kit, "
        "openapi/ in the repository)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=Path("."),
        help="the root the clients/ and docs/ folders are written under (default: the current directory, "
        "i.e. the repository root)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list every file under DIR that differs from what would "
        "be generated (for CI)",
    )
    parser.set_defaults(func=lambda args: run(args, extra))


def run(args: argparse.Namespace, extra: Extra | None = None) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        print(f"protocol-kit generate: --out {out} is a file, not a directory", file=sys.stderr)
        return 2
    try:
        api = _model(args.spec)
    except _SpecProblems as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except UnreadableSpec as exc:
        print(f"protocol-kit generate: {exc}", file=sys.stderr)
        return 2
    files = render_all(api)
    if extra is not None:
        files = dict(sorted({**files, **extra(args.spec, header_text(api))}.items()))
    try:
        return _check(files, out) if args.check else _write(files, out)
    except OSError as exc:
        where = exc.filename if exc.filename is not None else out
        print(
            f"protocol-kit generate: cannot write {where}: {exc.strerror or exc}", file=sys.stderr
        )
        return 2


class _SpecProblems(Exception):
    """The spec cannot be generated from; ``problems`` says why, as lint says it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _model(path: Path | None) -> ApiModel:
    try:
        spec = Spec.load(path)
    except UnreadableSpec:
        raise
    except SpecError as exc:
        raise _SpecProblems([Problem.of(exc)]) from exc
    # A document that passed once is remembered, so a warm run skips the slow validator.
    problems = blocking_problems(spec, cache=cache_dir("valid"))
    if problems:
        raise _SpecProblems(problems)
    try:
        return build_model(spec)
    except GeneratorError as exc:
        message = str(exc).removeprefix(f"{exc.pointer}: ")
        unsupported = problem_at(spec, exc.pointer, f"not supported by the generator: {message}")
        raise _SpecProblems([unsupported]) from exc


def _check(files: dict[str, str], out: Path) -> int:
    changed = diff(files, out)
    for rel in changed:
        print(f"out of date: {rel}")
    if changed:
        print(
            f"{len(changed)} generated file(s) differ; run `protocol-kit generate`",
            file=sys.stderr,
        )
        return 1
    print(f"{len(files)} generated files are up to date")
    return 0


def _write(files: dict[str, str], out: Path) -> int:
    changed = write(files, out)
    for rel in changed:
        print(f"wrote {rel}")
    print(f"{len(files)} files generated, {len(changed)} changed")
    return 0
