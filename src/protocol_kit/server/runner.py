"""Run the reference server on loopback: in a background thread (for tests and `verify`) or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from protocol_kit.spec import Spec

from .app import create_app
from .docs_routes import DocsPage
from .http11 import HttpStack, LoopStack, uvicorn_options
from .webhooks import Endpoint


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    db: str | Path = ":memory:",
    tokens: Sequence[str] = ("test-token",),
    *,
    demo: bool = False,
    spec: Spec | None = None,
    host: str = "127.0.0.1",
    cors_origins: Sequence[str] = (),
    docs_page: DocsPage | None = None,
    http: HttpStack = "auto",
    loop: LoopStack = "auto",
    webhooks: Sequence[Endpoint] = (),
) -> Iterator[str]:
    """Start the server on a free port in a background thread; yield its base URL; stop it."""
    app = create_app(
        db,
        tokens,
        demo=demo,
        spec=spec,
        cors_origins=cors_origins,
        docs_page=docs_page,
        webhooks=webhooks,
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=free_port(host),
        # An embedded server reports through its caller; uvicorn's warnings about the malformed
        # requests that fuzzing sends on purpose would only interleave with that report.
        log_level="error",
        access_log=False,
        lifespan="off",
        **uvicorn_options(http, loop),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="reference-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the reference server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if app.state.deliverer is not None:
            app.state.deliverer.stop()
        app.state.store.close()
