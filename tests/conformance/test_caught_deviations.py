"""The kit against single deviations in webhook delivery and encoding edges: each is reported by
exactly its own rule, and no other rule fails."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.delivery_receiver import DeliveryReceiver, DeliverySetup
from protocol_kit.conformance.outcome import Options, Outcome
from protocol_kit.conformance.runner import run
from protocol_kit.conformance.verdicts import FAILED, PASSED
from tests.support.caught_faults import CAUGHT, DELIVERY, ENCODING, FULL, RESTART
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.fake_webhooks import SECRET

_FAST_RETRY = 0.05  # seconds: the fake's first retry in the full runs (8 tries in about 6 s)
_GROUPS = {
    **{fault: ["webhooks", "delivery"] for fault in DELIVERY},
    **{fault: ["delivery"] for fault in FULL},
    **{fault: ["encoding", "protocol"] for fault in ENCODING},
    **{fault: ["restart"] for fault in RESTART},
}
_FULL_RUN = "(no fault, --webhooks-full)"


def _run(contract: Contract, fault: str) -> Outcome:
    faults = {fault} if fault in CAUGHT else set()
    full = fault in FULL or fault == _FULL_RUN
    with DeliveryReceiver() as receiver, FakeServer(TOKENS, faults) as server:
        server.subscribe(receiver.url, SECRET)
        assert server.webhooks is not None
        if full:
            server.webhooks.first_retry = _FAST_RETRY
        restart = _restart(server) if fault in RESTART or fault == _FULL_RUN else None
        hooks = DeliverySetup(receiver, SECRET, "x-protocol-signature", full=full, restart=restart)
        groups = _GROUPS.get(fault, ["delivery", "restart"])
        options = Options(server.url, TOKENS[0], TOKENS[1], seed=11, groups=groups, webhooks=hooks)
        return run(contract, options, lambda *event: None)


def _restart(server: FakeServer) -> Callable[[], None]:
    """The fake keeps everything in memory: a restart keeps it all, but for the fault's part."""

    def restart() -> None:
        if "restart-loses-writes" in server.faults:
            with server.lock:
                server.rows.clear()
        if "restart-loses-events" in server.faults and server.webhooks is not None:
            server.webhooks.reset()

    return restart


@pytest.fixture(scope="module")
def runs(contract: Contract) -> dict[str, Outcome]:
    """Every fault's run at once (they mostly wait for deliveries), and a fault-free full run."""
    names = [*sorted(CAUGHT), _FULL_RUN]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return dict(zip(names, pool.map(lambda name: _run(contract, name), names), strict=True))


@pytest.mark.parametrize(("fault", "rule_id"), sorted(CAUGHT.items()))
def test_each_deviation_fails_exactly_its_own_rule(
    runs: dict[str, Outcome], fault: str, rule_id: str
) -> None:
    outcome = runs[fault]
    failed = {r.rule.id for r in outcome.results if r.status == FAILED}
    assert failed == {rule_id}, (
        f"{fault}: expected only {rule_id} to fail; failed: {sorted(failed)}"
    )
    finding = next(r for r in outcome.results if r.rule.id == rule_id).findings[0]
    assert finding.message and (finding.expected or finding.actual)


def test_the_full_webhook_mode_passes_a_conforming_sender(runs: dict[str, Outcome]) -> None:
    results = {r.rule.id: r.status for r in runs[_FULL_RUN].results}
    assert set(results.values()) == {PASSED}, results
    assert {"WEBHOOK-TRIES", "WEBHOOK-BACKOFF-SCHEDULE", "RESTART-KEEPS-WRITES"} <= set(results)
