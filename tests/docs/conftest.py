"""Fixtures for the docs tests: the bundled spec's model and docs, and a headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from protocol_kit.generator import ApiModel, load_model
from protocol_kit.generator.render import render_all
from protocol_kit.generator.targets import DOCS
from tests.support.paths import REPO
from tests.support.specs import write_spec

from .catalogue import with_requirements

# Screenshots land here for a person to look at; the folder is git-ignored.
ARTIFACTS = REPO / "test-artifacts" / "docs"
# Debian's chromium; Playwright drives it, so no browser is downloaded.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def api() -> ApiModel:
    return load_model()


@pytest.fixture(scope="session")
def docs(api: ApiModel) -> dict[str, str]:
    """The docs target rendered from the bundled spec, keyed by path (``docs/conversations.mdx``)."""
    return render_all(api, (DOCS,))


@pytest.fixture(scope="session")
def catalogue_api(tmp_path_factory: pytest.TempPathFactory) -> ApiModel:
    """The model of the bundled spec with a handful of requirements (tests/docs/catalogue.py)."""
    folder = tmp_path_factory.mktemp("catalogue")
    return load_model(write_spec(with_requirements(), folder, "conversations.yaml"))


@pytest.fixture(scope="session")
def catalogue_docs(catalogue_api: ApiModel) -> dict[str, str]:
    """The docs target rendered from that spec."""
    return render_all(catalogue_api, (DOCS,))


@pytest.fixture(params=["bundled", "catalogue"])
def rendered(request: pytest.FixtureRequest) -> tuple[ApiModel, dict[str, str]]:
    """(model, docs) of the bundled spec, then of the spec with the fixture catalogue."""
    if request.param == "bundled":
        return request.getfixturevalue("api"), request.getfixturevalue("docs")
    return request.getfixturevalue("catalogue_api"), request.getfixturevalue("catalogue_docs")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per module; skips where Chromium or Playwright is missing.

    Module scope, not session: Playwright's sync API keeps an asyncio loop running in this
    thread while it is open, which would break later tests that call ``asyncio.run``.
    """
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="the playwright package is not installed (pip install -e '.[test]')",
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Loaded:
    """A page opened from file://, with the console errors and requests seen while it ran."""

    def __init__(self, browser: Any, path: Path, **options: Any) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.resolve().as_uri())

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(path, **context_options)`` → Loaded; every page is closed after the test."""
    opened: list[Loaded] = []

    def _open(path: Path, **options: Any) -> Loaded:
        options.setdefault("viewport", {"width": 1440, "height": 900})
        loaded = Loaded(browser, path, **options)
        opened.append(loaded)
        return loaded

    yield _open
    for loaded in opened:
        loaded.close()


@pytest.fixture(scope="session")
def html_file(docs: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML reference rendered from the bundled spec, as a file to open from file://."""
    path = tmp_path_factory.mktemp("docs") / "index.html"
    path.write_text(docs["docs/index.html"], encoding="utf-8")
    return path


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot as a test artifact (test-artifacts/docs/NAME.png) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
