"""Only the spec view reads the raw OpenAPI document: no shipped module outside it indexes one.

What counts as indexing the raw document, anywhere outside ``protocol_kit/spec/``:
- a subscript with an OpenAPI keyword as a string literal: ``node["paths"]``, ``op["x-sdk-method"]``;
- ``.get(...)``, ``.pop(...)`` or ``.setdefault(...)`` with such a literal as the first argument;
- a membership test of such a literal in a name, attribute or subscript: ``"$ref" in node``.
An OpenAPI keyword is one of ``KEYWORDS`` below, or any string starting with ``x-`` (an extension).
``content`` is left out: schemathesis' recorded HTTP responses use the word for their bodies.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The shipped package; the spec view is exempt.
SHIPPED = REPO / "src" / "protocol_kit"
VIEW = SHIPPED / "spec"
KEYWORDS = frozenset(
    {
        "openapi",
        "info",
        "servers",
        "paths",
        "components",
        "schemas",
        "parameters",
        "requestBody",
        "requestBodies",
        "responses",
        "securitySchemes",
        "security",
        "schema",
        "properties",
        "items",
        "$ref",
        "operationId",
        "anyOf",
        "oneOf",
        "allOf",
        "additionalProperties",
        "example",
        "examples",
        "tags",
    }
)
_METHODS = frozenset({"get", "pop", "setdefault"})


def _is_keyword(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (node.value in KEYWORDS or node.value.startswith("x-"))
    )


def raw_indexing(source: str) -> list[tuple[int, str]]:
    """Each place in ``source`` that indexes a raw OpenAPI node: (line, the code)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        hit = False
        if isinstance(node, ast.Subscript):
            hit = _is_keyword(node.slice)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            hit = node.func.attr in _METHODS and bool(node.args) and _is_keyword(node.args[0])
        elif isinstance(node, ast.Compare):
            hit = (
                _is_keyword(node.left)
                and isinstance(node.ops[0], ast.In | ast.NotIn)
                and isinstance(node.comparators[0], ast.Name | ast.Attribute | ast.Subscript)
            )
        if hit:
            found.append((node.lineno, ast.unparse(node)))
    return found


def _shipped_modules() -> list[Path]:
    modules = [
        path
        for path in SHIPPED.rglob("*.py")
        if VIEW not in path.parents and "__pycache__" not in path.parts
    ]
    return sorted(modules)


def test_there_are_modules_to_check() -> None:
    names = {p.relative_to(REPO).as_posix() for p in _shipped_modules()}
    assert {
        "src/protocol_kit/server/validation.py",
        "src/protocol_kit/generator/loader.py",
        "src/protocol_kit/lint.py",
    } <= names


@pytest.mark.parametrize("path", _shipped_modules(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_raw_document_indexing_outside_the_view(path: Path) -> None:
    found = raw_indexing(path.read_text(encoding="utf-8"))
    assert not found, "read these through protocol_kit.spec instead: " + "; ".join(
        f"{path.relative_to(REPO)}:{line}: {code}" for line, code in found
    )


@pytest.mark.parametrize(
    "code",
    [
        'doc["paths"]',
        'node.get("$ref")',
        'op.raw.get("x-sdk-method", None)',
        '"$ref" in schema',
        'schema.pop("properties")',
    ],
)
def test_the_check_catches_raw_indexing(code: str) -> None:
    assert raw_indexing(code)


@pytest.mark.parametrize(
    "code",
    [
        'body["data"]',
        'response.headers.get("content-type")',
        "schema.properties",
        '"x-www-form-urlencoded" in str(media_type)',
    ],
)
def test_the_check_leaves_other_code_alone(code: str) -> None:
    assert not raw_indexing(code)
