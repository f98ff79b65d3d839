"""The state one verification run shares between its checks: server, accounts, seed, data."""

from __future__ import annotations

import json
import random
import secrets
import string
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.control import RunControl
from protocol_kit.conformance.diffs import json_text, list_difference, object_difference
from protocol_kit.conformance.reports.visible import decoded
from protocol_kit.conformance.transport import Exchange, Transport
from protocol_kit.conformance.verdicts import Blocked, Ledger
from protocol_kit.conformance.webhooks import WebhookSetup

_ALPHANUMERIC = string.ascii_letters + string.digits
_GIVE_UP_AFTER = 5
_READS = ("GET", "HEAD")
_DESCRIBED_BODY = 120  # bytes of a request body shown where a create may have stored something
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class QuietGate:
    """Keeps the accounts still while a group judges them: the groups that run alongside the
    others (waiting for webhooks) write only between those groups' turns, never during one."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._writing = 0  # write stretches under way
        self._waiting = 0  # write stretches asking to start
        self._quiet = False

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A stretch of writes from alongside: it starts between two groups' turns."""
        with self._changed:
            self._waiting += 1
            self._changed.wait_for(lambda: not self._quiet)
            self._waiting -= 1
            self._writing += 1
        try:
            yield
        finally:
            with self._changed:
                self._writing -= 1
                self._changed.notify_all()

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """One group's turn: once the stretches asking to start have run, none runs until it ends."""
        with self._changed:
            self._changed.wait_for(lambda: not self._waiting and not self._writing)
            self._quiet = True
        try:
            yield
        finally:
            with self._changed:
                self._quiet = False
                self._changed.notify_all()


@dataclass
class Account:
    label: str
    token: str
    created: list[str] = field(default_factory=list)


