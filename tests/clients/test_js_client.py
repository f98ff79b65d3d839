"""The generated JavaScript client, `@example/protocol-api`, run by Node against real servers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from protocol_kit.generator.loader import load_model
from protocol_kit.generator.snippets import code_samples
from tests.support.paths import CLIENTS
from tests.support.scripted import CONVERSATION, Reply, ScriptedServer, error_body

from ..seed import check_seed_results, seed_operations
from .conftest import OTHER_TOKEN, TOKEN
from .runtimes import Runtime, node_runtime

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

PRELUDE = """\
import ApiClient, * as sdk from '@example/protocol-api'
const env = process.env
const out = {}
async function failure (promise) {
  try {
    await promise
    return null
  } catch (e) {
    return {
      name: e.constructor.name, status: e.status, type: e.type, message: e.message,
      documentation_url: e.documentation_url, api: e instanceof sdk.ApiError,
      connection: e instanceof sdk.ApiConnectionError
    }
  }
}
"""
EPILOGUE = "\nconsole.log(JSON.stringify(out))\n"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return node_runtime(tmp_path_factory.mktemp("node"))


def _program(body: str) -> str:
    return PRELUDE + body + EPILOGUE


def _capture_last_await(sample: str) -> str:
    """The sample, with the value of its final `await` statement printed as JSON."""
    head, sep, tail = sample.rpartition("\nawait ")
    assert sep, "a sample ends with the call it shows"
    return (
        "const token = process.env.PROTOCOL_API_TOKEN\n"
        + head + "\nglobalThis.__result = await " + tail
        + "\nconsole.log(JSON.stringify(globalThis.__result ?? null))\n"
    )


def test_seed_page_samples_run_unchanged_in_page_order(
    seed_page: str, demo_url: str, node: Runtime
) -> None:
    env = {"PROTOCOL_API_TOKEN": TOKEN, "PROTOCOL_API_BASE_URL": demo_url}
    operations = seed_operations(seed_page)
    results = [node.run(_capture_last_await(op.samples["js"]), env) for op in operations]
    check_seed_results(operations, results)


def test_every_operation(api_url: str, node: Runtime) -> None:
    out = node.run(_program("""
const client = new ApiClient(env.TOKEN, { baseUrl: env.BASE_URL })
const created = await client.conversations.create({ contact_id: 'WAz8eIbvDR60rouK' })
out.created = created
out.got = await client.conversations.get(created.id)
out.updated = await client.conversations.update(created.id, {
  is_muted: true, is_pinned: true, pinned_message_id: 'm5qL8bPz2XcV7wNa', archived_at: 705103200
})
out.cleared = await client.conversations.update(created.id, { pinned_message_id: null, archived_at: null })
out.unchanged = await client.conversations.update(created.id)
const group = await client.conversations.create({ group_id: '8Kw2bQqN1mTz7XcV' })
out.group = group
const page = await client.conversations.list({ group_id: '8Kw2bQqN1mTz7XcV', limit: 5 })
out.page = { isPage: page instanceof sdk.Page, json: JSON.parse(JSON.stringify(page)) }
out.mutedPinned = (await client.conversations.list({ muted: true, pinned: true })).data.map(c => c.id)
out.archived = (await client.conversations.list({ archived: true })).data.map(c => c.id)
out.deleted = await client.conversations.delete(created.id)
out.afterDelete = await failure(client.conversations.get(created.id))
"""), {"TOKEN": TOKEN, "BASE_URL": api_url})
    created = out["created"]
    assert (created["contact_id"], created["group_id"], created["is_muted"]) == (
        "WAz8eIbvDR60rouK", None, False)
    assert out["got"] == created
    assert out["updated"]["is_muted"] and out["updated"]["is_pinned"]
    assert (out["updated"]["pinned_message_id"], out["updated"]["archived_at"]) == (
        "m5qL8bPz2XcV7wNa", 705103200)
    assert (out["cleared"]["pinned_message_id"], out["cleared"]["archived_at"]) == (None, None)
    assert out["cleared"]["is_muted"] is True and out["unchanged"] == out["cleared"]
    assert out["page"] == {"isPage": True, "json": {"has_more": False, "data": [out["group"]]}}
    assert created["id"] in out["mutedPinned"] and created["id"] not in out["archived"]
    assert "deleted" not in out  # delete resolves to undefined
    assert out["afterDelete"]["name"] == "NotFoundError" and out["afterDelete"]["status"] == 404


def test_auto_pagination_follows_starting_after(api_url: str, node: Runtime) -> None:
    out = node.run(_program("""
