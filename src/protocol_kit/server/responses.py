"""JSON responses: encoded by orjson where its wheel is installed, by the standard library otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse as _StarletteJSONResponse


def _standard_encode(content: Any) -> bytes:
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
        "utf-8"
    )


# Compact UTF-8 JSON, as Starlette writes it; orjson writes the same about ten times faster.
try:
    import orjson

    encode: Callable[[Any], bytes] = orjson.dumps
except ImportError:  # no wheel for this platform or interpreter
    encode = _standard_encode


class JSONResponse(_StarletteJSONResponse):
    """Starlette's JSONResponse with the faster encoder."""

    def render(self, content: Any) -> bytes:
        return encode(content)
