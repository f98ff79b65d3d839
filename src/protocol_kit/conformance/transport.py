"""Raw HTTP to the server under test: every request/response pair is kept as a transcript."""

from __future__ import annotations

import json
import shlex
import ssl
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx

from protocol_kit.conformance.reports.visible import decoded, visible

NOT_JSON: Any = object()  # marker: the response body was not parseable JSON
_TRANSCRIPT_BODY_LIMIT = 2000
_SUMMARY_LIMIT = 2000
_CURL_BODY_LIMIT = 4000
# Headers curl makes up itself (or that only describe the connection): left out of its command.
_CURL_SENDS_ITSELF = ("host", "accept-encoding", "connection", "user-agent")


@dataclass
class Exchange:
    """One request and what came back (or the transport error instead)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    error: str | None = None

    @property
    def json(self) -> Any:
        """The parsed response body, or ``NOT_JSON``."""
        if not hasattr(self, "_json"):
            try:
                self._json = json.loads(self.response_body) if self.response_body else NOT_JSON
            except (ValueError, UnicodeDecodeError):
                self._json = NOT_JSON
        return self._json

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    def summary(self) -> str:
        """The status and a short excerpt of the body, for "actual" columns."""
        if self.error:
            return f"no response ({visible(self.error)})"
        body = self.json
        if body is not NOT_JSON:
            text = json.dumps(body, ensure_ascii=False)  # whole, one line: JSON notation
            if len(text) <= _SUMMARY_LIMIT:
                return visible(f"{self.status} {text}")
        excerpt = decoded(self.response_body[:_SUMMARY_LIMIT])
        more = (
            f"… ({len(self.response_body)} bytes)"
            if len(self.response_body) > _SUMMARY_LIMIT
            else ""
        )
        return f"{self.status} {excerpt}{more}".strip()

    def transcript(self, show_secrets: bool = False) -> str:
        """The request and response as text, like an HTTP trace."""
        lines = [f"> {self.method} {self.url}"]
        for name, value in self.request_headers.items():
            lines.append(f"> {name}: {visible(_redact(name, value, show_secrets))}")
        if self.request_body:
            lines.append(">")
            lines.append(_excerpt(self.request_body))
        lines.append("")
        if self.error:
            lines.append(f"< (no response: {visible(self.error)})")
            return "\n".join(lines)
        lines.append(f"< {self.status}")
        for name, value in self.response_headers.items():
            lines.append(f"< {name}: {visible(value)}")
        if self.response_body:
            lines.append("<")
            lines.append(_excerpt(self.response_body))
        return "\n".join(lines)

    def curl(
        self,
        show_secrets: bool = False,
        *,
        url_word: str | None = None,
        header_words: dict[str, str] | None = None,
        options: tuple[str, ...] = ("-i",),
        body_word: str | None = None,
    ) -> str:
        """A copy-pasteable command that sends the same request. ``url_word``, ``header_words``
        (by lower-case header name) and ``body_word`` (for a short printable body) replace the
        URL, header and body arguments with shell words of the caller's (e.g. ones that use
        shell variables)."""
        if self.method == "HEAD":
            # `-X HEAD` would wait for a body that never comes; `-I` is curl's HEAD.
            parts = ["curl", *(o for o in options if o != "-i"), "-I"]
        else:
            parts = ["curl", *options, "-X", self.method]
        parts.append(url_word or shlex.quote(self.url))
        sent = {name.lower(): value for name, value in self.request_headers.items()}
        for name, value in self.request_headers.items():
            if header_words and name.lower() in header_words:
                parts += ["-H", header_words[name.lower()]]
                continue
            if name.lower() in _CURL_SENDS_ITSELF or (name.lower(), value) == ("accept", "*/*"):
                continue
            if name.lower() == "content-length" and (self.request_body or value != "0"):
                continue  # curl counts the body itself
            parts += ["-H", shlex.quote(f"{name}: {_redact(name, value, show_secrets)}")]
        if self.request_body and "content-type" not in sent:
            parts += ["-H", "'Content-Type:'"]  # curl would add a form media type of its own
        body, stdin = self.request_body, ""
        core = body.rstrip(b" }")
        pad = len(body) - len(core)
        if len(body) > _CURL_BODY_LIMIT and body == core + b" " * (pad - 1) + b"}":
            # The kit's large bodies are JSON padded with spaces: rebuild them instead of pasting.
            # Through stdin: a megabyte is too long for a command line.
            script = f"print({core.decode()!r} + ' ' * {pad - 1} + '}}', end='')"
            stdin = f"python3 -c {shlex.quote(script)} | "
            parts += ["--data-binary", "@-"]
        elif len(body) > _CURL_BODY_LIMIT:
            stdin = f"printf {_printf_format(body[:_CURL_BODY_LIMIT])} | "
            parts += [
                "--data-binary",
                "@-",
                f"# … body cut at {_CURL_BODY_LIMIT} of {len(body)} bytes",
            ]
        elif body and body_word is not None:
            parts += ["--data-binary", body_word]
        elif body and _pastable(body):
            parts += ["--data-binary", shlex.quote(body.decode())]
        elif body:
            # Bytes a terminal cannot show or a paste would mangle: printf writes them back.
            stdin = f"printf {_printf_format(body)} | "
            parts += ["--data-binary", "@-"]
        return stdin + " ".join(parts)


def _pastable(body: bytes) -> bool:
    """Printable UTF-8 text (newlines and tabs allowed) survives a copy and paste as is."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return False
    return visible(text) == text


