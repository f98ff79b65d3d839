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
    # Refused creates are looked for by listing the group they named.
    requirement("AUTH-NO-SIDE-EFFECTS", GROUP, relies_on=("LIST-FILTER-GROUP",)),
    requirement("AUTH-BEFORE-VALIDATION", GROUP),
    # A request without a token must be refused at all for its order to show.
    requirement("AUTH-BEFORE-ID", GROUP, relies_on=("AUTH-MISSING",)),
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
    s.part(_refuse_before_lookup, s, s.new_id())
    s.part(_refuse_everywhere, s)
    s.part(_refuse_before_validation, s)
    s.part(_accept_any_scheme_case, s)


def _accept_any_scheme_case(s: Session) -> None:
    """A valid token under any spelling of the scheme name is accepted on reads and writes."""
    made = s.require_created(
        None, s.create({"group_id": s.new_id()}), "could not create a conversation"
    )
    # Each update changes something: whether an empty one is served is UPDATE-EMPTY's.
    muted = bool(made.get("is_muted"))
    for scheme in _scheme_spellings():
        authorization = f"{scheme} {s.main.token}"
        muted = not muted
        for method, path, body in (
            ("GET", s.contract.collection_path, None),
            ("GET", s.contract.item(made["id"]), None),
            ("PUT", s.contract.item(made["id"]), {"is_muted": muted}),
        ):
            exchange = s.send(method, path, authorization=authorization, body=body)
            s.expect_status(
                "AUTH-SCHEME-CASE-INSENSITIVE",
                exchange,
                200,
                f"{method} {path} with `Authorization: {scheme} <token>` must be accepted "
                "like `Bearer <token>`",
            )


def _refuse_before_validation(s: Session) -> None:
    # A real conversation: whether an id nobody has is looked up first is AUTH-BEFORE-ID's.
    made = s.require_created(
        None, s.create({"group_id": s.new_id()}), "could not create a conversation"
    )
    oversized = b'{"is_muted": true' + b" " * (s.contract.max_body_bytes + 1) + b"}"
    bodies = [
        (b'{"contact_id": ', JSON, "malformed JSON"),
        (b'{"nickname": "x"}', JSON, "an unknown attribute"),
        (b'{"is_muted": true}', "text/plain", "an unsupported media type"),
        (oversized, JSON, "a body over the size limit"),
    ]
    for path, method in (
        (s.contract.collection_path, "POST"),
        (s.contract.item(made["id"]), "PUT"),
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


def _refuse_before_lookup(s: Session, conversation_id: str) -> None:
    """Without a token, an id nobody has answers 401 like any other: authentication comes
    before the id lookup."""
    item = s.contract.item(conversation_id)
    for method, body in (("GET", None), ("PUT", {"is_muted": True}), ("DELETE", None)):
        exchange = s.send(method, item, authorization="", body=body)
        _expect_401(s, "AUTH-BEFORE-ID", exchange, f"{method} {item} without a token")


def _requests(s: Session, conversation_id: str, group_id: str) -> list[tuple[str, str, Any]]:
    item = s.contract.item(conversation_id)
    return [
        ("GET", s.contract.collection_path, None),
        ("POST", s.contract.collection_path, {"group_id": group_id}),
        ("GET", item, None),
        ("PUT", item, _REFUSED_UPDATE),
        ("DELETE", item, None),
    ]


_REFUSED_UPDATE = {"is_muted": True, "archived_at": 1_700_000_000}


def _refuse_everywhere(s: Session) -> None:
    """Every wrong credential on every operation of a real conversation answers 401, and a
    request refused with 401 changes nothing: the conversation its writes were aimed at, and the
    group its create named, are judged once every request to them was refused with 401. A write
    that was answered otherwise is its credential rule's finding, and its changes no refusal's."""
    made: dict[str, Any] | None = None
    group_id = s.new_id()
    groups, touched = [group_id], set()  # the groups creates named; those one may have stored in
    untouched: list[dict[str, Any]] = []  # the conversations only 401s were aimed at
    for rule_id, authorization, what in _credentials(s.main.token, s.given_tokens):
        if made is None:
            made = s.require_created(
                None, s.create({"group_id": s.new_id()}), "could not create a conversation"
            )
            untouched.append(made)
        for method, path, body in _requests(s, made["id"], group_id):
            exchange = s.send(method, path, authorization=authorization, body=body)
            if method == "POST":
                s.remember(exchange)
            _expect_refused(s, rule_id, exchange, f"{method} {path} with {what}")
            if exchange.status == 401:
                continue
            if method == "POST":
                touched.add(group_id)  # the create may have stored something there
                group_id = s.new_id()
                groups.append(group_id)
            elif method != "GET" and made is not None:
                untouched.remove(made)
                made = None  # changed (or deleted) by a write that was not refused
    for conversation in untouched:
        read = s.get(conversation["id"])
        now = read.json if read.status == 200 and isinstance(read.json, dict) else {}
        # The attributes the refused update would have set: reads may change others (that is
        # LIFECYCLE-GET-NO-SIDE-EFFECTS's to judge).
        written = {name: conversation.get(name) for name in _REFUSED_UPDATE}
        s.expect(
            "AUTH-NO-SIDE-EFFECTS",
            read.status == 200 and {name: now.get(name) for name in written} == written,
            "after PUTs and DELETEs refused with 401 the conversation must be unchanged",
            expected=written,
            actual=read.summary(),
            exchange=read,
        )
    for group in [g for g in groups if g not in touched]:
        listed = s.listing(group_id=group)
        data = s.page_data(listed)
        s.expect(
            "AUTH-NO-SIDE-EFFECTS",
            data == [],
            "creates refused with 401 must not have stored anything",
            expected=[],
            actual=listed.summary(),
            exchange=listed,
        )


def _expect_refused(s: Session, rule_id: str, exchange: Exchange, what: str) -> None:
    """A wrong credential answers 401. A near miss of a valid token that is accepted shows the
    comparison is not exact; refused with another status, it is a token of no account."""
    if rule_id == "AUTH-TOKEN-EXACT":
        accepted = 0 < exchange.status < 400
        s.expect(
            rule_id,
            not accepted,
            f"{what} must not be accepted: it is not the token",
            expected="401",
            actual=exchange.summary(),
            exchange=exchange,
        )
        if accepted:
            return
        rule_id = "AUTH-UNKNOWN-TOKEN"
    _expect_401(s, rule_id, exchange, what)


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
        # The reason is a parameter of the Bearer challenge: without one, there is no place
        # for it (the missing challenge is AUTH-WWW-AUTHENTICATE's).
        if rule_id in _TOKEN_SENT and challenge.split(" ")[0].lower() == "bearer":
            s.expect(
                "AUTH-INVALID-TOKEN-ERROR",
                _INVALID_TOKEN.search(challenge) is not None,
                f'the 401 for {what} should say why: error="invalid_token"',
                expected='WWW-Authenticate: Bearer error="invalid_token"',
                actual=challenge or "(no header)",
                exchange=exchange,
            )
