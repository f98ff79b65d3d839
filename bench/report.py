"""Writing bench results: the machine's description and one replaceable section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
_TITLE = "# Benchmarks\n\nEach section is rewritten by its own command; the machine is shared, so read the ratios.\n"


def machine() -> str:
    """One line: CPU, cores, OS, Python, and the UTC date of the run."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def command() -> str:
    """The command line that produced this run, as the reader would type it."""
    module = Path(sys.argv[0]).stem
    return " ".join(["python -m", f"bench.{module}", *sys.argv[1:]])


def median_spread(values: Sequence[float], digits: int = 0) -> str:
    """`median (min–max)`: the middle of the repetitions and how far apart they were."""
    if not values:
        return "–"
    fmt = f"{{:.{digits}f}}"
    middle = fmt.format(statistics.median(values))
    if len(values) == 1:
        return middle
    return f"{middle} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def write_section(name: str, body: str, path: Path = DOCS) -> None:
    """Replace the section between this bench's markers (or append it), leaving the others alone."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else _TITLE
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def publish(name: str, parts: Sequence[str], output: Path | None) -> None:
    """Print a bench's section (its parts a blank line apart) and write it into ``output``."""
    body = "\n\n".join(parts)
    print(body)
    if output is not None:
        write_section(name, body, output)


def tool_version(args: Sequence[str]) -> str:
    try:
        done = subprocess.run(args, check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0]
        if (done.stdout or done.stderr)
        else "?"
    )