def _printf_format(body: bytes) -> str:
    """A single-quoted printf format that writes exactly ``body``: printable ASCII as itself,
    every other byte as an octal escape (POSIX printf, so sh, bash, zsh and dash agree)."""
    out = []
    for byte in body:
        char = chr(byte)
        if char == "\\":
            out.append("\\\\")
        elif char == "%":
            out.append("%%")
        elif char == "'":
            out.append("'\\''")
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "'" + "".join(out) + "'"


def _redact(name: str, value: str, show_secrets: bool) -> str:
    if show_secrets or name.lower() != "authorization":
        return value
    scheme, _, credential = value.partition(" ")
    return f"{scheme} <redacted>" if credential else "<redacted>"


def _excerpt(body: bytes) -> str:
    text = decoded(body[:_TRANSCRIPT_BODY_LIMIT])
    if len(body) > _TRANSCRIPT_BODY_LIMIT:
        text += f"… ({len(body)} bytes in all)"
    return text


@cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context, made once per process: loading the CA bundle costs more
    than the requests of a short run."""
    return httpx.create_ssl_context()


_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class Transport:
    """An httpx client bound to the server under test that records every exchange."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        # No redirects: a 3xx where the contract wants an answer is itself a finding.
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, verify=_tls())
        self.exchanges: list[Exchange] = []

    def close(self) -> None:
        self._client.close()

    def _send(self, request: httpx.Request, replayable: bool) -> httpx.Response:
        """The response to ``request``. An idempotent request that met a connection the server
        had closed (a kept-alive one it let go) is sent once more on a new one, as HTTP clients
        do (RFC 9110, section 9.2.2): sending it again is harmless, and a server that fails it
        twice is still reported."""
        try:
            return self._client.send(request)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            if request.method not in _IDEMPOTENT or not replayable:
                raise
            return self._client.send(request)

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | list[tuple[str, str]] | None = None,
        content: bytes | None = None,
        record: bool = True,
        chunked: bool = False,
    ) -> Exchange:
        url = self.base_url + path
        if params:
            url = str(httpx.URL(url, params=params))
        # An iterator makes httpx stream the body with Transfer-Encoding: chunked (no length).
        body: Any = iter([content]) if chunked and content is not None else content
        request = self._client.build_request(method, url, headers=headers or {}, content=body)
        exchange = Exchange(
            method=method,
            url=str(request.url),
            request_headers={k: v for k, v in request.headers.items()},
            request_body=content or b"",
        )
        try:
            response = self._send(request, content is None or not chunked)
            exchange.status = response.status_code
            exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
            exchange.response_body = response.content
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if record:
            self.exchanges.append(exchange)
        return exchange
