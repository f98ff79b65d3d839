"""Accepted failures: a text file of rule ids and cases that a run reports but does not fail on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from protocol_kit.conformance.outcome import FUZZ_GROUP, Outcome
from protocol_kit.conformance.verdicts import FAILED, PASSED, SKIPPED, Finding, RuleResult

_HEADER = (
    "# protocol-kit verify baseline: failures accepted for now, one a line, as RULE-ID @ CASE.\n"
    "# A case is the request's method, path template and credentials, so one accepted case of\n"
    "# a rule does not hide a new one, and an entry holds for every seed. A bare RULE-ID (the\n"
    "# property-based phase's schemathesis:CHECK:METHOD PATH) accepts every case of it.\n"
    "# Regenerate with `protocol-kit verify … --baseline PATH --baseline-update`.\n"
)
_SEPARATOR = " @ "
NO_REQUEST = "(no request)"  # a finding about no one request (e.g. a webhook delivery)


@dataclass(frozen=True)
class Entry:
    rule: str
    case: str | None  # None: every case of the rule


def load(path: Path) -> set[Entry]:
    if not path.exists():
        return set()
    entries = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#")[0].strip()
        if not text:
            continue
        rule, separator, case = text.partition(_SEPARATOR)
        entries.add(Entry(rule.strip(), case.strip() if separator else None))
    return entries


def rule_only(entries: set[Entry]) -> list[str]:
    """The behavioural rules accepted whole (entries written before cases were recorded)."""
    return sorted(e.rule for e in entries if e.case is None and not e.rule.startswith(FUZZ_GROUP))


def case(finding: Finding, outcome: Outcome) -> str:
    """The finding's case, stable across runs and seeds: method, path template and the kind of
    credentials sent (never a token)."""
    exchange = finding.exchange
    if exchange is None:
        return NO_REQUEST
    path = urlsplit(exchange.url).path.removeprefix(urlsplit(outcome.base_url).path)
    key = f"{exchange.method} {_template(path, outcome.paths)}"
    headers = {name.lower(): value for name, value in exchange.request_headers.items()}
    credentials = _credentials(headers.get("authorization"), outcome.tokens)
    return key if credentials == "Bearer <TOKEN>" else f"{key} [{credentials}]"


def apply(results: list[RuleResult], accepted: set[Entry], outcome: Outcome) -> list[str]:
    """Mark the failures the baseline accepts (a rule is accepted when every case it failed is);
    return the entries whose rule ran and no longer fails that way (the baseline can drop them)."""
    fixed = []
    for result in results:
        failing = {case(finding, outcome): finding for finding in [*result.findings, *result.more]}
        for key, finding in failing.items():
            finding.accepted = _accepts(accepted, result.rule.id, key)
        result.baselined = result.status == FAILED and (
            all(f.accepted for f in failing.values())
            if failing
            else Entry(result.rule.id, None) in accepted
        )
        if result.status == FAILED and not result.baselined:
            _show_new_cases(result)
        if result.status == SKIPPED:
            continue
        for entry in accepted:
            if entry.rule != result.rule.id:
                continue
            gone = result.status == PASSED or (entry.case is not None and entry.case not in failing)
            if gone:
                fixed.append(_line(entry))
    return sorted(fixed)


def write(path: Path, results: list[RuleResult], outcome: Outcome) -> None:
    lines = []
    for result in sorted((r for r in results if r.status == FAILED), key=lambda r: r.rule.id):
        if result.rule.group == FUZZ_GROUP:
            # Its examples are generated: the rule (a check on one operation) is the case.
            lines.append(f"{result.rule.id}  # {result.rule.statement}\n")
            continue
        cases = dict.fromkeys(case(f, outcome) for f in [*result.findings, *result.more])
        lines += [
            f"{result.rule.id}{_SEPARATOR}{key}  # {result.rule.statement}\n" for key in cases
        ]
    path.write_text(_HEADER + "".join(lines), encoding="utf-8")


def _accepts(accepted: set[Entry], rule: str, key: str) -> bool:
    return Entry(rule, None) in accepted or Entry(rule, key) in accepted


def _show_new_cases(result: RuleResult) -> None:
    """A rule failing in a case the baseline does not know: that case is shown first, even when
    it was beyond the findings a report keeps."""
    new = [f for f in [*result.findings, *result.more] if not f.accepted]
    known = [f for f in result.findings if f.accepted]
    kept = len(result.findings)
    result.findings = (new + known)[:kept] if kept else new[:1]
    result.more = [f for f in [*new, *known] if f not in result.findings]


def _line(entry: Entry) -> str:
    return entry.rule if entry.case is None else f"{entry.rule}{_SEPARATOR}{entry.case}"


def _template(path: str, templates: list[str]) -> str:
    """The spec's path template ``path`` is an instance of, or ``path`` itself."""
    for template in templates:
        pattern = re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template
    return path


def _credentials(authorization: str | None, tokens: dict[str, str]) -> str:
    """What kind of credentials a request carried, tokens named by their variable."""
    if authorization is None:
        return "no Authorization"
    scheme, space, credential = authorization.partition(" ")
    if not space:
        scheme, credential = "", authorization
    for name, token in tokens.items():
        if credential == token:
            return f"{scheme} <{name}>".strip()
    return f"{scheme} <other credentials>".strip() if credential else scheme or "empty"
