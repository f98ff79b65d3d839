"""The `protocol-kit` command line: one parser, a subcommand per job."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__

# Each subcommand's module, in `--help` order. They are imported only when needed: between them
# they pull in uvicorn, httpx, schemathesis' dependencies and openapi-spec-validator, and
# importing all of them cost `generate` a large share of its run time.
SUBCOMMANDS = {
    "lint": "protocol_kit.lint",
    "serve": "protocol_kit.serve",
    "generate": "protocol_kit.generate",
    "verify": "protocol_kit.verify",
    "diff": "protocol_kit.prove",
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a subcommand, only that subcommand's module is imported."""
    parser = argparse.ArgumentParser(
        prog="protocol-kit",
        description="Contract toolkit for the Protocol Conversations API.",
    )
    parser.add_argument("--version", action="version", version=f"protocol-kit {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    # The top-level parser's only options (-h, --version) take no value, so the first word not
    # starting with "-" is the subcommand. Help, errors and --version see every subcommand.
    words = [a for a in (argv or ()) if not a.startswith("-")]
    wanted = [words[0]] if words and words[0] in SUBCOMMANDS else list(SUBCOMMANDS)
    for name in wanted:
        importlib.import_module(SUBCOMMANDS[name]).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
