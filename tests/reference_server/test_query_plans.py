"""Every list query the API allows walks an index (EXPLAIN QUERY PLAN), never the account's rows."""

from __future__ import annotations

import dataclasses
import itertools
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from protocol_kit.server.storage import (
    CURSOR_SQL,
    FIELDS,
    ConversationStore,
    ListQuery,
    page_statement,
)
from protocol_kit.spec import Spec

ACCOUNT = "account-of-the-plans"
_CURSORS = ("starting_after", "ending_before")
_PAGE_SIZE = "limit"


def _list_queries() -> list[tuple[ListQuery, int | None]]:
    """Every combination of the list operation's query parameters, as the store receives them.

    Read from the spec, so a new list parameter fails here until the store (and this test)
    know it: booleans absent/true/false, strings absent/present, at most one cursor.
    """
    spec = Spec.load()
    (operation,) = [op for op in spec.operations() if op.method == "GET" and op.pagination]
    fields = {field.name for field in dataclasses.fields(ListQuery)}
    axes: list[list[tuple[str, Any]]] = []
    for parameter in operation.parameters:
        if parameter.location != "query" or parameter.name in (_PAGE_SIZE, *_CURSORS):
            continue
        assert parameter.name in fields, f"list parameter {parameter.name!r} unknown to the store"
        types = parameter.schema.json_types()
        values: list[Any] = [True, False] if types == {"boolean"} else ["a-group"]
        axes.append([(parameter.name, None), *((parameter.name, value) for value in values)])
    names = {parameter.name for parameter in operation.parameters}
    assert set(_CURSORS) <= names and _PAGE_SIZE in names
    queries: list[tuple[ListQuery, int | None]] = []
    for combination in itertools.product(*axes):
        filters = {name: value for name, value in combination if value is not None}
        queries.append((ListQuery(limit=10, **filters), None))
        for cursor in _CURSORS:
            queries.append((ListQuery(limit=10, **filters, **{cursor: "a-cursor"}), 42))
    return queries


_QUERIES = _list_queries()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("plans") / "plans.db"
    ConversationStore(str(path)).close()  # the schema and indexes exactly as the server makes them
    return sqlite3.connect(path)


def _plan(db: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[str]:
    return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def test_every_filter_combination_is_enumerated() -> None:
    # muted, archived, pinned: absent/true/false; group_id: absent/present; 3 cursor states.
    assert len(_QUERIES) == 3 * 3 * 3 * 2 * 3


@pytest.mark.parametrize(
    ("query", "cursor_seq"), _QUERIES, ids=[repr(q).removeprefix("ListQuery") for q, _ in _QUERIES]
)
def test_list_page_searches_an_index(
    db: sqlite3.Connection, query: ListQuery, cursor_seq: int | None
) -> None:
    plan = _plan(db, *page_statement(ACCOUNT, query, cursor_seq))
    searches = [step for step in plan if step.startswith("SEARCH")]
    assert searches, plan
    assert not [step for step in plan if step.startswith("SCAN")], plan
    # A temporary B-tree would collect every match before sorting: linear in common matches.
    assert not [step for step in plan if "TEMP B-TREE" in step], plan
    for step in searches:
        assert "USING INDEX" in step or "USING COVERING INDEX" in step, plan
        assert "account=?" in step, plan
        equalities = step.split("(", 1)[1]
        for flag, column in (("muted", "is_muted"), ("pinned", "is_pinned")):
            if getattr(query, flag) is not None:
                assert f"{column}=?" in equalities, plan
        if query.group_id is not None:
            assert "group_id=?" in equalities, plan
        if cursor_seq is not None:
            assert "seq>?" in equalities or "seq<?" in equalities, plan


def test_cursor_lookup_searches_the_unique_id(db: sqlite3.Connection) -> None:
    plan = _plan(db, CURSOR_SQL, (ACCOUNT, "a-cursor"))
    assert len(plan) == 1 and plan[0].startswith("SEARCH") and "(id=?)" in plan[0], plan


def _conversations(count: int, seed: int, prefix: str = "c") -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        row: dict[str, Any] = dict.fromkeys(FIELDS)
        row.update(
            id=f"{prefix}{i:05d}",
            group_id=rng.choice([None, "a-group", "another-group"]),
            is_muted=rng.random() < 0.3,
            is_pinned=rng.random() < 0.3,
            created_at=1_700_000_000 + i,
            archived_at=1_700_000_000 + i if rng.random() < 0.3 else None,
        )
        rows.append(row)
    return rows


def _matches(row: dict[str, Any], query: ListQuery) -> bool:
    return (
        (query.muted is None or row["is_muted"] == query.muted)
        and (query.pinned is None or row["is_pinned"] == query.pinned)
        and (query.archived is None or (row["archived_at"] is not None) == query.archived)
        and (query.group_id is None or row["group_id"] == query.group_id)
    )


def test_every_combination_pages_through_exactly_its_matches() -> None:
    rows = _conversations(240, seed=7)
    store = ConversationStore()
    try:
        store.load(ACCOUNT, rows)
        store.load("another-account", _conversations(60, seed=8, prefix="other"))
        for query, _ in _QUERIES:
            if query.starting_after or query.ending_before:
                continue
            expected = [row["id"] for row in reversed(rows) if _matches(row, query)]
            query = dataclasses.replace(query, limit=7)
            seen: list[str] = []
            page, has_more = store.list(ACCOUNT, query)
            seen += [conversation["id"] for conversation in page]
            while has_more:
                page, has_more = store.list(
                    ACCOUNT, dataclasses.replace(query, starting_after=seen[-1])
                )
                seen += [conversation["id"] for conversation in page]
            assert seen == expected, query
            if len(expected) > 8:
                # Backwards: the 7 matches just newer than the 9th-newest, and the newest beyond.
                page, has_more = store.list(
                    ACCOUNT, dataclasses.replace(query, ending_before=expected[8])
                )
                assert [c["id"] for c in page] == expected[1:8] and has_more, query
    finally:
        store.close()


_OLD_SCHEMA = """
CREATE TABLE conversations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
    contact_id TEXT, group_id TEXT, pinned_message_id TEXT,
    is_pinned INTEGER NOT NULL DEFAULT 0, is_muted INTEGER NOT NULL DEFAULT 0,
    last_active_at INTEGER, last_opened_at INTEGER, created_at INTEGER NOT NULL,
    archived_at INTEGER
);
CREATE INDEX conversations_by_account ON conversations (account, seq);
CREATE INDEX conversations_by_group ON conversations (account, group_id, seq);
INSERT INTO conversations (account, id, is_muted, created_at) VALUES
    ('account-of-the-plans', 'old-one', 1, 1700000000),
    ('account-of-the-plans', 'old-two', 0, 1700000001);
PRAGMA user_version=1;
"""


def test_a_database_from_before_the_filter_indexes_gets_them_on_startup(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript(_OLD_SCHEMA)
    store = ConversationStore(str(path))
    try:
        page, has_more = store.list(ACCOUNT, ListQuery(limit=10, muted=True))
        assert [c["id"] for c in page] == ["old-one"] and not has_more
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        indexes = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
    assert {"conversations_by_flags", "conversations_by_group_flags"} <= indexes
