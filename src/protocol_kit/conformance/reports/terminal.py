"""The terminal report: live progress while running, then a summary with each failure."""

from __future__ import annotations

import sys
import textwrap
from typing import Any, TextIO

from protocol_kit.conformance.outcome import WARNINGS, Outcome, counted
from protocol_kit.conformance.reports import reproduction
from protocol_kit.conformance.reports.visible import visible
from protocol_kit.conformance.verdicts import FAILED, PASSED, SKIPPED, RuleResult

_WIDTH = 100


class Progress:
    """Plain lines (logs, CI): one as each group starts and finishes."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.stream = stream

    def __call__(self, event: str, group: str, detail: dict[str, Any]) -> None:
        if event == "start":
            rules = f" ({counted(detail['rules'], 'rule')})" if "rules" in detail else ""
            self._write(f"▶ {group}{rules} …")
        elif event == "done":
            self._write(_done_line(group, detail))
        elif event == "note":
            self._write(f"  {group}: {detail['message']}")

    def close(self) -> None:
        pass

    def _write(self, line: str) -> None:
        print(visible(line), file=self.stream, flush=True)


class LiveProgress(Progress):
    """On a terminal: a progress bar per group that advances as each rule gets its verdict."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        super().__init__(stream)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self._bars = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=stream, highlight=False),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._bars.start()

    def __call__(self, event: str, group: str, detail: dict[str, Any]) -> None:
        bars = self._bars
        if event == "start":
            self._tasks[group] = bars.add_task(f"{group:<13}", total=detail.get("rules"))
        elif event == "rule" and group in self._tasks:
            bars.update(
                self._tasks[group], advance=1, description=f"{group:<13} {visible(detail['rule'])}"
            )
            bars.refresh()  # a rule is seconds at most: show each one, not only every 100 ms
        elif event == "done" and group in self._tasks:
            task = self._tasks[group]
            total = bars.tasks[task].total
            bars.update(task, completed=total or 1, total=total or 1)
            bars.update(task, description=visible(_done_line(group, detail)))
        elif event == "note":
            bars.console.print(visible(f"  {group}: {detail['message']}"), markup=False)

    def close(self) -> None:
        self._bars.stop()


def progress_for(stream: TextIO = sys.stdout) -> Progress:
    """A live bar on a terminal, plain lines anywhere else."""
    return LiveProgress(stream) if stream.isatty() else Progress(stream)


def _done_line(group: str, detail: dict[str, Any]) -> str:
    c = detail["counts"]
    warned = c.get(WARNINGS, 0)
    # ! warnings only, · nothing could be judged
    mark = "✗" if c[FAILED] else "!" if warned else "✓" if c[PASSED] else "·"
    warnings = f"{warned} warning(s), " if warned else ""
    return (
        f"{mark} {group}: {c[PASSED]} passed, {c[FAILED]} failed, {warnings}"
        f"{c[SKIPPED]} skipped ({detail['seconds']:.1f} s)"
    )


def summary(outcome: Outcome, show_secrets: bool, stream: TextIO = sys.stdout) -> None:
    out = _Visible(stream)
    print(file=out)
    # The warnings column only when there are any: most runs have none.
    warned = outcome.counts()[WARNINGS] > 0
    column = f"{'warnings':>10}" if warned else ""
    print(f"{'group':<14}{'passed':>8}{'failed':>8}{column}{'skipped':>9}", file=out)
    for group in outcome.groups:
        c = outcome.counts(group)
        if sum(c.values()):
            middle = f"{c[WARNINGS]:>10}" if warned else ""
            print(f"{group:<14}{c[PASSED]:>8}{c[FAILED]:>8}{middle}{c[SKIPPED]:>9}", file=out)
    skipped = [r for r in outcome.results if r.status == SKIPPED]
    if skipped:
        print("\nSkipped:", file=out)
        by_reason: dict[str, list[str]] = {}
        for result in skipped:
            by_reason.setdefault(result.reason, []).append(result.rule.id)
        for reason, ids in by_reason.items():
            print(f"  - {', '.join(ids)}\n      {_clip(reason, 300)}", file=out)
    accepted = [r for r in outcome.results if r.status == FAILED and r.baselined]
    if accepted:
        print(
            "\nFailing but accepted by the baseline: " + ", ".join(r.rule.id for r in accepted),
            file=out,
        )
    if (outcome.failed or outcome.warnings) and not show_secrets and not outcome.embedded:
        names = " and ".join(f"${name}" for name in outcome.tokens)
        print(f"\nReproductions read the bearer tokens from {names}: export them first.", file=out)
        shown = outcome.failed + outcome.warnings
        if outcome.webhook_listen and any(r.rule.group == "webhooks" for r in shown):
            print(
                "The webhook rules' re-runs read the endpoint's secret from $WEBHOOK_SECRET.",
                file=out,
            )
    for result in outcome.failed + outcome.warnings:
        print("\n" + "─" * _WIDTH, file=out)
        print(f"{_heading(result, outcome)} {result.rule.statement}", file=out)
        print(f"  contract: {result.rule.citation.text}", file=out)
        for n, finding in enumerate(result.findings, 1):
            known = " (this case is accepted by the baseline)" if finding.accepted else ""
            print(f"  {n}) {finding.message}{known}", file=out)
            if finding.expected:
                print(f"     expected: {_clip(finding.expected)}", file=out)
            if finding.actual:
                print(f"     actual:   {_clip(finding.actual)}", file=out)
            for label, text in finding.labels.items():
                print(f"     {label}:", file=out)
                print(textwrap.indent(_clip(text, 1500), " " * 8), file=out)
            replay = reproduction.shown(finding, outcome, show_secrets)
            if replay is not None:
                print(f"     {replay[0]}:", file=out)
                print(textwrap.indent(replay[1], " " * 8), file=out)
        if result.omitted:
            print(f"  … and {result.omitted} more like these", file=out)
        print(f"  re-run this rule: {reproduction.command(outcome, result)}", file=out)
    for note in outcome.notes:
        print(f"\nnote: {note}", file=out)
    print(file=out)
    print(
        f"{outcome.verdict()} — {outcome.counts()[PASSED]} passed, {outcome.counts()[SKIPPED]} skipped "
        f"in {outcome.elapsed:.1f} s (seed {outcome.seed}; repeat with --seed {outcome.seed})",
        file=out,
    )


def _heading(result: RuleResult, outcome: Outcome) -> str:
    """FAILED for what fails the run, WARNING for a SHOULD not met; the level either way."""
    kind = "WARNING" if outcome.warns(result) else "FAILED"
    return f"{kind} {result.rule.id} [{result.rule.group}] ({result.rule.level})"


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


class _Visible:
    """A stream that writes control characters as escapes: a server's bytes cannot move the
    cursor, recolour or retitle the terminal, or hide text (newlines stay newlines)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(visible(text))

    def flush(self) -> None:
        self.stream.flush()
