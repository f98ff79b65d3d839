"""Per-language spellings of model types and values, registered as Jinja filters."""

from __future__ import annotations

import json
import re
from typing import Any

from .model import TypeInfo

_PY_SCALARS = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "object": "dict[str, Any]",
    "any": "Any",
}
_TS_SCALARS = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "object": "Record<string, unknown>",
    "any": "unknown",
}
_PHP_SCALARS = {
    "string": "string",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "object": "array",
    "any": "mixed",
}


def py_type(t: TypeInfo) -> str:
    """The Python annotation: ``str | None``, ``list[Contact]``, ..."""
    if t.kind == "array":
        base = f"list[{py_type(t.items)}]" if t.items else "list[Any]"
    elif t.kind == "model":
        base = str(t.model)
    else:
        base = _PY_SCALARS[t.kind]
    return f"{base} | None" if t.nullable and base != "Any" else base


def ts_type(t: TypeInfo) -> str:
    """The TypeScript type: ``string | null``, ``Contact[]``, ..."""
    if t.kind == "array":
        inner = ts_type(t.items) if t.items else "unknown"
        base = f"({inner})[]" if " " in inner else f"{inner}[]"
    elif t.kind == "model":
        base = str(t.model)
    elif t.enum and t.kind == "string":
        base = " | ".join(js_literal(v) for v in t.enum)
    else:
        base = _TS_SCALARS[t.kind]
    return f"{base} | null" if t.nullable else base


def php_type(t: TypeInfo, namespace: str = "") -> str:
    """The PHP native type declaration: ``?string``, ``array``, ``?Model\\Contact``."""
    if t.kind == "array":
        base = "array"
    elif t.kind == "model":
        base = f"{namespace}{t.model}"
    else:
        base = _PHP_SCALARS[t.kind]
    return f"?{base}" if t.nullable and base != "mixed" else base


def php_doc_type(t: TypeInfo) -> str:
    """The phpdoc type, which can say what an array holds: ``list<Contact>|null``."""
    if t.kind == "array":
        base = f"list<{php_doc_type(t.items)}>" if t.items else "list<mixed>"
    elif t.kind == "model":
        base = str(t.model)
    else:
        base = _PHP_SCALARS[t.kind]
    return f"{base}|null" if t.nullable and base != "mixed" else base


def py_literal(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return {None: "None", True: "True", False: "False"}[value]
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def js_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(value, ensure_ascii=False)


def php_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def curl_value(value: Any) -> str:
    """A form value as the seed page's cURL samples write it: strings quoted, the rest bare."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def camel(name: str) -> str:
    """``starting_after`` → ``startingAfter``."""
    head, *rest = re.split(r"[_\-\s]+", name)
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def pascal(name: str) -> str:
    """``listContacts`` / ``starting_after`` → ``ListContacts`` / ``StartingAfter``."""
    name = camel(name)
    return name[:1].upper() + name[1:]


def snake(name: str) -> str:
    """``ContactList`` → ``contact_list``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def py_path(path: str) -> str:
    """The path as a Python f-string, each parameter percent-encoded as one segment."""
    if "{" not in path:
        return py_literal(path)
    return 'f"' + re.sub(r"\{(\w+)\}", r"{_segment(\1)}", path) + '"'


def js_path(path: str) -> str:
    """The path as a JavaScript template literal, each parameter percent-encoded."""
    return "`" + re.sub(r"\{(\w+)\}", r"${encodeURIComponent(\1)}", path) + "`"


def php_path(path: str) -> str:
    """The path as a PHP string expression, each parameter percent-encoded."""
    parts = re.split(r"\{(\w+)\}", path)
    pieces = [
        (f"rawurlencode(${part})" if i % 2 else php_literal(part))
        for i, part in enumerate(parts)
        if part or i % 2
    ]
    return " . ".join(pieces)


def py_from_json(t: TypeInfo, expr: str) -> str:
    """A Python expression turning the JSON value ``expr`` into the typed attribute value."""
    if t.kind == "model":
        inner = f"{t.model}.from_dict({expr})"
    elif t.kind == "array" and t.items is not None and t.items.kind == "model":
        inner = f"[{t.items.model}.from_dict(item) for item in {expr}]"
    else:
        return expr
    return f"None if {expr} is None else {inner}" if t.nullable else inner


def py_to_json(t: TypeInfo, expr: str) -> str:
    """A Python expression turning the attribute value ``expr`` back into JSON data."""
    if t.kind == "model":
        inner = f"{expr}.to_dict()"
    elif t.kind == "array" and t.items is not None and t.items.kind == "model":
        inner = f"[item.to_dict() for item in {expr}]"
    else:
        return expr
    return f"None if {expr} is None else {inner}" if t.nullable else inner


def php_from_array(t: TypeInfo, expr: str) -> str:
    """A PHP expression turning the decoded JSON value ``expr`` into the typed property."""
    if t.kind == "model":
        inner = f"{t.model}::fromArray({expr})"
    elif t.kind == "array" and t.items is not None and t.items.kind == "model":
        inner = f"array_map(static fn (array $item): {t.items.model} => {t.items.model}::fromArray($item), {expr})"
    else:
        return expr
    return f"{expr} === null ? null : {inner}" if t.nullable else inner


def php_to_array(t: TypeInfo, expr: str) -> str:
    """A PHP expression turning the property ``expr`` back into JSON-ready data."""
    if t.kind == "model":
        return f"{expr}?->toArray()" if t.nullable else f"{expr}->toArray()"
    if t.kind == "array" and t.items is not None and t.items.kind == "model":
        inner = f"array_map(static fn ({t.items.model} $item): array => $item->toArray(), {expr})"
        return f"{expr} === null ? null : {inner}" if t.nullable else inner
    return expr


def mdx_prose(text: str) -> str:
    """Markdown prose safe in MDX: braces and angle brackets outside code spans are escaped, so
    the spec's words (`{token}`, `<id>`) read as text, not as expressions or tags."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(
        part if part.startswith("`") else re.sub(r"([{}<])", r"\\\1", part) for part in parts
    )


def tidy_blocks(text: str) -> str:
    """Markdown with at most one blank line between blocks; fenced code is left as it is."""
    parts = re.split(r"(^[ \t]*```.*?^[ \t]*```[ \t]*$)", text, flags=re.MULTILINE | re.DOTALL)
    return "".join(
        part if index % 2 else re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", part)
        for index, part in enumerate(parts)
    )


def kebab(text: str) -> str:
    """A heading as an anchor: ``Signature header`` → ``signature-header``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def suffix(names: Any, text: str) -> list[str]:
    """Each name with ``text`` appended: ``["BadRequest"] | suffix("Error")``."""
    return [f"{name}{text}" for name in names]


FILTERS = {
    "py_type": py_type,
    "ts_type": ts_type,
    "php_type": php_type,
    "php_doc_type": php_doc_type,
    "py_literal": py_literal,
    "js_literal": js_literal,
    "php_literal": php_literal,
    "curl_value": curl_value,
    "camel": camel,
    "pascal": pascal,
    "snake": snake,
    "py_path": py_path,
    "js_path": js_path,
    "php_path": php_path,
    "py_from_json": py_from_json,
    "py_to_json": py_to_json,
    "suffix": suffix,
    "mdx_prose": mdx_prose,
    "kebab": kebab,
    "tidy_blocks": tidy_blocks,
    "php_from_array": php_from_array,
    "php_to_array": php_to_array,
}
