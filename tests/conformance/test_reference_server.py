"""The kit against correct servers (it must find nothing) and schemathesis' share of the work."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from protocol_kit.conformance.rules import delivery, restart
from protocol_kit.server.runner import free_port, running_server
from protocol_kit.server.webhooks import Endpoint
from tests.support.cli import verify, verify_against
from tests.support.fake_server import TOKENS, FakeServer


def _statuses(report: Path) -> dict[str, str]:
    """Each rule's status, but for the opt-in checks' (not asked for: skipped)."""
    opt_in = delivery.OPT_IN | restart.OPT_IN
    results = json.loads(report.read_text())["results"]
    return {r["id"]: r["status"] for r in results if r["id"] not in opt_in}


def test_default_verify_passes_the_embedded_reference_server_in_under_a_minute(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.json"
    began = time.monotonic()
    result = verify("--seed", "11", "--json", str(report))
    elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stdout[-4000:]
    assert "CONFORMANT: no rule failed" in result.stdout
    assert "seed 11" in result.stdout
    statuses = _statuses(report)
    assert set(statuses.values()) == {"passed"}  # two generated tokens: nothing skipped
    assert any(rule.startswith("schemathesis:object_level_authorization") for rule in statuses)
    assert elapsed < 60


def test_verify_passes_a_running_reference_server_with_another_seed(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    listen = f"127.0.0.1:{free_port()}"
    endpoint = Endpoint(TOKENS[0], f"http://{listen}/webhooks", "webhook-secret")
    with running_server(db=tmp_path / "ref.db", tokens=TOKENS, webhooks=[endpoint]) as url:
        result = verify(
            url,
            "--webhook-listen",
            listen,
            "--webhook-secret",
            endpoint.secret,
            "--token",
            TOKENS[0],
            "--other-token",
            TOKENS[1],
            "--seed",
            "12",
            "--json",
            str(report),
        )
    assert result.returncode == 0, result.stdout[-4000:]
    assert set(_statuses(report).values()) == {"passed"}


def test_verify_leaves_data_it_did_not_create_alone_and_cleans_up(tmp_path: Path) -> None:
    """Against an account that already holds conversations (the demo data)."""
    import httpx

    with running_server(db=tmp_path / "ref.db", tokens=TOKENS, demo=True) as url:
        headers = {"Authorization": f"Bearer {TOKENS[0]}"}
        before = httpx.get(f"{url}/v1/conversations?limit=100", headers=headers).json()
        result = verify(
            url,
            "--token",
            TOKENS[0],
            "--other-token",
            TOKENS[1],
            "--seed",
            "13",
            "--max-examples",
            "10",
        )
        after = httpx.get(f"{url}/v1/conversations?limit=100", headers=headers).json()
    assert result.returncode == 0, result.stdout[-4000:]
    assert before["data"], "the demo account should hold conversations"
    assert after == before


def test_schemathesis_phase_passes_the_independent_fake_server(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.reset(set())
    report = tmp_path / "report.json"
    result = verify_against(
        fake_server.url, "--only", "schemathesis", "--max-examples", "10", "--json", str(report)
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert len(_statuses(report)) > 20


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("extra-field", "response_schema_conformance"),
        ("isolation-off", "object_level_authorization"),
        ("method-404", "unsupported_method"),
    ],
)
def test_schemathesis_phase_reports_by_check_and_operation(
    fake_server: FakeServer, tmp_path: Path, fault: str, check: str
) -> None:
    fake_server.reset({fault})
    report = tmp_path / "report.json"
    result = verify_against(
        fake_server.url, "--only", "schemathesis", "--max-examples", "10", "--json", str(report)
    )
    assert result.returncode == 1
    failed = [rule for rule, status in _statuses(report).items() if status == "failed"]
    assert any(rule.startswith(f"schemathesis:{check}:") for rule in failed), failed
