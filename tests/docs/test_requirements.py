"""Every requirement of the catalogue is stated on its docs page, under its section, at its anchor;
every rule's docs citation (`<page>#<anchor>`) leads to the text that carries its requirement."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from protocol_kit.conformance.rules import GROUPS
from protocol_kit.generator import ApiModel, GeneratorError, load_model
from protocol_kit.generator.langs import mdx_prose
from protocol_kit.spec import Requirement
from tests.support.specs import write_spec

from .catalogue import with_requirements

_CITATION = re.compile(r"([a-z][a-z0-9_]*)#([a-z0-9-]+)")


def _paragraph_at(page: str, marker: str) -> tuple[str, str]:
    """(the last `## ` heading before ``marker``, the paragraph ``marker`` starts)."""
    at = page.index(marker)
    headings = re.findall(r"^## (.+)$", page[:at], flags=re.MULTILINE)
    return (headings[-1] if headings else ""), page[at:].split("\n\n", 1)[0]


def _heading_text(heading: str) -> str:
    """A heading as a reader sees it: without the MDX annotation or escapes."""
    return re.sub(r"\s*\{\{.*\}\}$", "", heading).replace("\\", "")


class _Texts(HTMLParser):
    """The text inside each element that has an id, and the h2/h3 headings in order."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.order: list[tuple[str, str]] = []  # ("heading", text) or ("id", anchor)
        self._open: list[tuple[str, str | None]] = []
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        anchor = dict(attrs).get("id")
        if tag in ("br", "img", "input", "link", "meta", "path"):
            return
        self._open.append((tag, anchor))
        if anchor is not None:
            self.by_id[anchor] = ""
            self.order.append(("id", anchor))
        if tag in ("h2", "h3"):
            self._heading = ""

    def handle_endtag(self, tag: str) -> None:
        while tag in (open_tag for open_tag, _ in self._open):
            if self._open.pop()[0] == tag:
                break
        if tag in ("h2", "h3") and self._heading is not None:
            self.order.append(("heading", self._heading.strip()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        for _, anchor in self._open:
            if anchor is not None:
                self.by_id[anchor] += data
        if self._heading is not None:
            self._heading += data


def _html(page: str) -> _Texts:
    parsed = _Texts()
    parsed.feed(page)
    return parsed


def _check_markdown(page: str, r: Requirement, anchor_tag: str, statement: str) -> None:
    assert page.count(anchor_tag) == 1, f"{r.id}: anchor {anchor_tag} missing or repeated"
    heading, paragraph = _paragraph_at(page, anchor_tag)
    assert _heading_text(heading) == r.section, f"{r.id}: under {heading!r}, not {r.section!r}"
    assert f"**{r.level}**" in paragraph and f"`{r.id}`" in paragraph
    assert statement in paragraph, f"{r.id}: the statement is not at its anchor"


def test_every_requirement_is_stated_on_its_page_under_its_section(
    rendered: tuple[ApiModel, dict[str, str]],
) -> None:
    api, docs = rendered
    html = _html(docs["docs/index.html"])
    for r in api.requirements:
        _check_markdown(
            docs[f"docs/{r.page}.md"], r, f'<a id="{r.anchor}"></a>', mdx_prose(r.statement)
        )
        _check_markdown(
            docs[f"docs/{r.page}.mdx"], r, f'<a id="{r.anchor}" />', mdx_prose(r.statement)
        )
        text = " ".join(html.by_id[r.anchor].split())
        assert text.startswith(f"{r.level} {r.id} ") and " ".join(r.statement.split()) in text
        before = html.order[: html.order.index(("id", r.anchor))]
        headings = [value for kind, value in before if kind == "heading"]
        assert r.section in headings, f"{r.id}: no {r.section!r} heading before it in the HTML"
        assert f"[{r.id}]({r.page}.md#{r.anchor})" in docs["docs/llms.txt"]


def test_the_fixture_catalogue_reaches_every_kind_of_page(catalogue_api: ApiModel) -> None:
    """Guards the test above: the fixture covers guide pages, the resource page, and sections the
    pages have and do not have."""
    pages = {r.page for r in catalogue_api.requirements}
    assert {"errors", "authentication", "webhooks", "conversations"} <= pages
    assert any(not r.checked for r in catalogue_api.requirements)


def _check_citation(
    rule_id: str, citation: str, requirement: Requirement | None, docs: dict[str, str]
) -> None:
    """The citation is `<page>#<anchor>`, the page exists, and the paragraph at the anchor states
    the rule's requirement (the one with the rule's id)."""
    found = _CITATION.fullmatch(citation)
    assert found, f"{rule_id}: docs citation {citation!r} is not <page>#<anchor>"
    page, anchor = found.groups()
    assert f"docs/{page}.md" in docs, f"{rule_id}: no page docs/{page}.md"
    assert requirement is not None, f"{rule_id}: no requirement {rule_id} in the spec"
    assert (requirement.page, requirement.anchor) == (page, anchor), (
        f"{rule_id}: cites {citation}, but its requirement is {requirement.page}#{requirement.anchor}"
    )
    tag = f'<a id="{anchor}"></a>'
    assert tag in docs[f"docs/{page}.md"], f"{rule_id}: no anchor #{anchor} on {page}.md"
    _, paragraph = _paragraph_at(docs[f"docs/{page}.md"], tag)
    assert mdx_prose(requirement.statement) in paragraph, f"{rule_id}: #{anchor} does not state it"


def test_every_rule_citation_names_a_page_and_anchor_that_carry_its_requirement(
    api: ApiModel, docs: dict[str, str]
) -> None:
    rules = [(rule.id, rule.citation.docs) for group in GROUPS for rule in group.rules]
    if not api.requirements and not any(_CITATION.fullmatch(cited) for _, cited in rules):
        pytest.skip("the spec has no requirements catalogue yet and no rule cites one")
    for rule_id, citation in rules:
        _check_citation(rule_id, citation, _requirement(api, rule_id), docs)


def _requirement(api: ApiModel, requirement_id: str) -> Requirement | None:
    return next((r for r in api.requirements if r.id == requirement_id), None)


def test_the_citation_check_fails_where_a_reader_would_find_nothing(
    catalogue_api: ApiModel, catalogue_docs: dict[str, str]
) -> None:
    """The check above, on the fixture catalogue: each requirement's own citation resolves; a
    missing anchor, another page, or an anchor that states something else is caught."""
    for r in catalogue_api.requirements:
        _check_citation(r.id, f"{r.page}#{r.anchor}", r, catalogue_docs)
    cursor = _requirement(catalogue_api, "LIST-UNKNOWN-CURSOR")
    assert cursor is not None
    broken = {
        "pagination#no-such-anchor": catalogue_docs,
        "errors#list-unknown-cursor": catalogue_docs,
        "pagination#list-unknown-cursor": {
            **catalogue_docs,
            "docs/pagination.md": catalogue_docs["docs/pagination.md"].replace(
                cursor.statement, "Cursors are opaque."
            ),
        },
        "Pagination › Cursors and page size": catalogue_docs,
    }
    for citation, docs in broken.items():
        with pytest.raises(AssertionError):
            _check_citation(cursor.id, citation, cursor, docs)


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [("page", "nowhere", "is no docs page"), ("level", "MAY", "must be MUST or SHOULD")],
)
def test_a_requirement_the_docs_cannot_place_is_refused_with_its_pointer(
    tmp_path: Path, key: str, value: str, says: str
) -> None:
    document = with_requirements()
    document["x-requirements"]["UPDATE-ATOMIC"][key] = value
    with pytest.raises(GeneratorError, match=says) as refused:
        load_model(write_spec(document, tmp_path))
    assert refused.value.pointer == f"#/x-requirements/UPDATE-ATOMIC/{key}"


def test_a_webhooks_requirement_needs_webhooks_in_the_spec(tmp_path: Path) -> None:
    """Without webhooks there is no Webhooks page, so a requirement placed there has no home."""
    document = with_requirements()
    del document["webhooks"]
    document["tags"] = [t for t in document["tags"] if t["name"] != "Webhooks"]
    with pytest.raises(GeneratorError, match="is no docs page") as refused:
        load_model(write_spec(document, tmp_path))
    assert refused.value.pointer == "#/x-requirements/HOOK-ACK-COMPLETE/page"
    del document["x-requirements"]["HOOK-ACK-COMPLETE"]
    without = load_model(write_spec(document, tmp_path))
    assert "webhooks" not in {r.page for r in without.requirements}
