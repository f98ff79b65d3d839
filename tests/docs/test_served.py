"""/docs on a running `protocol-kit serve`, in headless Chromium: search, try-it, copy; CORS from another origin."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from protocol_kit.generator import ApiModel
from protocol_kit.generator.reference import search_index
from protocol_kit.generator.snippets import code_samples
from protocol_kit.server.runner import free_port

from .conftest import screenshot

TOKEN = "docs-try-it-token"
LAPTOP = {"width": 1440, "height": 900}
# A page on another origin whose script calls the API named in its query string, as a docs
# site hosted elsewhere would; it writes what happened into the page for the test to read.
PROBE = """<!doctype html><meta charset="utf-8"><title>probe</title><pre id="out">…</pre><script>
var api = new URLSearchParams(location.search).get("api");
fetch(api + "/v1/conversations", { headers: { Authorization: "Bearer TOKEN" } })
  .then(function (r) { return r.json().then(function (b) { out.textContent = "ok " + r.status + " " + b.data.length; }); })
  .catch(function (e) { out.textContent = "refused " + e.message; });
</script>""".replace("TOKEN", TOKEN)


class _Probe(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PROBE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test reads the page, not the log


@pytest.fixture(scope="module")
def other_origin() -> Iterator[str]:
    """A second loopback HTTP server: another origin than the API's (another port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _serve(tmp: Path, *options: str) -> Iterator[str]:
    port = free_port()
    log = (tmp / f"serve-{port}.log").open("w")
    command = [sys.executable, "-m", "protocol_kit", "serve", "--port", str(port)]
    command += ["--db", str(tmp / f"{port}.db"), "--token", TOKEN, *options]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp / f"serve-{port}.log").read_text()
            assert time.monotonic() < deadline, "protocol-kit serve did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def server(other_origin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`protocol-kit serve --cors-origin <the other origin>`."""
    yield from _serve(tmp_path_factory.mktemp("served"), "--cors-origin", other_origin)


