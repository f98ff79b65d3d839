"""Plain `schemathesis run --checks all` on the spec finds nothing wrong with the reference server."""

from __future__ import annotations

import pytest

from tests.support import schemathesis

from .conftest import TOKEN


@pytest.mark.skipif(not schemathesis.installed(), reason="schemathesis is not installed")
def test_schemathesis_all_checks_all_phases_pass(base_url: str) -> None:
    result = schemathesis.run_schemathesis(
        base_url, TOKEN, max_examples=40, seed=20261125, timeout=300
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅  {phase}" in result.stdout, result.stdout[-3000:]
