"""A run that can verify nothing is refused (exit 2, with the reason) before any rule runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cli import verify
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.garbage_server import GarbageServer


@pytest.fixture(scope="module")
def one_account_server() -> Iterator[FakeServer]:
    """Both tokens open the same account, as two API keys of one user would."""
    with FakeServer(TOKENS) as server:
        server.tokens = {token: "account0" for token in TOKENS}
        yield server


def test_only_isolation_without_other_token_exits_2_before_any_request(
    fake_server: FakeServer,
) -> None:
    fake_server.reset(set())
    fake_server.log.clear()
    result = verify(fake_server.url, "--token", TOKENS[0], "--only", "isolation")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "could not run" in result.stderr and "--other-token" in result.stderr
    assert "isolation" in result.stderr
    assert "CONFORMANT" not in result.stdout
    assert fake_server.log == []


def test_isolation_with_other_groups_still_runs_without_other_token(
    fake_server: FakeServer,
) -> None:
    fake_server.reset(set())
    result = verify(fake_server.url, "--token", TOKENS[0], "--only", "isolation,lifecycle")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no --other-token given" in result.stdout


def test_the_same_token_twice_exits_2(fake_server: FakeServer) -> None:
    fake_server.reset(set())
    fake_server.log.clear()
    result = verify(fake_server.url, "--token", TOKENS[0], "--other-token", TOKENS[0])
    assert result.returncode == 2, result.stdout + result.stderr
    assert "same token" in result.stderr
    assert "▶" not in result.stdout  # no group started
    assert not [line for line in fake_server.log if not line.startswith("GET")]


def test_two_tokens_of_one_account_exit_2_before_any_rule(
    one_account_server: FakeServer,
) -> None:
    result = verify(
        one_account_server.url,
        "--token",
        TOKENS[0],
        "--other-token",
        TOKENS[1],
        "--only",
        "isolation,lifecycle",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "same account" in result.stderr and "--other-token" in result.stderr
    assert "▶" not in result.stdout and "ISOLATION-" not in result.stdout
    assert one_account_server.rows == []  # the probe's conversation was deleted


def test_two_accounts_are_not_mistaken_for_one_when_only_reads_leak(
    fake_server: FakeServer,
) -> None:
    fake_server.reset({"isolation-off"})
    result = verify(
        fake_server.url,
        "--token",
        TOKENS[0],
        "--other-token",
        TOKENS[1],
        "--only",
        "isolation",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ISOLATION-GET" in result.stdout


def test_a_run_where_every_rule_was_skipped_exits_2() -> None:
    with GarbageServer() as server:
        result = verify(
            server.url, "--token", TOKENS[0], "--other-token", TOKENS[1], "--only", "isolation"
        )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "nothing was verified" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
