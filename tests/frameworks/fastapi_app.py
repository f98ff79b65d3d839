"""The contract in FastAPI on uvicorn, with their defaults wherever the contract allows them:
routing (HEAD answered as GET, OPTIONS 405, a trailing slash redirected, a made-up method
refused by uvicorn's HTTP parser), typed query parameters (booleans as pydantic reads them),
auth as a dependency.

    python -m tests.frameworks.fastapi_app --port P --token A --token B \
        [--webhook URL --webhook-secret S] [--deviation NAME]
"""

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

import uvicorn
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from tests.frameworks import fixture
from tests.frameworks.conversations import (
    DEFAULT_LIMIT,
    MAX_BODY_BYTES,
    MAX_LIMIT,
    Invalid,
    Store,
    create_attributes,
    update_attributes,
)
from tests.frameworks.fixture import ApiError

ID_PATTERN = "^[A-Za-z0-9]{16}$"
JSON_TYPE, FORM_TYPE = "application/json", "application/x-www-form-urlencoded"


def build(setup: fixture.Setup) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    store = Store(setup.on_event)
    planted = setup.deviations

    def account(request: Request) -> str:
        return fixture.account_of(request.headers.get("authorization", ""), setup.tokens)

    Account = Annotated[str, Depends(account)]

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return fixture.error_response(JSONResponse, exc.status, exc.message, exc.headers)

    @app.exception_handler(Invalid)
    async def invalid(request: Request, exc: Invalid) -> JSONResponse:
        return fixture.error_response(JSONResponse, 400, str(exc))

    if "default-404" not in planted:

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
            message = f"{request.method} {request.url.path}: {exc.detail}."
            headers = dict(exc.headers or {})
            if exc.status_code == 405:
                # Starlette names the methods of the first route on the path; FastAPI has one
                # route per method, and Allow must name them all.
                headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
            return fixture.error_response(JSONResponse, exc.status_code, message, headers)

    if "default-validation-error" not in planted:

        @app.exception_handler(RequestValidationError)
        async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
            first = exc.errors()[0]
            where = " ".join(str(part) for part in first["loc"])
            return fixture.error_response(JSONResponse, 400, f"{where}: {first['msg']}.")

    def allowed_methods(request: Request) -> set[str]:
        methods: set[str] = set()
        for route in app.routes:
            if isinstance(route, APIRoute):
                match, _ = route.matches({**request.scope, "method": "GET"})
                if match != Match.NONE:
                    methods |= route.methods
        return methods

    async def body_of(request: Request, empty_is_nothing: bool) -> tuple[dict[str, Any], bool]:
        """The request's attributes, and whether they came as a form."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise ApiError(413, "The request body is larger than 1 MiB.")
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY_BYTES:
                raise ApiError(413, "The request body is larger than 1 MiB.")
        if not raw and empty_is_nothing:
            return {}, False
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == JSON_TYPE:
            try:
                # Strictly UTF-8: json.loads would guess UTF-16 and UTF-32 from the bytes.
                text = raw if "lenient-json" in planted else raw.decode("utf-8")
                data = fixture.read_json(text) if isinstance(text, str) else json.loads(text)
            except ValueError as exc:
                raise Invalid(f"The body is not JSON in UTF-8: {exc}.") from exc
            if not isinstance(data, dict):
                raise Invalid("The body must be a JSON object.")
            return data, False
        if media == FORM_TYPE:
            try:
                pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
            except ValueError as exc:
                raise Invalid(f"The form body is not UTF-8: {exc}.") from exc
            return dict(pairs), True
        raise ApiError(
            415, f"Send the body as {JSON_TYPE} or {FORM_TYPE}, not {media or 'nothing'}."
        )

    def found(conversation: dict[str, Any] | None, conversation_id: str) -> dict[str, Any]:
        if conversation is None:
            raise ApiError(404, f"No conversation with id `{conversation_id}`.")
        return conversation

    # Digits only: pydantic would read " 3" and "1_0" as integers.
    digits = Query(pattern=r"^\+?[0-9]+$")
    lenient = "lenient-limit" in planted
    Limit = Annotated[int, Query()] if lenient else Annotated[str, digits]
    AnId = Annotated[str | None, Query(pattern=ID_PATTERN)]

    @app.get("/v1/conversations")
    def list_conversations(
        who: Account,
        limit: Limit = str(DEFAULT_LIMIT),  # type: ignore[valid-type]
        muted: bool | None = None,
        archived: bool | None = None,
        pinned: bool | None = None,
        group_id: AnId = None,
        starting_after: AnId = None,
        ending_before: AnId = None,
    ) -> dict[str, Any]:
        size = int(limit)
        if not 1 <= size <= MAX_LIMIT:
            raise Invalid(f"`limit` must be between 1 and {MAX_LIMIT}, not {size}.")
        filters = {"muted": muted, "archived": archived, "pinned": pinned}
        chosen = {name: value for name, value in filters.items() if value is not None}
        return store.page(who, size, chosen, group_id, starting_after, ending_before)

    @app.post("/v1/conversations", status_code=201)
    async def create_conversation(who: Account, request: Request) -> dict[str, Any]:
        data, form = await body_of(request, empty_is_nothing=False)
        return store.create(who, create_attributes(data, form))

    @app.get("/v1/conversations/{conversation_id}")
    def retrieve_conversation(who: Account, conversation_id: str) -> dict[str, Any]:
        return found(store.get(who, conversation_id), conversation_id)

    @app.put("/v1/conversations/{conversation_id}")
    async def update_conversation(
        who: Account, conversation_id: str, request: Request
    ) -> dict[str, Any]:
        found(store.get(who, conversation_id), conversation_id)
        data, form = await body_of(request, empty_is_nothing=True)
        changes = update_attributes(data, form)
        return found(store.update(who, conversation_id, changes), conversation_id)

    @app.delete("/v1/conversations/{conversation_id}", status_code=204)
    def delete_conversation(who: Account, conversation_id: str) -> Response:
        found(store.delete(who, conversation_id), conversation_id)
        return Response(status_code=204)

    return app


if __name__ == "__main__":
    setup = fixture.from_command_line()
    uvicorn.run(build(setup), host="127.0.0.1", port=setup.port, log_level="warning")
