"""One self-contained HTML file: verdict and failure index first, failures expanded, passes folded."""

from __future__ import annotations

from html import escape as _escape
from pathlib import Path

from protocol_kit.conformance.outcome import WARNINGS, Outcome, counted
from protocol_kit.conformance.reports import reproduction
from protocol_kit.conformance.reports.visible import visible
from protocol_kit.conformance.verdicts import FAILED, PASSED, SKIPPED, Finding, RuleResult

# The page stays readable and small whatever the run found: transcripts are already cut per
# body; beyond this many characters of transcripts the rest are left to the JSON report.
_TRANSCRIPT_BUDGET = 200_000

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.15rem;margin-top:2rem} h3{font-size:1rem;margin:0}
table{border-collapse:collapse} td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left}
.failed{color:#b00020} .passed{color:#1b5e20} .skipped{color:#8a6d00}
pre,code{font:12.5px/1.4 ui-monospace,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
pre{background:#f6f8fa;padding:.75rem;margin:.25rem 0 .75rem}
.verdict{font-size:1.1rem;padding:.5rem .75rem;border-radius:4px;background:#f6f8fa}
.rule{border-left:4px solid #b00020;padding:.25rem 0 .25rem 1rem;margin:1.25rem 0}
.rule.accepted{border-color:#8a6d00} .rule.warning{border-color:#b35c00} .warning{color:#b35c00}
.finding{margin:.75rem 0 1.25rem}
.label{font-weight:600;margin:.25rem 0 0} summary{cursor:pointer}
#index li{margin:.15rem 0} td,li,p{overflow-wrap:anywhere}
@media (max-width:600px){td,th{padding:.2rem .3rem}}
"""


def escape(text: str) -> str:
    """Markup-safe and visible: what the server sent can neither inject HTML nor hide bytes."""
    return _escape(visible(text))


def write(path: Path, outcome: Outcome, show_secrets: bool) -> None:
    failed = [r for r in outcome.results if r.status == FAILED]
    # The ones that fail the run first, then the warnings, then what the baseline accepts.
    failed.sort(key=lambda r: (r.baselined, outcome.warns(r)))
    parts = [
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>protocol-kit verify: {escape(outcome.base_url)}</title><style>{_STYLE}</style>",
        f"<h1>protocol-kit verify — {escape(outcome.base_url)}</h1>",
        _verdict(outcome),
        _index(failed, outcome),
        _summary(outcome),
    ]
    budget = [_TRANSCRIPT_BUDGET]
    if failed:
        parts.append("<h2 id=failures>Failures and warnings</h2>")
    for result in failed:
        parts.append(_failure(result, outcome, show_secrets, budget))
    if budget[0] < 0:
        parts.append(
            "<p><i>Some transcripts are left out to keep this page small; the JSON report "
            "(--json) has every one.</i></p>"
        )
    for note in outcome.notes:
        parts.append(f"<p><i>note: {escape(note)}</i></p>")
    skipped = [r for r in outcome.results if r.status == SKIPPED]
    if skipped:
        parts.append(f"<h2 id=skipped>Skipped ({len(skipped)})</h2><ul>")
        parts += [f"<li><b>{escape(r.rule.id)}</b>: {escape(r.reason)}</li>" for r in skipped]
        parts.append("</ul>")
    passed = [r for r in outcome.results if r.status == PASSED]
    parts.append(
        f"<h2 id=passed>Passed ({len(passed)})</h2><details><summary>show the "
        f"{counted(len(passed), 'rule')} that passed</summary><table><tr><th>rule</th><th>statement</th></tr>"
    )
    parts += [
        f"<tr><td>{escape(r.rule.id)}</td><td>{escape(r.rule.statement)}</td></tr>" for r in passed
    ]
    parts.append("</table></details>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n</html>\n", encoding="utf-8")


def _verdict(outcome: Outcome) -> str:
    bad = outcome.failed or outcome.accepted or outcome.interrupted
    counts = outcome.counts()
    kind = "failed" if bad else "warning" if outcome.warnings else "passed"
    return (
        f"<p class='verdict {kind}'><b>{escape(outcome.verdict())}</b>"
        f" — {counts[PASSED]} passed, {counts[FAILED]} failed, {counted(counts[WARNINGS], 'warning')}, "
        f"{counts[SKIPPED]} skipped; "
        f"seed {outcome.seed}, {outcome.elapsed:.1f} s "
        f"(repeat with <code>--seed {outcome.seed}</code>)</p>"
    )


def _index(failed: list[RuleResult], outcome: Outcome) -> str:
    if not failed:
        return ""
    items = []
    for result in failed:
        first = result.findings[0].message if result.findings else ""
        accepted = " <i>(accepted by the baseline)</i>" if result.baselined else ""
        if outcome.warns(result) and not result.baselined:
            accepted = " <i class=warning>(warning: SHOULD)</i>"
        items.append(
            f"<li><a href='#{_anchor(result)}'>{escape(result.rule.id)}</a>{accepted} — "
            f"{escape(first or result.rule.statement)}</li>"
        )
    return (
        f"<nav id=index><h2>Failed rules and warnings ({len(failed)})</h2>"
        f"<ol>{''.join(items)}</ol></nav>"
    )


def _summary(outcome: Outcome) -> str:
    rows = [
        "<table><tr><th>group</th><th>passed</th><th>failed</th><th>warnings</th>"
        "<th>skipped</th></tr>"
    ]
    for group in outcome.groups:
        c = outcome.counts(group)
        rows.append(
            f"<tr><td>{escape(group)}</td><td class=passed>{c[PASSED]}</td>"
            f"<td class=failed>{c[FAILED]}</td><td class=warning>{c[WARNINGS]}</td>"
            f"<td class=skipped>{c[SKIPPED]}</td></tr>"
        )
    return "".join(rows) + "</table>"


def _failure(result: RuleResult, outcome: Outcome, show_secrets: bool, budget: list[int]) -> str:
    accepted = " (accepted by the baseline)" if result.baselined else ""
    kind = "accepted" if result.baselined else "warning" if outcome.warns(result) else "failed"
    label = "warning: a SHOULD not met" if kind == "warning" else f"{result.rule.level}"
    parts = [
        f"<section class='rule {kind}' id='{_anchor(result)}'>"
        f"<h3 class={'warning' if kind == 'warning' else 'failed'}>{escape(result.rule.id)}"
        f"{accepted} <small>({escape(label)})</small></h3>"
        f"<p>{escape(result.rule.statement)}<br>"
        f"<small>contract: {escape(result.rule.citation.text)}</small></p>"
    ]
    for finding in result.findings:
        parts.append(_finding(finding, outcome, show_secrets, budget))
    if result.omitted:
        parts.append(f"<p>… and {result.omitted} more like these.</p>")
    parts.append(
        f"<p>re-run this rule: <code>{escape(reproduction.command(outcome, result))}</code></p>"
        "</section>"
    )
    return "".join(parts)


def _finding(finding: Finding, outcome: Outcome, show_secrets: bool, budget: list[int]) -> str:
    parts = [f"<div class=finding><p><b>{escape(finding.message)}</b></p>"]
    if finding.expected:
        parts.append(f"<p class=label>expected</p><pre>{escape(finding.expected)}</pre>")
    if finding.actual:
        parts.append(f"<p class=label>actual</p><pre>{escape(finding.actual)}</pre>")
    for label, text in finding.labels.items():
        parts.append(f"<p class=label>{escape(label)}</p><pre>{escape(text)}</pre>")
    replay = reproduction.shown(finding, outcome, show_secrets)
    if replay is not None:
        parts.append(f"<p class=label>{escape(replay[0])}</p><pre>{escape(replay[1])}</pre>")
    if finding.exchange is not None:
        transcript = finding.exchange.transcript(show_secrets)
        budget[0] -= len(transcript)
        if budget[0] >= 0:
            parts.append(
                f"<details><summary>transcript</summary><pre>{escape(transcript)}</pre></details>"
            )
    parts.append("</div>")
    return "".join(parts)


def _anchor(result: RuleResult) -> str:
    return "rule-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in result.rule.id)
