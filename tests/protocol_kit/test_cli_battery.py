"""Every command against bad input, run as a user runs it: one line on stderr naming what is at
fault, no traceback, and an exit code that the command's `--help` documents."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
import pytest

from protocol_kit.server.runner import free_port
from tests.support.cli import cli_command
from tests.support.paths import REPO
from tests.support.serving import wait_ready

_ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False
_LOCATED = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<column>\d+): (?P<pointer>#\S*): (?P<message>.+)$"
)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def _start(args: Sequence[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("PROTOCOL_TOKENS", None)
    env.pop("PROTOCOL_WEBHOOKS", None)
    return subprocess.Popen(
        cli_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=env,
    )


def _run_all(commands: Sequence[Sequence[str]], cwd: Path) -> list[Ran]:
    """Run ``commands`` side by side (each is a second or less, mostly start-up) and collect them."""
    started = [_start(args, cwd) for args in commands]
    ran = []
    for process in started:
        out, err = process.communicate(timeout=60)
        ran.append(Ran(process.returncode, out, err))
    return ran


def _run(*args: str, cwd: Path = REPO) -> Ran:
    return _run_all([args], cwd)[0]


@cache
def _documented_codes(command: str) -> frozenset[int]:
    """The exit codes `protocol-kit COMMAND --help` lists ("0 when …", "2 could not run", …)."""
    args = [command, "--help"] if command else ["--help"]
    text = " ".join(_run(*args).out.split())
    assert "xit status" in text, (
        f"`protocol-kit {command} --help` does not document its exit status"
    )
    status = text[text.index("xit status") :]
    codes = re.findall(
        r"\b(\d{1,3}),? (?:when|after|on success|conformant|at least|could)\b", status
    )
    return frozenset(int(code) for code in codes)


def _fails_cleanly(ran: Ran, command: str, code: int, *named: str) -> None:
    """Exit ``code`` (documented by the command's help), no traceback, and exactly one line on
    stderr, which names each of ``named``."""
    everything = ran.out + ran.err
    assert "Traceback" not in everything, everything
    assert ran.code == code, everything
    assert code in _documented_codes(command), (code, command)
    assert len(ran.err_lines) == 1, ran.err
    for name in named:
        assert name in ran.err_lines[0], (name, ran.err)


# -- the files a user can get wrong ------------------------------------------------------------

_TINY = 'openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths: {}\n'
# name -> (content, the pointer at fault, its line and column, words of the message)
_SPECS: dict[str, tuple[bytes, str, tuple[int, int], str]] = {
    "empty": (b"", "#", (1, 1), "it is empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "#", (1, 1), "not UTF-8 text: byte 0x89"),
    "latin-1": (
        b'openapi: 3.1.0\ninfo: {title: caf\xe9, version: "1"}\npaths: {}\n',
        "#",
        (2, 18),
        "not UTF-8 text: byte 0xe9",
    ),
    "bad-yaml": (b"openapi: 3.1.0\ninfo: [\n", "#", (3, 1), "not valid YAML"),
    "control-character": (
        b'openapi: 3.1.0\ninfo: {title: "a\x07b", version: "1"}\npaths: {}\n',
        "#",
        (2, 17),
        "not valid YAML: character #x0007",
    ),
    "a-list": (b"- openapi\n", "#", (1, 1), "it is a list"),
    "swagger-2.0": (b'swagger: "2.0"\ninfo: {title: t, version: "1"}\n', "#", (1, 1), "Swagger"),
    "openapi-2.0": (
        b'openapi: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n',
        "#/openapi",
        (1, 1),
        '"2.0" is not an OpenAPI version this tool reads',
    ),
    "missing-info": (b"openapi: 3.1.0\npaths: {}\n", "#", (1, 1), '"info" is a required property'),
    "type-bool": (
        (_TINY + "components:\n  schemas:\n    Flag:\n      type: bool\n").encode(),
        "#/components/schemas/Flag/type",
        (7, 7),
        '"bool" is not one of',
    ),
    "wrong-shape": (
        (
            _TINY.replace("paths: {}\n", "") + "paths:\n  /x:\n    get:\n      parameters: 5\n"
        ).encode(),
        "#/paths/~1x/get/parameters",
        (6, 7),
        '5 is not of type "array"',
    ),
    "same-operation-id": (
        (
            _TINY.replace("paths: {}\n", "")
            + "paths:\n"
            + "".join(
                f"  /{name}:\n    get:\n      operationId: same\n"
                "      responses: {'200': {description: ok}}\n"
                for name in ("x", "y")
            )
        ).encode(),
        "#/paths/~1y/get",
        (9, 5),
        "Operation ID 'same' for 'get' in '/y' is not unique",
    ),
    "bad-ref": (
        (
            _TINY.replace("paths: {}\n", "")
            + "paths:\n  /x:\n    get:\n      responses:\n"
            + "        '200': {$ref: '#/components/responses/Nope'}\n"
        ).encode(),
        "#/paths/~1x/get/responses/200/$ref",
        (7, 17),
        "unresolvable $ref #/components/responses/Nope",
    ),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of bad inputs: each spec above, an empty file, a directory, a plain file."""
    root = tmp_path_factory.mktemp("bad-input")
    for name, (content, *_) in _SPECS.items():
        (root / f"{name}.yaml").write_bytes(content)
    (root / "a-directory").mkdir()
    (root / "a-file").write_text("not a directory\n", encoding="utf-8")
    (root / "binary.json").write_bytes(_SPECS["binary"][0])
    (root / "latin-1.json").write_bytes(b'[{"token": "t", "url": "http://h\xe9/", "secret": "s"}]')
    (root / "empty.json").write_bytes(b"")
    return root


# -- spec files: lint, generate --spec, serve --spec, verify --spec ------------------------------


# `serve --spec` and `verify --spec` load through the same code for every kind; these cover
# loading (both) and validating (serve; verify does not validate yet, see below).
_SERVED = ("latin-1", "bad-yaml", "openapi-2.0", "type-bool")
_VERIFIED = ("empty", "binary", "latin-1", "bad-yaml")


@pytest.mark.parametrize("name", list(_SPECS))
def test_lint_and_generate_name_the_spec_problem_at_its_line(files: Path, name: str) -> None:
    path = str(files / f"{name}.yaml")
    _, pointer, (line, column), words = _SPECS[name]
    commands = [
        ["lint", path],
        ["generate", "--spec", path, "--out", str(files / "out"), "--check"],
    ]
    if name in _SERVED:
        commands.append(["serve", "--spec", path, "--db", str(files / f"{name}.db"), "--port", "1"])
    if name in _VERIFIED:
        commands.append(["verify", "--spec", path])
    lint, generate, *others = _run_all(commands, files)
    # lint: the problem on stdout as FILE:LINE:COLUMN: POINTER: MESSAGE, a count on stderr.
    _fails_cleanly(lint, "lint", 1, path)
    problems = [_LOCATED.match(found) for found in lint.out.splitlines()]
    assert problems and all(problems), lint.out
    first = next(p for p in problems if p and p["pointer"] == pointer)
    assert (first["file"], int(first["line"]), int(first["column"])) == (path, line, column)
    assert words in first["message"], first["message"]
    assert "Failed validating" not in lint.out and "<unicode string>" not in lint.out
    # generate: lint's lines for what keeps it from generating, on stderr; nothing written.
    assert "Traceback" not in generate.err and generate.code == 2, generate.err
    assert 2 in _documented_codes("generate")
    assert str(first["message"]) in generate.err
    assert generate.err.splitlines()
    assert set(generate.err.splitlines()) <= set(lint.out.splitlines())
    assert not (files / "out").exists()
    # serve and verify: one line with the same place, before any database or server exists.
    for args, ran in zip(commands[2:], others, strict=True):
        _fails_cleanly(ran, args[0], 2, f"{path}:{line}:{column}: {pointer}")
    assert not (files / f"{name}.db").exists()


def test_verify_names_an_invalid_spec_before_it_starts(files: Path) -> None:
    path = str(files / "openapi-2.0.yaml")
    _fails_cleanly(_run("verify", "--spec", path, cwd=files), "verify", 2, path)


@pytest.mark.parametrize("kind", ["missing", "a-directory", "below-a-file"])
def test_a_spec_path_with_nothing_to_read(files: Path, kind: str) -> None:
    path = str(files / {"missing": "nope.yaml", "below-a-file": "a-file/x.yaml"}.get(kind, kind))
    commands = [["lint", path], ["generate", "--spec", path, "--check"]]
    if kind == "missing":  # the same loader: one kind is enough for the heavier commands
        db = str(files / "unread.db")
        commands += [
            ["serve", "--spec", path, "--port", "1", "--db", db],
            ["verify", "--spec", path],
        ]
    for args, ran in zip(commands, _run_all(commands, files), strict=True):
        _fails_cleanly(ran, args[0], 2, path)
        assert "cannot read" in ran.err, ran.err
    assert not (files / "unread.db").exists()


# -- generate --out ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["a-file", "below-a-file", "read-only"])
def test_generate_names_an_output_it_cannot_write(files: Path, kind: str) -> None:
    out = files / ("a-file/out" if kind == "below-a-file" else kind)
    if kind == "read-only":
        if _ROOT:
            pytest.skip("permissions do not bind root")
        out.mkdir(exist_ok=True)
        out.chmod(0o500)
    _fails_cleanly(_run("generate", "--out", str(out), cwd=files), "generate", 2, str(out))


# -- serve ------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1", "http"])
def test_serve_refuses_a_port_that_is_not_one(files: Path, port: str) -> None:
    db = files / f"port-{port}.db"
    ran = _run("serve", "--port", port, "--db", str(db), "--token", "t", cwd=files)
    _fails_cleanly(ran, "serve", 2, "--port", port)
    assert not db.exists()


def test_serve_refuses_a_port_in_use_before_touching_the_database(files: Path) -> None:
    with _listening() as port:
        db = files / "in-use.db"
        ran = _run("serve", "--port", str(port), "--db", str(db), "--token", "t", cwd=files)
    _fails_cleanly(ran, "serve", 2, f":{port}", "in use")
    assert not db.exists()
    assert "Serving" not in ran.err


@pytest.mark.parametrize(
    ("db", "words"),
    [
        ("no-such-directory/protocol.db", "does not exist"),
        ("a-directory", "is a directory"),
        ("a-file/protocol.db", "not a directory"),
        ("binary.yaml", "not a database"),
        ("read-only-directory/protocol.db", "unable to open"),
    ],
)
def test_serve_names_a_database_it_cannot_open(files: Path, db: str, words: str) -> None:
    if db.startswith("read-only"):
        if _ROOT:
            pytest.skip("permissions do not bind root")
        (files / "read-only-directory").mkdir(mode=0o500, exist_ok=True)
    ran = _run("serve", "--db", db, "--port", str(free_port()), "--token", "t", cwd=files)
    _fails_cleanly(ran, "serve", 2, db, words)


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--webhooks", "nope.json", "nope.json"),
        ("--webhooks", "a-directory", "a-directory"),
        ("--webhooks", "empty.json", "empty.json"),
        ("--webhooks", "latin-1.json", "latin-1.json"),
        ("--cors-origin", "example.com", "example.com"),
        ("--http", "http2", "--http"),
        ("--bogus", None, "--bogus"),
    ],
)
def test_serve_names_the_option_at_fault(
    files: Path, option: str, value: str | None, named: str
) -> None:
    db = files / "options.db"
    args = ["serve", "--db", str(db), "--port", str(free_port()), "--token", "t", option]
    ran = _run(*args, *([value] if value is not None else []), cwd=files)
    _fails_cleanly(ran, "serve", 2, option, named)
    assert not db.exists()


