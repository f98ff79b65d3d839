"""A copy of the checkout as a fresh clone has it: the tracked files, nothing git ignores."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .paths import REPO


def clean_copy(destination: Path) -> Path:
    """The checkout's tracked files only (as they are in the work tree): no build/, egg-info,
    venv, caches or anything else git ignores."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the clean copy is made from the tracked files")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the work tree is not part of the copy
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination
