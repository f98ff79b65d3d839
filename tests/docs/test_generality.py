"""A second resource in a spec gets its own pages and its place in the HTML navigation, unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import ApiModel, load_model
from protocol_kit.cli import main

from .conftest import FIXTURES

SPEC = FIXTURES / "two_resources.yaml"


@pytest.fixture(scope="module")
def two() -> ApiModel:
    return load_model(SPEC)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`protocol-kit generate --spec <fixture>`: the command as users run it, into a fresh folder."""
    root = tmp_path_factory.mktemp("two-resources")
    assert main(["generate", "--spec", str(SPEC), "--out", str(root)]) == 0
    return root


def test_each_resource_gets_an_mdx_and_a_markdown_page(two: ApiModel, out: Path) -> None:
    assert sorted(p.name for p in (out / "docs").iterdir()) == [
        "contacts.md", "contacts.mdx", "conversations.md", "conversations.mdx", "index.html",
    ]
    assert [r.name for r in two.resources] == ["conversations", "contacts"]
    for resource in two.resources:
        mdx = (out / "docs" / f"{resource.name}.mdx").read_text(encoding="utf-8")
        md = (out / "docs" / f"{resource.name}.md").read_text(encoding="utf-8")
        assert f"\n# {resource.tag}\n" in mdx and f"\n# {resource.tag}\n" in md
        for op in resource.operations:
            label = op.path.replace("{", ":").replace("}", "")
            assert f"## {op.summary} {{{{ tag: '{op.method}', label: '{label}' }}}}" in mdx
            assert f"`{op.method} {op.path}`" in md
        for other in two.resources:
            if other is not resource:
                assert all(op.summary not in mdx for op in other.operations)


def test_the_contacts_page_has_its_model_and_attributes(out: Path) -> None:
    mdx = (out / "docs" / "contacts.mdx").read_text(encoding="utf-8")
    assert "## The contact model" in mdx
    assert '  <Property name="phone_number" type="string">' in mdx
    create = mdx[mdx.index("## Create a contact"):mdx.index("## Retrieve a contact")]
    required = create[create.index("### Required attributes"):create.index("### Optional attributes")]
    assert 'name="username"' in required and 'name="phone_number"' in required
    assert 'name="display_name"' in create[create.index("### Optional attributes"):]
    assert "client.contacts.create(" in create and '"id": "WAz8eIbvDR60rouK"' in create


def test_the_html_navigation_lists_both_resources(
    open_page: Any, out: Path, two: ApiModel
) -> None:
    loaded = open_page(out / "docs" / "index.html")
    page = loaded.page
    groups = page.locator("nav ul[data-resource]")
    assert groups.evaluate_all("uls => uls.map(ul => ul.dataset.resource)") == [
        r.name for r in two.resources
    ]
    for resource in two.resources:
        links = page.locator(f'nav ul[data-resource="{resource.name}"] a[data-operation]')
        assert links.evaluate_all("as => as.map(a => a.dataset.operation)") == [
            op.operation_id for op in resource.operations
        ]
    page.locator('nav a[href="#createContact"]').click()
    assert page.locator("article#createContact h2").is_visible()
    assert page.locator("#the-contact-model tbody tr").count() == 5
    assert loaded.errors == []
