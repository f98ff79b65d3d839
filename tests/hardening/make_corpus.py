"""Writes hostile_corpus.jsonl, the hostile-input corpus (run it after changing the categories below)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Seeded by the test with fixed ids: KNOWN belongs to the test account, the group to it too.
KNOWN = "KnownConversat01"
GROUP = "8Kw2bQqN1mTz7XcV"
CONTACT = "WAz8eIbvDR60rouK"
JSON = [["Content-Type", "application/json"]]
FORM = [["Content-Type", "application/x-www-form-urlencoded"]]
ONE = f"/v1/conversations/{KNOWN}"
ALL = "/v1/conversations"

INJECTIONS = [
    "' OR '1'='1",
    '"; DROP TABLE conversations; --',
    "1; SELECT * FROM conversations",
    "../../../../etc/passwd",
    "${jndi:ldap://127.0.0.1/x}",
    "<script>alert(1)</script>",
    "{{7*7}}%s%n",
    "\r\nSet-Cookie: injected=1",
]


def _q(text: str) -> str:
    """Percent-encode every byte that is not unreserved, as a query or path segment."""
    from urllib.parse import quote

    return quote(text, safe="")


def entries() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(category: str, name: str, method: str, target: Any, expect: Any, **more: Any) -> None:
        out.append(
            {
                "category": category,
                "name": name,
                "method": method,
                "target": target,
                "expect": expect,
                **more,
            }
        )

    # Malformed JSON: each would be a valid create/update if it parsed, so 400 is the only answer.
    for i, body in enumerate(
        [
            "{",
            "}",
            '{"contact_id":',
            '{"contact_id": "WAz8eIbvDR60rouK"',
            "{contact_id: 1}",
            "{'contact_id': 'WAz8eIbvDR60rouK'}",
            '{"contact_id": "WAz8eIbvDR60rouK",}',
            '["contact_id"]',
            "null",
            "true",
            "42",
            '"WAz8eIbvDR60rouK"',
            "NaN",
            "Infinity",
            '{"contact_id": NaN}',
            '{"contact_id": "WAz8eIbvDR60rouK"} trailing',
            '{"contact_id": "WAz8eIbvDR60rouK"}{}',
            '/* c */ {"contact_id": "WAz8eIbvDR60rouK"}',
            "{\"contact_id\": 'WAz8eIbvDR60rouK'}",
            '\ufeff{"contact_id": "WAz8eIbvDR60rouK"}',
            '{"contact_id": "\\x41"}',
            '{"contact_id": "WAz8eIbvDR60rouK" "group_id": null}',
        ]
    ):
        add(
            "malformed-json", f"create #{i}: {body[:40]}", "POST", ALL, 400, headers=JSON, body=body
        )
    for i, body in enumerate(
        [
            '{"is_pinned": tru}',
            '{"is_pinned": True}',
            "[{}]",
            '{"archived_at": 0x10}',
            '{"archived_at": 01}',
            '{"archived_at": .5}',
            '{"is_muted": false,,}',
        ]
    ):
        add("malformed-json", f"update #{i}: {body}", "PUT", ONE, 400, headers=JSON, body=body)

    # Deeply nested JSON: must not exhaust the recursion limit into a 500.
    for depth in (1_000, 100_000):
        add(
            "deep-json",
            f"arrays {depth}",
            "POST",
            ALL,
            400,
            headers=JSON,
            body=[{"repeat": "[", "times": depth}, {"repeat": "]", "times": depth}],
        )
        add(
            "deep-json",
            f"objects {depth}",
            "POST",
            ALL,
            400,
            headers=JSON,
            body=[{"repeat": '{"a":', "times": depth}, "1", {"repeat": "}", "times": depth}],
        )
        add(
            "deep-json",
            f"in contact_id {depth}",
            "POST",
            ALL,
            400,
            headers=JSON,
            body=[
                '{"contact_id":',
                {"repeat": "[", "times": depth},
                {"repeat": "]", "times": depth},
                "}",
            ],
        )
        add(
            "deep-json",
            f"in archived_at {depth}",
            "PUT",
            ONE,
            400,
            headers=JSON,
            body=[
                '{"archived_at":',
                {"repeat": '{"x":', "times": depth},
                "0",
                {"repeat": "}", "times": depth},
                "}",
            ],
        )
    add(
        "deep-json",
        "unclosed 200k",
        "POST",
        ALL,
        400,
        headers=JSON,
        body=[{"repeat": "[", "times": 200_000}],
    )

    # Huge and negative numbers, floats where integers go.
    for value in [
        "-1",
        "-0.5",
        "9007199254740992",
        "18446744073709551616",
        "1e309",
        "-1e309",
        "1e400",
        "1.5",
        "0.000001",
        "1e-7",
        "1700000000.5",
        '"1700000000"',
        "[1]",
        '{"$gt": 0}',
        "true",
    ]:
        add(
            "numbers",
            f"archived_at={value}",
            "PUT",
            ONE,
            400,
            headers=JSON,
            body=f'{{"archived_at": {value}}}',
        )
    add(
        "numbers",
        "archived_at 5000 digits",
        "PUT",
        ONE,
        400,
        headers=JSON,
        body=['{"archived_at": ', {"repeat": "9", "times": 5000}, "}"],
    )
    add(
        "numbers",
        "archived_at -5000 digits",
        "PUT",
        ONE,
        400,
        headers=JSON,
        body=['{"archived_at": -', {"repeat": "9", "times": 5000}, "}"],
    )
    add("numbers", "form archived_at=-1", "PUT", ONE, 400, headers=FORM, body="archived_at=-1")
    add("numbers", "form archived_at=1.5", "PUT", ONE, 400, headers=FORM, body="archived_at=1.5")
    add(
        "numbers",
        "form archived_at huge",
        "PUT",
        ONE,
        400,
        headers=FORM,
        body=["archived_at=", {"repeat": "9", "times": 5000}],
    )
    for value in [
        "0",
        "-1",
        "101",
        "1.5",
        "10.0",
        "1e1",
        "99999999999999999999999",
        "0x10",
        "+5",
        " 5",
        "%EF%BC%95",
        "NaN",
        "",
    ]:
        add("numbers", f"limit={value}", "GET", f"{ALL}?limit={value}", 400)
    add(
        "numbers",
        "limit 5000 digits",
        "GET",
        [f"{ALL}?limit=", {"repeat": "9", "times": 5000}],
        400,
    )

    # NUL bytes and invalid UTF-8, in bodies, queries and paths.
    for name, body in [
        ("NUL in JSON string", '{"contact_id": "WAz8eIbvDR60rou\\u0000"}'),
        ("raw NUL in JSON", {"latin1": '{"contact_id": "WAz8eIbvDR60rou\x00"}'}),
        ("raw NUL before JSON", {"latin1": '\x00{"contact_id": "WAz8eIbvDR60rouK"}'}),
        ("0xff in JSON", {"latin1": '{"contact_id": "WAz8eIbvDR60rou\xff"}'}),
        ("overlong UTF-8", {"latin1": '{"contact_id": "WAz8eIbvDR60rou\xc0\xaf"}'}),
        ("UTF-16 body", {"latin1": "\xff\xfe{\x00}\x00"}),
        ("lone surrogate escape", '{"contact_id": "\\ud800"}'),
        ("surrogate key", '{"\\udfff": "WAz8eIbvDR60rouK"}'),
        ("CESU surrogate bytes", {"latin1": '{"contact_id": "\xed\xa0\x80aaaaaaaaaaaaa"}'}),
    ]:
        add("bytes", f"create: {name}", "POST", ALL, 400, headers=JSON, body=[body])
    for name, body in [
        ("form %00", "contact_id=WAz8eIbvDR60rou%00"),
        ("form %FF", "contact_id=%FF"),
        ("form raw 0xff", {"latin1": "contact_id=\xff"}),
        ("form raw NUL", {"latin1": "contact_id=WAz8eIbvDR60rou\x00"}),
        ("form surrogate", "contact_id=%ED%A0%80"),
    ]:
        add("bytes", f"create: {name}", "POST", ALL, 400, headers=FORM, body=[body])
    for param in ["group_id", "starting_after", "ending_before", "muted", "limit"]:
        add("bytes", f"{param}=%00", "GET", f"{ALL}?{param}=%00", 400)
        add("bytes", f"{param}=%FF%FE", "GET", f"{ALL}?{param}=%FF%FE", 400)
    for name, target in [
        ("path %00", f"{ALL}/%00"),
        ("path %FF", f"{ALL}/%FF%FE"),
        ("path NUL id", f"{ALL}/" + "%00" * 16),
    ]:
        add("bytes", name, "GET", target, 404)
    add("bytes", "raw NUL in target", "GET", [{"latin1": f"{ALL}/\x00abc"}], 400)
    add("bytes", "raw 0xff in target", "GET", [{"latin1": f"{ALL}/\xff\xfe"}], 400)
    add("bytes", "raw NUL in header", "GET", ALL, 400, headers=[["X-Test", [{"latin1": "a\x00b"}]]])

    # Overlong and unicode ids, in the path (404), the query and the body (400).
    for name, ident in [
        ("17 chars", "xgQQXg3hrtjh7AvZZ"),
        ("15 chars", "xgQQXg3hrtjh7Av"),
        ("10k chars", None),
        ("umlauts", "ÄÖÜäöüßÄÖÜäöüßÄÖ"),
        ("emoji", "😀" * 16),
        ("fullwidth", "ｘｇＱＱＸｇ３ｈｒｔｊｈ７ＡｖＺ"),
        ("RTL", "\u202exgQQXg3hrtjh7Av"),
        ("combining", "xgQQXg3hrtjh7Av\u0301"),
        ("dot", ".."),
    ]:
        target: Any = (
            [f"{ALL}/", {"repeat": "a", "times": 10_000}] if ident is None else f"{ALL}/{_q(ident)}"
        )
        for method in ("GET", "DELETE"):
            add("ids", f"{method} path {name}", method, target, 404)
        value = "a" * 10_000 if ident is None else ident
        add(
            "ids",
            f"create contact_id {name}",
            "POST",
            ALL,
            400,
            headers=JSON,
            body=json.dumps({"contact_id": value}),
        )
        add("ids", f"starting_after {name}", "GET", f"{ALL}?starting_after={_q(value)}", 400)
    add(
        "ids",
        "update pinned_message_id 17 chars",
        "PUT",
        ONE,
        400,
        headers=JSON,
        body='{"pinned_message_id": "xgQQXg3hrtjh7AvZZ"}',
    )

    # Injection strings in every parameter and attribute.
    for i, text in enumerate(INJECTIONS):
        add("injection", f"path id #{i}", "GET", f"{ALL}/{_q(text)}", 404)
        add(
            "injection",
            f"PUT path id #{i}",
            "PUT",
            f"{ALL}/{_q(text)}",
            404,
            headers=JSON,
            body="{}",
        )
        for param in [
            "limit",
            "muted",
            "archived",
            "pinned",
            "group_id",
            "starting_after",
            "ending_before",
        ]:
            add("injection", f"{param} #{i}", "GET", f"{ALL}?{param}={_q(text)}", 400)
        for attribute in ["contact_id", "group_id"]:
            add(
                "injection",
                f"create {attribute} #{i}",
                "POST",
                ALL,
                400,
                headers=JSON,
                body=json.dumps({attribute: text}),
            )
        for attribute in ["pinned_message_id", "is_pinned", "is_muted", "archived_at"]:
            add(
                "injection",
                f"update {attribute} #{i}",
                "PUT",
                ONE,
                400,
                headers=JSON,
                body=json.dumps({attribute: text}),
            )
        add(
            "injection",
            f"form attribute name #{i}",
            "POST",
            ALL,
            400,
            headers=FORM,
            body=f"contact_id={CONTACT}&{_q(text)}=1",
        )

    # Repeated parameters and attributes.
    for param, a, b in [
        ("limit", "5", "6"),
        ("limit", "5", "5"),
        ("muted", "true", "false"),
        ("archived", "true", "true"),
        ("pinned", "false", "true"),
        ("group_id", GROUP, GROUP),
        ("starting_after", KNOWN, KNOWN),
        ("ending_before", KNOWN, KNOWN),
    ]:
        add("repeated", f"{param} twice", "GET", f"{ALL}?{param}={a}&{param}={b}", 400)
    add(
        "repeated",
        "form contact_id twice",
        "POST",
        ALL,
        400,
        headers=FORM,
        body=f"contact_id={CONTACT}&contact_id={CONTACT}",
    )
    add(
        "repeated",
        "form is_muted twice",
        "PUT",
        ONE,
        400,
        headers=FORM,
        body="is_muted=true&is_muted=false",
    )
    add(
        "repeated",
        "both cursors",
        "GET",
        f"{ALL}?starting_after={KNOWN}&ending_before={KNOWN}",
        400,
    )

    # Wrong methods (HEAD gets no body by HTTP's rules: only its status is checked).
    for method in ["PATCH", "OPTIONS", "TRACE", "PUT", "DELETE", "FOO", "get", "HEAD"]:
        add("methods", f"{method} collection", method, ALL, 405, head=method == "HEAD")
    for method in ["PATCH", "OPTIONS", "TRACE", "POST", "PROPFIND", "HEAD"]:
        add("methods", f"{method} one", method, ONE, 405, head=method == "HEAD")
    add("methods", "unknown path", "GET", "/v2/conversations", 404)
    add("methods", "trailing slash", "GET", f"{ALL}/", 404)
    add("methods", "double slash", "GET", "/v1//conversations", 404)

    # Wrong content types, each with a body that would be valid as JSON.
    valid_create = json.dumps({"contact_id": CONTACT})
    for ctype in [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/json-patch+json",
        "application/x-www-form-urlencodedx",
        "*/*",
        "json",
        "text/json",
        ";",
    ]:
        add(
            "content-type",
            f"create as {ctype}",
            "POST",
            ALL,
            415,
            headers=[["Content-Type", ctype]],
            body=valid_create,
        )
    add("content-type", "create without content type", "POST", ALL, 415, body=valid_create)
    add(
        "content-type",
        "update as text/plain",
        "PUT",
        ONE,
        415,
        headers=[["Content-Type", "text/plain"]],
        body='{"is_muted": true}',
    )

    # Oversized bodies (the limit is 1 MiB) and oversized headers.
    mib = 1024 * 1024
    add(
        "oversized",
        "JSON body 1 MiB + 1",
        "POST",
        ALL,
        413,
        headers=JSON,
        body=['{"contact_id": "WAz8eIbvDR60rouK"}', {"repeat": " ", "times": mib + 1 - 34}],
    )
    add(
        "oversized",
        "form body 2 MiB",
        "POST",
        ALL,
        413,
        headers=FORM,
        body=[f"contact_id={CONTACT}&x=", {"repeat": "a", "times": 2 * mib}],
    )
    add(
        "oversized",
        "update body 1.5 MiB",
        "PUT",
        ONE,
        413,
        headers=JSON,
        body=['{"is_muted": true}', {"repeat": " ", "times": mib + mib // 2}],
    )
    add(
        "oversized",
        "chunked body 2 MiB",
        "POST",
        ALL,
        413,
        headers=JSON,
        chunked=True,
        body=['{"contact_id": "WAz8eIbvDR60rouK"}', {"repeat": " ", "times": 2 * mib}],
    )
    add(
        "oversized",
        "one 64 KiB header",
        "GET",
        ALL,
        [400, 431],
        headers=[["X-Big", [{"repeat": "a", "times": 65536}]]],
    )
    add(
        "oversized",
        "one 17 KiB header",
        "GET",
        ALL,
        [400, 431],
        headers=[["X-Big", [{"repeat": "a", "times": 17 * 1024}]]],
    )
    add(
        "oversized",
        "500 headers",
        "GET",
        ALL,
        [400, 431],
        headers=[[f"X-H{i}", "v"] for i in range(500)],
    )
    add(
        "oversized",
        "64 KiB Authorization",
        "GET",
        ALL,
        [400, 431],
        auth=["Bearer ", {"repeat": "a", "times": 65536}],
    )
    add(
        "oversized",
        "64 KiB target",
        "GET",
        [f"{ALL}?x=", {"repeat": "a", "times": 65536}],
        [400, 414],
    )
    add(
        "oversized",
        "17 KiB path",
        "GET",
        [f"{ALL}/", {"repeat": "a", "times": 17 * 1024}],
        [400, 414],
    )

    # Truncated bodies: the bytes sent match Content-Length, the document inside is cut short.
    doc = '{"contact_id": "WAz8eIbvDR60rouK", "group_id": null}'
    for cut in (1, 5, 14, 16, 25, 33, len(doc) - 1):
        add("truncated", f"JSON cut at {cut}", "POST", ALL, 400, headers=JSON, body=doc[:cut])
    for body in [
        "contact_id",
        "contact_id=WAz8e",
        "contact_id=WAz8eIbvDR60rouK&",
        "contact_id=%E2%82",
        "contact_id=WAz8eIbvDR60rouK&group_id",
    ]:
        add("truncated", f"form {body}", "POST", ALL, 400, headers=FORM, body=body)
    add("truncated", "JSON update cut", "PUT", ONE, 400, headers=JSON, body='{"is_muted": tr')

    # Authentication: every one is 401 with the challenge, never a 500 or a pass.
    for name, value in [
        ("Basic", "Basic dXNlcjpwYXNz"),
        ("Bearer only", "Bearer"),
        ("Bearer space", "Bearer    "),
        ("wrong token", "Bearer not-the-token"),
        ("token with NUL escape", "Bearer a%00b"),
        ("unicode token", [{"latin1": "Bearer \xc3\xa4\xc3\xb6"}]),
        ("injection token", "Bearer ' OR '1'='1"),
        ("lowercase scheme junk", "bearerx token"),
    ]:
        add("auth", name, "GET", ALL, 401, auth=value)
    add("auth", "no Authorization", "POST", ALL, 401, auth=None, headers=JSON, body=valid_create)

    # Malformed HTTP itself: answered by the protocol layer, still in the error shape.
    for name, raw in [
        ("garbage request line", "GARBAGE\r\n\r\n"),
        ("HTTP/0.9", "GET /v1/conversations\r\n\r\n"),
        ("no version", "GET /v1/conversations \r\n\r\n"),
        ("space in target", "GET /v1/conver sations HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("header without colon", "GET /v1/conversations HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"),
        ("space before colon", "GET /v1/conversations HTTP/1.1\r\nHost : x\r\n\r\n"),
        (
            "negative Content-Length",
            "POST /v1/conversations HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        ),
        (
            "text Content-Length",
            "POST /v1/conversations HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
        ),
        (
            "two Content-Lengths",
            "POST /v1/conversations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        ),
        (
            "gzip Transfer-Encoding",
            "POST /v1/conversations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        ),
        (
            "bad chunk size",
            "POST /v1/conversations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        ),
        ("missing Host on 1.1", "GET /v1/conversations HTTP/1.1\r\n\r\n"),
    ]:
        add("http", name, None, None, 400, raw=raw)
    # Lenient but legal parsing (RFC 9112 allows both): the request is read, and without a token is a 401.
    add(
        "http",
        "obsolete line folding",
        None,
        None,
        401,
        raw="GET /v1/conversations HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n",
    )
    add(
        "http",
        "LF line endings",
        None,
        None,
        401,
        raw="GET /v1/conversations HTTP/1.1\nHost: x\nConnection: close\n\n",
    )
    return out


def main() -> None:
    path = Path(__file__).with_name("hostile_corpus.jsonl")
    with path.open("w", encoding="utf-8") as out:
        for entry in entries():
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    print(f"{path}: {len(entries())} requests")


if __name__ == "__main__":
    main()
