"""`protocol-kit serve` as shipped, in a child process on a free port: started, waited for, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from protocol_kit.server.runner import free_port

from .cli import cli_command
from .paths import REPO


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], token: str | None = None, timeout: float = 60
) -> None:
    """Return once ``url`` answers any HTTP request; fail if the process exits or time runs out.

    With ``token`` the probe is an authorised list request, so a server that only starts its
    storage on first use is warm before the caller measures anything.
    """
    probe = f"{url}/v1/conversations" if token else url
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            httpx.get(probe, headers=headers, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url}: the server did not start within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> int:
    """Ctrl-C the process, as a person would; kill it if it will not stop. Its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextmanager
def stopping(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """Yield ``proc``; stop it on the way out, whatever happened."""
    try:
        yield proc
    finally:
        stop(proc)


class ServeProcess:
    """One `protocol-kit serve` child on database ``db``; restartable on the same port.

    ``program`` is how `protocol-kit` is invoked (default: this interpreter's ``-m protocol_kit``,
    run from the checkout); an installed copy passes its console script and a ``cwd`` elsewhere.

    Its output (the access log) goes to ``log`` or nowhere: a file, never a pipe, because
    nobody reads a pipe during a run and a full one blocks the server. ``PROTOCOL_TOKENS`` is
    taken out of the inherited environment so only ``tokens`` (and ``env``) decide the accounts.
    """

    def __init__(
        self,
        db: Path | str,
        tokens: Sequence[str] = (),
        log: Path | None = None,
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        program: Sequence[str] | None = None,
        cwd: Path = REPO,
    ) -> None:
        self.program = list(program) if program is not None else cli_command()
        self.cwd = cwd
        self.db = db
        self.tokens = list(tokens)
        self.log = log
        self.args = list(args)
        self.env = dict(env or {})
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = ["serve", "--db", str(self.db), "--port", str(self.port), *self.args]
        for token in self.tokens:
            args += ["--token", token]
        return [*self.program, *args]

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PROTOCOL_TOKENS", None)
        env.update(self.env)
        if self.log is None:
            self._proc = subprocess.Popen(
                self.command(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.cwd,
            )
        else:
            with self.log.open("ab") as sink:
                self._proc = subprocess.Popen(
                    self.command(), stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=self.cwd
                )
        try:
            wait_ready(self.url, self._proc, self.tokens[0] if self.tokens else None, timeout)
        except RuntimeError as error:
            self.stop()
            raise RuntimeError(f"{error}\n{self.output()}") from None

    def output(self) -> str:
        """Everything the server printed so far (empty without a log file)."""
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def kill9(self) -> None:
        """SIGKILL: no shutdown handlers, no final commit; what is on disk is all there is."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=10)
        self._proc = None

    def stop(self) -> int | None:
        """Ctrl-C and wait; the exit code, or None when it was not running."""
        code = stop(self._proc) if self._proc is not None else None
        self._proc = None
        return code

    @property
    def pid(self) -> int | None:
        """The running server's process id (for a profiler to attach to)."""
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


@contextmanager
def serve(db: Path | str, tokens: Sequence[str], log: Path | None = None) -> Iterator[str]:
    """Run `protocol-kit serve` on database ``db`` with ``tokens``; yield its base URL; stop it."""
    process = ServeProcess(db, tokens, log)
    process.start()
    try:
        yield process.url
    finally:
        process.stop()
