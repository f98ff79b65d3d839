"""The seed page's samples per operation (cURL and the SDKs), in page order, with the Response JSON each shows."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_SECTION = re.compile(r"^## .*\{\{ tag: '(\w+)', label: '([^']+)' \}\}$", re.MULTILINE)
_BLOCK = re.compile(r"```(\w+)(?: \{\{ title: '([^']*)' \}\})?\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class SeedOperation:
    method: str
    path: str
    samples: dict[str, str]  # language (bash, js, python, php) -> code
    response: Any  # the page's Response JSON, None where the page shows none


def seed_operations(page: str) -> list[SeedOperation]:
    """Each `## ... {{ tag, label }}` section of the page, in order."""
    starts = list(_SECTION.finditer(page))
    operations = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(page)
        samples: dict[str, str] = {}
        response = None
        for lang, title, body in _BLOCK.findall(page[match.end() : end]):
            if lang == "json" and title == "Response":
                response = json.loads(re.sub(r"^\s*//.*$", "", body, flags=re.MULTILINE))
            else:
                samples[lang] = body
        operations.append(SeedOperation(match.group(1), match.group(2), samples, response))
    return operations


def assert_matches(actual: Any, documented: Any, path: str = "$") -> None:
    """Equal to what the page shows; an abbreviated object (`// ...`) matches on what it shows."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r}"
        if len(documented) < len(actual):
            assert set(documented) <= set(actual), path
        else:
            assert set(actual) == set(documented), path
        for key, value in documented.items():
            assert_matches(actual[key], value, f"{path}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) == len(documented), f"{path}: {actual!r}"
        for index, (a, d) in enumerate(zip(actual, documented, strict=True)):
            assert_matches(a, d, f"{path}[{index}]")
    else:
        assert actual == documented, f"{path}: {actual!r} != {documented!r}"


def assert_created_as_shown(actual: Any, documented: dict[str, Any]) -> None:
    """A created object is as the page shows, except for the id and time the server assigns."""
    assert re.fullmatch(r"[A-Za-z0-9]{16}", actual["id"])
    assert isinstance(actual["created_at"], int) and actual["created_at"] > 1_700_000_000
    assert actual["id"] != documented["id"]  # the demo data already holds the documented id
    assert_matches(
        {**actual, "id": documented["id"], "created_at": documented["created_at"]}, documented
    )


def check_seed_results(operations: list[SeedOperation], results: list[Any]) -> None:
    """The five results of running one language's samples in page order."""
    assert [op.method for op in operations] == ["GET", "POST", "GET", "PUT", "DELETE"]
    listed, created, got, updated, deleted = results
    assert_matches(listed, operations[0].response)
    assert_created_as_shown(created, operations[1].response)
    assert_matches(got, operations[2].response)
    assert_matches(updated, operations[3].response)
    assert operations[4].response is None and deleted is None
