"""`protocol-kit serve` as a user runs it: a separate process, tokens, demo data, a file database, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from protocol_kit.server.runner import free_port


@contextmanager
def serve(
    *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "protocol_kit", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url, timeout=0.5)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"serve did not start: {process.communicate()[0]}") from None
            time.sleep(0.05)
    try:
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[str]) -> str:
    """Ctrl-C, as a person at the terminal would; the server must exit cleanly."""
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    return output


def test_help_explains_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "protocol_kit", "serve", "--help"],
        capture_output=True,
        text=True,
    )
    for option in ("--host", "--port", "--db", "--token", "--demo", "PROTOCOL_TOKENS", ":memory:"):
        assert option in result.stdout


def test_tokens_from_the_environment_and_clean_ctrl_c() -> None:
    with serve("--db", ":memory:", env={"PROTOCOL_TOKENS": "alpha, beta"}) as (url, process):
        for token in ("alpha", "beta"):
            headers = {"Authorization": f"Bearer {token}"}
            assert httpx.get(f"{url}/v1/conversations", headers=headers).status_code == 200
        assert (
            httpx.get(
                f"{url}/v1/conversations", headers={"Authorization": "Bearer gamma"}
            ).status_code
            == 401
        )
        _stop(process)


def test_without_tokens_one_is_generated_and_printed() -> None:
    with serve("--db", ":memory:", env={"PROTOCOL_TOKENS": ""}) as (url, process):
        output = _stop(process)
    line = next(line for line in output.splitlines() if "generated" in line)
    token = line.rsplit(" ", 1)[-1]
    assert len(token) >= 20
    with serve("--db", ":memory:", "--token", token) as (url, process):
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/v1/conversations", headers=headers).status_code == 200


def test_demo_loads_the_documented_conversations() -> None:
    with serve("--db", ":memory:", "--token", "t", "--demo") as (url, _):
        response = httpx.get(
            f"{url}/v1/conversations/xgQQXg3hrtjh7AvZ", headers={"Authorization": "Bearer t"}
        )
        assert response.status_code == 200
        assert response.json()["contact_id"] == "WAz8eIbvDR60rouK"


def test_a_file_database_survives_a_restart_and_the_log_has_no_token(tmp_path: Path) -> None:
    db = tmp_path / "protocol.db"
    secret = "s3cret-token-never-logged"
    headers = {"Authorization": f"Bearer {secret}"}
    with serve("--db", str(db), "--token", secret) as (url, process):
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
    with serve("--db", str(db), "--token", secret) as (url, _):
        stored = httpx.get(f"{url}/v1/conversations/{created.json()['id']}", headers=headers).json()
    assert stored == {**created.json(), "is_muted": True}


def test_an_unwritable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "protocol_kit",
            "serve",
            "--db",
            str(tmp_path / "no" / "such" / "x.db"),
            "--token",
            "t",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "protocol-kit serve:" in result.stderr and "Traceback" not in result.stderr


def test_pip_install_of_the_checkout_carries_the_spec_and_runs(tmp_path: Path) -> None:
    """`pip install .` (not editable) gives a working command whose spec is package data."""
    repo = Path(__file__).resolve().parents[2]
    venv = tmp_path / "venv"
    # System site-packages lend the dependencies, so only this project is built and installed.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-deps", str(repo)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    result = subprocess.run(
        [str(venv / "bin" / "protocol-kit"), "lint"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert str(venv) in result.stdout  # the spec came from the installed package, not this checkout
