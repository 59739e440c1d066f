"""Result versions written with COPY (and their audit records, more than one INSERT page of them): read back
with exact values, one audit record per version, and a chain that verifies."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select, text

from services.ranking.db import common
from services.ranking.results.cache import EntryDigests
from services.ranking.results.models import SubjectResult
from services.ranking.results.service import canonical
from tests.conftest import auth
from tests.ranking.conftest import FakeScoring, deliver

AUDITOR = auth(("auditor", ""))

ONE_GROUP: dict[str, Any] = {
    "id": "rk-copy", "version": 1, "title": "单组排名", "subject_kind": "unit", "period": "quarter", "precision": 2,
    "groups": ["甲组"],
    "indicators": [{"code": "work", "name": "工作实绩", "max": 100, "rule": {"kind": "manual"}}],
    "ranking": {"scope": "group", "order": ["total"]},
}


def unit(n: int, work: str) -> dict[str, Any]:
    return {"id": f"s{n:02d}", "name": f"单位{n}", "group": "甲组", "unit_path": f"city/u{n}", "attributes": {},
            "scores": {"work": work}, "total": work, "explain": {"work": f"manual {work}"}, "vetoes": [],
            "flags": []}


def ranking_db() -> Any:
    from services.ranking.app import app

    return app.state.db


async def test_twenty_versions_by_copy_read_back_exactly_and_each_is_audited(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    # s00 … s19 score 50 … 69: s19 ranks 1st, s00 20th.
    scoring.add_period("p1", ONE_GROUP, "2026-Q1", [unit(n, str(50 + n)) for n in range(20)])
    first = await deliver(ranking, "p1", scoring)
    assert first == {"applied": True, "changed": 20, "unchanged": 0, "removed": 0, "frozen": False}
    # s00 jumps to 99: it ranks 1st and every other subject drops one place, so all 20 results change.
    scoring.scores["p1"][0] = unit(0, "99")
    second = await deliver(ranking, "p1", scoring)
    assert second == {"applied": True, "changed": 20, "unchanged": 0, "removed": 0, "frozen": False}

    s00 = (await ranking.get("/v1/periods/p1/results/s00/history", headers=AUDITOR)).json()
    assert [(h["version"], h["rank"], h["total"]) for h in s00] == [(1, 20, "50.00"), (2, 1, "99.00")]
    s19 = (await ranking.get("/v1/periods/p1/results/s19/history", headers=AUDITOR)).json()
    assert [(h["version"], h["rank"], h["total"]) for h in s19] == [(1, 1, "69.00"), (2, 2, "69.00")]
    table = (await ranking.get("/v1/periods/p1/ranking", params={"limit": 3}, headers=AUDITOR)).json()
    assert [(i["subject_id"], i["rank"]) for i in table["items"]] == [("s00", 1), ("s19", 2), ("s18", 3)]

    async with ranking_db().sessionmaker() as session:
        rows = list(await session.scalars(
            select(SubjectResult).where(SubjectResult.period_id == "p1").order_by(SubjectResult.id)))
        current = [r for r in rows if r.is_current]
        s00_now = next(r for r in current if r.subject_id == "s00")
        as_text = await session.scalar(select(text("document::text")).select_from(SubjectResult.__table__)
                                       .where(SubjectResult.id == s00_now.id))
        sequence_ok = await session.scalar(text(
            "SELECT (SELECT max(id) FROM ranking.subject_result)"
            " <= (SELECT last_value FROM ranking.subject_result_id_seq)"))
    # 40 rows, 20 of them current (version 2); ids unique and from the table's sequence
    assert (len(rows), len(current), len({r.id for r in rows})) == (40, 20, 40)
    assert sequence_ok is True
    assert {r.version for r in current} == {2} and {r.version for r in rows if not r.is_current} == {1}
    assert (s00_now.rank, s00_now.total, s00_now.position, s00_now.unit_path, s00_now.name, s00_now.group) == (
        1, Decimal("99.00"), 0, "city/u0", "单位0", "甲组")
    assert s00_now.document["total"] == "99.00" and s00_now.document["rank"] == 1
    assert s00_now.document["scores"] == {"work": "99.00"}
    # the stored JSONB is the value a plain JSON encoding of the document gives, and the digest is of its
    # canonical JSON (sorted keys, no spaces, UTF-8)
    assert json.loads(as_text) == s00_now.document
    assert s00_now.document_sha256 == hashlib.sha256(canonical(s00_now.document).encode()).hexdigest()

    audit = (await ranking.get("/v1/audit", params={"entity_id": "p1/s00"}, headers=AUDITOR)).json()
    assert [(a["action"], a["details"]) for a in audit] == [
        ("result.created", {"version": 1}), ("result.changed", {"version": 2})]
    versions = {r.version: r.document_sha256 for r in rows if r.subject_id == "s00"}
    assert (audit[0]["before_digest"], audit[0]["after_digest"]) == (None, versions[1])
    assert (audit[1]["before_digest"], audit[1]["after_digest"]) == (versions[1], versions[2])
    report = (await ranking.get("/v1/audit/verify", headers=AUDITOR)).json()
    # 40 result records; the rows' records: the period's row and 20 results, then 20 new results and the period's
    # row again (42: retiring the 20 older versions leaves no record, the period's current_sha256 vouches for
    # which versions are current); live rows: 40 results and the period
    assert {k: report[k] for k in ("ok", "records", "first_broken_id", "reason", "rows", "row_problems")} == {
        "ok": True, "records": 82, "first_broken_id": None, "reason": None, "rows": 41, "row_problems": []}
    async with ranking_db().sessionmaker() as session:
        chain = list(await session.scalars(select(common.audit).where(common.audit.action.like("result.%"))
                                           .order_by(common.audit.id)))
    # one record per version, in the order the versions were written (s00 first: the table's order)
    assert [a.entity_id for a in chain[:20]] == [f"p1/s{n:02d}" for n in range(19, -1, -1)]
    assert [a.entity_id for a in chain[20:]] == ["p1/s00"] + [f"p1/s{n:02d}" for n in range(19, 0, -1)]


def test_entry_digest_is_the_digest_of_the_canonical_text_it_returns() -> None:
    digests = EntryDigests()
    entry = {"id": "x1", "name": "张三", "total": "92.13", "rank": 1, "grade": None, "labels": [],
             "scores": {"b": "1.00", "a": "2.00"}, "explain": {"a": "sum: 1 + 1 = 2"}}
    digest, written = digests.digest("period-digest-test", entry)
    assert written == ('{"explain":{"a":"sum: 1 + 1 = 2"},"grade":null,"id":"x1","labels":[],"name":"张三",'
                       '"rank":1,"scores":{"a":"2.00","b":"1.00"},"total":"92.13"}')
    assert written == canonical(entry)
    assert digest == hashlib.sha256(written.encode()).hexdigest()
    # an equal entry again, another object: the digest is remembered, nothing is written
    assert digests.digest("period-digest-test", dict(entry)) == (digest, None)
    # the same subject in another period is another key
    assert digests.digest("another-period", dict(entry)) == (digest, written)


def test_a_changed_entry_is_digested_again_and_the_oldest_subject_is_forgotten_past_the_bound() -> None:
    digests = EntryDigests(limit=2)
    one, two, three = ({"id": sid, "total": "1.00"} for sid in ("d1", "d2", "d3"))
    for entry in (one, two):
        assert digests.digest("p", entry)[1] is not None
    changed = {**two, "total": "2.00"}
    assert digests.digest("p", changed) == (hashlib.sha256(canonical(changed).encode()).hexdigest(), canonical(changed))
    assert digests.digest("p", three)[1] is not None  # a third subject: d1, used least recently, is forgotten
    assert digests.digest("p", dict(changed))[1] is None  # d2 kept, with its newest entry
    assert digests.digest("p", dict(one))[1] == canonical(one)  # d1 written again
