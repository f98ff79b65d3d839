"""The typed view of the spec: operations, parameters, bodies, responses, components, conventions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .document import Document, Position, child, escape_pointer
from .schema import Schema

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# The pagination convention (conventions page): a page is `{has_more, data: [...]}`, its cursors
# are object ids named these, and `limit` sets its size.
PAGE_ITEMS = "data"
PAGE_HAS_MORE = "has_more"
CURSOR_AFTER = "starting_after"
CURSOR_BEFORE = "ending_before"
LIMIT = "limit"
# The error convention: every 4xx and 5xx response is application/json with this schema.
ERROR_SCHEMA = "Error"
# The largest request body a server accepts, stated on the 413 response.
MAX_BODY_BYTES = "x-max-body-bytes"
# The operation whose successful calls a webhook reports, on the webhook's operation.
EMITTED_BY = "x-emitted-by"
# The webhook event convention (conventions page): `{id, type, payload}`.
EVENT_ID = "id"
EVENT_TYPE = "type"
EVENT_PAYLOAD = "payload"
# The requirements catalogue: every behaviour a server is judged on, by id, with its level.
REQUIREMENTS = "x-requirements"


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Example:
    name: str
    summary: str
    value: Any
    pointer: str


@dataclass(frozen=True)
class MediaType:
    """One media type of a body: its schema and its examples."""

    name: str
    pointer: str
    schema: Schema | None
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: Schema
    description: str
    pointer: str
    style: str | None
    has_content: bool
    examples: tuple[Example, ...]

    @property
    def default(self) -> Any:
        return self.schema.target.default

    @property
    def minimum(self) -> int | None:
        return self.schema.target.integer("minimum")

    @property
    def maximum(self) -> int | None:
        return self.schema.target.integer("maximum")

    @property
    def schema_pointer(self) -> str:
        return child(self.pointer, "schema")


@dataclass(frozen=True)
class RequestBody:
    pointer: str
    required: bool
    description: str
    content: dict[str, MediaType]

    def schema(self, media_type: str = JSON) -> Schema | None:
        media = self.content.get(media_type)
        return media.schema if media is not None else None


@dataclass(frozen=True)
class Response:
    status: str
    pointer: str
    description: str
    content: dict[str, MediaType]
    headers: tuple[str, ...]
    max_body_bytes: int | None

    @property
    def json(self) -> MediaType | None:
        return self.content.get(JSON)

    @property
    def schema(self) -> Schema | None:
        """The application/json schema (as written: a ``$ref`` is not followed)."""
        media = self.json
        return media.schema if media is not None else None

    @property
    def is_error(self) -> bool:
        return self.status[:1] in ("4", "5")


@dataclass(frozen=True)
class Pagination:
    """How an operation pages: the page schema, its items, and the cursor and size parameters."""

    page: Schema
    items: Schema
    items_field: str
    after: Parameter | None
    before: Parameter | None
    limit: Parameter | None


@dataclass(frozen=True)
class Operation:
    operation_id: str | None
    method: str
    path: str
    pointer: str
    summary: str
    description: str
    tags: tuple[str, ...]
    sdk_method: str | None
    security: tuple[str, ...] | None
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: dict[str, Response]

    @property
    def id(self) -> str:
        """The operationId, or ``METHOD path`` when there is none."""
        return self.operation_id or f"{self.method} {self.path}"

    def parameter(self, name: str, location: str = "query") -> Parameter | None:
        for param in self.parameters:
            if param.name == name and param.location == location:
                return param
        return None

    @property
    def path_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def body_media_types(self) -> dict[str, MediaType]:
        return dict(self.request_body.content) if self.request_body is not None else {}

    def body_schema_pointer(self, media_type: str) -> str:
        """The JSON pointer of the request body schema for one media type."""
        assert self.request_body is not None
        return child(self.request_body.pointer, "content", media_type, "schema")

    @property
    def success(self) -> Response | None:
        """The first 2xx response."""
        return next((r for s, r in self.responses.items() if s.startswith("2")), None)

    @property
    def max_body_bytes(self) -> int | None:
        return next((r.max_body_bytes for r in self.responses.values() if r.max_body_bytes), None)

    @cached_property
    def pagination(self) -> Pagination | None:
        """The pagination convention, if this operation's success is a page."""
        success = self.success
        page = success.schema.target if success is not None and success.schema else None
        if page is None:
            return None
        items = page.properties.get(PAGE_ITEMS)
        if PAGE_HAS_MORE not in page.properties or items is None:
            return None
        if items.target.type != "array" or items.target.items is None:
            return None
        return Pagination(
            page=page,
            items=items.target.items,
            items_field=PAGE_ITEMS,
            after=self.parameter(CURSOR_AFTER),
            before=self.parameter(CURSOR_BEFORE),
            limit=self.parameter(LIMIT),
        )


