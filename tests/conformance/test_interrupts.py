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


@pytest.mark.xfail(
    strict=False,
    reason="known race: under load a conversation created just before the first Ctrl-C can be "
    "left on the server without being named (seen once in a full clean-clone run)",
)
def test_a_second_ctrl_c_quits_at_once_and_names_what_is_left(tmp_path: Path) -> None:
    with _server() as server:
        run = _Run(
            server.url,
            *("--token", TOKENS[0], "--other-token", TOKENS[1], "--seed", "5", "--only", "list"),
        )
        run.wait_until(lambda: len(server.rows) > 20)
        # The clean-up would now take seconds: the second Ctrl-C must not wait for it.
        server.rewrite = lambda method, target, status, headers, body: (
            time.sleep(1 if method == "DELETE" else 0) or (status, headers, body)
        )
        run.signal(signal.SIGINT)
        run.wait_until(lambda: any("stopping" in line for line in run.stderr), timeout=10)
        sent = run.signal(signal.SIGINT)
        code, out, err = run.finish(timeout=10)
        quit_after = time.monotonic() - sent
        left = {row["id"] for row in server.rows}
    assert code == EXIT_INTERRUPTED, out + err
    assert quit_after < 5
    assert "stopped at once, without cleaning up" in err
    named = set(re.findall(r"[A-Za-z0-9]{16}", err.split("left behind:")[-1]))
    assert left and left <= named, (left - named, err)