const client = new ApiClient(env.TOKEN, { baseUrl: env.BASE_URL })
const group = 'JsGr0up000000027'
out.ids = []
for (let i = 0; i < 27; i++) out.ids.push((await client.conversations.create({ group_id: group })).id)
out.walked = []
for await (const c of client.conversations.list({ group_id: group, limit: 10 })) out.walked.push(c.id)
const first = await client.conversations.list({ group_id: group, limit: 10 })
out.firstHasMore = first.has_more
out.pageSizes = []
for await (const page of first.iterPages()) out.pageSizes.push(page.data.length)
out.fromPage = []
for await (const c of first) out.fromPage.push(c.id)
const older = await client.conversations.list({ group_id: group, limit: 4, ending_before: out.ids[0] })
out.backwards = []
for await (const page of older.iterPages()) out.backwards.push(page.data.map(c => c.id))
"""), {"TOKEN": OTHER_TOKEN, "BASE_URL": api_url})
    ids = out["ids"]
    assert out["walked"] == ids[::-1] and out["fromPage"] == ids[::-1]
    assert out["firstHasMore"] is True and out["pageSizes"] == [10, 10, 7]
    assert out["backwards"][:2] == [ids[4:0:-1], ids[8:4:-1]]
    assert sorted(i for page in out["backwards"] for i in page) == sorted(ids[1:])


def test_errors_from_the_server_carry_the_error_body(api_url: str, node: Runtime) -> None:
    out = node.run(_program("""
const client = new ApiClient(env.TOKEN, { baseUrl: env.BASE_URL })
const theirs = await new ApiClient(env.OTHER, { baseUrl: env.BASE_URL }).conversations.create({ contact_id: 'WAz8eIbvDR60rouK' })
out.badLimit = await failure(client.conversations.list({ limit: 500 }))
out.badBody = await failure(client.conversations.create({ contact_id: 'WAz8eIbvDR60rouK', group_id: '8Kw2bQqN1mTz7XcV' }))
out.unauthorized = await failure(new ApiClient('not-a-token', { baseUrl: env.BASE_URL }).conversations.list())
out.missing = await failure(client.conversations.get(theirs.id))
"""), {"TOKEN": TOKEN, "OTHER": OTHER_TOKEN, "BASE_URL": api_url})
    expected = {"badLimit": ("BadRequestError", 400), "badBody": ("BadRequestError", 400),
                "unauthorized": ("AuthenticationError", 401), "missing": ("NotFoundError", 404)}
    for key, (name, status) in expected.items():
        error = out[key]
        assert (error["name"], error["status"], error["type"]) == (name, status, "invalid_request")
        assert error["api"] and not error["connection"] and error["message"]
        assert error["documentation_url"] == "https://protocol.chat/docs/errors/invalid_request"
    assert "limit" in out["badLimit"]["message"]


def test_every_status_has_its_error_class(scripted: ScriptedServer, node: Runtime) -> None:
    statuses = {413: "PayloadTooLargeError", 415: "UnsupportedMediaTypeError",
                500: "InternalServerError", 502: "InternalServerError", 429: "RateLimitError",
                418: "ApiError"}
    scripted.script(*[
        Reply(s, error_body("api_error" if s >= 500 else "invalid_request", f"status {s}"))
        for s in statuses
    ])
    out = node.run(_program("""
const client = new ApiClient('t', { baseUrl: env.BASE_URL })
out.errors = []
for (let i = 0; i < 6; i++) out.errors.push(await failure(client.conversations.create({ group_id: '8Kw2bQqN1mTz7XcV' })))
"""), {"BASE_URL": scripted.url})
    assert len(scripted.requests) == len(statuses)  # POST: never retried
    for error, (status, name) in zip(out["errors"], statuses.items(), strict=True):
        kind = "api_error" if status >= 500 else "invalid_request"
        assert (error["name"], error["status"], error["type"]) == (name, status, kind)
        assert error["message"] == f"status {status}" and error["api"]
        assert error["documentation_url"] == f"https://protocol.chat/docs/errors/{kind}"


def test_a_success_that_is_not_json_is_an_error(scripted: ScriptedServer, node: Runtime) -> None:
    scripted.script(Reply(200, b"<html>proxy login</html>"))
    out = node.run(_program(
        "out.e = await failure(new ApiClient('t', { baseUrl: env.BASE_URL }).conversations.get('x'))"
    ), {"BASE_URL": scripted.url})
    assert (out["e"]["name"], out["e"]["status"]) == ("ApiError", 200)
    assert "not JSON" in out["e"]["message"]


def test_connection_errors_and_timeouts(
    scripted: ScriptedServer, dead_url: str, node: Runtime
) -> None:
    scripted.script(Reply(200, CONVERSATION, delay=1.5))
    out = node.run(_program("""
