"""Servers on loopback for the client tests: the reference server, and a scripted one for faults."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from protocol_kit.server.runner import free_port, running_server
from tests.support.paths import CLIENTS
from tests.support.scripted import ScriptedServer

TOKEN = "client-test-token"
OTHER_TOKEN = "client-test-other-token"
# The generated client under test is the checked-out one, never an installed copy.
sys.path.insert(0, str(CLIENTS / "python"))


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    """A reference server with two empty accounts (TOKEN and OTHER_TOKEN)."""
    with running_server(":memory:", tokens=[TOKEN, OTHER_TOKEN]) as url:
        yield url


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    """A reference server started like `--demo`: the page's conversations in TOKEN's account."""
    with running_server(":memory:", tokens=[TOKEN], demo=True) as url:
        yield url


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def dead_url() -> str:
    """A loopback address where nothing listens: every connection is refused."""
    return f"http://127.0.0.1:{free_port()}"
