"""`protocol-kit diff`: the diff's command, with --prove wired to the generator, the reference server and the kit."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from protocol_kit.diff import CLIENTS, RECEIVERS, SERVERS, command
from protocol_kit.diff.proof import Run
from protocol_kit.spec import Spec

# Each run's time limit: a lifecycle takes a few seconds, the kit's suite well under a minute.
_TIMEOUT = 120
# The kit's groups that --prove skips: schemathesis' random phase (minutes, and what it finds
# is not a verdict about the change), and webhooks (it needs the kit's own receiver).
_KIT_SKIPS = "schemathesis,webhooks"
# `protocol-kit verify`'s exit status when it could not judge anything.
_KIT_COULD_NOT_RUN = 2
# A lifecycle's exit status when its calls passed and unwrapping the deliveries failed.
_UNWRAP_FAILED = 3
_UNWRAP = " (unwrapping its webhook deliveries)"
# The client runs: each with an account and a webhook endpoint of its own.
_CLIENT_RUNS = {
    "python": "the base's Python client against the revision's server",
    "javascript": "the base's JavaScript client against the revision's server",
}

_PYTHON_LIFECYCLE = """
import json, sys, time, urllib.request
from protocol_api import ApiClient, AuthenticationError, BadRequestError, NotFoundError, unwrap

base, token, hooks, secret, group = sys.argv[1:6]
client = ApiClient(token, base_url=base, max_retries=0)
created = client.conversations.create(contact_id="WAz8eIbvDR60rouK")
assert client.conversations.get(created.id).id == created.id, "get"
members = [client.conversations.create(group_id=group) for _ in range(3)]
first = client.conversations.list(group_id=group, limit=2)
assert [c.id for c in first.data] == [m.id for m in members[:0:-1]] and first.has_more, "list"
after = client.conversations.list(group_id=group, limit=2, starting_after=first.data[-1].id)
assert [c.id for c in after.data] == [members[0].id], "starting_after"
before = client.conversations.list(group_id=group, limit=2, ending_before=after.data[0].id)
assert [c.id for c in before.data] == [c.id for c in first.data], "ending_before"
updated = client.conversations.update(created.id, is_muted=True, is_pinned=True)
assert (updated.is_muted, updated.is_pinned) == (True, True), "update"
assert created.id in [c.id for c in client.conversations.list(muted=True, pinned=True).data], "filters"
client.conversations.delete(created.id)
for conversation in members:
    client.conversations.delete(conversation.id)
for call, error in (
    (lambda: client.conversations.get(created.id), NotFoundError),
    (lambda: client.conversations.list(limit=100000), BadRequestError),
    (lambda: ApiClient("not-a-token", base_url=base).conversations.list(), AuthenticationError),
):
    try:
        call()
    except error:
        pass
    else:
        raise AssertionError(f"expected {error.__name__}")
