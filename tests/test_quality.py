"""The repository is clean under ruff (lint and format) and mypy --strict, each run as a contributor runs it.

Each tool runs from the repository's root with no arguments but its command, so its
configuration in pyproject.toml (what it checks, how strictly) is the one a contributor gets.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _tool(module: str) -> None:
    # A missing tool is a broken test environment, not a reason to skip the check.
    if importlib.util.find_spec(module) is None:
        pytest.fail(
            f"{module} is not installed: install the test extras (pip install -e '.[test]')",
            pytrace=False,
        )


def _run(*command: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_ruff_check_is_clean() -> None:
    _tool("ruff")
    result = _run("ruff", "check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    _tool("ruff")
    result = _run("ruff", "format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    _tool("mypy")
    # The cache is git-ignored and kept between runs: a warm check takes seconds, a cold one minutes.
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
