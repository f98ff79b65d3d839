"""Code samples per operation (cURL, JavaScript, Python, PHP) rendered from `templates/snippets/`."""

from __future__ import annotations

from dataclasses import dataclass

from .model import ApiModel, Operation, Resource
from .render import environment

# (language, title, template): the order and titles of the seed page's code groups.
_SNIPPETS = (
    ("bash", "cURL", "snippets/curl.sh.j2"),
    ("js", "JavaScript", "snippets/js.j2"),
    ("python", "Python", "snippets/python.py.j2"),
    ("php", "PHP", "snippets/php.j2"),
)


@dataclass(frozen=True)
class CodeSample:
    language: str
    title: str
    code: str


def code_samples(api: ApiModel, resource: Resource, operation: Operation) -> tuple[CodeSample, ...]:
    """The four samples of one operation, each without a trailing newline."""
    env = environment(api)
    return tuple(
        CodeSample(
            language,
            title,
            env.get_template(name)
            .render(resource=resource, op=operation, sample=operation.sample)
            .strip("\n"),
        )
        for language, title, name in _SNIPPETS
    )