@dataclass
class Session:
    """Everything a check function needs; checks talk to the server only through ``send``."""

    contract: Contract
    transport: Transport
    ledger: Ledger
    seed: int
    main: Account
    other: Account | None = None
    webhooks: WebhookSetup | None = None  # the kit's receiver, with --webhook-listen
    gate: QuietGate = field(default_factory=QuietGate)
    alongside: bool = False  # runs while other groups do: its writes go through the gate
    # Every token the run was given: a credential the kit makes up to be wrong is never one.
    given_tokens: frozenset[str] = frozenset()
    control: RunControl = field(default_factory=RunControl)  # shared by every fork of the run
    # Each conversation the run created: its create and the writes to it, in order (shared by
    # every fork), so that a failure's reproduction can make it again.
    history: dict[str, list[Exchange]] = field(default_factory=dict)
    rng: random.Random = field(init=False)
    blocked: str | None = None  # why the current group could not run some of its checks
    crashes: list[str] = field(default_factory=list)  # answers the current group's code choked on
    _silent: int = 0  # transport errors in a row: a server that stopped answering ends the run
    _mark: int = 0  # where the current part's requests begin in the transport's record
    _stretch: bool = False  # inside writing(): its writes are already let through

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def fork(self, name: str, *, alongside: bool) -> Session:
        """A session for checks running at the same time as others: the same server, accounts,
        ledger and gate; its own connection, record and random choices (seeded by ``name``)."""
        forked = Session(
            self.contract,
            Transport(self.transport.base_url),
            self.ledger,
            self.seed,
            self.main,
            self.other,
            self.webhooks,
            gate=self.gate,
            alongside=alongside,
            given_tokens=self.given_tokens,
            control=self.control,
            history=self.history,
        )
        forked.rng = random.Random(f"{self.seed}/{name}")
        return forked

    def join(self, fork: Session) -> None:
        """Take back a fork's requests, for the audit of every exchange."""
        self.transport.exchanges.extend(fork.transport.exchanges)
        fork.transport.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Writes that belong together. Run alongside the other groups, they wait for a gap
        between those groups' turns and then go in one stretch; otherwise nothing changes."""
        if not self.alongside or self._stretch:
            yield
            return
        with self.gate.writing():
            self._stretch = True
            try:
                yield
            finally:
                self._stretch = False

    def parts_at_once(self, *checks: Callable[[Session], Any]) -> None:
        """Run independent parts of a group at the same time (they spend most of their time
        waiting on the server), each on a fork; their requests join this session's record in
        part order."""
        forks = [self.fork(f"{n}", alongside=self.alongside) for n in range(1, len(checks) + 1)]
        with ThreadPoolExecutor(max_workers=len(checks)) as pool:
            for done in [
                pool.submit(f.part, check, f) for f, check in zip(forks, checks, strict=True)
            ]:
                done.result()
        for fork in forks:
            self.join(fork)
            self.blocked = self.blocked or fork.blocked
            self.crashes += fork.crashes

    def part(self, check: Callable[..., Any], *args: Any) -> Any:
        """Run one independent part of a group: if its data cannot be made, the group's other
        parts still run (the reason is kept for the rules nobody judged)."""
        self.mark()
        try:
            return check(*args)
        except Blocked as blocked:
            self.blocked = self.blocked or str(blocked)
        except Exception as exc:
            self.crashes.append(crash_message(exc))
        return None

    def mark(self) -> None:
        """A new independent part begins: its failures replay the requests from here on."""
        self._mark = len(self.transport.exchanges)

    def requests_up_to(self, exchange: Exchange | None) -> list[Exchange]:
        """The current part's requests up to ``exchange`` (the set-up that led to it)."""
        if exchange is None:
            return []
        recorded = self.transport.exchanges
        found = [exchange]  # not made in this part (e.g. the protocol audit of earlier traffic)
        for index in range(len(recorded) - 1, self._mark - 1, -1):
            if recorded[index] is exchange:
                found = recorded[self._mark : index + 1]
                break
        # A conversation made before the part began (by the group's set-up, another part): its
        # own history up to the exchange comes first, so that a replay can make it again (what
        # came after, a later delete, would change the answer).
        earlier = [
            e
            for conversation_id, history in list(self.history.items())
            if conversation_id.lower() in exchange.url.lower()
            and not any(e is history[0] for e in found)
            for e in _before(history, exchange, recorded)
            if not any(e is f for f in found)
        ]
        return earlier + found

    # ---- ids -----------------------------------------------------------------------------

    def new_id(self) -> str:
        """A well-formed id nobody uses. Fresh per run (not per seed) so that runs against the
        same server never collide with data an earlier run left behind."""
        return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(self.contract.id_length))

    # ---- requests ------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        account: Account | None = None,
        authorization: str | None = None,
        params: Any = None,
        body: Any = None,
        media_type: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        record: bool = True,
        chunked: bool = False,
    ) -> Exchange:
        """One request. ``body`` is encoded as ``media_type`` (JSON by default); ``raw`` is sent
        as is. ``authorization`` overrides the account's bearer header ("" sends none)."""
        account = account or self.main
        all_headers: dict[str, str] = {}
        if authorization is None:
            all_headers["Authorization"] = f"Bearer {account.token}"
        elif authorization:
            all_headers["Authorization"] = authorization
        content = raw
        if body is not None:
            media_type = media_type or JSON
            content = _encode(body, media_type)
        if content is not None and media_type:
            all_headers["Content-Type"] = media_type
        all_headers.update(headers or {})
        self.control.check()
        if self._silent >= _GIVE_UP_AFTER:
            raise Blocked(
                f"the server stopped answering ({_GIVE_UP_AFTER} requests in a row got no response)"
            )
        creates = method == "POST" and path == self.contract.collection_path
        with nullcontext() if method in _READS else self.writing(), self.control.request():
            # Inside the request (a signal lets it finish, clean-up waits for it): a create is
            # known to be under way from before it is sent until what it made is remembered.
            sent = self.control.create_sent(_described(method, path, content)) if creates else None
            exchange = self.transport.send(
                method,
                path,
                headers=all_headers,
                params=params,
                content=content,
                record=record,
                chunked=chunked,
            )
            if sent is not None and not exchange.error:
                self.remember(exchange, account)
                self.control.create_answered(sent)
        self._silent = self._silent + 1 if exchange.error else 0
        if record:
            self._note_history(exchange)
        if method == "DELETE" and exchange.status == 204:
            self._forget(path, account)
        return exchange

    def _note_history(self, exchange: Exchange) -> None:
        made = self.conversation(exchange) if exchange.method == "POST" else None
        if made is not None and 200 <= exchange.status < 300:
            self.history.setdefault(made["id"], [exchange])
            return
        if exchange.method in ("PUT", "DELETE"):
            for conversation_id, history in list(self.history.items()):
                if exchange.url.endswith("/" + conversation_id):
                    history.append(exchange)

    def _forget(self, path: str, account: Account) -> None:
        """A conversation the run created is deleted: nothing to clean up or keep for it."""
        for conversation_id in list(account.created):
            if path == self.contract.item(conversation_id):
                account.created.remove(conversation_id)

    def create(
        self, body: dict[str, Any], *, account: Account | None = None, media_type: str = JSON
    ) -> Exchange:
        """POST a create; whatever it creates is remembered for clean-up."""
        account = account or self.main
        exchange = self.send(
            "POST", self.contract.collection_path, account=account, body=body, media_type=media_type
        )
        self.remember(exchange, account)
        return exchange

    def remember(self, exchange: Exchange, account: Account | None = None) -> None:
        """Note a conversation the run created (from any 2xx answer to a POST), once."""
        account = account or self.main
        body = exchange.json
        if (
            200 <= exchange.status < 300
            and isinstance(body, dict)
            and isinstance(body.get("id"), str)
            and body["id"] not in account.created
        ):
            account.created.append(body["id"])

    def get(self, conversation_id: str, account: Account | None = None) -> Exchange:
        return self.send("GET", self.contract.item(conversation_id), account=account)

    def put(
        self,
        conversation_id: str,
        body: Any,
        *,
        account: Account | None = None,
        media_type: str = JSON,
    ) -> Exchange:
        return self.send(
            "PUT",
            self.contract.item(conversation_id),
            account=account,
            body=body,
            media_type=media_type,
        )

    def listing(self, account: Account | None = None, /, **params: Any) -> Exchange:
        return self.send(
            "GET",
            self.contract.collection_path,
            account=account,
            params={k: _query_value(v) for k, v in params.items()},
        )

    def clean_up(self) -> None:
        """Delete every conversation the run created (unrecorded: not part of any verdict),
        once the requests under way (of threads told to stop) are answered. What could not be
        deleted stays in ``created``, to be named."""
        self.control.wait_idle(timeout=5)
        for account in (self.main, self.other):
            if account is None:
                continue
            tried: set[str] = set()
            # Not a snapshot: a thread still finishing may remember one more meanwhile.
            while left := [c for c in account.created if c not in tried]:
                conversation_id = left[0]
                tried.add(conversation_id)
                exchange = self.transport.send(
                    "DELETE",
                    self.contract.item(conversation_id),
                    headers={"Authorization": f"Bearer {account.token}"},
                    record=False,
                )
                if exchange.error:
                    return  # the server is gone: nothing more can be cleaned
                if exchange.status < 300 or exchange.status == 404:  # deleted, or gone already
                    account.created.remove(conversation_id)

    # ---- verdicts ------------------------------------------------------------------------

    def expect(
        self,
        rule_id: str,
        ok: bool,
        message: str,
        *,
        expected: Any = "",
        actual: Any = "",
        exchange: Exchange | None = None,
    ) -> bool:
        self.control.check()  # what would be judged now is not reported
        if ok:
            return self.ledger.record(rule_id, True)
        shown = _difference(expected, actual, exchange)
        return self.ledger.record(
            rule_id,
            ok,
            message=message,
            expected=shown[0] if shown else _text(expected),
            actual=shown[1] if shown else _text(actual),
            exchange=exchange,
            requests=self.requests_up_to(exchange),
        )

    def expect_status(self, rule_id: str, exchange: Exchange, status: int, message: str) -> bool:
        return self.expect(
            rule_id,
            exchange.status == status,
            message,
            expected=str(status),
            actual=exchange.summary(),
            exchange=exchange,
        )

    def setup(self, ok: bool, message: str, exchange: Exchange | None = None) -> None:
        """Stop the check function when the data it needs could not be made; its rules are
        reported skipped (the rules about creating and updating report the cause)."""
        if not ok:
            detail = f": {exchange.summary()}" if exchange is not None else ""
            raise Blocked(f"{message}{detail}")

    def conversation(self, exchange: Exchange) -> dict[str, Any] | None:
        """The response body if it is a JSON object with an id. Lenient on purpose: the shape is
        judged by PROTO-RESPONSE-SHAPE, so one wrong field does not hide every other rule."""
        body = exchange.json
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            return dict(body)
        return None

    def require_created(
        self, rule_id: str | None, exchange: Exchange, message: str
    ) -> dict[str, Any]:
        """The created conversation (judging ``rule_id`` on the 201), or stop the check function:
        nothing downstream can run without it."""
        made = self.conversation(exchange) if 200 <= exchange.status < 300 else None
        if rule_id is not None:
            self.expect(
                rule_id,
                exchange.status == 201 and made is not None,
                message,
                expected="201 with a conversation object",
                actual=exchange.summary(),
                exchange=exchange,
            )
        self.setup(made is not None, message, exchange)
        assert made is not None
        return made

    def page(self, exchange: Exchange) -> tuple[list[dict[str, Any]], bool] | None:
        """(data, has_more) if the response is a 200 list page of objects with ids, else None."""
        data, body = self.page_data(exchange), exchange.json
        has_more = body.get("has_more") if isinstance(body, dict) else None
        if data is None or not isinstance(has_more, bool):
            return None
        return data, has_more

    def page_data(self, exchange: Exchange) -> list[dict[str, Any]] | None:
        """The conversations of a 200 list page (see `page_items`)."""
        return page_items(exchange)


