"""List: limits, filters and their combinations, order, cursors in both directions, has_more."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from protocol_kit.conformance.diffs import json_text
from protocol_kit.conformance.session import Session, page_items
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement

GROUP = "list"
DESCRIPTION = "GET /v1/conversations against a dataset the kit created and knows"
# What each rule's checks use as a means: the dataset is scoped by group_id and judged page by
# page in order, so most checks read their answer through the group filter and the order.
_SCOPED = ("LIST-ORDER", "LIST-FILTER-GROUP")
_FILTERED = ("LIST-FILTER-MUTED", "LIST-FILTER-ARCHIVED", "LIST-FILTER-PINNED")
# Walks page through filtered lists at many limits, following has_more.
_WALKS = (*_SCOPED, "LIST-LIMIT", "LIST-DEFAULT-LIMIT", "LIST-HAS-MORE", *_FILTERED)
_CURSORS = ("LIST-CURSOR-FORWARD", "LIST-CURSOR-BACKWARD")
RULES = [
    requirement("LIST-ORDER", GROUP),
    requirement("LIST-DEFAULT-LIMIT", GROUP, relies_on=_SCOPED),
    requirement("LIST-LIMIT", GROUP, relies_on=_SCOPED),
    requirement("LIST-LIMIT-BOUNDS", GROUP),
    requirement("LIST-FILTER-MUTED", GROUP, relies_on=_SCOPED),
    requirement("LIST-FILTER-ARCHIVED", GROUP, relies_on=_SCOPED),
    requirement("LIST-FILTER-PINNED", GROUP, relies_on=_SCOPED),
    requirement("LIST-FILTER-GROUP", GROUP),
    requirement("LIST-FILTER-COMBINED", GROUP, relies_on=(*_SCOPED, *_FILTERED)),
    requirement("LIST-FILTER-VALUES", GROUP),
    requirement("LIST-CURSOR-FORWARD", GROUP, relies_on=(*_WALKS, "LIST-FILTER-COMBINED")),
    requirement("LIST-CURSOR-BACKWARD", GROUP, relies_on=(*_WALKS, "LIST-FILTER-COMBINED")),
    requirement(
        "LIST-CURSOR-FILTERED-OUT",
        GROUP,
        relies_on=(*_SCOPED, "LIST-LIMIT", "LIST-FILTER-MUTED", *_CURSORS),
    ),
    requirement("LIST-HAS-MORE", GROUP, relies_on=("LIST-FILTER-GROUP",)),
    # The statement is the page "these rules together predict": it relies on all of them.
    requirement(
        "LIST-RANDOM-QUERIES",
        GROUP,
        relies_on=(*_WALKS, "LIST-FILTER-COMBINED", *_CURSORS, "LIST-CURSOR-FILTERED-OUT"),
    ),
    requirement("LIST-CURSOR-BOTH", GROUP),
    requirement("LIST-CURSOR-UNKNOWN", GROUP),
    requirement("LIST-UNKNOWN-PARAMETER", GROUP),
]

_FILTERS: dict[str, Callable[[dict[str, Any]], bool]] = {
    # .get: a conversation missing an attribute is judged by PROTO-RESPONSE-SHAPE, and simply
    # does not match here.
    "muted": lambda c: c.get("is_muted") is True,
    "archived": lambda c: c.get("archived_at") is not None,
    "pinned": lambda c: c.get("is_pinned") is True,
}


@dataclass
class _Dataset:
    """What the kit created, oldest first, with the state it gave each conversation."""

    items: list[dict[str, Any]]

    def newest_first(self, **filters: Any) -> list[str]:
        return [c["id"] for c in reversed(self.items) if _matches(c, filters)]

    def page(
        self, limit: int, *, after: str | None = None, before: str | None = None, **filters: Any
    ) -> tuple[list[str], bool]:
        """The page a conforming server answers, computed from the model."""
        ordered = [c["id"] for c in reversed(self.items)]
        if after is not None:
            ordered = ordered[ordered.index(after) + 1 :]
        if before is not None:
            ordered = ordered[: ordered.index(before)]
        by_id = {c["id"]: c for c in self.items}
        matching = [i for i in ordered if _matches(by_id[i], filters)]
        if before is not None:
            return matching[-limit:] if limit else [], len(matching) > limit
        return matching[:limit], len(matching) > limit


def _matches(conversation: dict[str, Any], filters: dict[str, Any]) -> bool:
    for name, wanted in filters.items():
        if name == "group_id":
            if conversation.get("group_id") != wanted:
                return False
        elif _FILTERS[name](conversation) != wanted:
            return False
    return True


def read_page(exchange: Exchange) -> tuple[list[dict[str, Any]], bool | None] | None:
    """(items, has_more) of a 200 list page, has_more None when it is not a boolean. Lenient on
    purpose: the page's shape is judged by PROTO-RESPONSE-SHAPE, so a missing has_more does not
    hide what the ids show."""
    data = page_items(exchange)
    if data is None:
        return None
    has_more = exchange.json.get("has_more")
    return data, has_more if isinstance(has_more, bool) else None


def _ids(ids: list[str]) -> list[str]:
    """Id lists go to the verdict as lists: it names the ids missing, extra or out of order."""
    return list(ids)


def _query(**params: Any) -> str:
    return "&".join(
        f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in params.items()
    )


class _Lister:
    """Fetches pages and compares them with the model, recording verdicts."""

    def __init__(self, s: Session, data: _Dataset) -> None:
        self.s, self.data = s, data
        self._last: Exchange | None = None  # the latest page fetched

    def fetch(self, rule_id: str, **params: Any) -> tuple[list[str], bool | None] | None:
        exchange = self.s.listing(**params)
        page = read_page(exchange)
        self.s.expect(
            rule_id,
            page is not None,
            f"GET ?{_query(**params)} must answer 200 with a list page",
            expected="200 {has_more, data}",
            actual=exchange.summary(),
            exchange=exchange,
        )
        self._last = exchange
        return ([c["id"] for c in page[0]], page[1]) if page is not None else None

    def compare(
        self,
        rule_id: str,
        params: dict[str, Any],
        expected: tuple[list[str], bool],
        *,
        has_more_rule: str = "LIST-HAS-MORE",
        ordered: bool = True,
    ) -> list[str] | None:
        got = self.fetch(rule_id, **params)
        if got is None:
            return None
        ids, has_more = got
        query = _query(**params)
        # Unordered: the rule judges which items a page holds, the order is LIST-ORDER's.
        same = ids == expected[0] if ordered else sorted(ids) == sorted(expected[0])
        self.s.expect(
            rule_id,
            same,
            f"GET ?{query} must list exactly the expected ids" + (" in order" if ordered else ""),
            expected=_ids(expected[0]),
            actual=_ids(ids),
            exchange=self._last,
        )
        if same:
            self.judge_has_more(has_more_rule, params, expected[1], has_more)
        return ids

    def judge_has_more(
        self, rule_id: str, params: dict[str, Any], expected: bool, has_more: bool | None
    ) -> None:
        """has_more of the latest page; a page without one is PROTO-RESPONSE-SHAPE's."""
        if has_more is None:
            return
        self.s.expect(
            rule_id,
            has_more == expected,
            f"GET ?{_query(**params)}: has_more must be {str(expected).lower()}",
            expected=expected,
            actual=has_more,
            exchange=self._last,
        )


