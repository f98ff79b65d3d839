"""The server's own pages, outside the API: the HTML reference at /docs (and / pointing to it), the spec at /openapi.json and /openapi.yaml."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import yaml
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from protocol_kit.spec import Spec, path_regex

# These paths are not operations of the API: no token, and the contract's rules do not apply.
DOCS_PATH = "/docs"
JSON_PATH = "/openapi.json"
YAML_PATH = "/openapi.yaml"
ROOT_PATH = "/"
OWN_PATHS = (DOCS_PATH, JSON_PATH, YAML_PATH, ROOT_PATH)
_POINTER_TO_DOCS = (
    "<!doctype html><title>Protocol Conversations API</title>"
    f'<p>The API reference is at <a href="{DOCS_PATH}">{DOCS_PATH}</a>.</p>\n'
)
# The HTML reference for a base URL. The generator renders it; the server, which must not import
# the generator, is handed the function by whoever starts it (`protocol-kit serve`).
DocsPage = Callable[[str], str]
# A page is rendered once per base URL it is asked for; the Host header is the client's, so
# the number kept is bounded.
_PAGES_KEPT = 8


def docs_routes(spec: Spec, docs_page: DocsPage | None) -> list[Route]:
    """GET routes for the spec and, given ``docs_page``, the reference (its base URL: the server
    as the request reached it)."""
    yaml_text = spec.path.read_text(encoding="utf-8") if spec.path else None
    json_text = json.dumps(spec.data, indent=2, ensure_ascii=False) + "\n"

    async def openapi_json(request: Request) -> Response:
        return Response(json_text, media_type="application/json")

    async def openapi_yaml(request: Request) -> Response:
        text = yaml_text if yaml_text is not None else yaml.safe_dump(spec.data, sort_keys=False)
        return Response(text, media_type="application/yaml")

    routes = [
        Route(JSON_PATH, openapi_json, methods=["GET"]),
        Route(YAML_PATH, openapi_yaml, methods=["GET"]),
    ]
    if docs_page is not None:
        page = functools.lru_cache(maxsize=_PAGES_KEPT)(docs_page)

        async def docs(request: Request) -> Response:
            return HTMLResponse(page(str(request.base_url).rstrip("/")))

        async def root(request: Request) -> Response:
            # Someone who opens the server's address in a browser is sent to its reference.
            return HTMLResponse(_POINTER_TO_DOCS, status_code=307, headers={"Location": DOCS_PATH})

        routes.append(Route(DOCS_PATH, docs, methods=["GET"]))
        routes.append(Route(ROOT_PATH, root, methods=["GET"]))
    return routes


def cors_origin(value: str) -> str:
    """``value`` as an origin (``scheme://host[:port]``); ValueError saying why it is not one."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{value!r} is not an origin: give scheme and host, e.g. http://localhost:3000"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r} is not an origin: no path, query or credentials")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class _PathCors(CORSMiddleware):
    """Starlette's CORS, but a preflight advertises (and allows) only the methods of its path."""

    def __init__(self, app: ASGIApp, spec: Spec, **options: Any) -> None:
        super().__init__(app, **options)
        self._spec = spec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        preflight = scope["type"] == "http" and scope["method"] == "OPTIONS"
        if not (preflight and "origin" in headers and "access-control-request-method" in headers):
            await super().__call__(scope, receive, send)
            return
        path = scope["path"]
        methods = [op.method for op in self._spec.operations() if path_regex(op.path).match(path)]
        response = self.preflight_response(request_headers=headers)
        if response.status_code == 200 and headers["access-control-request-method"] not in methods:
            # Starlette's answer to a method it does not allow, with the preflight's headers.
            kept = {k: v for k, v in response.headers.items() if k != "content-length"}
            response = PlainTextResponse("Disallowed CORS method", 400, headers=kept)
        del response.headers["access-control-allow-methods"]
        if methods:
            response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        await response(scope, receive, send)


def allow_origins(app: Starlette, origins: Sequence[str], spec: Spec) -> None:
    """Let pages from ``origins`` (and only those) call the API; preflights need no token."""
    if not origins:
        return
    app.add_middleware(
        _PathCors,  # type: ignore[arg-type]  # Starlette types factories by their first argument only
        spec=spec,
        allow_origins=[cors_origin(o) for o in origins],
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        # Try-it shows the answer's headers; a cross-origin script sees only the exposed ones.
        expose_headers=["Content-Type", "Content-Length", "Location", "Retry-After"],
        max_age=600,
    )
