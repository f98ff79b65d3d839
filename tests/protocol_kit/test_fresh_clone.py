"""The README's first two lines, run as written from the root of a fresh clone, as a new user runs them.

The clone's root holds folders of the repository (``openapi/``, ``templates/``, ``tests/``…)
that Python puts first on the path of ``python -m``; nothing there may stand in for the
installed package. The first line runs in a new venv with a plain (non-editable) install; the
second creates its own venv and runs a small selection of the tests it would run in full.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from protocol_kit.server.runner import free_port
from tests.support.checkout import clean_copy
from tests.support.paths import REPO
from tests.support.serving import stop, stopping, wait_ready

TOKEN = "fresh-clone-token"
SECRET = "fresh-clone-secret"


def readme_lines() -> list[str]:
    """The commands of the README's opening code block, without their comments."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.DOTALL)
    assert block, "the README opens with no bash block"
    lines = [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


@dataclass(frozen=True)
class Clone:
    root: Path
    env: dict[str, str]  # the first line's venv, activated

    def run(self, command: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _user_env(root: Path) -> dict[str, str]:
    """This environment without anything that points Python at the checkout or a venv."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PROTOCOL_TOKENS", "PROTOCOL_WEBHOOKS", "VIRTUAL_ENV"}
    }
    # The test run put its own venv first on PATH; a new user's shell has no such entry.
    own = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != own)
    env["XDG_CACHE_HOME"] = str(root / "cache")
    return env


@pytest.fixture(scope="module")
def first_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Clone, str]]:
    """A fresh clone whose README's first line ran in a new, activated venv: the clone, output."""
    base = tmp_path_factory.mktemp("fresh")
    root = clean_copy(base / "clone")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = _user_env(base)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    clone = Clone(root, env)
    done = clone.run(readme_lines()[0])
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    yield clone, output


def test_the_first_line_verifies_the_bundled_server(first_line: tuple[Clone, str]) -> None:
    _, output = first_line
    assert "CONFORMANT" in output and "NOT CONFORMANT" not in output, output[-6000:]
    for symptom in ("Traceback", "ModuleNotFoundError", "exited ("):
        assert symptom not in output, output[-6000:]


@pytest.mark.parametrize(
    "command",
    [
        "python -m protocol_kit --version",
        "protocol-kit lint",
        "protocol-kit generate --check",
        "python -m protocol_kit lint openapi/conversations.yaml",
    ],
)
def test_commands_from_the_clone_root_use_the_installed_package(
    first_line: tuple[Clone, str], command: str
) -> None:
    clone, _ = first_line
    done = clone.run(command, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    where = clone.run("python -c 'import protocol_kit; print(protocol_kit.__file__)'")
    assert "site-packages" in where.stdout, where.stdout + where.stderr


class _Receiver:
    """A webhook endpoint on loopback that records every delivery it is sent."""

    def __init__(self) -> None:
        self.deliveries: list[dict[str, Any]] = []
        received = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_serve_from_the_clone_root_delivers_webhooks(first_line: tuple[Clone, str]) -> None:
    clone, _ = first_line
    receiver = _Receiver()
    try:
        hooks = clone.root / "hooks.json"
        hooks.write_text(json.dumps([{"token": TOKEN, "url": receiver.url, "secret": SECRET}]))
        port = free_port()
        log = (clone.root / "serve.log").open("wb")
        proc = subprocess.Popen(
            [
                *("protocol-kit", "serve", "--port", str(port), "--token", TOKEN),
                *("--db", "fresh.db", "--webhooks", "hooks.json"),
            ],
            cwd=clone.root,
            env=clone.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        with stopping(proc):
            wait_ready(url, proc)
            created = httpx.post(
                f"{url}/v1/conversations",
                headers={"Authorization": f"Bearer {TOKEN}"},
                json={"contact_id": "c" * 16},
            )
            assert created.status_code == 201, created.text
            deadline = time.monotonic() + 15
            while not receiver.deliveries and time.monotonic() < deadline:
                time.sleep(0.05)
            assert stop(proc) == 0
        log.close()
        served = (clone.root / "serve.log").read_text(errors="replace")
        assert "Traceback" not in served, served[-4000:]
        assert receiver.deliveries, f"no webhook arrived within 15 s; the server said:\n{served}"
        event = receiver.deliveries[0]
        assert event["type"] == "conversation.created"
        assert event["payload"]["id"] == created.json()["id"]
    finally:
        receiver.close()


def test_the_second_line_sets_up_and_runs_the_tests(tmp_path: Path) -> None:
    root = clean_copy(tmp_path / "clone")
    env = _user_env(tmp_path)
    # The line as written, given a small selection: the whole suite is what runs this test.
    command = f"{readme_lines()[1]} tests/test_layers.py -q -p no:cacheprovider"
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert re.search(r"\d+ passed", output), output[-3000:]
    assert (root / ".venv" / "bin" / "python").exists()
