"""`protocol-kit diff`: the diff's command, with --prove wired to the generator, the reference server and the kit."""

from __future__ import annotations

import argparse

from protocol_kit.diff import command
from protocol_kit.diff.proof import Run
from protocol_kit.spec import Spec


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command.register(subparsers, prover=prove)


def prove(base: Spec, revision: Spec) -> list[Run]:
    """Run BASE's clients against a server of REVISION, and REVISION's kit against a server of BASE."""
    raise RuntimeError("not available yet")
