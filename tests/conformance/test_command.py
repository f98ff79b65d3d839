"""`protocol-kit verify` end to end, as a user runs it: exit codes, messages, reports, baseline."""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
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
from tests.support.cli import cli_command, verify, verify_against
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

    unknown = verify("--only", "LIST-FILTER-MUTED,LIST-FILTER-MUTD")
    assert unknown.returncode == 2
    assert unknown.stderr.count("\n") == 1
    assert "LIST-FILTER-MUTD" in unknown.stderr
    assert "did you mean LIST-FILTER-MUTED" in unknown.stderr  # the near matches
    assert "AUTH-MISSING" not in unknown.stderr  # not every id
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
    assert re.search(r"\d+ ids? — extra \[\"[A-Za-z0-9]{16}\"", result.stdout)
    assert TOKENS[0] not in result.stdout and 'Bearer ${TOKEN}"' in result.stdout
    # The list's data is deleted at the end: its reproduction says how to keep it.
    assert "re-run the rule with --keep-data to keep it" in result.stdout

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
    assert "TOKEN" not in baseline.read_text().replace("<TOKEN>", "")

    fake_server.reset({"no-allow-header"})
    junit, report, html = tmp_path / "junit.xml", tmp_path / "r.json", tmp_path / "r.html"
    accepted = verify_against(
        fake_server.url,
        *("--only", "protocol", "--baseline", str(baseline)),
        *("--junit-xml", str(junit), "--json", str(report), "--report", str(html)),
    )
    assert accepted.returncode == 0, accepted.stdout
    # Accepted is not fixed: every report keeps what is wrong and how to see it again.
    case = next(
        c
        for c in assert_valid_junit(junit).getroot().iter("testcase")
        if c.get("name") == "PROTO-ALLOW-HEADER"
    )
    details = case.findtext("skipped") or ""
    assert "expected:" in details and "actual:" in details and "curl " in details, details
    result = next(
        r for r in json.loads(report.read_text())["results"] if r["id"] == "PROTO-ALLOW-HEADER"
    )
    assert result["baselined"] and result["findings"][0]["expected"]
    page = html.read_text()
    assert "PROTO-ALLOW-HEADER (accepted by the baseline)" in page and "curl " in page
    assert "accepted by the baseline: PROTO-ALLOW-HEADER" in accepted.stdout
    assert "CONFORMANT: no rule failed" not in accepted.stdout
    assert "CONFORMANT ONLY BY THE BASELINE: 1 failing rule accepted" in accepted.stdout

    fake_server.reset(set())
    fixed = verify_against(fake_server.url, "--only", "protocol", "--baseline", str(baseline))
    assert fixed.returncode == 0
    assert "accepts failures that no longer happen" in fixed.stdout
    assert "PROTO-ALLOW-HEADER @ " in fixed.stdout

    fake_server.reset({"method-404"})
    new = verify_against(fake_server.url, "--only", "protocol", "--baseline", str(baseline))
    assert new.returncode == 1
    assert "FAILED PROTO-METHOD-NOT-ALLOWED" in new.stdout


