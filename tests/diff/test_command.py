"""`protocol-kit diff` on the command line: sides, formats, exit statuses, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from protocol_kit.cli import main
from protocol_kit.diff.json_report import SCHEMA
from tests.diff.corpus import SPEC

REPO = SPEC.parents[1]


@pytest.fixture
def lowered(tmp_path: Path) -> Path:
    """The spec with `limit`'s maximum lowered (breaking for clients) and a new optional filter."""
    text = SPEC.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["components"]["parameters"]["Limit"]["schema"]["maximum"] = 50
    data["paths"]["/v1/conversations"]["get"]["parameters"].append(
        {"name": "unread", "in": "query", "schema": {"type": "boolean"}}
    )
    path = tmp_path / "revision.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_names_whom_where_and_why(capsys: pytest.CaptureFixture[str], lowered: Path) -> None:
    code, out, _ = _run(capsys, str(SPEC), str(lowered))
    assert code == 0
    line = next(x for x in out.splitlines() if "maximum decreased" in x)
    assert line.startswith(
        "BREAKING for clients, servers (possibly breaking): GET /v1/conversations: "
        "query parameter `limit`"
    )
    assert "#/components/parameters/Limit/schema/maximum" in out
    assert "POSSIBLY BREAKING for servers" in out  # the new filter: an old server ignores it
    assert "version-not-bumped" not in out and "bump the major version" in out


def test_json_follows_its_schema(capsys: pytest.CaptureFixture[str], lowered: Path) -> None:
    code, out, _ = _run(capsys, str(SPEC), str(lowered), "--format", "json")
    assert code == 0
    report = json.loads(out)
    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    change = next(c for c in report["changes"] if c["kind"].endswith("maximum-decreased"))
    assert change["breaks"] == {"clients": "breaking", "servers": "possibly breaking"}
    assert change["base"]["line"] > 1 and change["revision"]["line"] > 1
    assert report["level"] == "breaking"


def test_markdown_is_a_comment(capsys: pytest.CaptureFixture[str], lowered: Path) -> None:
    _, out, _ = _run(capsys, str(SPEC), str(lowered), "--format", "markdown")
    assert out.startswith("### protocol-kit diff")
    assert "| Breaks | Where | Change | Base | Revision |" in out
    assert "#### 🔴 Breaking" in out


@pytest.mark.parametrize(("fail_on", "expected"), [("breaking", 1), ("possibly", 1), (None, 0)])
def test_fail_on(
    capsys: pytest.CaptureFixture[str], lowered: Path, fail_on: str | None, expected: int
) -> None:
    extra = ["--fail-on", fail_on] if fail_on else []
    assert _run(capsys, str(SPEC), str(lowered), *extra)[0] == expected


def test_nothing_to_fail_on_when_nothing_changed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(SPEC), str(SPEC), "--fail-on", "possibly")
    assert code == 0 and "no changes" in out


def test_git_sides(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = _run(capsys, "git:HEAD", "git:HEAD:openapi/conversations.yaml")
    assert code == 0 and "no changes" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["/no/such/file.yaml", str(SPEC)], "cannot read /no/such/file.yaml"),
        (["git:no-such-ref", str(SPEC)], "git:no-such-ref"),
        ([str(SPEC), str(REPO / "README.md")], "not"),
    ],
)
def test_bad_sides_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("protocol-kit diff: ") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
