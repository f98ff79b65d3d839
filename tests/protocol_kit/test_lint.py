"""`protocol-kit lint`: the bundled spec passes; each project rule catches its own kind of problem."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from protocol_kit.cli import main
from protocol_kit.spec import Spec, default_spec_path
from protocol_kit.spec.problems import find_problems as lint


def test_the_bundled_spec_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint"]) == 0
    assert "OK" in capsys.readouterr().out


def _break_example(doc: dict[str, Any]) -> None:
    example = doc["paths"]["/v1/conversations/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["examples"]["conversation"]["value"]
    example["is_muted"] = "no"


def _drop_summary(doc: dict[str, Any]) -> None:
    del doc["paths"]["/v1/conversations"]["post"]["summary"]


def _plain_error(doc: dict[str, Any]) -> None:
    doc["components"]["responses"]["NotFound"]["content"]["application/json"]["schema"] = {
        "type": "object"
    }


def _dangling_ref(doc: dict[str, Any]) -> None:
    doc["components"]["schemas"]["Conversation"]["properties"]["id"]["$ref"] = (
        "#/components/schemas/Nope"
    )


def _unused_component(doc: dict[str, Any]) -> None:
    doc["components"]["schemas"]["Orphan"] = {"type": "string"}


def _not_openapi(doc: dict[str, Any]) -> None:
    doc["paths"]["/v1/conversations"]["get"]["responses"] = "everything"


@pytest.mark.parametrize(
    ("breakage", "pointer", "words"),
    [
        (
            _break_example,
            "#/paths/~1v1~1conversations~1{id}/get/responses/200/content/application~1json/examples/conversation/value/is_muted",
            "not of type",
        ),
        (_drop_summary, "#/paths/~1v1~1conversations/post", "summary"),
        (_plain_error, "#/components/responses/NotFound", "Error"),
        (_dangling_ref, "#/components/schemas/Conversation/properties/id/$ref", "Nope"),
        (_unused_component, "#/components/schemas/Orphan", "never referenced"),
        (_not_openapi, "#/paths/~1v1~1conversations/get/responses", "not valid OpenAPI"),
    ],
)
def test_each_rule_reports_the_json_pointer(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    breakage: Callable[[dict[str, Any]], None],
    pointer: str,
    words: str,
) -> None:
    document = copy.deepcopy(Spec.load().data)
    breakage(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    problems = lint(Spec.load(path))
    assert any(p.pointer == pointer and words in p.message for p in problems), problems
    assert main(["lint", str(path)]) == 1
    assert pointer in capsys.readouterr().out


def test_a_missing_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def _lint_text(tmp_path: Path, text: str) -> tuple[list[str], Path]:
    path = tmp_path / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in lint(Spec.load(path))], path


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = text.splitlines()
    hits = [number for number, line in enumerate(lines, 1) if needle in line]
    return hits[occurrence - 1]


def test_every_problem_shows_file_line_column_and_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        default_spec_path()
        .read_text(encoding="utf-8")
        .replace("is_muted: true\n", "is_muted: null\n", 1)
    )
    problems, path = _lint_text(tmp_path, text)
    line = _line_of(text, "is_muted: null")
    column = text.splitlines()[line - 1].index("is_muted") + 1
    pointer = "#/paths/~1v1~1conversations~1{id}/put/responses/200/content/application~1json/examples/muted/value/is_muted"
    assert problems == [f'{path}:{line}:{column}: {pointer}: null is not of type "boolean"']
    assert main(["lint", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == problems


def test_a_bad_ref_is_reported_once_at_its_line_and_its_orphan_as_unused(tmp_path: Path) -> None:
    original = default_spec_path().read_text(encoding="utf-8")
    text = original.replace(
        "- $ref: '#/components/parameters/Muted'", "- $ref: '#/components/parameters/Mutd'"
    )
    problems, path = _lint_text(tmp_path, text)
    ref_line = _line_of(text, "parameters/Mutd")
    orphan_line = _line_of(text, "    Muted:")
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{path}:{ref_line}:")
    assert "#/paths/~1v1~1conversations/get/parameters/1/$ref" in problems[0]
    assert "Mutd" in problems[0]
    assert (
        problems[1]
        == f"{path}:{orphan_line}:5: #/components/parameters/Muted: component is never referenced"
    )


def test_a_duplicate_parameter_points_at_its_operation(tmp_path: Path) -> None:
    original = default_spec_path().read_text(encoding="utf-8")
    text = original.replace(
        "        - $ref: '#/components/parameters/Archived'\n",
        "        - $ref: '#/components/parameters/Archived'\n"
        "        - $ref: '#/components/parameters/Muted'\n",
        1,
    )
    problems, path = _lint_text(tmp_path, text)
    operation_line = _line_of(text, "  /v1/conversations:") + 1  # its `get:`
    assert problems == [
        f"{path}:{operation_line}:5: #/paths/~1v1~1conversations/get: GET /v1/conversations "
        'lists the query parameter "muted" more than once'
    ]
