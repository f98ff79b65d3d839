"""The HTML reference's anchors and search index, and docs/llms.txt, as the generator builds them."""

from __future__ import annotations

import re
from pathlib import Path

from protocol_kit.generator import ApiModel, load_model
from protocol_kit.generator.guides import guides_of
from protocol_kit.generator.reference import html_reference, search_index
from protocol_kit.generator.render import render_all
from protocol_kit.generator.targets import DOCS
from tests.docs.catalogue import with_requirements
from tests.support.specs import write_spec


def _api() -> ApiModel:
    return load_model()


def test_every_search_entry_leads_to_exactly_one_element_of_the_page() -> None:
    api = _api()
    page = html_reference(api)
    entries = search_index(api)
    ids = re.findall(r'\bid="([^"]+)"', page)
    for entry in entries:
        assert ids.count(entry["anchor"]) == 1, entry
        assert f'href="#{entry["anchor"]}"' in page, f"no link icon for {entry['anchor']}"
    assert len({e["anchor"] for e in entries}) == len(entries)


def test_the_index_covers_operations_attributes_parameters_and_error_types() -> None:
    api = _api()
    entries = search_index(api)
    kinds: dict[str, set[str]] = {}
    for entry in entries:
        kinds.setdefault(entry["kind"], set()).add(entry["title"])
    assert kinds["Operation"] == {op.summary for op in api.operations}
    assert kinds["Query parameter"] == {p.name for op in api.operations for p in op.query_params}
    assert kinds["Path parameter"] == {p.name for op in api.operations for p in op.path_params}
    assert kinds["Attribute"] == {a.name for op in api.operations for a in op.body_attributes}
    assert kinds["Property"] == {p.name for r in api.resources for p in r.model.properties}
    assert kinds["Error type"] == {f"{e.name}Error" for e in api.errors if e.status}


def test_the_page_for_another_base_url_names_it_everywhere() -> None:
    api = _api()
    page = html_reference(api, "http://127.0.0.1:9/")
    assert api.base_url not in page
    assert "curl http://127.0.0.1:9/v1/conversations" in page
    assert html_reference(api) == render_all(api, (DOCS,))["docs/index.html"]


def test_llms_txt_follows_the_convention_and_links_pages_that_exist() -> None:
    api = _api()
    docs = render_all(api, (DOCS,))
    text = docs["docs/llms.txt"]
    lines = text.splitlines()
    assert lines[0] == f"# {api.title}"
    assert lines[2] == f"> {api.summary}"
    assert "## Docs" in lines
    links = re.findall(r"^- \[[^\]]+\]\(([^)]+)\)", text, re.MULTILINE)
    assert links[0] == f"{api.resources[0].name}.md"
    # Requirements link their anchor on a page (whose anchors the docs tests check).
    assert links and all(f"docs/{link.partition('#')[0]}" in docs for link in links)


def test_guides_and_requirements_are_searchable_and_lead_to_their_text(tmp_path: Path) -> None:
    api = load_model(write_spec(with_requirements(), tmp_path))
    page = html_reference(api)
    ids = re.findall(r'\bid="([^"]+)"', page)
    entries = search_index(api)
    for entry in entries:
        assert ids.count(entry["anchor"]) == 1, entry
        assert f'href="#{entry["anchor"]}"' in page, f"no link icon for {entry['anchor']}"
    guides = [e for e in entries if e["kind"] == "Guide"]
    assert [e["anchor"] for e in guides] == [g.slug for g in guides_of(api)]
    stated = {e["title"]: e for e in entries if e["kind"].startswith("Requirement")}
    assert list(stated) == [r.id for r in api.requirements]
    cursor = stated["LIST-UNKNOWN-CURSOR"]
    assert (cursor["kind"], cursor["where"]) == (
        "Requirement (MUST)",
        "Pagination › Cursors and page size",
    )
