"""`diff --prove` on three real changes of the spec: the runs agree with the static verdict."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from protocol_kit.cli import main
from protocol_kit.diff.json_report import SCHEMA
from tests.diff.corpus import CASES, base_document

# One change of each kind: nobody broken; old clients broken; old servers broken; old
# receivers broken. The verdict of each run: the Python client's calls, its unwrapping of the
# deliveries, the JavaScript client's calls, its unwrapping, the kit.
CHANGES = {
    "a response's description reworded": ("passed", "passed", "passed", "passed", "passed"),
    "list gains a required filter": ("failed", "not run", "failed", "not run", "passed"),
    "limit's maximum raised": ("passed", "passed", "passed", "passed", "failed"),
    "a new event": ("passed", "failed", "passed", "failed", "passed"),
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
    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert not [c for c in report["changes"] if c["kind"] == "proof-disagrees"], report["proof"]
    runs = report["proof"]
    names = ["Python client", "Python client", "JavaScript client", "JavaScript client", "kit"]
    assert len(runs) == len(names)
    for line, who, verdict in zip(runs, names, CHANGES[name], strict=True):
        assert who in line and f": {verdict}" in line, line
    assert all("DISAGREES" not in line for line in runs)
