"""A diff as plain text (the terminal) and as Markdown (a pull-request comment)."""

from __future__ import annotations

from .model import Change, Level, Location, Report

_ORDER = (Level.BREAKING, Level.POSSIBLY, Level.COMPATIBLE)


def _ordered(report: Report) -> list[Change]:
    return sorted(report.changes, key=lambda c: -c.level.rank)


def _where(location: Location | None, name: str) -> str:
    if location is None:
        return f"{name}: (absent)"
    line = f":{location.line}:{location.column}" if location.line is not None else ""
    return f"{name}{line}: {location.pointer}"


# How many other places a line names before it counts the rest (the JSON lists them all).
_SHOWN = 5


def _some(places: tuple[str, ...]) -> str:
    more = len(places) - _SHOWN
    return ", ".join(places[:_SHOWN]) + (f" and {more} more" if more > 0 else "")


def _who(change: Change) -> str:
    """`` for clients, servers (possibly breaking)``: each audience with its level where it is lower."""
    if not change.impact:
        return ""
    names = [
        who if level is change.level else f"{who} ({level.value})" for who, level in change.impact
    ]
    return " for " + ", ".join(names)


def _summary(report: Report) -> str:
    counts = ", ".join(f"{report.count(level)} {level.value}" for level in _ORDER)
    return f"{len(report.changes)} change(s): {counts}"


def render_text(report: Report) -> str:
    lines = [
        f"protocol-kit diff {report.base} ({report.base_version}) → "
        f"{report.revision} ({report.revision_version})",
    ]
    for change in _ordered(report):
        lines.append(
            f"{change.level.value.upper()}{_who(change)}: {change.context}: {change.message}"
        )
        if change.base is not None or change.revision is not None:
            lines.append(f"    {_where(change.base, report.base)}")
            lines.append(f"    {_where(change.revision, report.revision)}")
        if change.also_in:
            lines.append(f"    also in: {_some(change.also_in)}")
    lines.append(_summary(report) if report.changes else "no changes")
    return "\n".join(lines) + "\n"


_MARK = {Level.BREAKING: "🔴", Level.POSSIBLY: "🟠", Level.COMPATIBLE: "🟢"}


def _context(change: Change) -> str:
    return change.context + (f" (and {len(change.also_in)} more)" if change.also_in else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_where(location: Location | None) -> str:
    if location is None:
        return "–"
    line = f" (line {location.line})" if location.line is not None else ""
    return f"`{_cell(location.pointer)}`{line}"


def render_markdown(report: Report) -> str:
    """A pull-request comment: a summary line, then one table per level (compatible folded)."""
    out = [
        f"### protocol-kit diff: `{report.base}` ({report.base_version}) → "
        f"`{report.revision}` ({report.revision_version})",
        "",
        f"**{report.level().value}** — {_summary(report)}" if report.changes else "No changes.",
    ]
    for level in _ORDER:
        changes = [c for c in report.changes if c.level is level]
        if not changes:
            continue
        title = f"{_MARK[level]} {level.value.capitalize()} ({len(changes)})"
        table = [
            "",
            "| Breaks | Where | Change | Base | Revision |",
            "|---|---|---|---|---|",
            *(
                f"| {_who(c).removeprefix(' for ') or '–'} | {_cell(_context(c))} | {_cell(c.message)} "
                f"| {_md_where(c.base)} | {_md_where(c.revision)} |"
                for c in changes
            ),
        ]
        if level is Level.COMPATIBLE:
            out += ["", f"<details><summary>{title}</summary>", *table, "", "</details>"]
        else:
            out += ["", f"#### {title}", *table]
    return "\n".join(out) + "\n"
