"""The generated MDX page holds everything the seed page shows, in the seed's order and layout."""

from __future__ import annotations

import json
import re
from typing import Any

from protocol_kit.generator import ApiModel
from protocol_kit.generator.langs import mdx_prose
from protocol_kit.generator.render import header_text
from protocol_kit.spec import Requirement

Item = tuple[Any, ...]

# -- The intended differences from the seed page, each with its reason ---------------------------
# Changed, not listed below because the comparison allows it: the list response's second
# conversation, which the seed abbreviates as `{"id": "hSIhXBhNe8X1d8Et" // ...}`, is printed whole
# from the spec's example, so the block is valid JSON a reader can copy (and `protocol-kit lint`
# checks it against the schema). A seed object marked `// ...` matches on the keys it shows.
_SEED_SUMMARY = (
    "'On this page, we’ll dive into the different conversation endpoints you can use "
    "to manage conversations programmatically.',"
)
_SUMMARY = (
    "'Conversations are an essential part of Protocol — they are the containers for the "
    "messages between you, your contacts, and groups.',"
)
_SUMMARY_REASON = (
    "The metadata description: the spec has no per-page summary, so the page uses "
    "the first sentence of the tag's description (the seed's is the lead's second)."
)
_AFTER = (
    "A cursor: the id of the last conversation on the current page, to fetch the next page. "
    "Cannot be combined with `ending_before`."
)
_BEFORE = (
    "A cursor: the id of the first conversation on the current page, to fetch the previous "
    "page. Cannot be combined with `starting_after`."
)
_CURSOR_REASON = (
    "The seed page forgot the list operation's cursor parameters; the spec and the "
    "conventions page define them, and a reader cannot page without them."
)
_ATOMIC = (
    "An update changes only the attributes it names, atomically: concurrent updates of different "
    "attributes of the same conversation (say one client mutes it while another pins it) all "
    "persist, none is lost."
)
_ATOMIC_REASON = (
    "The seed page does not say what concurrent updates do; the contract does, and a server that "
    "loses one of two simultaneous updates deviates from it."
)
_NOTICE_REASON = (
    "The generated-file notice, an MDX comment: `protocol-kit generate` recognises its "
    "own files by it."
)

# Seed items the generated page does not have.
MISSING: list[tuple[Item, str]] = [(("line", _SEED_SUMMARY), _SUMMARY_REASON)]


def _extras(api: ApiModel) -> list[tuple[Item, str]]:
    """Generated items the seed does not have, in page order."""
    notice = ["{/*", *header_text(api).splitlines(), "*/}"]
    return [
        *((("line", line), _NOTICE_REASON) for line in notice),
        (("line", _SUMMARY), _SUMMARY_REASON),
        (("property", "Optional attributes", "starting_after", "string", _AFTER), _CURSOR_REASON),
        (("property", "Optional attributes", "ending_before", "string", _BEFORE), _CURSOR_REASON),
        (("line", _ATOMIC), _ATOMIC_REASON),
    ]


# -- Parsing a page into comparable items ----------------------------------------------------------
# The seed's mark for an object it abbreviated, and the key that stands for the elided rest.
_ELLIPSIS = "// ..."
_ELIDED = "\u2026"
_FENCE = re.compile(r"^```(\S*)\s*(.*)$")
_PROPERTY = re.compile(r'^<Property name="([^"]+)" type="([^"]+)">$')


def _json(lines: list[str]) -> Any:
    """A JSON block; an object abbreviated with `// ...` gets the key "…" for what it elides."""
    kept: list[str] = []
    for line in lines:
        if line == _ELLIPSIS:
            if kept and not kept[-1].endswith(("{", "[", ",")):
                kept[-1] += ","
            kept.append(json.dumps(_ELIDED) + ": true")
        else:
            kept.append(line)
    return json.loads("\n".join(kept))


