"""What the generator writes (client libraries, docs): where templates and output live, names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """One client library or the docs: ``templates/<name>/`` rendered into ``<out_dir>/``."""

    name: str
    out_dir: str
    package: str
    language: str


PYTHON = Target(name="python", out_dir="clients/python", package="protocol_api", language="python")
JAVASCRIPT = Target(name="js", out_dir="clients/js", package="@example/protocol-api", language="js")
PHP = Target(name="php", out_dir="clients/php", package="protocol/sdk", language="php")
# PHP's root namespace, as `new \Protocol\ApiClient($token)` on the seed page spells it.
PHP_NAMESPACE = "Protocol"

# The docs: an MDX and a Markdown page per resource, and one HTML reference; not a package.
DOCS = Target(name="docs", out_dir="docs", package="", language="")

CLIENTS = (PYTHON, JAVASCRIPT, PHP)
TARGETS = (*CLIENTS, DOCS)
