"""The one typed view of the OpenAPI document; nothing outside this package reads the raw tree."""

from .document import (
    Document,
    OpenApiProblem,
    Position,
    SpecError,
    child,
    default_spec_path,
    escape_pointer,
)
from .schema import CONSTRAINT_KEYWORDS, Schema
from .view import (
    FORM,
    JSON,
    Example,
    MediaType,
    Operation,
    Pagination,
    Parameter,
    RequestBody,
    Response,
    SecurityScheme,
    Spec,
    Tag,
    Webhook,
    path_regex,
)

__all__ = [
    "CONSTRAINT_KEYWORDS",
    "FORM",
    "JSON",
    "Document",
    "Example",
    "MediaType",
    "OpenApiProblem",
    "Operation",
    "Pagination",
    "Parameter",
    "Position",
    "RequestBody",
    "Response",
    "Schema",
    "SecurityScheme",
    "Spec",
    "SpecError",
    "Tag",
    "Webhook",
    "child",
    "default_spec_path",
    "escape_pointer",
    "path_regex",
]
