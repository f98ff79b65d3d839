"""Load and validate the spec, then build the one intermediate model every template reads.

The model is built from the spec's typed view (``protocol_kit.spec``), never from the raw document.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from protocol_kit.spec import JSON, Requirement, Schema, Spec, SpecError
from protocol_kit.spec import Example as SpecExample
from protocol_kit.spec import Operation as SpecOperation
from protocol_kit.spec import Parameter as SpecParameter
from protocol_kit.spec.view import CURSOR_AFTER, CURSOR_BEFORE, LIMIT, PAGE_HAS_MORE, PAGE_ITEMS

from .cache import cache_dir
from .guides import guide_slugs
from .model import (
    ApiModel,
    ErrorClass,
    ErrorResponse,
    Example,
    Model,
    Operation,
    Pagination,
    Parameter,
    Property,
    RequestBody,
    Resource,
    Response,
    Sample,
    Server,
    TypeInfo,
    Webhook,
)

REQUIREMENT_LEVELS = ("MUST", "SHOULD")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Error classes every client defines, by status; 500 stands for every 5xx.
STATUS_ERRORS = {
    400: ("BadRequest", "The request was malformed or broke a rule of the contract (400)."),
    401: ("Authentication", "The bearer token is missing, malformed or unknown (401)."),
    403: ("PermissionDenied", "The token may not do this (403)."),
    404: ("NotFound", "The object does not exist in your account (404)."),
    409: ("Conflict", "The request conflicts with the object's state (409)."),
    413: ("PayloadTooLarge", "The request body is too large (413)."),
    415: ("UnsupportedMediaType", "The request body's media type is not accepted (415)."),
    422: ("UnprocessableEntity", "The request was well-formed but could not be processed (422)."),
    429: ("RateLimit", "Too many requests; retried automatically for idempotent methods (429)."),
    500: ("InternalServer", "The server failed (any 5xx)."),
}
# Keywords the model cannot express; each is reported with its pointer instead of being ignored.
_UNSUPPORTED_KEYWORDS = (
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "discriminator",
    "dependentSchemas",
    "prefixItems",
    "contains",
)


class GeneratorError(Exception):
    """The spec uses something the generator does not support; the message names the pointer."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer}: {message}")
        self.pointer = pointer


def load_model(spec_path: str | Path | None = None) -> ApiModel:
    """Load ``spec_path`` (default: the bundled spec), validate it and build the model."""
    try:
        spec = Spec.load(spec_path)
    except SpecError as exc:
        raise GeneratorError("#", str(exc)) from exc
    # A document that passed once is remembered, so a warm run skips the slow validator.
    problem = spec.document.openapi_problem(cache=cache_dir("valid"))
    if problem is not None:
        raise GeneratorError(problem.pointer, f"not a valid OpenAPI document: {problem.message}")
    return build_model(spec)


