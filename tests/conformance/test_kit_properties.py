"""The kit itself, property-tested: whatever a server answers, verify ends with a verdict.

Each example is a server drawn by hypothesis: the fault-free fake server (sometimes with one
planted deviation) whose answers are rewritten at random, from valid-looking conversations with
a field dropped or mistyped to bodies that are not JSON, odd statuses, wrong headers and hang-ups.
verify runs in-process through the real command line (one server reused, answers swapped per
example); the schemathesis phase is left out: it judges answers on its own and would make each
example a hundred times slower.
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
from tests.support.fake_server import TOKENS, FakeServer
from tests.support.faults import BROKEN

# Each example is a whole behavioural run (hundreds of requests): a handful by default keeps the
# suite quick; PROTOCOL_KIT_PROPERTY_EXAMPLES=500 is the long run.
EXAMPLES = int(os.environ.get("PROTOCOL_KIT_PROPERTY_EXAMPLES", "8"))
KINDS = [
    "status",
    "not-json",
    "json-type",
    "drop-field",
    "wrong-type",
    "swap-id",
    "break-list",
    "content-type",
    "drop-header",
    "hang-up",
]
_STATUSES = [200, 201, 202, 204, 301, 400, 401, 403, 404, 405, 409, 410, 413, 415, 429, 500, 503]
_WRONG_VALUES: list[Any] = [None, "", "x", 0, -1, 1.5, True, [], {}, "A" * 17, 2**64]
_NOT_JSON = [b"", b"\x00\xff\xfe", b"<html>oops</html>", b"{", b'{"id": ', b"nan", b"\x00" * 8]
_CRASH_MARK = "the checks stopped on an unexpected answer"


class Mutator:
    """Rewrites a share of the fake server's answers; thread-safe, like the server."""

    def __init__(self, kinds: list[str], rate: float, seed: int, method: str) -> None:
        self.kinds, self.rate, self.method = kinds, rate, method
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def __call__(
        self, method: str, target: str, status: int, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.method not in ("any", method):
            return status, headers, body
        with self.lock:
            if self.rng.random() >= self.rate:
                return status, headers, body
            kind = self.rng.choice(self.kinds)
            status, headers, body = self._mutate(kind, status, dict(headers), body)
        if status in (204, 304):
            body = b""  # a body there would desynchronise the connection, not test the kit
        return status, headers, body

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


@st.composite
def servers(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "kinds": draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True)),
        "rate": draw(st.sampled_from([0.01, 0.05, 0.2, 1.0])),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "method": draw(st.sampled_from(["any", "any", "POST", "GET", "PUT", "DELETE"])),
        "fault": draw(st.sampled_from([None, None, *sorted(BROKEN)])),
    }


def _verify(server: FakeServer, report: Path, seed: int) -> tuple[int, str]:
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
                "--skip",
                "schemathesis",
                "--seed",
                str(seed),
                "--json",
                str(report),
            ]
        )
    return code, out.getvalue()


def _check_one(server: FakeServer, plan: dict[str, Any], report: Path) -> None:
    server.reset({plan["fault"]} if plan["fault"] else set())
    server.rewrite = Mutator(plan["kinds"], plan["rate"], plan["seed"], plan["method"])
    try:
        report.unlink(missing_ok=True)
        code, output = _verify(server, report, plan["seed"] % 1000)
    finally:
        server.rewrite = None
    assert code in (1, 2), output[-3000:]
    assert "Traceback" not in output
    if code == 2:
        assert "could not run" in output, output[-3000:]
        return
    results = json.loads(report.read_text())["results"]
    failed = [r for r in results if r["status"] == "failed"]
    assert failed, output[-3000:]
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


@pytest.fixture(scope="module")
def quiet_server() -> Any:
    with FakeServer(TOKENS) as server:
        yield server


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    # No shrinking: every step would be another whole run. The plan is printed instead, and
    # _check_one(server, plan, path) replays it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=servers())
def test_verify_always_ends_with_a_verdict_never_a_traceback(
    quiet_server: FakeServer, tmp_path: Path, plan: dict[str, Any]
) -> None:
    note(f"server plan: {plan!r}")
    _check_one(quiet_server, plan, tmp_path / "report.json")
