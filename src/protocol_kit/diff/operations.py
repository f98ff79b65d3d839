"""Operations and webhooks compared: paths, parameters, bodies, responses, security, events."""

from __future__ import annotations

import re
from dataclasses import dataclass

from protocol_kit.spec import MediaType, Operation, Parameter, RequestBody, Response, Spec, Webhook

from .directions import EVENT, PARAMETER, REQUEST, RESPONSE, Direction
from .findings import Findings
from .model import CLIENTS, RECEIVERS, SERVERS, Level
from .schemas import SchemaDiff, became_array_of

B, P = Level.BREAKING, Level.POSSIBLY


@dataclass(frozen=True)
class _At:
    """Where a comparison is: the value's direction, the change kinds' prefix, how to name it."""

    d: Direction
    prefix: str
    subject: str
    context: str


def _parameter_key(param: Parameter, op: Operation) -> tuple[str, str]:
    """A parameter's identity across versions: a path parameter by its place in the path (a
    rename changes no request), a header by its name in any case, the others by name."""
    if param.location == "path":
        names = re.findall(r"\{([^}]*)\}", op.path)
        return "path", str(names.index(param.name)) if param.name in names else param.name
    return param.location, param.name.lower() if param.location == "header" else param.name


def _route(op: Operation) -> tuple[str, str]:
    """An operation's identity across versions: its method and its path, parameter names aside."""
    return op.method, re.sub(r"\{[^}]*\}", "{}", op.path)