# -- serve: a clean stop ----------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stopped_server_leaves_a_database_file_that_stands_alone(
    tmp_path: Path, stop: signal.Signals
) -> None:
    db, port = tmp_path / "protocol.db", free_port()
    process = _start(["serve", "--db", str(db), "--port", str(port), "--token", "A"], tmp_path)
    url, headers = f"http://127.0.0.1:{port}", {"Authorization": "Bearer A"}
    try:
        wait_ready(url, process, "A")  # type: ignore[arg-type]
        made = httpx.post(
            f"{url}/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV"}, headers=headers
        )
        assert made.status_code == 201
    finally:
        process.send_signal(stop)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "Traceback" not in err, err
    copy = tmp_path / "elsewhere" / "protocol.db"
    copy.parent.mkdir()
    shutil.copyfile(db, copy)  # the database file alone, without -wal or -shm beside it
    with sqlite3.connect(copy) as alone:
        rows = alone.execute("SELECT id, group_id FROM conversations").fetchall()
    assert rows == [(made.json()["id"], "8Kw2bQqN1mTz7XcV")]


# -- verify -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--bogus"], "--bogus"),
        (["--seed", "abc"], "--seed"),
        (["http://127.0.0.1:99999", "--token", "t"], "127.0.0.1:99999"),
        (["http://127.0.0.1:1"], "--token"),
        (["--webhook-listen", "127.0.0.1:99999"], "--webhook-listen"),
    ],
)
def test_verify_names_the_argument_at_fault(files: Path, args: list[str], named: str) -> None:
    _fails_cleanly(_run("verify", *args, cwd=files), "verify", 2, named)


