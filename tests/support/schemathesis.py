"""Plain `schemathesis run` on the bundled spec: every check, every phase, a bounded budget."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from .paths import REPO

PHASES = "examples,coverage,fuzzing,stateful"


def installed() -> bool:
    return shutil.which("schemathesis") is not None


def schemathesis_command(
    url: str, token: str, *, max_examples: int, seed: int, extra: Sequence[str] = ()
) -> list[str]:
    """The argument vector; run it from the checkout (see :func:`run_schemathesis`)."""
    return [
        "schemathesis",
        "run",
        "openapi/conversations.yaml",
        "--url",
        url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--phases",
        PHASES,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--no-color",
        *extra,
    ]


def run_schemathesis(
    url: str,
    token: str,
    *,
    max_examples: int,
    seed: int,
    extra: Sequence[str] = (),
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run from the checkout so the narrow, commented deviations in schemathesis.toml apply."""
    return subprocess.run(
        schemathesis_command(url, token, max_examples=max_examples, seed=seed, extra=extra),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
