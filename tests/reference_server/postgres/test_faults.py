"""Faults under write load: replicas killed with SIGKILL, PostgreSQL restarted. Nothing
acknowledged is lost, every acknowledged event is delivered, in each conversation's order."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from protocol_kit.conformance.webhooks import Delivery, Receiver
from protocol_kit.server.postgres import LEASE
from tests.support.postgres import Cluster
from tests.support.replicas import load_balancer, replica
from tests.support.serving import ServeProcess
from tests.support.write_load import Event, Writer, delivered, event_of, run_writers

_TOKEN = "faults-token"
_SECRET = "faults-webhook-secret"
_WRITERS = 8
_KILLS = 3


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


def _replicas(database: str, receiver: Receiver, root: Path) -> list[ServeProcess]:
    hook = {"token": _TOKEN, "url": receiver.url, "secret": _SECRET}
    return [replica(database, [_TOKEN], root / f"replica-{i}.log", [hook]) for i in range(2)]


def _assert_nothing_acknowledged_is_lost(url: str, writers: list[Writer]) -> None:
    created = [cid for w in writers for cid in w.created]
    assert len(created) == len(set(created)), "one id was given to two conversations"
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {_TOKEN}"}) as api:
        for writer in writers:
            for cid, acknowledged in writer.state.items():
                stored = api.get(f"/v1/conversations/{cid}")
                assert stored.status_code == 200, (cid, stored.text)
                assert stored.json() in (acknowledged, writer.unsure.get(cid)), cid
        listed: list[str] = []
        page = {"has_more": True, "data": []}
        while page["has_more"]:
            after = {"starting_after": listed[-1]} if listed else {}
            page = api.get("/v1/conversations", params={"limit": 100, **after}).json()
            listed += [c["id"] for c in page["data"]]
    assert len(listed) == len(set(listed)), "a conversation was listed twice"
    assert set(created) <= set(listed)


def _assert_every_event_delivered_in_order(receiver: Receiver, writers: list[Writer]) -> None:
    expected: dict[str, list[Event]] = {}
    for writer in writers:
        expected.update(writer.events)

    def settled(deliveries: list[Delivery]) -> bool:
        first = _first_deliveries(deliveries)
        return all(_in_order(events, first.get(cid, [])) for cid, events in expected.items())

    # A killed replica's claims pass to the other once their lease runs out. Events are
    # counted, not only compared: two updates may leave a conversation in the same state.
    if receiver.wait_for(settled, LEASE * 3 + 30):
        return
    first = _first_deliveries(receiver.deliveries())
    missing = {
        cid: sum((Counter(events) - Counter(first.get(cid, []))).values())
        for cid, events in expected.items()
    }
    lost = sum(missing.values())
    assert not lost, f"{lost} acknowledged event(s) never delivered"
    wrong = [cid for cid, events in expected.items() if not _in_order(events, first.get(cid, []))]
    assert not wrong, f"events of {wrong} delivered out of order"


def _first_deliveries(deliveries: list[Delivery]) -> dict[str, list[Event]]:
    """Each conversation's events at their first delivery (a resent one comes again later),
    in the order they arrived."""
    first: dict[str, list[Event]] = {}
    seen: set[object] = set()
    for delivery in deliveries:
        event = delivered(delivery)
        if event is not None and delivery.event_id not in seen:
            seen.add(delivery.event_id)
            first.setdefault(str(delivery.subject), []).append(event)
    return first


def _in_order(wanted: list[Event], sent: list[Event]) -> bool:
    """Whether ``wanted`` is a subsequence of ``sent`` (which may hold events of writes whose
    answer was lost, and so are not in ``wanted``)."""
    remaining = iter(sent)
    return all(any(event == other for other in remaining) for event in wanted)


def test_replicas_killed_under_write_load_lose_nothing_acknowledged(
    database: str, receiver: Receiver, tmp_path: Path
) -> None:
    replicas = _replicas(database, receiver, tmp_path)
    for process in replicas:
        process.start()
    stop = threading.Event()
    try:
        with load_balancer(replicas, tmp_path) as url:
            writers, threads = run_writers(url, _TOKEN, _WRITERS, stop, seed=1)
            for kill in range(_KILLS):
                time.sleep(1.0)
                victim = replicas[kill % 2]
                victim.kill9()
                time.sleep(0.5)
                victim.start()
            time.sleep(1.0)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            acknowledged = sum(len(w.created) for w in writers)
            assert acknowledged > 20, "the load barely ran"
            _assert_nothing_acknowledged_is_lost(url, writers)
            _assert_every_event_delivered_in_order(receiver, writers)
    finally:
        stop.set()
        for process in replicas:
            process.stop()
    statuses = sum((w.statuses for w in writers), start=type(writers[0].statuses)())
    assert not {s for s in statuses if s.startswith("5")} - {"502", "503"}, statuses


def test_a_postgres_restart_under_load_is_answered_503_and_recovered_from(
    cluster: Cluster, database: str, receiver: Receiver, tmp_path: Path
) -> None:
    replicas = _replicas(database, receiver, tmp_path)
    for process in replicas:
        process.start()
    stop = threading.Event()
    try:
        with load_balancer(replicas, tmp_path) as url:
            writers, threads = run_writers(url, _TOKEN, _WRITERS, stop, seed=2)
            time.sleep(1.0)
            down_at = time.monotonic()
            cluster.stop()
            time.sleep(2.0)
            cluster.start()
            up_at = time.monotonic()
            time.sleep(6.0)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            _assert_nothing_acknowledged_is_lost(url, writers)
            _assert_every_event_delivered_in_order(receiver, writers)
    finally:
        stop.set()
        for process in replicas:
            process.stop()
    answers = sorted((a for w in writers for a in w.answers), key=lambda a: a[0])
    unavailable = [a for a in answers if a[1] == 503]
    assert unavailable, "no request met the database down"
    assert {a[1] for a in answers} <= {200, 201, 503}, sorted({a[1] for a in answers})
    for _, _, headers, body in unavailable:
        assert headers.get("retry-after", "").isdigit()
        assert httpx.Response(503, content=body).json()["type"] == "api_error"
    assert all(down_at <= at for at, *_ in unavailable), "503 before the database went down"
    # Recovered by themselves: every writer's last answers are successes.
    for writer in writers:
        last = [a for a in writer.answers if a[0] > up_at + 4.0]
        assert last and all(a[1] in (200, 201) for a in last), [a[1] for a in last]
    for process in replicas:
        assert "Traceback" not in process.output(), process.output()[-3000:]


def test_an_event_in_flight_on_a_killed_replica_is_sent_again_by_another_first(
    database: str, receiver: Receiver, tmp_path: Path
) -> None:
    first, second = _replicas(database, receiver, tmp_path)
    headers = {"Authorization": f"Bearer {_TOKEN}"}
    first.start()
    try:
        with httpx.Client(base_url=first.url, headers=headers) as api:
            cid = api.post("/v1/conversations", json={"contact_id": "WAz8eIbvDR60rouK"}).json()[
                "id"
            ]
            assert receiver.wait_for(lambda ds: any(d.subject == cid for d in ds), 10)
            receiver.cue(cid, "conversation.updated", "stall")  # held past the replica's death
            muted = api.put(f"/v1/conversations/{cid}", json={"is_muted": True}).json()

        def stalled(deliveries: list) -> bool:  # type: ignore[type-arg]
            return any(d.subject == cid and d.answered == "stall" for d in deliveries)

        assert receiver.wait_for(stalled, 10)
        first.kill9()  # mid-delivery: the receiver never acknowledged it to this replica
        second.start()
        with httpx.Client(base_url=second.url, headers=headers) as api:
            pinned = api.put(f"/v1/conversations/{cid}", json={"is_pinned": True}).json()

        def both_acknowledged(deliveries: list) -> bool:  # type: ignore[type-arg]
            answered = [delivered(d) for d in deliveries if d.answered == "200"]
            return (
                event_of("updated", muted) in answered and event_of("updated", pinned) in answered
            )

        assert receiver.wait_for(both_acknowledged, LEASE * 2 + 10)
        updates = [
            delivered(d)
            for d in receiver.deliveries()
            if d.subject == cid and d.event_type == "conversation.updated"
        ]
        # The stalled event again (at least once), and the next one only after it.
        assert updates == [
            event_of("updated", muted),
            event_of("updated", muted),
            event_of("updated", pinned),
        ]
    finally:
        first.stop()
        second.stop()


def test_a_replica_stopped_cleanly_hands_its_pending_events_to_the_other_at_once(
    database: str, receiver: Receiver, tmp_path: Path
) -> None:
    replicas = _replicas(database, receiver, tmp_path)
    for process in replicas:
        process.start()
    try:
        with httpx.Client(
            base_url=replicas[0].url, headers={"Authorization": f"Bearer {_TOKEN}"}
        ) as api:
            cid = api.post("/v1/conversations", json={"contact_id": "WAz8eIbvDR60rouK"}).json()[
                "id"
            ]
            assert receiver.wait_for(lambda ds: any(d.subject == cid for d in ds), 10)
            receiver.cue(cid, "conversation.updated", *["503"] * 50)  # pending: retried
            muted = api.put(f"/v1/conversations/{cid}", json={"is_muted": True}).json()
            pinned = api.put(f"/v1/conversations/{cid}", json={"is_pinned": True}).json()
        assert receiver.wait_for(lambda ds: any(d.answered == "503" for d in ds), 10)
        # Whichever replica claimed the conversation's rows logs the failed try; the other
        # cannot claim them while that one's lease on the earlier row lives.
        holder, other = sorted(replicas, key=lambda r: ": 503 " not in r.output())
        assert ": 503 " not in other.output()
        with psycopg.connect(database, autocommit=True) as db:
            holders = db.execute(
                "SELECT DISTINCT claimed_by FROM webhook_outbox WHERE claimed_until > now()"
            ).fetchall()
            assert len(holders) == 1, holders
            (name,) = holders[0]
            holder.stop()  # Ctrl-C
            stopped_at = time.monotonic()
            receiver.cue(cid, "conversation.updated")  # answered 200 from now on
            held, next_try_at = db.execute(
                "SELECT count(*) FILTER (WHERE claimed_by = %s), max(next_try_at) "
                "FROM webhook_outbox",
                (name,),
            ).fetchone()
        assert held == 0, "the stopped replica still holds its rows"
        # The other replica sends the head row as soon as its retry is due, not a lease later.
        due_in = max(next_try_at - time.time(), 0.0)
        assert due_in + 4 < LEASE - 2, "the retry is too far off for the test to tell"

        def resent(deliveries: list[Delivery]) -> bool:
            return any(d.subject == cid and d.received_at > stopped_at for d in deliveries)

        assert receiver.wait_for(resent, due_in + 4), "not sent again within the retry's due time"

        def acknowledged(deliveries: list[Delivery]) -> list[Event | None]:
            return [
                delivered(d)
                for d in deliveries
                if d.subject == cid
                and d.event_type == "conversation.updated"
                and d.answered == "200"
            ]

        expected = [event_of("updated", muted), event_of("updated", pinned)]
        assert receiver.wait_for(lambda ds: len(acknowledged(ds)) >= 2, LEASE)
        assert acknowledged(receiver.deliveries()) == expected  # in order, once each
        assert "Traceback" not in holder.output(), holder.output()[-3000:]
    finally:
        for process in replicas:
            process.stop()
