"""The API's error shape: ``{"type", "message", "documentation_url"}``, and the exception that carries it."""

from __future__ import annotations

from collections.abc import Mapping

from .responses import JSONResponse

DOCUMENTATION_URL = "https://protocol.chat/docs/errors/{type}"


class ApiError(Exception):
    """An error to answer with: status, a message a person can act on, and extra headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_body(status: int, message: str) -> dict[str, str]:
    error_type = "api_error" if status >= 500 else "invalid_request"
    return {
        "type": error_type,
        "message": message,
        "documentation_url": DOCUMENTATION_URL.format(type=error_type),
    }


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error.status, error.message), error.status, error.headers)
