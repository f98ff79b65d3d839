"""What the Python framework fixtures share outside the domain: their command line, the error
body, and the wiring of webhooks."""

from __future__ import annotations

import argparse
import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.frameworks.deliveries import Deliverer

DOCS = "https://protocol.chat/docs/errors/"
CHALLENGE = 'Bearer realm="protocol"'


class ApiError(Exception):
    """A refusal with its status, message and headers, for the framework to answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def read_json(text: str) -> Any:
    """A JSON body as the contract reads it: a number is judged as written (one a double rounds
    to an integer is no integer), and nesting too deep to read is a bad body, not a crash.
    ValueError when it is not such JSON."""

    def number(literal: str) -> float:
        value = float(literal)
        if value.is_integer() and Decimal(literal) != Decimal(int(value)):
            raise ValueError(f"{literal} is not an integer")
        return value

    try:
        return json.loads(text, parse_float=number)
    except RecursionError as exc:
        raise ValueError("the body is nested too deeply") from exc


@dataclass
class Setup:
    port: int
    tokens: dict[str, str]  # token -> account
    deliverer: Deliverer | None = None
    deviations: set[str] = field(default_factory=set)

    def on_event(self, account: str, event_type: str, conversation: dict[str, Any]) -> None:
        # Only the first account has an endpoint.
        if self.deliverer is not None and account == "account-0":
            self.deliverer.emit(event_type, conversation)


def from_command_line() -> Setup:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", action="append", required=True)
    parser.add_argument("--webhook")
    parser.add_argument("--webhook-secret", default="")
    parser.add_argument("--deviation", action="append", default=[])
    args = parser.parse_args()
    tokens = {token: f"account-{n}" for n, token in enumerate(args.token)}
    deliverer = Deliverer(args.webhook, args.webhook_secret) if args.webhook else None
    return Setup(args.port, tokens, deliverer, set(args.deviation))


def error_body(status: int, message: str) -> dict[str, str]:
    kind = "api_error" if status >= 500 else "invalid_request"
    return {"type": kind, "message": message, "documentation_url": DOCS + kind}


def error_response(
    response: Any, status: int, message: str, headers: dict[str, str] | None = None
) -> Any:
    """The framework's JSON response class, made into the contract's error answer."""
    return response(error_body(status, message), status_code=status, headers=headers or {})


def account_of(authorization: str, tokens: dict[str, str]) -> str:
    """The account of an `Authorization: Bearer <token>` header (any letter case of the
    scheme), or a 401 refusal that says why in WWW-Authenticate."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token or " " in token:
        raise ApiError(
            401, "Send `Authorization: Bearer <token>`.", {"WWW-Authenticate": CHALLENGE}
        )
    for known, owner in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return owner
    refused = f'{CHALLENGE}, error="invalid_token"'
    raise ApiError(401, "The bearer token is not valid.", {"WWW-Authenticate": refused})
