"""The intermediate model: everything the client and docs templates need, decided once from the spec."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# A requirement of the catalogue as the spec's view reads it (id, level, page, section,
# statement, checked, pointer, anchor): the docs show it as it is.
from protocol_kit.spec import Requirement


@dataclass(frozen=True)
class TypeInfo:
    """The type of a property or parameter, with `$ref`s and `anyOf [X, null]` already seen through.

    ``kind`` is one of ``string``, ``integer``, ``number``, ``boolean``, ``array``, ``object``
    (a free-form object), ``model`` (a named object schema, see ``model``) or ``any``.
    ``display`` is the word the docs show: the ``format`` for integers/numbers that have one
    (``timestamp``), else the JSON type (ids are ``string``), or the model's name.
    """

    kind: str
    display: str
    nullable: bool = False
    format: str | None = None
    items: TypeInfo | None = None
    model: str | None = None
    enum: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Property:
    """A property of a model, or an attribute of a request body."""

    name: str
    type: TypeInfo
    description: str
    required: bool
    pointer: str
    constraints: dict[str, Any] = field(default_factory=dict)
    # True when the body lists the attribute in `x-required-one-of`: docs show it as required.
    one_of_required: bool = False


@dataclass(frozen=True)
class Model:
    """A named object schema from ``components/schemas`` (a resource's ``x-model``)."""

    name: str
    description: str
    properties: tuple[Property, ...]
    pointer: str


@dataclass(frozen=True)
class Parameter:
    """A path or query parameter; ``constraints`` holds minimum/maximum/pattern/default/...."""

    name: str
    location: str
    required: bool
    type: TypeInfo
    description: str
    pointer: str
    constraints: dict[str, Any] = field(default_factory=dict)
    example: Any = None
    has_example: bool = False


@dataclass(frozen=True)
class Example:
    name: str
    summary: str
    value: Any

    @property
    def json_text(self) -> str:
        """The value as the docs print it: JSON indented by two, keys in the spec's order."""
        return json.dumps(self.value, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class RequestBody:
    required: bool
    description: str
    media_types: tuple[str, ...]
    attributes: tuple[Property, ...]
    # Exactly one of these attributes must be given (from the schema's `x-required-one-of`).
    required_one_of: tuple[str, ...]
    examples: tuple[Example, ...]
    pointer: str


@dataclass(frozen=True)
class Response:
    """One declared response. ``kind``: ``model``, ``page``, ``empty`` or ``error``."""

    status: str
    description: str
    kind: str
    model: str | None
    examples: tuple[Example, ...]
    pointer: str


@dataclass(frozen=True)
class Pagination:
    """How a list operation pages: the item model, the cursor/limit parameter names and the
    page's own fields (``has_more``, ``data``)."""

    model: str
    after_param: str
    before_param: str | None
    limit_param: str | None
    page_fields: tuple[Property, ...] = ()


@dataclass(frozen=True)
class Sample:
    """Example arguments for an operation's code samples, taken from the spec's examples.

    ``path_args``: path parameter examples, in path order. ``query``: query parameters that have
    an example (the cURL sample shows them; SDK samples rely on defaults). ``body``: the first
    request body example, or None. ``url_path``: the path with the path examples filled in.
    """

    path_args: tuple[tuple[str, Any], ...]
    query: tuple[tuple[str, Any], ...]
    body: tuple[tuple[str, Any], ...] | None
    url_path: str


@dataclass(frozen=True)
class Operation:
    """One HTTP operation as a method of its resource (``name``: ``list``, ``create``, ...)."""

    operation_id: str
    name: str
    method: str
    path: str
    summary: str
    description: str
    path_params: tuple[Parameter, ...]
    query_params: tuple[Parameter, ...]
    body: RequestBody | None
    success: Response
    errors: tuple[Response, ...]
    idempotent: bool
    pagination: Pagination | None
    sample: Sample
    pointer: str

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """Path parameters, then query parameters."""
        return (*self.path_params, *self.query_params)

    @property
    def body_attributes(self) -> tuple[Property, ...]:
        """The request body's attributes; empty when the operation takes no body."""
        return self.body.attributes if self.body is not None else ()

    @property
    def responses(self) -> tuple[Response, ...]:
        """Every declared response, success first, then errors in status order."""
        return (self.success, *self.errors)

    @property
    def required_attributes(self) -> tuple[Parameter | Property, ...]:
        """The docs' "Required attributes": required query parameters and body attributes.

        Each alternative of the body's ``x-required-one-of`` counts, as the seed page lists both
        ``contact_id`` and ``group_id``; path parameters are part of the URL, not attributes.
        """
        return tuple(a for a in self._attributes() if _must_give(a))

    @property
    def optional_attributes(self) -> tuple[Parameter | Property, ...]:
        """The docs' "Optional attributes": the query parameters and body attributes left."""
        return tuple(a for a in self._attributes() if not _must_give(a))

    def _attributes(self) -> tuple[Parameter | Property, ...]:
        return (*self.query_params, *self.body_attributes)


@dataclass(frozen=True)
class Resource:
    """A group of operations sharing a tag with ``x-resource`` (the client namespace)."""

    name: str
    class_name: str
    tag: str
    description: str
    model: Model
    operations: tuple[Operation, ...]

    @property
    def summary(self) -> str:
        """The description's first sentence: a page's one-line summary (the MDX metadata)."""
        return re.split(r"(?<=[.!?])\s+", self.description, maxsplit=1)[0]


@dataclass(frozen=True)
class ErrorClass:
    """An error class the clients define; ``status`` None is the connection error family."""

    name: str
    status: int | None
    description: str


@dataclass(frozen=True)
class Webhook:
    """One event type of the spec's ``webhooks``: its name, the payload's model, the signature."""

    event_type: str
    class_name: str  # the typed event's class, from the event schema's name
    summary: str
    description: str
    payload: Model
    signature_header: str
    example: Example | None
    fields: tuple[Property, ...] = ()  # the event body's fields (id, type, payload)
    guide: str = ""  # the description of the webhook's tag: how delivery works
    signature_description: str = ""  # what the signature header carries
    signature_example: str = ""
    # The guide cut at its paragraphs' bold lead-ins (`**Delivery.** ...`): (heading, text), the
    # heading '' for the paragraphs before the first lead-in.
    guide_sections: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Server:
    """A base URL the spec lists, and what it is."""

    url: str
    description: str


@dataclass(frozen=True)
class ErrorResponse:
    """One error status the operations declare: what it means, an example body, who answers it."""

    status: str
    description: str
    example: Example | None
    operations: tuple[str, ...]  # operation ids, in spec order


@dataclass(frozen=True)
class ApiModel:
    """The whole API as the generators see it."""

    title: str
    version: str
    summary: str
    description: str
    base_url: str
    spec_name: str
    auth_description: str
    resources: tuple[Resource, ...]
    models: tuple[Model, ...]
    errors: tuple[ErrorClass, ...]
    error_model: Model
    webhooks: tuple[Webhook, ...] = ()
    license: str = ""  # the spec's, and so the generated clients' (an SPDX identifier)
    servers: tuple[Server, ...] = ()
    error_responses: tuple[ErrorResponse, ...] = ()
    requirements: tuple[Requirement, ...] = ()

    def requirements_on(self, page: str, section: str | None = None) -> tuple[Requirement, ...]:
        """The requirements a docs page states (under ``section``, if given), in spec order."""
        return tuple(
            r
            for r in self.requirements
            if r.page == page and (section is None or r.section == section)
        )

    def requirement_sections(self, page: str) -> tuple[str, ...]:
        """The section headings a page's requirements sit under, in order of first mention."""
        return tuple(dict.fromkeys(r.section for r in self.requirements_on(page)))

    @property
    def webhook_guide(self) -> tuple[tuple[str, str], ...]:
        """The webhooks' guides merged: (heading, text), the untitled introduction first, then
        each heading once, with the texts every guide gives it."""
        merged: dict[str, list[str]] = {"": []}
        for guide in dict.fromkeys(w.guide_sections for w in self.webhooks):
            for heading, text in guide:
                merged.setdefault(heading, []).append(text)
        return tuple((h, "\n\n".join(texts)) for h, texts in merged.items() if texts)

    @property
    def paginated(self) -> tuple[Operation, ...]:
        """The list operations, which page by the pagination convention."""
        return tuple(op for op in self.operations if op.pagination is not None)

    @property
    def signature_header(self) -> str:
        """The header every webhook delivery is signed in ('' without webhooks)."""
        return self.webhooks[0].signature_header if self.webhooks else ""

    def model(self, name: str) -> Model:
        for candidate in self.models:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(op for resource in self.resources for op in resource.operations)


def _must_give(attribute: Parameter | Property) -> bool:
    return attribute.required or (isinstance(attribute, Property) and attribute.one_of_required)
