"""`protocol-kit verify`: the conformance kit's command, with the bundled reference server for runs without BASE_URL."""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from protocol_kit.conformance import command
from protocol_kit.conformance.outcome import CouldNotRun
from protocol_kit.serve import new_token
from protocol_kit.spec import Spec


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command.register(subparsers, embedded=reference_server)


@contextmanager
def reference_server(
    spec: Spec, webhook: tuple[str, str] | None, *, supervised: bool = False
) -> Iterator[command.Target]:
    """The bundled reference server on a free port, a temporary database and four new tokens
    (two accounts for the behavioural suite, two for the schemathesis phase, which then runs
    alongside it); the first token's account sends its webhooks to ``webhook`` (URL, secret).
    ``supervised``: in a child process, started again whenever it exits (for a restart check)."""
    from protocol_kit.server.runner import running_server  # uvicorn: only for embedded runs
    from protocol_kit.server.supervised import supervised_server
    from protocol_kit.server.webhooks import Endpoint

    # uvicorn logs schemathesis' deliberately malformed probes as warnings: noise here.
    logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
    tokens = [new_token() for _ in range(4)]  # usable as printed: never a leading '-'
    endpoints = [Endpoint(tokens[0], *webhook)] if webhook else []
    with tempfile.TemporaryDirectory(prefix="protocol-kit-verify-") as tmp, ExitStack() as stack:
        try:
            start = supervised_server if supervised else running_server
            base_url = stack.enter_context(
                start(db=Path(tmp) / "verify.db", tokens=tokens, spec=spec, webhooks=endpoints)
            )
        except (RuntimeError, OSError) as exc:
            raise CouldNotRun(f"the bundled reference server did not start: {exc}") from exc
        print(
            f"started the bundled reference server at {base_url} "
            "(temporary database; generated tokens for two accounts, and two more for the "
            "schemathesis phase)",
            flush=True,
        )
        yield base_url, tokens[0], tokens[1], (tokens[2], tokens[3])
