"""Webhook delivery: per-account endpoints, and a background deliverer draining the store's outbox."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import hashlib
import heapq
import hmac
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from protocol_kit.spec import Spec

from .auth import account_of
from .storage import OutboxRow
from .store import ClaimsLost, Storage, StorageUnavailable
from .webhook_http import DeliveryError, WebhookClient

delivery_log = logging.getLogger("protocol_kit.server.webhooks")

# The delivery contract, as the spec's Webhooks tag states it.
RECEIVER_TIMEOUT = 5.0  # seconds for the receiver's whole answer
FIRST_RETRY = 1.0  # seconds before the first retry (the contract: within 2)
MAX_BACKOFF = 60.0  # seconds between tries, at most
MAX_TRIES = 10  # the contract: at least 8
_CONCURRENCY = 16  # deliveries in flight at once, over all subjects
_READ_BATCH = 256  # outbox rows read at once
_MAX_LOADED = 50_000  # rows held in the queues at most; the rest wait in the outbox
_IDLE_POLL = 1.0  # seconds between outbox looks when nothing woke the deliverer
_SETTLE_EVERY = 0.05  # seconds between the transactions that record delivery outcomes
_Key = tuple[str, str]  # (endpoint URL, subject id): rows that go out one at a time, in order


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
    """Sends the outbox's rows on a thread of its own (in the server's process or in a child
    process, see delivery.py), each subject's rows one at a time.

    The rows are read in commit order, a batch at a time, into one queue per (endpoint,
    subject); the heads of the queues go out concurrently. A head leaves its queue only once
    its outcome is committed, so after a crash the subject resumes from its first unsettled
    event, and its next event is never sent before that. The rows come claimed from the store
    (`Storage.outbox_next`): where several replicas share the outbox, each row and each
    subject's queue belong to one of them at a time; claims that lapse are dropped here.
    """

    def __init__(self, store: Storage, secrets: Mapping[str, str], header: str) -> None:
        self._store = store
        self._header = header
        # The outbox names an endpoint by its URL (the account chose the rows when writing them).
        self._by_url = dict(secrets)
        self._loop = asyncio.new_event_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self.run, name="webhook-deliverer", daemon=True)
        self._queues: dict[_Key, collections.deque[OutboxRow]] = {}
        self._ready: collections.deque[_Key] = collections.deque()  # heads due now
        self._later: list[tuple[float, int, _Key]] = []  # heads waiting to be retried (a heap)
        self._unread = True  # a commit may have added rows since the last read
        self._loaded = 0
        self._in_flight = 0
        # Outcomes not yet committed: acknowledged or given up, and retries (row, attempts, when).
        self._done: list[OutboxRow] = []
        self._retries: list[tuple[OutboxRow, int, float]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> Deliverer:
        self._thread.start()
        return self

    def run(self) -> None:
        """Deliver on this thread until ``stop``."""
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._deliver_forever())
        finally:
            self._loop.close()

    def wake(self) -> None:
        """Look at the outbox now (called after each commit; safe from any thread)."""
        self._unread = True
        # A loop that closed meanwhile has nothing left to wake.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake.set)

    def wake_on_input(self, fd: int) -> None:
        """Look at the outbox whenever ``fd`` has bytes; finish at its end (before ``run``)."""

        def readable() -> None:
            if os.read(fd, 4096):
                self._unread = True
                self._wake.set()
            else:
                self._loop.remove_reader(fd)
                self.finish()

        self._loop.add_reader(fd, readable)

    def stop(self) -> None:
        self.finish()
        if self._thread.is_alive():
            self._thread.join(timeout=RECEIVER_TIMEOUT + 5)

    def finish(self) -> None:
        """Stop delivering (safe from any thread): what is in flight is tried again later."""
        self._stopping = True
        self.wake()

    async def _deliver_forever(self) -> None:
        client = WebhookClient()
        try:
            settled_at = 0.0
            while not self._stopping:
                self._wake.clear()
                wait = _IDLE_POLL
                if self._done or self._retries:
                    # One transaction per round of outcomes, not per outcome: each takes the
                    # database's write lock, which the API's writes wait for.
                    due = settled_at + _SETTLE_EVERY - time.monotonic()
                    if due <= 0 or len(self._done) + len(self._retries) >= _READ_BATCH:
                        self._settle()
                        settled_at = time.monotonic()
                    else:
                        wait = due
                self._read_outbox()
                try:
                    self._store.outbox_keep()  # right before launching: the claims hold
                except ClaimsLost:
                    delivery_log.warning("webhook outbox: claims lapsed; claiming afresh")
                    await self._forget()
                self._launch(client)
                if self._later:
                    wait = min(wait, self._later[0][0] - time.time())
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.005))
                except TimeoutError:
                    self._unread = True  # nothing woke it: look anyway, now and then
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._settle()  # what was delivered is not sent again after a restart
            self._release()
        finally:
            client.close()

    def _release(self) -> None:
        """Stopping, with nothing in flight: another replica may send what is left at once."""
        try:
            self._store.outbox_release()
        except StorageUnavailable as exc:
            # The claims then lapse by themselves, a lease later.
            delivery_log.warning("webhook outbox: could not hand back its rows now (%s)", exc)

    def _read_outbox(self) -> None:
        """Read the next batch of rows when fewer heads are due than may go at once."""
        if not self._unread or len(self._ready) >= _CONCURRENCY or self._loaded >= _MAX_LOADED:
            return
        self._unread = False
        try:
            rows = self._store.outbox_next(_READ_BATCH)
        except StorageUnavailable as exc:
            delivery_log.warning("webhook outbox: cannot read it now (%s)", exc)
            return  # the idle poll looks again
        for row in rows:
            key = (row.endpoint, row.subject)
            queue = self._queues.setdefault(key, collections.deque())
            queue.append(row)
            if len(queue) == 1:
                self._schedule(key, row)
        self._loaded += len(rows)
        if len(rows) == _READ_BATCH:
            self._unread = True  # more may be waiting: read on after this round's launches
            self._wake.set()

    async def _forget(self) -> None:
        """Drop every row held, in flight or not, and their unrecorded outcomes: whoever claims
        them next sends them (at least once), in order."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._queues.clear()
        self._ready.clear()
        self._later.clear()
        self._done, self._retries = [], []
        self._loaded = 0
        self._unread = True

    def _schedule(self, key: _Key, head: OutboxRow) -> None:
        if head.next_try_at <= time.time():
            self._ready.append(key)
        else:
            heapq.heappush(self._later, (head.next_try_at, head.seq, key))

    def _launch(self, client: WebhookClient) -> None:
        now = time.time()
        while self._later and self._later[0][0] <= now:
            self._ready.append(heapq.heappop(self._later)[2])
        while self._ready and self._in_flight < _CONCURRENCY:
            head = self._queues[self._ready.popleft()][0]
            if head.endpoint not in self._by_url:
                # The endpoint left the configuration: nobody can receive this event.
                self._done.append(head)
                self._wake.set()
                continue
            self._in_flight += 1
            self._spawn(self._attempt(client, head))

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _settle(self) -> None:
        """Record the outcomes so far in one transaction; then their subjects move on."""
        if not self._done and not self._retries:
            return
        done, retries = self._done, self._retries
        try:
            self._store.outbox_settle(
                [row.seq for row in done], [(row.seq, n, at) for row, n, at in retries]
            )
        except StorageUnavailable as exc:
            # Kept for the next round; meanwhile these subjects send nothing more.
            delivery_log.warning(
                "webhook outbox: could not record %d outcome(s) now (%s)", len(done), exc
            )
            return
        except sqlite3.Error:
            delivery_log.exception("webhook outbox: could not record %d outcome(s)", len(done))
            return
        self._done, self._retries = [], []
        # A subject this process just finished may have rows that another replica's writes
        # added meanwhile, which only the outbox shows (and only a claim takes).
        self._unread = True
        for row in done:
            key = (row.endpoint, row.subject)
            queue = self._queues[key]
            queue.popleft()
            self._loaded -= 1
            if queue:
                self._schedule(key, queue[0])
            else:
                del self._queues[key]
        for row, attempts, retry_at in retries:
            key = (row.endpoint, row.subject)
            retried = dataclasses.replace(row, attempts=attempts, next_try_at=retry_at)
            self._queues[key][0] = retried
            self._schedule(key, retried)

    async def _attempt(self, client: WebhookClient, row: OutboxRow) -> None:
        attempt = row.attempts + 1
        started = time.perf_counter()
        headers = {
            "Content-Type": "application/json",
            self._header: signature(self._by_url[row.endpoint], row.body),
        }
        try:
            async with asyncio.timeout(RECEIVER_TIMEOUT):
                status = await client.post(row.endpoint, row.body, headers)
            outcome, acknowledged = str(status), 200 <= status < 300
        except TimeoutError:
            outcome, acknowledged = "timeout", False
        except DeliveryError as exc:
            outcome, acknowledged = f"failed ({exc})", False
        finally:
            self._in_flight -= 1
            self._wake.set()
        elapsed = (time.perf_counter() - started) * 1000
        if acknowledged or attempt >= MAX_TRIES:
            self._done.append(row)
            verdict = "delivered" if acknowledged else "given up"
        else:
            self._retries.append((row, attempt, time.time() + backoff(attempt)))
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


def by_account(endpoints: Iterable[Endpoint]) -> Mapping[str, tuple[str, ...]]:
    """account -> the URLs of its endpoints: where the store records its events."""
    found: dict[str, tuple[str, ...]] = {}
    for endpoint in endpoints:
        found[endpoint.account] = (*found.get(endpoint.account, ()), endpoint.url)
    return found


def _shown(url: str) -> str:
    """The URL without query or credentials: those may carry secrets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