def build_model(spec: Spec) -> ApiModel:
    """The intermediate model of an already loaded spec."""
    try:
        return _Builder(spec).build()
    except SpecError as exc:  # a reference that does not resolve, met while building
        raise GeneratorError("#", str(exc)) from exc


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.models: dict[str, Model] = {}

    def build(self) -> ApiModel:
        tags = self._resource_tags()
        grouped: dict[str, list[Operation]] = {name: [] for name in tags}
        for spec_op in self._spec_operations():
            grouped[self._operation_tag(spec_op, tags)].append(self._operation(spec_op))
        resources = []
        for tag_name, tag in tags.items():
            operations = grouped[tag_name]
            if not operations:
                raise GeneratorError(
                    tag.pointer, f"tag {tag_name!r} has x-resource but no operations"
                )
            names = [op.name for op in operations]
            for op in operations:
                if names.count(op.name) > 1:
                    raise GeneratorError(
                        op.pointer,
                        f"method name {op.name!r} is used twice in tag {tag_name!r}; "
                        "set x-sdk-method on one of them",
                    )
            resource_name = str(tag.resource)
            if not re.fullmatch(r"[a-z][a-z0-9_]*", resource_name):
                raise GeneratorError(f"{tag.pointer}/x-resource", "must be a snake_case identifier")
            resources.append(
                Resource(
                    name=resource_name,
                    class_name=pascal(resource_name),
                    tag=tag_name,
                    description=_text(tag.description),
                    model=self._named_model(str(tag.model), f"{tag.pointer}/x-model"),
                    operations=tuple(operations),
                )
            )
        if not self.spec.server_urls:
            raise GeneratorError(
                "#/servers", "the first server gives the clients' default base URL"
            )
        webhooks = self._webhooks()
        return ApiModel(
            title=_text(self.spec.title),
            version=self.spec.version if self.spec.version != "unknown" else "",
            summary=_text(self.spec.summary),
            description=_text(self.spec.description),
            base_url=self.spec.server_urls[0].rstrip("/"),
            spec_name=self.spec.path.name if self.spec.path else "openapi.yaml",
            auth_description=self._auth_description(),
            resources=tuple(resources),
            models=tuple(self.models[name] for name in sorted(self.models)),
            errors=self._errors(),
            error_model=self._error_model(),
            webhooks=webhooks,
            license=self.spec.license,
            servers=tuple(Server(s.url, _text(s.description)) for s in self.spec.servers),
            error_responses=_error_responses(resources),
            requirements=self._requirements(
                {r.name for r in resources} | guide_slugs(bool(webhooks))
            ),
        )

    def _requirements(self, pages: set[str]) -> tuple[Requirement, ...]:
        found = []
        for r in self.spec.requirements:
            if r.level not in REQUIREMENT_LEVELS:
                raise GeneratorError(f"#{r.pointer}/level", "must be MUST or SHOULD")
            if r.page not in pages:
                raise GeneratorError(
                    f"#{r.pointer}/page", f"{r.page!r} is no docs page (one of {sorted(pages)})"
                )
            if not (r.page and r.section and r.statement):
                raise GeneratorError(f"#{r.pointer}", "needs a page, a section and a statement")
            # One paragraph each: the docs put the statement after its anchor, as one block.
            statement = " ".join(r.statement.split())
            found.append(replace(r, section=" ".join(r.section.split()), statement=statement))
        return tuple(found)

    def _webhooks(self) -> tuple[Webhook, ...]:
        found = []
        for hook in self.spec.webhooks:
            pointer = hook.operation.pointer
            event, payload, header = hook.event, hook.payload, hook.signature_header
            if event is None or event.ref_name is None:
                raise GeneratorError(pointer, "a webhook's body must be a named event schema")
            if payload is None or payload.ref_name is None:
                raise GeneratorError(event.pointer, "an event's payload must be a named model")
            if header is None:
                raise GeneratorError(pointer, "a webhook needs a required signature header")
            body = hook.operation.request_body
            media = body.content.get(JSON) if body is not None else None
            sample = media.examples[0] if media is not None and media.examples else None
            written = self._resolve(event, event.pointer)
            required = set(written.required)
            fields = tuple(
                self._property(name, prop, f"{written.pointer}/properties/{name}", name in required)
                for name, prop in written.properties.items()
            )
            guide = next(
                (t.description for t in self.spec.tags if t.name in hook.operation.tags), ""
            )
            found.append(
                Webhook(
                    guide_sections=_guide_sections(_text(guide)),
                    signature_description=_text(header.description),
                    signature_example=str(header.examples[0].value) if header.examples else "",
                    event_type=hook.event_type,
                    class_name=event.ref_name,
                    summary=_text(hook.operation.summary),
                    description=_text(hook.operation.description),
                    payload=self._named_model(payload.ref_name, payload.pointer),
                    signature_header=header.name,
                    example=(
                        Example(sample.name, sample.summary, sample.value) if sample else None
                    ),
                    fields=fields,
                    guide=guide,
                )
            )
        if len({w.signature_header for w in found}) > 1:
            raise GeneratorError("#/webhooks", "all webhooks must share one signature header")
        return tuple(found)

    # -- grouping -------------------------------------------------------------------------

    def _resource_tags(self) -> dict[str, Any]:
        tags = {}
        for tag in self.spec.tags:
            if tag.resource is None:
                continue
            if tag.model is None:
                raise GeneratorError(
                    tag.pointer, "a tag with x-resource needs x-model (its schema name)"
                )
            tags[tag.name] = tag
        if not tags:
            raise GeneratorError("#/tags", "no tag has x-resource, so there is nothing to generate")
        return tags

    def _spec_operations(self) -> tuple[SpecOperation, ...]:
        try:
            return self.spec.operations()
        except SpecError as exc:
            raise GeneratorError("#/paths", str(exc)) from exc

    def _operation_tag(self, op: SpecOperation, tags: dict[str, Any]) -> str:
        if op.operation_id is None:
            raise GeneratorError(op.pointer, "every operation needs an operationId")
        matching = [t for t in op.tags if t in tags]
        if len(matching) != 1:
            raise GeneratorError(
                f"{op.pointer}/tags", "needs exactly one tag that has x-resource in #/tags"
            )
        return matching[0]

    # -- operations -----------------------------------------------------------------------

    def _operation(self, op: SpecOperation) -> Operation:
        assert op.operation_id is not None  # checked when grouping
        params = [self._parameter(p) for p in op.parameters]
        path_params = tuple(p for p in params if p.location == "path")
        query_params = tuple(p for p in params if p.location == "query")
        declared = re.findall(r"\{(\w+)\}", op.path)
        if sorted(declared) != sorted(p.name for p in path_params):
            raise GeneratorError(op.pointer, f"path {op.path} and its path parameters disagree")
        path_params = tuple(sorted(path_params, key=lambda p: declared.index(p.name)))
        body = self._request_body(op) if op.request_body is not None else None
        success, errors = self._responses(op)
        pagination = self._pagination(op, success, query_params)
        name = op.sdk_method or _first_word(op.operation_id)
        return Operation(
            operation_id=op.operation_id,
            name=name,
            method=op.method,
            path=op.path,
            summary=_text(op.summary),
            description=_text(op.description),
            path_params=path_params,
            query_params=query_params,
            body=body,
            success=success,
            errors=errors,
            idempotent=op.method in IDEMPOTENT_METHODS,
            pagination=pagination,
            sample=_sample(op.path, path_params, query_params, body),
            pointer=op.pointer,
        )

    def _parameter(self, param: SpecParameter) -> Parameter:
        pointer = param.pointer
        if param.location not in ("path", "query"):
            raise GeneratorError(f"{pointer}/in", f"{param.location} parameters are not supported")
        if param.has_content:
            raise GeneratorError(pointer, "parameters need a `schema` (not `content`)")
        default_style = "form" if param.location == "query" else "simple"
        if (param.style or default_style) not in ("form", "simple"):
            raise GeneratorError(
                f"{pointer}/style", "only the default parameter style is supported"
            )
        type_info = self._type(param.schema, param.schema.pointer)
        if type_info.kind in ("array", "object", "model"):
            raise GeneratorError(
                param.schema.pointer, f"{type_info.kind} parameters are not supported"
            )
        return Parameter(
            name=param.name,
            location=param.location,
            required=param.required,
            type=type_info,
            description=_text(param.description),
            pointer=pointer,
            constraints=self._constraints(param.schema),
            example=param.examples[0].value if param.examples else None,
            has_example=bool(param.examples),
        )

    def _request_body(self, op: SpecOperation) -> RequestBody:
        body = op.request_body
        assert body is not None
        pointer = body.pointer
        media = body.content.get(JSON)
        if media is None:
            raise GeneratorError(f"{pointer}/content", f"request bodies need {JSON}")
        written = media.schema or Schema.at(self.spec.document, f"{media.pointer}/schema")
        schema_pointer = written.ref or written.pointer
        schema = self._resolve(written, schema_pointer)
        if schema.type != "object" and not (schema.has("oneOf") and schema.required_one_of):
            raise GeneratorError(schema_pointer, "request bodies must be objects")
        required_one_of = schema.required_one_of
        self._check_one_of_branches(schema, schema_pointer, required_one_of)
        required = set(schema.required)
        if schema.type == "object":
            attributes = tuple(
                _with_one_of(
                    self._property(
                        name, prop, f"{schema_pointer}/properties/{name}", name in required
                    ),
                    name in required_one_of,
                )
                for name, prop in schema.properties.items()
            )
        else:
            attributes = self._one_of_attributes(schema, required_one_of)
        return RequestBody(
            required=body.required,
            description=_text(body.description),
            media_types=tuple(body.content),
            attributes=attributes,
            required_one_of=required_one_of,
            examples=_examples(media.examples),
            pointer=pointer,
        )

    def _check_one_of_branches(
        self, schema: Schema, pointer: str, required_one_of: tuple[str, ...]
    ) -> None:
        """A top-level oneOf is accepted only as the spelled-out form of x-required-one-of.

        Either inline branches of one `required: [name]` each beside the object's properties, or
        (without `type`) named object branches, each requiring one name and allowing the others
        only as null.
        """
        if not schema.has("oneOf"):
            return
        branches = schema.one_of if schema.type == "object" else self._named_branches(schema)
        names = sorted(str(list(b.required)) if b.has("required") else "None" for b in branches)
        expected = sorted(str([name]) for name in required_one_of)
        allowed = {"required", "properties"}
        if schema.type != "object":
            allowed |= {"type", "title", "description", "additionalProperties"}
        extra = {k for b in branches for k in b.keywords} - allowed
        if not required_one_of or extra or names != expected:
            raise GeneratorError(
                f"{pointer}/oneOf",
                "oneOf on a body is supported only as one `required: [name]` branch per name "
                "listed in x-required-one-of",
            )

    def _named_branches(self, schema: Schema) -> tuple[Schema, ...]:
        return tuple(self._resolve(b, b.ref or b.pointer) for b in schema.one_of)

    def _one_of_attributes(
        self, schema: Schema, required_one_of: tuple[str, ...]
    ) -> tuple[Property, ...]:
        """One optional, nullable attribute per name, typed by the branch that requires it."""
        attributes: list[Property] = []
        for branch in self._named_branches(schema):
            name = branch.required[0]
            prop = self._property(
                name, branch.properties[name], f"{branch.pointer}/properties/{name}", False
            )
            attributes.append(_with_one_of(_as_nullable(prop), name in required_one_of))
        return tuple(attributes)

    def _responses(self, op: SpecOperation) -> tuple[Response, tuple[Response, ...]]:
        successes: list[Response] = []
        errors: list[Response] = []
        for status, spec_response in op.responses.items():
            pointer = spec_response.pointer
            if not re.fullmatch(r"[1-5]\d\d", status):
                raise GeneratorError(pointer, f"response status {status!r} is not supported")
            if spec_response.content and set(spec_response.content) != {JSON}:
                raise GeneratorError(f"{pointer}/content", f"only {JSON} responses are supported")
            media = spec_response.json
            kind, model = self._response_kind(
                status, media is not None, media.schema if media is not None else None, pointer
            )
            response = Response(
                status=status,
                description=_text(spec_response.description),
                kind=kind,
                model=model,
                examples=_examples(media.examples if media is not None else ()),
                pointer=pointer,
            )
            (successes if status.startswith("2") else errors).append(response)
        if len(successes) != 1:
            raise GeneratorError(f"{op.pointer}/responses", "needs exactly one 2xx response")
        return successes[0], tuple(sorted(errors, key=lambda r: r.status))

    def _response_kind(
        self, status: str, has_media: bool, schema: Schema | None, pointer: str
    ) -> tuple[str, str | None]:
        if not has_media:
            if status.startswith("2"):
                return "empty", None
            return "error", None
        ref = schema.ref if schema is not None else None
        if schema is None or ref is None:
            raise GeneratorError(
                f"{pointer}/content/application~1json/schema",
                "response schemas must $ref a named schema",
            )
        if not status.startswith("2"):
            return "error", _ref_name(ref)
        props = self._resolve(schema, ref).properties
        if set(props) >= {PAGE_ITEMS, PAGE_HAS_MORE}:
            data = self._resolve(props[PAGE_ITEMS], props[PAGE_ITEMS].pointer)
            if data.type == "array":
                items = data.items
                if items is None or items.ref is None:
                    raise GeneratorError(
                        f"{ref}/properties/data/items", "page items must $ref a model"
                    )
                return "page", self._named_model(_ref_name(items.ref), items.ref).name
        return "model", self._named_model(_ref_name(ref), ref).name

    def _pagination(
        self, op: SpecOperation, success: Response, query: tuple[Parameter, ...]
    ) -> Pagination | None:
        if success.kind != "page":
            return None
        names = {p.name for p in query}
        if CURSOR_AFTER not in names:
            raise GeneratorError(
                f"{op.pointer}/parameters", f"a list operation needs the `{CURSOR_AFTER}` cursor"
            )
        assert success.model is not None
        convention = op.pagination
        fields: tuple[Property, ...] = ()
        if convention is not None:
            page = convention.page
            fields = tuple(
                self._property(
                    name, prop, f"{page.pointer}/properties/{name}", name in page.required
                )
                for name, prop in page.properties.items()
            )
        return Pagination(
            model=success.model,
            after_param=CURSOR_AFTER,
            before_param=CURSOR_BEFORE if CURSOR_BEFORE in names else None,
            limit_param=LIMIT if LIMIT in names else None,
            page_fields=fields,
        )

    # -- schemas --------------------------------------------------------------------------

    def _named_model(self, name: str, pointer: str) -> Model:
        if name in self.models:
            return self.models[name]
        if name not in self.spec.schemas:
            raise GeneratorError(pointer, f"no schema #/components/schemas/{name}")
        written = self.spec.schemas[name]
        schema_pointer = written.pointer
        schema = self._resolve(written, schema_pointer)
        if schema.type != "object" or not schema.has("properties"):
            raise GeneratorError(schema_pointer, "models must be objects with properties")
        self._check_keywords(schema, schema_pointer)
        # Registered before the properties so that self-references terminate.
        placeholder = Model(name, "", (), schema_pointer)
        self.models[name] = placeholder
        required = set(schema.required)
        properties = tuple(
            self._property(
                prop_name, prop, f"{schema_pointer}/properties/{prop_name}", prop_name in required
            )
            for prop_name, prop in schema.properties.items()
        )
        model = Model(name, _text(schema.description), properties, schema_pointer)
        self.models[name] = model
        return model

    def _property(self, name: str, schema: Schema, pointer: str, required: bool) -> Property:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise GeneratorError(pointer, f"property name {name!r} is not a snake_case identifier")
        description = schema.description
        if description is None and schema.ref is not None:
            description = self._resolve(schema, schema.ref).description
        return Property(
            name=name,
            type=self._type(schema, pointer),
            description=_text(description),
            required=required,
            pointer=pointer,
            constraints=self._constraints(schema),
        )

    def _type(self, schema: Schema, pointer: str, declared: Any = None) -> TypeInfo:
        self._check_keywords(schema, pointer)
        if schema.ref is not None:
            ref = schema.ref
            target = self._resolve(schema, pointer)
            if target.type == "object" and target.has("properties"):
                return TypeInfo(
                    kind="model",
                    display=_ref_name(ref),
                    model=self._named_model(_ref_name(ref), ref).name,
                )
            return self._type(target, ref)
        for key in ("anyOf", "oneOf"):
            if schema.has(key):
                branches = schema.branches(key)
                others = [b for b in branches if b.type != "null"]
                if len(others) != 1 or len(branches) != 2:
                    raise GeneratorError(
                        f"{pointer}/{key}", f"{key} is supported only as [schema, {{type: 'null'}}]"
                    )
                inner = self._type(others[0], f"{pointer}/{key}/{branches.index(others[0])}")
                return _nullable(inner)
        declared = declared if declared is not None else schema.type
        if isinstance(declared, list):
            non_null = [t for t in declared if t != "null"]
            if len(non_null) != 1:
                raise GeneratorError(f"{pointer}/type", "only [type, 'null'] unions are supported")
            return _nullable(self._type(schema, pointer, non_null[0]))
        if declared is None:
            return TypeInfo(kind="any", display="any")
        if declared == "array":
            items = schema.items or Schema.anonymous(self.spec.document, {})
            return TypeInfo(
                kind="array", display="array", items=self._type(items, f"{pointer}/items")
            )
        if declared == "object":
            return TypeInfo(kind="object", display="object")
        if declared not in ("string", "integer", "number", "boolean"):
            raise GeneratorError(f"{pointer}/type", f"type {declared!r} is not supported")
        fmt = schema.format
        display = fmt if fmt and declared in ("integer", "number") else declared
        return TypeInfo(kind=declared, display=display, format=fmt, enum=schema.enum)

    def _constraints(self, schema: Schema) -> dict[str, Any]:
        """Validation keywords of a schema, the referenced schema's first, the node's overriding."""
        merged: dict[str, Any] = {}
        for key in ("anyOf", "oneOf"):
            for branch in schema.branches(key):
                if branch.type != "null":
                    merged.update(self._constraints(branch))
        if schema.ref is not None:
            merged.update(self._constraints(self._resolve(schema, schema.ref)))
        merged.update(schema.constraints())
        return merged

    def _check_keywords(self, schema: Schema, pointer: str) -> None:
        for key in _UNSUPPORTED_KEYWORDS:
            if schema.has(key):
                raise GeneratorError(
                    f"{pointer}/{key}", f"`{key}` is not supported by the generator"
                )

    def _resolve(self, schema: Schema, pointer: str) -> Schema:
        try:
            return schema.target
        except SpecError as exc:
            raise GeneratorError(pointer, str(exc)) from exc

    # -- API-wide -------------------------------------------------------------------------

    def _errors(self) -> tuple[ErrorClass, ...]:
        statuses = {500, 429}  # always: the retry logic raises these after the last attempt
        for op in self._spec_operations():
            for status in op.responses:
                code = int(status) if status.isdigit() else 0
                if code >= 500:
                    statuses.add(500)
                elif code >= 400:
                    statuses.add(code)
        errors = [
            ErrorClass(name=STATUS_ERRORS[s][0], status=s, description=STATUS_ERRORS[s][1])
            for s in sorted(statuses)
            if s in STATUS_ERRORS
        ]
        return tuple(errors)

    def _error_model(self) -> Model:
        error = self.spec.error_schema
        if error is None:
            raise GeneratorError("#/components/schemas", "an `Error` schema is required")
        name = error.pointer.rsplit("/", 1)[-1]
        model = self._named_model(name, error.pointer)
        del self.models[name]  # errors become exception classes, not models
        return model

    def _auth_description(self) -> str:
        for scheme in self.spec.security_schemes:
            if scheme.type == "http" and scheme.scheme == "bearer":
                return _text(scheme.description)
            raise GeneratorError(scheme.pointer, "only http bearer authentication is supported")
        return ""


