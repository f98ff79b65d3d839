"""The diff of two documents: every change, with its level, whom it breaks, where and why."""

from __future__ import annotations

from protocol_kit.spec import Spec

from . import requirements, versions
from .findings import Findings
from .model import Report
from .operations import OperationDiff


def compare(
    base: Spec, revision: Spec, base_name: str = "base", revision_name: str = "revision"
) -> Report:
    """What changed from ``base`` to ``revision``: operations (in the revision's order), webhooks,
    the requirements catalogue, security schemes, then whether the version says so."""
    found = Findings(base, revision)
    OperationDiff(base, revision, found).run()
    requirements.compare(base, revision, found)
    _components(base, revision, found)
    versions.check(base, revision, found)
    return Report(base_name, revision_name, base.version, revision.version, found.changes())


def _components(base: Spec, revision: Spec, found: Findings) -> None:
    """Security schemes defined or dropped; an operation's own change says whom it reaches."""
    b_schemes = {s.name: s for s in base.security_schemes}
    r_schemes = {s.name: s for s in revision.security_schemes}
    for name in b_schemes.keys() - r_schemes.keys():
        found.add(
            "security-scheme-removed",
            {},
            f"security scheme {name} removed",
            "components",
            b_schemes[name].pointer,
            None,
        )
    for name in r_schemes.keys() - b_schemes.keys():
        found.add(
            "security-scheme-added",
            {},
            f"security scheme {name} added",
            "components",
            None,
            r_schemes[name].pointer,
        )
