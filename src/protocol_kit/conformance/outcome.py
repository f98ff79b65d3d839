"""What a run is asked to do (Options), what it reports as it goes (Progress), what it found (Outcome)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from protocol_kit.conformance.control import RunControl
from protocol_kit.conformance.rules import GROUPS
from protocol_kit.conformance.verdicts import FAILED, PASSED, SHOULD, SKIPPED, RuleResult
from protocol_kit.conformance.webhooks import WebhookSetup

FUZZ_GROUP = "schemathesis"
ACCEPTED = "accepted"
WARNINGS = "warnings"
GROUP_NAMES = [group.name for group in GROUPS] + [FUZZ_GROUP]
RULE_IDS = [rule.id for group in GROUPS for rule in group.rules]


def counted(number: int, noun: str) -> str:
    """``1 rule``, ``2 rules``: a count with its noun in the right number."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class CouldNotRun(Exception):
    """The run cannot start: server unreachable, token rejected, bad arguments (exit 2)."""


@dataclass
class Options:
    base_url: str
    token: str
    other_token: str | None = None
    # Accounts of the schemathesis phase's own (else it uses the two above, after the suite):
    # with them it runs alongside the behavioural suite, whose checks need their accounts still.
    fuzz_token: str | None = None
    fuzz_other_token: str | None = None
    seed: int = 0
    max_examples: int = 10
    workers: int = 1
    groups: list[str] = field(default_factory=lambda: list(GROUP_NAMES))
    # Rule ids to report (None: every rule of the selected groups). A rule's group runs whole:
    # its checks share the data they set up.
    rules: set[str] | None = None
    keep_data: bool = False  # leave what the run created in place, for debugging
    # The kit's running webhook receiver (--webhook-listen, or the embedded server's).
    webhooks: WebhookSetup | None = None
    strict: bool = False  # a failed SHOULD fails the run like a failed MUST
    # Shared with whoever may stop the run (the command's signal handlers); None: a run's own.
    control: RunControl | None = None


def warns(result: RuleResult, strict: bool) -> bool:
    """A failed SHOULD is a warning (it does not fail the run), unless the run is strict."""
    return result.status == FAILED and result.rule.level == SHOULD and not strict


@dataclass
class Outcome:
    """Everything a report needs."""

    base_url: str
    seed: int
    groups: list[str]
    results: list[RuleResult]
    durations: dict[str, float]
    started_at: float
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)
    # Shell variable → bearer token, so reproductions name tokens without printing them.
    tokens: dict[str, str] = field(default_factory=dict)
    max_examples: int | None = None  # the schemathesis budget, for re-running that phase
    strict: bool = False  # --strict: warnings fail the run
    # How the run was started, for re-run commands that run as printed: without BASE_URL (the
    # embedded server), the --spec given, the --webhook-listen address.
    embedded: bool = False
    spec_path: str | None = None
    webhook_listen: str | None = None
    paths: list[str] = field(default_factory=list)  # the spec's path templates, for baselines
    keep_data: bool = False  # --keep-data: what the rules made is still on the server
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM: the results judged until then

    def warns(self, result: RuleResult) -> bool:
        return warns(result, self.strict)

    def counts(self, group: str | None = None) -> dict[str, int]:
        """Rules by status; a failed SHOULD counts as a warning, not as failed; ``accepted``
        counts the failed ones (and warnings) the baseline accepts."""
        counted = {PASSED: 0, FAILED: 0, SKIPPED: 0, ACCEPTED: 0, WARNINGS: 0}
        for result in self.results:
            if group is None or result.rule.group == group:
                counted[WARNINGS if self.warns(result) else result.status] += 1
                counted[ACCEPTED] += result.baselined
        return counted

    def verdict(self) -> str:
        """The headline: conformant or not, with how many warnings, and how much of that the
        baseline decided."""
        failed, accepted, warned = len(self.failed), len(self.accepted), len(self.warnings)
        if self.interrupted:
            judged = sum(1 for r in self.results if r.status != SKIPPED)
            found = f"{counted(failed, 'rule')} failed" if failed else "no rule failed"
            return (
                f"INTERRUPTED: the run was stopped before its end; of the "
                f"{counted(judged, 'rule')} judged by then, {found}"
            )
        by_baseline = f"{counted(accepted, 'failing rule')} accepted by the baseline"
        warnings = counted(warned, "warning")
        if failed:
            more = [by_baseline] * bool(accepted) + [warnings] * bool(warned)
            extra = f" (and {', and '.join(more)})" if more else ""
            return f"NOT CONFORMANT: {counted(failed, 'rule')} failed{extra}"
        if accepted:
            extra = f", and {warnings}" if warned else ""
            return f"CONFORMANT ONLY BY THE BASELINE: {by_baseline}, no other rule failed{extra}"
        if warned:
            return (
                f"CONFORMANT with {warnings}: no MUST failed, {warned} SHOULD "
                f"requirement{'' if warned == 1 else 's'} not met"
            )
        return "CONFORMANT: no rule failed"

    @property
    def accepted(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == FAILED and r.baselined]

    @property
    def failed(self) -> list[RuleResult]:
        """The failures that fail the run: not accepted by the baseline, not warnings."""
        return [
            r for r in self.results if r.status == FAILED and not r.baselined and not self.warns(r)
        ]

    @property
    def warnings(self) -> list[RuleResult]:
        """Failed SHOULDs the baseline does not accept: reported, but the run conforms."""
        return [r for r in self.results if self.warns(r) and not r.baselined]


# progress(event, group, detail): "start"/"done" per group, "rule" as each rule gets its first
# verdict (detail["rule"]), "note" for phase messages.
Progress = Callable[[str, str, dict[str, Any]], None]