def test_a_baseline_accepts_the_cases_it_names_not_the_whole_rule(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """Accepting PATCH answered 404 does not hide TRACE answered 404: another case of the same
    rule. An entry with the rule id alone (the older format) still accepts every case, and
    the run suggests rewriting it."""
    baseline = tmp_path / "baseline.txt"
    selection = ("--only", "PROTO-METHOD-NOT-ALLOWED", "--baseline", str(baseline))
    fake_server.reset({"patch-404"})
    assert verify_against(fake_server.url, *selection, "--baseline-update").returncode == 0
    entries = [line for line in baseline.read_text().splitlines() if line[:1] != "#"]
    assert entries and all(e.startswith("PROTO-METHOD-NOT-ALLOWED @ PATCH /v1/") for e in entries)

    fake_server.reset({"patch-404"})
    assert verify_against(fake_server.url, *selection).returncode == 0

    fake_server.reset({"patch-404", "trace-404"})
    new_case = verify_against(fake_server.url, *selection)
    assert new_case.returncode == 1, new_case.stdout
    assert "FAILED PROTO-METHOD-NOT-ALLOWED" in new_case.stdout
    assert "TRACE /v1/conversations" in new_case.stdout  # the new case, shown
    assert "(this case is accepted by the baseline)" in new_case.stdout

    baseline.write_text("PROTO-METHOD-NOT-ALLOWED  # written by an older version\n")
    fake_server.reset({"patch-404", "trace-404"})
    old = verify_against(fake_server.url, *selection)
    assert old.returncode == 0, old.stdout
    assert "accepts whole rules (PROTO-METHOD-NOT-ALLOWED)" in old.stdout
    assert "--baseline-update" in old.stdout


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
    # A line is `RULE-ID @ METHOD /path  # statement` (a schemathesis id has a space of its own).
    accepted = {
        line.partition("  #")[0].partition(" @ ")[0].strip()
        for line in baseline.read_text().splitlines()
        if line[:1] != "#"
    }
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
            f"CONFORMANT ONLY BY THE BASELINE: {len(accepted)} failing rules accepted"
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


def test_one_letter_tokens_are_never_guessed_and_redacted_only_as_credentials(
    tmp_path: Path,
) -> None:
    """With `--token A --other-token B` the token "with one character changed" must not be B
    (a correct server would fail AUTH-TOKEN-EXACT), and redaction must not rewrite every A and
    B of a command (`${OTHER_TOKEN}earer`)."""
    report = tmp_path / "r.json"
    with FakeServer(["A", "B"]) as server:
        correct = verify(
            server.url,
            *("--token", "A", "--other-token", "B", "--only", "auth,isolation"),
            *("--seed", "1", "--json", str(report)),
        )
        assert correct.returncode == 0, correct.stdout + correct.stderr
        statuses = {r["id"]: r["status"] for r in json.loads(report.read_text())["results"]}
        assert statuses["AUTH-TOKEN-EXACT"] == "passed"

        server.reset({"auth-any-scheme"})
        failing = verify(
            server.url, *("--token", "A", "--other-token", "B", "--only", "auth", "--seed", "1")
        )
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "FAILED AUTH-MALFORMED" in failing.stdout
    assert "TOKEN}earer" not in failing.stdout and "${TOKEN}uthorization" not in failing.stdout
    assert '"Authorization: Bearer ${TOKEN}"' in failing.stdout
    assert '"Authorization: Token ${TOKEN}"' in failing.stdout  # the credential, as a variable


@pytest.mark.parametrize(
    ("flag", "path", "says"),
    [
        ("--report", ".", "is a directory"),
        ("--json", "report-dir", "is a directory"),
        ("--junit-xml", "a-file/junit.xml", "a-file is not a directory"),
    ],
)
def test_report_paths_that_cannot_be_written_are_refused_before_the_run(
    fake_server: FakeServer, tmp_path: Path, flag: str, path: str, says: str
) -> None:
    (tmp_path / "report-dir").mkdir()
    (tmp_path / "a-file").write_text("")
    fake_server.reset(set())
    fake_server.log = []
    result = verify_against(fake_server.url, flag, str(tmp_path / path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == "" and fake_server.log == []  # nothing ran


def test_a_base_url_repeating_the_version_is_refused_with_the_url_to_give(
    fake_server: FakeServer,
) -> None:
    fake_server.log = []
    result = verify_against(fake_server.url + "/v1/")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1
    assert f"give {fake_server.url}" in result.stderr
    assert fake_server.log == []


def test_a_base_url_with_a_path_prefix_is_verified_under_it(tmp_path: Path) -> None:
    """Behind a gateway (https://gateway.example/protocol): every request of the suite and of
    schemathesis goes under the prefix, the reproductions too."""
    report = tmp_path / "r.json"
    with FakeServer(TOKENS, {"head-404"}, prefix="/protocol") as server:
        result = verify_against(
            server.url,
            *("--only", "lifecycle,protocol,schemathesis", "--max-examples", "2"),
            *("--json", str(report)),
        )
        rows = list(server.rows)
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads(report.read_text())
    by_status: dict[str, set[str]] = {}
    for r in document["results"]:
        by_status.setdefault(r["status"], set()).add(r["id"])
    assert by_status["failed"] == {"PROTO-HEAD"}, by_status["failed"]
    assert any(i.startswith("schemathesis:") for i in by_status["passed"])
    assert f"curl -I {server.url}/v1/conversations" in result.stdout  # curl's own HEAD
    assert "-X HEAD" not in result.stdout
    assert rows == []  # everything made under the prefix was deleted under it


def test_only_one_rule_counts_that_rule_in_progress_and_summary(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """On a terminal (a pty, via script(1)): the progress bar and the summary agree on the one
    rule selected, and counts read in the right number."""
    fake_server.reset({"patch-404"})
    command = " ".join(
        shlex.quote(word)
        for word in cli_command(
            "verify",
            fake_server.url,
            "--token",
            TOKENS[0],
            "--other-token",
            TOKENS[1],
            "--only",
            "PROTO-METHOD-NOT-ALLOWED",
            "--seed",
            "5",
        )
    )
    result = subprocess.run(
        ["script", "-qefc", command, "/dev/null"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "\n", result.stdout)
    assert result.returncode == 1, output
    assert "1 rule of groups: protocol" in output
    assert "✗ protocol: 0 passed, 1 failed, 0 skipped" in output
    assert "NOT CONFORMANT: 1 rule failed — 0 passed" in output
    assert "rule(s)" not in output and "1 rules" not in output


def test_an_embedded_runs_rerun_hint_runs_as_printed(tmp_path: Path) -> None:
    """The bundled server and its tokens are gone after the run: the hint starts a new one."""
    report = tmp_path / "r.json"
    first = verify("--only", "PROTO-METHOD-NOT-ALLOWED", "--seed", "9", "--json", str(report))
    assert first.returncode == 0, first.stdout + first.stderr
    (result,) = json.loads(report.read_text())["results"]
    assert result["reproduce"] == "protocol-kit verify --only PROTO-METHOD-NOT-ALLOWED --seed 9"
    again = verify(*shlex.split(result["reproduce"])[2:])
    assert again.returncode == 0, again.stdout + again.stderr
    assert "seed 9" in again.stdout


def test_keep_data_names_the_conversations_it_kept(fake_server: FakeServer) -> None:
    fake_server.reset(set())
    result = verify_against(fake_server.url, "--only", "lifecycle", "--keep-data")
    assert result.returncode == 0, result.stdout + result.stderr
    note = next(line for line in result.stdout.splitlines() if "--keep-data:" in line)
    kept = {row["id"] for row in fake_server.rows}
    assert kept and set(re.findall(r"[A-Za-z0-9]{16}", note)) == kept, note
    count = len(kept)
    assert f"{count} conversation{'s' if count > 1 else ''} of --token" in note, note
