"""Load and validate the spec, then build the one intermediate model every template reads."""

from __future__ import annotations

import contextlib
import hashlib
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from protocol_kit.spec import Operation as SpecOperation
from protocol_kit.spec import Parameter as SpecParameter
from protocol_kit.spec import Spec, SpecError

from .cache import cache_dir
from .model import (
    ApiModel,
    ErrorClass,
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
    TypeInfo,
)

JSON = "application/json"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# The Protocol pagination convention (conventions page): cursors are object ids.
CURSOR_AFTER = "starting_after"
CURSOR_BEFORE = "ending_before"
LIMIT = "limit"
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
_CONSTRAINT_KEYS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "default",
    "minItems",
    "maxItems",
    "enum",
)
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
    _validate(spec.document)
    return build_model(spec)


# Importing openapi-spec-validator and running it were most of a run once the templates were
# cached. Its verdict depends only on the document and the validator's code, so a document that
# passed is remembered (by a digest of the parsed document and the validator stack's versions).
_VALIDATOR_DISTRIBUTIONS = (
    "openapi-spec-validator",
    "openapi-schema-validator",
    "jsonschema",
    "jsonschema-path",
    "referencing",
)


def _validate(document: dict[str, Any]) -> None:
    """Validate ``document`` as OpenAPI, unless this exact document already passed."""
    marker = _validated_marker(document)
    if marker is not None and marker.is_file():
        return
    from openapi_spec_validator import validate as validate_openapi  # slow import: only when used

    try:
        validate_openapi(document)
    except Exception as exc:  # the validator raises several unrelated exception types
        raise GeneratorError("#", f"not a valid OpenAPI document: {exc}") from exc
    if marker is not None:
        with contextlib.suppress(OSError):  # an unwritable cache: validate again next time
            marker.touch()


def _validated_marker(document: dict[str, Any]) -> Path | None:
    """The cache file saying ``document`` is valid; None if its verdict must not be cached."""
    if not _local_refs_only(document):
        return None  # the verdict would depend on what the other documents say today
    try:
        versions = [metadata.version(name) for name in _VALIDATOR_DISTRIBUTIONS]
    except metadata.PackageNotFoundError:
        return None
    directory = cache_dir("valid")
    if directory is None:
        return None
    # repr() tells apart everything YAML can give (1, 1.0, "1", True, dates), in document order.
    digest = hashlib.sha256(repr((versions, document)).encode()).hexdigest()
    return directory / digest


def _local_refs_only(node: Any) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None and not (isinstance(ref, str) and ref.startswith("#")):
            return False
        return all(_local_refs_only(value) for value in node.values())
    if isinstance(node, list):
        return all(_local_refs_only(value) for value in node)
    return True


