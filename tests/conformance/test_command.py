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
from protocol_kit.conformance.rules import GROUPS
from tests.conformance.report_checks import (
    assert_printable,
    assert_valid_junit,
    assert_valid_report,
)
from tests.support.cli import verify, verify_against
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.garbage_server import HOSTILE, GarbageServer
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
        [
            "--skip",
            (
                "lifecycle,create,update,concurrency,list,auth,isolation,webhooks,delivery,restart,"
                "encoding,protocol,schemathesis"
            ),
        ],
        ["--baseline-update"],
        ["--spec", "/nonexistent/spec.yaml"],
        ["--max-examples", "0"],
    ],
)
def test_bad_arguments_exit_2(args: list[str]) -> None:
    result = verify(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("protocol-kit verify: could not run:")


def test_only_selects_rule_ids_as_well_as_groups(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.reset({"muted-ignored"})
    report = tmp_path / "r.json"
    result = verify_against(
        fake_server.url, "--only", "LIST-FILTER-MUTED,auth", "--json", str(report)
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED LIST-FILTER-MUTED" in result.stdout
    document = json.loads(report.read_text())
    assert_valid_report(document)
    reported = {r["id"] for r in document["results"]}
    auth = {rule.id for group in GROUPS if group.name == "auth" for rule in group.rules}
    assert reported == {"LIST-FILTER-MUTED"} | auth

    unknown = verify("--only", "LIST-FILTER-MUTED,LIST-NOPE")
    assert unknown.returncode == 2
    assert "LIST-NOPE" in unknown.stderr and "LIST-FILTER-ARCHIVED" in unknown.stderr
    assert "schemathesis" in unknown.stderr  # the valid groups are listed too


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
    assert "\n     schemathesis:\n" in output  # its own explanation, under its own label


def test_hostile_bytes_reach_no_report_raw(tmp_path: Path) -> None:
    """A server answering NUL, terminal escapes, bytes that are not UTF-8 and markup: every report
    stays valid for its medium and shows those bytes as visible escapes."""
    junit, report, html = tmp_path / "junit.xml", tmp_path / "r.json", tmp_path / "r.html"
    with GarbageServer(HOSTILE, "application/json") as server:
        result = verify(
            server.url,
            *("--token", "t", "--seed", "1", "--max-examples", "3"),
            *("--junit-xml", str(junit), "--json", str(report), "--report", str(html)),
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert_printable(result.stdout + result.stderr, "the terminal output")
    assert "\\x00\\x1b[31mred" in result.stdout  # shown, not interpreted

    tree = assert_valid_junit(junit)
    assert any(case.find("failure") is not None for case in tree.getroot().iter("testcase"))
    assert "\\x00" in junit.read_text(encoding="utf-8")
    document = json.loads(report.read_text(encoding="utf-8"))
    assert_valid_report(document)
    assert_printable(json.dumps(document, ensure_ascii=False), "the JSON report")
    page = html.read_text(encoding="utf-8")
    assert_printable(page, "the HTML report")
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


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
    # The list diff names what is wrong: conversations that are not muted listed anyway.
    assert re.search(r"\d+ id\(s\) — extra \[\"[A-Za-z0-9]{16}\"", result.stdout)
    assert TOKENS[0] not in result.stdout and 'Bearer ${TOKEN}"' in result.stdout

    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert cases["LIST-FILTER-MUTED"].find("failure") is not None
    assert cases["LIFECYCLE-GET"].find("failure") is None
    assert_valid_junit(junit)
    document = json.loads(report.read_text())
    assert_valid_report(document)
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
    assert "CONFORMANT: no rule failed" not in accepted.stdout
    assert "CONFORMANT ONLY BY THE BASELINE: 1 failing rule(s)" in accepted.stdout

    fake_server.reset(set())
    fixed = verify_against(fake_server.url, "--only", "protocol", "--baseline", str(baseline))
    assert fixed.returncode == 0
    assert "accepts rules that now pass" in fixed.stdout and "PROTO-ALLOW-HEADER" in fixed.stdout

    fake_server.reset({"head-allowed"})
    new = verify_against(fake_server.url, "--only", "protocol", "--baseline", str(baseline))
    assert new.returncode == 1
    assert "FAILED PROTO-METHOD-NOT-ALLOWED" in new.stdout


def test_a_baseline_written_with_one_seed_holds_for_others(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """Keyed by rule id (operation and check for schemathesis), not by generated example."""
    baseline = tmp_path / "baseline.txt"
    faults = {"extra-field", "no-allow-header"}
    selection = ("--only", "protocol,schemathesis", "--max-examples", "5")
    fake_server.reset(faults)
    written = verify_against(
        fake_server.url, *selection, "--seed", "3", "--baseline", str(baseline), "--baseline-update"
    )
    assert written.returncode == 0, written.stdout + written.stderr
    accepted = [line.split()[0] for line in baseline.read_text().splitlines() if line[:1] != "#"]
    assert "PROTO-ALLOW-HEADER" in accepted
    assert any(rule_id.startswith("schemathesis:") for rule_id in accepted), accepted
    for seed in ("4", "5", "6"):
        fake_server.reset(faults)
        junit, report = tmp_path / f"{seed}.xml", tmp_path / f"{seed}.json"
        again = verify_against(
            fake_server.url,
            *selection,
            *("--seed", seed, "--baseline", str(baseline)),
            *("--junit-xml", str(junit), "--json", str(report)),
        )
        assert again.returncode == 0, f"seed {seed}:\n{again.stdout}"
        assert_valid_junit(junit)
        document = json.loads(report.read_text(encoding="utf-8"))
        assert_valid_report(document)
        assert document["counts"]["accepted"] == len(accepted)
        headline = again.stdout.strip().splitlines()[-1]
        assert headline.startswith(
            f"CONFORMANT ONLY BY THE BASELINE: {len(accepted)} failing rule(s) accepted"
        ), headline


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
