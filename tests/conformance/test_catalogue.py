"""The rule catalogue: every rule states a requirement of the spec's catalogue, in its words."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from protocol_kit.conformance.outcome import GROUP_NAMES
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.verdicts import MUST, SHOULD, Rule
from protocol_kit.spec import Requirement, Spec

REPO = Path(__file__).resolve().parents[2]
RULES = [rule for group in GROUPS for rule in group.rules]
SPEC = Spec.load()
REQUIREMENTS = SPEC.requirements
PAGES = {"quickstart", "authentication", "pagination", "errors", "webhooks", "conversations"}
# The words RFC 2119 gives a level, as a statement uses them.
_KEYWORDS = re.compile(r"\b(MUST NOT|MUST|SHOULD NOT|SHOULD|MAY)\b")


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


def test_every_rule_checks_one_requirement_and_every_checked_requirement_has_its_rule() -> None:
    catalogue = {r.id for r in REQUIREMENTS}
    assert len(catalogue) == len(REQUIREMENTS)
    without_requirement = sorted(rule.id for rule in RULES if rule.id not in catalogue)
    assert without_requirement == [], "rules the spec's x-requirements does not state"
    ruled = {rule.id for rule in RULES}
    checked_without_rule = sorted(r.id for r in REQUIREMENTS if r.checked and r.id not in ruled)
    assert checked_without_rule == [], "requirements marked checked that no rule checks"
    unchecked_with_rule = sorted(r.id for r in REQUIREMENTS if not r.checked and r.id in ruled)
    assert unchecked_with_rule == [], "requirements marked unchecked that a rule checks"


@pytest.mark.parametrize("found", REQUIREMENTS, ids=lambda r: r.id)
def test_each_requirement_is_a_sentence_at_its_level_on_a_page(found: Requirement) -> None:
    assert re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", found.id), found.id
    assert found.level in (MUST, SHOULD), found.level
    assert found.page in PAGES, found.page
    assert found.section.strip(), "a requirement is rendered under a section heading"
    words = set(_KEYWORDS.findall(found.statement))
    assert words, "the statement says MUST, SHOULD or MAY"
    # A SHOULD never hides a MUST, and a MUST requirement states one.
    assert (MUST in " ".join(words)) == (found.level == MUST), words
    assert found.statement[0].isupper() or found.statement[0] == "`", found.statement
    assert found.statement.endswith("."), found.statement
    assert "issue" not in found.statement.lower()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_reads_its_statement_level_and_citation_from_the_catalogue(rule: Rule) -> None:
    found = SPEC.requirement(rule.id)
    assert found is not None, f"{rule.id} is not in the spec's x-requirements"
    assert (rule.statement, rule.level) == (found.statement, found.level)
    assert rule.citation.spec == f"/x-requirements/{rule.id}" == found.pointer
    assert SPEC.document.node("#" + rule.citation.spec) is not None
    assert rule.citation.docs == f"{found.page}#{rule.id.lower()}"
    assert rule.citation.text == (
        f"openapi/conversations.yaml#/x-requirements/{rule.id}; "
        f"docs: docs/{found.page}.md#{rule.id.lower()}"
    )


def test_the_readme_counts_the_requirements_by_level() -> None:
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    levels = [r.level for r in REQUIREMENTS]
    checked = sum(r.checked for r in REQUIREMENTS)
    assert f"{len(levels)} requirements, **{levels.count(MUST)} MUST** and " in readme
    assert f"**{levels.count(SHOULD)} SHOULD** (RFC 2119), {checked} of them checked" in readme


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
