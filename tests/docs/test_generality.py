"""A second resource in a spec gets its own pages and its place in the HTML navigation, unchanged."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from protocol_kit.cli import main
from protocol_kit.generator import ApiModel, load_model
from protocol_kit.generator.guides import GUIDES
from tests.support.paths import REPO
from tests.support.specs import with_contacts, write_spec

_KINDS = ("created", "updated", "deleted")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled spec plus the generator tests' trimmed Contacts resource, under the bundled
    spec's file name, so that the pages name the same source as the committed ones."""
    return write_spec(with_contacts(), tmp_path_factory.mktemp("spec"), "conversations.yaml")


@pytest.fixture(scope="module")
def two(spec: Path) -> ApiModel:
    return load_model(spec)


@pytest.fixture(scope="module")
def out(spec: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`protocol-kit generate --spec <spec>`: the command as users run it, into a fresh folder."""
    root = tmp_path_factory.mktemp("two-resources")
    assert main(["generate", "--spec", str(spec), "--out", str(root)]) == 0
    return root


def test_each_resource_gets_an_mdx_and_a_markdown_page(two: ApiModel, out: Path) -> None:
    pages = ["changelog", "contacts", "conversations", *(guide.slug for guide in GUIDES)]
    assert sorted(p.name for p in (out / "docs").iterdir()) == sorted(
        [*(f"{page}.{kind}" for page in pages for kind in ("md", "mdx")), "index.html", "llms.txt"]
    )
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


def test_the_new_resource_leaves_the_existing_pages_alone(out: Path) -> None:
    for name in ("conversations.mdx", "conversations.md"):
        assert (out / "docs" / name).read_bytes() == (REPO / "docs" / name).read_bytes()


def test_the_contacts_page_has_its_model_and_attributes(two: ApiModel, out: Path) -> None:
    mdx = (out / "docs" / "contacts.mdx").read_text(encoding="utf-8")
    assert "## The contact model" in mdx
    model = mdx[mdx.index("## The contact model") : mdx.index("## List all contacts")]
    assert model.count('\n  <Property name="') == len(two.resources[1].model.properties) == 7
    assert '  <Property name="last_active_at" type="timestamp">' in mdx
    create = mdx[mdx.index("## Create a contact") : mdx.index("## Retrieve a contact")]
    assert "### Optional attributes" not in create
    required = create[create.index("### Required attributes") :]
    assert 'name="username"' in required and 'name="phone_number"' in required
    assert "client.contacts.create(" in create and "-d 'username'=\"FrankMcCallister\"" in create
    delete = mdx[mdx.index("## Delete a contact") :]
    assert "label: '/v1/contacts/:id'" in delete and "```json" not in delete


def test_the_contacts_page_documents_its_webhooks_from_the_spec(out: Path) -> None:
    mdx = (out / "docs" / "contacts.mdx").read_text(encoding="utf-8")
    hooks = mdx[mdx.index("\n## Webhooks\n") :]
    events = re.findall(r'<Property name="([a-z.]+)" type="([A-Za-z]+)">', hooks)
    assert events == [(f"contact.{kind}", "Contact") for kind in ("created", "updated", "deleted")]
    # The section's prose is the description of the contact webhooks' tag, not the template's.
    assert "Each change to one of your contacts is sent as an event" in hooks
    assert "**Delivery.** Any 2xx answer acknowledges a contact event" in hooks
    assert "Sent once for each contact deleted" in hooks
    assert "conversation" not in hooks.lower()
    assert "client.webhooks.unwrap(" in hooks and "Webhook::unwrap(" in hooks


def test_the_html_navigation_lists_both_resources(open_page: Any, out: Path, two: ApiModel) -> None:
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
    assert page.locator("#the-contact-model tbody tr").count() == 7
    webhooks = page.locator("section#webhooks")
    assert webhooks.locator("article[data-event]").evaluate_all(
        "items => items.map(a => a.dataset.event)"
    ) == [f"{name}.{kind}" for name in ("conversation", "contact") for kind in _KINDS]
    assert "Each change to one of your contacts" in webhooks.locator("header").inner_text()
    created = webhooks.locator("article#webhook-contact-created")
    # The event body table: the event schema's fields and their descriptions, from the spec.
    assert created.locator("tbody tr code.name").all_inner_texts() == ["id", "type", "payload"]
    payload = created.locator("tr#webhook-contact-created-payload")
    assert payload.locator('a[href="#the-contact-model"]').inner_text() == "Contact"
    assert "The contact as the create request was answered." in payload.inner_text()
    assert "repeated on each retry" in created.locator("tr#webhook-contact-created-id").inner_text()
    assert loaded.errors == []
