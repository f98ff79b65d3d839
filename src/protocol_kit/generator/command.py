"""`protocol-kit generate`: render the client libraries from the spec, or check they are current."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .loader import GeneratorError, load_model
from .render import diff, header_text, render_all, write

# Pages made outside the generator (the command line passes the changelog): given the spec's
# path and the notice generated files start with, more files keyed like render_all's.
Extra = Callable[[Path | None, str], dict[str, str]]

_DESCRIPTION = """\
Generate the client libraries (clients/python: protocol_api, clients/js: @example/protocol-api,
clients/php: protocol/sdk) and the docs (docs/<resource>.mdx in the docs site's layout,
docs/<resource>.md, and the static HTML reference docs/index.html) from the OpenAPI document.
The spec is loaded and validated, turned into one intermediate model, and rendered through the Jinja2 templates in templates/<target>/.
Output is deterministic: the same spec and templates give the same bytes. Generated files that
the templates no longer produce are deleted. To save time on later runs, the compiled templates and
the spec's validation verdict are cached in $XDG_CACHE_HOME/protocol-kit (default
~/.cache/protocol-kit); it is safe to delete, and a cache that can't be written is skipped.
"""
_EPILOG = """\
exit status: 0 on success (with --check: everything is current); 1 when --check finds files
that differ (each is printed); 2 when the spec uses a construct the generator does not support
(the message names its JSON pointer).
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
    try:
        api = load_model(args.spec)
    except GeneratorError as exc:
        print(f"protocol-kit generate: unsupported spec: {exc}", file=sys.stderr)
        return 2
    files = render_all(api)
    if extra is not None:
        files = dict(sorted({**files, **extra(args.spec, header_text(api))}.items()))
    out: Path = args.out
    if args.check:
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
    changed = write(files, out)
    for rel in changed:
        print(f"wrote {rel}")
    print(f"{len(files)} files generated, {len(changed)} changed")
    return 0