def build_model(spec: Spec) -> ApiModel:
    """The intermediate model of an already loaded spec."""
    return _Builder(spec).build()


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.doc = spec.document
        self.models: dict[str, Model] = {}

    def build(self) -> ApiModel:
        info = self.doc.get("info", {})
        tags = self._resource_tags()
        grouped: dict[str, list[Operation]] = {name: [] for name in tags}
        for spec_op in self._spec_operations():
            grouped[self._operation_tag(spec_op, tags)].append(self._operation(spec_op))
        resources = []
        for tag_name, (tag, pointer) in tags.items():
            operations = grouped[tag_name]
            if not operations:
                raise GeneratorError(pointer, f"tag {tag_name!r} has x-resource but no operations")
            names = [op.name for op in operations]
            for op in operations:
                if names.count(op.name) > 1:
                    raise GeneratorError(
                        op.pointer,
                        f"method name {op.name!r} is used twice in tag {tag_name!r}; "
                        "set x-sdk-method on one of them",
                    )
            resource_name = tag["x-resource"]
            if not re.fullmatch(r"[a-z][a-z0-9_]*", str(resource_name)):
                raise GeneratorError(f"{pointer}/x-resource", "must be a snake_case identifier")
            resources.append(
                Resource(
                    name=resource_name,
                    class_name=pascal(resource_name),
                    tag=tag_name,
                    description=_text(tag.get("description")),
                    model=self._named_model(tag["x-model"], f"{pointer}/x-model"),
                    operations=tuple(operations),
                )
            )
        servers = self.doc.get("servers") or []
        if not servers or "url" not in servers[0]:
            raise GeneratorError(
                "#/servers", "the first server gives the clients' default base URL"
            )
        return ApiModel(
            title=_text(info.get("title")),
            version=str(info.get("version", "")),
            summary=_text(info.get("summary")),
            description=_text(info.get("description")),
            base_url=str(servers[0]["url"]).rstrip("/"),
            spec_name=self.spec.path.name if self.spec.path else "openapi.yaml",
            auth_description=self._auth_description(),
            resources=tuple(resources),
            models=tuple(self.models[name] for name in sorted(self.models)),
            errors=self._errors(),
            error_model=self._error_model(),
        )

    # -- grouping -------------------------------------------------------------------------

    def _resource_tags(self) -> dict[str, tuple[dict[str, Any], str]]:
        tags: dict[str, tuple[dict[str, Any], str]] = {}
        for i, tag in enumerate(self.doc.get("tags", [])):
            if "x-resource" not in tag:
                continue
            pointer = f"#/tags/{i}"
            if "x-model" not in tag:
                raise GeneratorError(
                    pointer, "a tag with x-resource needs x-model (its schema name)"
                )
            tags[tag["name"]] = (tag, pointer)
        if not tags:
            raise GeneratorError("#/tags", "no tag has x-resource, so there is nothing to generate")
        return tags

    def _spec_operations(self) -> list[SpecOperation]:
        try:
            return list(self.spec.operations())
        except SpecError as exc:
            raise GeneratorError("#/paths", str(exc)) from exc

    def _operation_tag(self, op: SpecOperation, tags: dict[str, Any]) -> str:
        if "operationId" not in op.raw:
            raise GeneratorError(op.pointer, "every operation needs an operationId")
        matching = [t for t in op.raw.get("tags", []) if t in tags]
        if len(matching) != 1:
            raise GeneratorError(
                f"{op.pointer}/tags", "needs exactly one tag that has x-resource in #/tags"
            )
        return str(matching[0])

    # -- operations -----------------------------------------------------------------------

    def _operation(self, op: SpecOperation) -> Operation:
        raw = op.raw
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
        name = str(raw.get("x-sdk-method") or _first_word(raw["operationId"]))
        return Operation(
            operation_id=raw["operationId"],
            name=name,
            method=op.method,
            path=op.path,
            summary=_text(raw.get("summary")),
            description=_text(raw.get("description")),
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
        node = self.spec.resolve(self.spec.pointer(param.pointer))
        pointer = param.pointer
        if param.location not in ("path", "query"):
            raise GeneratorError(f"{pointer}/in", f"{param.location} parameters are not supported")
        if "content" in node or "schema" not in node:
            raise GeneratorError(pointer, "parameters need a `schema` (not `content`)")
        if node.get("style", "form" if param.location == "query" else "simple") not in (
            "form",
            "simple",
        ):
            raise GeneratorError(
                f"{pointer}/style", "only the default parameter style is supported"
            )
        type_info = self._type(node["schema"], f"{pointer}/schema")
        if type_info.kind in ("array", "object", "model"):
            raise GeneratorError(
                f"{pointer}/schema", f"{type_info.kind} parameters are not supported"
            )
        example, has_example = _example_of(node)
        return Parameter(
            name=param.name,
            location=param.location,
            required=param.required,
            type=type_info,
            description=_text(param.description),
            pointer=pointer,
            constraints=self._constraints(node["schema"]),
            example=example,
            has_example=has_example,
        )

    def _request_body(self, op: SpecOperation) -> RequestBody:
        body = op.request_body or {}
        pointer = op.request_body_pointer or f"{op.pointer}/requestBody"
        content = body.get("content", {})
        if JSON not in content:
            raise GeneratorError(f"{pointer}/content", f"request bodies need {JSON}")
        media = content[JSON]
        schema_pointer = f"{pointer}/content/application~1json/schema"
        schema_node = media.get("schema", {})
        if "$ref" in schema_node:
            schema_pointer = schema_node["$ref"]
        schema = self.spec.resolve(schema_node)
        if schema.get("type") != "object":
            raise GeneratorError(schema_pointer, "request bodies must be objects")
        required_one_of = tuple(schema.get("x-required-one-of", ()))
        self._check_one_of_branches(schema, schema_pointer, required_one_of)
        required = set(schema.get("required", []))
        attributes = tuple(
            _with_one_of(
                self._property(name, prop, f"{schema_pointer}/properties/{name}", name in required),
                name in required_one_of,
            )
            for name, prop in schema.get("properties", {}).items()
        )
        return RequestBody(
            required=bool(body.get("required", False)),
            description=_text(body.get("description")),
            media_types=tuple(content),
            attributes=attributes,
            required_one_of=required_one_of,
            examples=_examples(media),
            pointer=pointer,
        )

    def _check_one_of_branches(
        self, schema: dict[str, Any], pointer: str, required_one_of: tuple[str, ...]
    ) -> None:
        """A top-level oneOf is accepted only as the spelled-out form of x-required-one-of."""
        branches = schema.get("oneOf")
        if branches is None:
            return
        names = sorted(str(b.get("required")) for b in branches)
        expected = sorted(str([name]) for name in required_one_of)
        extra = {k for b in branches for k in b} - {"required", "properties"}
        if not required_one_of or extra or names != expected:
            raise GeneratorError(
                f"{pointer}/oneOf",
                "oneOf on a body is supported only as one `required: [name]` branch per name "
                "listed in x-required-one-of",
            )

    def _responses(self, op: SpecOperation) -> tuple[Response, tuple[Response, ...]]:
        successes: list[Response] = []
        errors: list[Response] = []
        for status, raw in op.raw.get("responses", {}).items():
            status = str(status)
            pointer = raw.get("$ref", f"{op.pointer}/responses/{status}")
            node = self.spec.resolve(raw)
            if not re.fullmatch(r"[1-5]\d\d", status):
                raise GeneratorError(pointer, f"response status {status!r} is not supported")
            content = node.get("content") or {}
            if content and set(content) != {JSON}:
                raise GeneratorError(f"{pointer}/content", f"only {JSON} responses are supported")
            media = content.get(JSON)
            kind, model = self._response_kind(status, media, pointer)
            response = Response(
                status=status,
                description=_text(node.get("description")),
                kind=kind,
                model=model,
                examples=_examples(media or {}),
                pointer=pointer,
            )
            (successes if status.startswith("2") else errors).append(response)
        if len(successes) != 1:
            raise GeneratorError(f"{op.pointer}/responses", "needs exactly one 2xx response")
        return successes[0], tuple(sorted(errors, key=lambda r: r.status))

    def _response_kind(
        self, status: str, media: dict[str, Any] | None, pointer: str
    ) -> tuple[str, str | None]:
        if media is None:
            if status.startswith("2"):
                return "empty", None
            return "error", None
        schema_node = media.get("schema", {})
        if "$ref" not in schema_node:
            raise GeneratorError(
                f"{pointer}/content/application~1json/schema",
                "response schemas must $ref a named schema",
            )
        ref = schema_node["$ref"]
        if not status.startswith("2"):
            return "error", _ref_name(ref)
        schema = self.spec.resolve(schema_node)
        props = schema.get("properties", {})
        if (
            set(props) >= {"data", "has_more"}
            and self.spec.resolve(props["data"]).get("type") == "array"
        ):
            items = self.spec.resolve(props["data"]).get("items", {})
            if "$ref" not in items:
                raise GeneratorError(f"{ref}/properties/data/items", "page items must $ref a model")
            return "page", self._named_model(_ref_name(items["$ref"]), items["$ref"]).name
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
        return Pagination(
            model=success.model,
            after_param=CURSOR_AFTER,
            before_param=CURSOR_BEFORE if CURSOR_BEFORE in names else None,
            limit_param=LIMIT if LIMIT in names else None,
        )

    # -- schemas --------------------------------------------------------------------------

    def _named_model(self, name: str, pointer: str) -> Model:
        if name in self.models:
            return self.models[name]
        schemas = self.doc.get("components", {}).get("schemas", {})
        if name not in schemas:
            raise GeneratorError(pointer, f"no schema #/components/schemas/{name}")
        schema_pointer = f"#/components/schemas/{name}"
        schema = self.spec.resolve(schemas[name])
        if schema.get("type") != "object" or "properties" not in schema:
            raise GeneratorError(schema_pointer, "models must be objects with properties")
        self._check_keywords(schema, schema_pointer)
        # Registered before the properties so that self-references terminate.
        placeholder = Model(name, "", (), schema_pointer)
        self.models[name] = placeholder
        required = set(schema.get("required", []))
        properties = tuple(
            self._property(
                prop_name, prop, f"{schema_pointer}/properties/{prop_name}", prop_name in required
            )
            for prop_name, prop in schema["properties"].items()
        )
        model = Model(name, _text(schema.get("description")), properties, schema_pointer)
        self.models[name] = model
        return model

    def _property(self, name: str, node: dict[str, Any], pointer: str, required: bool) -> Property:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise GeneratorError(pointer, f"property name {name!r} is not a snake_case identifier")
        description = node.get("description")
        if description is None:
            description = self._target(node).get("description")
        return Property(
            name=name,
            type=self._type(node, pointer),
            description=_text(description),
            required=required,
            pointer=pointer,
            constraints=self._constraints(node),
        )

    def _type(self, node: dict[str, Any], pointer: str) -> TypeInfo:
        self._check_keywords(node, pointer)
        if "$ref" in node:
            ref = node["$ref"]
            target = self._resolve(node, pointer)
            if target.get("type") == "object" and "properties" in target:
                return TypeInfo(
                    kind="model",
                    display=_ref_name(ref),
                    model=self._named_model(_ref_name(ref), ref).name,
                )
            return self._type(target, ref)
        for key in ("anyOf", "oneOf"):
            if key in node:
                branches = node[key]
                others = [b for b in branches if b.get("type") != "null"]
                if len(others) != 1 or len(branches) != 2:
                    raise GeneratorError(
                        f"{pointer}/{key}", f"{key} is supported only as [schema, {{type: 'null'}}]"
                    )
                inner = self._type(others[0], f"{pointer}/{key}/{branches.index(others[0])}")
                return _nullable(inner)
        declared = node.get("type")
        if isinstance(declared, list):
            non_null = [t for t in declared if t != "null"]
            if len(non_null) != 1:
                raise GeneratorError(f"{pointer}/type", "only [type, 'null'] unions are supported")
            return _nullable(self._type({**node, "type": non_null[0]}, pointer))
        if declared is None:
            return TypeInfo(kind="any", display="any")
        if declared == "array":
            items = self._type(node.get("items", {}), f"{pointer}/items")
            return TypeInfo(kind="array", display="array", items=items)
        if declared == "object":
            return TypeInfo(kind="object", display="object")
        if declared not in ("string", "integer", "number", "boolean"):
            raise GeneratorError(f"{pointer}/type", f"type {declared!r} is not supported")
        fmt = node.get("format")
        display = fmt if fmt and declared in ("integer", "number") else declared
        return TypeInfo(
            kind=declared, display=display, format=fmt, enum=tuple(node.get("enum", ()))
        )

    def _constraints(self, node: dict[str, Any]) -> dict[str, Any]:
        """Validation keywords of a schema, the referenced schema's first, the node's overriding."""
        merged: dict[str, Any] = {}
        for key in ("anyOf", "oneOf"):
            for branch in node.get(key, []):
                if branch.get("type") != "null":
                    merged.update(self._constraints(branch))
        if "$ref" in node:
            merged.update(self._constraints(self._resolve(node, node["$ref"])))
        merged.update({k: node[k] for k in _CONSTRAINT_KEYS if k in node})
        return merged

    def _check_keywords(self, node: dict[str, Any], pointer: str) -> None:
        for key in _UNSUPPORTED_KEYWORDS:
            if key in node:
                raise GeneratorError(
                    f"{pointer}/{key}", f"`{key}` is not supported by the generator"
                )

    def _resolve(self, node: dict[str, Any], pointer: str) -> dict[str, Any]:
        try:
            return dict(self.spec.resolve(node))
        except SpecError as exc:
            raise GeneratorError(pointer, str(exc)) from exc

    def _target(self, node: dict[str, Any]) -> dict[str, Any]:
        """The schema a property points at, for a description when the property has none."""
        if "$ref" in node:
            return self._resolve(node, node["$ref"])
        return {}

    # -- API-wide -------------------------------------------------------------------------

    def _errors(self) -> tuple[ErrorClass, ...]:
        statuses = {500, 429}  # always: the retry logic raises these after the last attempt
        for op in self._spec_operations():
            for status in op.raw.get("responses", {}):
                code = int(str(status)) if str(status).isdigit() else 0
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
        schemas = self.doc.get("components", {}).get("schemas", {})
        if "Error" not in schemas:
            raise GeneratorError("#/components/schemas", "an `Error` schema is required")
        model = self._named_model("Error", "#/components/schemas/Error")
        del self.models["Error"]  # errors become exception classes, not models
        return model

    def _auth_description(self) -> str:
        schemes = self.doc.get("components", {}).get("securitySchemes", {})
        for name, scheme in schemes.items():
            if scheme.get("type") == "http" and scheme.get("scheme") == "bearer":
                return _text(scheme.get("description"))
            raise GeneratorError(
                f"#/components/securitySchemes/{name}",
                "only http bearer authentication is supported",
            )
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


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""


def _example_of(node: dict[str, Any]) -> tuple[Any, bool]:
    if "example" in node:
        return node["example"], True
    for example in (node.get("examples") or {}).values():
        if isinstance(example, dict) and "value" in example:
            return example["value"], True
    return None, False


def _examples(media: dict[str, Any]) -> tuple[Example, ...]:
    found = [
        Example(name=str(name), summary=_text(ex.get("summary")), value=ex.get("value"))
        for name, ex in (media.get("examples") or {}).items()
        if isinstance(ex, dict) and "value" in ex
    ]
    if not found and "example" in media:
        found.append(Example(name="example", summary="", value=media["example"]))
    return tuple(found)


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
