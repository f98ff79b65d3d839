"""Bearer-token authentication: each token is one account."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .errors import ApiError

_CHALLENGE = 'Bearer realm="Protocol API"'


def account_of(token: str) -> str:
    """The account a token stands for: a digest, so the token itself is never stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    """The tokens this server accepts."""

    def __init__(self, tokens: Iterable[str]) -> None:
        # Looking up a SHA-256 digest compares nothing that depends on the secret's prefix,
        # so an attacker cannot learn a token byte by byte from response timings.
        self._accounts = {account_of(token) for token in tokens}
        if not self._accounts:
            raise ValueError("at least one token is required")

    def __contains__(self, account: object) -> bool:
        return account in self._accounts

    def authenticate(self, authorization: str | None) -> str:
        """The account for an ``Authorization`` header value, or a 401 ApiError."""
        if not authorization:
            raise _unauthorized("Missing `Authorization: Bearer <token>` header.", error=None)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(
                "The `Authorization` header must be `Bearer <token>`.", error="invalid_request"
            )
        account = account_of(token.strip())
        if account not in self._accounts:
            raise _unauthorized("The bearer token is not valid.", error="invalid_token")
        return account


def _unauthorized(message: str, error: str | None) -> ApiError:
    challenge = _CHALLENGE if error is None else f'{_CHALLENGE}, error="{error}"'
    return ApiError(401, message, {"WWW-Authenticate": challenge})
