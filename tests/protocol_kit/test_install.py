"""The wheel, built from a clean copy of the checkout and installed into a fresh venv, works as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.seed import assert_matches, seed_operations
from tests.support.checkout import clean_copy
from tests.support.paths import REPO, SEED_DIR
from tests.support.serving import ServeProcess

TOKEN = "install-test-token"
# The one conversation the spec's examples (and so `serve --demo`) put in the first account.
DEMO_ID = "xgQQXg3hrtjh7AvZ"


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    elsewhere: Path  # a working directory with nothing of the checkout in it
    env: dict[str, str]

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin("protocol-kit")), *args],
            cwd=self.elsewhere,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def site_packages(self) -> Path:
        (found,) = (self.venv / "lib").glob("python3*/site-packages")
        return found


def _checked(command: list[str], **options: object) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("install")
    source = clean_copy(root / "source")
    # A normal build (isolated, as `pip install .` does it) of the copy, never of the checkout.
    _checked(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(root / "dist"),
            str(source),
        ]
    )
    (wheel,) = (root / "dist").glob("protocol_kit-*.whl")
    venv = root / "venv"
    # A fresh venv: no system site-packages, so every dependency must come from the wheel's
    # metadata. This interpreter's pip installs into it (`--python`), which saves seeding pip.
    _checked([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    _checked(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-compile",
            str(wheel),
        ]
    )
    shutil.rmtree(source)  # nothing may still come from the copy either
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PROTOCOL_TOKENS", "VIRTUAL_ENV", "PYTHONHOME"}
    }
    env["XDG_CACHE_HOME"] = str(root / "cache")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return Installed(wheel, venv, elsewhere, env)


def _top_level(paths: list[str]) -> set[str]:
    """The first component of each installed path, without the metadata folder and scripts."""
    names = {p.split("/", 1)[0] for p in paths}
    return {n for n in names if not n.endswith(".dist-info") and n not in {"..", ""}}


def test_the_wheel_and_the_venv_hold_one_import_name(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        members = wheel.namelist()
        (top_level,) = [m for m in members if m.endswith(".dist-info/top_level.txt")]
        assert wheel.read(top_level).decode().split() == ["protocol_kit"]
    assert _top_level(members) == {"protocol_kit"}
    (record,) = installed.site_packages().glob("protocol_kit-*.dist-info/RECORD")
    rows = [line.split(",", 1)[0] for line in record.read_text().splitlines()]
    assert _top_level(rows) == {"protocol_kit"}
    for name in ("conformance", "generator", "reference_server", "openapi", "templates"):
        assert not (installed.site_packages() / name).exists(), name
    probe = subprocess.run(
        [
            str(installed.bin("python")),
            "-c",
            "import protocol_kit.server, protocol_kit.conformance; import conformance",
        ],
        cwd=installed.elsewhere,
        env=installed.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "No module named 'conformance'" in probe.stderr, probe.stderr


def test_help_lists_every_command(installed: Installed) -> None:
    result = installed.run("--help")
    assert result.returncode == 0, result.stderr
    for command in ("lint", "serve", "generate", "verify"):
        assert command in result.stdout
    module = subprocess.run(
        [str(installed.bin("python")), "-m", "protocol_kit", "--version"],
        cwd=installed.elsewhere,
        env=installed.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert module.returncode == 0 and module.stdout.startswith("protocol-kit "), module.stderr


def test_lint_reads_the_spec_shipped_in_the_package(installed: Installed) -> None:
    result = installed.run("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(installed.venv) in result.stdout  # the spec came from the install, not a checkout


def test_verify_passes_its_embedded_reference_server(installed: Installed, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = installed.run("verify", "--json", str(report), timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    results = json.loads(report.read_text())["results"]
    assert results and all(r["status"] != "failed" for r in results)


def test_generate_writes_what_the_checkout_holds(installed: Installed, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = installed.run("generate", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert {p.parts[0] for p in written} == {"clients", "docs"}
    for part in ("python", "js", "php"):
        assert (out / "clients" / part).is_dir(), part
    # The installed templates give the same bytes as the committed output: none was left out.
    for path in written:
        committed = REPO / path
        assert committed.exists(), f"{path} is generated but not in the checkout"
        assert (out / path).read_bytes() == committed.read_bytes(), f"{path} differs"


@pytest.fixture
def served(installed: Installed, tmp_path: Path) -> Iterator[str]:
    process = ServeProcess(
        ":memory:",
        [TOKEN],
        tmp_path / "serve.log",
        args=["--demo"],
        env={
            "PATH": installed.env["PATH"],
            "PYTHONPATH": "",
            "XDG_CACHE_HOME": installed.env["XDG_CACHE_HOME"],
        },
        program=[str(installed.bin("protocol-kit"))],
        cwd=installed.elsewhere,
    )
    process.start()
    try:
        yield process.url
    finally:
        process.stop()


def test_serve_answers_the_documented_request(served: str) -> None:
    page = SEED_DIR / "conversations.mdx"
    if not page.exists() or shutil.which("curl") is None:
        # Without the seed page (or curl): the same request, built from the spec's example id.
        answer = httpx.get(
            f"{served}/v1/conversations/{DEMO_ID}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["id"] == DEMO_ID
        return
    operations = seed_operations(page.read_text(encoding="utf-8"))
    (one,) = [op for op in operations if op.method == "GET" and op.path.endswith("/:id")]
    command = (
        one.samples["bash"].replace("https://api.protocol.chat", served).replace("{token}", TOKEN)
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert_matches(json.loads(done.stdout), one.response)
