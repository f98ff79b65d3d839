"""The terminal report: a live progress bar per group on a TTY, plain lines anywhere else."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from tests.support.cli import verify_against
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.paths import REPO


def test_plain_lines_when_not_a_terminal(fake_server: FakeServer) -> None:
    fake_server.reset(set())
    result = verify_against(fake_server.url, "--only", "auth")
    assert "▶ auth (" in result.stdout and "✓ auth: " in result.stdout
    assert "\x1b[" not in result.stdout and "━" not in result.stdout


def test_a_progress_bar_per_group_on_a_terminal(fake_server: FakeServer) -> None:
    fake_server.reset(set())
    controller, terminal = pty.openpty()
    command = [sys.executable, "-m", "protocol_kit", "verify", fake_server.url]
    command += ["--token", TOKENS[0], "--other-token", TOKENS[1], "--only", "auth,lifecycle"]
    with subprocess.Popen(command, stdout=terminal, stderr=terminal, cwd=REPO) as process:
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=120) == 0
    os.close(controller)
    text = output.decode("utf-8", "replace")
    assert "━" in text  # rich's bar
    assert "AUTH-" in text and "LIFECYCLE-" in text  # the rule being judged, as it runs
    assert "✓ auth: " in text and "✓ lifecycle: " in text
    assert "CONFORMANT: no rule failed" in text
