"""Proof by execution, judged: where running the old parts against the new ones contradicts the diff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protocol_kit.spec import Spec

from .model import CLIENTS, SERVERS, Change, Level, Report
from .versions import VERSION_NOT_BUMPED


@dataclass(frozen=True)
class Run:
    """One execution: which audience it stands for, whether it passed (None: it could not run,
    say a reference server that cannot serve the spec), and what failed."""

    audience: str  # CLIENTS: BASE's clients against a server of REVISION; SERVERS: REVISION's kit against a server of BASE
    name: str
    passed: bool | None
    detail: str


# Runs the executions for two specs (the command line wires the generator, server and kit).
Prover = Callable[[Spec, Spec], list[Run]]


def static_level(report: Report, audience: str) -> Level:
    """The diff's level for an audience, from what the changes do (not from the version number,
    which no run can observe)."""
    behaviour = Report(report.base, report.revision, report.base_version, report.revision_version)
    behaviour.changes = [c for c in report.changes if c.kind != VERSION_NOT_BUMPED]
    return behaviour.level(audience)


def judge(report: Report, runs: list[Run]) -> list[Change]:
    """A change for each run that failed although the diff says its audience is not broken."""
    found = []
    for run in runs:
        if run.passed is not False or static_level(report, run.audience) is not Level.COMPATIBLE:
            continue
        found.append(
            Change(
                "proof-disagrees",
                Level.BREAKING,
                ((run.audience, Level.BREAKING),),
                f"the diff finds nothing that breaks {run.audience}, but {run.name} failed: {run.detail}",
                "proof",
                None,
                None,
            )
        )
    return found


def summary(report: Report, runs: list[Run]) -> list[str]:
    """One line per run: its result and whether it agrees with the static verdict."""
    lines = []
    for run in runs:
        static = static_level(report, run.audience)
        if run.passed is None:
            lines.append(f"proof: {run.name}: not run ({run.detail})")
            continue
        if run.passed:
            verdict = (
                "agrees"
                if static is not Level.BREAKING
                else "not contradicted (the run does not reach what breaks)"
            )
        else:
            verdict = "agrees" if static is not Level.COMPATIBLE else "DISAGREES"
        state = "passed" if run.passed else f"failed ({run.detail})"
        lines.append(
            f"proof: {run.name}: {state}; static verdict for {run.audience}: {static.value}; {verdict}"
        )
    return lines


__all__ = ["CLIENTS", "SERVERS", "Prover", "Run", "judge", "summary"]
