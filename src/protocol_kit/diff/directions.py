"""Which way a value travels, and so whom a narrower or a wider schema breaks."""

from __future__ import annotations

from dataclasses import dataclass

from .model import CLIENTS, RECEIVERS, SERVERS, Level


@dataclass(frozen=True)
class Direction:
    """Who writes a value (the producer) and who reads it (the consumer).

    A revision that accepts fewer values breaks the producer: what it wrote before may now be
    refused. One that accepts more breaks the consumer: it may now meet values it never
    expected. Servers consume requests strictly (an implementation of the old contract refuses
    what it does not know), so a wider request breaks them outright, and a narrower one
    possibly (they must now refuse what they accepted).
    """

    name: str  # the first word of a change's kind
    label: str  # how a message names it
    producer: str
    consumer: str
    # Values travel as text (parameters): a string schema then admits every number and boolean,
    # since their written form is a string too.
    text: bool = False

    def narrower(self, level: Level) -> dict[str, Level]:
        found = {self.producer: level}
        if self.consumer == SERVERS and level is not Level.COMPATIBLE:
            # The contract asks servers to refuse what it does not allow (the kit checks such
            # refusals): one that accepts what the old contract allowed may now be wrong.
            found[SERVERS] = Level.POSSIBLY
        return found

    def wider(self, level: Level, servers: Level = Level.BREAKING) -> dict[str, Level]:
        return {self.consumer: servers if self.consumer == SERVERS else level}

    def both(self, level: Level) -> dict[str, Level]:
        return {**self.narrower(level), **self.wider(level)}


REQUEST = Direction("request", "request", CLIENTS, SERVERS)
PARAMETER = Direction("request", "request", CLIENTS, SERVERS, text=True)
RESPONSE = Direction("response", "response", SERVERS, CLIENTS)
EVENT = Direction("event", "event", SERVERS, RECEIVERS)
