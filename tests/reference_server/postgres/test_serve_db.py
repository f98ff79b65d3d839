"""`protocol-kit serve --db postgresql://…` on the command line: a bad database is one line on
stderr and exit 2; the password in the URL is never printed."""

from __future__ import annotations

from pathlib import Path

from protocol_kit.server.runner import free_port
from tests.support.cli import run_cli
from tests.support.postgres import Cluster
from tests.support.serving import ServeProcess


def test_an_unreachable_database_is_one_line_and_exit_2() -> None:
    done = run_cli(
        "serve", "--db", f"postgresql://someone:hunter2@127.0.0.1:{free_port()}/x", "--token", "t"
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    # The database named (its password hidden) and the reason.
    assert line.startswith("protocol-kit serve: cannot open the database postgresql://someone:***@")
    assert "refused" in line
    assert "hunter2" not in done.stderr


def test_the_banner_hides_the_password(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.create_database().replace("protocol_kit@", "protocol_kit:hunter2@")
    server = ServeProcess(url, ["serve-db-token"], tmp_path / "serve.log")
    server.start()
    server.stop()
    assert "protocol_kit:***@127.0.0.1" in server.output()
    assert "hunter2" not in server.output()
