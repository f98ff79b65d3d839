"""`protocol-kit serve` replicas on one PostgreSQL database, each with the same accounts and
webhook endpoints, and HAProxy in front of them (started with a generated configuration)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from protocol_kit.server.runner import free_port

from .serving import ServeProcess, stop

_HAPROXY_CONFIG = """\
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A replica that refuses the connection (killed) is skipped for the other one.
    retries 3
    option redispatch
frontend api
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /openapi.json
{servers}
"""


def replica(
    database: str,
    tokens: Sequence[str],
    log: Path,
    webhooks: Sequence[dict[str, str]] = (),
) -> ServeProcess:
    """A `serve` process on ``database`` (not started), sending its accounts' events to
    ``webhooks`` (``{"token", "url", "secret"}`` each)."""
    env = {"PROTOCOL_WEBHOOKS": json.dumps(list(webhooks))} if webhooks else {}
    return ServeProcess(database, tokens, log, env=env)


@contextmanager
def load_balancer(replicas: Sequence[ServeProcess], root: Path) -> Iterator[str]:
    """HAProxy on a free loopback port, round-robin over ``replicas``; yield its URL."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    port = free_port()
    servers = "\n".join(
        f"    server r{i} 127.0.0.1:{r.port} check inter 300ms fall 2 rise 1"
        for i, r in enumerate(replicas)
    )
    config = root / "haproxy.cfg"
    config.write_text(_HAPROXY_CONFIG.format(port=port, servers=servers), encoding="utf-8")
    with (root / "haproxy.log").open("ab") as log:
        proc = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"haproxy exited: {(root / 'haproxy.log').read_text()}")
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("haproxy did not answer within 10 s")
            time.sleep(0.05)
        yield url
    finally:
        stop(proc)
