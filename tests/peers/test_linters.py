"""Spectral (spectral:oas) and Redocly (recommended), pinned in tests/tools, find nothing in the spec."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from protocol_kit.spec import default_spec_path

TOOLS = Path(__file__).resolve().parents[1] / "tools"
BIN = TOOLS / "node_modules" / ".bin"


def _tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is missing: run `npm ci --prefix tests/tools` (scripts/setup.sh does)")
    return path


def test_spectral_oas_finds_nothing() -> None:
    ran = subprocess.run(
        [
            _tool("spectral"),
            "lint",
            "--quiet",
            "--format",
            "json",
            "--fail-severity",
            "hint",
            "--ruleset",
            TOOLS / ".spectral.yaml",
            default_spec_path(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    findings = json.loads(ran.stdout)
    assert findings == [], [
        f"{f['code']} {'/'.join(map(str, f['path']))}: {f['message']}" for f in findings
    ]
    assert ran.returncode == 0, ran.stderr


def test_redocly_recommended_finds_nothing() -> None:
    ran = subprocess.run(
        [
            _tool("redocly"),
            "lint",
            "--format",
            "json",
            "--config",
            TOOLS / "redocly.yaml",
            default_spec_path(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(ran.stdout)
    problems = [f"{p['ruleId']}: {p['message']}" for p in report["problems"]]
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, problems
    assert ran.returncode == 0, ran.stderr
