"""One reference server per test module, each peer client in an account of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.serving import serve

TOKENS = ["token-of-peer-one", "token-of-peer-two"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`protocol-kit serve` on a fresh database, started once per module: its base URL."""
    with serve(tmp_path_factory.mktemp("reference") / "peers.db", TOKENS) as url:
        yield url
