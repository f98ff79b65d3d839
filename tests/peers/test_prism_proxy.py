"""Prism, as a validating proxy in front of the reference server, agrees with it on what is valid.

Prism forwards every request (``--errors false``) and reports what it finds wrong with a request
or a response in the ``sl-violations`` header and in its log. Valid traffic (hand-written,
schemathesis' positive phases) must draw no violation; under the kit's behavioural rules, no
response may draw one, and a request Prism calls invalid must be one the server rejected too.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from protocol_kit.server.runner import free_port, running_server
from protocol_kit.spec import default_spec_path
from tests.support.cli import verify
from tests.support.paths import REPO
from tests.support.peers import node_tool
from tests.support.serving import stopping, wait_ready

TOKEN = "token-behind-prism"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The checks about valid requests and every answer; each case schemathesis sends is valid.
POSITIVE_CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance,positive_data_acceptance"
)
PROBE = "/schemathesis-probe"
# The kit's groups whose requests Prism forwards. The others send what Prism answers itself
# (auth, protocol: unknown paths and methods), requests sent at once, so that its log cannot
# tell them apart (concurrency), or truncated JSON bodies, which Prism 5.16 never answers
# (create, update: their malformed-body rules).
KIT_GROUPS = "lifecycle,list"
_RECEIVED = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) .*Request received$")
_RETURNED = re.compile(r"The upstream call to \S+ has returned (\d{3})$")
_VIOLATION = re.compile(r"\[VALIDATOR\] .*Violation: ((request|response)\S*) (.*)$")


@dataclass
class Answered:
    """One request as Prism's log tells it: what the server answered and what Prism found."""

    request: str
    status: int = 0
    violations: list[tuple[str, str]] = field(default_factory=list)  # (where, what)

    def found(self, side: str) -> list[str]:
        return [f"{where}: {what}" for where, what in self.violations if where.startswith(side)]


@dataclass
class Proxy:
    url: str
    log: Path

    def mark(self) -> int:
        return self.log.stat().st_size

    def answered_since(self, mark: int) -> list[Answered]:
        """Prism's log from ``mark`` on, one entry per request (the traffic is sequential)."""
        with self.log.open("rb") as log:
            log.seek(mark)
            lines = log.read().decode("utf-8", "replace").splitlines()
        answered: list[Answered] = []
        for line in lines:
            if received := _RECEIVED.search(line):
                answered.append(Answered(f"{received[1].upper()} {received[2]}"))
            elif answered and (returned := _RETURNED.search(line)):
                answered[-1].status = int(returned[1])
            elif violation := _VIOLATION.search(line):
                assert answered, line
                answered[-1].violations.append((violation[1], violation[3]))
        return answered


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with running_server(":memory:", tokens=[TOKEN]) as upstream, log.open("wb") as sink:
        port = free_port()
        command = [str(node_tool("prism")), "proxy", str(default_spec_path()), upstream]
        command += ["--host", "127.0.0.1", "--port", str(port), "--errors", "false"]
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        with stopping(proc):
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc)
            yield Proxy(url, log)


@pytest.fixture
def proxied(proxy: Proxy) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=proxy.url, headers=headers, timeout=30) as client:
        yield client


def _valid_traffic(api: httpx.Client) -> Iterator[httpx.Response]:
    """Requests the contract allows, in JSON and in forms, and what the server answered."""
    contact = api.post("/v1/conversations", json={"contact_id": "WAz8eIbvDR60rouK"})
    yield contact
    yield api.post("/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV", "contact_id": None})
    yield api.post("/v1/conversations", content="contact_id=WAz8eIbvDR60rouK", headers=FORM)
    yield api.post(
        "/v1/conversations", content="contact_id=null&group_id=8Kw2bQqN1mTz7XcV", headers=FORM
    )
    yield api.post(
        "/v1/conversations", content="contact_id=&group_id=8Kw2bQqN1mTz7XcV", headers=FORM
    )
    one = f"/v1/conversations/{contact.json()['id']}"
    yield api.get(one)
    yield api.put(one, json={"pinned_message_id": "xgQQXg3hrtjh7AvZ", "is_pinned": True})
    yield api.put(one, json={"archived_at": 705103200, "is_muted": True})
    yield api.put(one, json={"pinned_message_id": None, "archived_at": None})
    yield api.put(
        one, content="pinned_message_id=xgQQXg3hrtjh7AvZ&archived_at=705103200", headers=FORM
    )
    yield api.put(one, content="pinned_message_id=&archived_at=", headers=FORM)
    yield api.put(
        one, content="pinned_message_id=null&archived_at=null&is_muted=false", headers=FORM
    )
    yield api.put(one, json={})
    first = api.get("/v1/conversations", params={"limit": 2})
    yield first
    last = first.json()["data"][-1]["id"]
    yield api.get("/v1/conversations", params={"limit": 2, "starting_after": last})
    yield api.get("/v1/conversations", params={"ending_before": last, "muted": "false"})
    yield api.get("/v1/conversations", params={"group_id": "8Kw2bQqN1mTz7XcV", "pinned": "false"})
    yield api.get("/v1/conversations", params={"archived": "false"})
    yield api.delete(one)
    yield api.get(one)  # 404, as declared


def test_valid_traffic_has_no_violations(proxied: httpx.Client) -> None:
    answered = list(_valid_traffic(proxied))
    violations = [
        f"{r.request.method} {r.request.url} {r.request.content!r}: {r.headers['sl-violations']}"
        for r in answered
        if "sl-violations" in r.headers
    ]
    assert violations == []
    # Every request went through to the server and was answered as the contract says.
    assert [r.status_code for r in answered] == [201] * 5 + [200] * 13 + [204, 404]


def test_schemathesis_positive_phases_draw_no_violation(proxy: Proxy) -> None:
    mark = proxy.mark()
    ran = subprocess.run(
        [
            "schemathesis",
            "run",
            str(default_spec_path()),
            "--url",
            proxy.url,
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--phases",
            "examples,coverage",
            "--mode",
            "positive",
            "--checks",
            POSITIVE_CHECKS,
            "--max-examples",
            "10",
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-color",
        ],
        cwd=REPO,  # schemathesis.toml's one deviation: unknown cursors are 400 by contract
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr
    # Schemathesis first probes how the server takes odd paths; those are no test cases.
    answered = [a for a in proxy.answered_since(mark) if PROBE not in a.request]
    assert len(answered) > 50, "schemathesis sent fewer cases than a meaningful run"
    assert [f"{a.request} {a.status}: {a.violations}" for a in answered if a.violations] == []


def test_the_kit_and_prism_agree(proxy: Proxy) -> None:
    mark = proxy.mark()
    ran = verify(proxy.url, "--token", TOKEN, "--only", KIT_GROUPS, "--seed", "3")
    # Every rule passes through the proxy: Prism forwards requests and answers unchanged.
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr
    answered = proxy.answered_since(mark)
    assert len(answered) > 100, "the kit sent fewer requests than its groups make"
    # The rules' invalid requests (malformed ids, bad filter values) are flagged: the log is read.
    assert any(a.found("request") for a in answered)
    wrong_answers = [
        f"{a.request} {a.status}: {a.found('response')}" for a in answered if a.found("response")
    ]
    assert wrong_answers == []
    accepted_yet_invalid = [
        f"{a.request} {a.status}: {a.found('request')}"
        for a in answered
        if a.status < 400 and a.found("request")
    ]
    assert accepted_yet_invalid == []
