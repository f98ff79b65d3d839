"""The changelog: each version of the spec in its git history, with what changed since the one before."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from protocol_kit.spec import Document, Spec, SpecError

from .compare import compare
from .model import AUDIENCES, Change, Level, Report
from .versions import VERSION_NOT_BUMPED

# A line that may set info.version (two spaces in, as YAML nests it under `info:`): only the
# commits whose diff touches such a line are read, so a long history costs one `git log`.
_VERSION_LINE = r"^  version:"
_HEADINGS = {
    Level.BREAKING: "Breaking changes",
    Level.POSSIBLY: "Possibly breaking changes",
    Level.COMPATIBLE: "Compatible changes",
}
_INTRO = (
    "What changed in the API from one version to the next, and whom each change breaks: "
    "clients (code calling the API, the generated clients included, whose version is the "
    "API's), servers (implementations judged by `protocol-kit verify`) and webhook receivers."
)


@dataclass(frozen=True)
class Release:
    """One version: its number, and its changes since the version before (None for the first)."""

    version: str
    changes: Report | None


def releases(spec: Spec) -> list[Release]:
    """The versions of ``spec``'s file in its git history, newest (the spec itself) first.

    Outside a git work tree there is no history: the spec's own version is the only one.
    """
    history = _history(spec.path) if spec.path is not None else []
    found: list[Release] = []
    newer = spec
    for older in history:
        if older.version == newer.version:
            continue  # the commit touched a `version:` line without changing the version
        found.append(Release(newer.version, compare(older, newer, older.version, newer.version)))
        newer = older
    found.append(Release(newer.version, None))
    return found


def _history(path: Path) -> list[Spec]:
    """The spec as of the last commit of each version, newest first: the last commit's own
    (the version the working tree may be moving on from), then the parent of each commit that
    set a version."""
    top = _git(path.parent, "rev-parse", "--show-toplevel")
    if top is None:
        return []
    root = Path(top.strip()).resolve()
    inside = path.resolve().relative_to(root).as_posix()
    log = _git(root, "log", "--format=%H", "-G", _VERSION_LINE, "--", inside) or ""
    found: list[Spec] = []
    for ref in ["HEAD", *(f"{commit}~1" for commit in log.split())]:
        text = _git(root, "show", f"{ref}:{inside}")
        if text is None:
            continue  # the commit created the file: there is no version before it
        try:
            found.append(Spec(Document.parse(text, Path(f"{ref[:14]}:{inside}"))))
        except SpecError:
            continue  # not an OpenAPI document there: no version to compare with
    return found


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def _listed(report: Report) -> list[Change]:
    return [c for c in report.changes if c.kind != VERSION_NOT_BUMPED]


def _who(change: Change) -> str:
    """``breaks clients; possibly breaks servers``, or ``breaks nobody``."""
    surely = [who for who, level in change.impact if level is Level.BREAKING]
    maybe = [who for who, level in change.impact if level is Level.POSSIBLY]
    parts = ([f"breaks {', '.join(surely)}"] if surely else []) + (
        [f"possibly breaks {', '.join(maybe)}"] if maybe else []
    )
    return "; ".join(parts) or "breaks nobody"


def _entries(release: Release, escape: bool) -> list[str]:
    lines = [f"## {release.version}", ""]
    if release.changes is None:
        return [*lines, "The first version.", ""]
    changes = _listed(release.changes)
    if not changes:
        return [*lines, "No change to the contract; the version number alone changed.", ""]
    broken = [who for who in AUDIENCES if release.changes.level(who) is Level.BREAKING]
    summary = f"Breaks {', '.join(broken)}." if broken else "Breaks nobody."
    lines += [f"Since {release.changes.base}. {summary}", ""]
    for level in (Level.BREAKING, Level.POSSIBLY, Level.COMPATIBLE):
        chosen = [c for c in changes if c.level is level]
        if not chosen:
            continue
        lines += [f"### {_HEADINGS[level]} ({release.version})", ""]
        for change in chosen:
            text = f"`{change.context}`: {change.message} ({_who(change)})"
            lines.append(f"- {_mdx_safe(text) if escape else text}")
        lines.append("")
    return lines


def render_markdown(spec: Spec, history: list[Release], header: str) -> str:
    """``docs/changelog.md``: a generated-file ``header`` comment, then one section per version."""
    lines = [f"<!--\n{header}\n-->", "", "# Changelog", "", _INTRO, ""]
    for release in history:
        lines += _entries(release, escape=False)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_mdx(spec: Spec, history: list[Release], header: str) -> str:
    """``docs/changelog.mdx``, in the docs site's page layout (metadata, lead paragraph)."""
    lines = [
        f"{{/*\n{header}\n*/}}",
        "",
        "export const metadata = {",
        "  title: 'Changelog',",
        "  description:",
        f"    '{_quoted(f'Every version of the {spec.title}, and whom its changes break.')}',",
        "}",
        "",
        "# Changelog",
        "",
        f"{_mdx_safe(_INTRO)} {{{{ className: 'lead' }}}}",
        "",
    ]
    for release in history:
        lines += _entries(release, escape=True)
    return "\n".join(lines).rstrip("\n") + "\n"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _mdx_safe(text: str) -> str:
    """Text for MDX prose: braces and angle brackets outside inline code are escaped."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(
        part
        if part.startswith("`")
        else part.replace("{", "\\{").replace("}", "\\}").replace("<", "&lt;").replace(">", "&gt;")
        for part in parts
    )
