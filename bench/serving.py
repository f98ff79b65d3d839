"""`protocol-kit serve` as shipped, in a child process on a free port, for the benches that measure it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from protocol_kit.server.runner import free_port

ROOT = Path(__file__).resolve().parent.parent
_PIDS: dict[str, int] = {}


def wait_ready(url: str, proc: subprocess.Popen[bytes], token: str, timeout: float = 60) -> None:
    """Return once ``url`` answers a list request; fail if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            httpx.get(
                f"{url}/v1/conversations", headers={"Authorization": f"Bearer {token}"}, timeout=2
            )
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url}: the server did not start within {timeout:.0f} s")


@contextmanager
def stopping(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """Ctrl-C the process on the way out, as a person would; kill it if it will not stop."""
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serve(
    db: Path, tokens: Sequence[str], log: Path | None = None, extra: Sequence[str] = ()
) -> Iterator[str]:
    """Run `protocol-kit serve` on file database ``db``; yield its base URL; stop it.

    Its output (the access log) goes to ``log`` or nowhere: a file, never a pipe, because
    nobody reads a pipe during a run and a full one blocks the server.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "protocol_kit", "serve", "--db", str(db), "--port", str(port)]
    for token in tokens:
        args += ["--token", token]
    args += extra
    with ExitStack() as stack:
        sink = stack.enter_context(log.open("w")) if log else subprocess.DEVNULL
        proc = stack.enter_context(
            stopping(subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT))
        )
        wait_ready(url, proc, tokens[0])
        _PIDS[url] = proc.pid
        try:
            yield url
        finally:
            _PIDS.pop(url, None)


def serving_pid(url: str) -> int | None:
    """The process id of the server `serve` started for ``url`` (for a profiler to attach to)."""
    return _PIDS.get(url)