def _items(page: str) -> list[Item]:
    """The page as a sequence of comparable items, modulo indentation and line wrapping.

    A property or attribute is one item (its section, name, type and description); a code block
    is one item (language, fence title, lines without their leading whitespace); a JSON block is
    its parsed value; every other non-blank line is an item of its own.
    """
    lines = [line.strip() for line in page.splitlines()]
    items: list[Item] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        prop = _PROPERTY.match(line)
        if fence:
            end = lines.index("```", i + 1)
            body = lines[i + 1 : end]
            if fence.group(1) == "json":
                items.append(("json", fence.group(2), _json(body)))
            else:
                items.append(("code", fence.group(1), fence.group(2), tuple(body)))
            i = end + 1
            continue
        if prop:
            end = lines.index("</Property>", i + 1)
            description = " ".join(" ".join(lines[i + 1 : end]).split())
            items.append(("property", section, prop.group(1), prop.group(2), description))
            i = end + 1
            continue
        if line.startswith("### "):
            section = line[4:]
        elif line.startswith("## "):
            section = ""
        if line:
            items.append(("line", " ".join(line.split())))
        i += 1
    return items


def _seed_items(seed_page: str) -> list[Item]:
    """The seed's items less the MISSING ones (each of which must be in the seed)."""
    items = _items(seed_page)
    for item, _reason in MISSING:
        assert item in items, f"MISSING lists an item the seed does not have: {item!r}"
    return [item for item in items if item not in [m for m, _reason in MISSING]]


def _same(generated: Item, seed: Item) -> bool:
    if generated[0] == seed[0] == "json":
        return generated[1] == seed[1] and _json_matches(generated[2], seed[2])
    return generated == seed


def _json_matches(generated: Any, seed: Any) -> bool:
    """Equal, except that an object the seed abbreviated matches on the keys it shows."""
    if isinstance(seed, dict):
        if not isinstance(generated, dict):
            return False
        shown = {k: v for k, v in seed.items() if k != _ELIDED}
        keys_ok = set(shown) <= set(generated) if _ELIDED in seed else set(shown) == set(generated)
        return (
            keys_ok
            and list(generated)[: len(shown)] == list(shown)
            and all(_json_matches(generated[k], v) for k, v in shown.items())
        )
    if isinstance(seed, list):
        return (
            isinstance(generated, list)
            and len(generated) == len(seed)
            and all(_json_matches(g, s) for g, s in zip(generated, seed, strict=True))
        )
    return type(generated) is type(seed) and generated == seed


def _align(generated: list[Item], seed: list[Item]) -> tuple[int, list[Item]]:
    """Walk the generated page matching seed items in order: (seed items matched, the rest)."""
    matched = 0
    extras: list[Item] = []
    for item in generated:
        if matched < len(seed) and _same(item, seed[matched]):
            matched += 1
        else:
            extras.append(item)
    return matched, extras


def test_the_seed_page_parses_into_what_the_comparison_relies_on(seed_page: str) -> None:
    """Guards the parser: a regex that silently matched nothing would make the comparison vacuous."""
    items = _items(seed_page)
    kinds = [item[0] for item in items]
    assert kinds.count("property") == 10 + 5 + 2 + 4
    assert kinds.count("code") == 5 * 4
    assert kinds.count("json") == 4
    assert sum(1 for item in items if item[0] == "line" and item[1].startswith("## ")) == 6
    abbreviated = [item for item in items if item[0] == "json" and "has_more" in item[2]]
    assert abbreviated[0][2]["data"][1] == {"id": "hSIhXBhNe8X1d8Et", _ELIDED: True}


def test_every_seed_item_appears_in_the_generated_page_in_order(
    seed_page: str, rendered: tuple[ApiModel, dict[str, str]]
) -> None:
    _, docs = rendered
    seed = _seed_items(seed_page)
    matched, _ = _align(_items(docs["docs/conversations.mdx"]), seed)
    assert matched == len(seed), f"not in the generated page, in order: {seed[matched]!r}"


def test_the_generated_page_adds_only_the_intended_differences(
    seed_page: str, rendered: tuple[ApiModel, dict[str, str]]
) -> None:
    api, docs = rendered
    seed = _seed_items(seed_page)
    page = docs["docs/conversations.mdx"]
    _, extras = _align(_items(page), seed)
    extras, stated = _requirement_items(extras, api)
    assert extras == [item for item, _reason in _extras(api)] + _webhooks_section(page, api)
    # Each requirement of the page is a paragraph of its own, after the seed's sentences of
    # its section, or in a section of its own.
    assert stated == [
        f'<a id="{r.anchor}" />**{r.level}** · `{r.id}` · {mdx_prose(r.statement)}'
        + ("" if r.checked else " *(Stated, not checked by the conformance kit.)*")
        for r in _in_page_order(api)
    ]


