"""A handful of requirements in the catalogue's shared format, for docs tests before the spec has its own."""

from __future__ import annotations

import copy
from typing import Any

from tests.support.specs import bundled

# One per kind of placement: under a section a guide page has, under one it does not have (the
# page grows a section), on the resource page under an operation and under a new section, with
# text that MDX would read as an expression or a tag if it were not escaped.
REQUIREMENTS: dict[str, dict[str, Any]] = {
    "PROTO-METHOD-NOT-ALLOWED": {
        "level": "MUST",
        "page": "errors",
        "section": "Methods",
        "statement": "A method the path does not have MUST be answered `405` with an `Allow` "
        "header that lists every method the spec defines for the path.",
        "checked": True,
    },
    "AUTH-BEARER-SCHEME": {
        "level": "MUST",
        "page": "authentication",
        "section": "Bearer tokens",
        "statement": "The scheme name of `Authorization: Bearer {token}` MUST be matched "
        "case-insensitively; a token <sent but refused> SHOULD get "
        '`error="invalid_token"`.',
        "checked": True,
    },
    "AUTH-BEFORE-BODY": {
        "level": "SHOULD",
        "page": "authentication",
        "section": "Order of checks",
        "statement": "Authentication SHOULD be checked before the body is parsed and validated.",
        "checked": True,
    },
    "LIST-UNKNOWN-CURSOR": {
        "level": "MUST",
        "page": "pagination",
        "section": "Cursors and page size",
        "statement": "An unknown or foreign cursor MUST answer 400.",
        "checked": True,
    },
    "HOOK-ACK-COMPLETE": {
        "level": "MUST",
        "page": "webhooks",
        "section": "Delivery",
        "statement": "An answer acknowledges an event only if it is a 2xx whose complete "
        "response arrives within 5 seconds of the request.",
        "checked": True,
    },
    "UPDATE-ATOMIC": {
        "level": "MUST",
        "page": "conversations",
        "section": "Update a conversation",
        "statement": "Concurrent updates of different attributes MUST all persist.",
        "checked": True,
    },
    "ID-UNPREDICTABLE": {
        "level": "SHOULD",
        "page": "conversations",
        "section": "Identifiers",
        "statement": "Ids SHOULD be unpredictable (not in creation order).",
        "checked": False,
    },
    "QUICK-ANY-SERVER": {
        "level": "MUST",
        "page": "quickstart",
        "section": "Base URLs",
        "statement": "Every path MUST be served under each base URL.",
        "checked": False,
    },
}


def with_requirements() -> dict[str, Any]:
    """The bundled spec with the handful of requirements above (replacing any it has)."""
    document = bundled()
    document["x-requirements"] = copy.deepcopy(REQUIREMENTS)  # callers may change their copy
    return document
