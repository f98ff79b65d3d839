"""What the checks need to know about the API, read from the OpenAPI document (never copied)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator

from protocol_kit.spec import Operation, Spec


@dataclass
class Contract:
    """The spec, viewed through the operations and schemas the conformance rules use."""

    spec: Spec

    def op(self, operation_id: str) -> Operation:
        return self.spec.operation(operation_id)

    @cached_property
    def collection_path(self) -> str:
        return self.op("listConversations").path

    @cached_property
    def item_path(self) -> str:
        return self.op("getConversation").path

    def item(self, conversation_id: str) -> str:
        return re.sub(r"\{[^}]+\}", conversation_id, self.item_path)

    @cached_property
    def conversation_pointer(self) -> str:
        return self._response_schema_pointer(self.op("getConversation"), "200")

    @cached_property
    def list_pointer(self) -> str:
        return self._response_schema_pointer(self.op("listConversations"), "200")

    @cached_property
    def error_pointer(self) -> str:
        return self._response_schema_pointer(self.op("listConversations"), "400")

    def validator(self, pointer: str) -> Draft202012Validator:
        return self.spec.validator(pointer)

    def schema_errors(self, pointer: str, instance: Any) -> list[str]:
        """Human-readable schema violations of ``instance`` (empty when valid)."""
        errors = sorted(self.validator(pointer).iter_errors(instance), key=lambda e: list(e.path))
        return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]]

    @cached_property
    def conversation_fields(self) -> list[str]:
        return list(self.spec.resolve({"$ref": self.conversation_pointer})["properties"])

    @cached_property
    def nullable_fields(self) -> list[str]:
        props = self.spec.resolve({"$ref": self.conversation_pointer})["properties"]
        return [name for name, schema in props.items() if "null" in self.spec.json_types(schema)]

    @cached_property
    def boolean_fields(self) -> list[str]:
        props = self.spec.resolve({"$ref": self.conversation_pointer})["properties"]
        return [
            name for name, schema in props.items() if self.spec.json_types(schema) == {"boolean"}
        ]

    def _body_schema(self, operation_id: str) -> dict[str, Any]:
        body = self.op(operation_id).body_media_types["application/json"]
        return self.spec.resolve(body["schema"])

    @cached_property
    def updatable_fields(self) -> list[str]:
        return list(self._body_schema("updateConversation")["properties"])

    @cached_property
    def read_only_fields(self) -> list[str]:
        return [f for f in self.conversation_fields if f not in self.updatable_fields]

    @cached_property
    def create_targets(self) -> list[str]:
        """The attributes of which exactly one must be given (``contact_id``, ``group_id``)."""
        schema = self._body_schema("createConversation")
        if "x-required-one-of" in schema:
            return list(schema["x-required-one-of"])
        return [branch["required"][0] for branch in schema.get("oneOf", [])]

    def _query_schema(self, name: str) -> dict[str, Any]:
        for param in self.op("listConversations").parameters:
            if param.name == name and param.location == "query":
                return self.spec.resolve(param.schema)
        raise KeyError(f"listConversations has no query parameter {name!r}")

    @cached_property
    def limit_bounds(self) -> tuple[int, int, int]:
        """(minimum, maximum, default) of the ``limit`` query parameter."""
        schema = self._query_schema("limit")
        return int(schema["minimum"]), int(schema["maximum"]), int(schema["default"])

    @cached_property
    def id_schema(self) -> dict[str, Any]:
        return self.spec.resolve(self.op("getConversation").parameters[0].schema)

    @cached_property
    def id_length(self) -> int:
        return int(self.id_schema["minLength"])

    @cached_property
    def timestamp_bounds(self) -> tuple[int, int]:
        schema = self.spec.resolve(self._timestamp_schema())
        return int(schema["minimum"]), int(schema["maximum"])

    def _timestamp_schema(self) -> dict[str, Any]:
        props = self.spec.resolve({"$ref": self.conversation_pointer})["properties"]
        return self.spec.resolve(props["created_at"])

    @cached_property
    def methods_by_path(self) -> dict[str, set[str]]:
        methods: dict[str, set[str]] = {}
        for operation in self.spec.operations():
            methods.setdefault(operation.path, set()).add(operation.method)
        return methods

    def _response_schema_pointer(self, operation: Operation, status: str) -> str:
        raw = operation.raw["responses"][status]
        pointer = f"{operation.pointer}/responses/{status}"
        if "$ref" in raw:
            pointer = raw["$ref"]
        schema = self.spec.pointer(pointer)["content"]["application/json"]["schema"]
        if "$ref" in schema:
            return str(schema["$ref"])
        return f"{pointer}/content/application~1json/schema"