@dataclass(frozen=True)
class Webhook:
    """One event type of the top-level ``webhooks``: its delivery operation and what sends it."""

    event_type: str
    operation: Operation
    emitted_by: str | None

    @property
    def event(self) -> Schema | None:
        """The schema of the delivery body."""
        body = self.operation.request_body
        return body.schema() if body is not None else None

    @property
    def payload(self) -> Schema | None:
        """The schema of the event's payload (the object the event is about)."""
        event = self.event
        return event.target.properties.get(EVENT_PAYLOAD) if event is not None else None

    @property
    def signature_header(self) -> Parameter | None:
        """The required header that carries the delivery's signature."""
        return next(
            (p for p in self.operation.parameters if p.location == "header" and p.required), None
        )


@dataclass(frozen=True)
class Tag:
    name: str
    description: str
    pointer: str
    resource: str | None
    model: str | None


@dataclass(frozen=True)
class SecurityScheme:
    name: str
    type: str
    scheme: str
    description: str
    pointer: str


@dataclass(frozen=True)
class Server:
    """One entry of ``servers``: a base URL and what it is."""

    url: str
    description: str


@dataclass(frozen=True)
class Requirement:
    """One requirement of the catalogue: what a server MUST or SHOULD do, in the spec's words."""

    id: str
    level: str  # "MUST" or "SHOULD" (RFC 2119)
    page: str  # the docs page that owns it (``docs/<page>.md``)
    section: str  # the heading on that page it is stated under
    statement: str
    checked: bool  # whether the conformance kit checks it
    pointer: str

    @property
    def anchor(self) -> str:
        """The id of the anchor the docs put before its statement."""
        return self.id.lower()


