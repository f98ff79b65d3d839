"""Isolation: a second account can neither see nor touch the first one's conversations."""

from __future__ import annotations

from protocol_kit.conformance.rules.listing import read_page
from protocol_kit.conformance.session import Account, Session
from protocol_kit.conformance.verdicts import requirement

GROUP = "isolation"
DESCRIPTION = "two accounts (needs --other-token)"
NEEDS_OTHER_ACCOUNT = True
RULES = [
    requirement("ISOLATION-GET", GROUP),
    requirement("ISOLATION-UPDATE", GROUP),
    requirement("ISOLATION-DELETE", GROUP),
    # The shared group's list is read through the group filter.
    requirement("ISOLATION-LIST", GROUP, relies_on=("LIST-FILTER-GROUP",)),
    # Another account's id is judged as the unknown cursor it is to this account.
    requirement("ISOLATION-CURSOR", GROUP, relies_on=("LIST-CURSOR-UNKNOWN",)),
    requirement("ISOLATION-CREATE", GROUP),
]
_PAGE_WALK_LIMIT = 20  # pages of the other account's list to scan (100 items each)


def check(s: Session) -> None:
    if s.other is None:
        for rule in RULES:
            s.ledger.skip(rule.id, "no --other-token given: a second account is needed")
        return
    other = s.other
    group_id = s.new_id()
    mine_ex = s.create({"group_id": group_id})
    mine = s.require_created(None, mine_ex, "could not create a conversation")
    item = s.contract.item(mine["id"])

    s.expect_status(
        "ISOLATION-GET",
        s.get(mine["id"], account=other),
        404,
        "GET of another account's conversation must answer 404",
    )
    change = {"is_muted": mine.get("is_muted") is not True}
    s.expect_status(
        "ISOLATION-UPDATE",
        s.put(mine["id"], change, account=other),
        404,
        "PUT on another account's conversation must answer 404",
    )
    s.expect_status(
        "ISOLATION-DELETE",
        s.send("DELETE", item, account=other),
        404,
        "DELETE of another account's conversation must answer 404",
    )
    read = s.get(mine["id"])
    # The attributes the other account's PUT tried to change: whether a retrieve changes
    # anything else is LIFECYCLE-GET-NO-SIDE-EFFECTS's.
    kept = {name: mine.get(name) for name in change}
    stored = s.conversation(read)
    s.expect(
        "ISOLATION-UPDATE",
        read.status == 200
        and stored is not None
        and {name: stored.get(name) for name in change} == kept,
        "after the other account's PUT and DELETE the conversation must be unchanged",
        expected=kept,
        actual=read.summary(),
        exchange=read,
    )
    s.expect(
        "ISOLATION-DELETE",
        read.status == 200,
        "after the other account's DELETE the conversation must still exist",
        expected="200",
        actual=read.summary(),
        exchange=read,
    )

    for name in ("starting_after", "ending_before"):
        exchange = s.listing(other, **{name: mine["id"]})
        s.expect_status(
            "ISOLATION-CURSOR",
            exchange,
            400,
            f"{name}=<another account's conversation> must answer 400",
        )

    theirs_ex = s.create({"group_id": group_id}, account=other)
    theirs = s.conversation(theirs_ex)
    s.expect(
        "ISOLATION-CREATE",
        # Created at all: the status code is LIFECYCLE-CREATE-201's.
        200 <= theirs_ex.status < 300 and theirs is not None,
        "the other account must be able to create in a group id the first one uses",
        expected="201",
        actual=theirs_ex.summary(),
        exchange=theirs_ex,
    )
    theirs_id = theirs["id"] if theirs is not None else None
    for account, own, foreign in ((s.main, mine["id"], theirs_id), (other, theirs_id, mine["id"])):
        _check_group_list(s, account, group_id, own, foreign)
    if theirs is not None:
        s.expect_status(
            "ISOLATION-GET",
            s.get(theirs["id"]),
            404,
            "the first account must not see the second one's conversation",
        )
        exchange = s.listing(starting_after=theirs["id"])
        s.expect_status(
            "ISOLATION-CURSOR",
            exchange,
            400,
            "the second account's id must not be a cursor for the first",
        )
    _check_full_list(s, other, {mine["id"]})


def _check_group_list(
    s: Session, account: Account, group_id: str, own: str | None, foreign: str | None
) -> None:
    # A limit above the one conversation: the full-page edge of has_more is LIST-HAS-MORE's.
    exchange = s.listing(account, group_id=group_id, limit=2)
    page = read_page(exchange)
    ids = [c["id"] for c in page[0]] if page else None
    if own is not None and page is not None and page[1] is not None:
        s.expect(
            "ISOLATION-LIST",
            page[1] is False,
            "has_more must not count another account's conversations",
            expected=False,
            actual=page[1],
            exchange=exchange,
        )
    rule = "ISOLATION-LIST" if own is not None else "ISOLATION-CREATE"
    s.expect(
        rule,
        ids == ([own] if own else []),
        f"the {account.label} account's list of a shared group must hold only its own conversation",
        expected=[own] if own else [],
        actual=exchange.summary(),
        exchange=exchange,
    )
    if foreign is not None and ids is not None:
        s.expect(
            "ISOLATION-LIST",
            foreign not in ids,
            "a list must never show another account's conversation",
            expected=f"{foreign} absent",
            actual=ids,
            exchange=exchange,
        )


def _check_full_list(s: Session, account: Account, foreign: set[str]) -> None:
    """Walk the other account's whole list (bounded) looking for the first account's ids."""
    cursor = None
    for _ in range(_PAGE_WALK_LIMIT):
        params = {"limit": s.contract.limit_bounds[1]}
        if cursor:
            params["starting_after"] = cursor
        exchange = s.listing(account, **params)
        page = read_page(exchange)
        if page is None:
            return
        leaked = foreign & {c["id"] for c in page[0]}
        if not s.expect(
            "ISOLATION-LIST",
            not leaked,
            "the other account's unfiltered list must not "
            "contain the first account's conversations",
            expected="none",
            actual=sorted(leaked),
            exchange=exchange,
        ):
            return
        if page[1] is False or not page[0]:
            return
        cursor = page[0][-1]["id"]
