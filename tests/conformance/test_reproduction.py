"""Reproductions run as printed: the script of a failure, sent to the broken server again,
shows the same wrong answer; --keep-data leaves the run's data in place."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from protocol_kit.conformance.outcome import Outcome
from protocol_kit.conformance.reports import reproduction
from protocol_kit.conformance.transport import Transport
from tests.conformance.report_checks import assert_valid_report
from tests.support.cli import verify_against
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.scripted import ScriptedServer


def _findings(fake_server: FakeServer, fault: str, rule_id: str, tmp_path: Path) -> list[Any]:
    fake_server.reset({fault})
    report = tmp_path / "r.json"
    result = verify_against(fake_server.url, "--only", rule_id, "--json", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"re-run this rule: protocol-kit verify {fake_server.url}" in result.stdout
    document = json.loads(report.read_text(encoding="utf-8"))
    assert_valid_report(document)
    (found,) = [r for r in document["results"] if r["id"] == rule_id]
    assert f"--only {rule_id} --seed 5" in found["reproduce"]
    return list(found["findings"])


def _run(script: str) -> tuple[int, dict[str, Any] | str]:
    """Run the script with sh (token from the environment, as the script asks); the last
    answer's status and body."""
    environment = {**os.environ, "TOKEN": TOKENS[0], "OTHER_TOKEN": TOKENS[1]}
    output = subprocess.run(
        ["sh", "-c", script], capture_output=True, env=environment, timeout=60, check=True
    ).stdout.decode("utf-8", "replace")
    head, _, body = output.rpartition("HTTP/1.")[2].partition("\r\n\r\n")
    status = int(head.split()[1])
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def test_a_printed_script_shows_the_same_wrong_answer(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    findings = _findings(fake_server, "update-returns-old", "LIFECYCLE-UPDATE-RESPONSE", tmp_path)
    finding = findings[0]
    assert len(finding["requests"]) > 1  # the create and updates that set up the state
    assert finding["requests"][0]["method"] == "POST"
    script = finding["script"]
    assert "ID1=$(" in script and TOKENS[0] not in script
    # "actual" shows the differing fields: the server's answer to the script must carry them too.
    shown = json.loads(re.match(r"200 (\{.*?\})", finding["actual"]).group(1))  # type: ignore[union-attr]
    fake_server.reset({"update-returns-old"})  # a fresh server state
    status, body = _run(script)
    assert status == 200 and isinstance(body, dict)
    assert {name: body[name] for name in shown} == shown


def test_bytes_that_are_not_text_survive_the_script(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    findings = _findings(fake_server, "json-any-encoding", "PROTO-JSON-UTF8", tmp_path)
    (finding,) = [f for f in findings if f["message"] == "a create body in UTF-16 must answer 400"]
    script = finding["script"]
    assert "printf '" in script and "\\377\\376" in script and "--data-binary @-" in script
    fake_server.reset({"json-any-encoding"})
    status, _ = _run(script)
    assert status == int(finding["actual"].split()[0]) == 201


def test_keep_data_leaves_the_runs_conversations(fake_server: FakeServer) -> None:
    fake_server.reset(set())
    assert verify_against(fake_server.url, "--only", "lifecycle").returncode == 0
    assert fake_server.rows == []  # cleaned up by default
    kept = verify_against(fake_server.url, "--only", "lifecycle", "--keep-data")
    assert kept.returncode == 0
    assert fake_server.rows and "--keep-data" in kept.stdout


def test_a_printed_curl_line_runs_as_printed(fake_server: FakeServer, tmp_path: Path) -> None:
    findings = _findings(fake_server, "no-allow-header", "PROTO-ALLOW-HEADER", tmp_path)
    line = findings[0]["exchange"]["curl"]
    assert '"Authorization: Bearer ${TOKEN}"' in line and TOKENS[0] not in line
    fake_server.reset({"no-allow-header"})
    status, _ = _run(line)
    assert status == int(findings[0]["exchange"]["status"]) == 405


def _basic(pair: str) -> str:
    return "Basic " + base64.b64encode(pair.encode()).decode()


@pytest.mark.parametrize(
    "tokens",
    [("A", "B"), ("short1", "B2"), (TOKENS[0], TOKENS[1])],
    ids=["one letter", "under 8", "long"],
)
def test_basic_credentials_holding_a_token_are_redacted_whole_and_replay_the_same(
    tokens: tuple[str, str],
) -> None:
    """Base64 hides nothing: Basic credentials whose user or password is a token of the run are
    shown as a command that encodes them again, whatever the token's length; the rest of the
    line (and Basic credentials of no token) is left as it is, and the line sends what was sent."""
    token, other = tokens
    variables = {"TOKEN": token, "OTHER_TOKEN": other}
    outcome = Outcome("", 5, [], [], {}, 0.0, tokens=variables)
    server = ScriptedServer()
    transport = Transport(server.url)
    try:
        long = len(token) >= 8
        for authorization, held in [
            (_basic(f"{token}:"), {"TOKEN"}),
            (_basic(f":{other}"), {"OTHER_TOKEN"}),
            (_basic(f"{token}:{other}"), {"TOKEN", "OTHER_TOKEN"}),
            (_basic(f"user:{token}"), {"TOKEN"}),
            (_basic("user:pass"), set()),
            (_basic(f"x{token}x:"), {"TOKEN"} if long else set()),  # a short one is no word
        ]:
            server.script()
            path = f"/v1/conversations/{token}{other}B/{authorization[6:]}"
            sent = transport.send("GET", path, headers={"Authorization": authorization})
            line = reproduction.curl(sent, outcome, show_secrets=False)
            credential = authorization.removeprefix("Basic ")
            header = line.split("-H ")[1]
            assert (credential not in header) == bool(held), line
            assert line.count(f"/{token}{other}B/{credential}") == 1, line  # the URL as it was
            assert set(re.findall(r"\$\{(\w+)\}", header)) == held, line
            server.script()
            subprocess.run(
                ["sh", "-c", line],
                capture_output=True,
                env={**os.environ, **variables},
                timeout=30,
                check=True,
            )
            (replayed,) = server.requests
            assert replayed.headers["Authorization"] == authorization, line
    finally:
        transport.close()
        server.close()
