"""The READMEs' links to a section of a page (`page#anchor`) land on a section that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.paths import CLIENTS, REPO

READMES = [REPO / "README.md", *(CLIENTS / lang / "README.md" for lang in ("python", "js", "php"))]
_LINK = re.compile(r"\]\(([^)\s]*#[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)
_ID = re.compile(r"""\b(?:id|name)=["']([^"']+)["']""")


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every id a link can land on: explicit ids, and for Markdown the headings' anchors."""
    text = page.read_text(encoding="utf-8")
    found = set(_ID.findall(text))
    if page.suffix in {".md", ".mdx"}:
        text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # a `#` in code is no heading
        seen: dict[str, int] = {}
        for heading in _HEADING.findall(text):
            slug = _slug(heading)
            found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
            seen[slug] = seen.get(slug, 0) + 1
    return found


def _section_links(readme: Path) -> list[tuple[Path, str]]:
    links = []
    for target in _LINK.findall(readme.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue  # another site's page: not ours to check offline
        page, _, anchor = target.partition("#")
        links.append(((readme.parent / page).resolve() if page else readme, anchor))
    return links


def test_the_slug_is_githubs() -> None:
    assert _slug("Retrieve a conversation — `GET /v1/conversations/{id}`") == (
        "retrieve-a-conversation--get-v1conversationsid"
    )
    assert _slug("The conversation model") == "the-conversation-model"


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_section_link_resolves(readme: Path) -> None:
    broken = []
    for page, anchor in _section_links(readme):
        if not page.exists():
            broken.append(f"{page} (no such page)#{anchor}")
        elif anchor not in anchors(page):
            broken.append(f"{page.relative_to(REPO)}#{anchor}")
    assert not broken, f"{readme.relative_to(REPO)}: links to missing sections: {broken}"


def test_the_client_readmes_link_the_docs_model_section() -> None:
    # The check above must have something to check: the spec's texts link the model section.
    for lang in ("python", "js", "php"):
        links = _section_links(CLIENTS / lang / "README.md")
        assert (REPO / "docs" / "conversations.md", "the-conversation-model") in links, lang
