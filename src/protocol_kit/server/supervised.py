"""The reference server as a child process, started again on its port and database whenever it exits."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from protocol_kit.spec import Spec

from .runner import free_port
from .webhooks import Endpoint

PID_VARIABLE = "SERVER_PID"  # where a restart command finds the running server's process id
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 10.0


class _Supervisor:
    """Keeps one `protocol-kit serve` child running until ``close``; its pid in $SERVER_PID."""

    def __init__(self, command: list[str], env: dict[str, str], url: str) -> None:
        self._command, self._env, self.url = command, env, url
        self._closing = threading.Event()
        self._proc = self._start()
        self._thread = threading.Thread(target=self._watch, name="server-supervisor", daemon=True)
        self._thread.start()

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            self._command, env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # The restart command runs in the kit's own process environment: it reads the id there.
        os.environ[PID_VARIABLE] = str(proc.pid)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode} at start-up")
            try:
                httpx.get(self.url, timeout=2.0)
                return proc
            except httpx.TransportError:
                time.sleep(0.05)
        proc.kill()
        raise RuntimeError(f"the server did not answer within {_START_TIMEOUT:.0f}s")

    def _watch(self) -> None:
        while not self._closing.is_set():
            self._proc.wait()
            if self._closing.is_set():
                return
            with contextlib.suppress(RuntimeError):
                self._proc = self._start()

    def close(self) -> None:
        self._closing.set()
        proc = self._proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._thread.join(timeout=_STOP_TIMEOUT)
        os.environ.pop(PID_VARIABLE, None)


@contextmanager
def supervised_server(
    db: Path, tokens: Sequence[str], *, spec: Spec, webhooks: Sequence[Endpoint] = ()
) -> Iterator[str]:
    """Run `protocol-kit serve` on ``db`` in a child process, restarted whenever it exits (a
    ``kill -9 $SERVER_PID`` included); yield its base URL; stop it."""
    port = free_port()
    command = [sys.executable, "-P", "-m", "protocol_kit", "serve", "--port", str(port)]
    command += ["--db", str(db)] + (["--spec", str(spec.path)] if spec.path else [])
    # Tokens and secrets go through the environment, never the command line (`ps` shows it).
    env = {**os.environ, "PROTOCOL_TOKENS": ",".join(tokens)}
    env["PROTOCOL_WEBHOOKS"] = json.dumps(
        [{"token": e.token, "url": e.url, "secret": e.secret} for e in webhooks]
    )
    supervisor = _Supervisor(command, env, f"http://127.0.0.1:{port}")
    try:
        yield supervisor.url
    finally:
        supervisor.close()
