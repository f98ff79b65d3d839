"""Numbers and encodings at the edges: rounded JSON numbers, UTF-16, unlisted spellings, deep nesting, errors below the framework."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from urllib.parse import urlsplit

from protocol_kit.conformance.session import FORM, JSON, Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import Rule, cite

GROUP = "encoding"
DESCRIPTION = "numbers, encodings and malformed HTTP at the edges"
_TIMESTAMP = "/components/schemas/Timestamp"
_BAD_REQUEST = "/components/responses/BadRequest"
_DOCS = "Errors"
RULES = [
    Rule(
        "ENCODING-ROUNDED-NUMBER",
        GROUP,
        "A JSON number that is not an integer is refused where an integer is required, even when "
        "a double rounds it to one (1700000000.0000001, 9007199254740990.5): 400",
        cite(_TIMESTAMP, "Update a conversation"),
    ),
    Rule(
        "ENCODING-JSON-UTF8",
        GROUP,
        "A JSON body is UTF-8: the same body in UTF-16 is refused with 400 or 415",
        cite(_BAD_REQUEST, _DOCS),
    ),
    Rule(
        "ENCODING-UNLISTED-SPELLING",
        GROUP,
        "A form or query value that no allowed spelling covers (1_000, a leading space, "
        "non-ASCII digits, 1_0) is refused with 400",
        cite(_BAD_REQUEST, _DOCS),
    ),
    Rule(
        "ENCODING-DEEP-NESTING",
        GROUP,
        "A JSON body nested 100,000 levels deep (under 1 MiB) is answered 400, not 500",
        cite(_BAD_REQUEST, _DOCS),
    ),
    Rule(
        "ENCODING-MALFORMED-HTTP",
        GROUP,
        "A request the HTTP layer refuses (a 64 KiB header, a Content-Length that is not a "
        "number) is answered with a 4xx status",
        cite(_BAD_REQUEST, _DOCS),
    ),
    Rule(
        "ENCODING-MALFORMED-HTTP-BODY",
        GROUP,
        "Such an answer SHOULD carry the API's error object as JSON, like every other error",
        cite(_BAD_REQUEST, _DOCS),
    ),
]
_ROUNDED = ("1700000000.0000001", "9007199254740990.5")
_DEPTH = 100_000
_HUGE_HEADER = 64 * 1024
_RAW_TIMEOUT = 10.0


def check(s: Session) -> None:
    made = s.require_created(None, s.create({"contact_id": s.new_id()}), "could not create")
    item = s.contract.item(made["id"])
    for literal in _ROUNDED:
        raw = f'{{"archived_at": {literal}}}'.encode()
        exchange = s.send("PUT", item, raw=raw, media_type=JSON, record=False)
        s.expect(
            "ENCODING-ROUNDED-NUMBER",
            exchange.status == 400,
            f"the timestamp {literal} was not refused",
            expected="400",
            actual=exchange.summary(),
            exchange=exchange,
        )
    for codec in ("utf-16", "utf-16-le"):  # with and without a byte order mark
        raw = '{"is_muted": true}'.encode(codec)
        exchange = s.send("PUT", item, raw=raw, media_type=JSON, record=False)
        s.expect(
            "ENCODING-JSON-UTF8",
            exchange.status in (400, 415),
            f"a JSON body in {codec.upper()} was not refused",
            expected="400 or 415",
            actual=exchange.summary(),
            exchange=exchange,
        )
    for raw in (b"archived_at=1_000", b"archived_at=%205", "archived_at=٥".encode()):
        exchange = s.send("PUT", item, raw=raw, media_type=FORM, record=False)
        _expect_400(s, exchange, f"the form value {raw.decode()!r}")
    for limit in ("1_0", "٥"):
        params = {"limit": limit}
        got = s.send("GET", s.contract.collection_path, params=params, record=False)
        _expect_400(s, got, f"the query value limit={limit}")
    nested = b'{"archived_at": ' + b"[" * _DEPTH + b"]" * _DEPTH + b"}"
    exchange = s.send("PUT", item, raw=nested, media_type=JSON, record=False)
    s.expect(
        "ENCODING-DEEP-NESTING",
        exchange.status == 400,
        f"a JSON body nested {_DEPTH} levels deep was not answered 400",
        expected="400",
        actual=exchange.summary(),
        exchange=exchange,
    )
    _malformed_http(s, item)


def _expect_400(s: Session, exchange: Exchange, what: str) -> None:
    s.expect(
        "ENCODING-UNLISTED-SPELLING",
        exchange.status == 400,
        f"{what} is no allowed spelling and was not refused",
        expected="400",
        actual=exchange.summary(),
        exchange=exchange,
    )


def _malformed_http(s: Session, item: str) -> None:
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
        exchange = _raw(s.transport.base_url, item, request)
        s.expect(
            "ENCODING-MALFORMED-HTTP",
            400 <= exchange.status < 500,
            f"{what} was not answered with a 4xx status",
            expected="a 4xx status",
            actual=exchange.summary(),
            exchange=exchange,
        )
        if 400 <= exchange.status < 500:
            problems = s.contract.schema_errors(s.contract.error_pointer, exchange.json)
            json_type = exchange.content_type.split(";")[0].strip() == "application/json"
            s.expect(
                "ENCODING-MALFORMED-HTTP-BODY",
                json_type and not problems,
                f"the {exchange.status} for {what} is not the API's error object",
                expected=f"application/json, the Error object of {s.contract.error_pointer}",
                actual=exchange.summary(),
                exchange=exchange,
            )


def _raw(base_url: str, path: str, request: bytes) -> Exchange:
    """Send bytes no HTTP client would; the answer read up to the connection's close."""
    parts = urlsplit(base_url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    head, _, body = request.partition(b"\r\n\r\n")
    method = head.split(b" ", 1)[0].decode()
    exchange = Exchange(method, base_url + path, {"(raw)": "malformed on purpose"}, body)
    answer = b""
    try:
        with socket.create_connection((parts.hostname or "", port), _RAW_TIMEOUT) as plain:
            sock = (
                ssl.create_default_context().wrap_socket(plain, server_hostname=parts.hostname)
                if secure
                else plain
            )
            with contextlib.suppress(OSError):  # a server may answer before reading it all
                sock.sendall(request)
            while not _complete(answer) and (chunk := sock.recv(65536)):
                answer += chunk
    except OSError as exc:
        if not answer:
            exchange.error = f"{type(exc).__name__}: {exc}"
            return exchange
    status_line, _, rest = answer.partition(b"\r\n")
    fields, _, content = rest.partition(b"\r\n\r\n")
    code = status_line.split(b" ")[1:2]
    exchange.status = int(code[0]) if code and code[0].isdigit() else 0
    for line in fields.split(b"\r\n"):
        name, colon, value = line.decode("latin-1").partition(":")
        if colon:
            exchange.response_headers[name.strip().lower()] = value.strip()
    exchange.response_body = content
    if exchange.status == 0:
        exchange.error = f"no HTTP answer: {answer[:80]!r}"
    return exchange


def _complete(answer: bytes) -> bool:
    """Whether a whole answer with a Content-Length has arrived (else: read to the close)."""
    head, found, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return bool(found and length and len(body) >= int(length.group(1)))
