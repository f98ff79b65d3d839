"""Protocol: routing, methods, media types, sizes, and an audit of every response the run saw."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from protocol_kit.conformance.diffs import json_text
from protocol_kit.conformance.session import JSON, Session
from protocol_kit.conformance.transport import NOT_JSON, Exchange
from protocol_kit.conformance.verdicts import Rule, cite
from protocol_kit.spec import Operation

GROUP = "protocol"
DESCRIPTION = "HTTP behaviour, and every response of the whole run audited"
RULES = [
    Rule(
        "PROTO-UNKNOWN-PATH",
        GROUP,
        "An unknown path answers 404",
        cite("/paths", "Conversations"),
    ),
    Rule(
        "PROTO-METHOD-NOT-ALLOWED",
        GROUP,
        "A method the path does not have (HEAD, OPTIONS, PATCH, TRACE, made-up ones) answers 405",
        cite("/paths/~1v1~1conversations~1{id}", "Conversations"),
    ),
    Rule(
        "PROTO-ALLOW-HEADER",
        GROUP,
        "A 405 carries an Allow header listing exactly the path's methods",
        cite("/paths/~1v1~1conversations~1{id}", "Conversations"),
    ),
    Rule(
        "PROTO-ROUTING-BEFORE-AUTH",
        GROUP,
        "Routing comes before authentication: unknown paths and methods answer 404/405 without a token",
        cite("/security", "Authentication"),
    ),
    Rule(
        "PROTO-UNSUPPORTED-MEDIA-TYPE",
        GROUP,
        "A body that is neither application/json nor form-encoded answers 415 and changes nothing",
        cite("/components/responses/UnsupportedMediaType", "Create a conversation › Responses"),
    ),
    Rule(
        "PROTO-MEDIA-TYPE-PARAMETERS",
        GROUP,
        "Media types are matched without their parameters: `application/json; charset=utf-8` "
        "is JSON",
        cite(
            "/components/requestBodies/CreateConversation/content",
            "Create a conversation › Request",
        ),
    ),
    Rule(
        "PROTO-PAYLOAD-TOO-LARGE",
        GROUP,
        "A body over the spec's limit (`x-max-body-bytes`) answers 413 and changes nothing; a body of exactly the limit is accepted",
        cite("/components/responses/PayloadTooLarge", "Create a conversation › Responses"),
    ),
    Rule(
        "PROTO-JSON-RESPONSES",
        GROUP,
        "Every response body of the run is JSON served as application/json; 204s have no body",
        cite("/components/schemas/Error", "Errors › The error body"),
    ),
    Rule(
        "PROTO-ERROR-SHAPE",
        GROUP,
        "Every 4xx/5xx of the run is {type, message, documentation_url} with the right type and URL",
        cite("/components/schemas/Error", "Errors › The error body"),
    ),
    Rule(
        "PROTO-ERROR-MESSAGE",
        GROUP,
        "An error message names the parameter or attribute at fault",
        cite("/components/schemas/Error/properties/message", "Errors › The error body"),
    ),
    Rule(
        "PROTO-RESPONSE-SHAPE",
        GROUP,
        "Every successful response of the run matches the spec's schema (conversation or page)",
        cite("/components/schemas/Conversation", "The conversation model"),
    ),
    Rule(
        "PROTO-NO-SERVER-ERROR",
        GROUP,
        "No request of the run got a 5xx",
        cite("/components/responses/InternalError", "Errors"),
    ),
]
_EXOTIC_METHODS = ("HEAD", "OPTIONS", "PATCH", "TRACE", "FROBNICATE")
_STANDARD_METHODS = ("GET", "POST", "PUT", "DELETE")


def check(s: Session) -> None:
    # Routing comes first, so an id nobody has serves as well as a real one.
    s.part(_check_routing, s, s.new_id())
    s.part(_check_messages, s)
    s.part(_check_bodies, s)
    _audit(s, s.transport.exchanges)


def _check_bodies(s: Session) -> None:
    made = s.require_created(
        None, s.create({"group_id": s.new_id()}), "could not create a conversation"
    )
    _check_media_types(s, made)
    _check_sizes(s, made)


def _check_routing(s: Session, conversation_id: str) -> None:
    base = s.contract.collection_path
    for path in (
        "/v1/nope",
        base.rstrip("s"),
        base + "/" + conversation_id + "/messages",
        "/v2" + base[3:] if base.startswith("/v1") else "/v0" + base,
        base + "/",
        base + "/" + conversation_id + "/",
    ):
        exchange = s.send("GET", path)
        s.expect_status("PROTO-UNKNOWN-PATH", exchange, 404, f"GET {path} must answer 404")
    exchange = s.send("POST", "/v1/nope", body={"group_id": s.new_id()})
    s.expect_status("PROTO-UNKNOWN-PATH", exchange, 404, "POST /v1/nope must answer 404")
    for template, allowed in s.contract.methods_by_path.items():
        path = re.sub(r"\{[^}]+\}", conversation_id, template)
        refused = [m for m in _STANDARD_METHODS if m not in allowed] + list(_EXOTIC_METHODS)
        for method in refused:
            exchange = s.send(method, path)
            s.expect_status(
                "PROTO-METHOD-NOT-ALLOWED", exchange, 405, f"{method} {path} must answer 405"
            )
            if exchange.status == 405:
                header = exchange.response_headers.get("allow", "")
                listed = {m.strip().upper() for m in header.split(",") if m.strip()}
                s.expect(
                    "PROTO-ALLOW-HEADER",
                    listed == allowed,
                    f"the 405 for {method} {path} must list the path's methods in Allow",
                    expected=", ".join(sorted(allowed)),
                    actual=header or "(no Allow header)",
                    exchange=exchange,
                )
        exchange = s.send(refused[0], path, authorization="")
        s.expect_status(
            "PROTO-ROUTING-BEFORE-AUTH",
            exchange,
            405,
            f"{refused[0]} {path} without a token must answer 405 (routing first)",
        )
    exchange = s.send("GET", "/v1/nope", authorization="")
    s.expect_status(
        "PROTO-ROUTING-BEFORE-AUTH",
        exchange,
        404,
        "GET /v1/nope without a token must answer 404 (routing first)",
    )


def _newest(s: Session) -> str | None:
    page = s.page(s.listing(limit=1))
    return page[0][0]["id"] if page and page[0] else None


def _nothing_created(s: Session, rule_id: str, newest: str | None, what: str) -> None:
    listed = s.listing(limit=1)
    page = s.page(listed)
    if page is None:
        s.expect(
            rule_id,
            False,
            f"after {what} the list must be readable, to see that nothing was created",
            expected="200 with a list page",
            actual=listed.summary(),
            exchange=listed,
        )
        return
    now = page[0][0]["id"] if page[0] else None
    s.expect(
        rule_id,
        now == newest,
        f"{what} must not create anything",
        expected=f"newest conversation still {newest}",
        actual=f"newest is {now}",
        exchange=listed,
    )


def _unchanged(s: Session, rule_id: str, made: dict[str, Any], what: str) -> None:
    read = s.get(made["id"])
    s.expect(
        rule_id,
        read.status == 200 and read.json == made,
        f"{what} must leave the conversation unchanged",
        expected=made,
        actual=read.summary(),
        exchange=read,
    )


def _check_media_types(s: Session, made: dict[str, Any]) -> None:
    newest = _newest(s)
    create = f'{{"group_id": "{s.new_id()}"}}'.encode()
    update = b'{"is_muted": true}'
    # Only types under which the JSON text is still a well-formed body: a type that could call
    # it malformed (XML, multipart) would make 400 an equally right answer.
    for media_type in ("text/plain", "application/octet-stream", "text/json"):
        exchange = s.send("POST", s.contract.collection_path, raw=create, media_type=media_type)
        s.remember(exchange)
        s.expect_status(
            "PROTO-UNSUPPORTED-MEDIA-TYPE",
            exchange,
            415,
            f"a create sent as {media_type} must answer 415",
        )
        exchange = s.send("PUT", s.contract.item(made["id"]), raw=update, media_type=media_type)
        s.expect_status(
            "PROTO-UNSUPPORTED-MEDIA-TYPE",
            exchange,
            415,
            f"an update sent as {media_type} must answer 415",
        )
    _nothing_created(s, "PROTO-UNSUPPORTED-MEDIA-TYPE", newest, "a create refused with 415")
    _unchanged(s, "PROTO-UNSUPPORTED-MEDIA-TYPE", made, "an update refused with 415")
    for media_type in (
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded; charset=utf-8",
    ):
        form = media_type.startswith("application/x-www-form-urlencoded")
        body = (
            f"group_id={s.new_id()}".encode()
            if form
            else f'{{"group_id": "{s.new_id()}"}}'.encode()
        )
        exchange = s.send("POST", s.contract.collection_path, raw=body, media_type=media_type)
        s.remember(exchange)
        s.expect_status(
            "PROTO-MEDIA-TYPE-PARAMETERS",
            exchange,
            201,
            f"a valid create sent as {media_type} must answer 201",
        )


def _padded(prefix: bytes, size: int) -> bytes:
    """A valid JSON object of exactly ``size`` bytes: ``prefix`` + spaces + ``}``."""
    return prefix + b" " * (size - len(prefix) - 1) + b"}"


def _check_sizes(s: Session, made: dict[str, Any]) -> None:
    limit = s.contract.max_body_bytes
    newest = _newest(s)
    create = f'{{"group_id": "{s.new_id()}"'.encode()
    exchange = s.send(
        "POST", s.contract.collection_path, raw=_padded(create, limit + 1), media_type=JSON
    )
    s.remember(exchange)
    s.expect_status(
        "PROTO-PAYLOAD-TOO-LARGE",
        exchange,
        413,
        f"a create body of {limit} + 1 bytes must answer 413",
    )
    exchange = s.send(
        "PUT",
        s.contract.item(made["id"]),
        raw=_padded(b'{"is_muted": true', 2 * limit),
        media_type=JSON,
    )
    s.expect_status(
        "PROTO-PAYLOAD-TOO-LARGE",
        exchange,
        413,
        f"an update body of {2 * limit} bytes must answer 413",
    )
    exchange = s.send(
        "POST",
        s.contract.collection_path,
        raw=_padded(create, limit + 1),
        media_type=JSON,
        chunked=True,
    )
    s.remember(exchange)
    s.expect_status(
        "PROTO-PAYLOAD-TOO-LARGE",
        exchange,
        413,
        f"a chunked create body (no Content-Length) of {limit} + 1 bytes must answer 413",
    )
    _nothing_created(s, "PROTO-PAYLOAD-TOO-LARGE", newest, "a create refused with 413")
    _unchanged(s, "PROTO-PAYLOAD-TOO-LARGE", made, "an update refused with 413")
    exchange = s.send(
        "POST", s.contract.collection_path, raw=_padded(create, limit), media_type=JSON
    )
    s.remember(exchange)
    s.expect_status(
        "PROTO-PAYLOAD-TOO-LARGE",
        exchange,
        201,
        f"a valid create body of exactly {limit} bytes is not over the limit: 201",
    )


def _check_messages(s: Session) -> None:
    high = s.contract.limit_bounds[1]
    cases = [
        (s.listing(limit=high + 1), "limit", f"limit={high + 1}"),
        (s.listing(muted="yes"), "muted", "muted=yes"),
        (
            s.create({"group_id": s.new_id(), "nickname": "x"}),
            "nickname",
            "a create with the unknown attribute `nickname`",
        ),
    ]
    for exchange, name, what in cases:
        s.remember(exchange)
        body = exchange.json
        message = body.get("message", "") if isinstance(body, dict) else ""
        s.expect(
            "PROTO-ERROR-MESSAGE",
            exchange.status == 400 and name in str(message),
            f"the 400 for {what} must say which parameter is at fault",
            expected=f"400 with a message naming `{name}`",
            actual=exchange.summary(),
            exchange=exchange,
        )


def _operation(s: Session, exchange: Exchange) -> Operation | None:
    """The spec's operation an exchange was aimed at, if it hit one."""
    return s.contract.spec.match(exchange.method, urlsplit(exchange.url).path)


