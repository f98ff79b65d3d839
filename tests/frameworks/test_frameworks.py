"""Small implementations of the contract in mainstream frameworks, each on its defaults where the
contract allows them: `verify` finds no failure in any, on several seeds, and catches each
deviation its framework makes easy by the rule that states it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from protocol_kit.conformance.rules import GROUPS, delivery, restart
from tests.support.cli import cli_command
from tests.support.paths import REPO

TOKENS = ("fixture-token-main", "fixture-token-other")
SECRET = "fixture-webhook-secret"
EXPRESS = REPO / "tests" / "frameworks" / "express"
SERVERS = {
    "fastapi": [sys.executable, "-P", "-m", "tests.frameworks.fastapi_app"],
    "flask": [sys.executable, "-P", "-m", "tests.frameworks.flask_app"],
    "express": ["node", str(EXPRESS / "server.js")],
}
# What each framework makes easy, and the rule that states why it is wrong.
DEVIATIONS = {
    "fastapi": {
        "default-404": "PROTO-ERROR-SHAPE",  # {"detail": "Not Found"}
        "default-validation-error": "LIST-LIMIT-BOUNDS",  # 422 {"detail": [...]}
        "lenient-json": "PROTO-JSON-UTF8",  # request.json() reads UTF-16 too
        "lenient-limit": "LIST-LIMIT-BOUNDS",  # pydantic reads "1_0" and " 3" as integers
    },
    "flask": {
        "default-404": "PROTO-JSON-RESPONSES",  # Werkzeug's HTML error pages
        "lenient-json": "PROTO-JSON-UTF8",  # request.get_json() reads UTF-16 too
        "lenient-args": "LIST-LIMIT-BOUNDS",  # request.args.get(type=int): " 3", or the default
    },
    "express": {
        "default-404": "PROTO-JSON-RESPONSES",  # "Cannot GET /v1/nope" in HTML
        "default-error-handler": "PROTO-JSON-RESPONSES",  # body-parser errors as HTML pages
        "default-body-limit": "PROTO-PAYLOAD-TOO-LARGE",  # express.json() stops at 100 kB
        "default-parameter-limit": "PROTO-PAYLOAD-TOO-LARGE",  # 413 past 1000 form fields
    },
}
_GROUP_OF = {rule.id: group.name for group in GROUPS for rule in group.rules}
SEEDS = (1, 2, 3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _available(framework: str) -> None:
    installed = shutil.which("node") is not None and (EXPRESS / "node_modules").is_dir()
    if framework == "express" and not installed:
        pytest.skip("the Express fixture needs node and `npm ci --prefix tests/frameworks/express`")


@contextmanager
def _serving(framework: str, hook_port: int, deviation: str | None = None) -> Iterator[str]:
    port = _free_port()
    command = [*SERVERS[framework], "--port", str(port)]
    command += [arg for token in TOKENS for arg in ("--token", token)]
    command += ["--webhook", f"http://127.0.0.1:{hook_port}/webhooks", "--webhook-secret", SECRET]
    command += ["--deviation", deviation] if deviation else []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
        try:
            _wait_for(port, server, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_for(port: int, server: subprocess.Popen[bytes], log: object) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)  # type: ignore[attr-defined]
            raise AssertionError(f"the fixture exited: {log.read().decode()[-2000:]}")  # type: ignore[attr-defined]
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the fixture did not listen on {port}")


def _verify(framework: str, seed: int, deviation: str | None, *selection: str) -> dict[str, object]:
    """`protocol-kit verify` against a fresh instance of the fixture; its JSON report."""
    hook_port = _free_port()
    with _serving(framework, hook_port, deviation) as url, tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "verify.json"
        result = subprocess.run(
            cli_command(
                "verify",
                url,
                *("--token", TOKENS[0], "--other-token", TOKENS[1], "--seed", str(seed)),
                *("--webhook-listen", f"127.0.0.1:{hook_port}", "--webhook-secret", SECRET),
                *("--json", str(report)),
                *selection,
            ),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert report.exists(), result.stdout + result.stderr
        document: dict[str, object] = json.loads(report.read_text())
        document["output"] = result.stdout + result.stderr
        document["exit"] = result.returncode
        return document


def _statuses(document: dict[str, object]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in document["results"]}  # type: ignore[attr-defined, index]


@pytest.mark.parametrize("framework", sorted(SERVERS))
def test_each_framework_fixture_conforms_on_every_seed(framework: str) -> None:
    _available(framework)
    # The property-based phase judges the same contract at length; it is left to its own tests.
    with ThreadPoolExecutor(max_workers=len(SEEDS)) as pool:
        runs = list(
            pool.map(lambda seed: _verify(framework, seed, None, "--skip", "schemathesis"), SEEDS)
        )
    for seed, document in zip(SEEDS, runs, strict=True):
        failed = sorted(rule for rule, status in _statuses(document).items() if status == "failed")
        assert failed == [] and document["exit"] == 0, f"seed {seed}: {document['output']}"
        # Everything is judged but the checks a run must ask for (--webhooks-full,
        # --restart-command): those are skipped unless asked.
        opt_in = delivery.OPT_IN | restart.OPT_IN
        skipped = sorted(
            rule
            for rule, status in _statuses(document).items()
            if status == "skipped" and rule not in opt_in
        )
        assert skipped == [], f"seed {seed}: nothing may go unjudged: {skipped}"


@pytest.mark.parametrize(
    ("framework", "deviation", "rule_id"),
    [(f, d, r) for f, planted in sorted(DEVIATIONS.items()) for d, r in sorted(planted.items())],
)
def test_each_planted_deviation_is_caught_by_its_rule(
    framework: str, deviation: str, rule_id: str
) -> None:
    _available(framework)
    document = _verify(framework, 1, deviation, "--only", _GROUP_OF[rule_id])
    assert _statuses(document)[rule_id] == "failed", document["output"]
    assert document["exit"] == 1
