"""The client and docs generator: spec → intermediate model → Jinja2 templates → files."""

from .loader import GeneratorError, build_model, load_model
from .model import ApiModel

__all__ = ["ApiModel", "GeneratorError", "build_model", "load_model"]
