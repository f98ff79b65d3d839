"""The behavioural suite: hand-written rule groups, each a list of rules and one check function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protocol_kit.conformance.rules import (
    auth,
    create,
    isolation,
    lifecycle,
    listing,
    protocol,
    update,
)
from protocol_kit.conformance.session import Session
from protocol_kit.conformance.verdicts import Rule


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    rules: list[Rule]
    check: Callable[[Session], None]


# Run order matters: protocol audits every exchange the groups before it recorded.
GROUPS: list[Group] = [
    Group(m.GROUP, m.DESCRIPTION, m.RULES, m.check)
    for m in (lifecycle, create, update, listing, auth, isolation, protocol)
]
