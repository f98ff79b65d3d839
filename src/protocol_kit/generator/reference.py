"""What the HTML reference adds to the model: stable anchors, the search index, try-it defaults, the page itself."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from protocol_kit.spec import Spec

from .guides import guides_of
from .langs import snake
from .loader import build_model
from .model import ApiModel, Operation, Parameter, Property, Server
from .targets import DOCS

# The search index keeps the start of each description: enough to match words and show a line.
_TEXT_LIMIT = 160


def model_anchor(model: str) -> str:
    """``#the-contact-model``: the anchor descriptions already link a model by."""
    return f"the-{_kebab(model)}-model"


def property_anchor(model: str, name: str) -> str:
    """A model property's anchor: ``the-contact-model-is_blocked``."""
    return f"{model_anchor(model)}-{name}"


def parameter_anchor(op: Operation, parameter: Parameter) -> str:
    """A parameter's anchor: ``listContacts-query-blocked``."""
    return f"{op.operation_id}-{parameter.location}-{parameter.name}"


def attribute_anchor(op: Operation, attribute: Property) -> str:
    """A request body attribute's anchor: ``createContact-body-email``."""
    return f"{op.operation_id}-body-{attribute.name}"


def error_anchor(name: str) -> str:
    """An error class's row in the Errors section: ``errors-NotFound``."""
    return f"errors-{name}"


def search_index(api: ApiModel) -> list[dict[str, str]]:
    """Every guide, requirement, error type, model, property, operation, parameter and attribute.

    Each entry: ``title`` (what is matched first and shown), ``kind`` and ``where`` (shown
    beside it), ``anchor`` (where Enter goes) and ``text`` (more words to match).
    """
    titles = {guide.slug: guide.title for guide in guides_of(api)}
    titles.update({resource.name: resource.tag for resource in api.resources})
    entries = [_entry(g.title, "Guide", "Introduction", g.slug, g.summary) for g in guides_of(api)]
    entries += [
        _entry(
            r.id,
            f"Requirement ({r.level})",
            f"{titles[r.page]} › {r.section}",
            r.anchor,
            r.statement,
        )
        for r in api.requirements
    ]
    entries += [
        _entry(
            error.name + "Error",
            "Error type",
            f"{error.status}",
            error_anchor(error.name),
            error.description,
        )
        for error in api.errors
        if error.status
    ]
    entries += [
        _entry(
            p.name, "Error field", "The error body", property_anchor("Error", p.name), p.description
        )
        for p in api.error_model.properties
    ]
    for resource in api.resources:
        model = resource.model
        entries.append(
            _entry(
                f"The {_words(model.name)} model",
                "Model",
                resource.tag,
                model_anchor(model.name),
                model.description,
            )
        )
        entries += [
            _entry(
                p.name,
                "Property",
                f"The {_words(model.name)} model",
                property_anchor(model.name, p.name),
                p.description,
            )
            for p in model.properties
        ]
        for op in resource.operations:
            entries.append(
                _entry(
                    op.summary,
                    "Operation",
                    f"{op.method} {op.path}",
                    op.operation_id,
                    f"{op.operation_id} {op.description}",
                )
            )
            entries += [
                _entry(
                    p.name,
                    f"{p.location.capitalize()} parameter",
                    op.summary,
                    parameter_anchor(op, p),
                    p.description,
                )
                for p in op.parameters
            ]
            entries += [
                _entry(a.name, "Attribute", op.summary, attribute_anchor(op, a), a.description)
                for a in op.body_attributes
            ]
    return entries


def tryit_body(op: Operation) -> str:
    """The JSON a try-it form starts with: the operation's request example, or ``{}``."""
    body = dict(op.sample.body) if op.sample.body is not None else {}
    return json.dumps(body, indent=2, ensure_ascii=False)


def html_reference(api: ApiModel, base_url: str | None = None) -> str:
    """``docs/index.html``, optionally for another base URL (a server serving its own docs)."""
    from .render import environment  # render imports this module for the template globals

    if base_url is not None:
        url = base_url.rstrip("/")
        # The page documents the server it is served by: that server is the one base URL.
        here = [s for s in api.servers if s.url.rstrip("/") == url]
        servers = tuple(here) or (Server(url, "The server this reference is served by."),)
        api = dataclasses.replace(api, base_url=url, servers=servers)
    text = environment(api).get_template(f"{DOCS.name}/index.html.j2").render(target=DOCS)
    lines = [line.rstrip() for line in text.splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def docs_page(spec: Spec) -> Callable[[str], str]:
    """The HTML reference of ``spec`` for a given base URL: what a server serving its own docs needs.

    The model is built on the first call, so a server that never serves its docs never builds it.
    """
    models: list[ApiModel] = []

    def page(base_url: str) -> str:
        if not models:
            models.append(build_model(spec))
        return html_reference(models[0], base_url)

    return page


# The helpers the docs templates call, as `reference.<name>`.
GLOBALS: dict[str, Any] = {
    "model_anchor": model_anchor,
    "property_anchor": property_anchor,
    "parameter_anchor": parameter_anchor,
    "attribute_anchor": attribute_anchor,
    "error_anchor": error_anchor,
    "search_index": search_index,
    "tryit_body": tryit_body,
}


def _entry(title: str, kind: str, where: str, anchor: str, text: str) -> dict[str, str]:
    short = text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT].rsplit(" ", 1)[0] + "…"
    return {"title": title, "kind": kind, "where": where, "anchor": anchor, "text": short}


def _kebab(name: str) -> str:
    return snake(name).replace("_", "-")


def _words(name: str) -> str:
    """``ContactList`` → ``contact list``, as the docs name a model in prose."""
    return snake(name).replace("_", " ")