def pascal(name: str) -> str:
    """``contact_list`` / ``contacts`` → ``ContactList`` / ``Contacts``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", name) if part)


def _first_word(operation_id: str) -> str:
    match = re.match(r"[a-z]+", operation_id)
    if match is None:
        raise GeneratorError("#/paths", f"operationId {operation_id!r} must start lowercase")
    return match.group(0)


def _nullable(inner: TypeInfo) -> TypeInfo:
    return TypeInfo(
        kind=inner.kind,
        display=inner.display,
        nullable=True,
        format=inner.format,
        items=inner.items,
        model=inner.model,
        enum=inner.enum,
    )


def _as_nullable(prop: Property) -> Property:
    return Property(
        prop.name,
        _nullable(prop.type),
        prop.description,
        prop.required,
        prop.pointer,
        prop.constraints,
        prop.one_of_required,
    )


def _with_one_of(prop: Property, one_of: bool) -> Property:
    return Property(
        prop.name,
        prop.type,
        prop.description,
        prop.required,
        prop.pointer,
        prop.constraints,
        one_of,
    )


def _guide_sections(guide: str) -> tuple[tuple[str, str], ...]:
    """A guide's paragraphs grouped under their bold lead-ins (``**Order.** The events ...``)."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for paragraph in guide.split("\n\n") if guide else ():
        lead = re.match(r"\*\*([^*]+?)\.\*\*\s+", paragraph)
        if lead:
            sections.append((lead.group(1), [paragraph[lead.end() :]]))
        else:
            sections[-1][1].append(paragraph)
    return tuple((heading, "\n\n".join(texts)) for heading, texts in sections if texts)


