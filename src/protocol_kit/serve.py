"""`protocol-kit serve`: run the reference server in the foreground."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import secrets
import signal
import socket
import sqlite3
import string
import sys
from pathlib import Path
from types import FrameType
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
Stop it with Ctrl-C (or SIGTERM).

Besides the API, the server answers paths of its own, outside the API and without a token:
GET /docs (the HTML reference, its base URL and try-it forms pointing at this server),
GET / (a redirect to /docs), GET /openapi.json and GET /openapi.yaml (the spec it serves).
Pages from other origins may call the API only from the origins given with --cors-origin."""
_EPILOG = """\
exit status: 0 after a clean stop (Ctrl-C or SIGTERM: the database file then holds everything
on its own, its write-ahead log folded in); 2 when it cannot start, before the database is
opened unless the database is at fault: wrong arguments (a port outside 1-65535 included), a
spec or --webhooks file that cannot be read or is not valid, the address or port in use, a
database that cannot be opened (each message names the file, option or port)."""
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_TOKEN_LENGTH = 32


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve",
        help="run the reference server",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=_port, default=8000, help="port to listen on, 1-65535 (default: %(default)s)"
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
    # Before the app starts: its webhook deliverer logs from the start.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    # In the order that changes nothing before everything is known to be right: what is read,
    # then the port (held from here on), and only then the database, which is created and migrated.
    try:
        _origins(args.cors_origin)
        webhooks = _webhooks(args.webhooks)
        if not tokens and webhooks:
            raise ValueError("--webhooks: each endpoint names an account by its --token; give them")
        unknown = [e for e in webhooks if e.token not in tokens]
        if unknown:
            raise ValueError(f"--webhooks: {unknown[0]!r} names a token not given with --token")
        spec = _spec(args.spec)
        listener = _listen(args.host, args.port)
    except (SpecError, ValueError, _CannotListen) as exc:
        print(f"protocol-kit serve: {exc}", file=sys.stderr)
        return 2
    if not tokens:
        tokens = [new_token()]
        print(f"No --token given; generated one for this run: {tokens[0]}", file=sys.stderr)
    with listener:
        try:
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
        except (sqlite3.Error, RuntimeError, OSError) as exc:
            print(f"protocol-kit serve: {_database_problem(args.db, exc)}", file=sys.stderr)
            return 2
        except ValueError as exc:  # the spec asks for something the server cannot do
            print(f"protocol-kit serve: {exc}", file=sys.stderr)
            return 2
        print(
            f"Serving the Protocol Conversations API on http://{args.host}:{args.port} "
            f"(database: {shown_database(args.db)}, {len(tokens)} account(s){', demo data loaded' if args.demo else ''}"
            f"{f', {len(webhooks)} webhook endpoint(s)' if webhooks else ''}); "
            f"its docs: http://{args.host}:{args.port}/docs",
            file=sys.stderr,
        )
        config = uvicorn.Config(
            app,
            access_log=False,  # the server's own access log (above) never shows tokens or queries
            log_level="warning",
            lifespan="off",
            **uvicorn_options(args.http, args.loop),
        )
        try:
            _serve(uvicorn.Server(config), listener)
        finally:
            # A clean stop: the deliverer lets go of the database, then the store folds its
            # write-ahead log into the database file, which then stands alone.
            if app.state.deliverer is not None:
                app.state.deliverer.stop()
            app.state.store.close()
    return 0


class _CannotListen(Exception):
    """The address or port cannot be listened on."""


class _Stopped(Exception):
    """SIGTERM: stop as Ctrl-C stops."""


def _serve(server: uvicorn.Server, listener: socket.socket) -> None:
    """Run until Ctrl-C or SIGTERM. uvicorn shuts down on either, then raises the signal again
    for whoever ran it: SIGINT as KeyboardInterrupt, SIGTERM through the handler set here."""

    def stopped(signum: int, frame: FrameType | None) -> None:
        raise _Stopped

    previous = signal.signal(signal.SIGTERM, stopped)
    try:
        server.run(sockets=[listener])
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _spec(path: str | None) -> Spec:
    """The spec to serve; one the user gives must be valid OpenAPI (SpecError naming its first
    problem as lint does). The bundled one is checked by the tests, not at every start."""
    spec = Spec.load(path)
    if path is not None:
        from protocol_kit.generator.cache import cache_dir
        from protocol_kit.spec.problems import blocking_problems

        problems = blocking_problems(spec, cache=cache_dir("valid"))
        if problems:
            more = f" (and {len(problems) - 1} more: see `protocol-kit lint {path}`)"
            raise SpecError(f"{problems[0]}{more if len(problems) > 1 else ''}")
    return spec


def _origins(origins: list[str]) -> None:
    from protocol_kit.server.docs_routes import cors_origin

    for origin in origins:
        try:
            cors_origin(origin)
        except ValueError as exc:
            raise ValueError(f"--cors-origin: {exc}") from exc


def _port(value: str) -> int:
    """A TCP port to listen on, 1 to 65535 (0 would be one the system picks, never printed)."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``; _CannotListen naming both when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it an answer written in two parts waits out the client's delayed ACK (40 ms).
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # As uvicorn binds: a port left in TIME_WAIT by the last run may be taken again at once.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or exc
        raise _CannotListen(f"cannot listen on {host}:{port}: {reason}") from exc
    return listener


def _database_problem(db: str, exc: Exception) -> str:
    """``exc`` with the database's path, and the reason where SQLite's own words hide it."""
    from protocol_kit.server.store import is_postgres, shown_database

    if is_postgres(db):
        return f"cannot open the database {shown_database(db)}: {exc}"
    path, reason = Path(db), str(exc)
    if db != ":memory:":
        if path.is_dir():
            reason = "it is a directory"
        elif path.parent.exists() and not path.parent.is_dir():
            reason = f"{path.parent} is not a directory"
        elif not path.parent.exists():
            reason = f"its directory {path.parent} does not exist"
    return f"cannot open the database {db}: {reason}"


def _webhooks(path: str | None) -> list[Endpoint]:
    """The endpoints from ``--webhooks FILE`` and ``PROTOCOL_WEBHOOKS``; ValueError naming which
    of the two is wrong, and how."""
    from protocol_kit.server.webhooks import parse_endpoints

    endpoints = []
    if path is not None:
        try:
            endpoints += parse_endpoints(Path(path).read_bytes().decode("utf-8"))
        except OSError as exc:
            raise ValueError(f"--webhooks: cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise ValueError(f"--webhooks {path}: not UTF-8 text (byte {exc.start})") from exc
        except ValueError as exc:
            raise ValueError(f"--webhooks {path}: {exc}") from exc
    if os.environ.get("PROTOCOL_WEBHOOKS", "").strip():
        try:
            endpoints += parse_endpoints(os.environ["PROTOCOL_WEBHOOKS"])
        except ValueError as exc:
            raise ValueError(f"PROTOCOL_WEBHOOKS: {exc}") from exc
    return endpoints
