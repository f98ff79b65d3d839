"""`protocol-kit verify URL --webhook-listen HOST:PORT --webhook-secret S` against a server registered there."""

from __future__ import annotations

import json
from pathlib import Path

from protocol_kit.server.runner import free_port, running_server
from protocol_kit.server.webhooks import Endpoint
from tests.support.cli import verify, verify_against
from tests.support.fake_server import TOKENS, FakeServer

_TOKENS = ("webhook-command-token-a", "webhook-command-token-b")
_SECRET = "webhook-command-secret"


def test_the_kit_receives_a_registered_servers_webhooks_and_judges_them() -> None:
    port = free_port()
    endpoint = Endpoint(_TOKENS[0], f"http://127.0.0.1:{port}/webhooks", _SECRET)
    with running_server(tokens=_TOKENS, webhooks=[endpoint]) as url:
        done = verify(
            url,
            "--token",
            _TOKENS[0],
            "--other-token",
            _TOKENS[1],
            "--webhook-listen",
            f"127.0.0.1:{port}",
            "--webhook-secret",
            _SECRET,
            "--only",
            "webhooks",
            "--seed",
            "4",
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "webhooks            11       0        0" in done.stdout


def test_a_wrong_secret_fails_the_signature_rule() -> None:
    port = free_port()
    endpoint = Endpoint(_TOKENS[0], f"http://127.0.0.1:{port}/webhooks", "not-the-secret")
    with running_server(tokens=_TOKENS, webhooks=[endpoint]) as url:
        done = verify(
            url,
            "--token",
            _TOKENS[0],
            "--webhook-listen",
            f"127.0.0.1:{port}",
            "--webhook-secret",
            _SECRET,
            "--only",
            "WEBHOOK-SIGNATURE",
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "WEBHOOK-SIGNATURE" in done.stdout


def test_webhook_flags_are_checked_before_any_request() -> None:
    for args in (
        ["--webhook-listen", "nowhere"],
        ["--webhook-listen", "127.0.0.1:1"],  # needs --webhook-secret with a BASE_URL
        ["--webhook-secret", "s"],  # needs --webhook-listen
    ):
        done = verify("http://127.0.0.1:9", "--token", "t", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "--webhook-" in done.stderr


def test_an_endpoint_that_receives_nothing_is_one_finding_the_others_blocked(
    tmp_path: Path,
) -> None:
    """No endpoint registered for the account: one finding names the receiver's URL and what
    to check, within a bounded wait; the other webhook rules are blocked by it, not failed; the
    re-run hint carries the webhook flags."""
    port = free_port()
    report = tmp_path / "r.json"
    with FakeServer(TOKENS) as server:  # its webhooks go nowhere
        result = verify_against(
            server.url,
            *("--webhook-listen", f"127.0.0.1:{port}", "--webhook-secret", "s3cret"),
            *("--only", "webhooks", "--json", str(report)),
        )
    assert result.returncode == 1, result.stdout + result.stderr
    url = f"http://127.0.0.1:{port}/webhooks"
    assert result.stdout.count("FAILED ") == 1 and "FAILED WEBHOOK-EVENTS" in result.stdout
    assert "no webhook arrived within" in result.stdout and url in result.stdout
    assert "--token account" in result.stdout and "--webhook-secret" in result.stdout
    results = {r["id"]: r for r in json.loads(report.read_text())["results"]}
    blocked = {i: r for i, r in results.items() if i != "WEBHOOK-EVENTS"}
    assert blocked and all(r["status"] == "skipped" for r in blocked.values())
    assert all(r["reason"].startswith("blocked by WEBHOOK-EVENTS") for r in blocked.values())
    rerun = results["WEBHOOK-EVENTS"]["reproduce"]
    assert f'--webhook-listen 127.0.0.1:{port} --webhook-secret "$WEBHOOK_SECRET"' in rerun
