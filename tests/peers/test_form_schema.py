"""A standard JSON Schema validator, given only the form media type's schema, agrees with the server."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from protocol_kit.server.runner import running_server
from protocol_kit.spec import default_spec_path

TOKEN = "token-of-the-form-corpus"
FORM = "application/x-www-form-urlencoded"
ID = "WAz8eIbvDR60rouK"
# Values a form body may carry: the spellings of every type, their near misses and edge cases.
VALUES = [
    "",
    "null",
    "NULL",
    "None",
    "true",
    "false",
    "True",
    "1",
    "0",
    "0005",
    "-1",
    "+5",
    "1.5",
    "1e3",
    " 7",
    "705103200",
    "9007199254740991",
    "9007199254740992",
    "0" * 30 + "9007199254740991",
    "9" * 40,
    ID,
    ID.lower(),
    ID[:-1],
    ID + "x",
    "abc",
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with (
        running_server(":memory:", tokens=[TOKEN]) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield client


def _form_validator(document: dict[str, Any], operation: dict[str, Any]) -> Draft202012Validator:
    """The validator a peer tool builds: the form media type's schema, references resolved."""
    body = operation["requestBody"]
    if "$ref" in body:
        body = document["components"]["requestBodies"][body["$ref"].rsplit("/", 1)[-1]]
    schema = body["content"][FORM]["schema"]
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": "urn:spec#" + schema["$ref"][1:]}, registry=registry)


def _corpus(names: list[str], seed: int, pairs: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    singles = [{name: value} for name in names for value in VALUES]
    combos = [
        {a: rng.choice(VALUES), b: rng.choice(VALUES)}
        for a, b in itertools.combinations(names, 2)
        for _ in range(pairs)
    ]
    return [{}, *singles, *combos]


def _disagreements(
    api: httpx.Client, method: str, path: str, validator: Draft202012Validator, bodies: list[Any]
) -> list[str]:
    found = []
    accepted = 0
    for body in bodies:
        response = api.request(
            method, path, content=urlencode(body).encode(), headers={"Content-Type": FORM}
        )
        assert response.status_code in (200, 201, 400), (body, response.text)
        server_accepts = response.status_code != 400
        accepted += server_accepts
        if server_accepts != validator.is_valid(body):
            found.append(f"{body}: server {response.status_code}, validator {not server_accepts}")
    # The corpus must exercise both sides, or agreement would mean nothing.
    assert 0 < accepted < len(bodies)
    return found


def test_form_creates_are_judged_alike(api: httpx.Client, document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/conversations"]["post"]
    bodies = _corpus(["contact_id", "group_id", "is_muted"], seed=1, pairs=40)
    validator = _form_validator(document, operation)
    assert _disagreements(api, "POST", "/v1/conversations", validator, bodies) == []


def test_form_updates_are_judged_alike(api: httpx.Client, document: dict[str, Any]) -> None:
    made = api.post("/v1/conversations", json={"group_id": ID})
    assert made.status_code == 201
    operation = document["paths"]["/v1/conversations/{id}"]["put"]
    names = ["pinned_message_id", "is_pinned", "is_muted", "archived_at", "created_at"]
    bodies = _corpus(names, seed=2, pairs=15)
    validator = _form_validator(document, operation)
    path = f"/v1/conversations/{made.json()['id']}"
    assert _disagreements(api, "PUT", path, validator, bodies) == []
