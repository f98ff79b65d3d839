"""`protocol-kit generate`: deterministic output, `--check` against the committed files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from protocol_kit.cli import main
from protocol_kit.generator import build_model, load_model
from protocol_kit.generator.render import GENERATED_MARK, render_all
from protocol_kit.spec import Spec
from tests.support.paths import REPO
from tests.support.specs import bundled, write_spec


def _generate(*args: str, cwd: Path = REPO, seed: str = "0") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "protocol_kit", "generate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )


def test_committed_output_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--check", "--out", str(REPO)]) == 0, capsys.readouterr().out


def test_same_input_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for out, seed in ((first, "1"), (second, "2")):  # different hash seeds, different processes
        result = _generate("--out", str(out), seed=seed)
        assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert len(files) > 30
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command in this process (faster than a new one): exit status, stdout, stderr."""
    status = main(["generate", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_check_names_every_file_that_differs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "--out", str(tmp_path))[0] == 0
    edited = tmp_path / "clients/python/protocol_api/models.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    missing = tmp_path / "clients/js/src/errors.js"
    missing.unlink()
    stale = tmp_path / "clients/php/src/Model/Removed.php"
    stale.write_text(f"<?php\n// {GENERATED_MARK} from an older spec.\n", encoding="utf-8")
    hand_written = tmp_path / "clients/js/package-lock.json"
    hand_written.write_text("{}\n", encoding="utf-8")

    status, out, _ = _run(capsys, "--check", "--out", str(tmp_path))
    assert status == 1
    named = sorted(
        line.removeprefix("out of date: ")
        for line in out.splitlines()
        if line.startswith("out of date: ")
    )
    assert named == [
        "clients/js/src/errors.js",
        "clients/php/src/Model/Removed.php",
        "clients/python/protocol_api/models.py",
    ]

    assert _run(capsys, "--out", str(tmp_path))[0] == 0
    assert not stale.exists() and missing.exists() and hand_written.exists()
    assert _run(capsys, "--check", "--out", str(tmp_path))[0] == 0


def test_every_generated_file_says_so_and_names_the_spec_version() -> None:
    api = load_model()
    files = render_all(api)
    clients = {path: text for path, text in files.items() if path.startswith("clients/")}
    assert len(clients) > 30
    for path, text in clients.items():
        head = "\n".join(text.splitlines()[:4])
        assert GENERATED_MARK in head, path
        assert f"{api.title} {api.version}" in head.replace("\n// ", " ").replace("\n# ", " "), path


def test_unsupported_spec_exits_2_naming_the_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = bundled()
    document["components"]["schemas"]["Conversation"]["allOf"] = [{"type": "object"}]
    spec = write_spec(document, tmp_path)
    status, _, err = _run(capsys, "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert status == 2
    assert "#/components/schemas/Conversation/allOf" in err
    assert not (tmp_path / "out").exists()


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["generate", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--spec PATH", "--out DIR", "--check", "exit status"):
        assert option in out


@pytest.mark.parametrize("stated", [{"name": "Apache 2.0", "identifier": "Apache-2.0"}, None])
def test_the_clients_carry_the_specs_license(stated: dict[str, str] | None) -> None:
    document = bundled()
    if stated is None:
        del document["info"]["license"]
    else:
        document["info"]["license"] = stated
    files = render_all(build_model(Spec(document=document)))
    python = tomllib.loads(files["clients/python/pyproject.toml"])["project"]
    js = json.loads(files["clients/js/package.json"])
    php = json.loads(files["clients/php/composer.json"])
    wanted = stated["identifier"] if stated else None
    assert (python.get("license"), js.get("license"), php.get("license")) == (wanted,) * 3
    assert (f"<dt>License</dt><dd>{wanted}</dd>" in files["docs/index.html"]) == bool(stated)
