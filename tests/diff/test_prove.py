"""`diff --prove` on three real changes of the spec: the runs agree with the static verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from protocol_kit.cli import main
from tests.diff.corpus import CASES, base_document

# One change of each kind: nobody broken; old clients broken; old servers broken.
CHANGES = {
    "a response's description reworded": ("passed", "passed", "passed"),
    "list gains a required filter": ("failed", "failed", "passed"),
    "limit's maximum raised": ("passed", "passed", "failed"),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prove") / "base.yaml"
    path.write_text(yaml.safe_dump(base_document(), sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", CHANGES)
def test_prove_agrees_with_the_diff(
    name: str, base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = next(c for c in CASES if c.name == name)
    data = base_document()
    case.patch(data)
    revision = tmp_path / "revision.yaml"
    revision.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    code = main(["diff", str(base), str(revision), "--prove", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert not [c for c in report["changes"] if c["kind"] == "proof-disagrees"], report["proof"]
    python, javascript, kit = report["proof"]
    expected = CHANGES[name]
    assert "Python client" in python and f": {expected[0]}" in python, python
    assert "JavaScript client" in javascript and f": {expected[1]}" in javascript, javascript
    assert "conformance kit" in kit and f": {expected[2]}" in kit, kit
    assert all("DISAGREES" not in line for line in report["proof"])
