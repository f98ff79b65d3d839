"""The generated PHP client, `protocol/sdk`, run by php-cli (ext-curl) against real servers."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess

import pytest

from tests.support.paths import CLIENTS
from tests.support.scripted import CONVERSATION, Reply, ScriptedServer, error_body

from ..seed import check_seed_results, seed_operations
from .conftest import OTHER_TOKEN, TOKEN
from .runtimes import Runtime, php_runtime

pytestmark = pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is not installed")

PRELUDE = """\
<?php
declare(strict_types=1);

use Protocol\\ApiClient;
use Protocol\\Exception\\ApiConnectionException;
use Protocol\\Exception\\ApiException;

$env = getenv();
$out = [];
function failure(callable $call): ?array
{
    try {
        $call();
        return null;
    } catch (ApiException $e) {
        return [
            'name' => (new \\ReflectionClass($e))->getShortName(), 'status' => $e->status,
            'type' => $e->type, 'message' => $e->getMessage(),
            'documentation_url' => $e->documentation_url,
            'connection' => $e instanceof ApiConnectionException,
        ];
    }
}
"""
EPILOGUE = "\necho json_encode($out);\n"


@pytest.fixture(scope="module")
def php(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    assert "curl" in subprocess.run(["php", "-m"], capture_output=True, text=True,
                                    check=True).stdout.split(), "php-curl is not installed"
    return php_runtime(tmp_path_factory.mktemp("php"))


def _program(body: str) -> str:
    return PRELUDE + body + EPILOGUE


def _capture_last_call(sample: str) -> str:
    """The sample, with the value of its final `$client->...` statement printed as JSON."""
    head, sep, tail = sample.rpartition("\n$client->")
    assert sep, "a sample ends with the call it shows"
    return (
        "<?php\n$token = getenv('PROTOCOL_API_TOKEN');\n"
        + head + "\n$__result = $client->" + tail
        + "\necho json_encode($__result);\n"
    )


def test_seed_page_samples_run_unchanged_in_page_order(
    seed_page: str, demo_url: str, php: Runtime
) -> None:
    env = {"PROTOCOL_API_TOKEN": TOKEN, "PROTOCOL_API_BASE_URL": demo_url}
    operations = seed_operations(seed_page)
    results = [php.run(_capture_last_call(op.samples["php"]), env) for op in operations]
    check_seed_results(operations, results)


def test_every_file_passes_php_lint() -> None:
    files = sorted((CLIENTS / "php").rglob("*.php"))
    assert len(files) > 10
    for path in files:
        result = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_composer_manifest() -> None:
    manifest = json.loads((CLIENTS / "php" / "composer.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "protocol/sdk"
    assert manifest["require"] == {"php": ">=8.2", "ext-curl": "*", "ext-json": "*"}
    assert manifest["autoload"] == {"psr-4": {"Protocol\\": "src/"}}


def test_every_operation(api_url: str, php: Runtime) -> None:
    out = php.run(_program("""
$client = new ApiClient($env['TOKEN'], ['base_url' => $env['BASE_URL']]);
$created = $client->conversations->create(['contact_id' => 'WAz8eIbvDR60rouK']);
$out['created'] = $created;
$out['class'] = get_class($created);
$out['got'] = $client->conversations->get($created->id);
$out['updated'] = $client->conversations->update($created->id, [
    'is_muted' => true, 'is_pinned' => true, 'pinned_message_id' => 'm5qL8bPz2XcV7wNa',
    'archived_at' => 705103200,
]);
$out['cleared'] = $client->conversations->update($created->id, ['pinned_message_id' => null, 'archived_at' => null]);
$out['unchanged'] = $client->conversations->update($created->id);
$out['group'] = $client->conversations->create(['group_id' => '8Kw2bQqN1mTz7XcV']);
$page = $client->conversations->list(['group_id' => '8Kw2bQqN1mTz7XcV', 'limit' => 5]);
$out['page'] = ['class' => get_class($page), 'json' => $page];
$out['mutedPinned'] = array_map(fn ($c) => $c->id, $client->conversations->list(['muted' => true, 'pinned' => true])->data);
$out['archived'] = array_map(fn ($c) => $c->id, $client->conversations->list(['archived' => true])->data);
$out['deleted'] = $client->conversations->delete($created->id);
$out['afterDelete'] = failure(fn () => $client->conversations->get($created->id));
"""), {"TOKEN": TOKEN, "BASE_URL": api_url})
    created = out["created"]
    assert out["class"] == "Protocol\\Model\\Conversation"
    assert (created["contact_id"], created["group_id"], created["is_muted"]) == (
        "WAz8eIbvDR60rouK", None, False)
    assert out["got"] == created
    assert out["updated"]["is_muted"] and out["updated"]["is_pinned"]
    assert (out["updated"]["pinned_message_id"], out["updated"]["archived_at"]) == (
        "m5qL8bPz2XcV7wNa", 705103200)
    assert (out["cleared"]["pinned_message_id"], out["cleared"]["archived_at"]) == (None, None)
    assert out["cleared"]["is_muted"] is True and out["unchanged"] == out["cleared"]
    assert out["page"] == {"class": "Protocol\\Page",
                           "json": {"has_more": False, "data": [out["group"]]}}
    assert created["id"] in out["mutedPinned"] and created["id"] not in out["archived"]
    assert out["deleted"] is None
    assert out["afterDelete"]["name"] == "NotFoundException"
    assert out["afterDelete"]["status"] == 404


def test_auto_pagination_follows_starting_after(api_url: str, php: Runtime) -> None:
    out = php.run(_program("""
