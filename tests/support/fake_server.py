"""A small independent implementation of the contract with fault switches, for the kit's self-tests.

Written from the pinned contract only (no code shared with reference_server/), on the standard
library's HTTP server. With no faults it conforms; each fault name switches on exactly one
deviation, so the self-tests can check that the kit notices it and which rule says so.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.support.fake_webhooks import FakeSender

# The two accounts the self-tests and the benches open on a fake server.
TOKENS = ["self-test-token-main", "self-test-token-other"]
COLLECTION = "/v1/conversations"
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE")
ITEM = re.compile(r"^/v1/conversations/([^/]+)$")
ID = re.compile(r"[A-Za-z0-9]{16}")
MIB = 1024 * 1024
MAX_TIMESTAMP = 2**53 - 1
_LATE_COMMIT = 1.0  # seconds: the before-commit fault's update is stored this long after its event
FIELDS = (
    "id",
    "contact_id",
    "group_id",
    "pinned_message_id",
    "is_pinned",
    "is_muted",
    "last_active_at",
    "last_opened_at",
    "created_at",
    "archived_at",
)
_NULLABLE = ("contact_id", "group_id", "pinned_message_id", "archived_at")
UPDATABLE = ("pinned_message_id", "is_pinned", "is_muted", "archived_at")


class Reject(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and ID.fullmatch(value) is not None


def _timestamp(value: Any, faults: set[str]) -> int | None:
    """The integer a timestamp value stands for, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer() or "float-timestamp-rejected" in faults:
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    top = 2**31 - 1 if "timestamp-max-int32" in faults else MAX_TIMESTAMP
    low = -(2**31) if "timestamp-negative-allowed" in faults else 0
    return value if low <= value <= top else None


