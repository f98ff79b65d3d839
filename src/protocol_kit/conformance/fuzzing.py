"""The property-based phase: schemathesis (its CLI, every phase, every check) on the spec."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from protocol_kit.conformance.contract import Contract
from protocol_kit.conformance.fuzzing_hooks import (
    CALL_LOG_ENV,
    ID_PATTERN_ENV,
    STOP_FILE_ENV,
)
from protocol_kit.conformance.fuzzing_hooks import STOPPING as _STOPPING
from protocol_kit.conformance.outcome import Options, Progress
from protocol_kit.conformance.transport import Exchange, Transport
from protocol_kit.conformance.verdicts import (
    FAILED,
    PASSED,
    SKIPPED,
    Citation,
    Finding,
    Rule,
    RuleResult,
)
from protocol_kit.spec import Spec

GROUP = "schemathesis"
PHASES = "examples,coverage,fuzzing,stateful"
_WHOLE_API = Citation("/paths", "conversations")
_TIMEOUT_S = 600
_MAX_FINDINGS = 3
_ANSWER_WAIT_S = 1.5  # at most, for schemathesis' call under way when the run stops

# The kit's only deviation from schemathesis' defaults, the same as the repository's
# schemathesis.toml (a self-test keeps the two equal):
# GET /v1/conversations: a cursor must name one of the caller's own conversations, and
# starting_after with ending_before together is an error. Both are 400 by contract, but OpenAPI
# cannot say "this id must exist" or "these two exclude each other", so a schema-valid random
# cursor is rightly rejected. Only this operation's positive_data_acceptance check accepts 400.
DEVIATIONS = """
[[operations]]
include-operation-id = "listConversations"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400"]
"""


class Phase:
    """The schemathesis phase on a thread of its own: started, then collected (or cancelled)."""

    def __init__(self, contract: Contract, options: Options, progress: Progress) -> None:
        self._contract, self._options, self._progress = contract, options, progress
        self._process: subprocess.Popen[str] | None = None
        self._cancelled = threading.Event()
        self._found: tuple[list[RuleResult], list[str]] = ([], [])
        self._thread = threading.Thread(target=self._run, name="schemathesis-phase", daemon=True)
        # Waited on instead of the thread: a Thread.join interrupted by a signal may afterwards
        # return at once although the thread still runs.
        self._done = threading.Event()
        self.seconds = 0.0
        self._calls: Path | None = None  # schemathesis' call log, while it runs
        if options.control is not None:
            options.control.track(self._logged)

    def _logged(self) -> list[str]:
        """The ids schemathesis has created so far (none once they are cleaned up)."""
        return [line[8:] for line in self._call_log() if line.startswith("created ")]

    def _call_log(self) -> list[str]:
        try:
            return self._calls.read_text(encoding="utf-8").splitlines() if self._calls else []
        except OSError:
            return []

    def _unanswered(self) -> int:
        log = self._call_log()
        return log.count("call") - log.count("done")

    def start(self) -> Phase:
        self._thread.start()
        return self

    def collect(self) -> tuple[list[RuleResult], list[str]]:
        """Wait for the phase; one result per (check, operation), and notes."""
        self._done.wait()
        return self._found

    def cancel(self) -> None:
        """Stop schemathesis now (the run is being abandoned): no new call, the one under way
        answered (briefly: what it creates must be known to be deleted), then the process."""
        self._cancelled.set()
        calls = self._calls
        if calls is not None:
            (calls.parent / "stop").touch()
            deadline = time.monotonic() + _ANSWER_WAIT_S
            time.sleep(0.05)  # a call that began before the stop file was there is logged now
            while self._unanswered() > 0 and time.monotonic() < deadline:
                time.sleep(0.02)
        if self._process is not None:
            self._process.kill()
        self._done.wait(timeout=10)

    def _run(self) -> None:
        began = time.monotonic()
        try:
            self._found = self._schemathesis()
        except Exception as exc:  # reported as the phase's failure, never lost on a thread
            self._found = [_broken(f"schemathesis could not run: {exc}")], []
        finally:
            self.seconds = time.monotonic() - began
            self._done.set()

    def _schemathesis(self) -> tuple[list[RuleResult], list[str]]:
        contract, options, progress = self._contract, self._options, self._progress
        token, other_token = phase_accounts(options)
        with tempfile.TemporaryDirectory(prefix="protocol-kit-schemathesis-") as tmp:
            work = Path(tmp)
            spec_path = _write_spec(contract, work)
            config = _write_config(token, other_token, work)
            events = work / "events.ndjson"
            command = [
                sys.executable,
                "-P",  # the working directory never shadows an installed package
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(config),
                "run",
                str(spec_path),
                "--url",
                options.base_url,
                "--checks",
                "all",
                "--phases",
                PHASES,
                "--max-examples",
                str(options.max_examples),
                "--seed",
                str(options.seed),
                "--workers",
                str(options.workers),
                "--request-timeout",
                "10",
                "--report",
                "ndjson",
                "--report-ndjson-path",
                str(events),
                # The events file lives in this temporary directory only; real headers let the
                # report rebuild requests (tokens are redacted again when printed).
                "--output-sanitize",
                "false",
                "--no-color",
            ]
            alongside = (
                "; alongside the behavioural suite, in accounts of its own"
                if options.fuzz_token
                else ""
            )
            progress(
                "note",
                GROUP,
                {
                    "message": f"phases {PHASES}, {options.max_examples} "
                    f"examples per operation, seed {options.seed}{alongside}"
                },
            )
            calls = work / "calls.log"
            environment = {
                **os.environ,
                "SCHEMATHESIS_HOOKS": "protocol_kit.conformance.fuzzing_hooks",
                ID_PATTERN_ENV: contract.id_pattern or r"^[A-Za-z0-9]{16}$",
                CALL_LOG_ENV: str(calls),
                STOP_FILE_ENV: str(work / "stop"),
            }
            self._calls = calls
            output = self._stream(command, work, environment)
            found = _read_events(events, contract.spec) if events.exists() else ([], [], [])
            results, created, notes = found
            if not options.keep_data:
                # Whatever happened (stopped, overran, crashed), what it created goes.
                _clean_up(contract, options, [*created, *self._logged()])
            self._calls = None
            if self._cancelled.is_set():
                # Its complaints about the calls refused while stopping are not news.
                notes = [n for n in notes if _STOPPING not in n and "early: interrupted" not in n]
                return results, [*notes, "schemathesis was stopped before it finished"]
            if output is None:
                return [_broken(f"schemathesis did not finish within {_TIMEOUT_S} s")], []
            if not events.exists():
                tail = output[-5:]
                return [_broken("schemathesis could not run: " + " | ".join(tail))], []
        if other_token is None:
            flag = "--fuzz-other-token" if options.fuzz_token else "--other-token"
            results.append(
                RuleResult(
                    Rule(
                        "schemathesis:object_level_authorization",
                        GROUP,
                        "One account cannot read another account's objects",
                        _WHOLE_API,
                    ),
                    status=SKIPPED,
                    reason=f"no {flag} given: a second account is needed",
                )
            )
        return results, notes

    def _stream(
        self, command: list[str], work: Path, environment: dict[str, str]
    ) -> list[str] | None:
        """Run schemathesis, relaying each finished phase as it happens; its output lines, or
        None when it overran the time limit."""
        lines: list[str] = []
        with subprocess.Popen(
            command,
            cwd=work,
            env=environment,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ) as process:
            self._process = process
            if self._cancelled.is_set():
                process.kill()
            overran = threading.Event()

            def stop() -> None:
                overran.set()
                process.kill()

            timer = threading.Timer(_TIMEOUT_S, stop)
            timer.start()
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    lines.append(line.rstrip())
                    if any(f"{phase.title()} (" in line for phase in PHASES.split(",")):
                        self._progress("note", GROUP, {"message": line.strip()})
            finally:
                timer.cancel()
        return None if overran.is_set() else lines


def phase_accounts(options: Options) -> tuple[str, str | None]:
    """The tokens schemathesis runs with: its own accounts when given, else the suite's."""
    if options.fuzz_token:
        return options.fuzz_token, options.fuzz_other_token
    return options.token, options.other_token