$client = new ApiClient($env['TOKEN'], ['base_url' => $env['BASE_URL']]);
$group = 'PhpGr0up00000027';
$out['ids'] = [];
for ($i = 0; $i < 27; $i++) {
    $out['ids'][] = $client->conversations->create(['group_id' => $group])->id;
}
$first = $client->conversations->list(['group_id' => $group, 'limit' => 10]);
$out['firstHasMore'] = $first->has_more;
$out['walked'] = [];
foreach ($first as $conversation) {
    $out['walked'][] = $conversation->id;
}
$out['pageSizes'] = [];
foreach ($first->iterPages() as $page) {
    $out['pageSizes'][] = count($page->data);
}
$older = $client->conversations->list(['group_id' => $group, 'limit' => 4, 'ending_before' => $out['ids'][0]]);
$out['backwards'] = [];
foreach ($older->iterPages() as $page) {
    $out['backwards'][] = array_map(fn ($c) => $c->id, $page->data);
}
"""), {"TOKEN": OTHER_TOKEN, "BASE_URL": api_url})
    ids = out["ids"]
    assert out["walked"] == ids[::-1]
    assert out["firstHasMore"] is True and out["pageSizes"] == [10, 10, 7]
    assert out["backwards"][:2] == [ids[4:0:-1], ids[8:4:-1]]
    assert sorted(i for page in out["backwards"] for i in page) == sorted(ids[1:])


def test_errors_from_the_server_carry_the_error_body(api_url: str, php: Runtime) -> None:
    out = php.run(_program("""
$client = new ApiClient($env['TOKEN'], ['base_url' => $env['BASE_URL']]);
$theirs = (new ApiClient($env['OTHER'], ['base_url' => $env['BASE_URL']]))->conversations->create(['contact_id' => 'WAz8eIbvDR60rouK']);
$out['badLimit'] = failure(fn () => $client->conversations->list(['limit' => 500]));
$out['badBody'] = failure(fn () => $client->conversations->create(['contact_id' => 'WAz8eIbvDR60rouK', 'group_id' => '8Kw2bQqN1mTz7XcV']));
$out['unauthorized'] = failure(fn () => (new ApiClient('not-a-token', ['base_url' => $env['BASE_URL']]))->conversations->list());
$out['missing'] = failure(fn () => $client->conversations->get($theirs->id));
"""), {"TOKEN": TOKEN, "OTHER": OTHER_TOKEN, "BASE_URL": api_url})
    expected = {"badLimit": ("BadRequestException", 400), "badBody": ("BadRequestException", 400),
                "unauthorized": ("AuthenticationException", 401),
                "missing": ("NotFoundException", 404)}
    for key, (name, status) in expected.items():
        error = out[key]
        assert (error["name"], error["status"], error["type"]) == (name, status, "invalid_request")
        assert not error["connection"] and error["message"]
        assert error["documentation_url"] == "https://protocol.chat/docs/errors/invalid_request"
    assert "limit" in out["badLimit"]["message"]


def test_every_status_has_its_error_class(scripted: ScriptedServer, php: Runtime) -> None:
    statuses = {413: "PayloadTooLargeException", 415: "UnsupportedMediaTypeException",
                500: "InternalServerException", 502: "InternalServerException",
                429: "RateLimitException", 418: "ApiException"}
    scripted.script(*[
        Reply(s, error_body("api_error" if s >= 500 else "invalid_request", f"status {s}"))
        for s in statuses
    ])
    out = php.run(_program("""
