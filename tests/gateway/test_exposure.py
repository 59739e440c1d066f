"""What the gateway and the services show of themselves (issue 21, item 8): in production no GraphQL suggestion
names a field, argument or enum value introspection hides; /docs, /redoc and /openapi.json only where
KAOHE_PUBLIC_DOCS opens them; /metrics only behind KAOHE_METRICS_TOKEN; standard security headers on every
answer, and GraphiQL (development), Swagger UI and ReDoc served whole by the process (issue 22: no CDN), with a
Content-Security-Policy that allows what their pages load and nothing from elsewhere."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from services.common.app import create_service_app
from services.common.settings import get_settings
from services.scoring.app import spec  # here, not under a test's production settings: its module app is built now
from tests.gateway.conftest import open_gateway
from tests.gateway.fakes import FakeBackend

PRODUCTION = {"KAOHE_ENVIRONMENT": "production", "KAOHE_JWT_ISSUER": "https://idp.city.gov.cn/",
              "KAOHE_JWT_AUDIENCE": "kaohe"}
METRICS_TOKEN = "metrics-0123456789abcdef0123456789abcdef"
API_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer",
               "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"}


@pytest.mark.parametrize(("query", "message"), [
    ("{ me { subjec } }", "Cannot query field 'subjec' on type 'Me'."),
    ("{ verifyAuditChain(service: EVIDENC) { ok } }", "Value 'EVIDENC' does not exist in 'Service' enum."),
    ('{ period(idd: "p1") { id } }', "Unknown argument 'idd' on field 'Query.period'."),
])
async def test_production_suggests_no_names(monkeypatch: pytest.MonkeyPatch, bearer: Any, query: str,
                                            message: str) -> None:
    async with _gateway(monkeypatch) as development:
        suggested = (await development.post("/graphql", json={"query": query},
                                            headers=bearer(("auditor", "")))).json()["errors"][0]["message"]
    assert suggested.startswith(message + " Did you mean ")  # the leak, kept as a help in development
    async with _gateway(monkeypatch, **PRODUCTION) as production:
        errors = (await production.post("/graphql", json={"query": query},
                                        headers=bearer(("auditor", "")))).json()["errors"]
    assert errors[0]["message"] == message
    assert not [e for e in errors if "Did you mean" in e["message"]]


EVIDENCE = "mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id } }"
MISSPELT = {"periodId": "p", "subjectId": "s", "fact": "measure", "content": {}, "indicatr": "A1"}


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Variable '$i' has invalid value: Expected value of type 'EvidenceInput' not to include unknown field "
           "'indicatr', found: {'periodId': 'p', 'subjectId': 's', 'fact': 'measure', 'content': {}, "
           "'indicatr': 'A1'}."),
    ("zh-CN", "变量 '$i' 的值无效：类型 'EvidenceInput' 的值不能包含未知字段 'indicatr'，实际为：{'periodId': 'p', "
              "'subjectId': 's', 'fact': 'measure', 'content': {}, 'indicatr': 'A1'}。"),
])
async def test_production_suggests_no_input_field(monkeypatch: pytest.MonkeyPatch, bearer: Any, language: str,
                                                  message: str) -> None:
    """graphql-core puts the suggestion for an input object's unknown field in the middle of its sentence."""
    body = {"query": EVIDENCE, "variables": {"i": MISSPELT}}
    async with _gateway(monkeypatch) as development:
        suggested = (await development.post("/graphql", json=body, headers={
            **bearer(("submitter", "")), "Accept-Language": language})).json()["errors"]
    assert "'indicator'" in suggested[0]["message"]  # the leak, kept as a help in development
    async with _gateway(monkeypatch, **PRODUCTION) as production:
        errors = (await production.post("/graphql", json=body, headers={
            **bearer(("submitter", "")), "Accept-Language": language})).json()["errors"]
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [(message, "BAD_USER_INPUT")]


SETTINGS = ("KAOHE_ENVIRONMENT", "KAOHE_PUBLIC_DOCS", "KAOHE_METRICS_TOKEN", "KAOHE_JWT_ISSUER", "KAOHE_JWT_AUDIENCE")


