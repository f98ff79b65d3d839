"""Reproductions: a failure's whole request sequence as a shell script, and the rule's re-run."""

from __future__ import annotations

import base64
import re
import shlex
from typing import Any
from urllib.parse import urlsplit

from protocol_kit.conformance.outcome import FUZZ_GROUP, Outcome
from protocol_kit.conformance.rules.webhooks import GROUP as WEBHOOKS_GROUP
from protocol_kit.conformance.transport import Exchange
from protocol_kit.conformance.verdicts import Finding, RuleResult

# Longer set-ups (the list group builds a dataset of a hundred conversations) are replayed by
# re-running the rule: same seed, same requests.
MAX_SCRIPT_REQUESTS = 25
# Said by a script whose set-up leaves out some of the requests the answer may depend on.
LEFT_OUT = (
    "{} earlier request(s) about it left out to keep it short, so the last answer may differ: "
    "the re-run command replays them all."
)
_CAPTURE_ID = 'sed -n \'s/.*"id" *: *"\\([^"]*\\)".*/\\1/p\''


def command(outcome: Outcome, result: RuleResult) -> str:
    """``protocol-kit verify`` limited to this rule, with the run's seed, server and flags (the
    embedded server is started again: its tokens and port were the run's own)."""
    fuzz = result.rule.group == FUZZ_GROUP
    words = ["protocol-kit", "verify"]
    if not outcome.embedded:
        words.append(shlex.quote(outcome.base_url))
        words += [f'--{_flag(name)} "${name}"' for name in outcome.tokens]
        if result.rule.group == WEBHOOKS_GROUP and outcome.webhook_listen:
            words += [
                "--webhook-listen",
                shlex.quote(outcome.webhook_listen),
                "--webhook-secret",
                '"$WEBHOOK_SECRET"',
            ]
    if outcome.spec_path:
        words += ["--spec", shlex.quote(outcome.spec_path)]
    words += ["--only", FUZZ_GROUP if fuzz else result.rule.id]
    if fuzz and outcome.max_examples:
        words += ["--max-examples", str(outcome.max_examples)]
    words += ["--seed", str(outcome.seed)]
    return " ".join(words)


def shown(finding: Finding, outcome: Outcome, show_secrets: bool) -> tuple[str, str] | None:
    """How a report shows the finding's reproduction: (label, text), a script when set-up comes
    with it, else one curl command; None when there is no request to show."""
    replay = script(finding, outcome, show_secrets)
    if replay and len(_relevant(finding.requests, outcome.base_url)[0]) > 1:
        label, text = "reproduce (sh)", replay
    elif finding.exchange is None:
        return None
    else:
        label, text = "reproduce", curl(finding.exchange, outcome, show_secrets)
    if label == "reproduce" and not replay and len(finding.requests) > 1:
        # Too long a set-up to paste: the request alone, on the data the run made.
        text += "\n# " + (
            "the data it reads was kept (--keep-data)"
            if outcome.keep_data
            else "the data it reads was deleted when the run ended: re-run the rule with "
            "--keep-data to keep it"
        )
    if outcome.embedded:
        text = (
            "# the run's embedded server is gone: against one of your own (protocol-kit serve), "
            "set the URL and the tokens\n" + text
        )
    return label, text


def script(finding: Finding, outcome: Outcome, show_secrets: bool) -> str:
    """A POSIX shell script that sends the finding's requests again, in order, capturing the
    ids the server creates; the last request's answer is the deviation. Empty when the
    sequence is too long to be worth pasting (``command`` re-runs it instead)."""
    requests, left_out = _relevant(finding.requests, outcome.base_url)
    if not requests or len(requests) > MAX_SCRIPT_REQUESTS:
        return ""
    lines = [
        f"# {len(requests)} request(s), set-up included; the last answer shows the deviation."
        if not left_out
        else f"# {len(requests)} request(s), set-up included; {LEFT_OUT.format(left_out)}",
        f"BASE={shlex.quote(outcome.base_url)}",
    ]
    for name, token in outcome.tokens.items():
        if any(_uses(exchange, name, outcome.tokens) for exchange in requests):
            if show_secrets:
                lines.append(f"{name}={shlex.quote(token)}")
            else:
                lines.append(
                    f': "${{{name}:?export {name}=<the bearer token given as --{_flag(name)}>}}"'
                )
    created: dict[str, str] = {}  # server id → shell variable
    # Values the server chose (an id, a created_at) → the shell expression that reads them
    # from the replay's own answers: a request that repeats one sends the new server's.
    chosen: dict[str, str] = {}
    later = b"\n".join(e.request_body for e in requests)
    for n, exchange in enumerate(requests, 1):
        last = n == len(requests)
        url = _url_word(exchange.url, outcome.base_url, chosen)
        auth = _auth_word(exchange, outcome.tokens)
        words: dict[str, Any] = {
            "url_word": url,
            "header_words": {"authorization": auth} if auth else {},
            "body_word": _body_word(exchange.request_body, chosen),
        }
        if last:
            lines.append(exchange.curl(show_secrets, **words))
            break
        new_id = _created_id(exchange)
        if new_id is not None and new_id not in created:
            k = len(created) + 1
            variable = created[new_id] = f"ID{k}"
            call = exchange.curl(show_secrets, options=("-s",), **words)
            lines.append(f"R{k}=$({call})")
            lines.append(f"{variable}=$(printf '%s' \"$R{k}\" | {_CAPTURE_ID})")
            chosen[new_id] = "${" + variable + "}"
            chosen[new_id.swapcase()] = f"$(printf '%s' \"${variable}\" | tr 'a-zA-Z' 'A-Za-z')"
            for name, value in _numbers(exchange).items():
                if re.search(rb"(?<![0-9])" + str(value).encode() + rb"(?![0-9])", later):
                    field = f"{name.upper()}{k}"
                    lines.append(f"{field}=$(printf '%s' \"$R{k}\" | {_capture_number(name)})")
                    chosen[str(value)] = "${" + field + "}"
            lines.append(f'echo "{exchange.method} → {variable}=${variable}"')
        else:
            report = f"'%{{http_code}} {exchange.method}\\n'"
            options = ("-s", "-o", "/dev/null", "-w", report)
            lines.append(exchange.curl(show_secrets, options=options, **words))
    return "\n".join(lines)


