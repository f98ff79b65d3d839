"""Fixtures for the docs tests: the model of the bundled spec and the docs rendered from it."""

from __future__ import annotations

import pytest

from generator import ApiModel, load_model
from generator.render import render_all
from generator.targets import DOCS


@pytest.fixture(scope="session")
def api() -> ApiModel:
    return load_model()


@pytest.fixture(scope="session")
def docs(api: ApiModel) -> dict[str, str]:
    """The docs target rendered from the bundled spec, keyed by path (``docs/conversations.mdx``)."""
    return render_all(api, (DOCS,))