# rewrite(method, target, status, headers, body) → the answer actually sent; status 0 hangs up.
Rewrite = Callable[[str, str, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


class FakeServer:
    """The server: accounts by token, conversations in creation order, a set of active faults."""

    def __init__(self, tokens: list[str], faults: set[str] | None = None, prefix: str = "") -> None:
        # Served under a path prefix (as behind a gateway): /PREFIX/v1/conversations.
        self.prefix = prefix
        self.tokens = {token: f"account{n}" for n, token in enumerate(tokens)}
        self.faults: set[str] = set(faults or ())
        self.rewrite: Rewrite | None = None  # for the kit's property tests: arbitrary answers
        self.rows: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.log: list[str] = []  # every request, for the determinism self-test
        self.lock = threading.Lock()
        self.committing: dict[str, threading.Timer] = {}  # the before-commit fault's updates
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.webhooks: FakeSender | None = None  # the first account's endpoint, see `subscribe`

    def subscribe(self, url: str, secret: str) -> None:
        """Send the first account's events to ``url``, signed with ``secret``."""
        self.webhooks = FakeSender(url, secret, lambda: self.faults)

    def _event(self, account: str | None, kind: str, payload: dict[str, Any]) -> None:
        first = next(iter(self.tokens.values()))
        if self.webhooks is not None and (
            account == first or "webhook-all-accounts" in self.faults
        ):
            self.webhooks.emit(f"conversation.{kind}", payload)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{self.prefix}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.webhooks is not None:
            self.webhooks.stop()
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self, faults: set[str]) -> None:
        with self.lock:
            self.rows.clear()
            self.deleted.clear()
            self.faults = set(faults)
            if self.webhooks is not None:
                self.webhooks.reset()

    # ---- request handling ----------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, body_too_large: bool
    ) -> tuple[int, Any, dict[str, str]]:
        f = self.faults
        self.log.append(f"{method} {target} {body[:200]!r}")
        parts = urlsplit(target)
        path = parts.path
        match = ITEM.match(path)
        if path == COLLECTION:
            allowed = ("GET", "POST")
        elif match:
            allowed = ("GET", "PUT", "DELETE")
        else:
            allowed = ()
        if "trailing-slash-400" in f and path.endswith("/") and len(path) > 1:
            raise Reject(400, f"No trailing slash on {path}.")
        if not allowed:
            raise Reject(404, f"No route for {path}.")
        if "head-404" in f and method == "HEAD":
            raise Reject(404, f"No route for HEAD {path}.")
        if "options-400" in f and method == "OPTIONS":
            raise Reject(400, "OPTIONS is not understood.")
        if "unknown-method-as-get" in f and method not in HTTP_METHODS:
            method = "GET"
        if method not in allowed:
            # method-404: every method the router knows that the path lacks (HEAD and OPTIONS
            # are answered before routing, a made-up method never reaches it); patch-404,
            # trace-404: that one alone.
            routed = method in HTTP_METHODS and method not in ("HEAD", "OPTIONS")
            if ("method-404" in f and routed) or f"{method.lower()}-404" in f:
                raise Reject(404, f"No route for {method} {path}.")
            extra = {} if "no-allow-header" in f else {"Allow": ", ".join(allowed)}
            raise Reject(405, f"{method} is not allowed on {path}.", extra)
        conversation_id = match.group(1) if match else None
        if "auth-after-lookup" in f and conversation_id and not self._find(None, conversation_id):
            raise Reject(404, f"No conversation with id `{conversation_id}`.")
        if "validate-before-auth" in f and method in ("POST", "PUT"):
            self._body(method, headers, body)
        # auth-skip-delete: a DELETE that carries no Authorization header at all is let through.
        unguarded = method == "DELETE" and "authorization" not in headers
        account = None if ("auth-skip-delete" in f and unguarded) else self._account(headers)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if "unknown-query-400" in f and set(query) - {
            "limit",
            "muted",
            "archived",
            "pinned",
            "group_id",
            "starting_after",
            "ending_before",
        }:
            raise Reject(400, "Unknown query parameter.")
        if method in ("POST", "PUT"):
            limit = 1_000_000 if "size-limit-decimal" in f else MIB
            if body_too_large or (len(body) > limit and "no-size-limit" not in f):
                raise Reject(413, "The request body is larger than 1 MiB.")
            data = self._body(method, headers, body)
        late = self.committing.pop(conversation_id or "", None) if method != "GET" else None
        if late is not None:
            late.join()  # writes wait for the row's late commit; reads see what is committed
        if method == "PUT" and "update-lost-write" in f:
            assert conversation_id is not None
            return 200, self._update_without_lock(account, conversation_id, data), {}
        with self.lock:
            if method == "GET" and conversation_id is None:
                return 200, self._list(account, query), {}
            if method == "POST":
                created = self._create(account, data)
                self._event(account, "created", created)
                return (200 if "create-200" in f else 201), created, {}
            assert conversation_id is not None
            # isolation-off: a retrieve by id that forgets whose conversation it is.
            owner = None if ("isolation-off" in f and method == "GET") else account
            row = self._find(owner, conversation_id)
            if row is None:
                if "malformed-id-400" in f and not _is_id(conversation_id):
                    raise Reject(400, f"`{conversation_id}` is not an id.")
                gone = "deleted-410" in f and any(r["id"] == conversation_id for r in self.deleted)
                raise Reject(410 if gone else 404, f"No conversation with id `{conversation_id}`.")
            if method == "GET":
                if "get-sets-last-opened" in f:
                    row["last_opened_at"] = int(time.time())
                return 200, _public(row), {}
            if method == "PUT":
                before = _public(row)
                # The fault's change is stored only a moment after its event went out.
                draft = dict(row) if "webhook-before-commit" in f else row
                try:
                    updated = self._update(draft, data)
                except Reject:
                    if "webhook-event-on-failure" in f:
                        self._event(account, "updated", before)
                    raise
                if updated != before or "webhook-event-on-no-op" in f:
                    stale = "webhook-payload-stale" in f
                    self._event(account, "updated", before if stale else updated)
                if draft is not row:
                    commit = threading.Timer(_LATE_COMMIT, row.update, (draft,))
                    self.committing[row["id"]] = commit
                    commit.start()
                return 200, updated, {}
            if "webhook-skip-deleted" not in f:
                gone = {"id": row["id"]} if "webhook-deleted-id-only" in f else _public(row)
                self._event(account, "deleted", gone)
            if "delete-noop" not in f:
                self.rows.remove(row)
                self.deleted.append(row)
            if "delete-200" in f:
                return 200, _public(row), {}
            return 204, None, {}

    def _account(self, headers: dict[str, str]) -> str:
        f = self.faults
        value = headers.get("authorization", "")
        challenge = (
            {} if "no-www-authenticate" in f else {"WWW-Authenticate": 'Bearer realm="protocol"'}
        )
        refused = {**challenge}
        if challenge and "no-invalid-token-error" not in f:
            refused["WWW-Authenticate"] += ', error="invalid_token"'
        scheme, _, token = value.partition(" ")
        if "auth-any-scheme" in f and token:
            scheme = "Bearer"
        if "auth-scheme-case-sensitive" not in f:
            scheme = scheme.capitalize() if scheme.lower() == "bearer" else scheme
        if scheme != "Bearer" or not token or " " in token:
            raise Reject(
                401, "Missing or malformed `Authorization: Bearer <token>` header.", challenge
            )
        if token in self.tokens:
            return self.tokens[token]
        if "auth-token-case-folded" in f:
            for known, account in self.tokens.items():
                if known.lower() == token.lower():
                    return account
        if "auth-prefix-token" in f:
            for known, account in self.tokens.items():
                if known.startswith(token) or token.startswith(known):
                    return account
        raise Reject(403 if "unknown-token-403" in f else 401, "Unknown bearer token.", refused)

    def _body(self, method: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        f = self.faults
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if "media-type-exact" in f and headers.get("content-type", "") != media:
            media = "(with parameters)"
        if not body and method == "PUT":
            if "empty-length-zero-400" in f and headers.get("content-length") == "0":
                # Refuses a declared empty body (a body with no length at all is let through):
                # a reproduction must send the Content-Length the kit sent.
                raise Reject(400, "An empty body was declared.")
            return {}
        if "media-type-ignored" in f and media not in ("application/x-www-form-urlencoded",):
            media = "application/json"
        if media == "application/json":
            try:
                data = _json(body, f)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                if "json-deep-500" in f and isinstance(exc, RecursionError):
                    raise Reject(500, "Something went wrong.") from exc
                # A create handler that lets the parser's syntax error escape.
                syntax = isinstance(exc, json.JSONDecodeError)
                if "malformed-json-500" in f and method == "POST" and syntax:
                    raise Reject(500, "Something went wrong.") from exc
                raise Reject(400, f"The body is not valid JSON: {exc}.") from exc
            if not isinstance(data, dict):
                raise Reject(400, "The body must be a JSON object.")
            return data
        form_unsupported = "form-unsupported" in f and method == "POST"  # creates take JSON only
        if media == "application/x-www-form-urlencoded" and not form_unsupported:
            try:
                pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            except (ValueError, UnicodeDecodeError) as exc:
                raise Reject(400, f"The form body is malformed: {exc}.") from exc
            if "form-untyped" in f and method == "PUT":  # updates store the form's text as is
                return dict(pairs)
            empty_is_null = "form-empty-kept" not in f or method != "PUT"
            return {k: _form_value(k, v, empty_is_null) for k, v in pairs}
        raise Reject(
            415, f"Content-Type {media or '(none)'} is not supported; send JSON or form data."
        )

    def _create(self, account: str | None, data: dict[str, Any]) -> dict[str, Any]:
        f = self.faults
        known = ("contact_id", "group_id")
        extra = [k for k in data if k not in known]
        if extra and "create-extra-allowed" not in f:
            raise Reject(400, f"Unknown attribute `{extra[0]}`.")
        for name in known:
            value = data.get(name)
            if value is not None and not _is_id(value) and "create-id-lenient" not in f:
                raise Reject(400, f"`{name}` must be a 16-character id.")
        given = [k for k in known if data.get(k) is not None]
        if not given:
            raise Reject(400, "Give exactly one of `contact_id` or `group_id`.")
        # The fault tells "both" by the names present, so a null other target counts as given.
        both = [k for k in known if k in data] if "null-counts-as-given" in f else given
        if len(both) > 1 and "create-both-allowed" not in f:
            raise Reject(400, "Give exactly one of `contact_id` or `group_id`, not both.")
        if "dedupe-contact" in f and data.get("contact_id"):
            for row in self.rows:
                if row["account"] == account and row["contact_id"] == data["contact_id"]:
                    return _public(row)
        now = time.time()
        row: dict[str, Any] = {name: None for name in FIELDS}
        row.update(
            id=f"conv{len(self.rows) + len(self.deleted):012d}"
            if "sequential-ids" in f
            else "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16)),
            contact_id=data.get("contact_id"),
            group_id=data.get("group_id"),
            is_pinned=False,
            is_muted=False,
            created_at=int(now * 1000) if "created-at-ms" in f else int(now),
            account=account,
        )
        if "archived-default-now" in f:
            row["archived_at"] = int(now)
        self.rows.append(row)
        return _public(row)

    def _update(self, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        f = self.faults
        if not data and "update-empty-400" in f:
            raise Reject(400, "Nothing to update.")
        changes: dict[str, Any] = {}
        for name, value in data.items():
            if name not in UPDATABLE:
                if "update-read-only-ignored" in f and name in FIELDS:
                    continue
                if "read-only-same-value-ok" in f and row.get(name) == value:
                    continue
                if "update-partial-apply" in f and name not in FIELDS:  # an unknown name
                    row.update(changes)
                raise Reject(400, f"`{name}` cannot be updated.")
            if value is None and "null-ignored" in f and name in _NULLABLE:  # null as not given
                continue
            if name in ("is_pinned", "is_muted"):
                if "bool-coerce" in f and value in ("true", "false"):
                    value = value == "true"
                if not isinstance(value, bool):
                    raise Reject(400, f"`{name}` must be true or false.")
            elif name == "pinned_message_id":
                if value is not None and not _is_id(value):
                    raise Reject(400, "`pinned_message_id` must be a 16-character id or null.")
            elif value is not None:
                stamp = _timestamp(value, f)
                if stamp is None:
                    raise Reject(
                        400, "`archived_at` must be an integer timestamp 0..2^53-1 or null."
                    )
                value = stamp
            changes[name] = value
        before = _public(row)
        if "update-replaces" in f:
            row.update(pinned_message_id=None, is_pinned=False, is_muted=False, archived_at=None)
        if "update-sets-last-active" in f and changes:
            row["last_active_at"] = int(time.time())
        row["touched"] = len(self.rows) + len(self.deleted) + time.monotonic()
        if "update-not-persisted" in f:
            return {**_public(row), **changes}
        row.update(changes)
        return before if "update-returns-old" in f else _public(row)

    def _update_without_lock(
        self, account: str | None, conversation_id: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Read the whole row, change the copy, write the whole row back: with no lock, a
        concurrent update that lands in between is overwritten."""
        row = self._find(account, conversation_id)
        if row is None:
            raise Reject(404, f"No conversation with id `{conversation_id}`.")
        copy = dict(row)
        time.sleep(0.003)
        answer = self._update(copy, data)
        row.update(copy)
        return answer

    def _find(self, account: str | None, conversation_id: str) -> dict[str, Any] | None:
        f = self.faults
        for row in self.rows:
            same = row["id"] == conversation_id or (
                "id-case-insensitive" in f and row["id"].lower() == conversation_id.lower()
            )
            if same and (row["account"] == account or account is None):
                return row
        return None

    def _list(self, account: str, query: dict[str, str]) -> dict[str, Any]:
        f = self.faults
        raw_limit = query.get("limit", "20" if "default-limit-20" in f else "10")
        if not re.fullmatch(r"-?\d+", raw_limit, 0 if "query-int-lenient" in f else re.ASCII):
            raise Reject(400, f"Query parameter `limit`: {raw_limit!r} is not an integer.")
        limit = int(raw_limit)
        low, high = (0, 1000) if "limit-bounds-loose" in f else (1, 100)
        if not low <= limit <= high:
            raise Reject(400, f"Query parameter `limit`: {limit} is outside 1..100.")
        if "limit-clamp-50" in f:
            limit = min(limit, 50)
        filters: dict[str, bool] = {}
        for name in ("muted", "archived", "pinned"):
            if name in query:
                value = query[name]
                # Alternative spellings are allowed, but only with their meaning.
                lenient = {"1": "false", "yes": "false", "0": "true"} if "bool-misread" in f else {}
                value = lenient.get(value, value)
                if value not in ("true", "false"):
                    raise Reject(400, f"Query parameter `{name}` must be true or false.")
                if value == "false" and name == "muted" and "false-means-absent" in f:
                    continue
                if name == "muted" and "muted-ignored" in f:
                    continue
                filters[name] = value == "true"
        group = query.get("group_id")
        if group is not None and not _is_id(group):
            raise Reject(400, "Query parameter `group_id` must be a 16-character id.")
        if "filters-need-group" in f and group is None:
            filters.pop("pinned", None)  # pinned is applied only within a group
        after, before = query.get("starting_after"), query.get("ending_before")
        if after is not None and before is not None and "both-cursors" not in f:
            raise Reject(400, "Give `starting_after` or `ending_before`, not both.")
        if after is not None and before is not None:
            before = None
        scope = [r for r in self.rows if r["account"] == account or "isolation-list" in f]
        if "oldest-first" in f:
            ordered = scope
        elif "order-by-last-update" in f:
            ordered = sorted(
                scope, key=lambda r: r.get("touched", self.rows.index(r)), reverse=True
            )
        elif "order-by-id-in-second" in f:
            ordered = sorted(scope, key=lambda r: (r["created_at"], r["id"]), reverse=True)
        else:
            ordered = list(reversed(scope))

        def matches(row: dict[str, Any]) -> bool:
            states = {
                "muted": row["is_muted"],
                "archived": bool(row["archived_at"])
                if "archived-truthy" in f
                else (row["archived_at"] is not None and row["archived_at"] <= time.time())
                if "archived-by-now" in f
                else row["archived_at"] is not None,
                "pinned": row["pinned_message_id"] is not None
                if "pinned-by-message" in f
                else row["is_pinned"],
            }
            checks = [states[k] == v for k, v in filters.items()]
            if "filters-or" in f and checks:
                checks = [any(checks)]  # the boolean filters ORed, the group still required
            if group is not None and "group-ignored" not in f:
                checks.append(row["group_id"] == group)
            return all(checks)

        cursor = after or before
        if cursor is not None:
            if not _is_id(cursor):
                raise Reject(400, f"`{cursor}` is not an id.")
            pool = self.rows if "cursor-any-account" in f else ordered
            ids = [r["id"] for r in ordered]
            # isolation-list forgets the account in the list query only, not in the cursor's.
            if cursor not in (
                r["id"] for r in ordered if r["account"] == account or "isolation-list" not in f
            ):
                if "cursor-unknown-empty" in f:
                    return {"has_more": False, "data": []}
                if "cursor-any-account" in f and any(r["id"] == cursor for r in pool):
                    return {"has_more": False, "data": []}
                raise Reject(400, f"`{cursor}` is not one of your conversations.")
            at = ids.index(cursor)
            if "cursor-must-match" in f and not matches(ordered[at]):
                raise Reject(400, f"`{cursor}` does not match the filters.")
            if after is not None:
                start = at if "after-inclusive" in f else at + 1
                rows = [r for r in ordered[start:] if matches(r)]
                page, more = rows[:limit], rows[limit:]
            else:
                rows = [r for r in ordered[:at] if matches(r)]
                if "before-from-top" in f:
                    page, more = rows[:limit], rows[limit:]
                else:
                    page, more = rows[-limit:] if limit else [], rows[:-limit] if limit else rows
                if "before-oldest-first" in f:
                    page = list(reversed(page))
                if "before-has-more-false" in f:
                    more = []
        else:
            rows = [r for r in ordered if matches(r)]
            page, more = rows[:limit], rows[limit:]
        has_more = bool(more)
        if "has-more-all-accounts" in f and cursor is None:
            everyone = [r for r in reversed(self.rows) if matches(r)]
            has_more = len(everyone) > len(page)
        if "has-more-page-full" in f:
            has_more = len(page) == limit
        body: dict[str, Any] = {"has_more": has_more, "data": [_public(r) for r in page]}
        if "list-no-has-more" in f:
            del body["has_more"]
        return body


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in FIELDS}


def _serialised(conversation: dict[str, Any], faults: set[str]) -> dict[str, Any]:
    """A conversation as the API shows it: the shape faults add or drop a field."""
    if "extra-field" in faults:
        conversation = {**conversation, "object": "conversation"}
    if "missing-field" in faults:
        conversation = {k: v for k, v in conversation.items() if k != "last_opened_at"}
    return conversation


def _json(body: bytes, faults: set[str]) -> Any:
    """A JSON body: UTF-8 only, and a number a double rounds to an integer stays what was written."""
    if "json-any-encoding" in faults:
        return json.loads(body, parse_float=_exact)  # detects UTF-16 and UTF-32 too
    text = body.decode("utf-8")
    if "json-rounded-numbers" in faults:
        return json.loads(text)
    return json.loads(text, parse_float=_exact)


def _exact(text: str) -> float | Decimal:
    """A double where it is exact enough to tell an integer, else the number as written."""
    number = Decimal(text)
    return float(text) if number == number.to_integral_value() else number


def _form_value(name: str, value: str, empty_is_null: bool) -> Any:
    """Form values are text: true/false are booleans, decimal digits are timestamps (wherever
    they stand: the contract's letter), the literal null is null, and so is an empty value of an
    attribute that can be null."""
    if value == "" and empty_is_null and name in _NULLABLE:
        return None
    if value in ("true", "false"):
        return value == "true"
    if value == "null":
        return None
    if value.isdigit() and value.isascii():
        return int(value)
    return value


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else every small response waits for a delayed ACK

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def __getattr__(self, name: str) -> Any:
            # Every method, made-up ones included, goes through one dispatcher.
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

        def _read_body(self) -> tuple[bytes, bool]:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks, size = [], 0
                while True:
                    length = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if length == 0:
                        self.rfile.readline()
                        break
                    chunks.append(self.rfile.read(length))
                    size += length
                    self.rfile.readline()
                body = b"".join(chunks)
            else:
                length = self.headers.get("Content-Length") or "0"
                if not (length.isascii() and length.isdigit()):
                    raise ValueError(f"Content-Length {length!r} is not a number")
                body = self.rfile.read(int(length))
            limit = 1_000_000 if "size-limit-decimal" in server.faults else MIB
            return body, len(body) > limit and "no-size-limit" not in server.faults

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """Errors of the HTTP layer (a head too large, a bad Content-Length) as the API's."""
            if "http-errors-html" in server.faults:
                super().send_error(code, message, explain)
                return
            if "http-errors-unanswered" in server.faults:
                self.close_connection = True  # hung up: no status at all
                return
            self.close_connection = True
            kind = "invalid_request"
            content = json.dumps(
                {
                    "type": kind,
                    "message": message or "The request is not valid HTTP/1.1.",
                    "documentation_url": f"https://protocol.chat/docs/errors/{kind}",
                }
            ).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(content)

        def _dispatch(self) -> None:
            f = server.faults
            try:
                body, too_large = self._read_body()
            except ValueError as exc:
                self.send_error(400, str(exc))
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            target = self.path
            if server.prefix:
                inside = target.startswith(server.prefix + "/")
                target = target[len(server.prefix) :] if inside else "/outside-the-prefix"
            try:
                status, payload, extra = server.handle(
                    self.command, target, headers, body, too_large
                )
            except Reject as reject:
                status, extra = reject.status, reject.headers
                kind = "api_error" if status >= 500 else "invalid_request"
                if "error-type-wrong" in f:
                    kind = "invalid_request_error"
                message = "Bad request." if "error-message-generic" in f else reject.message
                payload = {
                    "type": kind,
                    "message": message,
                    "documentation_url": f"https://protocol.chat/docs/errors/{kind}",
                }
                if "error-no-doc-url" in f:
                    del payload["documentation_url"]
                if "error-text-plain" in f:
                    self._send(status, message.encode(), "text/plain", extra)
                    return
            if isinstance(payload, dict) and "id" in payload and "is_muted" in payload:
                payload = _serialised(payload, f)
            elif isinstance(payload, dict) and isinstance(payload.get("data"), list):
                # One serialiser for a conversation wherever it is shown: pages too.
                payload = {**payload, "data": [_serialised(c, f) for c in payload["data"]]}
            content = b"" if payload is None else json.dumps(payload).encode()
            media = (
                "text/plain" if "success-text-plain" in f and status < 400 else "application/json"
            )
            if "webhook-write-waits" in f and server.webhooks is not None:
                server.webhooks.drain()  # the answer waits for the event's delivery
            self._send(status, content, media, extra)

        def _send(self, status: int, content: bytes, media: str, extra: dict[str, str]) -> None:
            headers = {"Content-Type": media, **extra} if content else dict(extra)
            if server.rewrite is not None:
                status, headers, content = server.rewrite(
                    self.command, self.path, status, headers, content
                )
                if status == 0:
                    self.close_connection = True  # hang up without an answer
                    return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

    return Handler