def _write_spec(contract: Contract, work: Path) -> Path:
    """The spec as given, minus the examples outside request bodies. Those name conversations of
    the documentation (xgQQXg3hrtjh7AvZ …) that may really exist in the account under test, and
    schemathesis reuses example values anywhere (path ids included), but the run must only touch
    what it created. Request-body examples stay: the examples phase sends them, and a create
    only adds a conversation, which the clean-up then deletes."""
    document = contract.spec.document.without_examples(keep_under=("requestBody", "requestBodies"))
    path = work / "spec.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _write_config(token: str, other_token: str | None, work: Path) -> Path:
    lines = [DEVIATIONS]
    if other_token:
        # Two identities so that object_level_authorization can run (Web Fuzzing Commons file).
        users = [("main", token), ("other", other_token)]
        wfc = {
            "auth": [
                {
                    "name": name,
                    "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}],
                }
                for name, token in users
            ]
        }
        (work / "users.json").write_text(json.dumps(wfc), encoding="utf-8")
        lines.append('[auth.wfc]\npath = "users.json"\nuser = "main"\npeers = ["main", "other"]\n')
    else:
        lines.insert(0, f"headers = {{ Authorization = {json.dumps('Bearer ' + token)} }}\n")
    config = work / "schemathesis.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


def _broken(message: str) -> RuleResult:
    rule = Rule("schemathesis:run", GROUP, "The schemathesis phase completes", _WHOLE_API)
    return RuleResult(
        rule, status=FAILED, reason="", findings=[Finding(message, "a completed run", message)]
    )