out.refused = await failure(new ApiClient('t', { baseUrl: env.DEAD, maxRetries: 0 }).conversations.get('xgQQXg3hrtjh7AvZ'))
const started = Date.now()
out.timedOut = await failure(new ApiClient('t', { baseUrl: env.BASE_URL, timeout: 200, maxRetries: 0 }).conversations.get('xgQQXg3hrtjh7AvZ'))
out.elapsed = Date.now() - started
"""), {"BASE_URL": scripted.url, "DEAD": dead_url})
    assert out["refused"]["name"] == "ApiConnectionError" and out["refused"]["status"] is None
    assert out["refused"]["api"] and out["refused"]["connection"]
    assert out["timedOut"]["name"] == "ApiTimeoutError" and out["timedOut"]["connection"]
    assert out["elapsed"] < 1000


def test_retries_an_injected_503_then_succeeds(scripted: ScriptedServer, node: Runtime) -> None:
    scripted.script(Reply(503, error_body("api_error", "down"), {"Retry-After": "0"}))
    out = node.run(_program("""
out.got = await new ApiClient('t', { baseUrl: env.BASE_URL }).conversations.get('xgQQXg3hrtjh7AvZ')
"""), {"BASE_URL": scripted.url})
    assert out["got"] == CONVERSATION
    assert [r.method for r in scripted.requests] == ["GET", "GET"]


def test_backoff_retry_after_and_giving_up(scripted: ScriptedServer, node: Runtime) -> None:
    env = {"BASE_URL": scripted.url}
    scripted.script(Reply(503), Reply(502))
    node.run(_program("await new ApiClient('t', { baseUrl: env.BASE_URL }).conversations.delete('x')"), env)
    gaps = [b.at - a.at for a, b in zip(scripted.requests, scripted.requests[1:], strict=False)]
    assert len(gaps) == 2 and 0.24 <= gaps[0] <= 0.8 and 0.49 <= gaps[1] <= 1.3

    scripted.script(Reply(429, error_body("invalid_request", "slow down"), {"Retry-After": "1"}))
    node.run(_program(
        "await new ApiClient('t', { baseUrl: env.BASE_URL }).conversations.update('x', { is_muted: true })"
    ), env)
    assert scripted.requests[1].at - scripted.requests[0].at >= 0.95

    scripted.script(*[Reply(500, error_body("api_error", "still down"), {"Retry-After": "0"})] * 3)
    out = node.run(_program(
        "out.e = await failure(new ApiClient('t', { baseUrl: env.BASE_URL }).conversations.list())"
    ), env)
    assert out["e"]["name"] == "InternalServerError" and len(scripted.requests) == 3

    scripted.script(Reply(503, None, {"Retry-After": "0"}))
    out = node.run(_program(
        "out.e = await failure(new ApiClient('t', { baseUrl: env.BASE_URL }).conversations.create({ group_id: '8Kw2bQqN1mTz7XcV' }))"
    ), env)
    assert out["e"]["status"] == 503 and len(scripted.requests) == 1


def test_headers_and_base_url(scripted: ScriptedServer, node: Runtime) -> None:
    scripted.script()
    out = node.run(_program("""
await new ApiClient('secret-token', { baseUrl: env.BASE_URL }).conversations.get('a/b')
out.fromEnv = new ApiClient('t').baseUrl
out.explicit = new ApiClient('t', { baseUrl: 'http://127.0.0.1:9/' }).baseUrl
delete process.env.PROTOCOL_API_BASE_URL
out.default = new ApiClient('t').baseUrl
out.version = sdk.VERSION
"""), {"BASE_URL": scripted.url, "PROTOCOL_API_BASE_URL": scripted.url})
    request = scripted.requests[0]
    assert request.path == "/v1/conversations/a%2Fb"
    assert request.headers["Authorization"] == "Bearer secret-token"
    assert request.headers["User-Agent"].startswith(f"@example/protocol-api/{out['version']} ")
    assert out["fromEnv"] == scripted.url and out["explicit"] == "http://127.0.0.1:9"
    assert out["default"] == "https://api.protocol.chat"


def test_webhook_signature_helper(node: Runtime) -> None:
    body = '{"id":"a056V7R7NmNRjl70","type":"conversation.updated","payload":{}}'
    signature = hmac.new(b"whsec-test", body.encode(), hashlib.sha256).hexdigest()
    out = node.run(_program("""
