"""The rule catalogue: stable, unique, explained ids, each citing where the user reads the rule."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from protocol_kit.conformance.outcome import GROUP_NAMES
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.verdicts import DOCS_FILES, HEADING_SEPARATOR, Rule
from protocol_kit.spec import Spec

REPO = Path(__file__).resolve().parents[2]
RULES = [rule for group in GROUPS for rule in group.rules]


def test_rule_ids_are_unique_stable_and_explained() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for group in GROUPS:
        for rule in group.rules:
            assert rule.group == group.name
            assert re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", rule.id), rule.id
            assert rule.statement, rule.id


def test_every_group_can_be_selected() -> None:
    assert [group.name for group in GROUPS] + ["schemathesis"] == GROUP_NAMES


# What each rule is about, in the words the cited spec text and the docs section state it with.
KEY_TERMS = {
    "LIFECYCLE-CREATE-201": "created",
    "LIFECYCLE-CREATE-ECHO": "the other one null",
    "LIFECYCLE-CREATE-DISTINCT": "already has one",
    "LIFECYCLE-GET": "exactly as stored",
    "LIFECYCLE-GET-NO-SIDE-EFFECTS": "does not change it",
    "LIFECYCLE-UPDATE-RESPONSE": "as stored after the update",
    "LIFECYCLE-UPDATE-PERSISTS": "keep their value",
    "LIFECYCLE-DELETE-204": "body is empty",
    "LIFECYCLE-DELETED-404": "deleted conversation",
    "LIFECYCLE-UNKNOWN-ID-404": "case-sensitive",
    "CREATE-TARGET-REQUIRED": "exactly one of",
    "CREATE-TARGET-EXCLUSIVE": "exactly one of",
    "CREATE-NULL-IS-ABSENT": "counts as absent",
    "CREATE-UNKNOWN-ATTRIBUTE": "any other attribute",
    "CREATE-ID-FORMAT": "16 alphanumeric",
    "CREATE-MALFORMED-BODY": "malformed",
    "CREATE-REJECTED-NOT-STORED": "nothing was changed",
    "CREATE-DEFAULTS": "neither pinned nor muted",
    "CREATE-CREATED-AT": "integer unix seconds",
    "CREATE-ID-RANDOM": "random",
    "CREATE-FORM": "x-www-form-urlencoded",
    "CREATE-FORM-EMPTY-IS-ABSENT": "empty value",
    "UPDATE-READ-ONLY": "read-only",
    "UPDATE-UNKNOWN-ATTRIBUTE": "any other attribute",
    "UPDATE-TYPES": "boolean",
    "UPDATE-TIMESTAMP-RANGE": "9007199254740991",
    "UPDATE-INTEGRAL-FLOAT": "zero fraction",
    "UPDATE-NULL-CLEARS": "null unarchives",
    "UPDATE-EMPTY": "empty update",
    "UPDATE-MALFORMED-BODY": "malformed",
    "UPDATE-RANDOM-SEQUENCE": "keep their value",
    "UPDATE-FORM": "decimal digits",
    "UPDATE-FORM-EMPTY-IS-NULL": "empty value",
    "UPDATE-CONCURRENT-NO-LOST-WRITES": "concurrent updates",
    "LIST-ORDER": "same second",
    "LIST-DEFAULT-LIMIT": "by default",
    "LIST-LIMIT": "limit the number",
    "LIST-LIMIT-BOUNDS": "100",
    "LIST-FILTER-MUTED": "only the others",
    "LIST-FILTER-ARCHIVED": "0 included",
    "LIST-FILTER-PINNED": "only the others",
    "LIST-FILTER-GROUP": "specified group",
    "LIST-FILTER-COMBINED": "all of the filters",
    "LIST-FILTER-VALUES": "any other value answers 400",
    "LIST-CURSOR-FORWARD": "next page",
    "LIST-CURSOR-BACKWARD": "just before it",
    "LIST-CURSOR-FILTERED-OUT": "position in the whole list",
    "LIST-HAS-MORE": "direction of travel",
    "LIST-RANDOM-QUERIES": "paginated list",
    "LIST-CURSOR-BOTH": "cannot be combined",
    "LIST-CURSOR-UNKNOWN": "not one of your conversations",
    "LIST-UNKNOWN-PARAMETER": "are ignored",
    "AUTH-MISSING": "missing",
    "AUTH-MALFORMED": "malformed",
    "AUTH-UNKNOWN-TOKEN": "unknown",
    "AUTH-TOKEN-EXACT": "compared exactly",
    "AUTH-SCHEME-CASE-INSENSITIVE": "case-insensitive",
    "AUTH-WWW-AUTHENTICATE": "bearer",
    "AUTH-NO-SIDE-EFFECTS": "changes nothing",
    "AUTH-BEFORE-VALIDATION": "authentication comes first",
    "AUTH-BEFORE-ID": "the id it names",
    "ISOLATION-GET": "another account",
    "ISOLATION-UPDATE": "another account",
    "ISOLATION-DELETE": "another account",
    "ISOLATION-LIST": "all your conversations",
    "ISOLATION-CURSOR": "not one of your conversations",
    "ISOLATION-CREATE": "only its own conversations",
    "WEBHOOK-EVENTS": "exactly one event",
    "WEBHOOK-SIGNATURE": "hmac-sha256",
    "WEBHOOK-SCHEMA": "payload",
    "WEBHOOK-UNIQUE-ID": "an id of its own",
    "WEBHOOK-NONE-FOR-FAILURES": "a request that fails",
    "WEBHOOK-NONE-FOR-NO-OP": "changes nothing",
    "WEBHOOK-ACCOUNT": "only its own account",
    "WEBHOOK-ORDER": "in the order",
    "WEBHOOK-RETRY-503": "within 2 seconds",
    "WEBHOOK-RETRY-TIMEOUT": "within 5 seconds",
    "PROTO-UNKNOWN-PATH": "answers 404",
    "PROTO-METHOD-NOT-ALLOWED": "answers 405",
    "PROTO-ALLOW-HEADER": "allow",
    "PROTO-ROUTING-BEFORE-AUTH": "before the token is looked at",
    "PROTO-UNSUPPORTED-MEDIA-TYPE": "neither",
    "PROTO-MEDIA-TYPE-PARAMETERS": "without their parameters",
    "PROTO-PAYLOAD-TOO-LARGE": "1 mib",
    "PROTO-JSON-RESPONSES": "application/json",
    "PROTO-ERROR-SHAPE": "every 4xx",
    "PROTO-ERROR-MESSAGE": "at fault",
    "PROTO-RESPONSE-SHAPE": "conversation model",
    "PROTO-NO-SERVER-ERROR": "server's side",
}

# A docs page as a flat sequence: (heading level, heading text), or (0, body text).
Tokens = list[tuple[int, str]]


class _HtmlTokens(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: Tokens = []
        self._level = 0
        self._skip = 0  # inside <script> or <style>: not text a reader sees

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._level = int(tag[1])
            self.found.append((self._level, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._level = 0

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._level:
            level, text = self.found[-1]
            self.found[-1] = (level, (text + data).strip())
        elif data.strip():
            self.found.append((0, data.strip()))


@cache
def _tokens(name: str) -> Tokens:
    text = (REPO / name).read_text(encoding="utf-8")
    if name.endswith(".html"):
        parser = _HtmlTokens()
        parser.feed(text)
        return parser.found
    return _markdown_tokens(text)


def _markdown_tokens(markdown: str) -> Tokens:
    found: Tokens = []
    fenced = False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        heading = re.match(r"(#{1,6}) (.+)", line)
        if heading and not fenced:
            found.append((len(heading.group(1)), heading.group(2).strip()))
        elif line.strip():
            found.append((0, line.strip()))
    return found


def _sections(tokens: Tokens, path: list[str]) -> list[str]:
    """The text of every section under the heading path, each heading nested in the one before."""
    found = []
    for start, (level, text) in enumerate(tokens):
        if not level or text != path[0]:
            continue
        inside: Tokens = []
        for token in tokens[start + 1 :]:
            if token[0] and token[0] <= level:
                break
            inside.append(token)
        if len(path) == 1:
            found.append(" ".join(text for _, text in inside))
        else:
            found += _sections(inside, path[1:])
    return found


def _docs_sections(rule: Rule) -> list[str]:
    path = rule.citation.docs.split(HEADING_SEPARATOR)
    return [section for name in DOCS_FILES for section in _sections(_tokens(name), path)]


def _spec_text(node: object) -> str:
    """Every word and number the spec states at a node (its examples left out)."""
    if isinstance(node, dict):
        return " ".join(_spec_text(v) for k, v in node.items() if k not in ("examples", "example"))
    if isinstance(node, list):
        return " ".join(_spec_text(item) for item in node)
    return str(node)


def _words(text: str) -> str:
    return " ".join(text.replace("`", "").split()).lower()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_cites_a_spec_location_and_a_docs_heading(rule: Rule) -> None:
    assert Spec.load().document.node("#" + rule.citation.spec) is not None
    assert _docs_sections(rule), f"{rule.id}: no heading {rule.citation.docs} in {DOCS_FILES}"
    assert "issue" not in rule.citation.text.lower() and "issue" not in rule.statement.lower()


def test_every_rule_has_a_key_term() -> None:
    assert set(KEY_TERMS) == {rule.id for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_the_cited_spec_text_and_docs_section_state_the_rule(rule: Rule) -> None:
    term = KEY_TERMS[rule.id]
    stated = _words(_spec_text(Spec.load().document.node("#" + rule.citation.spec)))
    assert term in stated, f"{rule.id}: {rule.citation.spec} does not say {term!r}: {stated}"
    sections = [_words(section) for section in _docs_sections(rule)]
    assert any(term in section for section in sections), (
        f"{rule.id}: the docs section {rule.citation.docs} does not say {term!r}"
    )


def test_the_product_has_no_internal_references() -> None:
    """No tracker references in the product, its output or its comments."""
    tracked = subprocess.run(
        [
            "git",
            "ls-files",
            "conformance",
            "reference_server",
            "generator",
            "protocol_kit",
            "templates",
            "docs",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pattern = re.compile(r"\bissue\s*#\s*\d|contract issue", re.IGNORECASE)
    offenders = [
        f"{name}:{n}"
        for name in tracked
        if (REPO / name).is_file() and not name.endswith((".png", ".ico"))
        for n, line in enumerate(
            (REPO / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if pattern.search(line)
    ]
    assert offenders == []
