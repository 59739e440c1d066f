"""The public 公示 (issue 17): `GET /public/periods/{period_id}/publication.json` and `….html`, without sign-in.

What a period's latest publication shows, in the columns its scheme makes public (by default rank, name, total,
grade and labels), with the publication dates, the objection procedure and the hashes that tie the list to
ranking's audit chain, with the heads of the three services' audit chains stored with the publication (审计链头);
nothing else (no scores by indicator, no subject ids unless the scheme lists them). The
HTML page is printable Chinese for posting on a government site and loads nothing: its one style sheet is inline,
allowed by its hash. Answers carry an ETag (a repeated request with If-None-Match is 304) and may be cached for a
minute; each client address may ask RATE_PER_MINUTE times a minute (429 with Retry-After beyond)."""

from __future__ import annotations

import base64
import hashlib
import html
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from gateway.errors import graphql_error_body
from kaohe.i18n import N_, _, localize, translate
from services.common import clock
from services.common.auth import Principal
from services.common.i18n import request_locale
from services.common.localtime import office_zone, shown_deadline, shown_instant
from services.common.peers import segment

router = APIRouter(prefix="/public", tags=["public"])
PUBLIC = Principal(subject="gateway:public", kind="service")  # reads the 公示 only (ranking: services only)
RATE_PER_MINUTE = 60  # requests per client address per minute, in bursts of up to BURST
BURST = 30
TRACKED_ADDRESSES = 10_000
FRESH_SECONDS = 5  # one ranking call per period per 5 s, however many read it
MAX_AGE_SECONDS = 60
# the columns' titles: in the reader's language in the JSON (名次, 编号 … in Chinese), Chinese on the page
COLUMN_TITLES = {"rank": N_("Rank"), "subject_id": N_("ID"), "name": N_("Name"), "group": N_("Group"),
                 "total": N_("Total"), "grade": N_("Grade"), "labels": N_("Labels")}
PAGE_LOCALE = "zh-CN"  # the printable page is the office's Chinese notice, whatever the reader asks
DEFAULT_PROCEDURE = ("公示期间，被考核单位或个人对公示结果有异议的，请于公示截止前通过考核系统提出异议，"
                     "写明异议事项和理由，并附相关材料；也可书面向考核办公室反映。考核办公室逐件核实并答复。"
                     "公示期满后，考核结果经审定后生效。")
STYLE = """body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","SimSun",sans-serif;
margin:2em auto;max-width:60em;padding:0 1em;color:#111;line-height:1.6}
h1{font-size:1.6em;text-align:center;margin-bottom:.2em}p.sub{text-align:center;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #444;padding:.35em .6em;text-align:center}
th{background:#eee}td.name{text-align:left}.note{font-size:.9em}.hash{font-family:monospace;word-break:break-all}
.warn{border:2px solid #b00;padding:.5em;color:#b00}
@media print{body{margin:0;max-width:none}th{background:none}a{color:inherit;text-decoration:none}}"""
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_POLICY = (f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; frame-ancestors 'none'; base-uri 'none'; "
               "form-action 'none'")


