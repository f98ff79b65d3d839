"""`protocol-kit generate`: the generator's command, with the changelog page the diff writes."""

from __future__ import annotations

import argparse
from pathlib import Path

from protocol_kit.diff import changelog
from protocol_kit.generator import command
from protocol_kit.generator.targets import CLIENTS
from protocol_kit.spec import Spec, SpecError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command.register(subparsers, extra=changelog_pages)


def changelog_pages(spec_path: Path | None, header: str) -> dict[str, str]:
    """``docs/changelog.md`` and ``.mdx``, and each client's ``CHANGELOG.md`` (a client's version
    is the API's): every version of the spec and what it changed."""
    try:
        spec = Spec.load(spec_path)
    except SpecError:
        return {}  # the generator has said what is wrong with it already
    history = changelog.releases(spec)
    page = changelog.render_markdown(spec, history, header)
    return {
        "docs/changelog.md": page,
        "docs/changelog.mdx": changelog.render_mdx(spec, history, header),
        **{f"{client.out_dir}/CHANGELOG.md": page for client in CLIENTS},
    }
