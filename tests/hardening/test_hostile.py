"""Hostile input: every request of hostile_corpus.jsonl gets a 4xx in the error shape and changes nothing.

Requests go out byte for byte on raw sockets (httpx would normalise or refuse many of them) to
the server as `protocol_kit.server.runner` runs it: uvicorn with `protocol_kit.server.http11`'s
protocol, which answers what h11 cannot parse in the error shape instead of uvicorn's plain
text, and refuses overlong targets (414) and header sets (431) the same way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from protocol_kit.server.auth import account_of
from protocol_kit.server.errors import DOCUMENTATION_URL
from protocol_kit.server.runner import running_server
from protocol_kit.server.storage import ConversationStore
from tests.support.serving import ServeProcess

from .make_corpus import GROUP, KNOWN

CORPUS = Path(__file__).with_name("hostile_corpus.jsonl")
TOKEN = "hostile-corpus-token"
_ENTRIES = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]


def test_the_corpus_is_large_and_covers_every_category() -> None:
    assert len(_ENTRIES) >= 150
    categories = {entry["category"] for entry in _ENTRIES}
    assert categories >= {
        "malformed-json",
        "deep-json",
        "numbers",
        "bytes",
        "ids",
        "injection",
        "repeated",
        "methods",
        "content-type",
        "oversized",
        "truncated",
        "auth",
        "http",
    }


def _bytes(pieces: Any) -> bytes:
    """Corpus byte strings: text is UTF-8; {"latin1": s} is raw bytes; {"repeat": s, "times": n}."""
    if isinstance(pieces, str):
        return pieces.encode("utf-8")
    out = bytearray()
    for piece in pieces:
        if isinstance(piece, str):
            out += piece.encode("utf-8")
        elif "latin1" in piece:
            out += piece["latin1"].encode("latin-1")
        else:
            out += _bytes(piece["repeat"]) * piece["times"]
    return bytes(out)


def _request(entry: dict[str, Any]) -> bytes:
    if "raw" in entry:
        return entry["raw"].encode("latin-1")
    body = _bytes(entry.get("body", ""))
    lines = [
        entry["method"].encode("ascii") + b" " + _bytes(entry["target"]) + b" HTTP/1.1",
        b"Host: 127.0.0.1",
    ]
    auth = entry.get("auth", f"Bearer {TOKEN}")
    if auth is not None:
        lines.append(b"Authorization: " + _bytes(auth))
    lines += [
        name.encode("ascii") + b": " + _bytes(value) for name, value in entry.get("headers", [])
    ]
    if entry.get("chunked"):
        lines.append(b"Transfer-Encoding: chunked")
        step = 64 * 1024
        body = (
            b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + step]), body[i : i + step])
                for i in range(0, len(body), step)
            )
            + b"0\r\n\r\n"
        )
    elif body or entry["method"] in ("POST", "PUT"):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _send_raw(port: int, data: bytes) -> _Answer:
    """One request on its own connection, byte for byte; reads until the server closes."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        # Answered (413) and closed before the whole body was sent: read the answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass  # unread request bytes make the server's close a reset, after its answer
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return _Answer(int(status_line.split(" ")[1]), headers, body)


def _snapshot(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT * FROM conversations ORDER BY seq").fetchall()
        counter = conn.execute("SELECT * FROM sqlite_sequence").fetchall()
    return [*rows, *counter]


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class _Server:
    url: str
    port: int
    db: Path
    before: list[tuple[Any, ...]]
    errors: _Errors


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    db = tmp_path_factory.mktemp("hostile") / "protocol.db"
    store = ConversationStore(str(db))
    store.load(
        account_of(TOKEN),
        [
            {
                "id": KNOWN,
                "contact_id": None,
                "group_id": GROUP,
                "pinned_message_id": None,
                "is_pinned": False,
                "is_muted": False,
                "last_active_at": None,
                "last_opened_at": None,
                "created_at": 1700000000,
                "archived_at": None,
            }
        ],
    )
    store.close()
    errors = _Errors()
    loggers = [logging.getLogger(name) for name in ("protocol_kit.server", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(errors)
    try:
        with running_server(db=db, tokens=[TOKEN]) as url:
            yield _Server(url, int(url.rsplit(":", 1)[1]), db, _snapshot(db), errors)
    finally:
        for logger in loggers:
            logger.removeHandler(errors)


@pytest.mark.parametrize(
    "entry", _ENTRIES, ids=[f"{i:03d}-{e['category']}-{e['name']}" for i, e in enumerate(_ENTRIES)]
)
def test_hostile_request_gets_a_4xx_in_the_error_shape(
    server: _Server, entry: dict[str, Any]
) -> None:
    answer = _send_raw(server.port, _request(entry))

    expected = entry["expect"] if isinstance(entry["expect"], list) else [entry["expect"]]
    assert answer.status in expected, answer.body[:300]
    if answer.status == 401:
        assert answer.headers.get("www-authenticate", "").startswith("Bearer")
    if answer.status == 405:
        assert answer.headers.get("allow")
    if not entry.get("head"):  # a HEAD answer has no body, by HTTP's rules
        assert answer.headers.get("content-type", "").startswith("application/json")
        document = json.loads(answer.body)
        assert set(document) == {"type", "message", "documentation_url"}
        assert document["type"] == "invalid_request"
        assert document["documentation_url"] == DOCUMENTATION_URL.format(type="invalid_request")
        assert isinstance(document["message"], str) and document["message"]

    # Still healthy, nothing written, nothing logged as a server error.
    healthy = httpx.get(
        f"{server.url}/v1/conversations/{KNOWN}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert healthy.status_code == 200
    assert _snapshot(server.db) == server.before
    assert not server.errors.records, [r.getMessage() for r in server.errors.records]


def test_body_cut_short_by_the_client_is_no_server_error(server: _Server) -> None:
    """Content-Length promises more than arrives, then the client half-closes.

    No answer can be checked here: uvicorn drops any response once the client's side is closed
    (ASGI `http.disconnect`). What can be checked is that nothing is written, the server stays
    healthy, and the cut-off is handled as the client's fault rather than logged as a crash.
    """
    request = (
        b"POST /v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Bearer {TOKEN}\r\n".encode()
        + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        + b'{"contact_id": "WAz8eIbvDR60rouK"}'
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    healthy = httpx.get(
        f"{server.url}/v1/conversations/{KNOWN}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert healthy.status_code == 200
    assert _snapshot(server.db) == server.before
    assert not server.errors.records, [r.getMessage() for r in server.errors.records]


def test_protocol_kit_serve_answers_unparsable_http_in_the_error_shape(serve: ServeProcess) -> None:
    serve.start()
    for raw in (
        b"GARBAGE\r\n\r\n",
        b"GET /v1/conversations HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    ):
        answer = _send_raw(serve.port, raw)
        assert answer.status == 400
        assert set(json.loads(answer.body)) == {"type", "message", "documentation_url"}
