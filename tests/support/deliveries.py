"""Real webhook deliveries: the reference server's events for one create, update and delete."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from protocol_kit.conformance.webhooks import Delivery, Receiver
from protocol_kit.server.runner import running_server
from protocol_kit.server.webhooks import Endpoint


@contextmanager
def lifecycle_deliveries(
    token: str, secret: str, create: dict[str, Any], update: dict[str, Any]
) -> Iterator[tuple[list[Delivery], list[dict[str, Any]]]]:
    """The three deliveries the server sent, and the API's answers each event must carry
    (a deletion carries the conversation as it was just before: the update's answer)."""
    with Receiver() as receiver:
        endpoint = Endpoint(token, receiver.url, secret)
        with running_server(tokens=[token], webhooks=[endpoint]) as url:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api:
                made = api.post("/v1/conversations", json=create)
                cid = made.json()["id"]
                updated = api.put(f"/v1/conversations/{cid}", json=update)
                api.delete(f"/v1/conversations/{cid}")
            assert receiver.wait_for(lambda ds: len(ds) >= 3, 10)
            yield receiver.deliveries()[:3], [made.json(), updated.json(), updated.json()]