def _build(s: Session) -> tuple[_Dataset, str, str, str]:
    """Create the dataset: a bulk group of max+1, then 24 conversations covering every
    muted/pinned/archived combination three times, with another group and a contact
    conversation interleaved."""
    items: list[dict[str, Any]] = []
    bulk, main, side = s.new_id(), s.new_id(), s.new_id()

    def make(body: dict[str, Any]) -> dict[str, Any]:
        made = s.require_created(None, s.create(body), "could not create the list dataset")
        # The model holds the target the kit sent: a create answer that does not echo it is
        # judged by the create rules, and the lists show whether it was stored.
        made.update(body)
        items.append(made)
        return made

    for _ in range(s.contract.limit_bounds[1] + 1):
        make({"group_id": bulk})
    combos = list(itertools.product([False, True], repeat=3)) * 3
    s.rng.shuffle(combos)
    # archived_at = 0 and a far-future stamp are archived too: truthiness or "archived by now"
    # bugs must show; the rest are ordinary past dates.
    stamps = [0, 4_102_444_800]
    for n, (muted, pinned, archived) in enumerate(combos):
        if n % 5 == 2:
            make({"group_id": side})
        if n == 11:
            make({"contact_id": s.new_id()})
        made = make({"group_id": main})
        change: dict[str, Any] = {}
        if muted:
            change["is_muted"] = True
        if pinned:
            change["is_pinned"] = True
        if archived:
            change["archived_at"] = (
                stamps.pop(0) if stamps else 1_500_000_000 + s.rng.randrange(10**8)
            )
        if n % 3 == 0:
            # A pinned message does not make the conversation pinned.
            change["pinned_message_id"] = s.new_id()
        if change:
            exchange = s.put(made["id"], change)
            s.setup(exchange.status == 200, "could not update the list dataset", exchange)
            # The model holds what a retrieve shows was stored: what the update answered, and
            # whether it was stored at all, is the update and lifecycle rules' to judge.
            read = s.get(made["id"])
            stored = s.conversation(read)
            s.setup(stored is not None, "could not read the list dataset back", read)
            assert stored is not None
            made.update({name: stored.get(name) for name in change})
    # Touch the oldest main conversations (update there and back, then retrieve): order is by
    # creation, so neither may move them up the list.
    oldest = [c for c in items if c.get("group_id") == main][:2]
    muted = _FILTERS["muted"](oldest[0])
    for flip in (not muted, muted):
        exchange = s.put(oldest[0]["id"], {"is_muted": flip})
        s.setup(exchange.status == 200, "could not update the list dataset", exchange)
    s.get(oldest[1]["id"])
    return _Dataset(items), bulk, main, side


