"""`protocol-kit lint`: openapi-spec-validator, then the project's own rules, each problem at its line."""

from __future__ import annotations

import argparse
import sys

from .spec import UnreadableSpec
from .spec.problems import problems_in

_EPILOG = """\
exit status: 0 when the document has no problem; 1 when it has any (each is printed, on
standard output), a file that is not UTF-8, not YAML or not OpenAPI 3.1 included; 2 when there
is no document to check (PATH is missing, a directory or unreadable) or the arguments are wrong.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "lint",
        help="check an OpenAPI document against OpenAPI 3.1 and the project's rules",
        description="Validate PATH with openapi-spec-validator, then check the project's rules: every "
        "example validates against its schema; every operation has operationId, summary and "
        "description; every 4xx/5xx response uses the Error schema; no operation lists a "
        "parameter twice; every $ref resolves and every component is used. Prints each problem "
        "as FILE:LINE:COLUMN: JSON-POINTER: MESSAGE.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "path", nargs="?", default=None, help="the document (default: the bundled spec)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        spec, problems = problems_in(args.path)
    except UnreadableSpec as exc:
        print(f"protocol-kit lint: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        where = problems[0].file
        print(f"protocol-kit lint: {len(problems)} problem(s) in {where}", file=sys.stderr)
        return 1
    print(f"{spec.path if spec else args.path}: OK")
    return 0