class RateLimiter:
    """A token bucket per client address: RATE_PER_MINUTE a minute, BURST at once; the least recently seen
    addresses are forgotten beyond TRACKED_ADDRESSES."""

    def __init__(self, per_minute: int = RATE_PER_MINUTE, burst: int = BURST) -> None:
        self.rate, self.burst = per_minute / 60.0, float(burst)
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address → (tokens, at)
        self.clock = time.monotonic

    def wait(self, address: str) -> float:
        """0 when `address` may go on (a token is taken), else the seconds until it may."""
        now = self.clock()
        tokens, at = self.buckets.pop(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self.buckets[address] = (tokens - 1, now)
            waited = 0.0
        else:
            self.buckets[address] = (tokens, now)
            waited = (1 - tokens) / self.rate
        while len(self.buckets) > TRACKED_ADDRESSES:
            self.buckets.popitem(last=False)
        return waited


@router.get("/periods/{period_id}/publication.{format}", summary="The 公示 of a period: JSON or a printable page")
async def publication(request: Request, format: Literal["json", "html"],
                      period_id: str = Path(min_length=1, max_length=100)) -> Response:
    """What a period's latest 公示 shows, without sign-in: the columns the scheme makes public, the window's
    dates, how to object, and the hashes that let anyone check the list (its digest, its audit record, the
    audit chain heads). `json` (with CORS for any origin) or `html`, a printable page; cached, with an ETag
    (304 when unchanged). Rate-limited per address (429 with `Retry-After`); 404 when never published.
    """
    limiter: RateLimiter = request.app.state.public_limiter
    waited = limiter.wait(request.client.host if request.client else "")
    if waited > 0:
        seconds = max(1, int(waited + 0.999))
        message = localize(_("too many requests; retry in %(seconds)s s", seconds=seconds))
        return JSONResponse(graphql_error_body(429, "rate_limited", message),
                            status_code=429, headers={"Retry-After": str(seconds)})
    published = await _published(request, period_id)
    if format == "json":  # the column titles in the reader's language; the office's own texts as written
        language = request_locale(request)
        body, media = orjson.dumps(public_notice(published, language)), "application/json"
        extra = {"Access-Control-Allow-Origin": "*", "Vary": "Accept-Encoding, Accept-Language"}
    else:  # the page: Chinese whatever the reader asks (docs/decisions.md, issue 22), no Vary on Accept-Language
        language, media = PAGE_LOCALE, "text/html; charset=utf-8"
        body = page(public_notice(published, PAGE_LOCALE)).encode()
        extra = {"Content-Security-Policy": PAGE_POLICY, "Vary": "Accept-Encoding"}
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}", "Content-Language": language,
               **extra}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


async def _published(request: Request, period_id: str) -> dict[str, Any]:
    """Ranking's public 公示 of the period (404 when never published), asked at most every FRESH_SECONDS."""
    cache: OrderedDict[str, tuple[float, dict[str, Any]]] = request.app.state.public_cache
    hit = cache.get(period_id)
    if hit is not None and time.monotonic() - hit[0] < FRESH_SECONDS:
        return hit[1]
    body: dict[str, Any] = await request.app.state.clients.ranking.request(
        "GET", f"/v1/periods/{segment(period_id)}/publication/public", PUBLIC)
    cache[period_id] = (time.monotonic(), body)
    cache.move_to_end(period_id)
    while len(cache) > 1000:
        cache.popitem(last=False)
    return body


def _local(instant: str) -> datetime:
    return datetime.fromisoformat(instant).astimezone(office_zone())