def check(s: Session) -> None:
    s.part(_check_refusals, s)
    s.part(_check_dataset, s)


def _check_refusals(s: Session) -> None:
    """Queries that are wrong whatever the account holds."""
    low, high, _ = s.contract.limit_bounds
    for bad in (low - 1, high + 1, -1, "abc", "1.5", "5x", "2.5", "1_0", " 3", "0x10", "\u0665"):
        exchange = s.listing(limit=bad)
        s.expect_status("LIST-LIMIT-BOUNDS", exchange, 400, f"limit={bad!r} must answer 400")
    for name in _FILTERS:
        for value in ("maybe", "banana", "2", "truee", " true"):
            query: dict[str, Any] = {name: value}
            exchange = s.listing(**query)
            s.expect_status("LIST-FILTER-VALUES", exchange, 400, f"{name}={value} must answer 400")
    for value in ("abc", "a" * (s.contract.id_length + 1)):
        exchange = s.listing(group_id=value)
        s.expect_status("LIST-FILTER-VALUES", exchange, 400, f"group_id={value} must answer 400")
    for cursor in (s.new_id(), "abc"):
        for name in ("starting_after", "ending_before"):
            query = {name: cursor}
            exchange = s.listing(**query)
            s.expect_status(
                "LIST-CURSOR-UNKNOWN",
                exchange,
                400,
                f"{name}={cursor} (not one of the account's conversations) must answer 400",
            )


def _check_dataset(s: Session) -> None:
    data, bulk, main, side = _build(s)
    lister = _Lister(s, data)
    low, high, default = s.contract.limit_bounds
    everything = data.newest_first()
    main_ids = data.newest_first(group_id=main)
    n = len(main_ids)

    # Order: the whole account's newest items (all the kit's, every group) without filters,
    # so that neither a filter nor the page size decides it; how many is LIST-LIMIT's.
    recent = everything[:high]
    got = lister.fetch("LIST-ORDER", limit=high)
    if got is not None:
        s.expect(
            "LIST-ORDER",
            bool(got[0]) and got[0] == recent[: len(got[0])],
            "the unfiltered list must start with the kit's conversations, newest first",
            expected=_ids(recent),
            actual=_ids(got[0]),
            exchange=lister._last,
        )

    lister.compare("LIST-DEFAULT-LIMIT", {"group_id": main}, data.page(default, group_id=main))
    lister.compare("LIST-DEFAULT-LIMIT", {"group_id": bulk}, data.page(default, group_id=bulk))
    for limit in sorted({low, 2, 7, n - 1, n, n + 1, high}):
        lister.compare(
            "LIST-LIMIT", {"group_id": main, "limit": limit}, data.page(limit, group_id=main)
        )
    page = lister.compare(
        "LIST-LIMIT", {"group_id": bulk, "limit": high}, data.page(high, group_id=bulk)
    )
    if page:
        lister.compare(
            "LIST-CURSOR-FORWARD",
            {"group_id": bulk, "limit": high, "starting_after": page[-1]},
            data.page(high, group_id=bulk, after=page[-1]),
        )
    _check_filters(s, lister, data, main, side, high)
    _check_cursors(s, lister, data, main, side, bulk)
    _check_random_queries(s, lister, data, [main, side, bulk])

    read = s.send("GET", s.contract.item(main_ids[0]), params={"foo": "bar"})
    s.expect(
        "LIST-UNKNOWN-PARAMETER",
        read.status == 200,
        "unknown query parameters on a retrieve must be ignored",
        expected="200",
        actual=read.summary(),
        exchange=read,
    )
    baseline = lister.fetch("LIST-UNKNOWN-PARAMETER", group_id=main, limit=high)
    for extra in ({"foo": "bar"}, {"order": "asc", "offset": "3"}):
        got = lister.fetch("LIST-UNKNOWN-PARAMETER", group_id=main, limit=high, **extra)
        s.expect(
            "LIST-UNKNOWN-PARAMETER",
            baseline is not None and got == baseline,
            f"unknown parameters {json_text(extra)} must not change the answer",
            expected=baseline,
            actual=got,
            exchange=lister._last,
        )


