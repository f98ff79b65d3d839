"""The `protocol-kit` command line: one parser, a subcommand per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from conformance import command as verify_command
from generator import command as generate_command

from . import __version__
from . import lint as lint_command
from . import serve as serve_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="protocol-kit",
        description="Contract toolkit for the Protocol Conversations API.",
    )
    parser.add_argument("--version", action="version", version=f"protocol-kit {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    lint_command.register(subparsers)
    serve_command.register(subparsers)
    generate_command.register(subparsers)
    verify_command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