def page_items(exchange: Exchange) -> list[dict[str, Any]] | None:
    """The conversations of a 200 list page, whatever else the page carries or lacks: for
    checks that only look at what is listed (the page's shape is PROTO-RESPONSE-SHAPE's)."""
    body = exchange.json
    data = body.get("data") if exchange.status == 200 and isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    if not all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in data):
        return None
    return [dict(c) for c in data]


def crash_message(exc: Exception) -> str:
    """What a check ran into, for a reader: the exception and where in the kit it happened."""
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return (
        f"the checks stopped on an unexpected answer ({type(exc).__name__}: {exc} "
        f"at {where.name}:{where.lineno})"
    )


def _described(method: str, path: str, content: bytes | None) -> str:
    """A request in one line, to find what it may have stored: method, path, body excerpt."""
    body = decoded(content[:_DESCRIBED_BODY]) if content else ""
    if content and len(content) > _DESCRIBED_BODY:
        body += "…"
    return f"{method} {path} {body}".rstrip()


def _encode(body: Any, media_type: str) -> bytes:
    if media_type == FORM:
        return urlencode([(k, _form_value(v)) for k, v in body.items()]).encode()
    return json.dumps(body).encode()


def _form_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json_text(value)


def _difference(expected: Any, actual: Any, exchange: Exchange | None) -> tuple[str, str] | None:
    """Only what differs, when both sides are data: id lists, or an expected object against the
    object (or one-item page) the response carried."""
    if _is_id_list(expected) and _is_id_list(actual):
        return list_difference(expected, actual)
    if not isinstance(expected, dict) or exchange is None or actual != exchange.summary():
        return None
    body = exchange.json
    if not isinstance(body, dict) or not set(body) & set(expected):
        return None  # not the object at all (an error, say): the whole answer says more
    prefix = f"{exchange.status} "
    data, got = expected.get("data"), body.get("data")
    if (
        isinstance(data, list)
        and isinstance(got, list)
        and len(data) == len(got) == 1
        and isinstance(data[0], dict)
        and isinstance(got[0], dict)
        and expected.get("has_more") == body.get("has_more")
    ):
        wanted, shown = object_difference(data[0], got[0])
        return f"data[0] {wanted}", f"{prefix}data[0] {shown}"
    wanted, shown = object_difference(expected, body)
    return wanted, prefix + shown


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _before(
    history: list[Exchange], exchange: Exchange, recorded: list[Exchange]
) -> list[Exchange]:
    """The requests of ``history`` sent before ``exchange``, in the order ``recorded`` (every
    request of the run) has them; all of them when ``exchange`` is not recorded."""
    order = {id(each): index for index, each in enumerate(recorded)}
    sent = order.get(id(exchange))
    if sent is None:
        return list(history)
    return [e for e in history if order.get(id(e), -1) < sent]
