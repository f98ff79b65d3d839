"""The README documents every option each command's `--help` lists; `.gitignore` hides no tracked file."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from protocol_kit.cli import SUBCOMMANDS, build_parser
from tests.support.paths import REPO

_HEADING = re.compile(r"^#{1,3} ", re.MULTILINE)


def _section(command: str) -> str:
    """The README's section for ``command``: from its `### \\`protocol-kit COMMAND` heading to the
    next heading."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.find(f"### `protocol-kit {command}")
    assert start >= 0, f"README.md has no section `### protocol-kit {command}`"
    body = readme[start:].split("\n", 1)[1]
    following = _HEADING.search(body)
    return body[: following.start()] if following else body


def _long_options(command: str) -> list[str]:
    """The long options `protocol-kit COMMAND --help` lists, in its order (without --help)."""
    text = build_parser([command, "--help"]).parse_known_args([command])[0].command_parser
    listed = re.findall(r"^\s{2}(?:-\w[^,]*, )?(--[a-z][a-z0-9-]*)", text.format_help(), re.M)
    return [option for option in dict.fromkeys(listed) if option != "--help"]


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_the_readme_section_names_every_option_of_the_command(command: str) -> None:
    options = _long_options(command)
    section = _section(command)
    missing = [o for o in options if not re.search(rf"{re.escape(o)}(?![a-z0-9-])", section)]
    assert not missing, (
        f"README.md, section `protocol-kit {command}`, does not document "
        f"{', '.join(missing)} (listed by `protocol-kit {command} --help`)"
    )


def test_the_options_are_read_from_the_help() -> None:
    assert {"--port", "--webhooks", "--http", "--loop"} <= set(_long_options("serve"))
    assert _long_options("generate") == ["--spec", "--out", "--check"]


def test_gitignore_lists_no_tracked_file() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "ls-files", "-ci", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not ignored, f".gitignore matches tracked files: {ignored}"
