"""The floor contender: a bare Starlette app answering each operation with a constant, on serve's uvicorn settings."""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from protocol_kit.server.http11 import uvicorn_options

CONVERSATION = {
    "id": "xgQQXg3hrtjh7AvZ",
    "contact_id": "WAz8eIbvDR60rouK",
    "group_id": None,
    "pinned_message_id": None,
    "is_pinned": False,
    "is_muted": False,
    "last_active_at": None,
    "last_opened_at": None,
    "created_at": 692233200,
    "archived_at": None,
}
PAGE = {"has_more": True, "data": [CONVERSATION] * 10}


async def _collection(request: Request) -> JSONResponse:
    if request.method == "POST":
        await request.body()  # a real server reads the body; so does the floor
        return JSONResponse(CONVERSATION, 201)
    return JSONResponse(PAGE)


async def _one(request: Request) -> JSONResponse:
    if request.method == "PUT":
        await request.body()
    return JSONResponse(CONVERSATION)


def app() -> Starlette:
    return Starlette(
        routes=[
            Route("/v1/conversations", _collection, methods=["GET", "POST"]),
            Route("/v1/conversations/{id}", _one, methods=["GET", "PUT"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same uvicorn settings as `protocol-kit serve` (protocol_kit/serve.py).
    uvicorn.run(
        app(),
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        log_level="warning",
        lifespan="off",
        **uvicorn_options(),
    )


if __name__ == "__main__":
    main()
