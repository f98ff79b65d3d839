"""The contract in Flask, with its defaults wherever the contract allows them: Werkzeug's routing
(HEAD answered as GET, OPTIONS answered with Allow, 405 with Allow, no trailing slash), its form
parser and body size limit, auth before every request.

    python -m tests.frameworks.flask_app --port P --token A --token B \
        [--webhook URL --webhook-secret S] [--deviation NAME]
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from tests.frameworks import fixture
from tests.frameworks.conversations import (
    DEFAULT_LIMIT,
    FILTERS,
    MAX_BODY_BYTES,
    MAX_LIMIT,
    Invalid,
    Store,
    boolean,
    create_attributes,
    integer,
    is_id,
    update_attributes,
)
from tests.frameworks.fixture import ApiError

JSON_TYPE, FORM_TYPE = "application/json", "application/x-www-form-urlencoded"


def build(setup: fixture.Setup) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    store = Store(setup.on_event)
    planted = setup.deviations

    def answer(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        response = jsonify(fixture.error_body(status, message))
        response.status_code = status
        response.headers.update(headers or {})
        return response

    @app.before_request
    def authenticate() -> None:
        # Werkzeug's development server reads a Content-Length that is not a number as no body;
        # HTTP says such a request cannot be framed (RFC 9112, section 6.3): 400.
        length = request.headers.get("Content-Length")
        if length is not None and not length.isdigit():
            raise ApiError(400, f"Content-Length {length!r} is not a number.")
        g.account = fixture.account_of(request.headers.get("Authorization", ""), setup.tokens)

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return answer(exc.status, exc.message, exc.headers)

    @app.errorhandler(Invalid)
    def invalid(exc: Invalid) -> Response:
        return answer(400, str(exc))

    if "default-404" not in planted:

        @app.errorhandler(HTTPException)
        def http_error(exc: HTTPException) -> Response:
            headers = {}
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                headers["Allow"] = ", ".join(exc.valid_methods)
            message = f"{request.method} {request.path}: {exc.description}"
            return answer(exc.code or 500, message, headers)

    def body(empty_is_nothing: bool) -> tuple[dict[str, Any], bool]:
        """The request's attributes, and whether they came as a form."""
        if request.mimetype == FORM_TYPE:
            return request.form.to_dict(), True
        raw = request.get_data()
        # A chunked body is cut at MAX_CONTENT_LENGTH rather than refused: is there more?
        cut = request.content_length is None and len(raw) == MAX_BODY_BYTES
        if cut and request.environ["wsgi.input"].read(1):
            raise ApiError(413, "The request body is larger than 1 MiB.")
        if not raw and empty_is_nothing:
            return {}, False
        if request.mimetype != JSON_TYPE:
            raise ApiError(415, f"Send the body as {JSON_TYPE} or {FORM_TYPE}.")
        if "lenient-json" in planted:
            data = request.get_json()
        else:
            try:
                # Strictly UTF-8: json.loads would guess UTF-16 and UTF-32 from the bytes.
                data = fixture.read_json(raw.decode("utf-8"))
            except ValueError as exc:
                raise Invalid(f"The body is not JSON in UTF-8: {exc}.") from exc
        if not isinstance(data, dict):
            raise Invalid("The body must be a JSON object.")
        return data, False

    def found(conversation: dict[str, Any] | None, conversation_id: str) -> dict[str, Any]:
        if conversation is None:
            raise ApiError(404, f"No conversation with id `{conversation_id}`.")
        return conversation

    def limit() -> int:
        if "lenient-args" in planted:
            return request.args.get("limit", DEFAULT_LIMIT, type=int)
        return integer(request.args.get("limit", str(DEFAULT_LIMIT)), "limit", 1, MAX_LIMIT)

    def an_id(name: str) -> str | None:
        value = request.args.get(name)
        if value is not None and not is_id(value):
            raise Invalid(f"`{name}` must be 16 letters and digits.")
        return value

    @app.get("/v1/conversations")
    def list_conversations() -> Any:
        size = limit()
        filters = {
            name: boolean(request.args[name], name) for name in FILTERS if name in request.args
        }
        after, before = an_id("starting_after"), an_id("ending_before")
        return store.page(g.account, size, filters, an_id("group_id"), after, before)

    @app.post("/v1/conversations")
    def create_conversation() -> Any:
        data, form = body(empty_is_nothing=False)
        return store.create(g.account, create_attributes(data, form)), 201

    @app.get("/v1/conversations/<conversation_id>")
    def retrieve_conversation(conversation_id: str) -> Any:
        return found(store.get(g.account, conversation_id), conversation_id)

    @app.put("/v1/conversations/<conversation_id>")
    def update_conversation(conversation_id: str) -> Any:
        found(store.get(g.account, conversation_id), conversation_id)
        data, form = body(empty_is_nothing=True)
        changes = update_attributes(data, form)
        return found(store.update(g.account, conversation_id, changes), conversation_id)

    @app.delete("/v1/conversations/<conversation_id>")
    def delete_conversation(conversation_id: str) -> Any:
        found(store.delete(g.account, conversation_id), conversation_id)
        return "", 204

    return app


if __name__ == "__main__":
    setup = fixture.from_command_line()
    build(setup).run(host="127.0.0.1", port=setup.port, threaded=True)