def _numbers(exchange: Exchange) -> dict[str, int]:
    """The integer fields of a created conversation (created_at: the server's clock)."""
    body = exchange.json
    if not isinstance(body, dict):
        return {}
    return {
        name: value
        for name, value in body.items()
        if isinstance(value, int) and not isinstance(value, bool) and re.fullmatch(r"\w+", name)
    }


def _capture_number(name: str) -> str:
    return f"sed -n 's/.*\"{name}\" *: *\\(-\\{{0,1\\}}[0-9]*\\).*/\\1/p'"


def _body_word(body: bytes, chosen: dict[str, str]) -> str | None:
    """A printable body in double quotes with the server's values as their variables; None
    when it has none of them (it is pasted as it is)."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return None
    pattern = _chosen_pattern(chosen)
    if not text or pattern is None or not pattern.search(text) or len(body) > 4000:
        return None
    parts, at = [], 0
    for match in pattern.finditer(text):
        parts += [_double_quoted(text[at : match.start()]), chosen[match.group()]]
        at = match.end()
    return '"' + "".join(parts) + _double_quoted(text[at:]) + '"'


def _chosen_pattern(chosen: dict[str, str]) -> re.Pattern[str] | None:
    if not chosen:
        return None
    values = sorted(chosen, key=len, reverse=True)
    return re.compile(r"(?<![0-9A-Za-z])(" + "|".join(map(re.escape, values)) + r")(?![0-9A-Za-z])")


def curl(exchange: Exchange, outcome: Outcome, show_secrets: bool) -> str:
    """One request as a curl command that runs as printed: the run's tokens as ``$TOKEN`` and
    ``$OTHER_TOKEN`` (or in clear with ``show_secrets``)."""
    auth = None if show_secrets else _auth_word(exchange, outcome.tokens)
    return exchange.curl(show_secrets, header_words={"authorization": auth} if auth else None)


def _relevant(requests: list[Exchange], base_url: str) -> tuple[list[Exchange], int]:
    """The requests the last answer can depend on. About a conversation the sequence created:
    every request about it (its create, updates, reads). A create: the earlier creates with the
    same body (a server may merge those). A list (GET of the collection) depends on the whole
    account: every request. Anything else (one conversation's, a method the path does not
    have): itself. With the number of requests it depends on that were left out to keep it
    short."""
    if not requests:
        return [], 0
    *earlier, last = requests
    # Reads change nothing on a server that keeps to the contract (GET and HEAD are safe): no
    # answer depends on them, but for one about a conversation, whose reads a broken server
    # may make change it.
    writes = [e for e in earlier if e.method not in ("GET", "HEAD")]
    url = last.url.lower()  # an id in other letter case is about the same conversation
    wanted = {found for e in writes if (found := _created_id(e)) and found.lower() in url}
    if wanted:
        about = [
            e
            for e in earlier
            if _created_id(e) in wanted or any(i.lower() in e.url.lower() for i in wanted)
        ]
        if len(about) >= MAX_SCRIPT_REQUESTS:
            # A long history (a sequence of updates): the conversation made again, with the
            # latest writes that fit and the request just before the answer; the writes the
            # server accepted first (they made its state), then the refused ones (a broken
            # server may have applied them in part). The re-run command replays them all.
            made = [e for e in about if _created_id(e) in wanted]
            others = [
                e
                for e in about
                if e.method not in ("GET", "HEAD") and not any(e is m for m in made)
            ]
            room = MAX_SCRIPT_REQUESTS - len(made) - 2
            accepted = [e for e in others if 200 <= e.status < 300][-room:] if room > 0 else []
            refused = [e for e in others if not 200 <= e.status < 300 and e is not about[-1]]
            kept = accepted + (refused[-(room - len(accepted)) :] if room > len(accepted) else [])
            cut = made + [e for e in about if e is about[-1] or any(e is k for k in kept)]
            return [*cut, last], len(about) - len(cut)
        return [*about, last], 0
    earlier = writes
    if last.method == "POST":
        same = [e for e in earlier if e.method == "POST" and e.request_body == last.request_body]
        return [*same, last], 0
    if last.method == "GET" and _is_collection(last.url, base_url):
        return [*earlier, last], 0
    return [last], 0


def _is_collection(url: str, base_url: str) -> bool:
    """Whether ``url`` is the collection (``/v1/conversations``) under the base URL, not an
    item (``/v1/conversations/{id}``): the collection has the fewer path segments."""
    path = urlsplit(url).path.removeprefix(urlsplit(base_url).path).rstrip("/")
    return path.count("/") <= 2


def _flag(variable: str) -> str:
    return variable.lower().replace("_", "-")


def _uses(exchange: Exchange, name: str, tokens: dict[str, str]) -> bool:
    return "${" + name + "}" in (_auth_word(exchange, tokens) or "")


# A token this short is no secret and too likely to be part of another word: it is replaced
# only where it is the whole credential.
_SHORTEST_TOKEN_IN_A_WORD = 8


def _auth_word(exchange: Exchange, tokens: dict[str, str]) -> str | None:
    """The Authorization header with the run's tokens as shell variables where they are the
    credential (or, for a long token, part of a credential made from it on purpose: a prefix, an
    extension); the scheme and anything else stay literal."""
    value = exchange.request_headers.get("authorization")
    if value is None:
        return None
    scheme, space, credential = value.partition(" ")
    if not space:
        scheme, credential = "", value
    word = _credential_word(scheme, credential, tokens)
    if word is None:
        return shlex.quote(f"Authorization: {value}")
    return '"Authorization: ' + _double_quoted(scheme + space) + word + '"'


def _credential_word(scheme: str, credential: str, tokens: dict[str, str]) -> str | None:
    """``credential`` inside double quotes with the token it is (or is made from) as a variable;
    None when it names no token of the run. Basic credentials (base64 of ``user:password``)
    that carry a token are rebuilt whole by the shell: base64 hides nothing."""
    if scheme.lower() == "basic":
        return _basic_word(credential, tokens) or _token_word(credential, tokens)
    return _token_word(credential, tokens)


def _token_word(text: str, tokens: dict[str, str]) -> str | None:
    """``text`` for the inside of double quotes with the run's token as a variable where it is
    the whole text, or (a long token only) part of it; None when it holds no token."""
    by_length = sorted(tokens.items(), key=lambda item: -len(item[1]))
    for name, token in by_length:
        if text == token:
            return "${" + name + "}"
    for name, token in by_length:
        if len(token) >= _SHORTEST_TOKEN_IN_A_WORD and token in text:
            return _double_quoted(text).replace(_double_quoted(token), "${" + name + "}")
    return None


def _basic_word(credential: str, tokens: dict[str, str]) -> str | None:
    """Basic credentials whose user or password holds a token of the run, as a command that
    encodes them again from the token's variable (the whole base64 replaced, whatever the
    token's length); None when they hold none, or are not base64 the shell writes the same."""
    try:
        pair = base64.b64decode(credential, validate=True).decode()
    except ValueError:  # not base64, or not UTF-8 text (UnicodeDecodeError is a ValueError)
        return None
    if not pair or base64.b64encode(pair.encode()).decode() != credential:
        return None
    fields = [_token_word(field, tokens) for field in pair.split(":", 1)]
    if all(word is None for word in fields):
        return None
    text = ":".join(
        _double_quoted(field) if word is None else word
        for field, word in zip(pair.split(":", 1), fields, strict=True)
    )
    return f"$(printf '%s' \"{text}\" | base64 | tr -d '\\n')"


def _double_quoted(text: str) -> str:
    """``text`` escaped for the inside of a double-quoted shell word."""
    for char in ("\\", "$", "`", '"'):
        text = text.replace(char, "\\" + char)
    return text


def _url_word(url: str, base_url: str, chosen: dict[str, str]) -> str:
    """The URL in double quotes, on $BASE, with the ids created earlier in the script as
    variables (a fresh server answers with fresh ids)."""
    rest = url[len(base_url) :] if url.startswith(base_url) else url
    pattern = _chosen_pattern({k: v for k, v in chosen.items() if not k.isdigit()})
    word = _double_quoted(rest)
    if pattern is not None:
        parts, at = [], 0
        for match in pattern.finditer(rest):
            parts += [_double_quoted(rest[at : match.start()]), chosen[match.group()]]
            at = match.end()
        word = "".join(parts) + _double_quoted(rest[at:])
    return f'"$BASE{word}"' if url.startswith(base_url) else f'"{word}"'


def _created_id(exchange: Exchange) -> str | None:
    body = exchange.json
    if exchange.method == "POST" and 200 <= exchange.status < 300 and isinstance(body, dict):
        found = body.get("id")
        return found if isinstance(found, str) and found else None
    return None
