"""Plain `schemathesis run --checks all` on the spec finds nothing wrong with the reference server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import TOKEN

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("schemathesis") is None, reason="schemathesis is not installed")
def test_schemathesis_all_checks_all_phases_pass(base_url: str) -> None:
    # Run from the repository so the narrow, commented deviations in schemathesis.toml apply.
    result = subprocess.run(
        [
            "schemathesis",
            "run",
            "openapi/conversations.yaml",
            "--url",
            base_url,
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            "40",
            "--seed",
            "20261125",
            "--no-color",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅  {phase}" in result.stdout, result.stdout[-3000:]
