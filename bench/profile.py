"""Where a server's request time goes: py-spy samples of a running process, as a flame graph and a summary."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Each sample is charged to the first of these its innermost frames matches (file path, then
# function): C code called from a Python line (SQLite, a socket write) is charged to that line.
CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "waiting (writer thread idle, event loop)",
        re.compile(r"_commit_loop \(|Runner\.run \(|selectors\.py|base_events\.py:\d+\)$"),
    ),
    ("SQLite (queries, commit and fsync)", re.compile(r"storage\.py|sqlite3")),
    ("PostgreSQL (psycopg, its pool, queries)", re.compile(r"postgres\.py|[(/]psycopg")),
    (
        "HTTP parsing and socket writes",
        re.compile(r"uvicorn/protocols|[(/]h11/|http11\.py|http_llhttp\.py|httptools"),
    ),
    (
        "request validation (checks, jsonschema)",
        re.compile(r"validation\.py|spec/checks\.py|[(/]jsonschema/|[(/]referencing/|rpds"),
    ),
    ("JSON encode and decode", re.compile(r"[(/]json/|orjson|responses\.py")),
    ("access log", re.compile(r"[(/]logging/|access_log\.py")),
    ("Starlette routing, requests, middleware", re.compile(r"[(/]starlette/")),
    (
        "application (auth, handlers, ids)",
        re.compile(r"protocol_kit/|secrets\.py|random\.py"),
    ),
    ("event loop and tasks", re.compile(r"[(/]asyncio/|uvloop|threading\.py")),
)
OTHER = "other"


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: int, raw: Path) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` for ``seconds`` (collapsed stacks into ``raw``); the caller waits."""
    executable = py_spy()
    if executable is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    args = [executable, "record", "-p", str(pid), "-d", str(seconds), "-r", "250"]
    args += ["--nonblocking", "--format", "raw", "-o", str(raw)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def shares(raw: Path) -> dict[str, float]:
    """Each category's share of the busy samples (waiting is left out of the total)."""
    counts: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        counts[_category(frames)] += int(count)
    waiting = CATEGORIES[0][0]
    busy = sum(n for name, n in counts.items() if name != waiting)
    return {name: n / busy for name, n in counts.items() if name != waiting and busy}


def _category(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in CATEGORIES:
            if pattern.search(frame):
                return name
    return OTHER


def flame(raw: Path, svg: Path, title: str) -> None:
    """A self-contained SVG flame graph of ``raw`` (icicle-free, widest stacks first)."""
    totals: dict[tuple[str, ...], int] = {}
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = tuple(_short(frame) for frame in stack.split(";"))
            for depth in range(1, len(frames) + 1):
                totals[frames[:depth]] = totals.get(frames[:depth], 0) + int(count)
    width, row = 1200.0, 16
    roots = sum(n for key, n in totals.items() if len(key) == 1) or 1
    depth = max((len(key) for key in totals), default=1)
    boxes: list[str] = []
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for key in totals:
        children.setdefault(key[:-1], []).append(key)

    def draw(prefix: tuple[str, ...], x: float) -> None:
        for key in sorted(children.get(prefix, []), key=lambda key: -totals[key]):
            w = totals[key] / roots * width
            if w < 0.5:
                continue
            y = (depth - len(key)) * row + 24
            label = key[-1].replace("&", "&amp;").replace("<", "&lt;")
            text = label if w > 7 * len(label) else label[: int(w / 7)]
            boxes.append(
                f"<g><title>{label} ({totals[key] / roots:.1%})</title>"
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" '
                f'fill="hsl({sum(map(ord, key[-1])) % 50 + 10},80%,62%)"/>'
                f'<text x="{x + 2:.1f}" y="{y + 12}" font-size="11">{text}</text></g>'
            )
            draw(key, x)
            x += w

    draw((), 0.0)
    height = depth * row + 30
    svg.parent.mkdir(parents=True, exist_ok=True)
    svg.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
        f'font-family="monospace"><text x="4" y="16" font-size="13">{title}</text>'
        + "".join(boxes)
        + "</svg>\n",
        encoding="utf-8",
    )


def _short(frame: str) -> str:
    """`function (…/site-packages/pkg/mod.py:12)` as `function (pkg/mod.py)`."""
    match = re.match(r"(.*) \((.*?):\d+\)$", frame)
    if not match:
        return frame
    function, path = match.groups()
    parts = Path(path).parts
    return f"{function} ({'/'.join(parts[-2:])})"
