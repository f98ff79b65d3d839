"""The deliverer's HTTP/1.1 client against receivers that frame their answers every legal way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from protocol_kit.server.webhook_http import DeliveryError, WebhookClient

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
BODY = b'{"id":"a056V7R7NmNRjl70"}'


async def _request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head + await reader.readexactly(length)


def _deliver(answer: Answer, times: int = 2) -> tuple[list[int], list[bytes], int]:
    """POST ``times`` events through one client: the statuses, the requests the receiver got and
    how many connections they came on."""
    requests: list[bytes] = []
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while True:
                requests.append(await _request(reader))
                await answer(reader, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def run() -> list[int]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = WebhookClient()
        try:
            url = f"http://127.0.0.1:{port}/hooks/in?account=one"
            return [
                await asyncio.wait_for(client.post(url, BODY, {"X-Sig": "ab"}), 5)
                for _ in range(times)
            ]
        finally:
            client.close()
            server.close()

    statuses = asyncio.run(run())
    return statuses, requests, connections


def _fixed(raw: bytes, close: bool = False) -> Answer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw)
        if close:
            await writer.drain()
            writer.close()
            raise ConnectionError  # this connection is done

    return answer


def test_a_request_carries_the_body_its_length_host_and_headers() -> None:
    _, requests, _ = _deliver(_fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), times=1)
    head, _, body = requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /hooks/in?account=one HTTP/1.1"
    assert b"X-Sig: ab" in lines and f"Content-Length: {len(BODY)}".encode() in lines
    assert any(line.startswith(b"Host: 127.0.0.1:") for line in lines)
    assert body == BODY


@pytest.mark.parametrize(
    ("answer", "status", "connections"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, 1),
        (
            b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            202,
            1,
        ),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 204, 1),
        (b"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy", 503, 1),
        # Framed by the connection's end, or told to close: each delivery gets a new connection.
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 200, 2),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, 2),
    ],
)
def test_each_framing_gives_the_status_and_keeps_the_connection_when_it_may(
    answer: bytes, status: int, connections: int
) -> None:
    close = connections == 2
    statuses, requests, opened = _deliver(_fixed(answer, close=close))
    assert statuses == [status, status] and len(requests) == 2 and opened == connections


def test_an_answer_framed_by_closing_is_read_to_its_end() -> None:
    statuses, _, opened = _deliver(_fixed(b"HTTP/1.1 200 OK\r\n\r\nall of it", close=True))
    assert statuses == [200, 200] and opened == 2


def test_a_kept_connection_the_receiver_closed_is_replaced_without_failing() -> None:
    # Keep-alive by its headers, but the receiver hangs up after each answer.
    statuses, requests, opened = _deliver(
        _fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", close=True), times=3
    )
    assert statuses == [200, 200, 200] and len(requests) == 3 and opened == 3


@pytest.mark.parametrize(
    "answer",
    [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"],
)
def test_what_is_not_an_http_answer_is_a_delivery_error(answer: bytes) -> None:
    with pytest.raises(DeliveryError):
        _deliver(_fixed(answer, close=True), times=1)


def test_an_unreachable_receiver_is_a_delivery_error() -> None:
    async def run() -> int:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        return await WebhookClient().post(f"http://127.0.0.1:{port}/", BODY, {})

    with pytest.raises(DeliveryError, match="cannot connect"):
        asyncio.run(run())
