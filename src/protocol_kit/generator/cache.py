"""The per-user cache `protocol-kit generate` keeps to skip work a previous run already did.

Everything in it is an optimisation: a cache that cannot be created, read or written is treated as
empty, and a generate never fails because of it.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/protocol-kit`` (``~/.cache/protocol-kit`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative XDG_CACHE_HOME.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "protocol-kit"


def cache_dir(*parts: str) -> Path | None:
    """The cache subdirectory ``parts``, created on demand; None if it can't be created."""
    try:
        directory = cache_root().joinpath(*parts)
        # Private to the user, like Jinja's own default: cached bytecode is executed.
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: Path.home() without a home directory
        return None
    return directory
