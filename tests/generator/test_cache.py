"""The per-user cache of `protocol-kit generate`: it saves time and never changes or fails a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import openapi_spec_validator
import pytest

from protocol_kit.cli import main
from tests.support.paths import REPO
from tests.support.specs import bundled, write_spec


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _generate(out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> int:
    status = main(["generate", "--out", str(out), *args])
    capsys.readouterr()
    return status


def _fail(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("called although the cache should have answered")


def _unwritable(*args: Any, **kwargs: Any) -> Any:
    raise PermissionError(13, "Permission denied")


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-cache"  # does not exist yet: the first run is cold
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def test_cold_and_warm_runs_write_identical_bytes(
    tmp_path: Path,
    cache_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _generate(tmp_path / "cold", capsys) == 0
    assert list((cache_home / "protocol-kit" / "jinja").rglob("*.cache"))
    assert list((cache_home / "protocol-kit" / "valid").iterdir())
    with monkeypatch.context() as warm:  # prove the warm run compiles and validates nothing
        warm.setattr(jinja2.Environment, "compile", _fail)
        warm.setattr(openapi_spec_validator, "validate", _fail)
        assert _generate(tmp_path / "warm", capsys) == 0
    cold = _tree(tmp_path / "cold")
    assert len(cold) > 30
    assert _tree(tmp_path / "warm") == cold
    assert main(["generate", "--check", "--out", str(REPO)]) == 0, capsys.readouterr().out


def test_corrupt_cache_entries_are_recompiled(
    tmp_path: Path, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path / "first", capsys) == 0
    entries = list((cache_home / "protocol-kit" / "jinja").rglob("*.cache"))
    for i, entry in enumerate(entries):
        data = entry.read_bytes()
        # Truncated after the header, and plain garbage.
        entry.write_bytes(data[:20] if i % 2 else b"\x00garbage" * 7)
    assert _generate(tmp_path / "second", capsys) == 0
    assert _tree(tmp_path / "second") == _tree(tmp_path / "first")


def test_cache_that_cannot_be_created_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would go\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert _generate(tmp_path / "out", capsys) == 0
    assert main(["generate", "--check", "--out", str(tmp_path / "out")]) == 0
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh"))
    assert _generate(tmp_path / "reference", capsys) == 0
    assert _tree(tmp_path / "out") == _tree(tmp_path / "reference")


def test_cache_that_cannot_be_written_is_skipped(
    tmp_path: Path,
    cache_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # File modes don't stop root, so refuse the writes themselves: every cache write fails.
    monkeypatch.setattr(jinja2.bccache.tempfile, "NamedTemporaryFile", _unwritable)
    monkeypatch.setattr(Path, "touch", _unwritable)
    assert _generate(tmp_path / "out", capsys) == 0
    assert not list((cache_home / "protocol-kit").rglob("*.cache"))
    assert not list((cache_home / "protocol-kit" / "valid").iterdir())
    monkeypatch.undo()
    assert main(["generate", "--check", "--out", str(tmp_path / "out")]) == 0


def test_invalid_spec_is_rejected_with_a_warm_cache(
    tmp_path: Path, cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path / "valid", capsys) == 0  # warms the cache with the bundled spec
    document = bundled()
    document["info"]["version"] = ["not", "a", "string"]  # only the validator catches this
    spec = write_spec(document, tmp_path)
    for _ in range(2):  # a failed validation is not remembered
        status = main(["generate", "--spec", str(spec), "--out", str(tmp_path / "bad")])
        assert status == 2
        assert f"{spec}:" in (err := capsys.readouterr().err)
        assert '#/info/version: not valid OpenAPI: a list is not of type "string"' in err
