"""Shared fixtures for the hardening tests: `protocol-kit serve` as a real, killable child process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.serving import ServeProcess


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    """A not-yet-started server on ``tmp_path/protocol.db`` with two accounts."""
    process = ServeProcess(
        tmp_path / "protocol.db",
        ["hardening-token-a-s3cr3t", "hardening-token-b-s3cr3t"],
        tmp_path / "serve.log",
    )
    try:
        yield process
    finally:
        process.stop()
