"""The shipped packages are clean under ruff (lint and format) and mypy --strict (pyproject.toml)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _roots() -> dict[str, str]:
    """setup.py's mapping of import names to repository folders (read, not restated)."""
    tree = ast.parse((REPO / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "ROOTS" for t in node.targets
        ):
            roots = ast.literal_eval(node.value)
            return {str(k): str(v) for k, v in roots.items()}
    raise AssertionError("setup.py defines no ROOTS")


ROOTS = _roots()
SHIPPED = sorted(set(ROOTS.values()))


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
    result = _run("ruff", "check", "--no-cache", *SHIPPED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    _tool("ruff")
    result = _run("ruff", "format", "--check", "--no-cache", *SHIPPED)
    assert result.returncode == 0, result.stdout + result.stderr


def _package_tree(root: Path) -> Path:
    """``protocol_kit`` laid out as the wheel installs it, out of symlinks into the repository.

    mypy cannot follow setup.py's package-dir mapping, so it checks this tree instead.
    """
    package = root / "protocol_kit"
    package.mkdir()
    for entry in (REPO / ROOTS["protocol_kit"]).iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name, folder in ROOTS.items():
        if name != "protocol_kit":
            (package / name.removeprefix("protocol_kit.")).symlink_to(REPO / folder)
    return root


def test_mypy_strict_is_clean(tmp_path: Path) -> None:
    _tool("mypy")
    tree = _package_tree(tmp_path)
    result = _run(
        "mypy",
        "--config-file",
        str(REPO / "pyproject.toml"),
        # Kept between runs (it is git-ignored): a warm check takes seconds, a cold one minutes.
        "--cache-dir",
        str(REPO / ".mypy_cache"),
        "-p",
        "protocol_kit",
        cwd=tree,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
