"""The rule catalogue: stable, unique, explained ids, each group named on the command line."""

from __future__ import annotations

import re

from protocol_kit.conformance.outcome import GROUP_NAMES
from protocol_kit.conformance.rules import GROUPS


def test_rule_ids_are_unique_stable_and_explained() -> None:
    rules = [rule for group in GROUPS for rule in group.rules]
    ids = [rule.id for rule in rules]
    assert len(ids) == len(set(ids))
    for group in GROUPS:
        for rule in group.rules:
            assert rule.group == group.name
            assert re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", rule.id), rule.id
            assert rule.statement and rule.citation.startswith("contract issue #2"), rule.id


def test_every_group_can_be_selected() -> None:
    assert [group.name for group in GROUPS] + ["schemathesis"] == GROUP_NAMES
