"""Every list query walks an index on PostgreSQL too (EXPLAIN), and pages exactly as SQLite does."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from protocol_kit.server.postgres import (
    CURSOR_SQL,
    PLAN_CACHE_MODE,
    PostgresStore,
    page_statement,
)
from protocol_kit.server.storage import FIELDS, ConversationStore, ListQuery
from tests.reference_server.test_query_plans import _QUERIES, ACCOUNT
from tests.support.postgres import closing_pool

_ROWS = 12_000  # enough that the planner prefers an index to reading the table
_ACCOUNTS = ("the-first-neighbour", ACCOUNT, "the-second-neighbour")
_INDEXES = {
    "conversations_by_account",
    "conversations_by_group",
    "conversations_by_flags",
    "conversations_by_group_flags",
}


def _conversations(count: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        row: dict[str, Any] = dict.fromkeys(FIELDS)
        row.update(
            id=f"{prefix}{i:06d}".ljust(16, "x"),
            group_id=rng.choice([None, "a-group", "another-group"]),
            is_muted=rng.random() < 0.3,
            is_pinned=rng.random() < 0.3,
            created_at=1_700_000_000 + i,
            archived_at=1_700_000_000 + i if rng.random() < 0.3 else None,
        )
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def store(database: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(database)
    for index, account in enumerate(_ACCOUNTS):
        opened.load(account, _conversations(_ROWS // len(_ACCOUNTS), index, f"a{index}"))
    with psycopg.connect(database, autocommit=True) as db:
        db.execute("ANALYZE conversations")
    yield opened
    opened.close()


def _served_plan(database: str, sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
    """The plan the server runs ``sql`` with: prepared, under its plan cache mode."""
    numbered = iter(range(1, len(params) + 1))
    prepared = re.sub("%s", lambda _: f"${next(numbered)}", sql)
    with psycopg.connect(database, autocommit=True) as db:
        db.execute(f"SET plan_cache_mode = {PLAN_CACHE_MODE}")  # type: ignore[arg-type]
        db.execute(f"PREPARE page AS {prepared}")  # type: ignore[arg-type]
        with psycopg.ClientCursor(db) as cursor:  # EXECUTE's arguments written as literals
            arguments = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE page({arguments})", params)  # type: ignore[arg-type]
            ((explained,),) = cursor.fetchall()
    return explained[0]["Plan"]  # type: ignore[no-any-return]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize(
    ("query", "cursor_seq"), _QUERIES, ids=[repr(q).removeprefix("ListQuery") for q, _ in _QUERIES]
)
def test_list_page_searches_an_index(
    store: PostgresStore, database: str, query: ListQuery, cursor_seq: int | None
) -> None:
    sql, params = page_statement(ACCOUNT, query, cursor_seq)
    nodes = list(_nodes(_served_plan(database, sql, params)))
    kinds = [node["Node Type"] for node in nodes]
    assert "Seq Scan" not in kinds and "Bitmap Heap Scan" not in kinds, kinds
    # A Sort of the matches would read them all before the LIMIT: linear in common matches.
    # Only the merge of the arms may sort, and each arm stops at the page's size.
    for sort in (node for node in nodes if node["Node Type"] == "Sort"):
        (append,) = sort["Plans"]
        assert append["Node Type"] == "Append", kinds
        assert all(arm["Node Type"] == "Limit" for arm in append["Plans"]), kinds
        for arm in append["Plans"]:
            assert "Sort" not in [n["Node Type"] for n in _nodes(arm)], kinds
    scans = [node for node in nodes if "Scan" in node["Node Type"]]
    assert scans, kinds
    for scan in scans:
        assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), kinds
        assert scan["Index Name"] in _INDEXES, scan["Index Name"]
        condition = scan.get("Index Cond", "")
        assert "account =" in condition, condition
        if query.group_id is not None:
            assert "group_id =" in condition, condition
        for flag, column in (("muted", "is_muted"), ("pinned", "is_pinned")):
            if getattr(query, flag) is not None:
                assert f"{column} =" in condition, condition
        if cursor_seq is not None:
            assert "seq >" in condition or "seq <" in condition, condition


def test_cursor_lookup_searches_the_unique_id(store: PostgresStore, database: str) -> None:
    with psycopg.connect(database) as db:
        ((explained,),) = db.execute(
            f"EXPLAIN (FORMAT JSON) {CURSOR_SQL}", (ACCOUNT, "a-cursor")
        ).fetchall()
    plan = explained[0]["Plan"]
    assert plan["Node Type"] == "Index Scan" and "id =" in plan["Index Cond"], plan


def test_every_combination_pages_as_sqlite_does(store: PostgresStore) -> None:
    reference = ConversationStore()
    try:
        for index, account in enumerate(_ACCOUNTS):
            reference.load(account, _conversations(_ROWS // len(_ACCOUNTS), index, f"a{index}"))
        asyncio.run(closing_pool(store, _compare(store, reference)))
    finally:
        reference.close()


async def _compare(store: PostgresStore, reference: ConversationStore) -> None:
    for query, cursor_seq in _QUERIES:
        if cursor_seq is not None:
            continue
        query = dataclasses.replace(query, limit=50)
        first = reference.list(ACCOUNT, query)
        assert await store.page(ACCOUNT, query) == first, query
        if len(first[0]) < 20:
            continue
        for cursor in ("starting_after", "ending_before"):
            moved = dataclasses.replace(query, **{cursor: first[0][10]["id"]})
            assert await store.page(ACCOUNT, moved) == reference.list(ACCOUNT, moved), moved
