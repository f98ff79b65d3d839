"""One throw-away PostgreSQL cluster for the whole session; each test module gets a database of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.postgres import Cluster, ClusterUnavailable


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    try:
        started = Cluster().start()
    except ClusterUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL did not start: {exc}")  # CI installs it: this is a failure
        pytest.skip(f"PostgreSQL did not start: {exc}")
    try:
        yield started
    finally:
        started.remove()


@pytest.fixture(scope="module")
def database(cluster: Cluster) -> str:
    """The URL of a new empty database on the session's cluster."""
    return cluster.create_database()
