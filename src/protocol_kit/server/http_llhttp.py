"""uvicorn's httptools (llhttp) protocol, hardened like `http11.ApiH11Protocol`: the same shapes and limits."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .http11 import MAX_HEADER_BYTES, ApiH11Protocol, HeaderLimit, abandon, bad_http_body


class ApiHttpToolsProtocol(HttpToolsProtocol):
    """llhttp for the requests it parses; h11's verdict, in the API's shape, on any head it refuses.

    llhttp is stricter than h11 in places the contract has settled on h11's reading (any token
    is a method, so `FOO` gets a 405; obsolete line folding and bare-LF line ends are read, not
    refused): a head llhttp refuses is replayed into `ApiH11Protocol` on the same connection, so
    both stacks answer every request alike. A head still incomplete past `MAX_HEADER_BYTES` is
    refused, as h11 does (llhttp would buffer it without end).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = HeaderLimit(self.app)
        self._head = bytearray()  # the bytes of the current message so far, while in its head
        self._replayable = True  # `_head` holds the message from its first byte
        self._in_head = False
        self._head_size = 0
        self._completed = False

    def data_received(self, data: bytes) -> None:
        if self._replayable:
            self._head += data
        self._completed = False
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        if self._in_head:
            self._head_size += len(data)
            if self._head_size > MAX_HEADER_BYTES:
                self._refuse()
            return
        # A chunk that ended with its message leaves the next one to start clean; one that ended
        # in a body cannot tell where the next head begins.
        self._head.clear()
        self._replayable = self._completed

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_size = True, 0
        if self._completed:
            self._replayable = False  # pipelined: this head began mid-chunk

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._completed = True

    def send_400_response(self, msg: str) -> None:
        abandon(self.cycle)  # llhttp refused it after its head (Transfer-Encoding, a chunk size)
        if self._replayable and self._head:
            self._hand_over(bytes(self._head))
            return
        self._refuse()

    def _hand_over(self, head: bytes) -> None:
        self.connections.discard(self)
        successor = ApiH11Protocol(
            config=self.config, server_state=self.server_state, app_state=self.app_state
        )
        successor.connection_made(self.transport)
        self.transport.set_protocol(successor)
        successor.data_received(head)

    def _refuse(self) -> None:
        body = bad_http_body()
        self.transport.write(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )
        self.transport.close()