class OperationDiff:
    def __init__(self, base: Spec, revision: Spec, findings: Findings) -> None:
        self.base, self.revision, self.found = base, revision, findings
        self.schemas = SchemaDiff()

    def run(self) -> None:
        b_ops = {_route(op): op for op in self.base.operations()}
        r_ops = {_route(op): op for op in self.revision.operations()}
        for route, op in b_ops.items():
            if route not in r_ops:
                # Servers are freed from serving it, but where the contract says how to refuse
                # a method a path does not have (405), one that still serves it breaks that.
                self.found.add(
                    "operation-removed",
                    {CLIENTS: B, SERVERS: P},
                    f"{op.method} {op.path} removed: calls to it now fail; servers must refuse "
                    "it as the contract refuses what it does not list",
                    f"{op.method} {op.path}",
                    op.pointer,
                    None,
                )
        for route, op in r_ops.items():
            if route not in b_ops:
                self.found.add(
                    "operation-added",
                    {SERVERS: B},
                    f"{op.method} {op.path} added: servers must now implement it",
                    f"{op.method} {op.path}",
                    None,
                    op.pointer,
                )
            else:
                self._operation(b_ops[route], op)
        self._webhooks()

    # -- one operation ----------------------------------------------------------------------

    def _operation(self, b: Operation, r: Operation) -> None:
        context = f"{r.method} {r.path}"
        if b.operation_id != r.operation_id:
            self.found.add(
                "operation-id-changed",
                {CLIENTS: P},
                f"operationId changed from {b.operation_id} to {r.operation_id}: generated "
                "clients name their method after it",
                context,
                b.pointer,
                r.pointer,
            )
        if (b.summary, b.description) != (r.summary, r.description):
            self.found.add(
                "operation-description-changed",
                {},
                "summary or description changed",
                context,
                b.pointer,
                r.pointer,
            )
        self._security(b, r, context)
        self._parameters(b, r, PARAMETER, context)
        self._request_body(b.request_body, r.request_body, b, r, context)
        self._responses(b, r, context)

    def _security(self, b: Operation, r: Operation, context: str) -> None:
        before = set(b.security if b.security is not None else self.base.security)
        after = set(r.security if r.security is not None else self.revision.security)
        if before == after:
            return
        if not before:
            breaks, what = {CLIENTS: B}, "now requires authentication"
        elif not after:
            breaks, what = (
                {SERVERS: B},
                "no longer requires authentication: servers must answer anonymous calls",
            )
        elif after - before and before - after:
            breaks, what = {CLIENTS: B, SERVERS: B}, "authentication schemes replaced"
        elif before - after:
            breaks, what = {CLIENTS: B}, f"no longer accepts {', '.join(sorted(before - after))}"
        else:
            breaks, what = {SERVERS: P}, f"now also accepts {', '.join(sorted(after - before))}"
        self.found.add(
            "security-changed",
            breaks,
            f"{what} ({', '.join(sorted(before)) or 'none'} → {', '.join(sorted(after)) or 'none'})",
            context,
            b.pointer,
            r.pointer,
        )

    def _parameters(self, b: Operation, r: Operation, d: Direction, context: str) -> None:
        b_params = {_parameter_key(p, b): p for p in b.parameters}
        r_params = {_parameter_key(p, r): p for p in r.parameters}
        prefix = f"{d.name}-parameter"
        for k, p in b_params.items():
            if k in r_params:
                self._parameter(p, r_params[k], d, prefix, context)
                continue
            breaks = {d.consumer: B if p.required else P} if d is EVENT else {d.producer: P}
            self.found.add(
                f"{prefix}-removed",
                breaks,
                f"{p.location} parameter `{p.name}` removed",
                context,
                p.pointer,
                r.pointer,
            )
        for k, p in r_params.items():
            if k in b_params:
                continue
            breaks = {d.producer: B} if p.required else {}
            if d.consumer == SERVERS:
                breaks[SERVERS] = P  # an implementation of the old contract ignores it
            self.found.add(
                f"{prefix}-added",
                breaks,
                f"{'required' if p.required else 'optional'} {p.location} parameter `{p.name}` added",
                context,
                b.pointer,
                p.pointer,
            )

    def _parameter(
        self, b: Parameter, r: Parameter, d: Direction, prefix: str, context: str
    ) -> None:
        subject = f"{r.location} parameter `{r.name}`"
        if b.required != r.required:
            self._required(r.required, _At(d, prefix, subject, context), b.pointer, r.pointer)
        if b.description != r.description:
            self.found.add(
                f"{prefix}-description-changed",
                {},
                f"{subject}: description changed",
                context,
                b.pointer,
                r.pointer,
            )
        items = became_array_of(b.schema, r.schema) if r.location in ("query", "header") else None
        if items is not None:
            self.found.add(
                f"{prefix}-became-array",
                d.wider(B),
                f"{subject} now takes several values (one value alone still fits)",
                context,
                b.schema_pointer,
                r.schema_pointer,
            )
            subject = f"{subject} (each value)"
        for delta in self.schemas.compare(b.schema, items or r.schema, d):
            self.found.add_delta(delta, prefix, subject, context)

    def _request_body(
        self,
        b: RequestBody | None,
        r: RequestBody | None,
        b_op: Operation,
        r_op: Operation,
        context: str,
        d: Direction = REQUEST,
        subject: str = "request body",
    ) -> None:
        prefix = f"{d.name}-body"
        if b is None and r is None:
            return
        if b is None and r is not None:
            # A request body: clients must send it (if required), servers must read it. An
            # event's: servers must send it; receivers only gain something to read.
            if d is REQUEST:
                added = {d.producer: B, d.consumer: B} if r.required else {d.consumer: P}
            else:
                added = {d.producer: B} if r.required else {}
            self.found.add(
                f"{prefix}-added",
                added,
                f"{'required' if r.required else 'optional'} {subject} added",
                context,
                b_op.pointer,
                r.pointer,
            )
            return
        if r is None and b is not None:
            # Clients' bodies are now refused; receivers no longer get what they read.
            self.found.add(
                f"{prefix}-removed",
                {d.producer: B} if d is REQUEST else {d.consumer: B},
                f"{subject} removed",
                context,
                b.pointer,
                r_op.pointer,
            )
            return
        assert b is not None and r is not None
        at = _At(d, prefix, subject, context)
        if b.required != r.required:
            self._required(r.required, at, b.pointer, r.pointer)
        self._content(b.content, r.content, at, b.pointer, r.pointer)

    def _required(self, now: bool, at: _At, b_pointer: str, r_pointer: str) -> None:
        """A parameter or body that became required (breaks its writer) or optional (its reader)."""
        state = "required" if now else "optional"
        self.found.add(
            f"{at.prefix}-became-{state}",
            at.d.narrower(B) if now else at.d.wider(B, servers=P),
            f"{at.subject} became {state}",
            at.context,
            b_pointer,
            r_pointer,
        )

    def _content(
        self,
        b: dict[str, MediaType],
        r: dict[str, MediaType],
        at: _At,
        b_pointer: str,
        r_pointer: str,
    ) -> None:
        d, prefix, subject, context = at.d, at.prefix, at.subject, at.context
        for name, media in b.items():
            if name not in r:
                self.found.add(
                    f"{prefix}-media-type-removed",
                    {d.producer: B} if d is REQUEST else {d.consumer: B},
                    f"{subject}: media type {name} removed",
                    context,
                    media.pointer,
                    r_pointer,
                )
            elif media.schema is not None and r[name].schema is not None:
                assert r[name].schema is not None
                for delta in self.schemas.compare(media.schema, r[name].schema, d):  # type: ignore[arg-type]
                    self.found.add_delta(
                        delta, prefix, subject if len(b) == 1 else f"{subject} ({name})", context
                    )
            elif (media.schema is None) != (r[name].schema is None):
                self.found.add(
                    f"{prefix}-schema-{'added' if media.schema is None else 'removed'}",
                    d.both(P),
                    f"{subject} ({name}): schema {'added' if media.schema is None else 'removed'}",
                    context,
                    media.pointer,
                    r[name].pointer,
                )
        for name, media in r.items():
            if name not in b:
                self.found.add(
                    f"{prefix}-media-type-added",
                    {d.consumer: B} if d is REQUEST else {},
                    f"{subject}: media type {name} added",
                    context,
                    b_pointer,
                    media.pointer,
                )

    def _responses(self, b: Operation, r: Operation, context: str) -> None:
        for status, response in b.responses.items():
            if status not in r.responses:
                success = status.startswith("2")
                breaks = {CLIENTS: B, SERVERS: P} if success else {SERVERS: P}
                self.found.add(
                    "response-status-removed",
                    breaks,
                    f"response {status} removed",
                    context,
                    response.pointer,
                    r.pointer,
                )
            else:
                self._response(response, r.responses[status], context)
        for status, response in r.responses.items():
            if status not in b.responses:
                success = status.startswith("2")
                self.found.add(
                    "response-status-added",
                    {CLIENTS: P} if success else {SERVERS: P},
                    f"response {status} added",
                    context,
                    b.pointer,
                    response.pointer,
                )

    def _response(self, b: Response, r: Response, context: str) -> None:
        subject = f"response {r.status}"
        if b.description != r.description:
            self.found.add(
                "response-description-changed",
                {},
                f"{subject}: description changed",
                context,
                b.pointer,
                r.pointer,
            )
        for header in b.headers:
            if header.lower() not in {h.lower() for h in r.headers}:
                self.found.add(
                    "response-header-removed",
                    {CLIENTS: P},
                    f"{subject}: header {header} removed",
                    context,
                    b.pointer,
                    r.pointer,
                )
        for header in r.headers:
            if header.lower() not in {h.lower() for h in b.headers}:
                self.found.add(
                    "response-header-added",
                    {SERVERS: P},
                    f"{subject}: header {header} added",
                    context,
                    b.pointer,
                    r.pointer,
                )
        if b.max_body_bytes != r.max_body_bytes:
            self.found.add(
                "request-body-size-limit-changed",
                # Lower: clients' large bodies are refused, and servers must refuse them (413).
                # Higher: servers must take bodies they refused.
                {CLIENTS: B, SERVERS: B}
                if (r.max_body_bytes or 0) < (b.max_body_bytes or 0)
                else {SERVERS: B},
                f"largest request body changed from {b.max_body_bytes} to {r.max_body_bytes} bytes",
                context,
                b.pointer,
                r.pointer,
            )
        at = _At(RESPONSE, "response-body", subject, context)
        self._content(b.content, r.content, at, b.pointer, r.pointer)

    # -- webhooks ---------------------------------------------------------------------------

    def _webhooks(self) -> None:
        b_hooks = {w.event_type: w for w in self.base.webhooks}
        r_hooks = {w.event_type: w for w in self.revision.webhooks}
        for name, hook in b_hooks.items():
            if name not in r_hooks:
                self.found.add(
                    "event-removed",
                    {RECEIVERS: B},
                    f"event {name} is no longer sent (servers need not send it)",
                    f"webhook {name}",
                    hook.operation.pointer,
                    None,
                )
        for name, hook in r_hooks.items():
            if name not in b_hooks:
                self.found.add(
                    "event-added",
                    {SERVERS: B, RECEIVERS: B},
                    f"event {name} added: servers must send it; receivers meet a type they do "
                    "not know (the generated clients' unwrap refuses it)",
                    f"webhook {name}",
                    None,
                    hook.operation.pointer,
                )
            else:
                self._webhook(b_hooks[name], hook)

    def _webhook(self, b: Webhook, r: Webhook) -> None:
        context = f"webhook {r.event_type}"
        if b.emitted_by != r.emitted_by:
            self.found.add(
                "event-trigger-changed",
                {SERVERS: B, RECEIVERS: P},
                f"now sent for {r.emitted_by} instead of {b.emitted_by}",
                context,
                b.operation.pointer,
                r.operation.pointer,
            )
        self._parameters(b.operation, r.operation, EVENT, context)
        self._request_body(
            b.operation.request_body,
            r.operation.request_body,
            b.operation,
            r.operation,
            context,
            EVENT,
            "event",
        )
