"""Text a server sent, made safe to show: control characters and undecodable bytes as escapes."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, surrogates, the two XML non-characters,
# and the formatting characters that reorder or hide text on a terminal (bidi overrides,
# zero-width marks, line/paragraph separators, byte-order mark).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def visible(text: str) -> str:
    """``text`` with every character a report medium cannot carry or a reader cannot see written
    as a backslash escape (``\\x00``, ``\\u202e``): valid in XML 1.0, harmless on a terminal."""
    return _INVISIBLE.sub(_escape, text)


def decoded(body: bytes) -> str:
    """Bytes as text: UTF-8 where it is, ``\\xNN`` for each byte that is not, then ``visible``."""
    return visible(body.decode("utf-8", "backslashreplace"))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
