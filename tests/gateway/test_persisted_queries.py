"""Persisted queries over HTTP through the gateway app: APQ (Apollo's protocol) with its bounded
store, the allow-list mode with its start-up check, and `kaohe schema persist`."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from services.common.settings import ConfigError, get_settings, load_settings
from tests.cli_helpers import clean_env, run_kaohe
from tests.gateway.conftest import JWT_SECRET, open_gateway
from tests.gateway.fakes import FakeBackend

ME = "{ me { subject } }"
ME_DATA = {"data": {"me": {"subject": "zhao"}}}
FINALIZE = 'mutation { finalizePeriod(periodId: "p1") { sha256 } }'


def refusal(message: str, code: str) -> dict[str, Any]:
    """The body of a request refused before it ran: one error with its code, `data` null."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


NOT_FOUND = refusal("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def persisted(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


async def post(gateway: httpx.AsyncClient, headers: dict[str, str], *, query: str | None = None,
               sha256: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {}
    if query is not None:
        body["query"] = query
    if sha256 is not None:
        body["extensions"] = persisted(sha256)
    return await gateway.post("/graphql", json=body, headers=headers)


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors") or []]


@pytest.fixture
def me(bearer: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A reviewer's bearer token (signed with the secret every gateway of these tests has)."""
    monkeypatch.setenv("KAOHE_JWT_SECRET", JWT_SECRET)
    get_settings.cache_clear()
    headers: dict[str, str] = bearer(("reviewer", "city/a"), subject="zhao")
    get_settings.cache_clear()
    return headers


# --- APQ -----------------------------------------------------------------------------------------


async def test_a_miss_then_the_text_then_the_hash_alone(gateway: httpx.AsyncClient, me: dict[str, str],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    miss = await post(gateway, me, sha256=sha(ME))
    assert miss.status_code == 200 and miss.json() == NOT_FOUND
    logged = [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if r.name.startswith("strawberry")
              or r.name == "kaohe.gateway"]
    assert logged == [("INFO", "graphql PERSISTED_QUERY_NOT_FOUND: PersistedQueryNotFound", None)]  # no traceback
    assert miss.headers["cache-control"] == "private, no-cache, must-revalidate"
    stored = await post(gateway, me, query=ME, sha256=sha(ME))
    assert stored.status_code == 200 and stored.json() == ME_DATA
    again = await post(gateway, me, sha256=sha(ME).upper())  # hex digits in either case
    assert again.status_code == 200 and again.json() == ME_DATA
    plain = await post(gateway, me, query=ME)  # a raw text without a hash still runs in `apq` mode
    assert plain.json() == ME_DATA


async def test_a_hash_finds_only_the_texts_its_own_caller_sent(gateway: httpx.AsyncClient, me: dict[str, str],
                                                                bearer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attacker probe (branch `keys`): the store was shared, so user B sending only the hash of user A's text ran
    it, which told B that someone ran that exact text (literal ids included). Texts are kept per identity."""
    secret = 'query { submission(id: "s-7f3a") { status } }'
    assert (await post(gateway, me, query=secret, sha256=sha(secret))).status_code == 200
    assert (await post(gateway, me, sha256=sha(secret))).json() != NOT_FOUND  # zhao's own hash: served
    monkeypatch.setenv("KAOHE_JWT_SECRET", JWT_SECRET)
    get_settings.cache_clear()
    other = bearer(("reviewer", "city/a"), subject="qian")
    anonymous: dict[str, str] = {}
    for headers in (other, anonymous):
        miss = await post(gateway, headers, sha256=sha(secret))
        assert (miss.status_code, miss.json()) == (200, NOT_FOUND)
    assert (await post(gateway, other, query=ME, sha256=sha(ME))).json() == {"data": {"me": {"subject": "qian"}}}
    assert (await post(gateway, me, sha256=sha(ME))).json() == NOT_FOUND  # qian's text is not zhao's either


async def test_a_wrong_hash_is_refused_and_nothing_is_stored(gateway: httpx.AsyncClient, me: dict[str, str]) -> None:
    claimed = sha("{ me { grants { role } } }")
    wrong = await post(gateway, me, query=ME, sha256=claimed)
    assert wrong.status_code == 400
    assert wrong.json() == refusal("provided sha256Hash does not match the query text", "PERSISTED_QUERY_HASH_MISMATCH")
    assert (await post(gateway, me, sha256=claimed)).json() == NOT_FOUND
    assert (await post(gateway, me, sha256=sha(ME))).json() == NOT_FOUND


@pytest.mark.parametrize(("persistedQuery", "message"), [
    ({"version": 2, "sha256Hash": "ab" * 32}, 'persistedQuery must be {"version": 1, "sha256Hash": …}'),
    ("v1", 'persistedQuery must be {"version": 1, "sha256Hash": …}'),
    ({"version": True, "sha256Hash": "ab" * 32}, 'persistedQuery must be {"version": 1, "sha256Hash": …}'),
    ({"version": 1, "sha256Hash": "xyz"}, "persistedQuery.sha256Hash must be 64 hexadecimal digits"),
    ({"version": 1}, "persistedQuery.sha256Hash must be 64 hexadecimal digits"),
])
async def test_a_malformed_persisted_query_is_a_400(gateway: httpx.AsyncClient, me: dict[str, str],
                                                    persistedQuery: Any, message: str) -> None:
    response = await gateway.post("/graphql", json={"extensions": {"persistedQuery": persistedQuery}}, headers=me)
    assert response.status_code == 400
    assert response.json() == refusal(message, "BAD_REQUEST")


async def test_a_text_that_does_not_validate_is_not_stored(gateway: httpx.AsyncClient, me: dict[str, str]) -> None:
    unknown = "{ me { nope } }"
    refused = await post(gateway, me, query=unknown, sha256=sha(unknown))
    assert refused.json()["errors"][0]["message"] == "Cannot query field 'nope' on type 'Me'."
    assert (await post(gateway, me, sha256=sha(unknown))).json() == NOT_FOUND
    # the limits apply to a persisted text as to a raw one: 29 pages of 100 subjects with 20 scores
    costly = "{ " + " ".join(f'a{i}: subjects(periodId: "p1", first: 100) {{ nodes {{ id score {{ total '
                             "indicators { code value } } } }" for i in range(29)) + " }"
    assert codes(await post(gateway, me, query=costly, sha256=sha(costly))) == ["QUERY_TOO_COSTLY"]
    assert (await post(gateway, me, sha256=sha(costly))).json() == NOT_FOUND


async def test_introspection_stays_off_in_production_for_persisted_texts(
        monkeypatch: pytest.MonkeyPatch, bearer: Any) -> None:
    introspect = "{ __schema { queryType { name } } }"
    async with open_gateway(monkeypatch, FakeBackend(), KAOHE_ENVIRONMENT="production",
                            KAOHE_JWT_ISSUER="https://idp.city.gov.cn/", KAOHE_JWT_AUDIENCE="kaohe") as gateway:
        me = bearer(("reviewer", "city/a"), subject="zhao")  # production requires the token's iss and aud
        refused = await post(gateway, me, query=introspect, sha256=sha(introspect))
        assert refused.json()["errors"][0]["message"].startswith("GraphQL introspection has been disabled")
        assert (await post(gateway, me, sha256=sha(introspect))).json() == NOT_FOUND
        assert (await post(gateway, me, query=ME, sha256=sha(ME))).json() == ME_DATA  # APQ is on in production


async def test_get_serves_queries_by_hash_and_never_mutations(gateway: httpx.AsyncClient, me: dict[str, str],
                                                              backend: FakeBackend, bearer: Any) -> None:
    html = {**me, "Accept": "text/html"}  # a browser-like Accept: still a query, not GraphiQL
    params = {"extensions": json.dumps(persisted(sha(ME)))}
    miss = await gateway.get("/graphql", params=params, headers=html)
    assert miss.status_code == 200 and miss.json() == NOT_FOUND
    stored = await gateway.get("/graphql", params={**params, "query": ME}, headers=me)
    assert stored.json() == ME_DATA
    hit = await gateway.get("/graphql", params=params, headers=html)
    assert hit.status_code == 200 and hit.json() == ME_DATA
    with_variables = "query($p: ID!) { period(id: $p) { id label } }"
    await post(gateway, me, query=with_variables, sha256=sha(with_variables))
    found = await gateway.get("/graphql", headers=me, params={
        "extensions": json.dumps(persisted(sha(with_variables))), "variables": json.dumps({"p": "p1"})})
    assert found.json() == {"data": {"period": {"id": "p1", "label": "2026Q1"}}}

    admin = bearer(("admin", ""))
    finalized = await post(gateway, admin, query=FINALIZE, sha256=sha(FINALIZE))  # stored over POST
    assert finalized.json() == {"data": {"finalizePeriod": {"sha256": "cd" * 32}}}
    assert len(backend.writes()) == 1
    by_get = await gateway.get("/graphql", headers=admin,
                               params={"extensions": json.dumps(persisted(sha(FINALIZE)))})
    assert by_get.status_code == 400 and "mutations are not allowed when using GET" in by_get.text
    assert len(backend.writes()) == 1


async def test_the_store_is_bounded_by_count_least_recently_used_out(
        monkeypatch: pytest.MonkeyPatch, me: dict[str, str]) -> None:
    first, second, third = "{ me { subject } }", "{ me { subjectIds } }", "{ me { grants { role } } }"
    env = {"KAOHE_GATEWAY_PERSISTED_QUERIES_MAX_ENTRIES": "2"}
    async with open_gateway(monkeypatch, FakeBackend(), **env) as gateway:
        for text in (first, second):
            assert "data" in (await post(gateway, me, query=text, sha256=sha(text))).json()
        assert "data" in (await post(gateway, me, sha256=sha(first))).json()  # first is now the most recent
        assert "data" in (await post(gateway, me, query=third, sha256=sha(third))).json()
        assert (await post(gateway, me, sha256=sha(second))).json() == NOT_FOUND
        assert (await post(gateway, me, sha256=sha(first))).json() == ME_DATA
        third_data = {"data": {"me": {"grants": [{"role": "reviewer"}]}}}
        assert (await post(gateway, me, sha256=sha(third))).json() == third_data


async def test_the_store_is_bounded_by_bytes(monkeypatch: pytest.MonkeyPatch, me: dict[str, str]) -> None:
    # three texts of 400 bytes each (padded with blanks) in a budget of 1,024 bytes: two fit
    texts = [(text + " " * 400)[:400] for text in ("{ me { subject } }", "{ me { subjectIds } }",
                                                   "{ me { grants { role } } }")]
    huge = ME + " " * 1100  # over the whole budget: it runs, it is not kept
    env = {"KAOHE_GATEWAY_PERSISTED_QUERIES_MAX_BYTES": "1024"}
    async with open_gateway(monkeypatch, FakeBackend(), **env) as gateway:
        for text in texts:
            assert "data" in (await post(gateway, me, query=text, sha256=sha(text))).json()
        assert (await post(gateway, me, sha256=sha(texts[0]))).json() == NOT_FOUND
        assert "data" in (await post(gateway, me, sha256=sha(texts[1]))).json()
        assert "data" in (await post(gateway, me, sha256=sha(texts[2]))).json()
        assert (await post(gateway, me, query=huge, sha256=sha(huge))).json() == ME_DATA
        assert (await post(gateway, me, sha256=sha(huge))).json() == NOT_FOUND
        assert "data" in (await post(gateway, me, sha256=sha(texts[1]))).json()  # nothing evicted for it


async def test_off_says_not_supported_and_runs_texts(monkeypatch: pytest.MonkeyPatch, me: dict[str, str]) -> None:
    async with open_gateway(monkeypatch, FakeBackend(), KAOHE_GATEWAY_PERSISTED_QUERIES="off") as gateway:
        for query in (None, ME):
            response = await post(gateway, me, query=query, sha256=sha(ME))
            assert response.status_code == 200
            assert response.json() == refusal("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        assert (await post(gateway, me, query=ME)).json() == ME_DATA


# --- allow-list ----------------------------------------------------------------------------------


def _manifest(tmp_path: Path, entries: Any) -> str:
    path = tmp_path / "manifest.json"
    path.write_text(entries if isinstance(entries, str) else json.dumps(entries), encoding="utf-8")
    return str(path)


async def test_the_allow_list_runs_listed_documents_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         me: dict[str, str]) -> None:
    grants = "{ me { grants { role scope } } }"
    env = {"KAOHE_GATEWAY_PERSISTED_QUERIES": "allowlist",
           "KAOHE_GATEWAY_PERSISTED_QUERIES_FILE": _manifest(tmp_path, {sha(ME): ME, sha(grants): grants})}
    not_allowed_text = refusal("this gateway runs only its listed documents; send the persistedQuery hash without "
                               "the text", "PERSISTED_QUERY_NOT_ALLOWED")
    async with open_gateway(monkeypatch, FakeBackend(), **env) as gateway:
        assert (await post(gateway, me, sha256=sha(ME))).json() == ME_DATA
        listed = await gateway.get("/graphql", headers=me, params={"extensions": json.dumps(persisted(sha(grants)))})
        assert listed.json() == {"data": {"me": {"grants": [{"role": "reviewer", "scope": "city/a"}]}}}
        for query, sha256 in ((ME, None), ("{ me { subjectIds } }", None), (ME, sha(ME))):
            refused = await post(gateway, me, query=query, sha256=sha256)
            assert refused.status_code == 400 and refused.json() == not_allowed_text
        unknown = await post(gateway, me, sha256=sha("{ me { subjectIds } }"))
        assert unknown.status_code == 400
        assert unknown.json() == refusal("this document is not on the gateway's allow-list",
                                         "PERSISTED_QUERY_NOT_ALLOWED")


TOO_DEEP = '{ period(id: "p1") { indicators { ' + "children { " * 10 + "code" + " }" * 13
SETTING = "KAOHE_GATEWAY_PERSISTED_QUERIES_FILE"


@pytest.mark.parametrize(("entries", "message"), [
    ({"ab" * 32: ME}, f"{SETTING}: entry '{'ab' * 32}': the key is not the SHA-256 of its text (that is {sha(ME)})"),
    ({sha("{ me { "): "{ me { "}, f"{SETTING}: entry '{sha('{ me { ')}': Syntax Error: Expected Name, found <EOF>."),
    ({sha(ME): ME, sha("{ qqqqq }"): "{ qqqqq }"},
     f"{SETTING}: entry '{sha('{ qqqqq }')}': Cannot query field 'qqqqq' on type 'Query'."),
    ({sha(TOO_DEEP): TOO_DEEP},
     f"{SETTING}: entry '{sha(TOO_DEEP)}': 'anonymous' exceeds maximum operation depth of 10"),
    ({sha(ME): 7}, f"{SETTING}: entry '{sha(ME)}': the query text must be a string"),
    ({}, f"{SETTING}: must be a non-empty JSON object {{sha256: query text}}"),
    ("[1, 2", None),
])
def test_a_bad_manifest_stops_the_start_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       entries: Any, message: str | None) -> None:
    path = _manifest(tmp_path, entries)
    monkeypatch.setenv("KAOHE_GATEWAY_PERSISTED_QUERIES", "allowlist")
    if message is None:
        message = f"{SETTING}: {path} is not JSON: Expecting ',' delimiter: line 1 column 6 (char 5)"
    assert _start_refused(monkeypatch, path) == message and "\n" not in message


def _start_refused(monkeypatch: pytest.MonkeyPatch, manifest: str) -> str:
    """The ConfigError of building the gateway app with this manifest file."""
    monkeypatch.setenv(SETTING, manifest)
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError) as raised:
            create_app(clients=FakeBackend().clients())
    finally:
        get_settings.cache_clear()
    return str(raised.value)


def test_the_allow_list_needs_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KAOHE_GATEWAY_PERSISTED_QUERIES", "allowlist")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value) == ("KAOHE_GATEWAY_PERSISTED_QUERIES=allowlist needs KAOHE_GATEWAY_PERSISTED_QUERIES_FILE "
                                 "(a JSON manifest {sha256: query text}; `kaohe schema persist` builds one)")
    missing = str(tmp_path / "missing.json")
    assert _start_refused(monkeypatch, missing) == f"{SETTING}: cannot read {missing}: No such file or directory"


# --- the CLI -------------------------------------------------------------------------------------


def test_schema_persist_builds_the_manifest_the_gateway_accepts(tmp_path: Path) -> None:
    folder = tmp_path / "queries"
    (folder / "mobile").mkdir(parents=True)
    ranking = 'query Ranking($p: ID!) {\n  subjects(periodId: $p, first: 100) { nodes { id name } }\n}\n'
    mine = "# 我的\nquery Mine { me { subject } }\n"
    (folder / "ranking.graphql").write_text(ranking, encoding="utf-8")
    (folder / "mobile" / "mine.graphql").write_text(mine, encoding="utf-8")
    (folder / "notes.txt").write_text("not a document", encoding="utf-8")
    out = tmp_path / "manifest.json"
    env = clean_env(KAOHE_DATA_DIR=tmp_path)
    done = run_kaohe("schema", "persist", str(folder), "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out}: 2 documents"
    assert json.loads(out.read_text(encoding="utf-8")) == {sha(ranking): ranking, sha(mine): mine}
    (folder / "bad.graphql").write_text("{ me { nope } }", encoding="utf-8")
    bad = run_kaohe("schema", "persist", str(folder), "--out", str(tmp_path / "other.json"), env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"kaohe: {folder / 'bad.graphql'}: Cannot query field 'nope' on type 'Me'."
    assert not (tmp_path / "other.json").exists()
    empty = run_kaohe("schema", "persist", str(tmp_path / "mobile-none"), "--out", str(out), env=env)
    assert empty.returncode == 2 and empty.stderr.strip() == f"kaohe: {tmp_path / 'mobile-none'} is not a folder"


def test_serve_refuses_a_bad_manifest_with_one_line(tmp_path: Path) -> None:
    path = _manifest(tmp_path, {"ab" * 32: ME})
    env = clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_SERVICE_TOKEN_SECRET="s" * 32,
                    KAOHE_GATEWAY_PERSISTED_QUERIES="allowlist", KAOHE_GATEWAY_PERSISTED_QUERIES_FILE=path)
    done = run_kaohe("serve", "gateway", env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"kaohe: {SETTING}: entry '{'ab' * 32}': the key is not the SHA-256 of its "
                                   f"text (that is {sha(ME)})")
