"""JSON bodies at the edges of a parser: numbers a double rounds to an integer, nesting 100,000 levels deep."""

from __future__ import annotations

from protocol_kit.conformance.session import JSON, Session
from protocol_kit.conformance.verdicts import requirement

GROUP = "encoding"
DESCRIPTION = "JSON numbers and nesting at the edges of a parser"
RULES = [
    requirement("ENCODING-ROUNDED-NUMBER", GROUP),
    requirement("ENCODING-DEEP-NESTING", GROUP),
]
_ROUNDED = ("1700000000.0000001", "9007199254740990.5")
_DEPTH = 100_000


def check(s: Session) -> None:
    made = s.require_created(None, s.create({"contact_id": s.new_id()}), "could not create")
    item = s.contract.item(made["id"])
    for literal in _ROUNDED:
        raw = f'{{"archived_at": {literal}}}'.encode()
        exchange = s.send("PUT", item, raw=raw, media_type=JSON, record=False)
        s.expect_status(
            "ENCODING-ROUNDED-NUMBER", exchange, 400, f"the timestamp {literal} was not refused"
        )
    nested = b'{"archived_at": ' + b"[" * _DEPTH + b"]" * _DEPTH + b"}"
    exchange = s.send("PUT", item, raw=nested, media_type=JSON, record=False)
    s.expect_status(
        "ENCODING-DEEP-NESTING", exchange, 400, f"a JSON body nested {_DEPTH} levels deep"
    )
