"""Shared fixtures for the hardening tests: `protocol-kit serve` as a real, killable child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from protocol_kit.server.runner import free_port


class ServeProcess:
    """One `protocol-kit serve` child on a file database; stdout and stderr go to a log file."""

    def __init__(self, db: Path, tokens: list[str], log: Path) -> None:
        self.db = db
        self.tokens = tokens
        self.log = log
        self.port = free_port()
        self.extra_args: list[str] = []  # more `serve` options, e.g. --webhooks FILE
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        args = ["serve", "--db", str(self.db), "--port", str(self.port)]
        for token in self.tokens:
            args += ["--token", token]
        args += self.extra_args
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PROTOCOL_TOKENS", None)
        with self.log.open("ab") as log:
            # `python -m` rather than the console script: the same interpreter as the tests.
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from protocol_kit.cli import main; raise SystemExit(main())",
                    *args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"serve exited with {self._proc.returncode}: {self.log.read_text()}"
                )
            try:
                answer = httpx.get(
                    f"{self.url}/v1/conversations",
                    headers={"Authorization": f"Bearer {self.tokens[0]}"},
                    timeout=1.0,
                )
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("serve did not become ready")

    def kill9(self) -> None:
        """SIGKILL: no shutdown handlers, no final commit; what is on disk is all there is."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=10)
        self._proc = None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    """A not-yet-started server on ``tmp_path/protocol.db`` with two accounts."""
    process = ServeProcess(
        tmp_path / "protocol.db",
        ["hardening-token-a-s3cr3t", "hardening-token-b-s3cr3t"],
        tmp_path / "serve.log",
    )
    try:
        yield process
    finally:
        process.stop()
