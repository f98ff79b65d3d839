"""A reference server per test module, and clients whose every response is checked against the spec."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from protocol_kit.server.runner import running_server
from protocol_kit.spec import Spec

TOKEN = "token-of-account-one"
OTHER_TOKEN = "token-of-account-two"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class ResponseChecker:
    """Fails on any response whose status the spec doesn't declare or whose body breaks its schema."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.operations = [(spec.path_regex(op.path), op) for op in spec.operations()]

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        for regex, op in self.operations:
            if regex.match(request.url.path) and op.method == request.method:
                break
        else:
            return  # unknown paths and methods are checked by the tests themselves
        status = str(response.status_code)
        assert status in op.responses, (
            f"{op.operation_id} answered undeclared {status}: {response.text}"
        )
        declared = op.responses[status]
        if not declared.content:
            assert response.content == b"", f"{status} must have an empty body"
            return
        assert response.headers["content-type"].startswith("application/json")
        assert declared.schema is not None
        errors = [
            e.message
            for e in self.spec.validator(declared.schema.pointer).iter_errors(response.json())
        ]
        assert not errors, f"{op.operation_id} {status} body breaks the spec: {errors}"


@pytest.fixture(scope="session")
def spec() -> Spec:
    return Spec.load()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_server(":memory:", tokens=[TOKEN, OTHER_TOKEN]) as url:
        yield url


def _client(base_url: str, spec: Spec, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, headers=headers, event_hooks={"response": [ResponseChecker(spec)]}
    )


@pytest.fixture(scope="module")
def api(base_url: str, spec: Spec) -> Iterator[httpx.Client]:
    """Account one's client."""
    with _client(base_url, spec, bearer(TOKEN)) as client:
        yield client


@pytest.fixture(scope="module")
def other_api(base_url: str, spec: Spec) -> Iterator[httpx.Client]:
    """Account two's client."""
    with _client(base_url, spec, bearer(OTHER_TOKEN)) as client:
        yield client


@pytest.fixture(scope="module")
def anonymous(base_url: str, spec: Spec) -> Iterator[httpx.Client]:
    with _client(base_url, spec, {}) as client:
        yield client


ID = re.compile(r"^[A-Za-z0-9]{16}$")
