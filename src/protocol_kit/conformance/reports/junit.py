"""JUnit XML: one testsuite per group, one testcase per rule and per schemathesis check/operation."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

from protocol_kit.conformance.outcome import Outcome
from protocol_kit.conformance.reports import reproduction
from protocol_kit.conformance.reports.visible import visible
from protocol_kit.conformance.verdicts import FAILED, PASSED, SKIPPED, RuleResult


def write(path: Path, outcome: Outcome) -> None:
    root = ET.Element(
        "testsuites",
        name="protocol-kit verify",
        tests=str(len(outcome.results)),
        time=f"{outcome.elapsed:.3f}",
    )
    for group in outcome.groups:
        results = [r for r in outcome.results if r.rule.group == group]
        if not results:
            continue
        failures = sum(1 for r in results if r in outcome.failed)
        # Warnings are written as skipped test cases: GitHub's and GitLab's test-report views
        # show them (with their text) without counting a failure.
        skipped = sum(1 for r in results if r.status != PASSED and r not in outcome.failed)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=group,
            tests=str(len(results)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
            time=f"{outcome.durations.get(group, 0.0):.3f}",
        )
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="base_url", value=outcome.base_url)
        ET.SubElement(properties, "property", name="seed", value=str(outcome.seed))
        ET.SubElement(properties, "property", name="verdict", value=outcome.verdict())
        for result in results:
            _testcase(suite, result, outcome)
    _make_visible(root)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _testcase(suite: ET.Element, result: RuleResult, outcome: Outcome) -> None:
    case = ET.SubElement(
        suite, "testcase", classname=f"protocol-kit.{result.rule.group}", name=result.rule.id
    )
    ET.SubElement(
        case, "system-out"
    ).text = f"{result.rule.level}: {result.rule.statement}\ncontract: {result.rule.citation.text}"
    if result.status == FAILED and result.baselined:
        # Not a failure of this run, but the details stay: what is accepted is still wrong.
        accepted = ET.SubElement(case, "skipped", message="failing, accepted by the baseline")
        accepted.text = _details(result, outcome)
    elif result.status == FAILED:
        first = result.findings[0].message if result.findings else "failed"
        if outcome.warns(result):
            # Text only, no attributes: GitLab shows a skipped case's text as its output, and
            # mikepenz/action-junit-report counts it as skipped, never as a failure.
            ET.SubElement(
                case, "skipped"
            ).text = (
                f"WARNING: a SHOULD requirement is not met: {first}\n{_details(result, outcome)}"
            )
        else:
            failure = ET.SubElement(case, "failure", type="ContractViolation", message=first)
            failure.text = _details(result, outcome)
    elif result.status == SKIPPED:
        ET.SubElement(case, "skipped", message=result.reason)


def _details(result: RuleResult, outcome: Outcome) -> str:
    """Each finding's expected and actual values and reproduction, and the rule's re-run."""
    lines = []
    for finding in result.findings:
        lines.append(finding.message)
        if finding.expected:
            lines.append(f"  expected: {finding.expected}")
        if finding.actual:
            lines.append(f"  actual:   {finding.actual}")
        for label, text in finding.labels.items():
            lines += [f"  {label}:", textwrap.indent(text, "    ")]
        replay = reproduction.shown(finding, outcome, show_secrets=False)
        if replay is not None:
            lines += [f"  {replay[0]}:", textwrap.indent(replay[1], "    ")]
    lines.append(f"re-run this rule: {reproduction.command(outcome, result)}")
    return "\n".join(lines)


def _make_visible(root: ET.Element) -> None:
    """XML 1.0 cannot carry NUL or most control characters at all, escaped or not: every text
    and attribute is written with those as visible backslash escapes."""
    for element in root.iter():
        if element.text:
            element.text = visible(element.text)
        for name, value in element.attrib.items():
            element.set(name, visible(value))