class Spec:
    """An OpenAPI 3.1 document, loaded and read once, as typed objects."""

    def __init__(self, document: Document | dict[str, Any], path: Path | None = None) -> None:
        self.document = document if isinstance(document, Document) else Document(document, path)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Spec:
        return cls(Document.load(path))

    @property
    def path(self) -> Path | None:
        return self.document.path

    @property
    def data(self) -> dict[str, Any]:
        """The parsed document (for tools that take a whole OpenAPI document)."""
        return self.document.data

    # -- info, servers, tags ----------------------------------------------------------------

    @property
    def _info(self) -> dict[str, Any]:
        return _mapping(self.data.get("info"))

    @property
    def title(self) -> str:
        return _text(self._info.get("title"))

    @property
    def version(self) -> str:
        return str(self._info.get("version", "unknown"))

    @property
    def summary(self) -> str:
        return _text(self._info.get("summary"))

    @property
    def license(self) -> str:
        """The document's license: its SPDX identifier, else its name ('' when none is given)."""
        stated = _mapping(self._info.get("license"))
        return _text(stated.get("identifier") or stated.get("name"))

    @property
    def description(self) -> str:
        return _text(self._info.get("description"))

    @property
    def server_urls(self) -> tuple[str, ...]:
        servers = self.data.get("servers") or []
        return tuple(str(s["url"]) for s in servers if isinstance(s, dict) and "url" in s)

    @property
    def servers(self) -> tuple[Server, ...]:
        return tuple(
            Server(str(s["url"]), _text(s.get("description")))
            for s in self.data.get("servers") or []
            if isinstance(s, dict) and "url" in s
        )

    @cached_property
    def tags(self) -> tuple[Tag, ...]:
        found = []
        for index, tag in enumerate(self.data.get("tags") or []):
            node = _mapping(tag)
            found.append(
                Tag(
                    name=str(node.get("name", "")),
                    description=_text(node.get("description")),
                    pointer=f"#/tags/{index}",
                    resource=str(node["x-resource"]) if "x-resource" in node else None,
                    model=str(node["x-model"]) if "x-model" in node else None,
                )
            )
        return tuple(found)

    # -- operations -------------------------------------------------------------------------

    def operations(self) -> tuple[Operation, ...]:
        return self._operations

    @cached_property
    def _operations(self) -> tuple[Operation, ...]:
        found = []
        for path, item in _mapping(self.data.get("paths")).items():
            item_pointer = child("#/paths", path)
            item = _mapping(item)
            shared = [
                self._parameter(p, child(item_pointer, "parameters", i))
                for i, p in enumerate(item.get("parameters") or [])
            ]
            for method in HTTP_METHODS:
                if method in item:
                    found.append(self._operation(path, method, _mapping(item[method]), shared))
        return tuple(found)

    @cached_property
    def webhooks(self) -> tuple[Webhook, ...]:
        """The top-level ``webhooks``, one per event type (the delivery is their ``post``)."""
        found = []
        for name, item in _mapping(self.data.get("webhooks")).items():
            item = _mapping(item)
            node = _mapping(item.get("post"))
            if not node:
                continue
            operation = self._operation(str(name), "post", node, [], base="#/webhooks")
            emitted_by = node.get(EMITTED_BY)
            found.append(Webhook(str(name), operation, str(emitted_by) if emitted_by else None))
        return tuple(found)

    @cached_property
    def requirements(self) -> tuple[Requirement, ...]:
        """The requirements catalogue (``x-requirements``), in the order the spec lists it."""
        found = []
        for rid, node in _mapping(self.data.get(REQUIREMENTS)).items():
            node = _mapping(node)
            found.append(
                Requirement(
                    id=str(rid),
                    level=_text(node.get("level")),
                    page=_text(node.get("page")),
                    section=_text(node.get("section")),
                    statement=_text(node.get("statement")).strip(),
                    checked=node.get("checked", True) is not False,
                    pointer=f"/{REQUIREMENTS}/{escape_pointer(str(rid))}",
                )
            )
        return tuple(found)

    def requirement(self, requirement_id: str) -> Requirement | None:
        """The requirement with this id, if the catalogue has it."""
        return next((r for r in self.requirements if r.id == requirement_id), None)

    def webhook_emitted_by(self, operation_id: str) -> Webhook | None:
        """The webhook that reports successful calls of ``operation_id``, if any."""
        return next((w for w in self.webhooks if w.emitted_by == operation_id), None)

    def operation(self, method: str, path: str) -> Operation:
        """The operation for ``method`` on the templated ``path``."""
        for op in self._operations:
            if op.method == method.upper() and op.path == path:
                return op
        raise KeyError(f"no operation {method.upper()} {path} in the spec")

    def operation_by_id(self, operation_id: str) -> Operation:
        for op in self._operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(f"no operation {operation_id!r} in the spec")

    def match(self, method: str, path: str) -> Operation | None:
        """The operation a concrete request path (``/v1/conversations/abc``) is for."""
        for op in self._operations:
            if op.method == method.upper() and path_regex(op.path).match(path):
                return op
        return None

    @property
    def max_body_bytes(self) -> int | None:
        """The largest request body, as the spec's 413 responses state it."""
        return next((op.max_body_bytes for op in self._operations if op.max_body_bytes), None)

    def _operation(
        self,
        path: str,
        method: str,
        node: dict[str, Any],
        shared: list[Parameter],
        base: str = "#/paths",
    ) -> Operation:
        pointer = child(base, path, method)
        own = [
            self._parameter(p, child(pointer, "parameters", i))
            for i, p in enumerate(node.get("parameters") or [])
        ]
        body = node.get("requestBody")
        security = node.get("security")
        return Operation(
            operation_id=str(node["operationId"]) if node.get("operationId") else None,
            method=method.upper(),
            path=path,
            pointer=pointer,
            summary=_text(node.get("summary")),
            description=_text(node.get("description")),
            tags=tuple(str(t) for t in node.get("tags") or []),
            sdk_method=str(node["x-sdk-method"]) if node.get("x-sdk-method") else None,
            security=_scheme_names(security) if isinstance(security, list) else None,
            parameters=(*shared, *own),
            request_body=(
                self._request_body(body, child(pointer, "requestBody"))
                if isinstance(body, dict)
                else None
            ),
            responses={
                str(status): self._response(str(status), raw, child(pointer, "responses", status))
                for status, raw in _mapping(node.get("responses")).items()
            },
        )

    def _parameter(self, raw: Any, pointer: str) -> Parameter:
        node, pointer = self.document.follow(raw, pointer)
        node = _mapping(node)
        schema = node.get("schema")
        return Parameter(
            name=str(node.get("name", "")),
            location=str(node.get("in", "")),
            required=bool(node.get("required", False)),
            schema=Schema(self.document, _mapping(schema), child(pointer, "schema")),
            description=_text(node.get("description")),
            pointer=pointer,
            style=str(node["style"]) if "style" in node else None,
            has_content="content" in node or schema is None,
            examples=self._examples(node, pointer, single_too=True),
        )

    def _request_body(self, raw: dict[str, Any], pointer: str) -> RequestBody:
        node, pointer = self.document.follow(raw, pointer)
        node = _mapping(node)
        return RequestBody(
            pointer=pointer,
            required=bool(node.get("required", False)),
            description=_text(node.get("description")),
            content=self._content(node, pointer),
        )

    def _response(self, status: str, raw: Any, pointer: str) -> Response:
        node, pointer = self.document.follow(raw, pointer)
        node = _mapping(node)
        limit = node.get(MAX_BODY_BYTES)
        return Response(
            status=status,
            pointer=pointer,
            description=_text(node.get("description")),
            content=self._content(node, pointer),
            headers=tuple(str(h) for h in _mapping(node.get("headers"))),
            max_body_bytes=int(limit) if isinstance(limit, int) else None,
        )

    def _content(self, node: dict[str, Any], pointer: str) -> dict[str, MediaType]:
        content: dict[str, MediaType] = {}
        for name, media in _mapping(node.get("content")).items():
            media_pointer = child(pointer, "content", name)
            media = _mapping(media)
            schema = media.get("schema")
            content[str(name)] = MediaType(
                name=str(name),
                pointer=media_pointer,
                schema=(
                    Schema(self.document, schema, child(media_pointer, "schema"))
                    if isinstance(schema, dict)
                    else None
                ),
                examples=self._examples(media, media_pointer),
            )
        return content

    def _examples(
        self, node: dict[str, Any], pointer: str, *, single_too: bool = False
    ) -> tuple[Example, ...]:
        """The named examples (refs followed) that carry a value, else the single ``example``."""
        found = []
        if single_too and "example" in node:
            found.append(Example("example", "", node["example"], child(pointer, "example")))
        for name, raw in _mapping(node.get("examples")).items():
            example, example_pointer = self.document.follow(raw, child(pointer, "examples", name))
            if isinstance(example, dict) and "value" in example:
                found.append(
                    Example(
                        str(name),
                        _text(example.get("summary")),
                        example["value"],
                        child(example_pointer, "value"),
                    )
                )
        if not single_too and not found and "example" in node:
            found.append(Example("example", "", node["example"], child(pointer, "example")))
        return tuple(found)

    # -- components ---------------------------------------------------------------------------

    @property
    def _components(self) -> dict[str, Any]:
        return _mapping(self.data.get("components"))

    @cached_property
    def schemas(self) -> dict[str, Schema]:
        """The named schemas of ``#/components/schemas``."""
        return {
            str(name): Schema(self.document, _mapping(node), child("#/components/schemas", name))
            for name, node in _mapping(self._components.get("schemas")).items()
        }

    def components(self) -> dict[str, tuple[str, ...]]:
        """Every section of ``#/components`` with the names it defines."""
        return {
            str(section): tuple(str(name) for name in _mapping(entries))
            for section, entries in self._components.items()
        }

    @cached_property
    def security_schemes(self) -> tuple[SecurityScheme, ...]:
        schemes = _mapping(self._components.get("securitySchemes"))
        return tuple(
            SecurityScheme(
                name=str(name),
                type=_text(_mapping(node).get("type")),
                scheme=_text(_mapping(node).get("scheme")),
                description=_text(_mapping(node).get("description")),
                pointer=child("#/components/securitySchemes", name),
            )
            for name, node in schemes.items()
        )

    @property
    def security(self) -> tuple[str, ...]:
        """The security schemes the document requires by default."""
        security = self.data.get("security")
        return _scheme_names(security) if isinstance(security, list) else ()

    @property
    def error_schema(self) -> Schema | None:
        """The schema of every 4xx and 5xx response body (the error convention)."""
        return self.schemas.get(ERROR_SCHEMA)

    def examples(self) -> Iterator[tuple[Schema, Example]]:
        """Every example in the document with the schema it must satisfy.

        Those beside a schema (media types, parameters, headers: ``example`` and the values of
        ``examples``, refs followed) and those inside a named schema's ``examples`` list.
        """
        for pointer, node in self.document.walk():
            if isinstance(node, dict) and isinstance(node.get("schema"), dict):
                schema = Schema(self.document, node["schema"], child(pointer, "schema"))
                for example in self._examples(node, pointer, single_too=True):
                    yield schema, example
        for schema in self.schemas.values():
            for index, value in enumerate(schema.examples):
                yield (
                    schema,
                    Example(str(index), "", value, child(schema.pointer, "examples", index)),
                )

    # -- schemas and validation -------------------------------------------------------------

    def schema(self, pointer: str) -> Schema:
        """The schema at ``pointer``."""
        return Schema.at(self.document, pointer)

    def validator(self, pointer: str) -> Draft202012Validator:
        """A compiled validator for the schema at ``pointer``, ``$ref``s resolved lazily."""
        return self.document.validator(pointer)

    def position(self, pointer: str) -> Position | None:
        return self.document.position(pointer)

    def path_regex(self, path: str) -> re.Pattern[str]:
        return path_regex(path)


def path_regex(path: str) -> re.Pattern[str]:
    """A regex for a templated path; each ``{name}`` matches one non-empty segment."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{pattern}$")


def _scheme_names(requirements: list[Any]) -> tuple[str, ...]:
    return tuple(str(name) for requirement in requirements for name in _mapping(requirement))
