"""The generated Python client, `protocol_api`, against the reference server and a scripted one."""

from __future__ import annotations

import ast
import asyncio
import hashlib
import hmac
import itertools
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from protocol_api import (
    ApiClient,
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AsyncApiClient,
    AuthenticationError,
    BadRequestError,
    Conversation,
    InternalServerError,
    NotFoundError,
    Page,
    PayloadTooLargeError,
    RateLimitError,
    UnsupportedMediaTypeError,
    __version__,
    verify_signature,
)

from tests.support.paths import CLIENTS
from tests.support.scripted import CONVERSATION, Reply, ScriptedServer, error_body

from ..seed import check_seed_results, seed_operations
from .conftest import OTHER_TOKEN, TOKEN

GROUP = "8Kw2bQqN1mTz7XcV"
CONTACT = "WAz8eIbvDR60rouK"


def _run_snippet(code: str) -> Any:
    """Run a page sample with `token` defined; return the value of its last expression."""
    tree = ast.parse(code)
    last = tree.body.pop()
    assert isinstance(last, ast.Expr), "a sample ends with the call it shows"
    namespace: dict[str, Any] = {"token": TOKEN}
    exec(compile(tree, "<sample>", "exec"), namespace)
    value = eval(compile(ast.Expression(last.value), "<sample>", "eval"), namespace)
    return value.to_dict() if hasattr(value, "to_dict") else value


def test_seed_page_samples_run_unchanged_in_page_order(
    seed_page: str, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROTOCOL_API_BASE_URL", demo_url)
    operations = seed_operations(seed_page)
    results = [_run_snippet(op.samples["python"]) for op in operations]
    check_seed_results(operations, results)
    with pytest.raises(NotFoundError):
        ApiClient(TOKEN, base_url=demo_url).conversations.get("xgQQXg3hrtjh7AvZ")


@pytest.fixture(scope="module")
def client(api_url: str) -> ApiClient:
    return ApiClient(TOKEN, base_url=api_url)


def test_every_operation(client: ApiClient) -> None:
    created = client.conversations.create(contact_id=CONTACT)
    assert isinstance(created, Conversation)
    assert (created.contact_id, created.group_id, created.is_muted) == (CONTACT, None, False)
    assert client.conversations.get(created.id) == created

    updated = client.conversations.update(
        created.id, is_muted=True, is_pinned=True, pinned_message_id="m5qL8bPz2XcV7wNa",
        archived_at=705103200,
    )
    assert (updated.is_muted, updated.is_pinned) == (True, True)
    assert (updated.pinned_message_id, updated.archived_at) == ("m5qL8bPz2XcV7wNa", 705103200)
    # An explicit None is sent as null (unpin, unarchive); left-out attributes keep their value.
    cleared = client.conversations.update(created.id, pinned_message_id=None, archived_at=None)
    assert (cleared.pinned_message_id, cleared.archived_at, cleared.is_muted) == (None, None, True)
    assert client.conversations.update(created.id) == cleared

    group = client.conversations.create(group_id=GROUP)
    page = client.conversations.list(group_id=GROUP, limit=5)
    assert isinstance(page, Page) and page.has_more is False
    assert [c.id for c in page.data] == [group.id]
    assert created.id in [c.id for c in client.conversations.list(muted=True, pinned=True).data]
    assert created.id not in [c.id for c in client.conversations.list(archived=True).data]

    assert client.conversations.delete(created.id) is None
    with pytest.raises(NotFoundError):
        client.conversations.get(created.id)


def test_auto_pagination_follows_starting_after(api_url: str) -> None:
    client = ApiClient(OTHER_TOKEN, base_url=api_url)
    group = "PgGr0up000000027"
    ids = [client.conversations.create(group_id=group).id for _ in range(27)]
    first = client.conversations.list(group_id=group, limit=10)
    assert len(first.data) == 10 and first.has_more
    assert [c.id for c in first] == ids[::-1]  # iterating a page walks the whole list
    assert [len(p.data) for p in first.iter_pages()] == [10, 10, 7]
    # A page from ending_before continues towards the newest item (each page newest first).
    older = client.conversations.list(group_id=group, limit=4, ending_before=ids[0])
    pages = [[c.id for c in p.data] for p in older.iter_pages()]
    assert pages[:2] == [ids[4:0:-1], ids[8:4:-1]]
    assert sorted(itertools.chain.from_iterable(pages)) == sorted(ids[1:])


def test_errors_from_the_server_carry_the_error_body(client: ApiClient, api_url: str) -> None:
    with pytest.raises(BadRequestError) as bad:
        client.conversations.list(limit=500)
    with pytest.raises(BadRequestError):
        client.conversations.create(contact_id=CONTACT, group_id=GROUP)
    with pytest.raises(AuthenticationError) as unauthorized:
        ApiClient("not-a-token", base_url=api_url).conversations.list()
    theirs = ApiClient(OTHER_TOKEN, base_url=api_url).conversations.create(contact_id=CONTACT)
    with pytest.raises(NotFoundError) as missing:
        client.conversations.get(theirs.id)
    for error, status in ((bad, 400), (unauthorized, 401), (missing, 404)):
        assert isinstance(error.value, ApiError)
        assert error.value.status == status
        assert error.value.type == "invalid_request"
        assert error.value.message
        assert error.value.documentation_url == "https://protocol.chat/docs/errors/invalid_request"
    assert "limit" in bad.value.message


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(413, PayloadTooLargeError), (415, UnsupportedMediaTypeError), (500, InternalServerError),
     (502, InternalServerError), (429, RateLimitError), (418, ApiError)],
)
def test_every_status_has_its_error_class(
    scripted: ScriptedServer, status: int, error_class: type[ApiError]
) -> None:
    kind = "api_error" if status >= 500 else "invalid_request"
    scripted.script(Reply(status, error_body(kind, f"status {status}")))
    client = ApiClient(TOKEN, base_url=scripted.url)
    with pytest.raises(error_class) as raised:
        client.conversations.create(contact_id=CONTACT)  # POST: never retried
    assert (raised.value.status, raised.value.type) == (status, kind)
    assert raised.value.message == f"status {status}"
    assert raised.value.documentation_url == f"https://protocol.chat/docs/errors/{kind}"
    assert len(scripted.requests) == 1