const body = env.BODY
const sig = env.SIG
out.ok = sdk.verifySignature(body, sig, 'whsec-test')
out.okBuffer = ApiClient.verifySignature(Buffer.from(body), sig.toUpperCase(), Buffer.from('whsec-test'))
out.tampered = sdk.verifySignature(body + ' ', sig, 'whsec-test')
out.wrongSecret = sdk.verifySignature(body, sig, 'other')
out.truncated = sdk.verifySignature(body, sig.slice(0, -2), 'whsec-test')
out.garbage = sdk.verifySignature(body, 'zz' + sig.slice(2), 'whsec-test')
out.empty = sdk.verifySignature(body, '', 'whsec-test')
"""), {"BODY": body, "SIG": signature})
    assert out == {"ok": True, "okBuffer": True, "tampered": False, "wrongSecret": False,
                   "truncated": False, "garbage": False, "empty": False}


def _tsc() -> Path:
    tsc = CLIENTS / "js" / "node_modules" / ".bin" / "tsc"
    assert tsc.exists(), "TypeScript is missing: run `npm ci --prefix clients/js`"
    return tsc


@pytest.fixture(scope="module")
def typed_samples(node: Runtime) -> Iterator[Path]:
    """The generated JavaScript samples as TypeScript modules, importing the package's types."""
    api = load_model()
    folder = node.folder / "typed"
    folder.mkdir()
    for resource in api.resources:
        for op in resource.operations:
            js = next(s.code for s in code_samples(api, resource, op) if s.language == "js")
            (folder / f"{resource.name}_{op.name}.mts").write_text(
                "declare const token: string\n" + js + "\n", encoding="utf-8")
    (folder / "usage.mts").write_text("""\
import ApiClient, { ApiError, NotFoundError, type Conversation } from '@example/protocol-api'
declare const token: string
const client = new ApiClient(token, { baseUrl: 'http://127.0.0.1:1', timeout: 1000, maxRetries: 0 })
const page = await client.conversations.list({ limit: 10, muted: true })
const first: Conversation | undefined = page.data[0]
for await (const item of client.conversations.list()) { const id: string = item.id; void id }
const updated: Conversation = await client.conversations.update('id', { is_muted: true, archived_at: null })
const gone: void = await client.conversations.delete('id')
try { await client.conversations.get('id') } catch (e) { if (e instanceof NotFoundError) { const s: number | null = e.status; void s } }
const ok: boolean = ApiClient.verifySignature('{}', 'ab', 'secret')
void first; void updated; void gone; void ok; void ApiError
// @ts-expect-error is_muted is a boolean
await client.conversations.update('id', { is_muted: 'yes' })
""", encoding="utf-8")
    # The package's own compiler options (clients/js/tsconfig.json), over its index.d.ts and
    # the samples: one `tsc --noEmit` run checks both.
    config = json.loads((CLIENTS / "js" / "tsconfig.json").read_text(encoding="utf-8"))
    config.pop("//")
    config["files"] = [str(CLIENTS / "js" / "index.d.ts")]
    config["include"] = ["*.mts"]
    (folder / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    yield folder


def test_declarations_and_samples_type_check_with_tsc(typed_samples: Path) -> None:
    result = subprocess.run([str(_tsc()), "--noEmit", "-p", str(typed_samples)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(typed_samples.glob("*.mts"))) == 6


def test_no_runtime_dependencies() -> None:
    package = (CLIENTS / "js" / "package.json").read_text(encoding="utf-8")
    assert '"dependencies"' not in package
    sources = "".join(p.read_text(encoding="utf-8") for p in (CLIENTS / "js" / "src").rglob("*.js"))
    imports = set(re.findall(r"^(?:import|export) .*?from '([^']+)'", sources, re.MULTILINE))
    assert {i for i in imports if not i.startswith((".", "node:"))} == set()




def test_the_token_comes_from_the_environment_when_none_is_passed(
    api_url: str, node: Runtime
) -> None:
    out = node.run(_program("""
const created = await new ApiClient().conversations.create({ contact_id: 'WAz8eIbvDR60rouK' })
out.same = (await new ApiClient({ baseUrl: env.BASE_URL }).conversations.get(created.id)).id === created.id
process.env.PROTOCOL_API_TOKEN = env.OTHER
out.other = await failure(new ApiClient().conversations.get(created.id))
out.explicit = (await new ApiClient(env.TOKEN).conversations.get(created.id)).id === created.id
delete process.env.PROTOCOL_API_TOKEN
try { new ApiClient(); out.missing = null } catch (e) { out.missing = [e.name, e.message] }
"""), {"PROTOCOL_API_TOKEN": TOKEN, "PROTOCOL_API_BASE_URL": api_url, "BASE_URL": api_url,
       "OTHER": OTHER_TOKEN, "TOKEN": TOKEN})
    assert out["same"] and out["explicit"]
    assert out["other"]["status"] == 404  # the other account: the variable decided who asked
    assert out["missing"][0] == "TypeError" and "PROTOCOL_API_TOKEN" in out["missing"][1]
