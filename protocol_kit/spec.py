"""Load the OpenAPI document and answer questions about it: operations, schemas, references."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:protocol-kit:spec"
# libyaml's loader parses the spec several times faster than the pure-Python one, to the same data.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def default_spec_path() -> Path:
    """The spec bundled with the package (``openapi/conversations.yaml`` in the repository)."""
    return Path(str(resources.files("protocol_kit.openapi").joinpath("conversations.yaml")))


class SpecError(Exception):
    """The document could not be read or is not an OpenAPI document we can work with."""


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    description: str
    pointer: str


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    pointer: str
    raw: dict[str, Any]
    parameters: tuple[Parameter, ...]
    request_body: dict[str, Any] | None
    request_body_pointer: str | None
    responses: dict[str, Any]

    @property
    def body_media_types(self) -> dict[str, dict[str, Any]]:
        if self.request_body is None:
            return {}
        return dict(self.request_body.get("content", {}))

    def body_schema_pointer(self, media_type: str) -> str:
        """The JSON pointer of the request body schema for one media type."""
        return f"{self.request_body_pointer}/content/{escape_pointer(media_type)}/schema"


@dataclass
class Spec:
    """An OpenAPI 3.1 document with ``$ref`` resolution and compiled JSON Schema validators."""

    document: dict[str, Any]
    path: Path | None = None
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Spec:
        path = Path(path) if path is not None else default_spec_path()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            document = yaml.load(text, Loader=_YAML_LOADER)
        except yaml.YAMLError as exc:
            raise SpecError(f"{path} is not valid YAML: {exc}") from exc
        if not isinstance(document, dict) or "openapi" not in document:
            raise SpecError(f"{path} is not an OpenAPI document (no top-level `openapi` key)")
        return cls(document=document, path=path)

    @property
    def version(self) -> str:
        return str(self.document.get("info", {}).get("version", "unknown"))

    @cached_property
    def registry(self) -> Registry:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        return Registry().with_resource(SPEC_URI, resource)

    def resolve(self, node: Any) -> Any:
        """Follow ``$ref`` chains (local refs only) until a node without one."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"circular $ref {ref}")
            seen.add(ref)
            node = self.pointer(ref)
        return node

    def pointer(self, ref: str) -> Any:
        """The node a local reference such as ``#/components/schemas/Id`` points to."""
        if not ref.startswith("#"):
            raise SpecError(f"only local references are supported, got {ref!r}")
        node: Any = self.document
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise SpecError(f"unresolvable $ref {ref}") from exc
        return node

    def validator(self, pointer: str) -> Draft202012Validator:
        """A compiled validator for the schema at ``pointer`` (cached)."""
        if pointer not in self._validators:
            schema = {"$ref": f"{SPEC_URI}{pointer}"}
            self._validators[pointer] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[pointer]

    def operations(self) -> Iterator[Operation]:
        for path, item in self.document.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                raw = item[method]
                pointer = f"#/paths/{escape_pointer(path)}/{method}"
                # Path-level parameters live under the path item, not under the operation.
                item_pointer = f"#/paths/{escape_pointer(path)}/parameters"
                parameters = tuple(
                    [self._parameter(p, f"{item_pointer}/{i}") for i, p in enumerate(shared)]
                    + [
                        self._parameter(p, f"{pointer}/parameters/{i}")
                        for i, p in enumerate(raw.get("parameters", []))
                    ]
                )
                body = raw.get("requestBody")
                body_pointer = body.get("$ref", f"{pointer}/requestBody") if body else None
                yield Operation(
                    operation_id=raw.get("operationId", f"{method} {path}"),
                    method=method.upper(),
                    path=path,
                    pointer=pointer,
                    raw=raw,
                    parameters=parameters,
                    request_body=self.resolve(body) if body is not None else None,
                    request_body_pointer=body_pointer,
                    responses={
                        code: self.resolve(r) for code, r in raw.get("responses", {}).items()
                    },
                )

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations():
            if op.operation_id == operation_id:
                return op
        raise SpecError(f"no operation {operation_id!r} in the spec")

    def _parameter(self, node: dict[str, Any], pointer: str) -> Parameter:
        if "$ref" in node:
            pointer = node["$ref"]
        param = self.resolve(node)
        return Parameter(
            name=param["name"],
            location=param["in"],
            required=bool(param.get("required", False)),
            schema=param.get("schema", {}),
            description=param.get("description", ""),
            pointer=pointer,
        )

    def json_types(self, schema: dict[str, Any]) -> set[str]:
        """Every JSON type a schema can accept, looking through $ref and combinators."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return set()
        types: set[str] = set()
        declared = schema.get("type")
        if isinstance(declared, str):
            types.add(declared)
        elif isinstance(declared, list):
            types.update(declared)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                types |= self.json_types(sub)
        if "$ref" in schema:
            types |= self.json_types({"$ref": schema["$ref"]})
        return types

    def path_regex(self, path: str) -> re.Pattern[str]:
        """A regex for a templated path; each ``{name}`` matches one non-empty segment."""
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        return re.compile(f"^{pattern}$")


def escape_pointer(path: str) -> str:
    """Escape one JSON-pointer segment (RFC 6901)."""
    return path.replace("~", "~0").replace("/", "~1")
