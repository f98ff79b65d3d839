"""The spec's example conversations, for `serve --demo`: the seed page's samples then work as written."""

from __future__ import annotations

from typing import Any

from protocol_kit.spec import Spec


def example_conversations(spec: Spec, schema_name: str = "Conversation") -> list[dict[str, Any]]:
    """Every distinct example object of ``schema_name`` in the spec's responses, oldest first.

    List examples are newest first, so the list's own order decides creation order: the
    returned list is reversed, so that loading it in order reproduces the documented list.
    """
    validator = spec.schemas[schema_name].validator
    found: dict[str, dict[str, Any]] = {}
    for operation in spec.operations():
        pagination = operation.pagination
        for response in operation.responses.values():
            for media in response.content.values():
                for example in media.examples:
                    value = example.value
                    if pagination is not None and response is operation.success:
                        items = value.get(pagination.items_field) if isinstance(value, dict) else []
                    else:
                        items = [value]
                    for item in items if isinstance(items, list) else []:
                        if validator.is_valid(item) and item["id"] not in found:
                            found[item["id"]] = item
    return list(reversed(list(found.values())))