def _check_filters(
    s: Session, lister: _Lister, data: _Dataset, main: str, side: str, high: int
) -> None:
    for name, matches in _FILTERS.items():
        rule_id = f"LIST-FILTER-{name.upper()}"
        for value in (True, False):
            lister.compare(
                rule_id,
                {"group_id": main, name: value, "limit": high},
                (data.newest_first(group_id=main, **{name: value}), False),
            )
            # Without group_id the kit's conversations are the account's newest: the page starts
            # with the kit's matching ones (as far as both go: how many is LIST-LIMIT's), and
            # every item on it must match.
            query = {name: value, "limit": high}
            exchange = s.listing(**query)
            page = read_page(exchange)
            expected = data.newest_first(**{name: value})[:high]
            listed = [c["id"] for c in page[0]] if page else []
            ok = (
                page is not None
                and all(matches(c) == value for c in page[0])
                and (bool(listed) or not expected)
                and listed[: len(expected)] == expected[: len(listed)]
            )
            s.expect(
                rule_id,
                ok,
                f"GET ?{name}={str(value).lower()} without group_id must list "
                "only matching conversations, the kit's first",
                expected=_ids(expected),
                actual=_ids([c["id"] for c in page[0]]) if page else exchange.summary(),
                exchange=exchange,
            )
    _check_spellings(s, main, high)
    for group in (side, s.new_id()):
        lister.compare(
            "LIST-FILTER-GROUP",
            {"group_id": group, "limit": high},
            (data.newest_first(group_id=group), False),
            ordered=False,
        )
    for muted, pinned, archived in itertools.product([True, False], repeat=3):
        filters = {"muted": muted, "pinned": pinned, "archived": archived}
        lister.compare(
            "LIST-FILTER-COMBINED",
            {"group_id": main, **filters, "limit": high},
            (data.newest_first(group_id=main, **filters), False),
        )
    for filters in (
        {"muted": True, "pinned": False},
        {"archived": False, "pinned": True},
        {"archived": True, "muted": False},
    ):
        lister.compare(
            "LIST-FILTER-COMBINED",
            {"group_id": main, **filters, "limit": high},
            (data.newest_first(group_id=main, **filters), False),
        )
        exchange = s.listing(**{**filters, "limit": high})
        page = read_page(exchange)
        ok = page is not None and all(
            all(_FILTERS[k](c) == v for k, v in filters.items()) for c in page[0]
        )
        s.expect(
            "LIST-FILTER-COMBINED",
            ok,
            f"GET ?{_query(**filters)} without group_id must "
            "list only conversations matching every filter",
            expected="all items match",
            actual=exchange.summary(),
            exchange=exchange,
        )


# Spellings a server may accept besides true/false and plain decimals, meaning the same.
_BOOLEAN_SPELLINGS = (("yes", True), ("NO", False), ("1", True), ("0", False), ("On", True))
_INTEGER_SPELLINGS = (("+3", 3), ("003", 3))