# Receiving: the account's deliveries, unwrapped with the base's client (exit 3 if that fails).
try:
    deadline = time.monotonic() + 30
    while True:
        deliveries = json.loads(urllib.request.urlopen(hooks).read())
        events = [unwrap(d["body"], d["headers"], secret) for d in deliveries]
        kinds = [e.type for e in events if getattr(e.payload, "id", None) == created.id]
        if "conversation.deleted" in kinds or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert kinds == ["conversation.created", "conversation.updated", "conversation.deleted"], kinds
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(3)
print(json.dumps({"events": len(events)}))
"""

_JS_LIFECYCLE = """
const [base, token, hooks, secret, group, client_url] = process.argv.slice(1)
const { ApiClient, AuthenticationError, BadRequestError, NotFoundError, unwrap } = await import(client_url)
const assert = (ok, what) => { if (!ok) throw new Error(`failed: ${what}`) }
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
const client = new ApiClient(token, { baseUrl: base, maxRetries: 0 })
const created = await client.conversations.create({ contact_id: 'WAz8eIbvDR60rouK' })
assert((await client.conversations.get(created.id)).id === created.id, 'get')
const members = []
for (let i = 0; i < 3; i++) members.push(await client.conversations.create({ group_id: group }))
const first = await client.conversations.list({ group_id: group, limit: 2 })
assert(same(first.data.map(c => c.id), [members[2].id, members[1].id]) && first.has_more, 'list')
const after = await client.conversations.list({ group_id: group, limit: 2, starting_after: first.data[1].id })
assert(same(after.data.map(c => c.id), [members[0].id]), 'starting_after')
const before = await client.conversations.list({ group_id: group, limit: 2, ending_before: after.data[0].id })
assert(same(before.data.map(c => c.id), first.data.map(c => c.id)), 'ending_before')
const updated = await client.conversations.update(created.id, { is_muted: true, is_pinned: true })
assert(updated.is_muted === true && updated.is_pinned === true, 'update')
const filtered = await client.conversations.list({ muted: true, pinned: true })
assert(filtered.data.some(c => c.id === created.id), 'filters')
await client.conversations.delete(created.id)
for (const c of members) await client.conversations.delete(c.id)
for (const [call, error] of [
  [() => client.conversations.get(created.id), NotFoundError],
  [() => client.conversations.list({ limit: 100000 }), BadRequestError],
  [() => new ApiClient('not-a-token', { baseUrl: base }).conversations.list(), AuthenticationError]
]) {
  let thrown
  try { await call() } catch (e) { thrown = e }
  assert(thrown instanceof error, `expected ${error.name}, got ${thrown}`)
}
// Receiving: the account's deliveries, unwrapped with the base's client (exit 3 if that fails).
let events = []
try {
  const deadline = Date.now() + 30000
  let kinds = []
  while (true) {
    const deliveries = await (await fetch(hooks)).json()
    events = deliveries.map(d => unwrap(d.body, d.headers, secret))
    kinds = events.filter(e => e.payload && e.payload.id === created.id).map(e => e.type)
    if (kinds.includes('conversation.deleted') || Date.now() > deadline) break
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  assert(same(kinds, ['conversation.created', 'conversation.updated', 'conversation.deleted']), `events ${kinds}`)
} catch (e) {
  console.error(`${e.name}: ${e.message}`)
  process.exit(3)
}
console.log(JSON.stringify({ events: events.length }))
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command.register(subparsers, prover=prove)


def prove(base: Spec, revision: Spec) -> list[Run]:
    """Run BASE's clients against a server of REVISION, and REVISION's kit against a server of BASE."""
    from protocol_kit.generator.loader import GeneratorError, build_model  # only with --prove
    from protocol_kit.generator.render import render_all, write

    with tempfile.TemporaryDirectory(prefix="protocol-kit-prove-") as tmp:
        root = Path(tmp)
        # Each side as a file of its own: the server serves its spec's text, and a side read
        # from git has no file.
        base, revision = (
            _on_disk(base, root / "base.json"),
            _on_disk(revision, root / "revision.json"),
        )
        try:
            write(render_all(build_model(base)), root)
        except GeneratorError as exc:
            raise RuntimeError(f"cannot generate the base's clients: {exc}") from exc
        return [*_client_runs(root, revision), _kit_run(root, base)]


def _client_runs(root: Path, revision: Spec) -> list[Run]:
    """The base's clients (generated under ``root``) against the reference server of REVISION."""
    from protocol_kit.server.webhooks import Endpoint

    secret = secrets.token_hex(16)
    tokens = {name: secrets.token_hex(16) for name in _CLIENT_RUNS}
    with _receiver() as hooks, ExitStack() as stack:
        endpoints = [Endpoint(tokens[n], f"{hooks}/{n}", secret) for n in _CLIENT_RUNS]
        try:
            url = stack.enter_context(_reference_server(revision, list(tokens.values()), endpoints))
        except (ValueError, RuntimeError, OSError) as exc:
            reason = f"the reference server cannot serve the revision: {exc}"
            return [
                Run(who, f"{name}{part}", None, reason)
                for name in _CLIENT_RUNS.values()
                for who, part in ((CLIENTS, ""), (RECEIVERS, _UNWRAP))
            ]
        client_url = (root / "clients" / "js" / "src" / "index.js").as_uri()
        programs = {
            "python": (
                [sys.executable, "-P", "-c", _PYTHON_LIFECYCLE],
                [],
                {"PYTHONPATH": str(root / "clients" / "python")},
            ),
            "javascript": (["node", "--input-type=module", "-e", _JS_LIFECYCLE], [client_url], {}),
        }
        runs = []
        for key, name in _CLIENT_RUNS.items():
            program, extra, env = programs[key]
            argv = [*program, url, tokens[key], f"{hooks}/{key}", secret, _group(), *extra]
            runs += _client_run(name, argv, env)
        return runs


def _reference_server(
    spec: Spec, tokens: list[str], endpoints: list[Any] | None = None
) -> AbstractContextManager[str]:
    from protocol_kit.server.runner import running_server  # uvicorn: only with --prove

    return running_server(":memory:", tokens=tokens, spec=spec, webhooks=endpoints or [])


def _on_disk(spec: Spec, path: Path) -> Spec:
    path.write_text(json.dumps(spec.data, default=str), encoding="utf-8")
    return Spec.load(path)


def _group() -> str:
    """A fresh group id, so a lifecycle's list sees only its own conversations."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def _client_run(name: str, argv: list[str], env: dict[str, str]) -> list[Run]:
    """Two verdicts of one lifecycle: its calls (for clients) and its webhook unwrap (for
    receivers, reached only when the calls passed)."""
    receiving = f"{name}{_UNWRAP}"
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env={**os.environ, **env},
            check=False,
        )
    except OSError as exc:  # no node, say: nothing was run, nothing is judged
        reason = f"cannot start {argv[0]}: {exc.strerror or exc}"
        return [Run(CLIENTS, name, None, reason), Run(RECEIVERS, receiving, None, reason)]
    except subprocess.TimeoutExpired:
        reason = f"did not finish in {_TIMEOUT} seconds"
        return [Run(CLIENTS, name, False, reason), Run(RECEIVERS, receiving, None, reason)]
    if done.returncode == 0:
        return [Run(CLIENTS, name, True, ""), Run(RECEIVERS, receiving, True, "")]
    reason = _reason(done.stderr or done.stdout, done.returncode)
    if done.returncode == _UNWRAP_FAILED:
        return [Run(CLIENTS, name, True, ""), Run(RECEIVERS, receiving, False, reason)]
    not_reached = "not reached: the calls before it failed"
    return [Run(CLIENTS, name, False, reason), Run(RECEIVERS, receiving, None, not_reached)]


def _reason(output: str, status: int) -> str:
    """The line of a failed program's output that says what failed (its exception's)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line.split(":", 1)[0]]
    return (errors or lines or [f"exit status {status}"])[-1][:300]