def _read_events(events: Path, spec: Spec) -> tuple[list[RuleResult], list[str], list[str]]:
    results: dict[str, RuleResult] = {}
    created: list[str] = []
    notes: list[str] = []
    for line in events.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # the last line of a run that was stopped while writing it
        if not isinstance(event, dict) or not event:
            continue
        kind, payload = next(iter(event.items()))
        if kind == "ScenarioFinished":
            _read_scenario(payload, results, created, spec)
        elif kind == "EngineFinished" and payload.get("stop_reason") not in (None, "completed"):
            notes.append(f"schemathesis stopped early: {payload.get('stop_reason')}")
        elif kind == "NonFatalError" or kind == "FatalError":
            notes.append(f"schemathesis reported an error: {json.dumps(payload)[:300]}")
    return sorted(results.values(), key=lambda r: r.rule.id), created, notes


def _read_scenario(
    payload: dict[str, Any],
    results: dict[str, RuleResult],
    created: list[str],
    spec: Spec,
) -> None:
    recorder = payload.get("recorder", {})
    cases = recorder.get("cases", {})
    interactions = recorder.get("interactions", {})
    for interaction in interactions.values():
        _note_created(interaction, created)
    for case_id, checks in recorder.get("checks", {}).items():
        case = cases.get(case_id, {}).get("value", {})
        for check in checks:
            failure = (check.get("failure_info") or {}).get("failure") or {}
            operation = failure.get("operation") or recorder.get("label", "?")
            if operation == "Stateful tests" and case:
                operation = f"{case.get('method', '?')} {case.get('path', '?')}"
            rule_id = f"schemathesis:{check['name']}:{operation}"
            result = results.get(rule_id)
            if result is None:
                rule = Rule(
                    rule_id,
                    GROUP,
                    f"schemathesis check `{check['name']}` holds for {operation}",
                    _operation_citation(spec, operation),
                )
                result = results[rule_id] = RuleResult(rule, status=PASSED, reason="")
            result.checks += 1
            if check.get("status") == "failure":
                result.status = FAILED
                if len(result.findings) < _MAX_FINDINGS:
                    result.findings.append(
                        Finding(
                            message=f"{failure.get('code', '')} {failure.get('title', check['name'])} "
                            f"({payload.get('phase', '?')} phase)".strip(),
                            expected="",
                            actual=_actual(interactions.get(case_id)),
                            exchange=_exchange(interactions.get(case_id)),
                            labels=_labels(failure),
                        )
                    )
                else:
                    result.omitted += 1


def _operation_citation(spec: Spec, operation: str) -> Citation:
    """The operation in the spec, and its section of its resource's docs page (the anchor of the
    heading that is its summary)."""
    method, _, path = operation.partition(" ")
    try:
        found = spec.operation(method, path)
    except KeyError:
        return _WHOLE_API
    page = next(
        (tag.resource for tag in spec.tags if tag.name in found.tags and tag.resource), None
    )
    if page is None or not found.summary:
        return _WHOLE_API
    anchor = re.sub(r"[^a-z0-9]+", "-", found.summary.lower()).strip("-")
    return Citation(found.pointer.removeprefix("#"), f"{page}#{anchor}")


def _labels(failure: dict[str, Any]) -> dict[str, str]:
    """Schemathesis' own explanation, kept as it wrote it (under its own name)."""
    explanation = str(failure.get("message", "")).strip()
    return {"schemathesis": explanation} if explanation else {}


def _decode(container: Any) -> bytes:
    if isinstance(container, dict) and "$base64" in container:
        return base64.b64decode(container["$base64"])
    if isinstance(container, str):
        return container.encode()
    return b""


def _exchange(interaction: dict[str, Any] | None) -> Exchange | None:
    if not interaction or "request" not in interaction:
        return None
    request, response = interaction["request"], interaction.get("response") or {}
    headers = {
        k: ", ".join(v) if isinstance(v, list) else str(v)
        for k, v in request.get("headers", {}).items()
    }
    return Exchange(
        method=request.get("method", "?"),
        url=request.get("uri", "?"),
        request_headers=headers,
        request_body=_decode(request.get("body")),
        status=int(response.get("status_code") or 0),
        response_headers={
            k.lower(): ", ".join(v) if isinstance(v, list) else str(v)
            for k, v in (response.get("headers") or {}).items()
        },
        response_body=_decode(response.get("content")),
        error=None if response else "no response",
    )


def _actual(interaction: dict[str, Any] | None) -> str:
    exchange = _exchange(interaction)
    return exchange.summary() if exchange else "(no response recorded)"


def _note_created(interaction: dict[str, Any], created: list[str]) -> None:
    request, response = interaction.get("request") or {}, interaction.get("response") or {}
    if request.get("method") != "POST" or not 200 <= int(response.get("status_code") or 0) < 300:
        return
    try:
        body = json.loads(_decode(response.get("content")))
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        created.append(body["id"])


def _clean_up(contract: Contract, options: Options, created: list[str]) -> None:
    """Delete what schemathesis created; it may belong to either account, so ask with both."""
    if not created:
        return
    transport = Transport(options.base_url)
    try:
        for conversation_id in dict.fromkeys(created):
            for token in filter(None, phase_accounts(options)):
                exchange = transport.send(
                    "DELETE",
                    contract.item(quote(conversation_id, safe="")),
                    headers={"Authorization": f"Bearer {token}"},
                    record=False,
                )
                if exchange.status == 204:
                    break
    finally:
        transport.close()
