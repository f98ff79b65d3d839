"""The Starlette application: routes come from the spec's paths, handlers are keyed by method and path kind."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from protocol_kit.spec import Spec

from .access_log import AccessLog
from .auth import Accounts, account_of
from .delivery import start_delivery
from .demo import example_conversations
from .docs_routes import DocsPage, allow_origins, docs_routes
from .errors import ApiError, error_body, error_response
from .responses import JSONResponse
from .storage import ListQuery, UnknownCursor
from .store import Storage, StorageUnavailable, open_store
from .validation import OperationRequest
from .webhooks import Endpoint, event_types, signature_header


@dataclass
class Call:
    """One authenticated request, parsed and validated against its operation."""

    account: str
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    # The webhook event type a successful call of this operation sends, if the spec has one.
    event: str | None = None


Handler = Callable[[Storage, Call], Awaitable[Response]]


async def _list(store: Storage, call: Call) -> Response:
    if "starting_after" in call.query and "ending_before" in call.query:
        raise ApiError(400, "Use either `starting_after` or `ending_before`, not both.")
    try:
        page, has_more = await store.page(call.account, ListQuery(**call.query))
    except UnknownCursor as exc:
        name = "starting_after" if "starting_after" in call.query else "ending_before"
        raise ApiError(
            400, f"Query parameter `{name}`: no conversation with id `{exc}` in your account."
        ) from exc
    return JSONResponse({"has_more": has_more, "data": page})


async def _create(store: Storage, call: Call) -> Response:
    return JSONResponse(await store.create(call.account, call.body, call.event), 201)


async def _get(store: Storage, call: Call) -> Response:
    return JSONResponse(_found(await store.find(call.account, call.path["id"]), call.path["id"]))


async def _update(store: Storage, call: Call) -> Response:
    updated = await store.update(call.account, call.path["id"], call.body, call.event)
    return JSONResponse(_found(updated, call.path["id"]))


async def _delete(store: Storage, call: Call) -> Response:
    if not await store.delete(call.account, call.path["id"], call.event):
        raise _not_found(call.path["id"])
    return Response(status_code=204)


# By method and by whether the path names one object (has a path parameter) or the collection.
HANDLERS: dict[tuple[str, bool], Handler] = {
    ("GET", False): _list,
    ("POST", False): _create,
    ("GET", True): _get,
    ("PUT", True): _update,
    ("DELETE", True): _delete,
}


def _found(conversation: dict[str, Any] | None, conversation_id: str) -> dict[str, Any]:
    if conversation is None:
        raise _not_found(conversation_id)
    return conversation


def _not_found(conversation_id: str) -> ApiError:
    shown = conversation_id if len(conversation_id) <= 40 else conversation_id[:40] + "…"
    return ApiError(404, f"No conversation with id `{shown}` in your account.")


def create_app(
    db: str | Path = ":memory:",
    tokens: Iterable[str] = (),
    *,
    demo: bool = False,
    spec: Spec | None = None,
    cors_origins: Sequence[str] = (),
    docs_page: DocsPage | None = None,
    webhooks: Sequence[Endpoint] = (),
    access_log: TextIO | None = None,
) -> Starlette:
    """The reference server for ``spec`` (default: the bundled one), storing in ``db``.

    It also serves its spec and, given ``docs_page``, its docs (docs_routes); pages from
    ``cors_origins`` may call it cross-origin. With ``webhooks``, each write's events go to the
    outbox in the write's own transaction and a background deliverer sends them
    (``app.state.deliverer``; stop it before the store). Given ``access_log``, each request's
    line goes there.
    """
    spec = spec or Spec.load()
    tokens = list(tokens)
    accounts = Accounts(tokens)
    store = open_store(db)
    if demo:
        store.load(account_of(tokens[0]), example_conversations(spec))
    events = event_types(spec)
    deliverer = None
    if webhooks:
        unknown = [e for e in webhooks if e.account not in accounts]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is registered for a token this server does not accept"
            )
        deliverer = start_delivery(store, db, webhooks, signature_header(spec))

    routes = []
    by_path: dict[str, dict[str, tuple[OperationRequest, Handler, str | None]]] = {}
    for operation in spec.operations():
        handler = HANDLERS.get((operation.method, bool(operation.path_parameters)))
        if handler is None:
            raise ValueError(f"no handler for operation {operation.id!r}")
        by_path.setdefault(operation.path, {})[operation.method] = (
            OperationRequest(spec, operation),
            handler,
            events.get(operation.id) if webhooks else None,
        )
    for path, methods in by_path.items():
        endpoint = _endpoint(methods, accounts, store, spec.max_body_bytes)
        route = Route(path, endpoint, methods=list(methods))
        route.methods = set(methods)  # Starlette adds HEAD to GET routes; the contract doesn't
        routes.append(route)
    routes += docs_routes(spec, docs_page)

    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: _http_exception,
            ApiError: _api_error,
            StorageUnavailable: _unavailable,
            Exception: _server_error,
        },
    )
    app.router.redirect_slashes = False  # `/v1/conversations/` is an unknown path, not a redirect
    app.state.store = store
    app.state.deliverer = deliverer
    if access_log is not None:
        app.add_middleware(AccessLog, stream=access_log)
    allow_origins(app, cors_origins, spec)
    return app


def _endpoint(
    methods: dict[str, tuple[OperationRequest, Handler, str | None]],
    accounts: Accounts,
    store: Storage,
    max_body_bytes: int | None,
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        operation, handler, event = methods[request.method]
        account = accounts.authenticate(request.headers.get("authorization"))
        if not operation.path_is_valid(request.path_params):
            raise _not_found(str(request.path_params.get("id", "")))
        query: dict[str, Any] = {}
        if operation.reads_query:
            # As Starlette reads `request.query_params`, without building its multi-dict.
            pairs = parse_qsl(
                request.scope["query_string"].decode("latin-1"), keep_blank_values=True
            )
            query = operation.parse_query(pairs)
        body: dict[str, Any] = {}
        if operation.operation.request_body is not None:
            raw = await _read(request, max_body_bytes)
            body = operation.parse_body(request.headers.get("content-type"), raw)
        call = Call(account, dict(request.path_params), query, body, event)
        return await handler(store, call)

    return endpoint


async def _read(request: Request, limit: int | None) -> bytes:
    """The body, refused with 413 once it passes the spec's limit (``None``: no limit)."""
    declared = request.headers.get("content-length")
    if limit is not None and declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"The request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if limit is not None and size > limit:
                raise ApiError(413, f"The request body is larger than {limit} bytes.")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        # The client hung up mid-body: its fault, not a server error (nobody is left to answer).
        raise ApiError(400, "The request body ended before its declared length.") from exc
    return b"".join(chunks)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"No such path: `{request.url.path}`."
    elif exc.status_code == 405:
        message = f"`{request.method}` is not allowed on `{request.url.path}`; use {exc.headers.get('Allow') if exc.headers else 'another method'}."
    else:
        message = exc.detail
    return JSONResponse(error_body(exc.status_code, message), exc.status_code, exc.headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _unavailable(request: Request, exc: Exception) -> Response:
    # The database is restarting or out of reach: the client may try again shortly.
    logging.getLogger("protocol_kit.server").warning("storage unavailable: %s", exc)
    message = "The server's database is unavailable; try again shortly."
    return JSONResponse(error_body(503, message), 503, {"Retry-After": "1"})


async def _server_error(request: Request, exc: Exception) -> Response:
    logging.getLogger("protocol_kit.server").exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body(500, "The server failed to handle this request."), 500)
