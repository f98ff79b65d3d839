"""Collects a diff's changes: locates each pointer on its side and merges repeats of one change."""

from __future__ import annotations

from protocol_kit.spec import Spec

from .model import AUDIENCES, Change, Level, Location
from .schemas import Delta


def locate(spec: Spec, pointer: str | None) -> Location | None:
    """``pointer`` on ``spec``'s side, with the line and column `lint` would print."""
    if pointer is None:
        return None
    pointer = pointer if pointer.startswith("#") else f"#{pointer}"
    position = spec.position(pointer)
    if position is None:
        return Location(pointer)
    return Location(pointer, position.line, position.column)


class Findings:
    """The changes found so far, one per distinct change (a shared schema is met many times)."""

    def __init__(self, base: Spec, revision: Spec) -> None:
        self.base, self.revision = base, revision
        self._changes: dict[tuple[object, ...], Change] = {}

    def add(
        self,
        kind: str,
        breaks: dict[str, Level],
        message: str,
        context: str,
        base: str | None,
        revision: str | None,
    ) -> None:
        broken = {who: level for who, level in breaks.items() if level is not Level.COMPATIBLE}
        level = max(broken.values(), key=lambda lv: lv.rank, default=Level.COMPATIBLE)
        impact = tuple(sorted(broken.items(), key=lambda item: AUDIENCES.index(item[0])))
        key = (kind, base, revision, impact)
        found = self._changes.get(key)
        if found is not None:
            if context != found.context and context not in found.also_in:
                self._changes[key] = Change(
                    found.kind,
                    found.level,
                    found.impact,
                    found.message,
                    found.context,
                    found.base,
                    found.revision,
                    (*found.also_in, context),
                )
            return
        self._changes[key] = Change(
            kind,
            level,
            impact,
            message,
            context,
            locate(self.base, base),
            locate(self.revision, revision),
        )

    def add_delta(self, delta: Delta, prefix: str, subject: str, context: str) -> None:
        """A schema difference found under ``subject`` (``request body``, ``query parameter `x```)."""
        path = "".join(seg if seg == "[]" else f".{seg}" for seg in delta.path).lstrip(".")
        where = f"{subject} `{path}`" if path else subject
        self.add(
            f"{prefix}-{delta.kind}",
            dict(delta.breaks),
            f"{where}: {delta.what}",
            context,
            delta.base,
            delta.revision,
        )

    def changes(self) -> list[Change]:
        return list(self._changes.values())
