"""Authentication: every operation refuses missing, malformed and unknown tokens with 401."""

from __future__ import annotations

import base64
import re
import string
from hashlib import sha256
from typing import Any

from protocol_kit.conformance.session import JSON, Session
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import requirement

GROUP = "auth"
DESCRIPTION = "bearer tokens on every operation"
RULES = [
    requirement("AUTH-MISSING", GROUP),
    requirement("AUTH-MALFORMED", GROUP),
    requirement("AUTH-UNKNOWN-TOKEN", GROUP),
    requirement("AUTH-TOKEN-EXACT", GROUP),
    requirement("AUTH-SCHEME-CASE-INSENSITIVE", GROUP),
    requirement("AUTH-WWW-AUTHENTICATE", GROUP),
    requirement("AUTH-INVALID-TOKEN-ERROR", GROUP),
    requirement("AUTH-NO-SIDE-EFFECTS", GROUP),
    requirement("AUTH-BEFORE-VALIDATION", GROUP),
    requirement("AUTH-BEFORE-ID", GROUP),
]


# The cases where a bearer token was sent and refused (RFC 6750, section 3: invalid_token).
_TOKEN_SENT = ("AUTH-UNKNOWN-TOKEN", "AUTH-TOKEN-EXACT")
_INVALID_TOKEN = re.compile(r'\berror\s*=\s*"?invalid_token"?', re.IGNORECASE)


def _credentials(token: str, taken: frozenset[str]) -> list[tuple[str, str, str]]:
    """The wrong credentials to send, derived from ``token``; none is a token the run was given
    (``taken``): a one-letter token's neighbour can be the other account's."""
    basic = base64.b64encode(f"{token}:".encode()).decode()
    cases = [
        ("AUTH-MISSING", "", "no Authorization header"),
        ("AUTH-MALFORMED", f"Basic {basic}", "Basic credentials"),
        ("AUTH-MALFORMED", f"Token {token}", "the scheme `Token`"),
        ("AUTH-MALFORMED", "Bearer", "`Bearer` without a token"),
        ("AUTH-MALFORMED", token, "the token without a scheme"),
        ("AUTH-UNKNOWN-TOKEN", "Bearer " + token + "x", "the token with a character appended"),
        # Derived from the token (so it is one nobody has) but not revealing it in a report.
        (
            "AUTH-UNKNOWN-TOKEN",
            "Bearer unknown" + sha256(token.encode()).hexdigest(),
            "an unknown token",
        ),
    ]
    if len(token) > 1:
        cases.append(
            ("AUTH-UNKNOWN-TOKEN", "Bearer " + token[:-1], "the token minus its last character")
        )
    for variant, what in _near_misses(token, taken):
        cases.append(("AUTH-TOKEN-EXACT", f"Bearer {variant}", what))
    return [
        case
        for case in cases
        if case[0] not in _WRONG_TOKEN_RULES or case[1].removeprefix("Bearer ") not in taken
    ]


_WRONG_TOKEN_RULES = ("AUTH-UNKNOWN-TOKEN", "AUTH-TOKEN-EXACT")


