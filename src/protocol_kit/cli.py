"""The `protocol-kit` command line: one parser, a subcommand per job."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

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
_EPILOG = """\
exit status: every command exits 2 when its arguments are wrong (one line says which) and 130
when interrupted (Ctrl-C), except serve, which Ctrl-C stops cleanly (0); each command's --help
gives its other exit codes.
"""
INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, naming the command and where its help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a subcommand, only that subcommand's module is imported."""
    parser = _Parser(
        prog="protocol-kit",
        description="Contract toolkit for the Protocol Conversations API.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"protocol-kit {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    # The top-level parser's only options (-h, --version) take no value, so the first word not
    # starting with "-" is the subcommand. Help, errors and --version see every subcommand.
    # Without a word (`--version`, or nothing at all) no subcommand's module is needed.
    words = [a for a in (argv or ()) if not a.startswith("-")]
    wanted = list(SUBCOMMANDS) if words or {"-h", "--help"} & set(argv or ()) else []
    if words and words[0] in SUBCOMMANDS:
        wanted = [words[0]]
    for name in wanted:
        importlib.import_module(SUBCOMMANDS[name]).register(subparsers)
    for command in subparsers.choices.values():
        # An option the subcommand does not know is its error, not the top-level parser's.
        command.set_defaults(command_parser=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args, unknown = build_parser(argv).parse_known_args(argv)
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("protocol-kit: interrupted", file=sys.stderr)
        return INTERRUPTED