def _check_spellings(s: Session, main: str, high: int) -> None:
    """Alternative spellings are refused with 400, or understood exactly as the plain ones: the
    server's own answer to the plain spelling, so that what the plain one lists (the filters'
    and the limit's rules) does not decide this."""
    cases: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    for name in _FILTERS:
        for spelling, truth in _BOOLEAN_SPELLINGS:
            cases.append(({name: spelling, "limit": high}, {name: truth, "limit": high}, name))
    for number, size in _INTEGER_SPELLINGS:
        cases.append(({"limit": number}, {"limit": size}, "limit"))
    plain_pages: dict[str, list[str] | None] = {}
    for params, plain, name in cases:
        plain_query = _query(group_id=main, **plain)
        if plain_query not in plain_pages:
            plain_page = read_page(s.listing(group_id=main, **plain))
            plain_pages[plain_query] = [c["id"] for c in plain_page[0]] if plain_page else None
        expected = plain_pages[plain_query]
        if expected is None:
            continue  # the plain spelling's failure is the other rules' to report
        query = {"group_id": main, **params}
        exchange = s.listing(**query)
        page = read_page(exchange)
        got = [c["id"] for c in page[0]] if page else None
        rule_id = "LIST-LIMIT-BOUNDS" if name == "limit" else "LIST-FILTER-VALUES"
        s.expect(
            rule_id,
            exchange.status == 400 or got == expected,
            f"GET ?{_query(**query)} must answer 400, or the page of the plain spelling",
            expected=_ids(expected),
            actual=_ids(got) if got is not None else exchange.summary(),
            exchange=exchange,
        )


def _walk_forward(lister: _Lister, data: _Dataset, limit: int | None, **filters: Any) -> None:
    expected_all = data.newest_first(**filters)
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(expected_all) + 2):
        params: dict[str, Any] = dict(filters)
        if limit is not None:
            params["limit"] = limit
        if cursor is not None:
            params["starting_after"] = cursor
        size = limit if limit is not None else lister.s.contract.limit_bounds[2]
        expected = data.page(size, after=cursor, **filters)
        got = lister.fetch("LIST-CURSOR-FORWARD", **params)
        if got is None:
            return
        ids, has_more = got
        if not lister.s.expect(
            "LIST-CURSOR-FORWARD",
            ids == expected[0],
            f"GET ?{_query(**params)} must be the next page",
            expected=_ids(expected[0]),
            actual=_ids(ids),
            exchange=lister._last,
        ):
            return
        lister.judge_has_more("LIST-HAS-MORE", params, expected[1], has_more)
        seen += ids
        if has_more is False or not ids:  # a page without has_more: walk on to an empty one
            break
        cursor = ids[-1]
    lister.s.expect(
        "LIST-CURSOR-FORWARD",
        seen == expected_all,
        f"a forward walk (limit={limit}, {_query(**filters)}) must visit every "
        "matching item exactly once",
        expected=_ids(expected_all),
        actual=_ids(seen),
        exchange=lister._last,  # the page the walk ended on
    )


def _walk_backward(lister: _Lister, data: _Dataset, limit: int, start: str, **filters: Any) -> None:
    """From ``start`` (exclusive) towards the newest item, page by page."""
    expected_all = data.page(10**9, before=start, **filters)[0]
    seen: list[str] = []
    cursor = start
    for _ in range(len(expected_all) + 2):
        params = {**filters, "limit": limit, "ending_before": cursor}
        expected = data.page(limit, before=cursor, **filters)
        got = lister.fetch("LIST-CURSOR-BACKWARD", **params)
        if got is None:
            return
        ids, has_more = got
        if not lister.s.expect(
            "LIST-CURSOR-BACKWARD",
            ids == expected[0],
            f"GET ?{_query(**params)} must be the {limit} items just before "
            "the cursor, newest first",
            expected=_ids(expected[0]),
            actual=_ids(ids),
            exchange=lister._last,
        ):
            return
        lister.judge_has_more("LIST-HAS-MORE", params, expected[1], has_more)
        seen = ids + seen
        if has_more is False or not ids:  # a page without has_more: walk on to an empty one
            break
        cursor = ids[0]
    lister.s.expect(
        "LIST-CURSOR-BACKWARD",
        seen == expected_all,
        f"a backward walk (limit={limit}, {_query(**filters)}) must visit every "
        "matching item exactly once",
        expected=_ids(expected_all),
        actual=_ids(seen),
        exchange=lister._last,  # the page the walk ended on
    )


_RANDOM_QUERIES = 60