def _near_misses(token: str, taken: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """Tokens that differ from a valid one only slightly: a server must not accept them."""
    variants = [
        (token.swapcase(), "the token with its letter case swapped"),
        (token.upper(), "the token in upper case"),
        (token.lower(), "the token in lower case"),
    ]
    middle = len(token) // 2
    changed = next(
        variant
        for letter in string.ascii_uppercase + string.digits
        if (variant := token[:middle] + letter + token[middle + 1 :]) != token
        and variant not in taken
    )
    variants.append((changed, "one character changed"))
    seen = {token, *taken}
    distinct = []
    for variant, what in variants:
        if variant not in seen:
            seen.add(variant)
            distinct.append((variant, what))
    return distinct


def _scheme_spellings() -> list[str]:
    return ["bearer", "BEARER", "bEaReR"]


def check(s: Session) -> None:
    # Every operation, on an id nobody has: authentication comes before the id lookup, so
    # these need no data and answer 401 on any conforming server.
    s.part(_refuse_everywhere, s, s.new_id(), s.new_id())
    s.part(_check_side_effects, s)
    s.part(_refuse_before_validation, s, s.new_id())
    s.part(_accept_any_scheme_case, s)


def _accept_any_scheme_case(s: Session) -> None:
    """A valid token under any spelling of the scheme name is accepted on reads and writes."""
    made = s.require_created(
        None, s.create({"group_id": s.new_id()}), "could not create a conversation"
    )
    for scheme in _scheme_spellings():
        authorization = f"{scheme} {s.main.token}"
        for method, path, body in (
            ("GET", s.contract.collection_path, None),
            ("GET", s.contract.item(made["id"]), None),
            ("PUT", s.contract.item(made["id"]), {}),
        ):
            exchange = s.send(method, path, authorization=authorization, body=body)
            s.expect_status(
                "AUTH-SCHEME-CASE-INSENSITIVE",
                exchange,
                200,
                f"{method} {path} with `Authorization: {scheme} <token>` must be accepted "
                "like `Bearer <token>`",
            )


def _refuse_before_validation(s: Session, conversation_id: str) -> None:
    oversized = b'{"is_muted": true' + b" " * (s.contract.max_body_bytes + 1) + b"}"
    bodies = [
        (b'{"contact_id": ', JSON, "malformed JSON"),
        (b'{"nickname": "x"}', JSON, "an unknown attribute"),
        (b'{"is_muted": true}', "text/plain", "an unsupported media type"),
        (oversized, JSON, "a body over the size limit"),
    ]
    for path, method in (
        (s.contract.collection_path, "POST"),
        (s.contract.item(conversation_id), "PUT"),
    ):
        for raw, media_type, what in bodies:
            exchange = s.send(method, path, authorization="", raw=raw, media_type=media_type)
            if method == "POST":
                s.remember(exchange)
            _expect_401(
                s,
                "AUTH-BEFORE-VALIDATION",
                exchange,
                f"{method} {path} without a token and with {what}",
                verb="should",  # a body parser in front of authentication is allowed
            )


def _requests(s: Session, conversation_id: str, group_id: str) -> list[tuple[str, str, Any]]:
    item = s.contract.item(conversation_id)
    return [
        ("GET", s.contract.collection_path, None),
        ("POST", s.contract.collection_path, {"group_id": group_id}),
        ("GET", item, None),
        ("PUT", item, {"is_muted": True, "archived_at": 1_700_000_000}),
        ("DELETE", item, None),
    ]


def _refuse_everywhere(s: Session, conversation_id: str, group_id: str) -> None:
    for rule_id, authorization, what in _credentials(s.main.token, s.given_tokens):
        for method, path, body in _requests(s, conversation_id, group_id):
            exchange = s.send(method, path, authorization=authorization, body=body)
            if method == "POST":
                s.remember(exchange)
            rule = (
                "AUTH-BEFORE-ID"
                if rule_id == "AUTH-MISSING" and path != s.contract.collection_path
                else rule_id
            )
            _expect_401(s, rule, exchange, f"{method} {path} with {what}")


def _check_side_effects(s: Session) -> None:
    """Refused writes on a real conversation change nothing; refused creates store nothing."""
    group_id = s.new_id()
    made = s.require_created(
        None, s.create({"group_id": group_id}), "could not create a conversation"
    )
    for rule_id, authorization, what in _credentials(s.main.token, s.given_tokens):
        for method, path, body in _requests(s, made["id"], group_id)[1:]:
            if method == "GET":
                continue
            exchange = s.send(method, path, authorization=authorization, body=body)
            if method == "POST":
                s.remember(exchange)
            _expect_401(s, rule_id, exchange, f"{method} {path} with {what}")
    read = s.get(made["id"])
    s.expect(
        "AUTH-NO-SIDE-EFFECTS",
        read.status == 200 and read.json == made,
        "after refused PUTs and DELETEs the conversation must be unchanged",
        expected=made,
        actual=read.summary(),
        exchange=read,
    )
    listed = s.listing(group_id=group_id)
    page = s.page(listed)
    s.expect(
        "AUTH-NO-SIDE-EFFECTS",
        page is not None and [c["id"] for c in page[0]] == [made["id"]],
        "refused creates must not have stored anything",
        expected=[made["id"]],
        actual=listed.summary(),
        exchange=listed,
    )


def _expect_401(
    s: Session, rule_id: str, exchange: Exchange, what: str, verb: str = "must"
) -> None:
    s.expect_status(rule_id, exchange, 401, f"{what} {verb} answer 401")
    if exchange.status == 401:
        challenge = exchange.response_headers.get("www-authenticate", "")
        s.expect(
            "AUTH-WWW-AUTHENTICATE",
            challenge.split(" ")[0].lower() == "bearer",
            f"the 401 for {what} must carry WWW-Authenticate: Bearer",
            expected="WWW-Authenticate: Bearer …",
            actual=challenge or "(no header)",
            exchange=exchange,
        )
        if rule_id in _TOKEN_SENT:
            s.expect(
                "AUTH-INVALID-TOKEN-ERROR",
                _INVALID_TOKEN.search(challenge) is not None,
                f'the 401 for {what} should say why: error="invalid_token"',
                expected='WWW-Authenticate: Bearer error="invalid_token"',
                actual=challenge or "(no header)",
                exchange=exchange,
            )