def test_a_success_that_is_not_json_is_an_error(scripted: ScriptedServer) -> None:
    scripted.script(Reply(200, b"<html>proxy login</html>"))
    with pytest.raises(ApiError) as raised:
        ApiClient(TOKEN, base_url=scripted.url).conversations.get("xgQQXg3hrtjh7AvZ")
    assert raised.value.status == 200 and "not JSON" in raised.value.message


def test_connection_errors_and_timeouts(scripted: ScriptedServer, dead_url: str) -> None:
    with pytest.raises(ApiConnectionError) as refused:
        ApiClient(TOKEN, base_url=dead_url, max_retries=0).conversations.get("xgQQXg3hrtjh7AvZ")
    assert refused.value.status is None and not isinstance(refused.value, ApiTimeoutError)

    scripted.script(Reply(200, CONVERSATION, delay=1.5))
    client = ApiClient(TOKEN, base_url=scripted.url, timeout=0.2, max_retries=0)
    started = time.monotonic()
    with pytest.raises(ApiTimeoutError) as timed_out:
        client.conversations.get("xgQQXg3hrtjh7AvZ")
    assert time.monotonic() - started < 1.0
    assert isinstance(timed_out.value, ApiConnectionError)


def test_retries_an_injected_503_then_succeeds(scripted: ScriptedServer) -> None:
    scripted.script(Reply(503, error_body("api_error", "down"), {"Retry-After": "0"}))
    got = ApiClient(TOKEN, base_url=scripted.url).conversations.get("xgQQXg3hrtjh7AvZ")
    assert got.to_dict() == CONVERSATION
    assert [r.method for r in scripted.requests] == ["GET", "GET"]


def test_backoff_retry_after_and_giving_up(scripted: ScriptedServer) -> None:
    client = ApiClient(TOKEN, base_url=scripted.url)
    # No Retry-After: exponential backoff with jitter, the first wait in [0.25, 0.5] s.
    scripted.script(Reply(503), Reply(502))
    client.conversations.delete("xgQQXg3hrtjh7AvZ")
    gaps = [b.at - a.at for a, b in zip(scripted.requests, scripted.requests[1:], strict=False)]
    assert len(gaps) == 2 and 0.24 <= gaps[0] <= 0.8 and 0.49 <= gaps[1] <= 1.3

    scripted.script(Reply(429, error_body("invalid_request", "slow down"), {"Retry-After": "1"}))
    client.conversations.update("xgQQXg3hrtjh7AvZ", is_muted=True)
    assert scripted.requests[1].at - scripted.requests[0].at >= 0.95

    scripted.script(*[Reply(500, error_body("api_error", "still down"), {"Retry-After": "0"})] * 3)
    with pytest.raises(InternalServerError):
        client.conversations.list()
    assert len(scripted.requests) == 3  # the first try and the default two retries

    scripted.script(Reply(503, None, {"Retry-After": "0"}))
    with pytest.raises(InternalServerError):
        client.conversations.create(group_id=GROUP)
    assert len(scripted.requests) == 1  # POST is not idempotent: no retry

    scripted.script(Reply(503, None, {"Retry-After": "0"}))
    with pytest.raises(InternalServerError):
        ApiClient(TOKEN, base_url=scripted.url, max_retries=0).conversations.list()
    assert len(scripted.requests) == 1