def _check_random_queries(s: Session, lister: _Lister, data: _Dataset, groups: list[str]) -> None:
    """Combinations the hand-picked checks may miss; always scoped to one of the kit's groups so
    the model knows the whole answer."""
    ids = [c["id"] for c in data.items]
    for _ in range(_RANDOM_QUERIES):
        filters: dict[str, Any] = {"group_id": s.rng.choice(groups)}
        for name in _FILTERS:
            choice = s.rng.choice([None, True, False])
            if choice is not None:
                filters[name] = choice
        limit = s.rng.choice([1, 2, 3, 5, 8, 13, 30])
        params: dict[str, Any] = {**filters, "limit": limit}
        cursor = s.rng.choice([None, *ids])
        direction = s.rng.choice(["starting_after", "ending_before"])
        if cursor is not None:
            params[direction] = cursor
        after = cursor if direction == "starting_after" else None
        before = cursor if direction == "ending_before" else None
        lister.compare(
            "LIST-RANDOM-QUERIES",
            params,
            data.page(limit, after=after, before=before, **filters),
            has_more_rule="LIST-RANDOM-QUERIES",
        )


def _check_cursors(
    s: Session, lister: _Lister, data: _Dataset, main: str, side: str, bulk: str
) -> None:
    main_ids = data.newest_first(group_id=main)
    n = len(main_ids)
    oldest, newest = main_ids[-1], main_ids[0]
    for limit in (1, 3, 7, None, n):
        _walk_forward(lister, data, limit, group_id=main)
    _walk_forward(lister, data, 2, group_id=main, muted=True)
    _walk_forward(lister, data, 1, group_id=main, archived=False, pinned=True)
    _walk_forward(lister, data, 4, group_id=main, pinned=False)
    for limit in (1, 4, 7, n):
        _walk_backward(lister, data, limit, oldest, group_id=main)
    # Filtered walks start at a conversation the filters match: a cursor they exclude is
    # LIST-CURSOR-FILTERED-OUT's.
    backward: list[tuple[int, dict[str, Any]]] = [
        (2, {"pinned": True}),
        (3, {"archived": True, "muted": False}),
    ]
    for limit, wanted in backward:
        matching = data.newest_first(group_id=main, **wanted)
        if matching:
            _walk_backward(lister, data, limit, matching[-1], group_id=main, **wanted)

    ends: list[tuple[dict[str, Any], tuple[list[str], bool]]] = [
        ({"group_id": main, "starting_after": oldest}, ([], False)),
        ({"group_id": main, "ending_before": newest}, ([], False)),
        ({"group_id": bulk, "starting_after": data.newest_first(group_id=bulk)[-1]}, ([], False)),
    ]
    for params, expected in ends:
        lister.compare(
            "LIST-CURSOR-FORWARD" if "starting_after" in params else "LIST-CURSOR-BACKWARD",
            params,
            expected,
        )

    side_ids = data.newest_first(group_id=side)
    middle = side_ids[len(side_ids) // 2]
    unmuted = data.newest_first(group_id=main, muted=False)[len(main_ids) // 4]
    for cursor, filters in (
        (middle, {"group_id": main}),
        (unmuted, {"group_id": main, "muted": True}),
        (main_ids[n // 2], {"group_id": side}),
    ):
        for limit in (2, 5):
            lister.compare(
                "LIST-CURSOR-FILTERED-OUT",
                {**filters, "limit": limit, "starting_after": cursor},
                data.page(limit, after=cursor, **filters),
            )
            lister.compare(
                "LIST-CURSOR-FILTERED-OUT",
                {**filters, "limit": limit, "ending_before": cursor},
                data.page(limit, before=cursor, **filters),
            )

    exchange = s.listing(group_id=main, starting_after=main_ids[2], ending_before=main_ids[5])
    s.expect_status(
        "LIST-CURSOR-BOTH",
        exchange,
        400,
        "starting_after and ending_before together must answer 400",
    )
    gone_ex = s.create({"group_id": s.new_id()})
    gone = s.conversation(gone_ex)
    unknown = [newest.swapcase()]
    if gone is not None:
        s.send("DELETE", s.contract.item(gone["id"]))
        # Only a conversation the server shows gone is an unknown cursor: a delete that does
        # not delete is the lifecycle rules' to report.
        if s.get(gone["id"]).status == 404:
            unknown.append(gone["id"])
    for cursor in unknown:
        if cursor == newest:
            continue
        for name in ("starting_after", "ending_before"):
            query = {name: cursor}
            exchange = s.listing(**query)
            s.expect_status(
                "LIST-CURSOR-UNKNOWN",
                exchange,
                400,
                f"{name}={cursor} (not one of the account's conversations) must answer 400",
            )
