"""`protocol-kit verify URL --webhook-listen HOST:PORT --webhook-secret S` against a server registered there."""

from __future__ import annotations

from protocol_kit.server.runner import free_port, running_server
from protocol_kit.server.webhooks import Endpoint
from tests.support.cli import verify

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