$client = new ApiClient('t', ['base_url' => $env['BASE_URL']]);
$out['errors'] = [];
for ($i = 0; $i < 6; $i++) {
    $out['errors'][] = failure(fn () => $client->conversations->create(['group_id' => '8Kw2bQqN1mTz7XcV']));
}
"""), {"BASE_URL": scripted.url})
    assert len(scripted.requests) == len(statuses)  # POST: never retried
    for error, (status, name) in zip(out["errors"], statuses.items(), strict=True):
        kind = "api_error" if status >= 500 else "invalid_request"
        assert (error["name"], error["status"], error["type"]) == (name, status, kind)
        assert error["message"] == f"status {status}"
        assert error["documentation_url"] == f"https://protocol.chat/docs/errors/{kind}"


def test_a_success_that_is_not_json_is_an_error(scripted: ScriptedServer, php: Runtime) -> None:
    scripted.script(Reply(200, b"<html>proxy login</html>"))
    out = php.run(_program(
        "$out['e'] = failure(fn () => (new ApiClient('t', ['base_url' => $env['BASE_URL']]))"
        "->conversations->get('x'));"
    ), {"BASE_URL": scripted.url})
    assert (out["e"]["name"], out["e"]["status"]) == ("ApiException", 200)
    assert "not JSON" in out["e"]["message"]


def test_connection_errors_and_timeouts(
    scripted: ScriptedServer, dead_url: str, php: Runtime
) -> None:
    scripted.script(Reply(200, CONVERSATION, delay=1.5))
    out = php.run(_program("""
$out['refused'] = failure(fn () => (new ApiClient('t', ['base_url' => $env['DEAD'], 'max_retries' => 0]))->conversations->get('xgQQXg3hrtjh7AvZ'));
$started = microtime(true);
$out['timedOut'] = failure(fn () => (new ApiClient('t', ['base_url' => $env['BASE_URL'], 'timeout' => 0.2, 'max_retries' => 0]))->conversations->get('xgQQXg3hrtjh7AvZ'));
$out['elapsed'] = microtime(true) - $started;
"""), {"BASE_URL": scripted.url, "DEAD": dead_url})
    assert out["refused"]["name"] == "ApiConnectionException"
    assert out["refused"]["status"] is None and out["refused"]["connection"]
    assert out["timedOut"]["name"] == "ApiTimeoutException" and out["timedOut"]["connection"]
    assert out["elapsed"] < 1.0


def test_retries_an_injected_503_then_succeeds(scripted: ScriptedServer, php: Runtime) -> None:
    scripted.script(Reply(503, error_body("api_error", "down"), {"Retry-After": "0"}))
    out = php.run(_program("""
$out['got'] = (new ApiClient('t', ['base_url' => $env['BASE_URL']]))->conversations->get('xgQQXg3hrtjh7AvZ');
"""), {"BASE_URL": scripted.url})
    assert out["got"] == CONVERSATION
    assert [r.method for r in scripted.requests] == ["GET", "GET"]


def test_backoff_retry_after_and_giving_up(scripted: ScriptedServer, php: Runtime) -> None:
    env = {"BASE_URL": scripted.url}
    client = "(new ApiClient('t', ['base_url' => $env['BASE_URL']]))"
    scripted.script(Reply(503), Reply(502))
    php.run(_program(f"{client}->conversations->delete('x');"), env)
    gaps = [b.at - a.at for a, b in zip(scripted.requests, scripted.requests[1:], strict=False)]
    assert len(gaps) == 2 and 0.24 <= gaps[0] <= 0.8 and 0.49 <= gaps[1] <= 1.3

    scripted.script(Reply(429, error_body("invalid_request", "slow down"), {"Retry-After": "1"}))
    php.run(_program(f"{client}->conversations->update('x', ['is_muted' => true]);"), env)
    assert scripted.requests[1].at - scripted.requests[0].at >= 0.95

    scripted.script(*[Reply(500, error_body("api_error", "still down"), {"Retry-After": "0"})] * 3)
    out = php.run(_program(f"$out['e'] = failure(fn () => {client}->conversations->list());"), env)
    assert out["e"]["name"] == "InternalServerException" and len(scripted.requests) == 3

    scripted.script(Reply(503, None, {"Retry-After": "0"}))
    out = php.run(_program(
        f"$out['e'] = failure(fn () => {client}->conversations->create(['group_id' => '8Kw2bQqN1mTz7XcV']));"
    ), env)
    assert out["e"]["status"] == 503 and len(scripted.requests) == 1


def test_headers_and_base_url(scripted: ScriptedServer, php: Runtime) -> None:
    scripted.script()
    out = php.run(_program("""
