"""Bytes no HTTP client sends: a request written out by hand on a socket, its answer read back as an Exchange."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from urllib.parse import urlsplit

from protocol_kit.conformance.transport import Exchange

_RAW_TIMEOUT = 10.0


def send_raw(base_url: str, path: str, request: bytes) -> Exchange:
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
