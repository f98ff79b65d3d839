"""Two `serve` replicas on one PostgreSQL database, behind HAProxy: one API, whichever replica answers."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from protocol_kit.server.postgres import PostgresStore
from protocol_kit.server.runner import free_port
from tests.support.cli import verify
from tests.support.postgres import Cluster
from tests.support.replicas import load_balancer, replica
from tests.support.serving import ServeProcess

_TOKENS = ("replicas-token-a", "replicas-token-b", "replicas-token-c", "replicas-token-d")
_SECRET = "replicas-webhook-secret"
_CONTACT = "WAz8eIbvDR60rouK"


@pytest.fixture(scope="module")
def webhook_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def replicas(
    database: str, webhook_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServeProcess]]:
    root = tmp_path_factory.mktemp("replicas")
    hook = {"token": _TOKENS[0], "url": f"http://127.0.0.1:{webhook_port}/webhooks"}
    started = [
        replica(database, _TOKENS, root / f"replica-{i}.log", [{**hook, "secret": _SECRET}])
        for i in range(2)
    ]
    try:
        for process in started:
            process.start()
        yield started
    finally:
        for process in started:
            process.stop()
    for process in started:
        assert "Traceback" not in process.output(), process.output()


@pytest.fixture(scope="module")
def balancer(
    replicas: list[ServeProcess], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with load_balancer(replicas, tmp_path_factory.mktemp("haproxy")) as url:
        yield url


def test_a_write_acknowledged_by_one_replica_is_read_by_the_other(
    replicas: list[ServeProcess],
) -> None:
    headers = {"Authorization": f"Bearer {_TOKENS[1]}"}
    first, second = (httpx.Client(base_url=r.url, headers=headers) for r in replicas)
    with first, second:
        made = first.post("/v1/conversations", json={"contact_id": _CONTACT})
        assert made.status_code == 201
        cid = made.json()["id"]
        assert second.get(f"/v1/conversations/{cid}").json() == made.json()
        changed = second.put(f"/v1/conversations/{cid}", json={"is_muted": True})
        assert first.get(f"/v1/conversations/{cid}").json() == changed.json()
        assert first.get("/v1/conversations", params={"limit": 1}).json()["data"] == [
            changed.json()
        ]
        assert first.delete(f"/v1/conversations/{cid}").status_code == 204
        assert second.get(f"/v1/conversations/{cid}").status_code == 404


def test_verify_passes_through_the_load_balancer(balancer: str, webhook_port: int) -> None:
    done = verify(
        balancer,
        "--token",
        _TOKENS[0],
        "--other-token",
        _TOKENS[1],
        # Accounts of its own for schemathesis: that phase runs alongside the suite.
        "--fuzz-token",
        _TOKENS[2],
        "--fuzz-other-token",
        _TOKENS[3],
        "--webhook-listen",
        f"127.0.0.1:{webhook_port}",
        "--webhook-secret",
        _SECRET,
        "--seed",
        "1",
        "--max-examples",
        "10",
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    # Every webhook rule judged (none failed, none warned, none skipped): the group ran whole.
    assert re.search(r"^webhooks +[1-9][0-9]* +0 +(0 +)?0$", done.stdout, re.MULTILINE)


def test_replicas_starting_at_once_migrate_the_schema_once(cluster: Cluster) -> None:
    url = cluster.create_database()
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            stores.append(PostgresStore(url))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert not errors, errors
    with psycopg.connect(url) as db:
        versions = db.execute("SELECT version FROM protocol_kit_schema").fetchall()
    assert versions == [(1,)]


def test_a_database_from_a_newer_server_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.create_database()
    PostgresStore(url).close()
    with psycopg.connect(url) as db:
        db.execute("INSERT INTO protocol_kit_schema (version) VALUES (99)")
    with pytest.raises(RuntimeError, match="newer than this server"):
        PostgresStore(url)
