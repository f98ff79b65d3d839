"""What a diff finds: changes, each with its level, whom it breaks, where and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Level(Enum):
    """How sure it is that a change breaks someone (ordered: compatible < possibly < breaking)."""

    COMPATIBLE = "compatible"
    POSSIBLY = "possibly breaking"
    BREAKING = "breaking"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Level.COMPATIBLE: 0, Level.POSSIBLY: 1, Level.BREAKING: 2}

# The three kinds of users a change reaches.
CLIENTS = "clients"  # code calling the API, the generated clients included
SERVERS = "servers"  # implementations of the API, judged by `protocol-kit verify`
RECEIVERS = "webhook receivers"  # endpoints the server sends events to
AUDIENCES = (CLIENTS, SERVERS, RECEIVERS)


@dataclass(frozen=True)
class Location:
    """A node of one side: its JSON pointer and where it is written (as `lint` counts)."""

    pointer: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.pointer} (line {self.line})" if self.line is not None else self.pointer


@dataclass(frozen=True)
class Change:
    """One difference between the two documents and what it does to each kind of user."""

    kind: str  # a stable id, e.g. ``request-property-became-required``
    level: Level  # the highest level of its impact
    impact: tuple[tuple[str, Level], ...]  # each audience it breaks, and how surely
    message: str
    context: str  # the operation, webhook or section it was found in
    base: Location | None
    revision: Location | None
    also_in: tuple[str, ...] = ()  # other operations the same change reaches

    @property
    def breaks(self) -> tuple[str, ...]:
        """The audiences it breaks (empty when compatible)."""
        return tuple(who for who, _ in self.impact)

    def level_for(self, audience: str) -> Level:
        return dict(self.impact).get(audience, Level.COMPATIBLE)

    def breaks_at_least(self, level: Level) -> bool:
        return any(lv.rank >= level.rank for _, lv in self.impact)


@dataclass
class Report:
    """The diff of two documents."""

    base: str  # how each side was named
    revision: str
    base_version: str
    revision_version: str
    changes: list[Change] = field(default_factory=list)

    def level(self, audience: str | None = None) -> Level:
        """The highest level of the changes (that break ``audience``, when given)."""
        levels = [c.level if audience is None else c.level_for(audience) for c in self.changes]
        return max(levels, key=lambda lv: lv.rank, default=Level.COMPATIBLE)

    def count(self, level: Level) -> int:
        return sum(1 for c in self.changes if c.level is level)
