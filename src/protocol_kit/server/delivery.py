"""Where the webhook deliverer runs: a child process beside a database file, a thread beside an
in-memory database or PostgreSQL.

In a process of its own the deliverer's CPU is not taken from the API's: one Python process
runs one thread at a time, and the deliverer spends about as much CPU per event as the API
spends per write. The child reads the outbox from the same SQLite file (WAL lets it read while
the API writes), is woken by a byte on its stdin after each commit that recorded an event, and
stops when its stdin closes: when the server stops or dies, even by ``kill -9``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Protocol

from .storage import ConversationStore
from .store import Storage, is_postgres
from .webhooks import RECEIVER_TIMEOUT, Deliverer, Endpoint, by_account, delivery_log

_NICENESS = 10


class Delivery(Protocol):
    def stop(self) -> None: ...


def start_delivery(
    store: Storage, db: str | Path, endpoints: Sequence[Endpoint], header: str
) -> Delivery:
    """Start delivering the store's outbox to ``endpoints``, signed in ``header``."""
    secrets = {e.url: e.secret for e in endpoints}
    if str(db) == ":memory:" or is_postgres(db):
        # Only this process's connection sees an in-memory database; PostgreSQL's outbox is
        # claimed row by row, by each replica's deliverer thread (its queries wait on the
        # network, not the interpreter).
        deliverer = Deliverer(store, secrets, header)
        store.subscribe(by_account(endpoints), deliverer.wake)
        return deliverer.start()
    child = _Child(Path(db).resolve(), secrets, header)
    store.subscribe(by_account(endpoints), child.wake)
    return child.start()


class _Child:
    """The parent's handle on the deliverer process: wake it, restart it, stop it."""

    def __init__(self, db: Path, secrets: Mapping[str, str], header: str) -> None:
        # Secrets go through the pipe, never the command line (which `ps` shows to everyone).
        self._config = json.dumps(
            {
                "db": str(db),
                "header": header,
                "secrets": dict(secrets),
                "log": delivery_log.isEnabledFor(logging.INFO),
            }
        ).encode("utf-8")
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False

    def start(self) -> _Child:
        with self._lock:
            self._spawn()
        return self

    def wake(self) -> None:
        """Called after each commit that recorded an event (from the store's writer thread)."""
        with self._lock:
            if self._proc is None or self._stopped:
                return
            try:
                os.write(_stdin(self._proc).fileno(), b"\n")
            except BlockingIOError:
                pass  # the pipe is full of wake-ups: the child looks at the outbox anyway
            except OSError:
                delivery_log.error(
                    "webhook deliverer exited (%s); restarting it", self._proc.poll()
                )
                self._spawn()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            _stdin(proc).close()  # end of input: the child records what it delivered and exits
        try:
            proc.wait(timeout=RECEIVER_TIMEOUT + 5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _spawn(self) -> None:
        proc = subprocess.Popen(
            # -P: the working directory never comes first on the path, so whatever folder the
            # server was started from cannot shadow the installed package.
            [sys.executable, "-P", "-m", "protocol_kit.server.delivery"],
            stdin=subprocess.PIPE,
        )
        stdin = _stdin(proc)
        stdin.write(self._config + b"\n")
        stdin.flush()
        os.set_blocking(stdin.fileno(), False)
        self._proc = proc


def _stdin(proc: subprocess.Popen[bytes]) -> IO[bytes]:
    assert proc.stdin is not None  # always: the process is started with stdin=PIPE
    return proc.stdin


def main() -> int:
    """The child: deliver the outbox of the database named on stdin until stdin closes."""
    # Ctrl-C reaches the whole process group; the child stops when the server is gone instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(_NICENESS)  # when CPU is short, the API's answers go first; deliveries catch up
    config = json.loads(sys.stdin.buffer.readline())
    if config["log"]:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    with _only_deliverer(Path(config["db"])):
        store = ConversationStore(config["db"])
        deliverer = Deliverer(store, config["secrets"], config["header"])
        deliverer.wake_on_input(sys.stdin.fileno())
        try:
            deliverer.run()
        finally:
            store.close()
    return 0


@contextlib.contextmanager
def _only_deliverer(db: Path) -> Iterator[None]:
    """Hold the database's deliverer lock: a child left by a killed server finishes first, so
    two deliverers never send one subject's events at once."""
    try:
        import fcntl
    except ImportError:  # not on Windows: one server per database file is the operator's duty
        yield
        return
    with open(db.with_name(db.name + "-deliverer.lock"), "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield


if __name__ == "__main__":
    raise SystemExit(main())
