"""The rule catalogue: stable, unique, explained ids, each citing where the user reads the rule."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from protocol_kit.conformance.outcome import GROUP_NAMES
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.verdicts import DOCS_FILES, HEADING_SEPARATOR, Rule
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


class _HtmlHeadings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self._level = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._level = int(tag[1])
            self.found.append((self._level, ""))

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._level = 0

    def handle_data(self, data: str) -> None:
        if self._level:
            level, text = self.found[-1]
            self.found[-1] = (level, (text + data).strip())


def _headings(name: str) -> list[tuple[int, str]]:
    text = (REPO / name).read_text(encoding="utf-8")
    if name.endswith(".html"):
        parser = _HtmlHeadings()
        parser.feed(text)
        return parser.found
    return _markdown_headings(text)


def _markdown_headings(markdown: str) -> list[tuple[int, str]]:
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
    assert Spec.load().document.node("#" + rule.citation.spec) is not None
    path = rule.citation.docs.split(HEADING_SEPARATOR)
    assert any(_has_heading_path(_headings(name), path) for name in DOCS_FILES), (
        f"{rule.id}: no heading {path} in {' or '.join(DOCS_FILES)}"
    )
    assert "issue" not in rule.citation.text.lower() and "issue" not in rule.statement.lower()


def test_the_product_has_no_internal_references() -> None:
    """No tracker references in the product, its output or its comments."""
    tracked = subprocess.run(
        [
            "git",
            "ls-files",
            "src",
            "openapi",
            "templates",
            "docs",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pattern = re.compile(r"\bissue\s*#\s*\d|contract issue", re.IGNORECASE)
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
