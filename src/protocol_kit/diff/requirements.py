"""The requirements catalogue compared: requirements added, removed, re-levelled or reworded."""

from __future__ import annotations

import re

from protocol_kit.spec import Requirement, Spec

from .findings import Findings
from .model import CLIENTS, SERVERS, Level

B, P = Level.BREAKING, Level.POSSIBLY
CONTEXT = "requirements"
# RFC 2119 keywords, longest first so that `MUST NOT` is not read as `MUST`.
_KEYWORDS = re.compile(
    r"\b(MUST NOT|SHALL NOT|SHOULD NOT|NOT RECOMMENDED|MUST|SHALL|REQUIRED|SHOULD|RECOMMENDED|MAY|OPTIONAL)\b"
)


def _words(text: str) -> str:
    """The statement as a reader hears it: case, spacing and punctuation aside."""
    return " ".join(re.findall(r"[\w`'-]+", text.lower()))


def _binding(level: str) -> bool:
    return level.upper() == "MUST"


def compare(base: Spec, revision: Spec, found: Findings) -> None:
    b_reqs = {r.id: r for r in base.requirements}
    r_reqs = {r.id: r for r in revision.requirements}
    for rid, req in b_reqs.items():
        if rid not in r_reqs:
            found.add(
                "requirement-removed",
                {CLIENTS: P} if _binding(req.level) else {},
                f"{rid} ({req.level}) removed: clients can no longer rely on it; servers are no "
                "longer held to it",
                CONTEXT,
                req.pointer,
                None,
            )
    for rid, req in r_reqs.items():
        if rid not in b_reqs:
            found.add(
                "requirement-added",
                {SERVERS: B} if _binding(req.level) else {},
                f"{rid} ({req.level}) added"
                + (": servers are now held to it" if _binding(req.level) else ""),
                CONTEXT,
                None,
                req.pointer,
            )
        else:
            _requirement(b_reqs[rid], req, found)


def _requirement(b: Requirement, r: Requirement, found: Findings) -> None:
    if b.level != r.level:
        stricter = _binding(r.level) and not _binding(b.level)
        found.add(
            "requirement-level-changed",
            {SERVERS: B} if stricter else {CLIENTS: P},
            f"{r.id} changed from {b.level} to {r.level}: "
            + ("servers are now held to it" if stricter else "clients can no longer rely on it"),
            CONTEXT,
            b.pointer,
            r.pointer,
        )
    if b.checked != r.checked:
        found.add(
            "requirement-checked-changed",
            {SERVERS: P} if r.checked else {},
            f"{r.id} is {'now' if r.checked else 'no longer'} checked by `protocol-kit verify`",
            CONTEXT,
            b.pointer,
            r.pointer,
        )
    if (b.page, b.section) != (r.page, r.section):
        found.add(
            "requirement-moved",
            {},
            f"{r.id} moved from {b.page} › {b.section} to {r.page} › {r.section}",
            CONTEXT,
            b.pointer,
            r.pointer,
        )
    if b.statement == r.statement:
        return
    if _words(b.statement) == _words(r.statement):
        breaks: dict[str, Level] = {}
        what = "statement reformatted (same words)"
    elif _KEYWORDS.findall(b.statement) != _KEYWORDS.findall(r.statement):
        breaks = {SERVERS: B, CLIENTS: P} if _binding(r.level) else {CLIENTS: P}
        what = "statement reworded with other RFC 2119 keywords: what it obliges changed"
    else:
        breaks = {SERVERS: P, CLIENTS: P} if _binding(r.level) else {}
        what = "statement reworded: read it, its meaning may have changed"
    found.add("requirement-reworded", breaks, f"{r.id}: {what}", CONTEXT, b.pointer, r.pointer)