def test_headers_and_base_url(scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted.script()
    ApiClient(TOKEN, base_url=scripted.url).conversations.get("a/b")
    request = scripted.requests[0]
    assert request.path == "/v1/conversations/a%2Fb"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"].startswith(f"protocol_api/{__version__} ")

    monkeypatch.setenv("PROTOCOL_API_BASE_URL", scripted.url)
    assert ApiClient(TOKEN).base_url == scripted.url
    assert ApiClient(TOKEN, base_url="http://127.0.0.1:9").base_url == "http://127.0.0.1:9"
    monkeypatch.delenv("PROTOCOL_API_BASE_URL")
    assert ApiClient(TOKEN).base_url == "https://api.protocol.chat"


def test_async_client_has_the_same_surface(api_url: str) -> None:
    async def flow() -> list[str]:
        async with AsyncApiClient(OTHER_TOKEN, base_url=api_url) as client:
            group = "AsyncGr0up000012"
            ids = [(await client.conversations.create(group_id=group)).id for _ in range(12)]
            got = await client.conversations.get(ids[0])
            assert got.group_id == group
            muted = await client.conversations.update(ids[0], is_muted=True)
            assert muted.is_muted
            page = await client.conversations.list(group_id=group, limit=5)
            walked = [c.id async for c in page]
            assert walked == ids[::-1]
            await client.conversations.delete(ids[0])
            with pytest.raises(NotFoundError):
                await client.conversations.get(ids[0])
            return walked

    assert len(asyncio.run(flow())) == 12


def test_async_client_retries_and_times_out(scripted: ScriptedServer) -> None:
    async def flow() -> None:
        scripted.script(Reply(503, error_body("api_error", "down"), {"Retry-After": "0"}))
        async with AsyncApiClient(TOKEN, base_url=scripted.url) as client:
            assert (await client.conversations.get("xgQQXg3hrtjh7AvZ")).to_dict() == CONVERSATION
            assert len(scripted.requests) == 2
            scripted.script(Reply(503, error_body("api_error", "down"), {"Retry-After": "0"}))
            with pytest.raises(InternalServerError):
                await client.conversations.create(contact_id=CONTACT)
            assert len(scripted.requests) == 1
        scripted.script(Reply(200, CONVERSATION, delay=1.5))
        async with AsyncApiClient(TOKEN, base_url=scripted.url, timeout=0.2,
                                  max_retries=0) as client:
            with pytest.raises(ApiTimeoutError):
                await client.conversations.get("xgQQXg3hrtjh7AvZ")

    asyncio.run(flow())


def test_webhook_signature_helper() -> None:
    body = b'{"id":"a056V7R7NmNRjl70","type":"conversation.updated","payload":{}}'
    secret = "whsec-test"
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert verify_signature(body, signature, secret)
    assert verify_signature(body.decode(), signature.upper(), secret.encode())
    assert not verify_signature(body + b" ", signature, secret)
    assert not verify_signature(body, signature, "other-secret")
    assert not verify_signature(body, signature[:-1] + ("0" if signature[-1] != "0" else "1"),
                                secret)
    assert not verify_signature(body, "", secret)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_generated_code_is_ruff_and_mypy_clean() -> None:
    package = CLIENTS / "python"
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        ruff = subprocess.run(command, check=False, cwd=package, capture_output=True, text=True)
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run([sys.executable, "-m", "mypy", "protocol_api"], check=False, cwd=package,
                          capture_output=True, text=True)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_package_builds_a_typed_wheel(tmp_path: Path) -> None:
    """`pip` builds it as a user's `pip install clients/python` would (isolated build)."""
    source = tmp_path / "source"
    shutil.copytree(CLIENTS / "python", source,
                    ignore=shutil.ignore_patterns("*_cache", "__pycache__"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (tmp_path / "dist").glob("protocol_api-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"protocol_api-{__version__}.dist-info/METADATA").decode()
    assert {"protocol_api/py.typed", "protocol_api/resources/conversations.py"} <= names
    assert "Requires-Dist: httpx" in metadata


def test_the_token_comes_from_the_environment_when_none_is_passed(
    api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROTOCOL_API_TOKEN", TOKEN)
    created = ApiClient(base_url=api_url).conversations.create(contact_id="WAz8eIbvDR60rouK")
    monkeypatch.setenv("PROTOCOL_API_TOKEN", OTHER_TOKEN)
    with pytest.raises(NotFoundError):  # the other account: the variable decided who asked
        ApiClient(base_url=api_url).conversations.get(created.id)
    assert ApiClient(TOKEN, base_url=api_url).conversations.get(created.id) == created
    monkeypatch.delenv("PROTOCOL_API_TOKEN")
    for client_class in (ApiClient, AsyncApiClient):
        with pytest.raises(TypeError, match="PROTOCOL_API_TOKEN"):
            client_class(base_url=api_url)