def _error_responses(resources: list[Resource]) -> tuple[ErrorResponse, ...]:
    """Each error status the operations declare, with the first description and example given."""
    seen: dict[str, list[Response]] = {}
    answered_by: dict[str, list[str]] = {}
    for resource in resources:
        for op in resource.operations:
            for response in op.errors:
                seen.setdefault(response.status, []).append(response)
                answered_by.setdefault(response.status, []).append(op.operation_id)
    return tuple(
        ErrorResponse(
            status=status,
            description=responses[0].description,
            example=next((r.examples[0] for r in responses if r.examples), None),
            operations=tuple(answered_by[status]),
        )
        for status, responses in sorted(seen.items())
    )


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _text(value: Any) -> str:
    """Prose with its line wrapping undone; a blank line (YAML: two in a folded block) keeps paragraphs apart."""
    if not value:
        return ""
    paragraphs = (" ".join(part.split()) for part in re.split(r"\n\s*\n", str(value)))
    return "\n\n".join(part for part in paragraphs if part)


def _examples(examples: tuple[SpecExample, ...]) -> tuple[Example, ...]:
    return tuple(Example(name=e.name, summary=_text(e.summary), value=e.value) for e in examples)


def _sample(
    path: str,
    path_params: tuple[Parameter, ...],
    query: tuple[Parameter, ...],
    body: RequestBody | None,
) -> Sample:
    path_args = []
    url_path = path
    for param in path_params:
        if not param.has_example:
            raise GeneratorError(param.pointer, "path parameters need an example for code samples")
        path_args.append((param.name, param.example))
        url_path = url_path.replace("{" + param.name + "}", str(param.example))
    body_args = None
    if body is not None and body.examples and isinstance(body.examples[0].value, dict):
        body_args = tuple(body.examples[0].value.items())
    return Sample(
        path_args=tuple(path_args),
        query=tuple((p.name, p.example) for p in query if p.has_example),
        body=body_args,
        url_path=url_path,
    )
