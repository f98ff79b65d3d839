"""Protocol: routing, methods, media types, sizes, and an audit of every response the run saw."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from protocol_kit.conformance.diffs import json_text
from protocol_kit.conformance.raw_http import send_raw
from protocol_kit.conformance.session import FORM, JSON, Session
from protocol_kit.conformance.transport import NOT_JSON, Exchange
from protocol_kit.conformance.verdicts import requirement
from protocol_kit.spec import Operation

GROUP = "protocol"
DESCRIPTION = "HTTP behaviour, and every response of the whole run audited"
RULES = [
    requirement("PROTO-UNKNOWN-PATH", GROUP),
    requirement("PROTO-METHOD-NOT-ALLOWED", GROUP),
    requirement("PROTO-ALLOW-HEADER", GROUP),
    requirement("PROTO-PATH-VARIANTS", GROUP),
    requirement("PROTO-HEAD", GROUP),
    requirement("PROTO-OPTIONS", GROUP),
    requirement("PROTO-UNKNOWN-METHOD", GROUP),
    requirement("PROTO-BELOW-APP-STATUS", GROUP),
    # The error object it asks for is the API's: a server whose own error objects are wrong
    # answers below the application with the same wrong object.
    requirement("PROTO-BELOW-APP-ERROR-BODY", GROUP, relies_on=("PROTO-ERROR-SHAPE",), audits=True),
    requirement("PROTO-JSON-UTF8", GROUP),
    requirement("PROTO-UNSUPPORTED-MEDIA-TYPE", GROUP),
    requirement("PROTO-MEDIA-TYPE-PARAMETERS", GROUP),
    requirement("PROTO-PAYLOAD-TOO-LARGE", GROUP),
    requirement("PROTO-JSON-RESPONSES", GROUP, audits=True),
    requirement("PROTO-ERROR-SHAPE", GROUP, relies_on=("PROTO-JSON-RESPONSES",), audits=True),
    requirement(
        "PROTO-ERROR-MESSAGE", GROUP, relies_on=("PROTO-JSON-RESPONSES", "PROTO-ERROR-SHAPE")
    ),
    requirement("PROTO-RESPONSE-SHAPE", GROUP, relies_on=("PROTO-JSON-RESPONSES",), audits=True),
    requirement("PROTO-NO-SERVER-ERROR", GROUP, audits=True),
]
# Methods HTTP defines: the ones a path lacks must be refused with 405 (HEAD and OPTIONS have
# rules of their own). A made-up name may be refused by the HTTP parser, below the API.
_DEFINED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "TRACE")
_UNKNOWN_METHOD = "FROBNICATE"
_OPTIONAL_IN_ALLOW = {"HEAD", "OPTIONS"}
# More fields than form parsers take by default (1000 in Starlette and Werkzeug).
_MANY_FIELDS = 1500
_HUGE_HEADER = 64 * 1024  # past every HTTP parser's default limit on a request's head


def check(s: Session) -> None:
    # Routing comes first, so an id nobody has serves as well as a real one.
    s.part(_check_routing, s, s.new_id())
    s.part(_check_path_variants, s, s.new_id())
    s.part(_check_messages, s)
    s.part(_check_bodies, s)
    _audit(s, s.transport.exchanges)


def _check_bodies(s: Session) -> None:
    # A conversation of its own for each check: one whose refusal failed may have changed it.
    _check_unknown_method(s, _made(s))
    _check_below_app(s, s.contract.item(_made(s)["id"]))
    _check_media_types(s, _made(s))
    _check_encoding(s)
    _check_sizes(s, _made(s))


def _made(s: Session) -> dict[str, Any]:
    return s.require_created(
        None, s.create({"group_id": s.new_id()}), "could not create a conversation"
    )


def _check_routing(s: Session, conversation_id: str) -> None:
    base = s.contract.collection_path
    for path in (
        "/v1/nope",
        base.rstrip("s"),
        base + "/" + conversation_id + "/messages",
        "/v2" + base[3:] if base.startswith("/v1") else "/v0" + base,
    ):
        exchange = s.send("GET", path)
        s.expect_status("PROTO-UNKNOWN-PATH", exchange, 404, f"GET {path} must answer 404")
    exchange = s.send("POST", "/v1/nope", body={"group_id": s.new_id()})
    s.expect_status("PROTO-UNKNOWN-PATH", exchange, 404, "POST /v1/nope must answer 404")
    exchange = s.send("GET", "/v1/nope", authorization="")
    _expect_one_of(s, "PROTO-UNKNOWN-PATH", exchange, {404, 401}, "GET /v1/nope without a token")
    for template, allowed in s.contract.methods_by_path.items():
        path = re.sub(r"\{[^}]+\}", conversation_id, template)
        refused = [m for m in _DEFINED_METHODS if m not in allowed]
        for method in refused:
            exchange = s.send(method, path)
            s.expect_status(
                "PROTO-METHOD-NOT-ALLOWED", exchange, 405, f"{method} {path} must answer 405"
            )
            _check_allow(s, exchange, allowed)
        exchange = s.send(refused[0], path, authorization="")
        _expect_one_of(
            s,
            "PROTO-METHOD-NOT-ALLOWED",
            exchange,
            {405, 401},
            f"{refused[0]} {path} without a token",
        )
        if "GET" in allowed:
            _check_head(s, path, allowed)
        exchange = s.send("OPTIONS", path)
        s.expect(
            "PROTO-OPTIONS",
            200 <= exchange.status < 300 or exchange.status == 405,
            f"OPTIONS {path} must answer a 2xx or 405",
            expected="2xx or 405",
            actual=exchange.summary(),
            exchange=exchange,
        )
        _check_allow(s, exchange, allowed)


def _expect_one_of(
    s: Session, rule_id: str, exchange: Exchange, statuses: set[int], what: str
) -> None:
    shown = " or ".join(str(status) for status in sorted(statuses))
    s.expect(
        rule_id,
        exchange.status in statuses,
        f"{what} must answer {shown}",
        expected=shown,
        actual=exchange.summary(),
        exchange=exchange,
    )


def _check_allow(s: Session, exchange: Exchange, allowed: set[str]) -> None:
    """A 405's Allow lists the path's methods, and HEAD and OPTIONS at most besides."""
    if exchange.status != 405:
        return
    header = exchange.response_headers.get("allow", "")
    listed = {m.strip().upper() for m in header.split(",") if m.strip()}
    s.expect(
        "PROTO-ALLOW-HEADER",
        allowed <= listed <= allowed | _OPTIONAL_IN_ALLOW,
        f"the 405 for {exchange.method} {urlsplit(exchange.url).path} must list the path's "
        "methods in Allow",
        expected=", ".join(sorted(allowed)) + " (HEAD and OPTIONS may be added)",
        actual=header or "(no Allow header)",
        exchange=exchange,
    )


def _media(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _check_head(s: Session, path: str, allowed: set[str]) -> None:
    """HEAD is refused with 405, or answered as GET is, without the body."""
    get = s.send("GET", path)
    head = s.send("HEAD", path)
    if head.status == 405:
        s.expect("PROTO-HEAD", True, "")
        _check_allow(s, head, allowed)
        return
    same = head.status == get.status and _media(head.content_type) == _media(get.content_type)
    s.expect(
        "PROTO-HEAD",
        same and not head.response_body,
        f"HEAD {path} must be answered as GET {path} is (same status and headers, no body), "
        "or with 405",
        expected=f"405, or {get.status} with Content-Type {get.content_type or '(none)'} and "
        "no body",
        actual=head.summary() + (" with a body" if head.response_body else ""),
        exchange=head,
    )


def _check_path_variants(s: Session, conversation_id: str) -> None:
    """A trailing slash or other letter case: served as the path, redirected to it, or 404."""
    for canonical in (s.contract.collection_path, s.contract.item(conversation_id)):
        answer = s.send("GET", canonical)
        prefix, _, last = canonical.rpartition("/")
        for variant in (canonical + "/", prefix.upper() + "/" + last):
            exchange = s.send("GET", variant)
            target = urlsplit(exchange.response_headers.get("location", "")).path
            redirected = 300 <= exchange.status < 400 and target == canonical
            s.expect(
                "PROTO-PATH-VARIANTS",
                exchange.status in (404, answer.status) or redirected,
                f"GET {variant} must be answered as GET {canonical}, redirected to it, or 404",
                expected=f"{answer.status} (as {canonical}), a redirect to {canonical}, or 404",
                actual=exchange.summary(),
                exchange=exchange,
            )


def _check_unknown_method(s: Session, made: dict[str, Any]) -> None:
    """A made-up method is refused (by the API or the HTTP parser below it), changing nothing."""
    body = {"is_muted": not made.get("is_muted")}
    for path in (s.contract.collection_path, s.contract.item(made["id"])):
        exchange = s.send(_UNKNOWN_METHOD, path, body=body)
        reset = ("ReadError", "RemoteProtocolError")
        if exchange.status == 0 and any(kind in (exchange.error or "") for kind in reset):
            # An HTTP parser that refuses the method (Node's answers 400 and closes at once)
            # can close while the body is still arriving, and the client then sees only the
            # reset: a refusal all the same; whether anything changed is judged below.
            continue
        _expect_one_of(
            s, "PROTO-UNKNOWN-METHOD", exchange, {405, 501, 400}, f"{_UNKNOWN_METHOD} {path}"
        )
    _unchanged(s, "PROTO-UNKNOWN-METHOD", made, body, f"a {_UNKNOWN_METHOD} request")


def _check_below_app(s: Session, item: str) -> None:
    """Requests the HTTP parser refuses before the API sees them: a head too large, a
    Content-Length that is not a number. Each is answered with an error status (the status
    is a MUST, the error object a SHOULD)."""
    auth = f"Bearer {s.main.token}"
    host = urlsplit(s.transport.base_url).netloc
    heads = {
        f"a {_HUGE_HEADER // 1024} KiB header": (
            f"GET {item} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n"
            f"X-Padding: {'a' * _HUGE_HEADER}\r\nConnection: close\r\n\r\n"
        ).encode(),
        "a Content-Length that is not a number": (
            f"PUT {item} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1x\r\nConnection: close\r\n\r\n"
            '{"is_muted": true}'
        ).encode(),
    }
    for what, request in heads.items():
        exchange = send_raw(s.transport.base_url, item, request)
        refused = 400 <= exchange.status < 600
        # The contract sets no limit on a request's head: a server that reads 64 KiB of headers
        # and answers as usual refused nothing, and this requirement is about refusals.
        accepted = what.endswith("header") and 200 <= exchange.status < 300
        s.expect(
            "PROTO-BELOW-APP-STATUS",
            refused or accepted,
            f"{what} was not answered with a 4xx or 5xx status",
            expected="a 4xx or 5xx status",
            actual=exchange.summary(),
            exchange=exchange,
        )
        if refused:
            problems = _error_problems(s, exchange)
            s.expect(
                "PROTO-BELOW-APP-ERROR-BODY",
                not problems,
                f"the {exchange.status} for {what}: {'; '.join(problems)}",
                expected=f"the Error object of {s.contract.error_pointer}",
                actual=exchange.summary(),
                exchange=exchange,
            )


def _check_encoding(s: Session) -> None:
    """A JSON body in UTF-16 is not JSON the API reads: 400, nothing created."""
    newest = _newest(s)
    body = f'{{"group_id": "{s.new_id()}"}}'.encode("utf-16")
    exchange = s.send("POST", s.contract.collection_path, raw=body, media_type=JSON)
    s.remember(exchange)
    s.expect_status("PROTO-JSON-UTF8", exchange, 400, "a create body in UTF-16 must answer 400")
    _nothing_created(s, "PROTO-JSON-UTF8", newest, "a create in UTF-16")


def _newest(s: Session) -> str | None:
    data = s.page_data(s.listing(limit=1))
    return data[0]["id"] if data else None


def _nothing_created(s: Session, rule_id: str, newest: str | None, what: str) -> None:
    listed = s.listing(limit=1)
    data = s.page_data(listed)
    if data is None:
        s.expect(
            rule_id,
            False,
            f"after {what} the list must be readable, to see that nothing was created",
            expected="200 with a list page",
            actual=listed.summary(),
            exchange=listed,
        )
        return
    now = data[0]["id"] if data else None
    s.expect(
        rule_id,
        now == newest,
        f"{what} must not create anything",
        expected=f"newest conversation still {newest}",
        actual=f"newest is {now}",
        exchange=listed,
    )


def _unchanged(
    s: Session, rule_id: str, made: dict[str, Any], written: dict[str, Any], what: str
) -> None:
    """The attributes a refused update carried are as they were (reads may change others: that
    is LIFECYCLE-GET-NO-SIDE-EFFECTS's to judge)."""
    read = s.get(made["id"])
    now = read.json if read.status == 200 and isinstance(read.json, dict) else {}
    before = {name: made.get(name) for name in written}
    s.expect(
        rule_id,
        read.status == 200 and {name: now.get(name) for name in written} == before,
        f"{what} must leave the conversation unchanged",
        expected=before,
        actual=read.summary(),
        exchange=read,
    )


def _check_media_types(s: Session, made: dict[str, Any]) -> None:
    newest = _newest(s)
    create = f'{{"group_id": "{s.new_id()}"}}'.encode()
    update = {"is_muted": not made.get("is_muted")}
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
        exchange = s.send(
            "PUT",
            s.contract.item(made["id"]),
            raw=json_text(update).encode(),
            media_type=media_type,
        )
        s.expect_status(
            "PROTO-UNSUPPORTED-MEDIA-TYPE",
            exchange,
            415,
            f"an update sent as {media_type} must answer 415",
        )
    _nothing_created(s, "PROTO-UNSUPPORTED-MEDIA-TYPE", newest, "a create refused with 415")
    _unchanged(s, "PROTO-UNSUPPORTED-MEDIA-TYPE", made, update, "an update refused with 415")
    for bare in (JSON, FORM):
        # Parameters must not change the answer: judged where the bare type is served (whether
        # it is, and with which status, are the create rules' to judge).
        media_type = f"{bare}; charset=utf-8"
        answers = []
        for sent in (bare, media_type):
            group_id = s.new_id()
            body = (
                f"group_id={group_id}"
                if sent.startswith(FORM)
                else json_text({"group_id": group_id})
            )
            answers.append(
                s.send("POST", s.contract.collection_path, raw=body.encode(), media_type=sent)
            )
            s.remember(answers[-1])
        if not 200 <= answers[0].status < 300:
            continue
        s.expect(
            "PROTO-MEDIA-TYPE-PARAMETERS",
            answers[1].status == answers[0].status,
            f"a valid create sent as {media_type} must be served as one sent as {bare}",
            expected=f"{answers[0].status} (as with Content-Type {bare})",
            actual=answers[1].summary(),
            exchange=answers[1],
        )


_OVERSIZED_UPDATE = {"is_muted": True}


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
        raw=_padded(json_text(_OVERSIZED_UPDATE).encode()[:-1], 2 * limit),
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
    _unchanged(s, "PROTO-PAYLOAD-TOO-LARGE", made, _OVERSIZED_UPDATE, "an update refused with 413")
    fields = "&".join(f"field{n}=x" for n in range(_MANY_FIELDS))
    exchange = s.send(
        "POST",
        s.contract.collection_path,
        raw=f"group_id={s.new_id()}&{fields}".encode(),
        media_type=FORM,
    )
    s.remember(exchange)
    # How such a form is refused is the create rules' to judge (unknown attributes, forms):
    # this rule's is only that its size is not the reason.
    s.expect(
        "PROTO-PAYLOAD-TOO-LARGE",
        exchange.status != 413,
        f"a form create under the size limit with {_MANY_FIELDS} unknown fields is not too "
        "large: not a 413",
        expected="not 413 (a 400 for the unknown fields)",
        actual=exchange.summary(),
        exchange=exchange,
    )
    exchange = s.send(
        "POST", s.contract.collection_path, raw=_padded(create, limit), media_type=JSON
    )
    s.remember(exchange)
    s.expect(
        "PROTO-PAYLOAD-TOO-LARGE",
        200 <= exchange.status < 300,
        f"a valid create body of exactly {limit} bytes is not over the limit: it is served",
        expected="2xx (201)",
        actual=exchange.summary(),
        exchange=exchange,
    )


def _check_messages(s: Session) -> None:
    # Below the bounds, not above: a server that serves the limit anyway answers an empty
    # page, not a page longer than the schema allows (one deviation, one failure).
    low = s.contract.limit_bounds[0]
    cases = [
        (s.listing(limit=low - 1), "limit", f"limit={low - 1}"),
        (s.listing(muted="banana"), "muted", "muted=banana"),
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
        if exchange.status != 400:
            continue  # not refused as it must be: the status is another rule's finding
        s.expect(
            "PROTO-ERROR-MESSAGE",
            name in str(message),
            f"the 400 for {what} should say which parameter is at fault",
            expected=f"400 with a message naming `{name}`",
            actual=exchange.summary(),
            exchange=exchange,
        )


def _operation(s: Session, exchange: Exchange) -> Operation | None:
    """The spec's operation an exchange was aimed at, if it hit one."""
    return s.contract.spec.match(exchange.method, urlsplit(exchange.url).path)


def _audit(s: Session, exchanges: list[Exchange]) -> None:
    """Checks that hold for every response, whichever group's request provoked it."""
    written = _accepted_writes(exchanges)
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
        # A made-up method may be refused by the HTTP parser, below the API: its error body is
        # a SHOULD, and no answer of it is an operation's.
        below_api = exchange.method == _UNKNOWN_METHOD
        for problem in [] if below_api else _media_problems(exchange):
            s.expect(
                "PROTO-JSON-RESPONSES",
                False,
                f"{what}: {problem}",
                expected="application/json body",
                actual=exchange.summary(),
                exchange=exchange,
            )
        if exchange.status >= 400 and exchange.method != "HEAD":
            problems = _error_problems(s, exchange)
            s.expect(
                "PROTO-BELOW-APP-ERROR-BODY" if below_api else "PROTO-ERROR-SHAPE",
                not problems,
                f"{what}: {'; '.join(problems)}",
                expected=f"the Error object of {s.contract.error_pointer}",
                actual=exchange.summary(),
                exchange=exchange,
            )
        elif 200 <= exchange.status < 300 and not below_api:
            problems = _success_problems(s, exchange, written)
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
    # HEAD has no body, a 2xx to OPTIONS answers HTTP rather than the API, a redirect points
    # elsewhere: none of them is an answer of an operation.
    if exchange.method == "HEAD" or 300 <= exchange.status < 400:
        return
    if exchange.method == "OPTIONS" and exchange.status < 300:
        return
    if _media(exchange.content_type) != JSON:
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


def _accepted_writes(exchanges: list[Exchange]) -> set[tuple[str, str]]:
    """Each (attribute, JSON value) a JSON create or update of the run wrote and the server
    accepted."""
    written: set[tuple[str, str]] = set()
    for exchange in exchanges:
        if exchange.method not in ("POST", "PUT") or not 200 <= exchange.status < 300:
            continue
        headers = {name.lower(): value for name, value in exchange.request_headers.items()}
        if _media(headers.get("content-type", "")) != JSON:
            continue
        try:
            body = json.loads(exchange.request_body)
        except (ValueError, RecursionError):  # a body the server should not have accepted
            continue
        if isinstance(body, dict):
            written.update((name, json_text(value)) for name, value in body.items())
    return written


def _success_problems(s: Session, exchange: Exchange, written: set[tuple[str, str]]) -> list[str]:
    """The answer's departures from its response schema. An invalid value that a write of the
    run sent and the server accepted, answered back as stored, is that acceptance's finding
    (the rule that sent it refused) rather than a wrong shape of the answer."""
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
    found = sorted(
        (
            error
            for error in s.contract.spec.schema(pointer).validator.iter_errors(body)
            if not _echoed(body, list(error.path), written)
        ),
        key=lambda error: list(error.path),
    )
    return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in found[:5]]


def _echoed(body: Any, path: list[Any], written: set[tuple[str, str]]) -> bool:
    """Whether the value at ``path`` is an attribute's value that an accepted write sent."""
    if not path or not isinstance(path[-1], str):
        return False
    value = body
    for step in path:
        value = value[step]
    return (path[-1], json_text(value)) in written
