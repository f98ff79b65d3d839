"""`protocol-kit verify` end to end, as a user runs it: exit codes, messages, reports, baseline."""

from __future__ import annotations

import json
import re
import socket
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from protocol_kit.conformance.fuzzing import DEVIATIONS
from tests.support.cli import verify, verify_against
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.garbage_server import GarbageServer
from tests.support.paths import REPO


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the with-block ends


def test_closed_port_exits_2_with_one_clear_line(closed_port: int) -> None:
    result = verify(f"http://127.0.0.1:{closed_port}", "--token", "x")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "could not run" in result.stderr and f"127.0.0.1:{closed_port}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_rejected_token_exits_2(fake_server: FakeServer) -> None:
    fake_server.reset(set())
    result = verify(fake_server.url, "--token", "not-a-token")
    assert result.returncode == 2
    assert "rejected --token" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["http://127.0.0.1:1"],
        ["--only", "nonsense"],
        ["--skip", ("lifecycle,create,update,list,auth,isolation,protocol,schemathesis")],
        ["--baseline-update"],
        ["--spec", "/nonexistent/spec.yaml"],
        ["--max-examples", "0"],
    ],
)
def test_bad_arguments_exit_2(args: list[str]) -> None:
    result = verify(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("protocol-kit verify: could not run:")


def test_html_garbage_server_gives_readable_failures_and_exit_1() -> None:
    with GarbageServer() as server:
        result = verify(server.url, "--token", "t", "--seed", "1", "--max-examples", "5")
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in output
    assert "FAILED LIFECYCLE-CREATE-201" in output
    assert "FAILED PROTO-JSON-RESPONSES" in output
    assert "NOT CONFORMANT" in output
    assert "schemathesis:" in output  # the property-based phase ran and reported too


def test_reports_name_the_failing_rule_and_redact_tokens(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.reset({"muted-ignored"})
    junit, report, html = tmp_path / "junit.xml", tmp_path / "r.json", tmp_path / "r.html"
    result = verify_against(
        fake_server.url,
        "--skip",
        "schemathesis",
        "--junit-xml",
        str(junit),
        "--json",
        str(report),
        "--report",
        str(html),
    )
    assert result.returncode == 1
    assert "FAILED LIST-FILTER-MUTED" in result.stdout and "curl " in result.stdout
    assert TOKENS[0] not in result.stdout and "Bearer <redacted>" in result.stdout

    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert cases["LIST-FILTER-MUTED"].find("failure") is not None
    assert cases["LIFECYCLE-GET"].find("failure") is None
    document = json.loads(report.read_text())
    assert document["conformant"] is False and document["seed"] == 5
    by_id = {r["id"]: r for r in document["results"]}
    assert by_id["LIST-FILTER-MUTED"]["status"] == "failed"
    assert "muted=true" in by_id["LIST-FILTER-MUTED"]["findings"][0]["exchange"]["transcript"]
    page = html.read_text()
    assert "LIST-FILTER-MUTED" in page and "&lt; 200" in page and TOKENS[0] not in page

    shown = verify_against(fake_server.url, "--only", "list", "--show-secrets")
    assert f"Bearer {TOKENS[0]}" in shown.stdout


def test_baseline_accepts_known_failures_and_reports_new_ones(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.txt"
    fake_server.reset({"no-allow-header"})
    written = verify_against(
        fake_server.url, "--only", "protocol", "--baseline", str(baseline), "--baseline-update"
    )
    assert written.returncode == 0
    assert "PROTO-ALLOW-HEADER" in baseline.read_text().split()

    fake_server.reset({"no-allow-header"})
    accepted = verify_against(fake_server.url, "--only", "protocol", "--baseline", str(baseline))
    assert accepted.returncode == 0, accepted.stdout
    assert "accepted by the baseline: PROTO-ALLOW-HEADER" in accepted.stdout

    fake_server.reset({"head-allowed"})
    new = verify_against(fake_server.url, "--only", "protocol", "--baseline", str(baseline))
    assert new.returncode == 1
    assert "FAILED PROTO-METHOD-NOT-ALLOWED" in new.stdout


def test_the_same_seed_sends_the_same_requests(fake_server: FakeServer) -> None:
    def requests(seed: str) -> list[str]:
        fake_server.reset(set())
        verify_against(fake_server.url, "--only", "update", "--seed", seed)
        log = fake_server.log
        fake_server.log = []
        # Ids are fresh per run and created_at is the server's clock: the rest is the seed's.
        return [
            re.sub(r'[A-Za-z0-9]{16}|"created_at": \d+', "<server value>", line) for line in log
        ]

    fake_server.log = []
    first, again, other = requests("21"), requests("21"), requests("22")
    assert first == again
    assert first != other


def test_the_kit_deviates_from_schemathesis_defaults_as_the_repository_config_does() -> None:
    kit = tomllib.loads(DEVIATIONS)
    repository = tomllib.loads((REPO / "schemathesis.toml").read_text())
    assert kit["operations"] == repository["operations"]
