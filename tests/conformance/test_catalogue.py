"""The rule catalogue: stable, unique, explained ids, each citing where the user reads the rule."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from protocol_kit.conformance.outcome import GROUP_NAMES
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.verdicts import DOCS_FILE, HEADING_SEPARATOR, Rule
from protocol_kit.spec import Spec

REPO = Path(__file__).resolve().parents[2]
RULES = [rule for group in GROUPS for rule in group.rules]


def test_rule_ids_are_unique_stable_and_explained() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for group in GROUPS:
        for rule in group.rules:
            assert rule.group == group.name
            assert re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", rule.id), rule.id
            assert rule.statement, rule.id


def test_every_group_can_be_selected() -> None:
    assert [group.name for group in GROUPS] + ["schemathesis"] == GROUP_NAMES


def _resolve(document: object, pointer: str) -> object:
    """RFC 6901: the node the pointer names, or KeyError/IndexError."""
    assert pointer.startswith("/"), pointer
    node = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    return node


def _headings(markdown: str) -> list[tuple[int, str]]:
    found, fenced = [], False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        heading = re.match(r"(#{1,6}) (.+)", line)
        if heading and not fenced:
            found.append((len(heading.group(1)), heading.group(2).strip()))
    return found


def _has_heading_path(headings: list[tuple[int, str]], path: list[str]) -> bool:
    """Each heading of the path, the next one nested under the one before."""
    for start, (level, text) in enumerate(headings):
        if text != path[0]:
            continue
        if len(path) == 1:
            return True
        section = []
        for inner_level, inner_text in headings[start + 1 :]:
            if inner_level <= level:
                break
            section.append((inner_level, inner_text))
        if _has_heading_path(section, path[1:]):
            return True
    return False


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_cites_a_spec_location_and_a_docs_heading(rule: Rule) -> None:
    document = Spec.load().data
    assert _resolve(document, rule.citation.spec) is not None
    headings = _headings((REPO / DOCS_FILE).read_text(encoding="utf-8"))
    path = rule.citation.docs.split(HEADING_SEPARATOR)
    assert _has_heading_path(headings, path), f"{rule.id}: no heading {path} in {DOCS_FILE}"
    assert "issue" not in rule.citation.text.lower() and "issue" not in rule.statement.lower()


def test_the_product_has_no_internal_references() -> None:
    """No tracker references in the product, its output or its comments."""
    tracked = subprocess.run(
        [
            "git",
            "ls-files",
            "conformance",
            "reference_server",
            "generator",
            "protocol_kit",
            "templates",
            "docs",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pattern = re.compile(r"\bissue\s*#?\d|contract issue|§\s*\d", re.IGNORECASE)
    offenders = [
        f"{name}:{n}"
        for name in tracked
        if (REPO / name).is_file() and not name.endswith((".png", ".ico"))
        for n, line in enumerate(
            (REPO / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if pattern.search(line)
    ]
    assert offenders == []
