"""`protocol-kit serve` as a user runs it: a separate process, tokens, demo data, a file database, Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from protocol_kit.cli import build_parser
from protocol_kit.serve import new_token
from tests.support.cli import run_cli
from tests.support.serving import ServeProcess


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """``started(db, tokens, args=..., env=...)`` → a running server logging to a file; stopped after."""
    processes: list[ServeProcess] = []

    def _start(
        db: Path | str,
        tokens: Sequence[str] = (),
        *,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> ServeProcess:
        log = tmp_path / f"serve-{len(processes)}.log"
        process = ServeProcess(db, tokens, log, args=args, env=env)
        processes.append(process)
        process.start()
        return process

    yield _start
    for process in processes:
        process.stop()


def _stop(process: ServeProcess) -> str:
    """Ctrl-C, as a person at the terminal would; the server must exit cleanly."""
    code = process.stop()
    output = process.output()
    assert code == 0, output
    return output


def test_help_explains_every_option() -> None:
    result = run_cli("serve", "--help")
    for option in ("--host", "--port", "--db", "--token", "--demo", "PROTOCOL_TOKENS", ":memory:"):
        assert option in result.stdout


def test_tokens_from_the_environment_and_clean_ctrl_c(
    started: Callable[..., ServeProcess],
) -> None:
    process = started(":memory:", env={"PROTOCOL_TOKENS": "alpha, beta"})
    url = process.url
    for token in ("alpha", "beta"):
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/v1/conversations", headers=headers).status_code == 200
    assert (
        httpx.get(f"{url}/v1/conversations", headers={"Authorization": "Bearer gamma"}).status_code
        == 401
    )
    _stop(process)


def test_without_tokens_one_is_generated_and_printed(started: Callable[..., ServeProcess]) -> None:
    output = _stop(started(":memory:"))
    line = next(line for line in output.splitlines() if "generated" in line)
    token = line.rsplit(" ", 1)[-1]
    assert len(token) >= 20
    url = started(":memory:", args=["--token", token]).url
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{url}/v1/conversations", headers=headers).status_code == 200


def test_demo_loads_the_documented_conversations(started: Callable[..., ServeProcess]) -> None:
    url = started(":memory:", ["t"], args=["--demo"]).url
    response = httpx.get(
        f"{url}/v1/conversations/xgQQXg3hrtjh7AvZ", headers={"Authorization": "Bearer t"}
    )
    assert response.status_code == 200
    assert response.json()["contact_id"] == "WAz8eIbvDR60rouK"


def test_a_file_database_survives_a_restart_and_the_log_has_no_token(
    tmp_path: Path, started: Callable[..., ServeProcess]
) -> None:
    db = tmp_path / "protocol.db"
    secret = "s3cret-token-never-logged"
    headers = {"Authorization": f"Bearer {secret}"}
    process = started(db, [secret])
    url = process.url
    created = httpx.post(
        f"{url}/v1/conversations", json={"contact_id": "WAz8eIbvDR60rouK"}, headers=headers
    )
    httpx.put(
        f"{url}/v1/conversations/{created.json()['id']}",
        json={"is_muted": True},
        headers=headers,
    )
    httpx.get(f"{url}/v1/conversations", headers={"Authorization": "Bearer wrong-token"})
    output = _stop(process)
    assert secret not in output and "wrong-token" not in output
    log_lines = [line for line in output.splitlines() if line.startswith(("GET ", "POST ", "PUT "))]
    assert [line.split()[:3] for line in log_lines[-3:]] == [
        ["POST", "/v1/conversations", "201"],
        ["PUT", f"/v1/conversations/{created.json()['id']}", "200"],
        ["GET", "/v1/conversations", "401"],
    ]
    assert all(line.endswith("ms") for line in log_lines)
    url = started(db, [secret]).url
    stored = httpx.get(f"{url}/v1/conversations/{created.json()['id']}", headers=headers).json()
    assert stored == {**created.json(), "is_muted": True}


def test_an_unwritable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("serve", "--db", str(tmp_path / "no" / "such" / "x.db"), "--token", "t")
    assert result.returncode == 2
    assert "protocol-kit serve:" in result.stderr and "Traceback" not in result.stderr
    assert str(tmp_path / "no" / "such") in result.stderr


def test_generated_tokens_pass_back_through_the_command_line_as_printed() -> None:
    # A token starting with "-" would read as an option; about 1 in 60 did with URL-safe base64.
    tokens = [new_token() for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert token.isascii() and token.isalnum() and len(token) >= 20, token
        argv = ["serve", "--token", token]
        assert build_parser(argv).parse_args(argv).token == [token]


def test_the_root_points_to_the_docs_without_a_token(started: Callable[..., ServeProcess]) -> None:
    url = started(":memory:", ["t"]).url
    root = httpx.get(f"{url}/")
    assert root.status_code == 307 and root.headers["location"] == "/docs"
    assert 'href="/docs"' in root.text  # for a client that does not follow redirects
    docs = httpx.get(f"{url}/", follow_redirects=True)
    assert docs.status_code == 200 and docs.url.path == "/docs"
    assert "text/html" in docs.headers["content-type"]
    served = httpx.get(f"{url}/openapi.json").json()
    assert "/" not in served["paths"]  # the server's own page, not part of the contract
