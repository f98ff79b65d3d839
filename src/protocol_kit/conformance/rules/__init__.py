"""The behavioural suite: hand-written rule groups, each a list of rules and one check function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protocol_kit.conformance.rules import (
    auth,
    concurrency,
    create,
    delivery,
    encoding,
    isolation,
    lifecycle,
    listing,
    protocol,
    restart,
    update,
    webhooks,
)
from protocol_kit.conformance.session import Session
from protocol_kit.conformance.verdicts import Rule


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    rules: list[Rule]
    check: Callable[[Session], None]
    needs_other_account: bool = False  # judges nothing without --other-token
    # Mostly waits (for webhooks): runs alongside the other groups, writing only between their
    # turns, so that each of them still has the accounts to itself.
    alongside: bool = False


# Run order matters: protocol audits every exchange the groups before it recorded.
GROUPS: list[Group] = [
    Group(
        m.GROUP,
        m.DESCRIPTION,
        m.RULES,
        m.check,
        getattr(m, "NEEDS_OTHER_ACCOUNT", False),
        getattr(m, "RUNS_ALONGSIDE", False),
    )
    for m in (
        lifecycle,
        create,
        update,
        concurrency,
        listing,
        auth,
        isolation,
        webhooks,
        delivery,
        restart,
        encoding,
        protocol,
    )
]
