"""What the checks need to know about the API, read from the OpenAPI document (never copied)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator

from protocol_kit.spec import JSON, Operation, Pagination, Parameter, Schema, Spec


@dataclass
class Contract:
    """The spec, viewed through the operations and schemas the conformance rules use.

    The resource is the collection the spec pages (its list operation) and the object path
    beneath it; operations are picked by method and path, never by their ids.
    """

    spec: Spec

    @cached_property
    def _list(self) -> Operation:
        for operation in self.spec.operations():
            if operation.method == "GET" and operation.pagination is not None:
                return operation
        raise KeyError("the spec has no paginated list operation")

    @property
    def _pagination(self) -> Pagination:
        assert self._list.pagination is not None
        return self._list.pagination

    @cached_property
    def collection_path(self) -> str:
        return self._list.path

    @cached_property
    def item_path(self) -> str:
        prefix = self.collection_path + "/{"
        for operation in self.spec.operations():
            if operation.method == "GET" and operation.path.startswith(prefix):
                return operation.path
        raise KeyError(f"the spec has no GET {prefix}…}}")

    def op(self, method: str, path: str) -> Operation:
        return self.spec.operation(method, path)

    def item(self, conversation_id: str) -> str:
        return re.sub(r"\{[^}]+\}", conversation_id, self.item_path)

    def _success_schema(self, operation: Operation) -> Schema:
        success = operation.success
        if success is None or success.schema is None:
            raise KeyError(f"{operation.id} has no application/json success response")
        return success.schema

    @cached_property
    def conversation_schema(self) -> Schema:
        return self._success_schema(self.op("GET", self.item_path)).target

    @cached_property
    def conversation_pointer(self) -> str:
        return self._success_schema(self.op("GET", self.item_path)).value_pointer

    @cached_property
    def list_pointer(self) -> str:
        return self._success_schema(self._list).value_pointer

    @cached_property
    def error_pointer(self) -> str:
        for response in self._list.responses.values():
            if response.is_error and response.schema is not None:
                return response.schema.value_pointer
        raise KeyError(f"{self._list.id} has no error response")

    def validator(self, pointer: str) -> Draft202012Validator:
        return self.spec.schema(pointer).validator

    def schema_errors(self, pointer: str, instance: Any) -> list[str]:
        """Human-readable schema violations of ``instance`` (empty when valid)."""
        return self.spec.schema(pointer).errors(instance)

    @cached_property
    def conversation_fields(self) -> list[str]:
        return list(self.conversation_schema.properties)

    @cached_property
    def nullable_fields(self) -> list[str]:
        props = self.conversation_schema.properties
        return [name for name, schema in props.items() if schema.nullable]

    @cached_property
    def boolean_fields(self) -> list[str]:
        props = self.conversation_schema.properties
        return [name for name, schema in props.items() if schema.json_types() == {"boolean"}]

    def _body_schema(self, method: str, path: str) -> Schema:
        body = self.op(method, path).request_body
        schema = body.schema(JSON) if body is not None else None
        if schema is None:
            raise KeyError(f"{method} {path} has no application/json body")
        return schema.target

    @cached_property
    def updatable_fields(self) -> list[str]:
        return list(self._body_schema("PUT", self.item_path).properties)

    @cached_property
    def read_only_fields(self) -> list[str]:
        return [f for f in self.conversation_fields if f not in self.updatable_fields]

    @cached_property
    def create_targets(self) -> list[str]:
        """The attributes of which exactly one must be given (``contact_id``, ``group_id``)."""
        schema = self._body_schema("POST", self.collection_path)
        if schema.required_one_of:
            return list(schema.required_one_of)
        return [branch.required[0] for branch in schema.one_of if branch.required]

    @cached_property
    def limit(self) -> Parameter:
        if self._pagination.limit is None:
            raise KeyError(f"{self._list.id} has no limit parameter")
        return self._pagination.limit

    @cached_property
    def limit_bounds(self) -> tuple[int, int, int]:
        """(minimum, maximum, default) of the ``limit`` query parameter."""
        low, high, default = self.limit.minimum, self.limit.maximum, self.limit.default
        if low is None or high is None or not isinstance(default, int):
            raise KeyError(f"{self.limit.pointer} needs a minimum, a maximum and a default")
        return low, high, default

    @cached_property
    def id_schema(self) -> Schema:
        return self.op("GET", self.item_path).path_parameters[0].schema.target

    @cached_property
    def id_length(self) -> int:
        length = self.id_schema.integer("minLength")
        if length is None:
            raise KeyError(f"{self.id_schema.pointer} needs a minLength")
        return length

    @cached_property
    def id_pattern(self) -> str | None:
        pattern = self.id_schema.keyword("pattern")
        return str(pattern) if pattern is not None else None

    @cached_property
    def timestamp_bounds(self) -> tuple[int, int]:
        created = self.conversation_schema.properties["created_at"].target
        low, high = created.integer("minimum"), created.integer("maximum")
        if low is None or high is None:
            raise KeyError(f"{created.pointer} needs a minimum and a maximum")
        return low, high

    @cached_property
    def max_body_bytes(self) -> int:
        """The largest request body the spec lets a client send (its 413 responses say so)."""
        limit = self.spec.max_body_bytes
        if limit is None:
            raise KeyError("no 413 response of the spec states x-max-body-bytes")
        return limit

    @cached_property
    def methods_by_path(self) -> dict[str, set[str]]:
        methods: dict[str, set[str]] = {}
        for operation in self.spec.operations():
            methods.setdefault(operation.path, set()).add(operation.method)
        return methods
