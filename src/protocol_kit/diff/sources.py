"""The two sides of a diff: a spec file, or ``git:REF[:PATH]`` (a spec at a revision of this repository)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from protocol_kit.spec import Document, Spec, SpecError

GIT_PREFIX = "git:"
# Where the spec lies in a repository of this project, relative to its root.
SPEC_IN_REPOSITORY = Path("openapi") / "conversations.yaml"


def repository_root(cwd: Path | None = None) -> Path | None:
    """The root of the git work tree around ``cwd``, None outside one (or without git)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def default_revision() -> str:
    """The working tree's spec, when run inside a checkout of it."""
    root = repository_root()
    if root is not None and (root / SPEC_IN_REPOSITORY).is_file():
        return str(root / SPEC_IN_REPOSITORY)
    raise SpecError(
        f"no {SPEC_IN_REPOSITORY} in a git work tree here: name the revision (a file or git:REF[:PATH])"
    )


def load(source: str) -> Spec:
    """The spec ``source`` names: a file, or ``git:REF[:PATH]`` read with ``git show``."""
    if not source.startswith(GIT_PREFIX):
        return Spec.load(source)
    ref, _, path = source[len(GIT_PREFIX) :].partition(":")
    root = repository_root()
    if root is None:
        raise SpecError(f"{source}: not inside a git work tree")
    if not ref:
        raise SpecError(
            f"{source}: name a git revision, e.g. git:HEAD or git:main:openapi/conversations.yaml"
        )
    inside = Path(path) if path else SPEC_IN_REPOSITORY
    done = subprocess.run(
        ["git", "show", f"{ref}:{inside.as_posix()}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "git show failed"
        raise SpecError(f"{source}: {reason}")
    return Spec(Document.parse(done.stdout, Path(f"{ref}:{inside.as_posix()}")))
