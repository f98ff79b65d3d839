"""Webhook subscriptions of a store: which accounts' writes record events, and whom to wake after."""

from __future__ import annotations

from collections.abc import Callable, Mapping


class EventSubscriptions:
    """The part every store shares: the endpoints each account's events go to, and the
    deliverer's wake-up, called after each commit that may have recorded an event."""

    def __init__(self) -> None:
        # account -> the webhook endpoints (URLs) that get its events; see `subscribe`.
        self._endpoints: dict[str, tuple[str, ...]] = {}
        self._on_event: Callable[[], None] | None = None

    def subscribe(
        self, endpoints: Mapping[str, tuple[str, ...]], on_event: Callable[[], None]
    ) -> None:
        """Record events for these accounts' endpoints from now on; call ``on_event`` after each
        commit that recorded one."""
        self._endpoints = dict(endpoints)
        self._on_event = on_event

    def _subscribers(self, account: str, event: str | None) -> tuple[str, ...]:
        """The endpoints a write's event goes to: none when it reports no event."""
        return self._endpoints.get(account, ()) if event else ()

    def _committed(self) -> None:
        """After a commit: wake the deliverer (cheap: it only looks at what is due)."""
        if self._on_event is not None and self._endpoints:
            self._on_event()
