"""Restart the server under test in the middle of a run: the user's command, then a wait until it answers again."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx

from protocol_kit.conformance.verdicts import Blocked

COMMAND_TIMEOUT = 120.0  # seconds the restart command may take
BACK_TIMEOUT = 60.0  # seconds the server may take to answer again after it


def restarter(command: str, base_url: str) -> Callable[[], None]:
    """A function that runs ``command`` in a shell and returns once ``base_url`` answers HTTP
    again; a command that fails or a server that stays down stops the check (Blocked)."""

    def restart() -> None:
        try:
            done = subprocess.run(
                command, shell=True, timeout=COMMAND_TIMEOUT, capture_output=True, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise Blocked(f"the restart command ran over {COMMAND_TIMEOUT:.0f}s") from exc
        if done.returncode != 0:
            said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
            raise Blocked(
                f"the restart command exited with {done.returncode}"
                + (f": {said[-1]}" if said else "")
            )
        _wait_back(base_url)

    return restart


def _wait_back(base_url: str) -> None:
    deadline = time.monotonic() + BACK_TIMEOUT
    while time.monotonic() < deadline:
        try:
            httpx.get(base_url, timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise Blocked(f"the server did not answer within {BACK_TIMEOUT:.0f}s of the restart")
