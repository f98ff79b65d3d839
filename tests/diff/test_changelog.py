"""The changelog pages `protocol-kit generate` writes: each version in git against the one before."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from protocol_kit.cli import main
from tests.diff.corpus import SPEC
from tests.docs.test_mdx import _render


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _write(path: Path, version: str, limit_max: int, extra_filter: bool) -> None:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    data["info"]["version"] = version
    data["components"]["parameters"]["Limit"]["schema"]["maximum"] = limit_max
    if extra_filter:
        data["paths"]["/v1/conversations"]["get"]["parameters"].append(
            {
                "name": "unread",
                "in": "query",
                "description": "Only unread {conversations}.",
                "schema": {"type": "boolean"},
            }
        )
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with versions 1.0.0, then 2.0.0 (limit's maximum lowered) committed, and
    2.1.0 (a new filter) in the working tree; generated into out/."""
    repo = tmp_path_factory.mktemp("history")
    spec = repo / "openapi" / "conversations.yaml"
    spec.parent.mkdir()
    _git(repo, "init", "-q")
    _write(spec, "1.0.0", 100, False)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "first")
    _write(spec, "1.0.0", 100, False)  # an unrelated commit within 1.0.0
    (repo / "notes.txt").write_text("notes")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "notes")
    _write(spec, "2.0.0", 50, False)
    _git(repo, "commit", "-qam", "lower the limit")
    _write(spec, "2.1.0", 50, True)
    assert main(["generate", "--spec", str(spec), "--out", str(repo / "out")]) == 0
    return repo / "out" / "docs"


def test_each_version_lists_its_changes(generated: Path) -> None:
    text = (generated / "changelog.md").read_text(encoding="utf-8")
    sections = text.split("\n## ")[1:]
    assert [s.splitlines()[0] for s in sections] == ["2.1.0", "2.0.0", "1.0.0"]
    newest, middle, first = sections
    assert "Since 2.0.0. Breaks nobody." in newest
    assert "optional query parameter `unread` added (possibly breaks servers)" in newest
    assert "Since 1.0.0. Breaks clients." in middle
    assert "maximum decreased from 100 to 50 (breaks clients; possibly breaks servers)" in middle
    assert "bump the major version" not in text  # 2.0.0 is a major bump
    assert "The first version." in first


def test_the_mdx_page_compiles(generated: Path) -> None:
    page = _render(generated / "changelog.mdx")["changelog.mdx"]
    assert page["metadata"]["title"] == "Changelog"


def test_the_repository_page_is_current() -> None:
    # The bundled spec has one version so far; `generate --check` (tests/docs) keeps it current.
    text = (SPEC.parents[1] / "docs" / "changelog.md").read_text(encoding="utf-8")
    assert "# Changelog" in text and "## 1.0.0" in text
