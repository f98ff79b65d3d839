"""Validity checks for the reports a run writes: JUnit against the published XSD, JSON against the
shipped schema, HTML and terminal text free of raw control bytes."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from lxml import etree  # type: ignore[import-untyped]  # no stubs shipped

from protocol_kit.conformance.reports.json_report import SCHEMA

JUNIT_XSD = Path(__file__).with_name("schemas") / "junit-10.xsd"
# What no report may contain raw: C0 controls but tab/newline, DEL, C1, bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@cache
def _junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(JUNIT_XSD)))


@cache
def _report_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def assert_valid_junit(path: Path) -> etree._ElementTree:
    """Parsed by a real XML parser (no recovery) and valid against junit-10.xsd."""
    tree = etree.parse(str(path), etree.XMLParser(recover=False, resolve_entities=False))
    schema = _junit_schema()
    assert schema.validate(tree), f"{path} is not valid JUnit: {schema.error_log}"
    return tree


def assert_valid_report(document: dict[str, Any]) -> None:
    """Valid against the JSON Schema the package ships for its JSON report."""
    errors = sorted(_report_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def assert_printable(text: str, what: str) -> None:
    found = RAW_CONTROL.search(text)
    assert found is None, f"{what} carries a raw {found.group()!r} at {found.start()}"
