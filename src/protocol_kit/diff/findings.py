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


# How deep an attribute path is shown from the operation before the component is named instead.
_DEEP = 3
_SCHEMAS = "#/components/schemas/"


def _path(segments: tuple[str, ...]) -> str:
    return "".join(seg if seg == "[]" else f".{seg}" for seg in segments).lstrip(".")


def _in_component(pointer: str | None) -> str | None:
    """``Name.attribute[]`` for a pointer inside a named schema, None outside one."""
    if pointer is None or not pointer.startswith(_SCHEMAS):
        return None
    name, *rest = pointer[len(_SCHEMAS) :].split("/")
    segments: list[str] = []
    for before, segment in zip(["", *rest], rest, strict=False):
        if before == "properties":
            segments.append(segment.replace("~1", "/").replace("~0", "~"))
        elif segment == "items":
            segments.append("[]")
    return _path((name.replace("~1", "/").replace("~0", "~"), *segments))


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
        where = f"{subject} `{_path(delta.path)}`" if delta.path else subject
        named = _in_component(delta.revision or delta.base)
        if len(delta.path) > _DEEP and named:
            # Deep inside shared schemas the path from the operation is long and only one of
            # many: the component and the path inside it say where to look.
            where = f"{subject} … `{named}`"
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