def _only(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """The settings under test as given, none left over from the previous app of the test."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@asynccontextmanager
async def _gateway(monkeypatch: pytest.MonkeyPatch, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    _only(monkeypatch, env)
    async with open_gateway(monkeypatch, FakeBackend()) as gateway:
        yield gateway


@asynccontextmanager
async def _service(monkeypatch: pytest.MonkeyPatch, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    """A scoring app built with these settings (no lifespan: the routes checked need no database)."""
    _only(monkeypatch, env)
    get_settings.cache_clear()
    try:
        app = create_service_app(spec)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring") as client:
            yield client
    finally:
        get_settings.cache_clear()


DOCS = ("/docs", "/redoc", "/openapi.json")


async def test_documentation_is_closed_in_production_unless_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    async with _gateway(monkeypatch, **PRODUCTION) as gateway:
        assert [(await gateway.get(path)).status_code for path in DOCS] == [404, 404, 404]
    async with _service(monkeypatch, **PRODUCTION) as scoring:
        assert [(await scoring.get(path)).status_code for path in DOCS] == [404, 404, 404]
    async with _gateway(monkeypatch, KAOHE_PUBLIC_DOCS="gateway", **PRODUCTION) as gateway:
        assert [(await gateway.get(path)).status_code for path in DOCS] == [200, 200, 200]
    async with _service(monkeypatch, KAOHE_PUBLIC_DOCS="gateway", **PRODUCTION) as scoring:
        assert [(await scoring.get(path)).status_code for path in DOCS] == [404, 404, 404]
    async with _service(monkeypatch, KAOHE_PUBLIC_DOCS="gateway,scoring", **PRODUCTION) as scoring:
        assert [(await scoring.get(path)).status_code for path in DOCS] == [200, 200, 200]
    async with _service(monkeypatch) as scoring:  # development: open unless closed
        assert [(await scoring.get(path)).status_code for path in DOCS] == [200, 200, 200]
    async with _service(monkeypatch, KAOHE_PUBLIC_DOCS="none") as scoring:
        assert [(await scoring.get(path)).status_code for path in DOCS] == [404, 404, 404]


async def test_metrics_are_behind_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    async with _gateway(monkeypatch, **PRODUCTION) as gateway:
        assert (await gateway.get("/metrics")).status_code == 404  # no token set: not served
    async with _service(monkeypatch, **PRODUCTION) as scoring:
        assert (await scoring.get("/metrics")).status_code == 404
    async with _service(monkeypatch, KAOHE_METRICS_TOKEN=METRICS_TOKEN, **PRODUCTION) as scoring:
        anonymous = await scoring.get("/metrics")
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
        wrong = await scoring.get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN[:-1]})
        assert wrong.status_code == 401
        right = await scoring.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert right.status_code == 200 and "kaohe_http_requests_total" in right.text
    async with _gateway(monkeypatch, KAOHE_METRICS_TOKEN=METRICS_TOKEN, **PRODUCTION) as gateway:
        assert (await gateway.get("/metrics")).status_code == 401
        assert (await gateway.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})).status_code == 200
    async with _service(monkeypatch) as scoring:  # development without a token: open, as before
        assert (await scoring.get("/metrics")).status_code == 200


def _security_headers(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers.get(name, "") for name in API_HEADERS}


async def test_every_answer_carries_the_security_headers(monkeypatch: pytest.MonkeyPatch, bearer: Any) -> None:
    async with _gateway(monkeypatch, **PRODUCTION) as gateway:
        query = {"query": "{ me { subject } }"}
        answers = [await gateway.post("/graphql", json=query, headers=bearer(("auditor", ""))),
                   await gateway.post("/graphql", json=query),  # 401
                   await gateway.get("/nope"), await gateway.get("/healthz")]
        assert [_security_headers(a) for a in answers] == [API_HEADERS] * 4
        assert {a.headers["strict-transport-security"] for a in answers} == {"max-age=31536000"}
    async with _service(monkeypatch, **PRODUCTION) as scoring:
        answers = [await scoring.get("/healthz"), await scoring.get("/v1/units")]  # 200, 401
        assert [_security_headers(a) for a in answers] == [API_HEADERS] * 2


def _directive(policy: str, name: str) -> list[str]:
    found = [d.split()[1:] for d in policy.split(";") if d.split() and d.split()[0] == name]
    assert len(found) == 1, (name, policy)
    return found[0]


def _sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


async def _loaded_from_here(client: httpx.AsyncClient, html: str) -> list[str]:
    """Every script and stylesheet `html` names: a path of this same server (no scheme, no host) that answers
    200, with the integrity hash the page gives, if it gives one. Returns the paths."""
    named = re.findall(r'<script\b[^>]*\bsrc="([^"]+)"[^>]*>', html) + re.findall(
        r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"[^>]*>', html) + re.findall(
        r'<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="stylesheet"[^>]*>', html)
    assert named
    for path in named:
        assert path.startswith("/") and not path.startswith("//"), f"{path} is not served by this process"
        asset = await client.get(path)
        assert asset.status_code == 200, path
        integrity = re.search(rf'"{re.escape(path)}"\s+integrity="([^"]+)"', html)
        if integrity:
            assert integrity.group(1) == _sri(asset.content), f"{path} is not the vendored file the page expects"
    return named


async def test_graphiql_in_development_is_served_by_the_gateway_and_allowed_what_it_loads(
        gateway: httpx.AsyncClient) -> None:
    page = await gateway.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html, policy = page.text, page.headers["content-security-policy"]
    assert "https://" not in html  # no CDN left in the page
    named = await _loaded_from_here(gateway, html)
    assert sorted(named) == [f"/static/graphiql/{name}" for name in (
        "graphiql.min.css", "graphiql.min.js", "plugin-explorer.css", "plugin-explorer.umd.js",
        "react-dom.production.min.js", "react.production.min.js")]
    scripts = _directive(policy, "script-src")
    assert scripts[0] == "'self'" and not [s for s in scripts if not s.startswith("'")]  # no host at all
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.DOTALL)
    assert inline, "GraphiQL's page starts from an inline script"
    for body in inline:  # each inline script is allowed by its own hash, nothing else inline runs
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in scripts
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert _directive(policy, "connect-src") == ["'self'"]  # the page's queries go to this gateway
    assert _directive(policy, "style-src") == ["'self'", "'unsafe-inline'"]
    assert _directive(policy, "font-src") == _directive(policy, "img-src") == ["'self'", "data:"]
    assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_swagger_ui_and_redoc_load_nothing_from_outside(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    async with _service(monkeypatch) as scoring, _gateway(monkeypatch) as gateway:
        for client in (scoring, gateway):
            page = await client.get(path)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert "https://" not in page.text  # no CDN, no Google Fonts, no validator badge
            await _loaded_from_here(client, page.text)
            policy = page.headers["content-security-policy"]
            assert "https:" not in policy and "http:" not in policy
            assert _directive(policy, "script-src")[0] == "'self'"


async def test_graphiql_is_not_served_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    async with _gateway(monkeypatch, **PRODUCTION) as gateway:
        page = await gateway.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_html_that_is_not_one_of_our_pages_runs_nothing() -> None:
    """An attachment or any other HTML passing through keeps the API's policy: its inline script is not allowed."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from services.common.headers import SecurityHeadersMiddleware

    page = "<html><script>alert(document.cookie)</script></html>"
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.get("/attachments/{name}")(lambda name: HTMLResponse(page))
    app.get("/docs")(lambda: HTMLResponse(page))
    app.add_middleware(SecurityHeadersMiddleware, production=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        passing = await client.get("/attachments/evil.html")
        ours = await client.get("/docs")
    assert passing.headers["content-security-policy"] == API_HEADERS["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(b"alert(document.cookie)").digest()).decode()
    assert f"'sha256-{digest}'" in ours.headers["content-security-policy"]
    assert passing.text == ours.text == page


async def test_graphiql_speaks_the_negotiated_language(gateway: httpx.AsyncClient) -> None:
    """Newcomer probe: the page's `lang`, its loading text and the starter query's comment follow
    `Accept-Language`, as its `Content-Language` says; GraphiQL's own interface stays as it is."""
    pages = {}
    for language in ("zh-CN", "en"):
        page = await gateway.get("/graphql", headers={"Accept": "text/html", "Accept-Language": language})
        assert page.status_code == 200 and page.headers["content-language"] == language
        pages[language] = page.text
    assert '<html lang="zh-CN">' in pages["zh-CN"] and '<html lang="en">' in pages["en"]
    assert '<div id="graphiql" class="graphiql-container">加载中……</div>' in pages["zh-CN"]
    assert '<div id="graphiql" class="graphiql-container">Loading...</div>' in pages["en"]
    assert ('const EXAMPLE_QUERY = `# kaohe 的 GraphQL 接口。按 Ctrl-Enter 或运行按钮执行查询；\n'
            '# Ctrl-Space 补全名称。多数字段需要令牌：在下方 Headers 中添加\n'
            '#   {"Authorization": "Bearer <token>"}\n'
            '# 开发环境中可用 \\`kaohe token --role admin --scope ""\\` 生成。\n{\n  health {') in pages["zh-CN"]
    assert ("const EXAMPLE_QUERY = `# kaohe's GraphQL API. Run a query with Ctrl-Enter or the play button;\n"
            "# Ctrl-Space completes names. Most fields need a token: add\n"
            '#   {"Authorization": "Bearer <token>"}\n'
            '# under Headers below (\\`kaohe token --role admin --scope ""\\` makes one in development).\n{\n'
            "  health {") in pages["en"]
