"""Authentication: every operation refuses missing, malformed and unknown tokens with 401."""

from __future__ import annotations

import base64
from typing import Any

from conformance.session import Session
from conformance.transport import Exchange
from conformance.verdicts import Rule

GROUP = "auth"
DESCRIPTION = "bearer tokens on every operation"
_C = "contract issue #2 §2 Pinned contract: Auth"
RULES = [
    Rule("AUTH-MISSING", GROUP, "A request without Authorization answers 401 on every operation",
         f"{_C} — missing token → 401"),
    Rule("AUTH-MALFORMED", GROUP,
         "A malformed Authorization (other scheme, Basic, no token) answers 401",
         f"{_C} — malformed token → 401"),
    Rule("AUTH-UNKNOWN-TOKEN", GROUP,
         "An unknown bearer token (including a prefix or extension of a real one) answers 401",
         f"{_C} — unknown token → 401"),
    Rule("AUTH-WWW-AUTHENTICATE", GROUP, "Every 401 carries a `WWW-Authenticate: Bearer …` header",
         f"{_C} — 401 with a WWW-Authenticate: Bearer header"),
    Rule("AUTH-NO-SIDE-EFFECTS", GROUP, "A request refused with 401 changes nothing",
         f"{_C}; Errors"),
    Rule("AUTH-BEFORE-ID", GROUP,
         "Authentication comes before the id lookup: unknown ids without a token answer 401",
         "contract issue #2 §2 Pinned contract: Order of checks — routing, then authentication"),
]


def _credentials(token: str) -> list[tuple[str, str, str]]:
    basic = base64.b64encode(f"{token}:".encode()).decode()
    cases = [
        ("AUTH-MISSING", "", "no Authorization header"),
        ("AUTH-MALFORMED", f"Basic {basic}", "Basic credentials"),
        ("AUTH-MALFORMED", f"Token {token}", "the scheme `Token`"),
        ("AUTH-MALFORMED", "Bearer", "`Bearer` without a token"),
        ("AUTH-MALFORMED", token, "the token without a scheme"),
        ("AUTH-UNKNOWN-TOKEN", "Bearer " + token + "x", "the token with a character appended"),
        ("AUTH-UNKNOWN-TOKEN", "Bearer unknown" + token[::-1], "an unknown token"),
    ]
    if len(token) > 1:
        cases.append(("AUTH-UNKNOWN-TOKEN", "Bearer " + token[:-1], "the token minus its last character"))
    return cases


def check(s: Session) -> None:
    group_id = s.new_id()
    made_ex = s.create({"group_id": group_id})
    made = s.require_created(None, made_ex, "could not create a conversation")
    item = s.contract.item(made["id"])
    requests: list[tuple[str, str, Any]] = [
        ("GET", s.contract.collection_path, None),
        ("POST", s.contract.collection_path, {"group_id": group_id}),
        ("GET", item, None),
        ("PUT", item, {"is_muted": True, "archived_at": 1_700_000_000}),
        ("DELETE", item, None),
    ]
    for rule_id, authorization, what in _credentials(s.main.token):
        for method, path, body in requests:
            exchange = s.send(method, path, authorization=authorization, body=body)
            if method == "POST":
                s.remember(exchange)
            _expect_401(s, rule_id, exchange, f"{method} {path} with {what}")
    for method, body in (("GET", None), ("PUT", {"is_muted": True}), ("DELETE", None)):
        exchange = s.send(method, s.contract.item(s.new_id()), authorization="", body=body)
        _expect_401(s, "AUTH-BEFORE-ID", exchange, f"{method} of an unknown id without a token")

    read = s.get(made["id"])
    s.expect("AUTH-NO-SIDE-EFFECTS", read.status == 200 and read.json == made,
             "after refused PUTs and DELETEs the conversation must be unchanged",
             expected=made, actual=read.summary(), exchange=read)
    listed = s.list(group_id=group_id)
    page = s.page(listed)
    s.expect("AUTH-NO-SIDE-EFFECTS", page is not None and [c["id"] for c in page[0]] == [made["id"]],
             "refused creates must not have stored anything", expected=[made["id"]],
             actual=listed.summary(), exchange=listed)


def _expect_401(s: Session, rule_id: str, exchange: Exchange, what: str) -> None:
    s.expect_status(rule_id, exchange, 401, f"{what} must answer 401")
    if exchange.status == 401:
        challenge = exchange.response_headers.get("www-authenticate", "")
        s.expect("AUTH-WWW-AUTHENTICATE", challenge.split(" ")[0].lower() == "bearer",
                 f"the 401 for {what} must carry WWW-Authenticate: Bearer",
                 expected="WWW-Authenticate: Bearer …", actual=challenge or "(no header)",
                 exchange=exchange)
