"""The hand-made corpus: each change of the spec gets the level it should, for each audience."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from protocol_kit.diff import CLIENTS, RECEIVERS, SERVERS, Level, compare
from protocol_kit.spec import Spec
from tests.diff.corpus import CASES, Case, base_document

LEVELS = {"C": Level.COMPATIBLE, "P": Level.POSSIBLY, "B": Level.BREAKING}
VERSION = "version-not-bumped"


def _spec(data: dict[str, object], path: Path) -> Spec:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return Spec.load(path)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    return _spec(base_document(), tmp_path_factory.mktemp("base") / "base.yaml")


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


def test_the_base_against_itself_has_no_changes(base: Spec) -> None:
    assert compare(base, base).changes == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(case: Case, base: Spec, tmp_path: Path) -> None:
    data = base_document()
    case.patch(data)
    report = compare(base, _spec(data, tmp_path / "revision.yaml"))
    found = [c for c in report.changes if c.kind != VERSION]
    assert case.kind in {c.kind for c in found}, [c.kind for c in found]
    versioned = any(c.kind == VERSION for c in report.changes)
    report.changes = found
    got = {who: report.level(who) for who in (CLIENTS, SERVERS, RECEIVERS)}
    expected = {
        CLIENTS: LEVELS[case.clients],
        SERVERS: LEVELS[case.servers],
        RECEIVERS: LEVELS[case.receivers],
    }
    assert got == expected, "\n".join(f"{c.impact}: {c.message}" for c in found)
    # Every change is located on the side(s) it exists on, with the line lint would print.
    for change in found:
        for side in (change.base, change.revision):
            assert side is None or (side.pointer.startswith("#") and side.line is not None), change
    # A breaking change needs a major bump, and only a breaking one.
    breaking = any(c.level is Level.BREAKING for c in found)
    bumped = data["info"]["version"] != base.version  # type: ignore[index]
    assert versioned == (breaking and not bumped)
