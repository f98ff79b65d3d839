"""Fixtures shared by every test package: where the repository and the seed documents are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.paths import SEED_DIR

# The tools installed beside the interpreter that runs the tests (the venv's `schemathesis`,
# `protocol-kit`, …) come first, as if that venv were activated.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@pytest.fixture(scope="session")
def seed_page() -> str:
    """The seed page's text; tests that compare against it skip where ../shared is absent."""
    page = SEED_DIR / "conversations.mdx"
    if not page.exists():
        pytest.skip(f"the seed page {page} is not here (../shared exists only beside a checkout)")
    return page.read_text(encoding="utf-8")
