"""Webhook delivery: per-account endpoints, and a background deliverer draining the store's outbox."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from protocol_kit.spec import Spec

from .auth import account_of
from .storage import ConversationStore, OutboxRow

delivery_log = logging.getLogger("protocol_kit.server.webhooks")

# The delivery contract, as the spec's Webhooks tag states it.
RECEIVER_TIMEOUT = 5.0  # seconds for the receiver's whole answer
FIRST_RETRY = 1.0  # seconds before the first retry (the contract: within 2)
MAX_BACKOFF = 60.0  # seconds between tries, at most
MAX_TRIES = 10  # the contract: at least 8
_CONCURRENCY = 32  # deliveries in flight at once, over all subjects
_IDLE_POLL = 1.0  # seconds between outbox looks when nothing woke the deliverer


class WebhookConfigError(ValueError):
    """The webhook endpoints configuration is malformed."""


@dataclass(frozen=True)
class Endpoint:
    """One registered endpoint: whose events it gets, where, and the secret that signs them."""

    token: str
    url: str
    secret: str = ""

    def __repr__(self) -> str:
        # Neither the token nor the secret may reach a log or a traceback.
        return f"Endpoint(url={_shown(self.url)!r})"

    @property
    def account(self) -> str:
        return account_of(self.token)


def parse_endpoints(text: str) -> list[Endpoint]:
    """Endpoints from JSON: ``[{"token": ..., "url": ..., "secret": ...}, ...]``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WebhookConfigError(f"webhook endpoints are not valid JSON: {exc.msg}") from exc
    if not isinstance(data, list):
        raise WebhookConfigError("webhook endpoints must be a JSON list of objects")
    endpoints = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) and item.get(key) for key in ("token", "url", "secret")
        ):
            raise WebhookConfigError(
                f"webhook endpoint {index}: needs non-empty strings `token`, `url` and `secret`"
            )
        if urlsplit(item["url"]).scheme not in ("http", "https"):
            raise WebhookConfigError(f"webhook endpoint {index}: `url` must be http or https")
        endpoints.append(Endpoint(item["token"], item["url"], item["secret"]))
    if len({e.url for e in endpoints}) != len(endpoints):
        raise WebhookConfigError("webhook endpoints: each `url` may be registered once")
    return endpoints


def signature(secret: str, body: bytes) -> str:
    """The ``x-protocol-signature`` of a body: lowercase hex HMAC-SHA256 of its raw bytes."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed try: doubling from the first retry."""
    return float(min(MAX_BACKOFF, FIRST_RETRY * 2 ** (attempts - 1)))


def event_types(spec: Spec) -> dict[str, str]:
    """operationId -> the event type the spec's webhooks send after its successful calls."""
    return {w.emitted_by: w.event_type for w in spec.webhooks if w.emitted_by}


def signature_header(spec: Spec) -> str:
    headers = {w.signature_header.name for w in spec.webhooks if w.signature_header is not None}
    if len(headers) != 1:
        raise ValueError("the spec's webhooks must share one required signature header")
    return headers.pop()


class Deliverer:
    """Sends the outbox's rows from a thread of its own, each subject's rows one at a time."""

    def __init__(
        self, store: ConversationStore, endpoints: Sequence[Endpoint], header: str
    ) -> None:
        self._store = store
        self._header = header
        # The outbox names an endpoint by its URL (the account chose the rows when writing them).
        self._by_url = {e.url: e.secret for e in endpoints}
        self._loop = asyncio.new_event_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="webhook-deliverer", daemon=True)
        store.subscribe(_by_account(endpoints), self.wake)

    def start(self) -> Deliverer:
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look at the outbox now (called after each commit; safe from any thread)."""
        # A loop that closed meanwhile has nothing left to wake.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        self._stopping = True
        self.wake()
        self._thread.join(timeout=RECEIVER_TIMEOUT + 5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._deliver_forever())
        finally:
            self._loop.close()

    async def _deliver_forever(self) -> None:
        busy: set[tuple[str, str]] = set()
        tasks: set[asyncio.Task[None]] = set()
        limits = httpx.Limits(max_connections=_CONCURRENCY, max_keepalive_connections=_CONCURRENCY)
        async with httpx.AsyncClient(limits=limits, timeout=RECEIVER_TIMEOUT) as client:
            while not self._stopping:
                self._wake.clear()
                now = time.time()
                wait = _IDLE_POLL
                for row in self._store.outbox_heads(busy):
                    if row.endpoint not in self._by_url:
                        # The endpoint left the configuration: nobody can receive this event.
                        self._store.outbox_done(row.seq)
                        continue
                    if row.next_try_at > now:
                        wait = min(wait, row.next_try_at - now)
                        continue
                    if len(tasks) >= _CONCURRENCY:
                        break
                    key = (row.endpoint, row.subject)
                    busy.add(key)
                    task = asyncio.create_task(self._attempt(client, row))
                    tasks.add(task)
                    task.add_done_callback(functools.partial(self._finished, key, tasks, busy))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(
        self,
        key: tuple[str, str],
        tasks: set[asyncio.Task[None]],
        busy: set[tuple[str, str]],
        task: asyncio.Task[None],
    ) -> None:
        tasks.discard(task)
        busy.discard(key)  # the subject's next event may go now
        self._wake.set()

    async def _attempt(self, client: httpx.AsyncClient, row: OutboxRow) -> None:
        attempt = row.attempts + 1
        started = time.perf_counter()
        headers = {
            "content-type": "application/json",
            self._header: signature(self._by_url[row.endpoint], row.body),
        }
        try:
            answer = await asyncio.wait_for(
                client.post(row.endpoint, content=row.body, headers=headers), RECEIVER_TIMEOUT
            )
            outcome, acknowledged = str(answer.status_code), answer.is_success
        except TimeoutError:
            outcome, acknowledged = "timeout", False
        except httpx.HTTPError as exc:
            outcome, acknowledged = type(exc).__name__, False
        elapsed = (time.perf_counter() - started) * 1000
        if acknowledged or attempt >= MAX_TRIES:
            await asyncio.to_thread(self._store.outbox_done, row.seq)
            verdict = "delivered" if acknowledged else "given up"
        else:
            retry_at = time.time() + backoff(attempt)
            await asyncio.to_thread(self._store.outbox_retry, row.seq, attempt, retry_at)
            verdict = f"retry in {backoff(attempt):.0f}s"
        delivery_log.info(
            "webhook %s %s to %s attempt %d: %s %.1fms, %s",
            row.event_id,
            row.event_type,
            _shown(row.endpoint),
            attempt,
            outcome,
            elapsed,
            verdict,
        )


def _by_account(endpoints: Iterable[Endpoint]) -> Mapping[str, tuple[str, ...]]:
    by_account: dict[str, tuple[str, ...]] = {}
    for endpoint in endpoints:
        by_account[endpoint.account] = (*by_account.get(endpoint.account, ()), endpoint.url)
    return by_account


def _shown(url: str) -> str:
    """The URL without query or credentials: those may carry secrets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
