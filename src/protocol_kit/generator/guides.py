"""The guide pages the docs have beside the resource pages, in the docs site's order.

A page is ``templates/docs/guides/<slug>.jinja``, written once against the format macros
(``_md``, ``_mdx``, ``_html``); it becomes ``docs/<slug>.md``, ``docs/<slug>.mdx``, a section of
``docs/index.html`` and an entry of ``docs/llms.txt``. Adding a page is adding its template and
a line here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ApiModel


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    summary: str  # one line, for the page's metadata, the index and llms.txt
    needs_webhooks: bool = False  # only for a spec that has webhooks

    def applies(self, api: ApiModel) -> bool:
        """Whether the API has what this page is about."""
        return self.slug in guide_slugs(bool(api.webhooks))


GUIDES = (
    Guide("quickstart", "Quickstart", "Install a client library and make your first request."),
    Guide("sdks", "SDKs", "The official client libraries: packages, installation, a first call."),
    Guide("authentication", "Authentication", "How every request proves which account it is for."),
    Guide("pagination", "Pagination", "How list operations return one page at a time."),
    Guide("errors", "Errors", "What an error answer looks like, and what each status means."),
    Guide(
        "webhooks",
        "Webhooks",
        "Events sent to your endpoints: types, bodies, signatures and delivery.",
        needs_webhooks=True,
    ),
)


def guides_of(api: ApiModel) -> tuple[Guide, ...]:
    """The guide pages this API's docs have."""
    return tuple(g for g in GUIDES if g.applies(api))


def guide_slugs(has_webhooks: bool) -> frozenset[str]:
    """The guide pages of an API with (or without) webhooks, before its model is built."""
    return frozenset(g.slug for g in GUIDES if has_webhooks or not g.needs_webhooks)
