"""`protocol-kit serve`: run the reference server in the foreground."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sqlite3
import string
import sys
from typing import TYPE_CHECKING

import uvicorn

from .spec import Spec, SpecError

if TYPE_CHECKING:
    from protocol_kit.server.webhooks import Endpoint

_DESCRIPTION = """\
Run the reference server of the Protocol Conversations API on uvicorn. Requests are
validated against the spec; data is kept in SQLite, or in PostgreSQL with
--db postgresql://USER@HOST/DB, which several servers (replicas) may share.
Each bearer token is one account.
One access-log line is printed per request (method, path, status, milliseconds).
With webhook endpoints configured (--webhooks FILE or PROTOCOL_WEBHOOKS, a JSON list of
{"token", "url", "secret"}: the account, by its token, and where its events go), each write's
events are delivered in the background by a child process (holding DB-deliverer.lock beside
the database), with one log line per delivery attempt (event id, type, endpoint, attempt,
status). Tokens and secrets are never logged.
Stop it with Ctrl-C.

Besides the API, the server answers three paths of its own, outside the API and without a
token: GET /docs (the HTML reference, its base URL and try-it forms pointing at this server),
GET /openapi.json and GET /openapi.yaml (the spec it serves). Pages from other origins may
call the API only from the origins given with --cors-origin."""
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_TOKEN_LENGTH = 32


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve",
        help="run the reference server",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--db",
        default="./protocol.db",
        help="SQLite database file, created if missing; ':memory:' keeps nothing; or a "
        "PostgreSQL URL, postgresql://USER[:PASSWORD]@HOST[:PORT]/DB, its schema created or "
        "migrated on start (default: %(default)s)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="accept this bearer token (repeatable; each token is one account). Also read from "
        "PROTOCOL_TOKENS (comma-separated). With none, one random token is generated and printed.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="load the spec's example conversations (e.g. xgQQXg3hrtjh7AvZ) into the first "
        "token's account, so the documentation's samples work as written",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let pages from ORIGIN (scheme://host[:port]) call the API from a browser "
        "(repeatable; default: none, same-origin only, as /docs is)",
    )
    parser.add_argument(
        "--spec", default=None, help="OpenAPI document to serve (default: the bundled one)"
    )
    parser.add_argument(
        "--http",
        choices=("auto", "httptools", "h11"),
        default="auto",
        help="HTTP/1.1 parser: httptools (compiled) or h11 (pure Python); auto takes httptools "
        "when installed (default: %(default)s)",
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="event loop: uvloop (compiled; not on Windows) or asyncio; auto takes uvloop when "
        "installed (default: %(default)s)",
    )
    parser.add_argument(
        "--webhooks",
        default=None,
        metavar="FILE",
        help='webhook endpoints: a JSON file [{"token": ..., "url": ..., "secret": ...}]; each '
        "gets the events of its token's account. Also read from PROTOCOL_WEBHOOKS (the same JSON).",
    )
    parser.set_defaults(func=run)


def new_token() -> str:
    """A random token that can be pasted back as printed: ``--token X``, a shell, a header.

    Letters and digits only: URL-safe base64 also draws ``-`` and ``_``, and a token that starts
    with ``-`` reads as an option to the argument parser. 32 of 62 symbols is about 190 bits.
    """
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_LENGTH))


def run(args: argparse.Namespace) -> int:
    from protocol_kit.generator.reference import docs_page
    from protocol_kit.server.app import create_app
    from protocol_kit.server.http11 import uvicorn_options
    from protocol_kit.server.store import shown_database

    tokens = list(args.token)
    tokens += [t.strip() for t in os.environ.get("PROTOCOL_TOKENS", "").split(",") if t.strip()]
    if not tokens:
        tokens = [new_token()]
        print(f"No --token given; generated one for this run: {tokens[0]}", file=sys.stderr)
    # Before the app starts: its webhook deliverer logs from the start.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        webhooks = _webhooks(args.webhooks)
        spec = Spec.load(args.spec)
        app = create_app(
            args.db,
            tokens,
            demo=args.demo,
            spec=spec,
            cors_origins=args.cors_origin,
            docs_page=docs_page(spec),
            webhooks=webhooks,
            access_log=sys.stderr,
        )
    except (SpecError, OSError, ValueError, sqlite3.Error) as exc:
        print(f"protocol-kit serve: {exc}", file=sys.stderr)
        return 2
    print(
        f"Serving the Protocol Conversations API on http://{args.host}:{args.port} "
        f"(database: {shown_database(args.db)}, {len(tokens)} account(s){', demo data loaded' if args.demo else ''}"
        f"{f', {len(webhooks)} webhook endpoint(s)' if webhooks else ''}); "
        f"its docs: http://{args.host}:{args.port}/docs",
        file=sys.stderr,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,  # the server's own access log (above) never shows tokens or queries
        log_level="warning",
        lifespan="off",
        **uvicorn_options(args.http, args.loop),
    )
    return 0


def _webhooks(path: str | None) -> list[Endpoint]:
    """The endpoints from ``--webhooks FILE`` and ``PROTOCOL_WEBHOOKS``."""
    from protocol_kit.server.webhooks import parse_endpoints

    endpoints = []
    if path is not None:
        with open(path, encoding="utf-8") as config:
            endpoints += parse_endpoints(config.read())
    if os.environ.get("PROTOCOL_WEBHOOKS", "").strip():
        endpoints += parse_endpoints(os.environ["PROTOCOL_WEBHOOKS"])
    return endpoints
