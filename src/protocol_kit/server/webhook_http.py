"""A lean HTTP/1.1 client for webhook deliveries: POST one body, read the status, keep the connection.

The deliverer sends one small POST per event and needs only the answer's status. A general
client spends most of a delivery's CPU on what this job never uses (on loopback, httpx's
AsyncClient took about 30 times the CPU of the exchange itself), and that CPU, in the server's
process, is taken from the API.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

_KEEP_IDLE = 5.0  # seconds an idle connection is kept for the next delivery
_CHUNK = 64 * 1024
# Characters a request target may carry as they are; anything else is percent-encoded.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


class DeliveryError(Exception):
    """The receiver could not be reached or did not answer in HTTP/1.1."""


@dataclass(frozen=True)
class _Target:
    origin: tuple[str, str, int]  # scheme, host, port: what a connection is kept for
    host_header: str
    path: str


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def reusable(self, now: float) -> bool:
        return (
            now - self.idle_since < _KEEP_IDLE
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


class _Stale(Exception):
    """A kept connection was closed by the receiver before it answered anything."""


class WebhookClient:
    """Keep-alive connections per origin; ``post`` answers the status code of one POST."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST ``body`` with ``headers`` (and Host, Content-Length) to ``url``; the status code.

        Time limits are the caller's (cancel the call); a cancelled or failed exchange closes
        its connection, so a half-read answer never reaches the next delivery.
        """
        target = _target(url)
        request = _request(target, body, headers)
        kept = self._take(target.origin)
        if kept is not None:
            try:
                return await self._exchange(target, kept, request)
            except _Stale:
                pass  # the receiver closed it meanwhile: the request goes on a fresh one
        connection = await _open(target)
        try:
            return await self._exchange(target, connection, request)
        except _Stale as exc:
            raise DeliveryError("the receiver closed the connection without answering") from exc

    def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _take(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.reusable(now):
                return connection
            connection.close()
        return None

    async def _exchange(self, target: _Target, connection: _Connection, request: bytes) -> int:
        try:
            connection.writer.write(request)
            await connection.writer.drain()
            status, keep = await _read_answer(connection.reader)
        except BaseException:
            connection.close()
            raise
        if keep:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(target.origin, []).append(connection)
        else:
            connection.close()
        return status


@lru_cache(maxsize=64)
def _target(url: str) -> _Target:
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    shown_host = f"[{host}]" if ":" in host else host
    default_port = port == (443 if secure else 80)
    path = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_TARGET_SAFE)
    return _Target(
        (parts.scheme, host, port), shown_host if default_port else f"{shown_host}:{port}", path
    )


def _request(target: _Target, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {target.path} HTTP/1.1", f"Host: {target.host_header}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


async def _open(target: _Target) -> _Connection:
    scheme, host, port = target.origin
    try:
        if scheme == "https":
            reader, writer = await asyncio.open_connection(
                host, port, ssl=_tls(), server_hostname=host
            )
        else:
            reader, writer = await asyncio.open_connection(host, port)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot connect: {exc}") from exc
    return _Connection(reader, writer)


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The final status, and whether the connection may carry the next request; the body is
    read and dropped (RFC 9112, section 6.3: how a response's body is framed)."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _Stale from exc
            raise DeliveryError("the answer ended inside its head") from exc
        except (asyncio.LimitOverrunError, OSError) as exc:
            raise DeliveryError(f"unreadable answer: {exc}") from exc
        version, status, headers = _parse_head(head)
        if not 100 <= status < 200 or status == 101:
            break  # 1xx are interim answers: the final one follows
    connection = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    keep = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
    try:
        if status == 101:
            return status, False  # switched protocols: nothing more to read in HTTP/1.1
        if status in (204, 304):
            return status, keep
        coding = headers.get("transfer-encoding", "").lower()
        if coding:
            if coding.rsplit(",", 1)[-1].strip() != "chunked":
                await _drain_to_end(reader)
                return status, False
            await _drain_chunked(reader)
            return status, keep
        length = headers.get("content-length")
        if length is None:
            await _drain_to_end(reader)
            return status, False
        if not length.strip().isdigit():
            raise DeliveryError(f"bad Content-Length {length!r}")
        await _drain(reader, int(length))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, ValueError) as exc:
        raise DeliveryError(f"the answer's body ended early: {exc}") from exc
    return status, keep


def _parse_head(head: bytes) -> tuple[str, int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise DeliveryError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            name = name.strip().lower()
            headers[name] = (
                f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
            )
    return version, int(code), headers


async def _drain(reader: asyncio.StreamReader, size: int) -> None:
    while size > 0:
        got = await reader.read(min(size, _CHUNK))
        if not got:
            raise asyncio.IncompleteReadError(b"", size)
        size -= len(got)


async def _drain_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailer fields
            return
        await _drain(reader, size + 2)


async def _drain_to_end(reader: asyncio.StreamReader) -> None:
    while await reader.read(_CHUNK):
        pass
