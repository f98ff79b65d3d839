"""Ctrl-C and SIGTERM during `protocol-kit verify`: a real process, a real signal, mid-phase."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.report_checks import assert_valid_junit, assert_valid_report
from tests.support.cli import cli_command
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.paths import REPO

EXIT_INTERRUPTED = 130


class _Run:
    """`protocol-kit verify` as a child process whose output is read as it comes."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            cli_command("verify", *args),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in (
                (self.process.stdout, self.stdout),
                (self.process.stderr, self.stderr),
            )
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line)

    def wait_until(self, ready: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            assert self.process.poll() is None, "".join(self.stdout + self.stderr)
            assert time.monotonic() < deadline, "".join(self.stdout + self.stderr)
            time.sleep(0.02)

    def signal(self, signum: int) -> float:
        self.process.send_signal(signum)
        return time.monotonic()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code, "".join(self.stdout), "".join(self.stderr)


@contextmanager
def _server() -> Iterator[FakeServer]:
    with FakeServer(TOKENS) as server:
        # The client is stopped mid-request on purpose: its hang-ups are no news (and must not
        # print tracebacks into whatever test runs next while a handler thread finishes).
        server.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        yield server


def _reports(tmp_path: Path) -> list[str]:
    return [
        *("--json", str(tmp_path / "r.json")),
        *("--junit-xml", str(tmp_path / "junit.xml")),
        *("--report", str(tmp_path / "r.html")),
    ]


def _assert_reports_say_interrupted(tmp_path: Path) -> dict[str, object]:
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert_valid_report(document)
    assert document["interrupted"] is True and document["conformant"] is False
    assert str(document["verdict"]).startswith("INTERRUPTED")
    junit = assert_valid_junit(tmp_path / "junit.xml")
    verdicts = {
        p.get("value") for p in junit.getroot().iter("property") if p.get("name") == "verdict"
    }
    assert verdicts and all(str(v).startswith("INTERRUPTED") for v in verdicts)
    assert "INTERRUPTED" in (tmp_path / "r.html").read_text(encoding="utf-8")
    return document


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_suite_deletes_the_data_and_writes_interrupted_reports(
    tmp_path: Path, signum: int
) -> None:
    with _server() as server:
        run = _Run(
            server.url,
            *("--token", TOKENS[0], "--other-token", TOKENS[1], "--seed", "5"),
            *("--only", "lifecycle,list", *_reports(tmp_path)),
        )
        # Mid-phase: the list group is building its data set.
        run.wait_until(
            lambda: any("▶ list" in line for line in run.stdout) and len(server.rows) > 20
        )
        sent = run.signal(signum)
        code, out, err = run.finish()
        stopped_after = time.monotonic() - sent
        left = list(server.rows)
    assert code == EXIT_INTERRUPTED, out + err
    assert "stopping" in err and "Traceback" not in err + out
    assert left == [], f"{len(left)} conversations left behind"
    assert stopped_after < 10, f"took {stopped_after:.1f} s to stop"
    assert "INTERRUPTED" in out  # the summary's verdict
    document = _assert_reports_say_interrupted(tmp_path)
    results = {r["id"]: r for r in document["results"]}  # type: ignore[attr-defined]
    assert results["LIFECYCLE-CREATE-201"]["status"] == "passed"  # what was judged is kept
    assert any(r["reason"] == "not run: the run was interrupted" for r in results.values())


def test_ctrl_c_mid_schemathesis_deletes_what_schemathesis_created(tmp_path: Path) -> None:
    with _server() as server:
        run = _Run(
            server.url,
            *("--token", TOKENS[0], "--other-token", TOKENS[1], "--seed", "5"),
            *("--only", "schemathesis", "--max-examples", "200", *_reports(tmp_path)),
        )
        run.wait_until(lambda: len(server.rows) >= 3)
        run.signal(signal.SIGINT)
        code, out, err = run.finish()
        left = list(server.rows)
    assert code == EXIT_INTERRUPTED, out + err
    assert left == [], f"{len(left)} conversations left behind"
    _assert_reports_say_interrupted(tmp_path)


# A create's answer padded with JSON whitespace: reading and noting it takes the kit a while,
# so that a signal sent just after the answer lands while the kit handles it, where a create
# the kit has read but not yet noted would be forgotten.
_LONG_ANSWER = b" " * 4_000_000


def _interrupt_as_a_create_is_answered(
    server: FakeServer, run: _Run, delay: float, *, slow_deletes: bool = False
) -> threading.Event:
    """Once the list data set is half made, Ctrl-C ``delay`` seconds after the server answers a
    create (with a long answer); with ``slow_deletes``, DELETEs take a second from then on.
    Set when the signal is sent."""
    sent = threading.Event()
    answered = threading.Event()

    def rewrite(
        method: str, target: str, status: int, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "DELETE" and slow_deletes and answered.is_set():
            time.sleep(1)  # the clean-up would now take seconds
        if method == "POST" and len(server.rows) > 20 and not answered.is_set():
            answered.set()
            threading.Timer(delay, lambda: (run.signal(signal.SIGINT), sent.set())).start()
            return status, headers, body + _LONG_ANSWER
        return status, headers, body

    server.rewrite = rewrite
    return sent


def _list_run(server: FakeServer, *args: str) -> _Run:
    return _Run(
        server.url,
        *("--token", TOKENS[0], "--other-token", TOKENS[1], "--seed", "5", "--only", "list"),
        *args,
    )


@pytest.mark.parametrize("delay", [0.0, 0.005, 0.01, 0.02, 0.04])
def test_ctrl_c_as_a_create_is_answered_deletes_what_it_created(delay: float) -> None:
    with _server() as server:
        run = _list_run(server)
        signalled = _interrupt_as_a_create_is_answered(server, run, delay)
        code, out, err = run.finish()
        left = [row["id"] for row in server.rows]
    assert signalled.is_set() and code == EXIT_INTERRUPTED, out + err
    assert left == [], f"{left} left behind: {out + err}"
    assert "note: clean-up:" not in out  # nothing left to name


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.03])
def test_a_second_ctrl_c_quits_at_once_and_names_what_is_left(delay: float) -> None:
    with _server() as server:
        run = _list_run(server)
        signalled = _interrupt_as_a_create_is_answered(server, run, delay, slow_deletes=True)
        run.wait_until(lambda: any("stopping" in line for line in run.stderr), timeout=30)
        assert signalled.is_set()
        # The clean-up now takes a second per conversation: this one must not wait for it.
        sent = run.signal(signal.SIGINT)
        code, out, err = run.finish(timeout=10)
        quit_after = time.monotonic() - sent
        left = list(server.rows)
    assert code == EXIT_INTERRUPTED, out + err
    assert quit_after < 5
    assert "stopped at once, without cleaning up" in err
    assert left and not _unnamed(left, err), (_unnamed(left, err), err)


