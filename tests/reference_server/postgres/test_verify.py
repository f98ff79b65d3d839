"""`protocol-kit verify` passes the reference server on PostgreSQL, webhooks included, on seeds 1–3."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from protocol_kit.server.runner import free_port
from tests.support.cli import cli_command
from tests.support.paths import REPO
from tests.support.replicas import replica

_SEEDS = ("1", "2", "3")
_SECRET = "postgres-verify-secret"
# Fewer schemathesis examples than the default 50: three seeds' runs share one test.
_EXAMPLES = "10"


def _verify(url: str, tokens: tuple[str, ...], port: int, seed: str) -> str:
    done = subprocess.run(
        cli_command(
            "verify",
            url,
            "--token",
            tokens[0],
            "--other-token",
            tokens[1],
            # Accounts of its own for schemathesis: that phase runs alongside the suite.
            "--fuzz-token",
            tokens[2],
            "--fuzz-other-token",
            tokens[3],
            "--webhook-listen",
            f"127.0.0.1:{port}",
            "--webhook-secret",
            _SECRET,
            "--seed",
            seed,
            "--max-examples",
            _EXAMPLES,
        ),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, f"seed {seed}:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_verify_passes_on_postgres_for_three_seeds(database: str, tmp_path: Path) -> None:
    # Four accounts and one webhook receiver per seed: the runs go side by side, and each
    # judges only its own accounts' data and events.
    runs = [(tuple(f"pg-verify-{s}-{a}" for a in "abcd"), free_port(), s) for s in _SEEDS]
    server = replica(
        database,
        [token for tokens, _, _ in runs for token in tokens],
        tmp_path / "serve.log",
        [
            {"token": tokens[0], "url": f"http://127.0.0.1:{port}/webhooks", "secret": _SECRET}
            for tokens, port, _ in runs
        ],
    )
    server.start()
    try:
        with ThreadPoolExecutor(len(runs)) as pool:
            outputs = list(pool.map(lambda run: _verify(server.url, *run), runs))
    finally:
        server.stop()
    for output in outputs:
        assert "CONFORMANT" in output
        # Every webhook rule judged (none failed, none warned, none skipped): the group ran whole.
        assert re.search(r"^webhooks +[1-9][0-9]* +0 +(0 +)?0$", output, re.MULTILINE), output
    assert "Traceback" not in server.output()
