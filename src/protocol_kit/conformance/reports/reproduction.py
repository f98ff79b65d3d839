"""Reproductions: a failure's whole request sequence as a shell script, and the rule's re-run."""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from protocol_kit.conformance.outcome import FUZZ_GROUP, Outcome
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import Finding, RuleResult

# Longer set-ups (the list group builds a dataset of a hundred conversations) are replayed by
# re-running the rule: same seed, same requests.
MAX_SCRIPT_REQUESTS = 25
_CAPTURE_ID = 'sed -n \'s/.*"id" *: *"\\([^"]*\\)".*/\\1/p\''


def command(outcome: Outcome, result: RuleResult) -> str:
    """``protocol-kit verify`` limited to this rule, with the run's seed."""
    selection = FUZZ_GROUP if result.rule.group == FUZZ_GROUP else result.rule.id
    if result.rule.group == FUZZ_GROUP and outcome.max_examples:
        selection += f" --max-examples {outcome.max_examples}"
    tokens = " ".join(f'--{_flag(name)} "${name}"' for name in outcome.tokens)
    return (
        f"protocol-kit verify {shlex.quote(outcome.base_url)} {tokens} "
        f"--only {selection} --seed {outcome.seed}"
    ).replace("  ", " ")


def script(finding: Finding, outcome: Outcome, show_secrets: bool) -> str:
    """A POSIX shell script that sends the finding's requests again, in order, capturing the
    ids the server creates; the last request's answer is the deviation. Empty when the
    sequence is too long to be worth pasting (``command`` re-runs it instead)."""
    requests = _relevant(finding.requests)
    if not requests or len(requests) > MAX_SCRIPT_REQUESTS:
        return ""
    lines = [
        f"# {len(requests)} request(s), set-up included; the last answer shows the deviation.",
        f"BASE={shlex.quote(outcome.base_url)}",
    ]
    for name, token in outcome.tokens.items():
        if any(_uses(exchange, token) for exchange in requests):
            if show_secrets:
                lines.append(f"{name}={shlex.quote(token)}")
            else:
                lines.append(
                    f': "${{{name}:?export {name}=<the bearer token given as --{_flag(name)}>}}"'
                )
    created: dict[str, str] = {}  # server id → shell variable
    for n, exchange in enumerate(requests, 1):
        last = n == len(requests)
        url = _url_word(exchange.url, outcome.base_url, created)
        auth = _auth_word(exchange, outcome.tokens)
        headers = {"authorization": auth} if auth else {}
        if last:
            lines.append(exchange.curl(show_secrets, url_word=url, header_words=headers))
            break
        new_id = _created_id(exchange)
        if new_id is not None and new_id not in created:
            variable = f"ID{len(created) + 1}"
            created[new_id] = variable
            call = exchange.curl(show_secrets, url_word=url, header_words=headers, options=("-s",))
            lines.append(f"{variable}=$({call} | {_CAPTURE_ID})")
            lines.append(f'echo "{exchange.method} → {variable}=${variable}"')
        else:
            report = f"'%{{http_code}} {exchange.method}\\n'"
            options = ("-s", "-o", "/dev/null", "-w", report)
            lines.append(
                exchange.curl(show_secrets, url_word=url, header_words=headers, options=options)
            )
    return "\n".join(lines)


def curl(exchange: Exchange, outcome: Outcome, show_secrets: bool) -> str:
    """One request as a curl command that runs as printed: the run's tokens as ``$TOKEN`` and
    ``$OTHER_TOKEN`` (or in clear with ``show_secrets``)."""
    auth = None if show_secrets else _auth_word(exchange, outcome.tokens)
    return exchange.curl(show_secrets, header_words={"authorization": auth} if auth else None)


def _relevant(requests: list[Exchange]) -> list[Exchange]:
    """The requests the last answer can depend on. About a conversation the sequence created:
    every request about it (its create, updates, reads). A create: the earlier creates with the
    same body (a server may merge those). Anything else about one conversation: itself. A list
    depends on the whole account: every request."""
    if not requests:
        return []
    *earlier, last = requests
    wanted = {found for e in earlier if (found := _created_id(e)) and found in last.url}
    if wanted:
        return [
            e for e in earlier if _created_id(e) in wanted or any(i in e.url for i in wanted)
        ] + [last]
    if last.method == "POST":
        return [
            e for e in earlier if e.method == "POST" and e.request_body == last.request_body
        ] + [last]
    if urlsplit(last.url).path.rstrip("/").count("/") > 2:  # an item: /v1/conversations/{id}
        return [last]
    return requests


def _flag(variable: str) -> str:
    return variable.lower().replace("_", "-")


def _uses(exchange: Exchange, token: str) -> bool:
    return token in exchange.request_headers.get("authorization", "")


def _auth_word(exchange: Exchange, tokens: dict[str, str]) -> str | None:
    """The Authorization header with the token as a shell variable (other values stay literal:
    a malformed header is what some rules send on purpose)."""
    value = exchange.request_headers.get("authorization")
    if value is None:
        return None
    for name, token in tokens.items():
        if token in value:  # the token itself, or sent in a malformed header on purpose
            quoted = value
            for char in ("\\", "$", "`", '"'):
                quoted = quoted.replace(char, "\\" + char)
            return '"Authorization: ' + quoted.replace(token, "${" + name + "}") + '"'
    return shlex.quote(f"Authorization: {value}")


def _url_word(url: str, base_url: str, created: dict[str, str]) -> str:
    """The URL in double quotes, on $BASE, with the ids created earlier in the script as
    variables (a fresh server answers with fresh ids)."""
    rest = url[len(base_url) :] if url.startswith(base_url) else url
    for char in ("\\", "$", "`", '"'):
        rest = rest.replace(char, "\\" + char)
    for server_id, variable in created.items():
        rest = rest.replace(server_id, "${" + variable + "}")
    return f'"$BASE{rest}"' if url.startswith(base_url) else f'"{rest}"'


def _created_id(exchange: Exchange) -> str | None:
    body = exchange.json
    if exchange.method == "POST" and 200 <= exchange.status < 300 and isinstance(body, dict):
        found = body.get("id")
        return found if isinstance(found, str) and found else None
    return None