def _audit(s: Session, exchanges: list[Exchange]) -> None:
    """Checks that hold for every response, whichever group's request provoked it."""
    for exchange in list(exchanges):
        if exchange.error:
            continue
        what = f"{exchange.method} {urlsplit(exchange.url).path} → {exchange.status}"
        s.expect(
            "PROTO-NO-SERVER-ERROR",
            exchange.status < 500,
            f"{what}: no request may get a 5xx",
            expected="< 500",
            actual=exchange.summary(),
            exchange=exchange,
        )
        for problem in _media_problems(exchange):
            s.expect(
                "PROTO-JSON-RESPONSES",
                False,
                f"{what}: {problem}",
                expected="application/json body",
                actual=exchange.summary(),
                exchange=exchange,
            )
        if exchange.status == 401:
            challenge = exchange.response_headers.get("www-authenticate", "")
            s.expect(
                "PROTO-ERROR-SHAPE",
                challenge.split(" ")[0].lower() == "bearer",
                f"{what}: every 401 carries WWW-Authenticate: Bearer",
                expected="WWW-Authenticate: Bearer …",
                actual=challenge or "(no header)",
                exchange=exchange,
            )
        if exchange.status >= 400 and exchange.method != "HEAD":
            problems = _error_problems(s, exchange)
            s.expect(
                "PROTO-ERROR-SHAPE",
                not problems,
                f"{what}: {'; '.join(problems)}",
                expected=f"the Error object of {s.contract.error_pointer}",
                actual=exchange.summary(),
                exchange=exchange,
            )
        elif 200 <= exchange.status < 300:
            problems = _success_problems(s, exchange)
            s.expect(
                "PROTO-RESPONSE-SHAPE",
                not problems,
                f"{what}: {'; '.join(problems)}",
                expected="a body matching the spec's response schema",
                actual=exchange.summary(),
                exchange=exchange,
            )
    s.expect("PROTO-JSON-RESPONSES", True, "")


