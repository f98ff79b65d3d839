"""The server's own pages over loopback HTTP: /docs and the spec without a token, CORS only for given origins."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import yaml

from protocol_kit.generator.reference import docs_page
from protocol_kit.server.docs_routes import cors_origin
from protocol_kit.server.runner import free_port, running_server
from protocol_kit.spec import Spec

from .conftest import TOKEN, bearer

ALLOWED = "http://127.0.0.1:5173"
OTHER = "http://127.0.0.1:5174"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    spec = Spec.load()
    with running_server(
        tokens=[TOKEN],
        spec=spec,
        cors_origins=[ALLOWED, "http://localhost:3000/"],
        docs_page=docs_page(spec),
    ) as url:
        yield url


@pytest.fixture(scope="module")
def plain_url() -> Iterator[str]:
    with running_server(tokens=[TOKEN]) as url:
        yield url


def test_docs_are_the_html_reference_pointing_at_the_server_itself(base_url: str) -> None:
    response = httpx.get(f"{base_url}/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<title>Protocol Conversations API 1.0.0 reference</title>" in page
    # The base URL and every cURL sample name this server, not production.
    assert f"<code>{base_url}</code>" in page
    assert f"curl {base_url}/v1/conversations" in page
    assert "https://api.protocol.chat" not in page


def test_without_a_docs_page_the_server_serves_the_spec_only(plain_url: str) -> None:
    assert httpx.get(f"{plain_url}/docs").status_code == 404
    assert httpx.get(f"{plain_url}/openapi.json").status_code == 200


def test_the_spec_is_served_as_json_and_yaml(base_url: str) -> None:
    spec = Spec.load()
    as_json = httpx.get(f"{base_url}/openapi.json")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json() == spec.data
    as_yaml = httpx.get(f"{base_url}/openapi.yaml")
    assert as_yaml.status_code == 200
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert as_yaml.text == spec.path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert yaml.safe_load(as_yaml.text) == json.loads(as_json.text)


def test_the_api_still_needs_a_token_and_unknown_paths_stay_unknown(base_url: str) -> None:
    assert httpx.get(f"{base_url}/v1/conversations").status_code == 401
    assert httpx.get(f"{base_url}/v1/conversations", headers=bearer(TOKEN)).status_code == 200
    for path in ("/docs/", "/openapi.yml", "/v1/docs"):
        response = httpx.get(f"{base_url}{path}")
        assert response.status_code == 404, path
        assert response.json()["type"] == "invalid_request"
    refused = httpx.post(f"{base_url}/docs")
    assert refused.status_code == 405


def test_a_given_origin_may_call_the_api_and_its_preflight_needs_no_token(base_url: str) -> None:
    preflight = httpx.options(
        f"{base_url}/v1/conversations",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    created = httpx.post(
        f"{base_url}/v1/conversations",
        headers={**bearer(TOKEN), "Origin": ALLOWED},
        json={"contact_id": "WAz8eIbvDR60rouK"},
    )
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == ALLOWED
    # An origin given with a trailing slash is the same origin.
    listed = httpx.get(
        f"{base_url}/v1/conversations",
        headers={**bearer(TOKEN), "Origin": "http://localhost:3000"},
    )
    assert listed.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_other_origins_get_no_cors_permission(base_url: str, plain_url: str) -> None:
    for url in (base_url, plain_url):
        preflight = httpx.options(
            f"{url}/v1/conversations",
            headers={"Origin": OTHER, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code >= 400
        assert "access-control-allow-origin" not in preflight.headers
        answer = httpx.get(f"{url}/v1/conversations", headers={**bearer(TOKEN), "Origin": OTHER})
        assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("http://localhost:3000", "http://localhost:3000"),
        ("https://Docs.Example.com/", "https://docs.example.com"),
    ],
)
def test_cors_origins_are_normalised(value: str, origin: str) -> None:
    assert cors_origin(value) == origin


@pytest.mark.parametrize("value", ["*", "localhost:3000", "http://x.test/docs", "ftp://x.test"])
def test_serve_refuses_what_is_not_an_origin(value: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "protocol_kit",
            "serve",
            "--db",
            ":memory:",
            "--token",
            "t",
            "--port",
            str(free_port()),
            "--cors-origin",
            value,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "is not an origin" in done.stderr
