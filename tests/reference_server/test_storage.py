"""Group commit: concurrent writes share transactions, yet each is acknowledged only once committed, alone if it fails."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from protocol_kit.server.storage import ConversationStore, ListQuery


def _stored_ids(db: Path) -> set[str]:
    # A separate connection sees only what is committed.
    with sqlite3.connect(db) as other:
        return {row[0] for row in other.execute("SELECT id FROM conversations")}


def test_every_acknowledged_concurrent_write_is_committed(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    store = ConversationStore(str(db))

    async def main() -> list[dict]:
        created = await asyncio.gather(
            *(store.create("acct", {"contact_id": f"contact{index:09d}"}) for index in range(200))
        )
        assert {c["id"] for c in created} <= _stored_ids(db)
        return created

    created = asyncio.run(main())
    assert len({c["id"] for c in created}) == 200
    page, has_more = store.list("acct", ListQuery(limit=100))
    assert has_more and len(page) == 100
    store.close()


def test_a_failing_write_is_undone_alone(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    store = ConversationStore(str(db))

    async def main() -> None:
        first = await store.create("acct", {"group_id": "groupAAAAAAAAAAA"})
        results = await asyncio.gather(
            store.update("acct", first["id"], {"is_muted": True}),
            store.update("acct", first["id"], {"no_such_column": 1}),
            store.create("acct", {"group_id": "groupBBBBBBBBBBB"}),
            return_exceptions=True,
        )
        assert isinstance(results[1], sqlite3.OperationalError)
        assert results[0]["is_muted"] is True
        assert results[2]["id"] in _stored_ids(db)
        assert store.get("acct", first["id"])["is_muted"] is True

    asyncio.run(main())
    store.close()


@pytest.mark.parametrize("path", [":memory:", "file"])
def test_deletes_say_whether_they_deleted_on_both_backends(tmp_path: Path, path: str) -> None:
    location = ":memory:" if path == ":memory:" else str(tmp_path / "store.db")
    store = ConversationStore(location)

    async def main() -> None:
        created = await store.create("acct", {"contact_id": "contactAAAAAAAAA"})
        assert await store.delete("acct", created["id"]) is True
        assert await store.delete("acct", created["id"]) is False
        assert store.count() == 0

    asyncio.run(main())
    store.close()
