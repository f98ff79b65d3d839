"""The HTML report in headless Chromium: verdict and failure index first, failures expanded,
passes folded, nothing wider than the window, the file small (screenshots in test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.outcome import Options, Outcome
from protocol_kit.conformance.reports import html
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.runner import run
from protocol_kit.conformance.verdicts import FAILED
from tests.docs.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.fake_server import TOKENS, FakeServer

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "verify"
# One deviation in several groups, long lists and objects among them.
# Five independent deviations (a filter fault beside the order fault would be blocked by it).
FAULTS = {
    "no-www-authenticate",
    "update-returns-old",
    "extra-field",
    "no-allow-header",
    "oldest-first",
}
MAX_BYTES = 400_000


@pytest.fixture(scope="module")
def outcome(fake_server: FakeServer, contract: Contract) -> Outcome:
    fake_server.reset(FAULTS)
    options = Options(
        fake_server.url, TOKENS[0], TOKENS[1], seed=3, groups=[g.name for g in GROUPS]
    )
    return run(contract, options, lambda *event: None)


@pytest.fixture(scope="module")
def report(outcome: Outcome, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    html.write(path, outcome, show_secrets=False)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser: Any, report: Path, width: int, name: str) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(report.resolve().as_uri())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    assert errors == []
    return page


def test_verdict_and_failure_index_come_first(browser: Any, report: Path, outcome: Outcome) -> None:
    page = _open(browser, report, 1280, "report")
    failed = [r.rule.id for r in outcome.results if r.status == FAILED]
    assert len(failed) >= 5
    order = page.eval_on_selector_all(
        "body > *", "nodes => nodes.map(n => n.id || n.className || n.tagName)"
    )
    assert order[:4] == ["H1", "verdict failed", "index", "TABLE"]
    assert page.inner_text(".verdict").startswith(f"NOT CONFORMANT: {len(failed)} rules failed")
    links = page.locator("#index a")
    assert links.count() == len(failed)
    assert sorted(links.all_inner_texts()) == sorted(failed)
    # Each link leads to its failure, which is expanded: message, expected and actual visible.
    links.nth(len(failed) - 1).click()
    target = page.locator(
        f"section.rule:has(h3:text-is('{links.nth(len(failed) - 1).inner_text()}'))"
    )
    assert target.is_visible() and target.locator(".finding pre").first.is_visible()
    assert target.bounding_box()["y"] < 900  # scrolled into the window


def test_passes_are_folded_and_failures_expanded(browser: Any, report: Path) -> None:
    page = _open(browser, report, 1280, "report-folded")
    assert page.locator("#passed + details").get_attribute("open") is None
    assert not page.locator("#passed + details table").is_visible()
    assert all(page.locator("section.rule").nth(n).is_visible() for n in range(3))
    page.locator("#passed + details summary").click()
    assert page.locator("#passed + details table").is_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_long_lines_wrap_inside_the_window(browser: Any, report: Path, width: int) -> None:
    page = _open(browser, report, width, f"report-{width}")
    page.locator("details summary").evaluate_all("nodes => nodes.forEach(n => n.click())")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a {width}px window"


def test_the_file_stays_small(report: Path) -> None:
    assert report.stat().st_size < MAX_BYTES