def _day(moment: datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日"


def public_notice(body: dict[str, Any], locale: str = PAGE_LOCALE) -> dict[str, Any]:
    """The public document: the 公示's list and dates in words a reader needs (local dates), nothing more; its
    columns' titles in `locale`."""
    published, closes = _local(body["published_at"]), _local(body["closes_at"])
    last_day = (closes - timedelta(seconds=1)).date()
    return {
        "periodId": body["period_id"], "label": body["label"], "title": body.get("title") or "",
        "status": body["status"], "stale": bool(body.get("stale")), "reopened": bool(body.get("reopened")),
        "publication": body["sequence"], "republication": bool(body.get("republication")),
        "workingDays": body["working_days"], "publishedAt": body["published_at"], "closesAt": body["closes_at"],
        "firstDay": published.date().isoformat(), "lastDay": last_day.isoformat(),
        "finalizedAt": body.get("finalized_at"),
        "objectionProcedure": body.get("objection_procedure") or DEFAULT_PROCEDURE,
        "columns": [{"key": c, "title": translate(COLUMN_TITLES[c], locale)} for c in body["columns"]
                    if c in COLUMN_TITLES],
        "rows": body["rows"],
        "entriesSha256": body["entries_sha256"],
        "auditRecord": ({"id": body["audit"]["record_id"], "hash": body["audit"]["hash"]}
                        if body.get("audit") else None),
        "chainHeads": _heads(body.get("chain_heads")),
    }


def _heads(stored: Any) -> dict[str, dict[str, Any]] | None:
    """The audit chains' heads stored with the publication, {service: {sequence, id, hash}} in service order;
    None for a publication stored without them."""
    if not isinstance(stored, dict):
        return None
    return {name: {"sequence": head.get("sequence"), "id": head.get("id"), "hash": head.get("hash")}
            for name, head in sorted(stored.items()) if isinstance(head, dict)}


def _state(notice: dict[str, Any]) -> str:
    if notice["status"] == "finalized" and notice["finalizedAt"]:
        return f"已审定（{_day(_local(notice['finalizedAt']))}）"
    if notice["stale"]:
        return "公示后结果有变更，待重新公示"
    if notice["reopened"]:
        return "审定后已重新打开更正，待重新公示"
    if clock.now() < _local(notice["closesAt"]):  # the window is business time, as ranking closes it
        return "公示中"
    return "公示期已满"


def _cell(key: str, value: Any) -> str:
    text = "、".join(str(v) for v in value) if isinstance(value, list) else ("" if value is None else str(value))
    return f'<td class="name">{html.escape(text)}</td>' if key == "name" else f"<td>{html.escape(text)}</td>"


SERVICE_NAMES = {"evidence": "证据服务", "scoring": "评分服务", "ranking": "排名服务"}


def _heads_table(heads: dict[str, dict[str, Any]] | None) -> str:
    """The 审计链头 section: each service's chain head (records, last record, hash) when the 公示 was published."""
    if not heads:
        return ""
    e = html.escape
    rows = "".join(f"<tr><td>{e(SERVICE_NAMES.get(name, name))}</td><td>{e(str(head['sequence']))}</td>"
                   f"<td>{e(str(head['id'] if head['id'] is not None else ''))}</td>"
                   f"<td class=\"hash\">{e(str(head['hash']))}</td></tr>" for name, head in heads.items())
    return ("<h2>审计链头</h2>\n<p class=\"note\">发布本公示时各服务审计链的链头（记录数、末条记录号及其哈希）。"
            "此后如有记录被删改，审计链将与之不符。</p>\n"
            "<table class=\"heads\"><thead><tr><th>服务</th><th>记录数</th><th>末条记录号</th><th>链头哈希</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>\n")


def page(notice: dict[str, Any]) -> str:
    """The printable 公示 page, in Chinese."""
    e = html.escape
    first, last = datetime.fromisoformat(notice["firstDay"]), datetime.fromisoformat(notice["lastDay"])
    title = f"{notice['label']} {notice['title']}考核结果公示".replace("  ", " ")
    head = "".join(f"<th>{e(c['title'])}</th>" for c in notice["columns"])
    rows = "".join("<tr>" + "".join(_cell(c["key"], row.get(c["key"])) for c in notice["columns"]) + "</tr>"
                   for row in notice["rows"])
    again = "（重新公示）" if notice["republication"] else ""
    warning = ('<p class="warn">本期考核结果在公示后有变更，以下为原公示内容，待重新公示。</p>' if notice["stale"]
               else '<p class="warn">本期考核结果审定后已重新打开更正，以下为原公示内容，待重新公示。</p>'
               if notice["reopened"] else "")
    audit = notice["auditRecord"]
    chain = (f"该摘要记入排名服务审计链第 {audit['id']} 号记录，"
             f"记录哈希：<span class=\"hash\">{e(audit['hash'])}</span>。" if audit else "")
    heads = _heads_table(notice["chainHeads"])
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{e(title)}</h1>
<p class="sub">第 {int(notice["publication"])} 次公示{again} · 状态：{e(_state(notice))}</p>
{warning}<p>现将{e(notice["label"])}考核结果予以公示。公示期：{_day(first)}至{_day(last)}（{int(notice["workingDays"])}个工作日），\
截至{e(localize(shown_deadline(_local(notice["closesAt"])), PAGE_LOCALE))}。</p>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<h2>异议受理</h2>
<p>{e(notice["objectionProcedure"])}</p>
<h2>结果校验</h2>
<p class="note">本公示内容的 SHA-256 摘要：<span class="hash">{e(notice["entriesSha256"])}</span>。{chain}\
发布时间：{e(localize(shown_instant(_local(notice["publishedAt"])), PAGE_LOCALE))}。</p>
{heads}</body></html>
"""
