"""One self-contained HTML file: the summary, then each failure with its HTTP transcript."""

from __future__ import annotations

from html import escape as _escape
from pathlib import Path

from protocol_kit.conformance.outcome import Outcome
from protocol_kit.conformance.reports.visible import visible
from protocol_kit.conformance.verdicts import FAILED, PASSED, SKIPPED

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.15rem;margin-top:2rem} table{border-collapse:collapse}
td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left}
.failed{color:#b00020} .passed{color:#1b5e20} .skipped{color:#8a6d00}
pre{background:#f6f8fa;padding:.75rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.finding{border-left:3px solid #b00020;padding-left:1rem;margin:1rem 0} code{font-size:90%}
details{margin:.25rem 0}
"""


def write(path: Path, outcome: Outcome, show_secrets: bool) -> None:
    head = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>protocol-kit verify: "
        f"{escape(outcome.base_url)}</title><style>{_STYLE}</style>"
    )
    parts = [
        head,
        f"<h1>protocol-kit verify — {escape(outcome.base_url)}</h1>",
        _verdict(outcome),
        _summary(outcome),
    ]
    failed = [r for r in outcome.results if r.status == FAILED]
    if failed:
        parts.append("<h2>Failures</h2>")
    for result in failed:
        accepted = " (accepted by the baseline)" if result.baselined else ""
        parts.append(
            f"<h3 id='{escape(result.rule.id)}' class=failed>{escape(result.rule.id)}"
            f"{accepted}</h3><p>{escape(result.rule.statement)}<br>"
            f"<small>contract: {escape(result.rule.citation.text)}</small></p>"
        )
        for finding in result.findings:
            parts.append("<div class=finding>")
            parts.append(f"<p><b>{escape(finding.message)}</b></p>")
            parts.append(
                f"<p>expected: <code>{escape(finding.expected)}</code><br>"
                f"actual: <code>{escape(finding.actual)}</code></p>"
            )
            if finding.exchange is not None:
                parts.append(
                    f"<p>reproduce:</p><pre>{escape(finding.exchange.curl(show_secrets))}</pre>"
                )
                parts.append(
                    f"<details open><summary>transcript</summary><pre>"
                    f"{escape(finding.exchange.transcript(show_secrets))}</pre></details>"
                )
            parts.append("</div>")
        if result.omitted:
            parts.append(f"<p>… and {result.omitted} more like these.</p>")
    skipped = [r for r in outcome.results if r.status == SKIPPED]
    if skipped:
        parts.append("<h2>Skipped</h2><ul>")
        parts += [f"<li><b>{escape(r.rule.id)}</b>: {escape(r.reason)}</li>" for r in skipped]
        parts.append("</ul>")
    parts.append("<h2>All rules</h2><table><tr><th>rule</th><th>status</th><th>statement</th></tr>")
    for result in outcome.results:
        parts.append(
            f"<tr><td>{escape(result.rule.id)}</td><td class={result.status}>"
            f"{result.status}</td><td>{escape(result.rule.statement)}</td></tr>"
        )
    parts.append("</table>")
    for note in outcome.notes:
        parts.append(f"<p><i>note: {escape(note)}</i></p>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n</html>\n", encoding="utf-8")


def _verdict(outcome: Outcome) -> str:
    failed = outcome.failed or outcome.accepted
    return (
        f"<p class={'failed' if failed else 'passed'}><b>{escape(outcome.verdict())}</b> — seed {outcome.seed}, "
        f"{outcome.elapsed:.1f} s (repeat with <code>--seed {outcome.seed}</code>)</p>"
    )


def _summary(outcome: Outcome) -> str:
    rows = ["<table><tr><th>group</th><th>passed</th><th>failed</th><th>skipped</th></tr>"]
    for group in outcome.groups:
        c = outcome.counts(group)
        rows.append(
            f"<tr><td>{escape(group)}</td><td class=passed>{c[PASSED]}</td>"
            f"<td class=failed>{c[FAILED]}</td><td class=skipped>{c[SKIPPED]}</td></tr>"
        )
    return "".join(rows) + "</table>"


def escape(text: str) -> str:
    """Markup-safe and visible: what the server sent can neither inject HTML nor hide bytes."""
    return _escape(visible(text))
