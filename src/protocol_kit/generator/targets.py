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
    title: str = ""  # the language as the docs' tabs name it
    install: str = ""  # the command that installs the package from its registry


PYTHON = Target(
    name="python",
    out_dir="clients/python",
    package="protocol_api",
    language="python",
    title="Python",
    install="pip install protocol_api",
)
JAVASCRIPT = Target(
    name="js",
    out_dir="clients/js",
    package="@example/protocol-api",
    language="js",
    title="JavaScript",
    install="npm install @example/protocol-api --save",
)
PHP = Target(
    name="php",
    out_dir="clients/php",
    package="protocol/sdk",
    language="php",
    title="PHP",
    install="composer require protocol/sdk",
)
# PHP's root namespace, as `new \Protocol\ApiClient($token)` on the seed page spells it.
PHP_NAMESPACE = "Protocol"

# The docs: an MDX and a Markdown page per resource, and one HTML reference; not a package.
DOCS = Target(name="docs", out_dir="docs", package="", language="")

# In the seed site's tab order.
CLIENTS = (JAVASCRIPT, PYTHON, PHP)
TARGETS = (*CLIENTS, DOCS)
