"""Requirement levels in `verify`: a failed SHOULD is a warning everywhere, and exit 0."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conformance.report_checks import assert_valid_junit, assert_valid_report
from tests.support.cli import verify_against
from tests.support.fake_server import FakeServer

# A SHOULD of the auth group: a refused token's 401 names no `error="invalid_token"`.
SHOULD_FAULT, SHOULD_RULE = "no-invalid-token-error", "AUTH-INVALID-TOKEN-ERROR"


def test_a_failed_should_is_a_warning_in_every_report_and_exits_0(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.reset({SHOULD_FAULT})
    junit, report, page = tmp_path / "v.xml", tmp_path / "v.json", tmp_path / "v.html"
    reports = {"--junit-xml": junit, "--json": report, "--report": page}
    flags = [str(part) for pair in reports.items() for part in pair]
    result = verify_against(fake_server.url, "--only", "auth", *flags)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CONFORMANT with 1 warning:" in result.stdout
    assert f"WARNING {SHOULD_RULE} [auth] (SHOULD)" in result.stdout
    assert "FAILED " not in result.stdout

    document = json.loads(report.read_text())
    assert_valid_report(document)
    assert document["conformant"] is True and document["strict"] is False
    assert document["counts"]["warnings"] == 1 and document["counts"]["failed"] == 0
    by_id = {r["id"]: r for r in document["results"]}
    assert (by_id[SHOULD_RULE]["status"], by_id[SHOULD_RULE]["level"]) == ("warning", "SHOULD")
    assert by_id[SHOULD_RULE]["findings"]
    assert by_id["AUTH-MISSING"]["level"] == "MUST"

    tree = assert_valid_junit(junit)
    suite = tree.getroot().find("testsuite[@name='auth']")
    assert suite is not None and suite.get("failures") == "0" and suite.get("skipped") == "1"
    case = suite.find(f"testcase[@name='{SHOULD_RULE}']")
    assert case is not None and case.find("failure") is None
    skipped = case.find("skipped")
    assert skipped is not None and not skipped.attrib
    assert (skipped.text or "").startswith("WARNING: a SHOULD requirement is not met")

    html = page.read_text()
    assert "CONFORMANT with 1 warning" in html and "warning: a SHOULD not met" in html


def test_strict_turns_warnings_into_failures(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.reset({SHOULD_FAULT})
    report = tmp_path / "v.json"
    result = verify_against(fake_server.url, "--only", "auth", "--strict", "--json", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAILED {SHOULD_RULE} [auth] (SHOULD)" in result.stdout
    assert "NOT CONFORMANT: 1 rule failed" in result.stdout
    document = json.loads(report.read_text())
    assert_valid_report(document)
    assert document["strict"] is True and document["conformant"] is False
    assert {r["id"]: r["status"] for r in document["results"]}[SHOULD_RULE] == "failed"


def test_a_baseline_accepts_warnings_and_skip_leaves_them_out(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.reset({SHOULD_FAULT})
    baseline = tmp_path / "baseline.txt"
    written = verify_against(
        fake_server.url, "--only", "auth", "--baseline", str(baseline), "--baseline-update"
    )
    assert written.returncode == 0 and SHOULD_RULE in baseline.read_text()
    accepted = verify_against(
        fake_server.url, "--only", "auth", "--strict", "--baseline", str(baseline)
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "CONFORMANT ONLY BY THE BASELINE: 1 failing rule accepted" in accepted.stdout
    skipped = verify_against(fake_server.url, "--only", "auth", "--skip", SHOULD_RULE)
    assert skipped.returncode == 0
    assert "CONFORMANT: no rule failed" in skipped.stdout
