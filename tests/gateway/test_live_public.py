"""The public 公示 through the gateway over the real services (issue 17): JSON and a printable Chinese page at
/public/periods/{id}/publication.{json,html} without sign-in, 404 before any 公示, only the columns the scheme
makes public, an ETag, a rate limit per client address, and the page rendered by a real headless Chromium that
sends no request anywhere but to the gateway.

Hand-worked: 重点工作 manual /100, ranked by total; bands 优秀 ≥ 90, 良好 ≥ 75. 乙 92 → rank 1 优秀, 甲 88 → rank 2
良好 (precision 2: 92.00, 88.00). Published Monday 2026-06-01 10:00 Shanghai for 5 working days: the window ends at
24:00 on Friday 2026-06-05 (2026-06-05T16:00:00Z)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from tests.gateway.live import Live, module_stack
from tests.gateway.test_live_publication import computed, local
from tests.local_http import serving

live = module_stack("public", local("2026-06-01T10:00:00"))
PUBLISH = "mutation($p: ID!, $d: Int) { publishResults(periodId: $p, workingDays: $d) { status closesAt } }"
DEFAULT_PROCEDURE = ("公示期间，被考核单位或个人对公示结果有异议的，请于公示截止前通过考核系统提出异议，"
                     "写明异议事项和理由，并附相关材料；也可书面向考核办公室反映。考核办公室逐件核实并答复。"
                     "公示期满后，考核结果经审定后生效。")


@pytest.fixture(scope="module")
def units(live: Live) -> dict[str, str]:
    return live.city(("甲街道", "a"), ("乙街道", "b"))


@pytest.fixture(scope="module")
def published(live: Live, units: dict[str, str]) -> str:
    period = computed(live, units, "public-default")
    assert live(live.token("admin", ""), PUBLISH, p=period["id"], d=5)["publishResults"] == {
        "status": "published", "closesAt": "2026-06-05T16:00:00Z"}
    return str(period["id"])


def stored_heads(live: Live, period_id: str) -> dict[str, dict[str, Any]]:
    """The chain heads ranking stored with the period's first publication, each checked against its chain: the
    head's record is in the service's audit chain with that hash, and the chain up to it holds `sequence`
    records (so they are the heads as they stood when the 公示 was published)."""
    async def read() -> dict[str, dict[str, Any]]:
        conn = await asyncpg.connect(live.database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            heads: dict[str, dict[str, Any]] = json.loads(await conn.fetchval(
                "SELECT chain_heads::text FROM ranking.publication WHERE period_id = $1 AND sequence = 1",
                period_id))
            for schema, head in heads.items():
                assert schema in ("evidence", "ranking", "scoring")
                # the schema names are the three services' own, checked just above
                row = await conn.fetchrow(f"SELECT hash, (SELECT count(*) FROM {schema}.audit_record "
                                          f"WHERE id <= $1) AS n FROM {schema}.audit_record WHERE id = $1",
                                          head["id"])
                assert (row["hash"], row["n"]) == (head["hash"], head["sequence"]), schema
            return heads
        finally:
            await conn.close()

    heads = asyncio.run(read())
    assert sorted(heads) == ["evidence", "ranking", "scoring"]
    assert all(head["sequence"] > 0 for head in heads.values())  # a scheme, a period, results: each chain has records
    return heads


def public(live: Live, path: str, **headers: str) -> httpx.Response:
    return live.http.get(f"{live.url}/public/periods/{path}", headers=headers)  # no credentials


def test_a_period_never_published_is_404(live: Live, units: dict[str, str]) -> None:
    period = computed(live, units, "public-unpublished")
    for suffix in ("json", "html"):
        answer = public(live, f"{period['id']}/publication.{suffix}")
        assert answer.status_code == 404
        assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # an id of nothing and a period not yet published answer alike, neither confirming that the id exists
    nothing = public(live, "no-such-period/publication.json", **{"Accept-Language": "en"})
    assert nothing.status_code == 404
    assert nothing.json()["errors"][0]["message"] == (
        "no 公示 of period no-such-period was found: there is no such period, or it has not been published")
    unpublished = public(live, f"{period['id']}/publication.json", **{"Accept-Language": "zh-CN"})
    assert unpublished.json()["errors"][0]["message"] == (
        f"未找到考核周期 {period['id']} 的公示：该周期不存在或尚未公示")
    assert public(live, f"{period['id']}/publication.pdf").status_code in (404, 422)


def test_the_json_shows_the_publication_and_nothing_more(live: Live, units: dict[str, str], published: str) -> None:
    answer = public(live, f"{published}/publication.json", **{"Accept-Language": "zh-CN"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "public, max-age=60"
    assert answer.headers["access-control-allow-origin"] == "*"
    # the column titles follow Accept-Language: the language is said, and a cache keeps a copy per language
    vary = "Accept-Encoding, Accept-Language"
    assert (answer.headers["content-language"], answer.headers["vary"]) == ("zh-CN", vary)
    english = public(live, f"{published}/publication.json", **{"Accept-Language": "en"})
    assert (english.headers["content-language"], english.headers["vary"]) == ("en", vary)
    assert english.json()["columns"] == [{"key": "rank", "title": "Rank"}, {"key": "name", "title": "Name"},
                                         {"key": "total", "title": "Total"}, {"key": "grade", "title": "Grade"},
                                         {"key": "labels", "title": "Labels"}]
    assert {**english.json(), "columns": None} == {**answer.json(), "columns": None}  # the office's texts as written
    body = answer.json()
    hashes = body.pop("entriesSha256"), body.pop("auditRecord")
    # the audit chains' heads stored with the publication, each {sequence, id, hash}, in service order
    heads = body.pop("chainHeads")
    assert list(heads) == ["evidence", "ranking", "scoring"]
    assert heads == stored_heads(live, published)
    assert body == {
        "periodId": published, "label": "2026-Q2", "title": "街道考核", "status": "published", "stale": False,
        "reopened": False,
        "publication": 1, "republication": False, "workingDays": 5, "publishedAt": body["publishedAt"],
        "closesAt": "2026-06-05T16:00:00Z", "firstDay": "2026-06-01", "lastDay": "2026-06-05",
        "finalizedAt": None, "objectionProcedure": DEFAULT_PROCEDURE,
        "columns": [{"key": "rank", "title": "名次"}, {"key": "name", "title": "名称"},
                    {"key": "total", "title": "总分"}, {"key": "grade", "title": "等次"},
                    {"key": "labels", "title": "标签"}],
        "rows": [{"rank": 1, "name": "乙街道", "total": "92.00", "grade": "优秀", "labels": []},
                 {"rank": 2, "name": "甲街道", "total": "88.00", "grade": "良好", "labels": []}],
    }
    assert body["publishedAt"].startswith("2026-06-01T02:00") and body["publishedAt"].endswith("Z")  # 10:00 Shanghai
    # the list's digest is in the publication's audit record, whose hash the page prints
    digest, record = hashes
    assert re.fullmatch("[0-9a-f]{64}", digest)
    trail = live(live.token("auditor", ""), 'query($e: String!) { auditTrail(entityId: $e, first: 100) { nodes '
                 '{ service id action hash details } } }', e=published)["auditTrail"]["nodes"]
    (event,) = [n for n in trail if n["action"] == "period.published"]
    assert (event["service"], event["details"]["entries_sha256"]) == ("ranking", digest)
    assert record == {"id": int(event["id"]), "hash": event["hash"]}
    # the publication's own record comes after ranking's stored head, and carries the same heads
    assert int(event["id"]) > heads["ranking"]["id"] and event["details"]["chain_heads"] == heads


def test_the_page_prints_the_chain_heads_stored_with_the_publication(live: Live, published: str) -> None:
    page = public(live, f"{published}/publication.html").text
    heads = stored_heads(live, published)
    section = page.split("<h2>审计链头</h2>", 1)[1]
    rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", section)]
    assert rows == [["服务", "记录数", "末条记录号", "链头哈希"]] + [
        [name, str(heads[key]["sequence"]), str(heads[key]["id"]), heads[key]["hash"]]
        for key, name in (("evidence", "证据服务"), ("ranking", "排名服务"), ("scoring", "评分服务"))]


def test_the_scheme_chooses_the_public_columns_and_the_procedure(live: Live, units: dict[str, str]) -> None:
    procedure = "对公示结果有异议的，请于公示期内向区考核办书面提出，电话 0571-00000000。"
    period = computed(live, units, "public-columns",
                      publication={"public_columns": ["total", "group", "name"], "objection_procedure": procedure})
    live(live.token("admin", ""), PUBLISH, p=period["id"], d=5)
    body = public(live, f"{period['id']}/publication.json").json()
    assert [c["key"] for c in body["columns"]] == ["name", "group", "total"]
    assert body["rows"] == [{"name": "乙街道", "group": "街道", "total": "92.00"},
                            {"name": "甲街道", "group": "街道", "total": "88.00"}]
    assert body["objectionProcedure"] == procedure
    page = public(live, f"{period['id']}/publication.html").text
    assert procedure in page and "名次" not in page and "良好" not in page


def test_an_unchanged_notice_is_304_with_its_etag(live: Live, published: str) -> None:
    for suffix in ("json", "html"):
        first = public(live, f"{published}/publication.{suffix}")
        etag = first.headers["etag"]
        again = public(live, f"{published}/publication.{suffix}", **{"If-None-Match": etag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
        other = public(live, f"{published}/publication.{suffix}", **{"If-None-Match": '"stale"'})
        assert other.status_code == 200 and other.content == first.content


class Recorder:
    """An HTTP proxy on 127.0.0.1 that records every request the browser makes and passes on only those to the
    gateway; anything else (or a CONNECT tunnel) is refused, after being recorded."""

    def __init__(self, gateway: str) -> None:
        self.seen: list[str] = []
        allowed = urlsplit(gateway).netloc
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _pass(self) -> None:
                recorder.seen.append(f"{self.command} {self.path}")
                if self.command != "GET" or urlsplit(self.path).netloc != allowed:
                    self.send_response(403)
                    self.end_headers()
                    return
                upstream = httpx.get(self.path, timeout=30)
                self.send_response(upstream.status_code)
                for name in ("content-type", "content-security-policy"):
                    if name in upstream.headers:
                        self.send_header(name, upstream.headers[name])
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = do_POST = do_HEAD = do_CONNECT = _pass

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def recorder(live: Live) -> Iterator[Recorder]:
    proxy = Recorder(live.url)
    with serving(proxy.server):
        yield proxy


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# the browser's own background calls (component updates, Google account), never the page's
CHROMIUMS_OWN = re.compile(r"(CONNECT (update\.googleapis\.com|accounts\.google\.com):443|"
                           r"(GET|POST) http://(update\.googleapis\.com|clients2\.google\.com)/)")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install -y chromium)")
def test_the_page_renders_in_headless_chromium_and_loads_nothing_else(
        live: Live, published: str, recorder: Recorder, tmp_path: Path) -> None:
    url = f"{live.url}/public/periods/{published}/publication.html"
    flags = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
             "--disable-extensions", "--disable-features=NetworkTimeServiceQuerying,MediaRouter,OptimizationHints",
             "--disable-client-side-phishing-detection", "--disable-domain-reliability", "--no-pings",
             f"--user-data-dir={tmp_path / 'profile'}",
             f"--proxy-server={recorder.url}", "--proxy-bypass-list=<-loopback>"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout
    assert "<h1>2026-Q2 街道考核考核结果公示</h1>" in text
    assert "公示期：2026年6月1日至2026年6月5日（5个工作日），截至2026年6月5日24时（北京时间）。" in text
    assert "发布时间：2026年6月1日 10:00（北京时间）。" in text  # published Monday 06-01 02:00Z
    rows = re.findall(r"<tr>(.*?)</tr>", text, flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows]
    heads = stored_heads(live, published)
    assert cells == [["名次", "名称", "总分", "等次", "标签"], ["1", "乙街道", "92.00", "优秀", ""],
                     ["2", "甲街道", "88.00", "良好", ""],
                     # 审计链头: each service's chain head stored with the publication
                     ["服务", "记录数", "末条记录号", "链头哈希"],
                     ["证据服务", str(heads["evidence"]["sequence"]), str(heads["evidence"]["id"]),
                      heads["evidence"]["hash"]],
                     ["排名服务", str(heads["ranking"]["sequence"]), str(heads["ranking"]["id"]),
                      heads["ranking"]["hash"]],
                     ["评分服务", str(heads["scoring"]["sequence"]), str(heads["scoring"]["id"]),
                      heads["scoring"]["hash"]]]
    assert "<h2>审计链头</h2>" in text
    assert "异议受理" in text and DEFAULT_PROCEDURE in text
    pdf = tmp_path / "gongshi.pdf"
    printed = subprocess.run([*flags, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url],
                             capture_output=True, text=True, timeout=120, check=False)
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 5_000
    # The page itself, twice (the DOM and the print), and nothing else of the page's: no font, script, image or
    # ping. Chromium's own component-updater and account requests, which its flags do not silence in the new
    # headless mode, were refused by the recorder (403): nothing left the host.
    page = [r for r in recorder.seen if not CHROMIUMS_OWN.match(r)]
    assert page == [f"GET {url}", f"GET {url}"], recorder.seen


def test_each_client_address_is_rate_limited(live: Live, published: str) -> None:
    """Last in this module: it uses up 127.0.0.1's allowance (30 at once, then 1 a second). A new X-Forwarded-For
    on each request changes nothing: without KAOHE_TRUSTED_PROXIES no proxy header is believed (attacker probe,
    branch `keys`)."""
    answers = [public(live, f"{published}/publication.json", **{"X-Forwarded-For": f"10.0.{i}.1"})
               for i in range(40)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and all(a.status_code == 200 for a in answers[:len(answers) - len(limited)])
    refused = limited[0]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "reason": "rate_limited"}