# Requirements whose page is the resource page: paragraphs of their own (an anchor, the level,
# the id, the statement), under the heading of their section; a section the seed page does not
# have is added after the operations, after a rule like every section.
def _requirement_items(extras: list[Item], api: ApiModel) -> tuple[list[Item], list[str]]:
    """The extras less the requirement paragraphs and added sections, and those paragraphs."""
    resource = api.resources[0]
    anchors = {f'<a id="{r.anchor}" />' for r in api.requirements_on(resource.name)}
    added = {f"## {title}" for title in _added_sections(api)}
    kept: list[Item] = []
    stated: list[str] = []
    for item in extras:
        text = item[1] if item[0] == "line" else None
        if text is not None and any(text.startswith(anchor) for anchor in anchors):
            stated.append(text)
        elif text in added:
            assert kept.pop() == ("line", "---"), "an added section starts after a rule"
        else:
            kept.append(item)
    return kept, stated


def _added_sections(api: ApiModel) -> list[str]:
    resource = api.resources[0]
    have = {f"The {resource.model.name.lower()} model", "Webhooks"}
    have |= {op.summary for op in resource.operations}
    return [t for t in api.requirement_sections(resource.name) if t not in have]


def _in_page_order(api: ApiModel) -> list[Requirement]:
    resource = api.resources[0]
    sections = [f"The {resource.model.name.lower()} model"]
    sections += [op.summary for op in resource.operations]
    sections += [*_added_sections(api), "Webhooks"]
    return [r for title in sections for r in api.requirements_on(resource.name, title)]


def test_the_fixture_catalogue_puts_requirements_on_the_resource_page(
    catalogue_api: ApiModel,
) -> None:
    """Guards the comparison above: the fixture has requirements in a seed section and in one
    the page adds, so both placements are compared."""
    assert _added_sections(catalogue_api)
    assert len(_in_page_order(catalogue_api)) > len(
        catalogue_api.requirements_on(
            catalogue_api.resources[0].name, _added_sections(catalogue_api)[0]
        )
    )


# The seed page predates webhooks, which the conventions define and the spec's `webhooks`
# states: the page adds their section last, whole (its content is checked against the spec by
# the MDX render test and the generated-docs tests).
_WEBHOOKS_HEADING = "## Webhooks"


def _webhooks_section(page: str, api: ApiModel) -> list[Item]:
    if not api.webhooks:
        assert _WEBHOOKS_HEADING not in page
        return []
    before, heading, after = page.partition("\n" + _WEBHOOKS_HEADING + "\n")
    assert heading, "the spec has webhooks but the page no Webhooks section"
    separator = before.rstrip().rsplit("\n", 1)[-1]
    assert separator == "---", "the Webhooks section starts after a rule, like every section"
    return _items("---\n\n" + _WEBHOOKS_HEADING + "\n" + after)


def test_the_abbreviated_list_item_is_shown_whole(docs: dict[str, str]) -> None:
    """The seed elides the second conversation (`// ...`); the page prints the spec's example
    whole, so the block is valid JSON a reader can copy, and the comparison above checks that
    what the seed does show (its id) is what the page shows first."""
    page = _items(docs["docs/conversations.mdx"])
    listing = next(item[2] for item in page if item[0] == "json" and "has_more" in item[2])
    second = listing["data"][1]
    assert second["id"] == "hSIhXBhNe8X1d8Et" and len(second) == 10
    assert _ELLIPSIS not in docs["docs/conversations.mdx"]


def test_the_page_is_indented_as_the_published_page_was(docs: dict[str, str]) -> None:
    """The seed lost its indentation in the copy; the page indents JSX children and column text."""
    lines = docs["docs/conversations.mdx"].splitlines()
    assert '  <Property name="id" type="string">' in lines
    assert "    Unique identifier for the conversation." in lines
    assert "  <Col sticky>" in lines
    inside_col = False
    for line in lines:
        if line.strip() in ("<Col>", "<Col sticky>"):
            inside_col = True
        elif line.strip() == "</Col>":
            inside_col = False
        elif inside_col and line:
            assert line.startswith("    "), f"not indented inside <Col>: {line!r}"
    assert '      "has_more": false,' in lines  # the JSON keeps its own indentation too