(new ApiClient('secret-token', ['base_url' => $env['BASE_URL']]))->conversations->get('a/b');
$out['fromEnv'] = (new ApiClient('t'))->baseUrl();
$out['explicit'] = (new ApiClient('t', ['base_url' => 'http://127.0.0.1:9/']))->baseUrl();
putenv('PROTOCOL_API_BASE_URL');
$out['default'] = (new ApiClient('t'))->baseUrl();
$out['version'] = ApiClient::VERSION;
"""), {"BASE_URL": scripted.url, "PROTOCOL_API_BASE_URL": scripted.url})
    request = scripted.requests[0]
    assert request.path == "/v1/conversations/a%2Fb"
    assert request.headers["Authorization"] == "Bearer secret-token"
    assert request.headers["User-Agent"].startswith(f"protocol/sdk/{out['version']} ")
    assert out["fromEnv"] == scripted.url and out["explicit"] == "http://127.0.0.1:9"
    assert out["default"] == "https://api.protocol.chat"


def test_webhook_signature_helper(php: Runtime) -> None:
    body = '{"id":"a056V7R7NmNRjl70","type":"conversation.updated","payload":{}}'
    signature = hmac.new(b"whsec-test", body.encode(), hashlib.sha256).hexdigest()
    out = php.run(_program("""
use Protocol\\Webhook;
$body = $env['BODY'];
$sig = $env['SIG'];
$out['ok'] = Webhook::verifySignature($body, $sig, 'whsec-test');
$out['okUpper'] = ApiClient::verifySignature($body, strtoupper($sig), 'whsec-test');
$out['tampered'] = Webhook::verifySignature($body . ' ', $sig, 'whsec-test');
$out['wrongSecret'] = Webhook::verifySignature($body, $sig, 'other');
$out['truncated'] = Webhook::verifySignature($body, substr($sig, 0, -2), 'whsec-test');
$out['empty'] = Webhook::verifySignature($body, '', 'whsec-test');
"""), {"BODY": body, "SIG": signature})
    assert out == {"ok": True, "okUpper": True, "tampered": False, "wrongSecret": False,
                   "truncated": False, "empty": False}


def test_the_token_comes_from_the_environment_when_none_is_passed(
    api_url: str, php: Runtime
) -> None:
    out = php.run(_program("""
$created = (new ApiClient())->conversations->create(['contact_id' => 'WAz8eIbvDR60rouK']);
$out['same'] = (new ApiClient(null, ['base_url' => $env['BASE_URL']]))->conversations->get($created->id)->id === $created->id;
putenv('PROTOCOL_API_TOKEN=' . $env['OTHER']);
$out['other'] = failure(fn () => (new ApiClient())->conversations->get($created->id));
$out['explicit'] = (new ApiClient($env['TOKEN']))->conversations->get($created->id)->id === $created->id;
putenv('PROTOCOL_API_TOKEN');
try {
    new ApiClient();
    $out['missing'] = null;
} catch (\\InvalidArgumentException $e) {
    $out['missing'] = $e->getMessage();
}
"""), {"PROTOCOL_API_TOKEN": TOKEN, "PROTOCOL_API_BASE_URL": api_url, "BASE_URL": api_url,
       "OTHER": OTHER_TOKEN, "TOKEN": TOKEN})
    assert out["same"] and out["explicit"]
    assert out["other"]["status"] == 404  # the other account: the variable decided who asked
    assert "PROTOCOL_API_TOKEN" in out["missing"]