@pytest.fixture(scope="module")
def closed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`protocol-kit serve` without --cors-origin."""
    yield from _serve(tmp_path_factory.mktemp("closed"))


@pytest.fixture
def context(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport=LAPTOP, color_scheme="light")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    yield context
    context.close()


def _result(page: Any, operation_id: str) -> Any:
    return page.locator(f"article#{operation_id} [data-result]")


def _send(page: Any, operation_id: str, status: str) -> Any:
    article = page.locator(f"article#{operation_id}")
    if article.locator("[data-tryit]").get_attribute("open") is None:
        article.locator("[data-tryit] > summary").click()
    article.locator("[data-tryit] button[type=submit]").click()
    result = _result(page, operation_id)
    result.locator("[data-status]", has_text=re.compile(r"^\d{3}$")).wait_for()
    assert result.locator("[data-status]").inner_text() == status, result.inner_text()
    return json.loads(result.locator("[data-response-body]").inner_text())


def test_search_try_it_and_copy_on_the_served_docs(
    context: Any, server: str, api: ApiModel
) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/docs")
    assert page.locator(".facts code").first.inner_text() == server
    screenshot(page, "served-1-docs")

    # Search: "/" focuses the box, typing finds, Enter follows the first hit.
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("archived")
    hits = page.locator("#search-results [role=option]")
    expected = [e for e in search_index(api) if "archived" in e["title"]]
    first = next(e for e in expected if e["title"] == "archived")
    assert hits.first.locator(".hit-title").inner_text() == "archived"
    assert hits.count() >= len(expected)
    screenshot(page, "served-2-search")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == f"#{first['anchor']}"
    row = page.locator(f"tr#{first['anchor']}")
    assert row.is_visible() and row.locator("code.name").inner_text() == "archived"
    assert page.locator("#search-results").is_hidden()
    screenshot(page, "served-3-search-result")

    # Try it: the token goes into the form, and from there into this tab's storage only.
    create = page.locator("article#createConversation")
    create.locator("[data-tryit] > summary").click()
    create.locator("[data-token]").fill(TOKEN)
    created = _send(page, "createConversation", "201")
    assert re.fullmatch(r"[A-Za-z0-9]{16}", created["id"])
    assert created["contact_id"] == "WAz8eIbvDR60rouK"
    result = _result(page, "createConversation")
    assert "content-type: application/json" in result.locator("[data-headers]").inner_text()
    curl = result.locator("[data-curl]").inner_text()
    assert curl.startswith(f"curl -X POST '{server}/v1/conversations'") and TOKEN not in curl
    screenshot(page, "served-4-created")
    assert page.evaluate("sessionStorage.getItem('protocol-docs-token')") == TOKEN
    assert TOKEN not in page.evaluate("JSON.stringify(localStorage) + location.href")

    # The other forms have the token already; listing shows the new conversation.
    list_form = page.locator("article#listConversations")
    assert list_form.locator("[data-token]").input_value() == TOKEN
    listed = _send(page, "listConversations", "200")
    assert created["id"] in [c["id"] for c in listed["data"]]
    screenshot(page, "served-5-listed")

    # The body may go form-encoded: the update mutes the new conversation.
    update = page.locator("article#updateConversation")
    update.locator("[data-tryit] > summary").click()
    update.locator('[data-in="path"][data-name="id"]').fill(created["id"])
    update.locator("[data-encoding]").select_option("application/x-www-form-urlencoded")
    update.locator("[data-body]").fill('{"is_muted": true}')
    updated = _send(page, "updateConversation", "200")
    assert updated["id"] == created["id"] and updated["is_muted"] is True
    assert "--data-urlencode 'is_muted=true'" in _result(page, "updateConversation").inner_text()
    screenshot(page, "served-5b-updated-form")

    # Copy: the cURL sample of the code group, read back from the clipboard.
    group = create.locator("[data-codegroup]")
    group.locator('[role="tab"]', has_text="cURL").click()
    group.locator("[data-copy-group]").click()
    served = dataclasses.replace(api, base_url=server)
    resource = api.resources[0]
    operation = next(op for op in resource.operations if op.operation_id == "createConversation")
    sample = next(s for s in code_samples(served, resource, operation) if s.title == "cURL")
    page.wait_for_function(
        "() => document.querySelector('#createConversation [data-copy-group]').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == sample.code
    screenshot(page, "served-6-copied")
    assert errors == []


def test_another_origin_is_refused_unless_given_with_cors_origin(
    browser: Any, server: str, closed_server: str, other_origin: str
) -> None:
    context = browser.new_context(viewport=LAPTOP)
    try:
        page = context.new_page()
        outcomes = {}
        for name, api_url in (("closed", closed_server), ("allowed", server)):
            page.goto(f"{other_origin}/probe.html?api={api_url}")
            page.wait_for_function("() => document.getElementById('out').textContent !== '…'")
            outcomes[name] = page.locator("#out").inner_text()
            screenshot(page, f"served-7-cors-{name}")
        assert outcomes["closed"].startswith("refused"), outcomes
        assert re.fullmatch(r"ok 200 \d+", outcomes["allowed"]), outcomes
    finally:
        context.close()


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/conversations", "GET, POST"),
        ("/v1/conversations/xgQQXg3hrtjh7AvZ", "GET, PUT, DELETE"),
    ],
)
def test_a_preflight_advertises_only_the_methods_of_its_path(
    server: str, other_origin: str, path: str, methods: str
) -> None:
    allowed = methods.split(", ")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        preflight = httpx.options(
            f"{server}{path}",
            headers={"Origin": other_origin, "Access-Control-Request-Method": method},
        )
        assert preflight.headers.get("access-control-allow-methods") == methods
        assert preflight.status_code == (200 if method in allowed else 400), method
    unknown = httpx.options(
        f"{server}/v1/nothing",
        headers={"Origin": other_origin, "Access-Control-Request-Method": "GET"},
    )
    assert unknown.status_code == 400 and "access-control-allow-methods" not in unknown.headers


def test_the_served_docs_load_with_no_failed_request(context: Any, server: str) -> None:
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{server}/docs", wait_until="networkidle")
    assert failed == []
    assert page.evaluate("document.querySelector('link[rel=icon]').href").startswith("data:")
