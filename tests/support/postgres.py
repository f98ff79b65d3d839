"""A throw-away PostgreSQL cluster for the tests: Debian's initdb in a temporary directory, a free
loopback port, started and stopped with pg_ctl, run by an unprivileged user when the tests run
as root (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from protocol_kit.server.postgres import PostgresStore
from protocol_kit.server.runner import free_port

_T = TypeVar("_T")
_USER = "postgres"  # created by Debian's postgresql package
_SUPERUSER = "protocol_kit"


class ClusterUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed, or the cluster did not start."""


def _bin_dir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterUnavailable(
        "PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)"
    )


class Cluster:
    """One PostgreSQL server of its own: ``start``, ``restart``, ``stop``; databases by ``create_database``."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="protocol-kit-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(_USER)
            except KeyError as exc:
                raise ClusterUnavailable(f"no `{_USER}` user to run PostgreSQL as") from exc
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", _USER, "--"]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise ClusterUnavailable(f"{Path(args[0]).name} failed: {done.stderr or done.stdout}")

    def start(self) -> Cluster:
        if not self.data.exists():
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                _SUPERUSER,
                "--auth=trust",
                "--no-sync",
                "--no-instructions",
            )
        # Loopback and a socket in the cluster's own directory: nothing else on the machine
        # can reach it, and it never collides with a system PostgreSQL.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "start",
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def remove(self) -> None:
        with contextlib.suppress(ClusterUnavailable):  # not running
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""


async def closing_pool(store: PostgresStore, work: Coroutine[Any, Any, _T]) -> _T:
    """Run ``work`` with ``store``; then close its asyncio pool inside the loop that opened it
    (left to ``asyncio.run``'s cancelling, the pool's tasks can hang its exit)."""
    try:
        return await work
    finally:
        await store.close_pool()
