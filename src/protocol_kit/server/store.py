"""The seam between the API and its database: what every storage back-end answers, and which one a `--db` names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from .storage import ConversationStore, ListQuery, OutboxRow

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class StorageUnavailable(Exception):
    """The database cannot be reached now; the same request may succeed once it is back."""


class ClaimsLost(Exception):
    """This process's claims on outbox rows lapsed: another may be sending those rows now."""


class Storage(Protocol):
    """Conversations and their webhook outbox, scoped by account.

    Writes are awaited and settle only once committed; a write that records an event puts it
    in the outbox in the same transaction. Reads see every write acknowledged before them, on
    any process sharing the database.
    """

    async def create(
        self, account: str, attributes: Mapping[str, Any], event: str | None = None
    ) -> dict[str, Any]: ...

    async def update(
        self,
        account: str,
        conversation_id: str,
        changes: Mapping[str, Any],
        event: str | None = None,
    ) -> dict[str, Any] | None: ...

    async def delete(
        self, account: str, conversation_id: str, event: str | None = None
    ) -> bool: ...

    async def find(self, account: str, conversation_id: str) -> dict[str, Any] | None: ...

    async def page(self, account: str, query: ListQuery) -> tuple[list[dict[str, Any]], bool]: ...

    def load(self, account: str, conversations: Iterable[Mapping[str, Any]]) -> None: ...

    def subscribe(
        self, endpoints: Mapping[str, tuple[str, ...]], on_event: Callable[[], None]
    ) -> None: ...

    def outbox_next(self, limit: int) -> list[OutboxRow]:
        """Claim up to ``limit`` pending rows for this process's deliverer, in commit order;
        never a subject's row while another process holds an earlier one of it."""
        ...

    def outbox_keep(self) -> None:
        """Keep the claimed rows claimed; raise `ClaimsLost` once they may not be."""
        ...

    def outbox_settle(
        self, done: Iterable[int], retries: Iterable[tuple[int, int, float]]
    ) -> None: ...

    def outbox_release(self) -> None:
        """Give up the claims on rows not settled (no delivery of them is in flight), so that
        another process may send them now."""
        ...

    def close(self) -> None: ...


def is_postgres(db: str | Path) -> bool:
    """Whether ``db`` is a PostgreSQL connection URL (anything else is a SQLite file)."""
    return str(db).startswith(_POSTGRES_SCHEMES)


def shown_database(db: str | Path) -> str:
    """``db`` as it may be printed: a URL without its password."""
    if not is_postgres(db):
        return str(db)
    parts = urlsplit(str(db))
    if parts.password is None:
        return str(db)
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def open_store(db: str | Path) -> Storage:
    """The store ``db`` names: a PostgreSQL URL, a SQLite file, or ``:memory:``."""
    if is_postgres(db):
        from .postgres import PostgresStore  # psycopg: only for servers that use it

        return PostgresStore(str(db))
    return ConversationStore(str(db))
