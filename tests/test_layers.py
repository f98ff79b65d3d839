"""The package's layers point one way: spec → (server | conformance | generator) → command line.

Every import of every shipped module counts, lazy ones inside functions included, and so does a
module named in a string (``importlib.import_module("protocol_kit.…")``, hook paths). A module
may import its own part and the layers below it; the middle parts never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# part -> (layer, the module prefixes it holds); layer 0 is the bottom. ARCHITECTURE.md says why.
PARTS: dict[str, tuple[int, tuple[str, ...]]] = {
    "root": (0, ()),  # the package root, `protocol_kit` itself: its version, nothing else
    "spec": (1, ("protocol_kit.spec", "protocol_kit.openapi")),
    "server": (2, ("protocol_kit.server",)),
    "conformance": (2, ("protocol_kit.conformance",)),
    "generator": (2, ("protocol_kit.generator", "protocol_kit.templates")),
    "diff": (2, ("protocol_kit.diff",)),
    "command line": (
        3,
        (
            "protocol_kit.cli",
            "protocol_kit.__main__",
            "protocol_kit.lint",
            "protocol_kit.serve",
            "protocol_kit.verify",
            "protocol_kit.prove",
            "protocol_kit.generate",
        ),
    ),
}


def _modules() -> dict[str, Path]:
    """Every shipped module by its import name (the folders under ``src/`` are the import names)."""
    modules: dict[str, Path] = {}
    for path in (REPO / "src").rglob("*.py"):
        parts = list(path.relative_to(REPO / "src").with_suffix("").parts)
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def part_of(module: str) -> str:
    """The part a module belongs to (by its longest matching prefix)."""
    if module == "protocol_kit":
        return "root"
    matches = [
        (len(prefix), part)
        for part, (_, prefixes) in PARTS.items()
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    if not matches:
        raise AssertionError(f"{module} is in no layer: add it to PARTS and ARCHITECTURE.md")
    return max(matches)[1]


def imports_of(module: str, source: str, is_package: bool) -> set[str]:
    """The protocol_kit modules ``source`` imports, resolved to absolute names."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # `from package import module` imports the module.
            found.update(
                f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES
            )
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("protocol_kit.")
        ):
            found.add(node.value.partition(":")[0])
    return {name for name in found if name == "protocol_kit" or name.startswith("protocol_kit.")}


def test_the_modules_are_found() -> None:
    assert {
        "protocol_kit.cli",
        "protocol_kit.spec.view",
        "protocol_kit.server.app",
        "protocol_kit.conformance.rules.listing",
        "protocol_kit.generator.loader",
    } <= set(MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    path = MODULES[module]
    mine = part_of(module)
    layer = PARTS[mine][0]
    wrong = []
    for imported in sorted(
        imports_of(module, path.read_text(encoding="utf-8"), path.name == "__init__.py")
    ):
        theirs = part_of(imported)
        if theirs != mine and PARTS[theirs][0] >= layer:
            wrong.append(f"{imported} ({theirs}, layer {PARTS[theirs][0]})")
    assert not wrong, f"{module} ({mine}, layer {layer}) imports " + ", ".join(wrong)


def test_the_check_sees_lazy_and_relative_imports() -> None:
    source = "from .app import x\ndef f():\n    from protocol_kit.conformance import runner\n"
    assert imports_of("protocol_kit.server.demo", source, False) >= {
        "protocol_kit.server.app",
        "protocol_kit.conformance",
    }
    assert part_of("protocol_kit.conformance.runner") == "conformance"
    assert part_of("protocol_kit.templates") == "generator"


def test_the_architecture_document_names_every_part() -> None:
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for _, prefixes in PARTS.values():
        for prefix in prefixes:
            assert f"`{prefix}`" in text, prefix