def test_verify_names_a_webhook_port_in_use(files: Path) -> None:
    with _listening() as port:
        listen = ["--webhook-listen", f"127.0.0.1:{port}", "--webhook-secret", "s"]
        ran = _run("verify", "http://127.0.0.1:1", "--token", "t", *listen, cwd=files)
    _fails_cleanly(ran, "verify", 2, "--webhook-listen", f"127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("option", "path"),
    [
        ("--baseline", "latin-1.json"),
        ("--junit-xml", "a-directory"),
        ("--json", "a-file/report.json"),
    ],
)
def test_verify_names_a_file_it_cannot_use_before_it_runs(
    files: Path, option: str, path: str
) -> None:
    ran = _run("verify", "http://127.0.0.1:1", "--token", "t", option, path, cwd=files)
    _fails_cleanly(ran, "verify", 2, path)


# -- the command line itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([], "COMMAND"),
        (["nope"], "nope"),
        (["lint", "--bogus"], "--bogus"),
        (["lint", "a.yaml", "b.yaml"], "b.yaml"),
        (["generate", "--out"], "--out"),
        (["generate", "--bogus"], "--bogus"),
    ],
)
def test_python_dash_m_names_the_argument_at_fault(
    files: Path, args: list[str], named: str
) -> None:
    ran = _run(*args, cwd=files)
    command = args[0] if args and args[0] in ("lint", "generate") else ""
    _fails_cleanly(ran, command, 2, named)
    if command:
        assert f"protocol-kit {command}: error:" in ran.err


def test_every_help_documents_its_exit_status() -> None:
    assert {0, 1, 2} <= _documented_codes("lint")
    assert {0, 1, 2} <= _documented_codes("generate")
    assert {0, 2} <= _documented_codes("serve")
    assert {0, 1, 2} <= _documented_codes("verify")
    assert {2, 130} <= _documented_codes("")


@contextmanager
def _listening() -> Iterator[int]:
    """A port some other program is listening on, for as long as the block runs."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])
