"""The PostgreSQL outbox as two replicas' deliverers see it: a row is claimed by one at a time,
and a conversation's rows by one at a time, in order; claims that lapse pass to another."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from protocol_kit.server.postgres import LEASE, PostgresStore
from protocol_kit.server.store import ClaimsLost, StorageUnavailable
from tests.support.postgres import Cluster, closing_pool

_ACCOUNT = "claims-account"
_ENDPOINT = "http://127.0.0.1:9/webhooks"


@pytest.fixture
def replicas(cluster: Cluster) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    url = cluster.create_database()
    pair = (PostgresStore(url), PostgresStore(url))
    for store in pair:
        store.subscribe({_ACCOUNT: (_ENDPOINT,)}, lambda: None)
    yield pair
    for store in pair:
        store.close()


async def _conversation_with_updates(store: PostgresStore, updates: int) -> str:
    """A new conversation and its events: created, then ``updates`` updates."""
    made = await store.create(_ACCOUNT, {}, "conversation.created")
    for i in range(updates):
        await store.update(_ACCOUNT, made["id"], {"is_muted": i % 2 == 0}, "conversation.updated")
    return str(made["id"])


def test_a_conversations_rows_go_to_one_replica_at_a_time_in_order(
    replicas: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = replicas
    asyncio.run(closing_pool(first, _one_at_a_time(first, second)))


async def _one_at_a_time(first: PostgresStore, second: PostgresStore) -> None:
    one = await _conversation_with_updates(first, 2)
    claimed = first.outbox_next(2)  # the created event and the first update of `one`
    assert [row.subject for row in claimed] == [one, one]
    two = await _conversation_with_updates(first, 0)
    # `one`'s last update waits for the replica holding its earlier rows; `two` is free.
    assert [row.subject for row in second.outbox_next(10)] == [two]
    assert [row.subject for row in first.outbox_next(10)] == [one]
    first.outbox_settle([row.seq for row in claimed], [])
    assert second.outbox_next(10) == []  # the rest of `one` is still the first replica's


def test_claims_that_lapse_while_the_database_is_away_pass_to_another(
    cluster: Cluster, replicas: tuple[PostgresStore, PostgresStore]
) -> None:
    first, second = replicas
    asyncio.run(closing_pool(first, _conversation_with_updates(first, 1)))
    held = first.outbox_next(10)
    assert len(held) == 2
    cluster.stop()
    try:
        deadline = time.monotonic() + LEASE + 5
        with pytest.raises(ClaimsLost):
            while time.monotonic() < deadline:
                first.outbox_keep()  # renewals fail; it gives up before the lease ends
                time.sleep(0.2)
        lapsed_at = time.monotonic()
    finally:
        cluster.start()
    # Not before the lease has run out in the database, and then to either replica, in order.
    taken = []
    while not taken and time.monotonic() < lapsed_at + LEASE + 10:
        with contextlib.suppress(StorageUnavailable):  # the pool is reconnecting
            taken = second.outbox_next(10)
        time.sleep(0.2)
    assert [row.seq for row in taken] == [row.seq for row in held]
    assert [row.subject for row in first.outbox_next(10)] == []


def test_rows_handed_back_are_claimed_by_another_at_once_and_it_is_told(
    cluster: Cluster,
) -> None:
    url = cluster.create_database()
    first, second = PostgresStore(url), PostgresStore(url)
    told = threading.Event()
    first.subscribe({_ACCOUNT: (_ENDPOINT,)}, lambda: None)
    second.subscribe({_ACCOUNT: (_ENDPOINT,)}, told.set)
    try:
        assert told.wait(10), "the listener never connected"  # it wakes the deliverer once
        one = asyncio.run(closing_pool(first, _conversation_with_updates(first, 1)))
        assert len(first.outbox_next(10)) == 2
        assert second.outbox_next(10) == []  # the first replica's, for a lease
        told.clear()
        first.outbox_release()  # as a replica that stops does, nothing in flight
        assert told.wait(10), "the other replica was not told"
        assert [row.subject for row in second.outbox_next(10)] == [one, one]
    finally:
        first.close()
        second.close()
