"""Whether the version number says what the changes do: a breaking change needs a major bump."""

from __future__ import annotations

import re

from protocol_kit.spec import Spec

from .findings import Findings
from .model import AUDIENCES, Level

VERSION_NOT_BUMPED = "version-not-bumped"


def major(version: str) -> int | None:
    """The major number of a semantic version (``v2.1.0`` → 2), None when it has none."""
    match = re.match(r"v?(\d+)", version.strip())
    return int(match.group(1)) if match else None


def check(base: Spec, revision: Spec, found: Findings) -> None:
    """Report a breaking change shipped without a major bump of ``info.version``."""
    breaking = [c for c in found.changes() if c.level is Level.BREAKING and c.breaks]
    before, after = major(base.version), major(revision.version)
    if not breaking or (before is not None and after is not None and after > before):
        return
    found.add(
        VERSION_NOT_BUMPED,
        dict.fromkeys(AUDIENCES, Level.BREAKING),
        f"{len(breaking)} breaking change(s) but info.version went from {base.version} to "
        f"{revision.version}: bump the major version, or everyone who pins versions is broken "
        "without warning",
        "info",
        "#/info/version",
        "#/info/version",
    )