def test_a_second_ctrl_c_names_a_create_whose_answer_was_not_read() -> None:
    """The first Ctrl-C comes while a create's answer is awaited: the run waits for it, and a
    second Ctrl-C quits before it came, naming the create it sent."""
    held = threading.Event()
    release = threading.Event()
    with _server() as server:

        def rewrite(
            method: str, target: str, status: int, headers: dict[str, str], body: bytes
        ) -> tuple[int, dict[str, str], bytes]:
            if method == "POST" and len(server.rows) > 20 and not held.is_set():
                held.set()
                release.wait(timeout=30)
            return status, headers, body

        server.rewrite = rewrite
        run = _list_run(server)
        run.wait_until(held.is_set)
        run.signal(signal.SIGINT)
        run.wait_until(lambda: any("stopping" in line for line in run.stderr), timeout=10)
        run.signal(signal.SIGINT)
        code, out, err = run.finish(timeout=10)
        release.set()
        left = list(server.rows)
    assert code == EXIT_INTERRUPTED, out + err
    assert "a create was sent and may have stored a conversation" in err, err
    assert not _unnamed(left, err), (_unnamed(left, err), err)


def test_a_create_whose_answer_never_came_is_named_after_clean_up() -> None:
    """The server stores a conversation and hangs up instead of answering: clean-up cannot know
    its id, so the run names the create that may have stored it."""
    with _server() as server:

        def rewrite(
            method: str, target: str, status: int, headers: dict[str, str], body: bytes
        ) -> tuple[int, dict[str, str], bytes]:
            hang_up = method == "POST" and len(server.rows) == 21
            return (0 if hang_up else status), headers, body

        server.rewrite = rewrite
        run = _list_run(server)
        code, out, err = run.finish()
        left = list(server.rows)
    assert code != EXIT_INTERRUPTED and "Traceback" not in out + err, out + err
    assert len(left) == 1, left  # the one whose answer never came; the rest deleted
    note = out.split("note: clean-up:")[-1].split("\n\n")[0]
    assert "a create was sent and may have stored a conversation" in note, out
    assert not _unnamed(left, note), (left, note)


def _unnamed(rows: list[dict[str, Any]], said: str) -> list[dict[str, Any]]:
    """The conversations ``said`` names neither by id (in its list of what may be left behind)
    nor by a create of their own (its request body, with their target, in its list of creates
    that may have stored one: one create names one conversation)."""
    ids_part, _, creates_part = said.partition("may have stored a conversation")
    named = set(re.findall(r"[A-Za-z0-9]{16}", ids_part.split("left behind:")[-1]))
    creates = creates_part.split("not read): ")[-1].split("; ") if creates_part else []
    unnamed = []
    for row in rows:
        if row["id"] in named:
            continue
        target = json.dumps({k: row[k] for k in ("group_id", "contact_id") if row.get(k)})[1:-1]
        by_create = next((c for c in creates if target in c), None)
        if by_create is None:
            unnamed.append(row)
        else:
            creates.remove(by_create)
    return unnamed
