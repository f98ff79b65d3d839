"""Spec documents for the generator and docs tests: the bundled one, and variants written to a folder."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from protocol_kit.spec import default_spec_path

FIXTURES = Path(__file__).parent / "fixtures"


def bundled() -> dict[str, Any]:
    return yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))


def with_contacts() -> dict[str, Any]:
    """The bundled spec plus the trimmed Contacts resource of fixtures/contacts.yaml, with its
    webhooks."""
    document = bundled()
    extra = yaml.safe_load((FIXTURES / "contacts.yaml").read_text(encoding="utf-8"))
    document["tags"].extend(extra["tags"])
    document["paths"].update(extra["paths"])
    document["webhooks"].update(extra["webhooks"])
    document["components"]["schemas"].update(extra["components"]["schemas"])
    return document


def write_spec(document: dict[str, Any], folder: Path, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(copy.deepcopy(document), sort_keys=False), encoding="utf-8")
    return path
