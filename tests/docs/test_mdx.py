"""The MDX pages compile with @mdx-js/mdx and render on Node; headings, properties and samples match the spec."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from protocol_kit.cli import main
from protocol_kit.generator import ApiModel, load_model
from protocol_kit.generator.guides import GUIDES
from protocol_kit.generator.model import Resource
from protocol_kit.generator.snippets import code_samples
from tests.support.specs import with_contacts, write_spec

from .conftest import REPO

MDX = Path(__file__).resolve().parent / "mdx"


class _Page(HTMLParser):
    """The rendered page's headings, property lists and code blocks, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, dict[str, str | None], str]] = []
        self.blocks: list[
            tuple[str, Any]
        ] = []  # ("properties", [names]) or ("code", (lang, attrs, text))
        self._heading: tuple[str, dict[str, str | None]] | None = None
        self._code: tuple[str, dict[str, str | None]] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("h1", "h2", "h3"):
            self._heading, self._text = (tag, found), ""
        elif tag == "ul" and found.get("class") == "properties":
            self.blocks.append(("properties", []))
        elif tag == "li" and found.get("class") == "property":
            self.blocks[-1][1].append(found["data-name"])
        elif tag == "code" and (found.get("class") or "").startswith("language-"):
            self._code, self._text = (str(found["class"])[len("language-") :], found), ""

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == self._heading[0]:
            self.headings.append((tag, self._heading[1], self._text.strip()))
            self._heading = None
        elif self._code and tag == "code":
            self.blocks.append(("code", (self._code[0], self._code[1], self._text)))
            self._code = None

    def handle_data(self, data: str) -> None:
        self._text += data


def _render(*pages: Path) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node (scripts/setup.sh installs it)")
    if not (MDX / "node_modules" / "@mdx-js" / "mdx").is_dir():
        pytest.skip("tests/docs/mdx has no node_modules: run scripts/setup.sh (npm ci)")
    done = subprocess.run(
        [node, str(MDX / "render.mjs"), *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=MDX,
    )
    assert done.returncode == 0, f"the MDX did not compile:\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    return {Path(name).name: value for name, value in result.items()}


def _check(page: dict[str, Any], api: ApiModel, resource: Resource) -> None:
    assert page["metadata"]["title"] == resource.tag
    parsed = _Page()
    parsed.feed(page["html"])
    model_heading = f"The {resource.model.name.lower()} model"
    hooks = [w for w in api.webhooks if w.payload.name == resource.model.name]
    shown = {model_heading, "Webhooks", *(op.summary for op in resource.operations)}
    added = [t for t in api.requirement_sections(resource.name) if t not in shown]
    assert [(tag, text) for tag, _, text in parsed.headings if tag != "h3"] == [
        ("h1", resource.tag),
        ("h2", model_heading),
        *[("h2", op.summary) for op in resource.operations],
        *[("h2", title) for title in added],  # sections of requirements the seed has no heading for
        *([("h2", "Webhooks")] if hooks else []),
    ]
    annotated = {text: attrs for tag, attrs, text in parsed.headings if tag == "h2"}
    for op in resource.operations:
        label = op.path.replace("{", ":").replace("}", "")
        assert annotated[op.summary] == {"data-tag": op.method, "data-label": label}
    properties = [names for kind, names in parsed.blocks if kind == "properties"]
    expected_properties = [[p.name for p in resource.model.properties]]
    for op in resource.operations:
        for group in (op.required_attributes, op.optional_attributes):
            if group:
                expected_properties.append([a.name for a in group])
    if hooks:
        expected_properties.append([w.event_type for w in hooks])
    assert properties == expected_properties
    codes = [block for kind, block in parsed.blocks if kind == "code"]
    expected_codes: list[tuple[str, str]] = []
    for op in resource.operations:
        expected_codes += [(s.language, s.code) for s in code_samples(api, resource, op)]
        if op.success.examples:
            expected_codes.append(("json", op.success.examples[0].json_text))
    rendered = [(lang, text.rstrip("\n")) for lang, _, text in codes]
    assert rendered[: len(expected_codes)] == expected_codes
    verifying = rendered[len(expected_codes) :]
    if hooks:
        # One verification snippet per client language, each unwrapping with the client, then
        # the first event's example.
        example = hooks[0].example
        snippets = verifying[:-1] if example else verifying
        assert sorted(lang for lang, _ in snippets) == ["js", "php", "python"]
        assert all("unwrap" in code for _, code in snippets), snippets
        if example:
            assert verifying[-1] == ("json", example.json_text)
    else:
        assert verifying == []
    curl_titles = {attrs.get("data-title") for lang, attrs, _ in codes if lang == "bash"}
    assert curl_titles == {"cURL"}


def test_the_conversations_page_compiles_and_renders_what_the_spec_says(api: ApiModel) -> None:
    page = _render(REPO / "docs" / "conversations.mdx")["conversations.mdx"]
    _check(page, api, api.resources[0])


def test_the_contacts_fixture_page_compiles_too(tmp_path: Path) -> None:
    spec = write_spec(with_contacts(), tmp_path, "conversations.yaml")
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "out")]) == 0
    two = load_model(spec)
    pages = _render(*(tmp_path / "out" / "docs" / f"{r.name}.mdx" for r in two.resources))
    for resource in two.resources:
        _check(pages[f"{resource.name}.mdx"], two, resource)


def test_the_guide_pages_compile_and_render_with_their_requirements(
    tmp_path: Path, catalogue_api: ApiModel, catalogue_docs: dict[str, str]
) -> None:
    """Each guide page of the committed docs, and of a spec with requirements, compiles; each
    requirement renders at its anchor with its level, id and statement."""
    committed = [REPO / "docs" / f"{guide.slug}.mdx" for guide in GUIDES]
    written = []
    for guide in GUIDES:
        path = tmp_path / f"{guide.slug}.mdx"
        path.write_text(catalogue_docs[f"docs/{guide.slug}.mdx"], encoding="utf-8")
        written.append(path)
    resource = tmp_path / "conversations.mdx"
    resource.write_text(catalogue_docs["docs/conversations.mdx"], encoding="utf-8")
    pages = _render(*committed)
    for guide in GUIDES:
        page = pages[f"{guide.slug}.mdx"]
        assert page["metadata"] == {"title": guide.title, "description": guide.summary}
        parsed = _Page()
        parsed.feed(page["html"])
        assert parsed.headings[0][0::2] == ("h1", guide.title)
        assert [tag for tag, _, _ in parsed.headings[1:]] == ["h2"] * (len(parsed.headings) - 1)
    # Notes, as the docs site's guides have them, render through its Note component.
    notes = [slug for slug, page in pages.items() if '<aside class="note">' in page["html"]]
    assert {"quickstart.mdx", "authentication.mdx", "pagination.mdx"} <= set(notes)
    with_requirements = _render(*written, resource)
    for r in catalogue_api.requirements:
        html = with_requirements[f"{r.page}.mdx"]["html"]
        found = re.search(
            f'<a id="{r.anchor}"></a><strong>{r.level}</strong> · <code>{r.id}</code> · ([^\\n]*?)</p>',
            html,
        )
        assert found, f"{r.id}: not rendered at its anchor"
        assert unescape(re.sub(r"</?code>", "`", found.group(1))).startswith(r.statement)
    _check(with_requirements["conversations.mdx"], catalogue_api, catalogue_api.resources[0])
