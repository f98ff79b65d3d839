"""`verify --restart-command`: the bundled server killed with SIGKILL mid-run keeps every acknowledged write and pending event."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import verify


def test_the_bundled_server_survives_kill_9_in_the_middle_of_a_run(tmp_path: Path) -> None:
    killed = tmp_path / "killed"
    report = tmp_path / "verify.json"
    done = verify(
        "--only",
        "restart",
        "--restart-command",
        f'echo "$SERVER_PID" >> {killed} && kill -9 "$SERVER_PID"',
        "--json",
        str(report),
        "--seed",
        "8",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = {r["id"]: r["status"] for r in json.loads(report.read_text())["results"]}
    assert results == {"RESTART-KEEPS-WRITES": "passed", "RESTART-KEEPS-EVENTS": "passed"}
    # The command ran once, on a real process that is gone now.
    pids = killed.read_text().split()
    assert len(pids) == 1 and pids[0].isdigit()
    assert not Path(f"/proc/{pids[0]}").exists()


def test_a_failing_restart_command_blocks_the_restart_rules_with_its_message() -> None:
    done = verify("--only", "restart", "--restart-command", "echo no such service >&2; exit 3")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the restart command exited with 3: no such service" in done.stdout + done.stderr


def test_a_restart_command_with_a_base_url_needs_the_webhook_receiver() -> None:
    done = verify("http://127.0.0.1:9", "--token", "t", "--restart-command", "true")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "protocol-kit verify: could not run: --restart-command needs --webhook-listen: "
        "pending events are checked"
    )
