"""The server's own pages, outside the API: the HTML reference at /docs, the spec at /openapi.json and /openapi.yaml."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from protocol_kit.spec import Spec

# These paths are not operations of the API: no token, and the contract's rules do not apply.
DOCS_PATH = "/docs"
JSON_PATH = "/openapi.json"
YAML_PATH = "/openapi.yaml"
OWN_PATHS = (DOCS_PATH, JSON_PATH, YAML_PATH)
# A page is rendered once per base URL it is asked for; the Host header is the client's, so
# the number kept is bounded.
_PAGES_KEPT = 8


def docs_routes(spec: Spec) -> list[Route]:
    """GET routes for the reference (base URL: the server as the request reached it) and the spec."""
    yaml_text = spec.path.read_text(encoding="utf-8") if spec.path else None
    json_text = json.dumps(spec.document, indent=2, ensure_ascii=False) + "\n"

    @functools.lru_cache(maxsize=_PAGES_KEPT)
    def page(base_url: str) -> str:
        # The generator (Jinja and the templates) loads only when the docs are first asked for.
        from protocol_kit.generator import build_model
        from protocol_kit.generator.reference import html_reference

        return html_reference(build_model(spec), base_url)

    async def docs(request: Request) -> Response:
        return HTMLResponse(page(str(request.base_url).rstrip("/")))

    async def openapi_json(request: Request) -> Response:
        return Response(json_text, media_type="application/json")

    async def openapi_yaml(request: Request) -> Response:
        import yaml

        text = (
            yaml_text if yaml_text is not None else yaml.safe_dump(spec.document, sort_keys=False)
        )
        return Response(text, media_type="application/yaml")

    return [
        Route(DOCS_PATH, docs, methods=["GET"]),
        Route(JSON_PATH, openapi_json, methods=["GET"]),
        Route(YAML_PATH, openapi_yaml, methods=["GET"]),
    ]


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


def allow_origins(app: Starlette, origins: Sequence[str]) -> None:
    """Let pages from ``origins`` (and only those) call the API; preflights need no token."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[cors_origin(o) for o in origins],
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        # Try-it shows the answer's headers; a cross-origin script sees only the exposed ones.
        expose_headers=["Content-Type", "Content-Length", "Location", "Retry-After"],
        max_age=600,
    )
