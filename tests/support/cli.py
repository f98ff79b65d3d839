"""The `protocol-kit` command line, run as a user runs it, by the interpreter that runs the tests."""

from __future__ import annotations

import subprocess
import sys

from .fake_server import TOKENS
from .paths import REPO


def cli_command(*args: str) -> list[str]:
    """`protocol-kit ARGS` as an argument vector for this interpreter."""
    return [sys.executable, "-m", "protocol_kit", *args]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `protocol-kit ARGS` from the checkout and capture what it prints."""
    return subprocess.run(
        cli_command(*args), capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False
    )


def verify(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return run_cli("verify", *args, timeout=timeout)


def verify_against(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`protocol-kit verify URL` with the fake server's two accounts and a fixed seed."""
    return verify(url, "--token", TOKENS[0], "--other-token", TOKENS[1], "--seed", "5", *args)