def _media_problems(exchange: Exchange) -> Iterator[str]:
    if exchange.status == 204:
        if exchange.response_body:
            yield "a 204 must have an empty body"
        return
    if exchange.method == "HEAD":
        return
    if exchange.content_type.split(";")[0].strip().lower() != JSON:
        yield f"Content-Type is {json_text(exchange.content_type) if exchange.content_type else '(none)'}, not application/json"
    elif exchange.json is NOT_JSON:
        yield "the body is not JSON"


def _error_problems(s: Session, exchange: Exchange) -> list[str]:
    body = exchange.json
    if body is NOT_JSON:
        return ["the error body is not JSON"]
    problems = s.contract.schema_errors(s.contract.error_pointer, body)
    if problems or not isinstance(body, dict):
        return problems or ["the error body is not an object"]
    kind = "api_error" if exchange.status >= 500 else "invalid_request"
    if body["type"] != kind:
        problems.append(
            f"type is {json_text(body['type'])}, {json_text(kind)} expected for {exchange.status}"
        )
    url = f"https://protocol.chat/docs/errors/{body['type']}"
    if body["documentation_url"] != url:
        problems.append(
            f"documentation_url is {json_text(body['documentation_url'])}, {json_text(url)} expected"
        )
    if not str(body["message"]).strip():
        problems.append("the message is empty")
    return problems


def _success_problems(s: Session, exchange: Exchange) -> list[str]:
    operation = _operation(s, exchange)
    if operation is None or exchange.status == 204:
        return []
    pointer = (
        s.contract.list_pointer
        if operation.pagination is not None
        else s.contract.conversation_pointer
    )
    body = exchange.json
    if body is NOT_JSON:
        return ["the body is not JSON"]
    return s.contract.schema_errors(pointer, body)
