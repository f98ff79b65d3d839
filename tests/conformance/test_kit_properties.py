"""The kit itself, property-tested: whatever a server answers, verify ends with a verdict.

Each example is a server drawn by hypothesis: the fault-free fake server (sometimes with one
planted deviation) whose answers are rewritten at random, from valid-looking conversations with
a field dropped or mistyped to bodies that are not JSON, odd statuses, wrong headers and hang-ups,
and a selection of the behavioural suite to verify it with (`--only` a group, some of its rule
ids, or a group followed by the protocol audit of its traffic): across the examples every group
and rule meets hundreds of servers, while each example stays one short run. verify runs
in-process through the real command line and writes its real JUnit and JSON reports, which real
parsers read back (one server reused, answers swapped per example); the schemathesis phase is
left out: it judges answers on its own and would make each example a hundred times slower.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from protocol_kit.cli import main
from protocol_kit.conformance.rules import GROUPS
from tests.conformance.report_checks import (
    assert_printable,
    assert_valid_junit,
    assert_valid_report,
)
from tests.support.fake_server import FIELDS, TOKENS, FakeServer
from tests.support.faults import BROKEN

# Each example is one short run (tens to hundreds of requests); PROTOCOL_KIT_PROPERTY_EXAMPLES
# sets a longer run.
EXAMPLES = int(os.environ.get("PROTOCOL_KIT_PROPERTY_EXAMPLES", "500"))
# Hypothesis draws the first entry of a choice far more often than the others (about half the
# time): each list starts with what shakes the most code paths loose.
KINDS = [
    "drop-field",
    "wrong-type",
    "break-list",
    "swap-id",
    "json-type",
    "not-json",
    "status",
    "content-type",
    "drop-header",
    "hang-up",
]
_STATUSES = [200, 201, 202, 204, 301, 400, 401, 403, 404, 405, 409, 410, 413, 415, 429, 500, 503]
_WRONG_VALUES: list[Any] = [None, "", "x", 0, -1, 1.5, True, [], {}, "A" * 17, 2**64]
_NOT_JSON = [b"", b"\x00\xff\xfe", b"<html>oops</html>", b"{", b'{"id": ', b"nan", b"\x00" * 8]
# What a systematic deviation leaves out or mistypes: a conversation's, a page's, an error's.
_ATTRIBUTES = [*FIELDS, "has_more", "data", "type", "message", "documentation_url"]
_CRASH_MARK = "the checks stopped on an unexpected answer"


class Mutator:
    """Rewrites a share of the fake server's answers; thread-safe, like the server."""

    def __init__(
        self,
        kinds: list[str],
        rate: float,
        seed: int,
        method: str,
        always: tuple[str, str] | None = None,
    ) -> None:
        self.kinds, self.rate, self.method = kinds, rate, method
        # (drop-field or wrong-type, attribute): done to every object of every answer, like a
        # server whose conversations never carry `group_id`.
        self.always = always
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.rewritten = 0  # answers that went out different from the server's own

    def __call__(
        self, method: str, target: str, status: int, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            answer = status, headers, self._always(body)
            if self.method in ("any", method) and self.rng.random() < self.rate:
                answer = self._mutate(self.rng.choice(self.kinds), status, dict(headers), answer[2])
            if answer[0] in (204, 304):
                # A body there would desynchronise the connection, not test the kit.
                answer = (answer[0], answer[1], b"")
            self.rewritten += answer != (status, headers, body)
        return answer

    def _always(self, body: bytes) -> bytes:
        if self.always is None:
            return body
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            return body
        kind, name = self.always

        def deviate(value: Any) -> Any:
            if not isinstance(value, dict) or name not in value:
                return value
            if kind == "drop-field":
                return {k: v for k, v in value.items() if k != name}
            return {**value, name: self.rng.choice(_WRONG_VALUES)}

        changed = deviate(parsed)
        if isinstance(changed, dict) and isinstance(changed.get("data"), list):
            changed = {**changed, "data": [deviate(item) for item in changed["data"]]}
        return body if changed == parsed else json.dumps(changed).encode()

    def _mutate(
        self, kind: str, status: int, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        rng = self.rng
        if kind == "status":
            return rng.choice(_STATUSES), headers, body
        if kind == "hang-up":
            return 0, headers, b""
        if kind == "not-json":
            return status, {**headers, "Content-Type": "application/json"}, rng.choice(_NOT_JSON)
        if kind == "json-type":
            value = rng.choice([[], "x", 1, None, True, [{"id": "x"}]])
            return (
                status,
                {**headers, "Content-Type": "application/json"},
                json.dumps(value).encode(),
            )
        if kind == "content-type":
            media = rng.choice(["", "text/html", "application/json; charset=latin-1", "\x7f/x"])
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            return status, {**headers, "Content-Type": media} if media else headers, body
        if kind == "drop-header":
            victim = rng.choice(["www-authenticate", "allow", "location", "content-type"])
            return status, {k: v for k, v in headers.items() if k.lower() != victim}, body
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            return status, headers, body
        return status, headers, json.dumps(self._mutate_json(kind, parsed)).encode()

    def _mutate_json(self, kind: str, value: Any) -> Any:
        rng = self.rng
        if isinstance(value, dict) and isinstance(value.get("data"), list):
            if kind == "break-list":
                choice = rng.randrange(6)
                if choice == 0:
                    return {k: v for k, v in value.items() if k != "data"}
                if choice == 1:
                    return {k: v for k, v in value.items() if k != "has_more"}
                if choice == 2:
                    return {**value, "data": rng.choice([{}, ["x"], None, [None, 1]])}
                if choice == 3:
                    return {**value, "data": value["data"] + value["data"][:1]}
                if choice == 4:
                    return {**value, "data": list(reversed(value["data"]))}
                return {**value, "has_more": rng.choice(_WRONG_VALUES)}
            if value["data"]:
                data = list(value["data"])
                at = rng.randrange(len(data))
                data[at] = self._mutate_json(kind, data[at])
                return {**value, "data": data}
            return value
        if not isinstance(value, dict) or not value:
            return value
        name = rng.choice(sorted(value))
        if kind == "drop-field":
            return {k: v for k, v in value.items() if k != name}
        if kind == "wrong-type":
            return {**value, name: rng.choice(_WRONG_VALUES)}
        if kind == "swap-id" and "id" in value:
            return {**value, "id": "".join(rng.choice("abcdefXYZ0123") for _ in range(16))}
        return value


_GROUPS = {group.name: group for group in GROUPS}
# Each group's share of the examples: the list group, whose dataset and queries give a server the
# most answers to get wrong, gets the most. The webhooks group has no receiver here (so it is
# "not verified"): it comes only as an addition to another group.
_SHARES = {"list": 3, "concurrency": 1, "webhooks": 0}
_WEIGHTS = {name: _SHARES.get(name, 2) for name in _GROUPS if _SHARES.get(name, 2)}


def _examples(group: str) -> int:
    return -(-EXAMPLES * _WEIGHTS[group] // sum(_WEIGHTS.values()))  # rounded up


def _always(kind: str | None, seed: int) -> tuple[str, str] | None:
    """A systematic deviation of the attribute the seed picks (evenly, where a drawn choice
    would mostly be the first attribute)."""
    return (kind, random.Random(seed).choice(_ATTRIBUTES)) if kind else None


@st.composite
def servers(draw: st.DrawFn, group: str) -> dict[str, Any]:
    rule_ids = [rule.id for rule in _GROUPS[group].rules]
    own_faults = sorted(fault for fault, rule in BROKEN.items() if rule in rule_ids)
    anyone = [None, None, *sorted(BROKEN)]
    seed = draw(st.integers(0, 2**32 - 1))
    return {
        "kinds": draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True)),
        "rate": draw(st.sampled_from([0.2, 0.05, 0.01, 1.0])),
        "seed": seed,
        "method": draw(st.sampled_from(["any", "POST", "GET", "PUT", "DELETE", "any"])),
        "always": _always(draw(st.sampled_from(["drop-field", None, "wrong-type", None])), seed),
        # Half the time a deviation the selected rules are about, else any (or none).
        "fault": draw(st.sampled_from([None, *own_faults] if draw(st.booleans()) else anyone)),
        "only": [
            *draw(
                st.just([group])
                | st.lists(st.sampled_from(rule_ids), min_size=1, max_size=3, unique=True)
            ),
            *draw(st.sampled_from([[], [], [], ["protocol"], ["webhooks"]])),
        ],
    }


def _verify(server: FakeServer, reports: Path, seed: int, only: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(
            [
                "verify",
                server.url,
                "--token",
                TOKENS[0],
                "--other-token",
                TOKENS[1],
                "--only",
                ",".join(only),
                "--seed",
                str(seed),
                "--json",
                str(reports / "report.json"),
                "--junit-xml",
                str(reports / "junit.xml"),
            ]
        )
    return code, out.getvalue()


def _selected(only: list[str]) -> set[str]:
    """The rule ids a run with ``--only`` these groups and rule ids reports."""
    return {
        rule_id
        for name in only
        for rule_id in ([r.id for r in _GROUPS[name].rules] if name in _GROUPS else [name])
    }


def _check_one(server: FakeServer, plan: dict[str, Any], reports: Path) -> None:
    server.reset({plan["fault"]} if plan["fault"] else set())
    server.log.clear()
    rewrite = Mutator(plan["kinds"], plan["rate"], plan["seed"], plan["method"], plan["always"])
    server.rewrite = rewrite
    for name in ("report.json", "junit.xml"):
        (reports / name).unlink(missing_ok=True)
    try:
        code, output = _verify(server, reports, plan["seed"] % 1000, plan["only"])
    finally:
        server.rewrite = None
    assert "Traceback" not in output
    assert_printable(output, "the terminal output")
    if code == 2:
        assert "could not run" in output, output[-3000:]
        return
    assert code in (0, 1), output[-3000:]
    document = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    assert_valid_report(document)
    assert_valid_junit(reports / "junit.xml")
    results = document["results"]
    assert {r["id"] for r in results} == _selected(plan["only"])
    failed = [r for r in results if r["status"] == "failed"]
    # The right exit code: 1 exactly when a rule failed; the fault-free server, answering as
    # itself, passes.
    assert code == (1 if failed else 0), output[-3000:]
    if not rewrite.rewritten and plan["fault"] is None:
        assert code == 0, output[-3000:]
    planted = BROKEN.get(plan["fault"])
    if not rewrite.rewritten and planted in _selected(plan["only"]):
        # The planted deviation is reported by its rule (webhooks: not verified, no receiver).
        found = {r["id"]: r for r in results}[planted]
        missed = "warning" if found["level"] == "SHOULD" else "failed"
        assert found["status"] == ("skipped" if planted.startswith("WEBHOOK-") else missed), output
    for result in failed:
        assert result["id"] and result["findings"], result
        for finding in result["findings"]:
            assert _CRASH_MARK not in finding["message"], (result["id"], finding)
        assert result["reproduce"], result["id"]
        # The requests that got the wrong answer are what the reproduction replays.
        assert any(f["exchange"] or f["requests"] for f in result["findings"]), (
            result["id"],
            result["findings"],
        )
    for result in results:
        assert _CRASH_MARK not in result["reason"], (result["id"], result["reason"])


# Servers that once made the checks stop on an answer they could not read, kept as they were found.
REGRESSIONS = [
    {
        "kinds": ["drop-header", "drop-field", "content-type"],
        "rate": 0.2,
        "seed": 1,
        "method": "any",
        "always": None,
        "fault": None,
        "only": ["list"],
    },
    {
        "kinds": ["json-type", "drop-field"],
        "rate": 0.2,
        "seed": 6518,
        "method": "PUT",
        "always": ("drop-field", "created_at"),
        "fault": None,
        "only": ["create"],
    },
    {
        "kinds": ["content-type"],
        "rate": 0.01,
        "seed": 239480,
        "method": "any",
        "always": ("drop-field", "contact_id"),
        "fault": "isolation-off",
        "only": ["LIFECYCLE-DELETE-204", "LIFECYCLE-GET-NO-SIDE-EFFECTS", "LIFECYCLE-CREATE-201"],
    },
    {
        "kinds": ["status", "content-type"],
        "rate": 0.2,
        "seed": 183200,
        "method": "GET",
        "always": ("drop-field", "is_muted"),
        "fault": "pinned-by-message",
        "only": ["list"],
    },
    {  # conversations that never carry their group_id
        "kinds": ["status"],
        "rate": 0.0,
        "seed": 1,
        "method": "any",
        "always": ("drop-field", "group_id"),
        "fault": None,
        "only": ["list"],
    },
]


@pytest.fixture(scope="module")
def quiet_server() -> Any:
    with FakeServer(TOKENS) as server:
        yield server


@pytest.mark.parametrize("group", sorted(_WEIGHTS))
def test_verify_always_ends_with_a_verdict_never_a_traceback(
    quiet_server: FakeServer, tmp_path: Path, group: str
) -> None:
    @settings(
        max_examples=_examples(group),
        deadline=None,
        derandomize=True,
        # No shrinking: every step would be another run. The plan is printed instead, and
        # _check_one(server, plan, directory) replays it.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(plan=servers(group))
    def check(plan: dict[str, Any]) -> None:
        note(f"server plan: {plan!r}")
        _check_one(quiet_server, plan, tmp_path)

    check()


@pytest.mark.parametrize("plan", REGRESSIONS, ids=lambda plan: ",".join(plan["only"]))
def test_servers_that_once_crashed_the_checks_get_a_verdict(
    quiet_server: FakeServer, tmp_path: Path, plan: dict[str, Any]
) -> None:
    _check_one(quiet_server, plan, tmp_path)
