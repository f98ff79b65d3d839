"""docs/index.html in a real headless Chromium: loads cleanly from file://, complete, tabs, themes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from protocol_kit.generator import ApiModel
from protocol_kit.generator.snippets import code_samples

from .conftest import screenshot

LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _background(page: Any) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_the_page_loads_from_file_with_no_errors_and_no_network(
    open_page: Any, html_file: Path
) -> None:
    loaded = open_page(html_file, viewport=LAPTOP, color_scheme="light")
    page = loaded.page
    page.goto(html_file.resolve().as_uri() + "#createConversation")
    assert page.title() == "Protocol Conversations API 1.0.0 reference"
    assert loaded.errors == []
    # Self-contained: nothing but the file itself is fetched (no CDN, no fonts, no images).
    assert {url.split("#")[0] for url in loaded.requests} == {html_file.resolve().as_uri()}
    shot = screenshot(page, "index-laptop")
    assert shot.stat().st_size > 10_000


def test_every_operation_appears_with_its_tables_and_responses(
    open_page: Any, html_file: Path, api: ApiModel
) -> None:
    page = open_page(html_file, viewport=LAPTOP).page
    for resource in api.resources:
        nav = page.locator(f'nav ul[data-resource="{resource.name}"]')
        model_link = nav.locator("a").first
        assert model_link.inner_text() == f"The {resource.model.name.lower()} model"
        assert page.locator(model_link.get_attribute("href") + " tbody tr").count() == len(
            resource.model.properties
        )
        for op in resource.operations:
            link = nav.locator(f'a[href="#{op.operation_id}"]')
            assert link.inner_text().split() == [op.method, *op.summary.split()]
            article = page.locator(f"article#{op.operation_id}")
            assert article.locator("h2").inner_text() == op.summary
            assert article.locator(".endpoint").inner_text().split() == [op.method, op.path]
            names = article.locator(".op-text td:first-child code.name").all_inner_texts()
            assert names == [p.name for p in op.parameters] + [a.name for a in op.body_attributes]
            statuses = article.locator(".responses > li").evaluate_all(
                "items => items.map(li => li.dataset.status)"
            )
            assert statuses == [r.status for r in op.responses]
            link.click()
            assert article.locator("h2").is_visible()
            assert page.evaluate("location.hash") == f"#{op.operation_id}"


def test_descriptions_render_their_inline_markdown(open_page: Any, html_file: Path) -> None:
    page = open_page(html_file, viewport=LAPTOP).page
    retrieve = page.locator("article#getConversation .op-text > p.md")
    link = retrieve.locator("a")
    assert (
        link.inner_text() == "the list" and link.get_attribute("href") == "#the-conversation-model"
    )
    assert page.locator("#the-conversation-model h2").inner_text() == "The conversation model"
    muted = page.locator("article#listConversations td.md").nth(1)
    assert muted.locator("code").inner_text() == "true"
    # Every Markdown text is drawn (code blocks, like the error examples, keep their backticks).
    assert "`" not in " ".join(page.locator("main .md").all_inner_texts())


def test_tabs_switch_the_language_of_every_code_group(
    open_page: Any, html_file: Path, api: ApiModel
) -> None:
    page = open_page(html_file, viewport=LAPTOP).page
    resource = api.resources[0]
    first, second = resource.operations[0], resource.operations[1]
    group = page.locator(f"article#{first.operation_id} [data-codegroup]")
    other = page.locator(f"article#{second.operation_id} [data-codegroup]")
    tabs = group.locator('[role="tab"]')
    assert tabs.all_inner_texts() == [s.title for s in code_samples(api, resource, first)]

    for sample in code_samples(api, resource, first):
        group.locator('[role="tab"]', has_text=sample.title).click()
        visible = group.locator('[role="tabpanel"]:not([hidden])')
        assert visible.count() == 1
        assert visible.inner_text() == sample.code
        assert group.locator('[aria-selected="true"]').inner_text() == sample.title
        # The choice holds for the other groups, as on the seed site.
        assert other.locator('[role="tabpanel"]:not([hidden])').get_attribute("data-lang") == (
            sample.language
        )

    group.locator('[role="tab"]', has_text="Python").focus()
    page.keyboard.press("ArrowRight")
    assert group.locator('[aria-selected="true"]').inner_text() == "PHP"


def test_light_and_dark_themes_follow_the_system_and_the_toggle(
    open_page: Any, html_file: Path
) -> None:
    light = open_page(html_file, viewport=LAPTOP, color_scheme="light").page
    assert _background(light) == "rgb(255, 255, 255)"
    light.locator("#theme-toggle").click()
    dark_background = _background(light)
    assert dark_background != "rgb(255, 255, 255)"
    assert light.locator("#theme-toggle").get_attribute("aria-pressed") == "true"
    light.reload()
    assert _background(light) == dark_background, "the chosen theme is kept across loads"

    dark = open_page(html_file, viewport=LAPTOP, color_scheme="dark")
    dark.page.goto(html_file.resolve().as_uri() + "#listConversations")
    assert _background(dark.page) == dark_background
    assert dark.errors == []
    screenshot(dark.page, "index-laptop-dark")


def test_the_page_reads_on_a_phone(open_page: Any, html_file: Path) -> None:
    loaded = open_page(
        html_file,
        viewport=PHONE,
        color_scheme="light",
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = loaded.page
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    nav = page.locator("nav#nav")
    assert not nav.is_visible()
    page.locator("#menu-toggle").click()
    assert nav.is_visible()
    nav.locator('a[href="#updateConversation"]').click()
    assert not nav.is_visible()
    assert page.locator("article#updateConversation h2").is_visible()
    assert loaded.errors == []
    screenshot(page, "index-phone")
    page.locator("article#updateConversation [data-tryit] > summary").click()
    page.locator(
        "article#updateConversation [data-tryit] button[type=submit]"
    ).scroll_into_view_if_needed()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the open try-it form scrolls sideways by {overflow}px on a phone"
    screenshot(page, "index-phone-tryit")


def test_search_is_keyboard_first_from_file(open_page: Any, html_file: Path) -> None:
    loaded = open_page(html_file, viewport=LAPTOP)
    page = loaded.page
    page.keyboard.press("/")
    page.keyboard.type("not found")
    hits = page.locator("#search-results [role=option]")
    assert hits.first.locator(".hit-title").inner_text() == "NotFoundError"
    page.keyboard.type("zzz")
    assert hits.count() == 0
    assert page.locator("#search-results .empty").is_visible()
    page.fill("#search", "contact_id")
    titles = hits.locator(".hit-title").all_inner_texts()
    # Fields named contact_id first; then whatever else mentions it (requirements, say).
    named = len(titles) - titles[::-1].index("contact_id")
    assert named >= 2 and set(titles[:named]) == {"contact_id"}
    page.keyboard.press("ArrowDown")
    assert hits.nth(1).get_attribute("aria-selected") == "true"
    target = hits.nth(1).get_attribute("data-anchor")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == f"#{target}"
    assert page.locator(f'[id="{target}"]').is_visible()
    page.keyboard.press("/")
    page.keyboard.press("Escape")
    assert page.locator("#search").input_value() == ""
    assert loaded.errors == []


def test_copy_buttons_and_the_language_kept_across_visits(
    browser: Any, html_file: Path, api: ApiModel
) -> None:
    context = browser.new_context(viewport=LAPTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(html_file.resolve().as_uri())
        resource = api.resources[0]
        op = resource.operations[2]
        python = next(s for s in code_samples(api, resource, op) if s.title == "Python")
        group = page.locator(f"article#{op.operation_id} [data-codegroup]")
        group.locator('[role="tab"]', has_text="Python").click()
        group.locator("[data-copy-group]").click()
        assert page.evaluate("navigator.clipboard.readText()") == python.code
        example = page.locator(f"article#{op.operation_id} .response-example")
        example.locator(".copy").click()
        assert page.evaluate("navigator.clipboard.readText()") == op.success.examples[0].json_text
        # Every pre in the page has a copy button (code groups have one for their visible tab).
        assert page.evaluate(
            "[...document.querySelectorAll('main pre')].every(pre => pre.closest('[data-codegroup]') || pre.parentNode.querySelector(':scope > .copy'))"
        )
        page.reload()
        selected = page.locator('[data-codegroup] [aria-selected="true"]').all_inner_texts()
        assert set(selected) == {"Python"}, "the chosen language is kept across visits"
    finally:
        context.close()


def test_the_webhooks_section_shows_each_event_type_with_its_verification_snippets(
    open_page: Any, html_file: Path, api: ApiModel
) -> None:
    page = open_page(html_file, viewport=LAPTOP).page
    section = page.locator("section#webhooks")
    assert section.locator("header h2").inner_text() == "Webhooks"
    assert api.signature_header in section.locator("header").inner_text()
    events = section.locator("article[data-event]").evaluate_all(
        "items => items.map(a => a.dataset.event)"
    )
    assert events == [hook.event_type for hook in api.webhooks] and events
    for hook in api.webhooks:
        article = section.locator(f'article[data-event="{hook.event_type}"]')
        assert article.locator("h2").inner_text() == hook.event_type
        payload = article.locator(f'a[href="#the-{hook.payload.name.lower()}-model"]')
        assert payload.inner_text() == hook.payload.name
        group = article.locator("[data-codegroup]")
        assert group.locator('[role="tab"]').all_inner_texts() == ["JavaScript", "Python", "PHP"]
        for title, call in [
            ("JavaScript", "unwrap("),
            ("Python", "webhooks.unwrap("),
            ("PHP", "Webhook::unwrap("),
        ]:
            group.locator('[role="tab"]', has_text=title).click()
            assert call in group.locator('[role="tabpanel"]:not([hidden])').inner_text()
        nav = page.locator(f'nav a[data-event="{hook.event_type}"]')
        nav.click()
        assert page.evaluate("location.hash") == "#" + article.get_attribute("id")


# Every table cell that is wider inside than outside, and every table that scrolls sideways.
_CLIPPED = """() => {
  const clipped = [];
  const where = (el) => (el.closest("[id]") || {}).id;
  document.querySelectorAll("main .table").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) clipped.push(`table in #${where(box)} scrolls: ${box.scrollWidth} > ${box.clientWidth}`);
  });
  document.querySelectorAll("main td, main th").forEach((cell) => {
    if (cell.scrollWidth > cell.clientWidth + 1) clipped.push(`cell in #${where(cell)} clips: ${cell.textContent.trim().slice(0, 40)}`);
  });
  return clipped;
}"""


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("source", ["bundled", "catalogue"])
def test_no_column_is_clipped(
    open_page: Any,
    html_file: Path,
    catalogue_docs: dict[str, str],
    tmp_path: Path,
    width: int,
    source: str,
) -> None:
    """Long constraints and requirements wrap: no table scrolls and no cell hides its text."""
    path = html_file
    if source == "catalogue":
        path = tmp_path / "index.html"
        path.write_text(catalogue_docs["docs/index.html"], encoding="utf-8")
    page = open_page(path, viewport={"width": width, "height": 900}).page
    assert page.locator("main table").count() > 5
    assert page.evaluate(_CLIPPED) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    if source == "catalogue":
        assert page.locator("p.requirement").count() > 3
        screenshot(page, f"requirements-{width}")
