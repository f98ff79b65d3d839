"""oasdiff's checker pairs: how often the diff agrees, and every disagreement explained."""

from __future__ import annotations

import pytest

from bench.diff import Pair, explanations, oasdiff_pairs

# The rate docs/benchmarks.md reports (python -m bench.diff); a drop is a regression.
AGREEMENT_FLOOR = 0.9


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return oasdiff_pairs()


def test_the_corpus_covers_what_it_should(pairs: list[Pair]) -> None:
    assert len(pairs) >= 100
    ids = " ".join(i for p in pairs for i in p.ids)
    for area in (
        "request-body",
        "request-parameter",
        "response",
        "enum",
        "required",
        "security",
        "webhook",
        "nullable",
    ):
        assert area in ids, area


def test_agreement_rate(pairs: list[Pair]) -> None:
    agreed = sum(1 for p in pairs if p.ours == p.theirs)
    assert agreed / len(pairs) >= AGREEMENT_FLOOR, f"{agreed} of {len(pairs)}"


def test_every_disagreement_is_explained_and_no_explanation_is_stale(pairs: list[Pair]) -> None:
    why = explanations()
    disagreeing = {p.key for p in pairs if p.ours != p.theirs}
    assert disagreeing - why.keys() == set(), (
        "explain these in tests/diff/oasdiff/disagreements.json"
    )
    assert why.keys() - disagreeing == set(), "these now agree: drop their explanations"
    assert {w["verdict"] for w in why.values()} <= {"ours", "theirs", "definition"}