def _kit_run(root: Path, base: Spec) -> Run:
    """The revision's kit (its spec at ``root``/revision.json) against a server of BASE."""
    name = "the revision's conformance kit against the base's server"
    tokens = [secrets.token_hex(16), secrets.token_hex(16)]
    with ExitStack() as stack:
        try:
            url = stack.enter_context(_reference_server(base, tokens))
        except (ValueError, RuntimeError, OSError) as exc:
            return Run(SERVERS, name, None, f"the reference server cannot serve the base: {exc}")
        return _verify(name, url, tokens, root / "revision.json")


def _verify(name: str, url: str, tokens: list[str], revision_file: Path) -> Run:
    results = revision_file.with_name("verify.json")
    argv = [sys.executable, "-P", "-m", "protocol_kit", "verify", url, "--token", tokens[0]]
    argv += ["--other-token", tokens[1], "--spec", str(revision_file), "--skip", _KIT_SKIPS]
    argv += ["--json", str(results)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    except OSError as exc:
        return Run(SERVERS, name, None, f"cannot start the kit: {exc.strerror or exc}")
    except subprocess.TimeoutExpired:
        return Run(SERVERS, name, False, f"did not finish in {_TIMEOUT} seconds")
    if done.returncode == 0:
        return Run(SERVERS, name, True, "")
    if done.returncode == _KIT_COULD_NOT_RUN:
        lines = done.stderr.strip().splitlines()
        return Run(SERVERS, name, None, lines[-1] if lines else "the kit could not run")
    try:
        made = json.loads(results.read_text(encoding="utf-8"))
        failed = [r["id"] for r in made["results"] if r["status"] == "failed"]
    except (OSError, ValueError, KeyError, TypeError):
        failed = []
    detail = f"rules failed: {', '.join(failed)}" if failed else done.stderr.strip()[-300:]
    return Run(SERVERS, name, False, detail or f"exit status {done.returncode}")


@contextmanager
def _receiver() -> Iterator[str]:
    """A webhook endpoint on loopback: POSTs to a path are kept, a GET of the path lists them."""
    kept: dict[str, list[dict[str, object]]] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with lock:
                kept.setdefault(self.path, []).append(
                    {"body": body.decode("utf-8"), "headers": dict(self.headers.items())}
                )
            self.send_response(204)
            self.end_headers()

        def do_GET(self) -> None:
            with lock:
                payload = json.dumps(kept.get(self.path, [])).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the deliveries are the record; a line per request is noise

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
