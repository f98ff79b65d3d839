"""Auth hardening: digest-only token checks, no token in any log line, other accounts' ids look missing."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from protocol_kit.server.auth import Accounts, account_of
from protocol_kit.server.runner import running_server
from tests.support.serving import ServeProcess

TOKEN_A = "auth-hardening-token-A-9f8e7d6c5b4a"
TOKEN_B = "auth-hardening-token-B-0a1b2c3d4e5f"
MISSING = "MissingConvers01"  # well-formed, never created


def test_accounts_keep_and_compare_only_digests() -> None:
    """Review of auth.py: the accepted tokens are held as SHA-256 digests and looked up by digest.

    A set lookup of a digest compares digests, never the secret itself, so a guess that shares a
    longer prefix with a real token gets no closer in timing: the usual constant-time argument
    for hash-then-compare. (Timing itself is not asserted here: this machine is shared and noisy.)
    """
    accounts = Accounts([TOKEN_A])
    held = repr(vars(accounts))
    assert TOKEN_A not in held and account_of(TOKEN_A) in held
    assert accounts.authenticate(f"Bearer {TOKEN_A}") == account_of(TOKEN_A)
    for near_miss in (TOKEN_A[:-1], TOKEN_A + "0", TOKEN_A[:-1] + "X", TOKEN_A.upper()):
        with pytest.raises(Exception) as refused:
            accounts.authenticate(f"Bearer {near_miss}")
        assert getattr(refused.value, "status", None) == 401


def test_tokens_never_reach_the_logs(serve: ServeProcess) -> None:
    valid, other = serve.tokens
    wrong = valid + "-but-wrong"
    basic = base64.b64encode(f"user:{valid}".encode()).decode()
    serve.start()
    with httpx.Client(base_url=serve.url, timeout=10) as client:
        created = client.post(
            "/v1/conversations",
            json={"contact_id": "WAz8eIbvDR60rouK"},
            headers={"Authorization": f"Bearer {valid}"},
        )
        assert created.status_code == 201
        cid = created.json()["id"]
        answers = [
            client.get(f"/v1/conversations/{cid}", headers={"Authorization": f"Bearer {valid}"}),
            client.put(
                f"/v1/conversations/{cid}",
                json={"is_muted": True},
                headers={"Authorization": f"Bearer {valid}"},
            ),
            client.get(f"/v1/conversations/{cid}", headers={"Authorization": f"Bearer {other}"}),
            client.get("/v1/conversations", headers={"Authorization": f"Bearer {wrong}"}),
            client.get("/v1/conversations", headers={"Authorization": f"bearer    {valid}"}),
            client.get("/v1/conversations", headers={"Authorization": f"Basic {basic}"}),
            client.get("/v1/conversations", headers={"Authorization": valid}),
            client.get("/v1/conversations", headers={"X-Api-Key": valid}),
            client.get(
                "/v1/conversations",
                params={"access_token": valid, "limit": "x"},
                headers={"Authorization": f"Bearer {valid}"},
            ),
            client.post(
                "/v1/conversations",
                json={"contact_id": valid},
                headers={"Authorization": f"Bearer {wrong}"},
            ),
            client.delete(f"/v1/conversations/{cid}", headers={"Authorization": f"Bearer {valid}"}),
        ]
    assert {a.status_code for a in answers} >= {200, 204, 400, 401, 404}
    serve.stop()  # flush and close the log
    log = serve.log.read_text(errors="replace")
    assert log.count("\n") >= len(answers), (
        "the access log was not captured; the check would be empty"
    )
    for secret in (valid, other, wrong, basic):
        assert secret not in log
        assert secret[:12] not in log  # not even a prefix


@pytest.fixture(scope="module")
def two_accounts() -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with (
        running_server(tokens=[TOKEN_A, TOKEN_B]) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN_A}"}) as a,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN_B}"}) as b,
    ):
        yield a, b


def _comparable(answer: httpx.Response, ident: str) -> tuple[int, str, list[tuple[str, str]]]:
    headers = sorted((k, v) for k, v in answer.headers.items() if k != "date")
    return answer.status_code, answer.text.replace(ident, "<id>"), headers


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        ("GET", "/v1/conversations/{id}", None),
        ("PUT", "/v1/conversations/{id}", {"is_muted": True}),
        ("PUT", "/v1/conversations/{id}", {}),
        ("DELETE", "/v1/conversations/{id}", None),
        ("GET", "/v1/conversations?starting_after={id}", None),
        ("GET", "/v1/conversations?ending_before={id}&limit=3", None),
    ],
)
def test_another_accounts_id_answers_exactly_like_a_missing_one(
    two_accounts: tuple[httpx.Client, httpx.Client], method: str, target: str, body: dict | None
) -> None:
    owner, stranger = two_accounts
    created = owner.post("/v1/conversations", json={"group_id": "8Kw2bQqN1mTz7XcV"})
    assert created.status_code == 201
    theirs = created.json()

    foreign = stranger.request(method, target.format(id=theirs["id"]), json=body)
    missing = stranger.request(method, target.format(id=MISSING), json=body)

    assert foreign.status_code in (400, 404)
    assert _comparable(foreign, theirs["id"]) == _comparable(missing, MISSING)
    # And the stranger's attempt changed nothing for the owner.
    assert owner.get(f"/v1/conversations/{theirs['id']}").json() == theirs
