"""Who sees which results, before and after 公示 (issue 21 item 3): before, only the office roles (admin,
assessor, auditor over the subject); from the 公示 on, a unit's head (reviewer over it) and the subject itself
see exactly what the 公示 shows (name, group, total, rank, grade, labels) and nothing else, even when the
results have changed since (the publication is then stale until published again).

first_scores: 甲组 u1 95.125 (优秀, 通报表扬), u2 92.5 (良好 by the quota), u3 81; 乙组 u4 70.005 (一般,
通报表扬 as its group's first)."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from tests.conftest import auth, token_for
from tests.ranking.conftest import QUARTERLY, FakeScoring, deliver, first_scores, subject

OFFICE = auth(("admin", "city"), subject="office")
ASSESSOR_D1 = auth(("assessor", "city/d1"))
HEAD_D1 = auth(("reviewer", "city/d1"), subject="head-d1")  # the head of district d1 (u1, u2)
U4_UNIT = {"Authorization": f"Bearer {token_for(('subject', 'city/d2/u4'), subject='u4-account')}"}
U4_LIAISON = auth(("submitter", "city/d2/u4"), subject="u4-liaison")  # u4's own account as its 考核联络员
PERSON_U2 = {"Authorization": f"Bearer {token_for(subject='zhang', subject_ids=('u2',))}"}
SHOWN = {"scores": {}, "band_grade": None, "grade_reason": None, "rewards": {}, "flags": [], "explain": {}}


def _public(row: dict[str, Any]) -> tuple[Any, ...]:
    assert {k: row[k] for k in SHOWN} == SHOWN, row  # nothing beyond what the 公示 shows
    return row["subject_id"], row["name"], row["group"], row["total"], row["rank"], row["grade"], row["labels"]


async def _table(ranking: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await ranking.get("/v1/periods/p1/ranking", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_before_publication_only_the_office_sees_results(ranking: httpx.AsyncClient,
                                                               scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)
    for outsider in (U4_UNIT, HEAD_D1, PERSON_U2):
        assert await _table(ranking, outsider) == []
        batch = await ranking.get("/v1/periods/p1/results", params={"subject_ids": "u1,u2,u4"}, headers=outsider)
        assert batch.json() == []
        exported = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "csv"}, headers=outsider)
        assert exported.status_code == 403
        listed = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "csv"}, headers=outsider)
        assert listed.status_code == 409
    mine = await ranking.get("/v1/periods/p1/results/u2", headers=PERSON_U2)
    assert (mine.status_code, mine.json()["error"]["message"]) == (
        403, "the results of period p1 are not published (公示) yet")
    assert (await ranking.get("/v1/periods/p1/results/u1/history", headers=HEAD_D1)).status_code == 403
    office = await _table(ranking, ASSESSOR_D1)
    assert [(r["subject_id"], r["scores"], r["rewards"]) for r in office] == [
        ("u1", {"work": "57.13", "service": "38.00"}, {"季度奖金": "1000.00"}),
        ("u2", {"work": "55.00", "service": "37.50"}, {"季度奖金": "500.00"})]


async def test_after_publication_the_others_see_exactly_the_publication(ranking: httpx.AsyncClient,
                                                                        scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)
    assert (await ranking.post("/v1/periods/p1/publication", json={}, headers=OFFICE)).status_code == 200
    u4 = ("u4", "四中队", "乙组", "70.01", 1, "一般", ["通报表扬"])
    assert [_public(r) for r in await _table(ranking, U4_UNIT)] == [u4]
    assert [_public(r) for r in await _table(ranking, HEAD_D1)] == [
        ("u1", "一中队", "甲组", "95.13", 1, "优秀", ["通报表扬"]), ("u2", "二中队", "甲组", "92.50", 2, "良好", [])]
    mine = await ranking.get("/v1/periods/p1/results/u2", headers=PERSON_U2)
    assert _public(mine.json()) == ("u2", "二中队", "甲组", "92.50", 2, "良好", [])
    for other in ("u1", "u9"):  # another subject's result reads as a result that does not exist
        hidden = await ranking.get(f"/v1/periods/p1/results/{other}", headers=PERSON_U2)
        assert (hidden.status_code, hidden.json()["error"]["message"]) == (
            404, f"no result for subject {other} in period p1")
    assert (await ranking.get("/v1/periods/p1/results/u2/history", headers=PERSON_U2)).status_code == 403
    assert (await ranking.get("/v1/periods/p1/exports/ranking", headers=U4_UNIT)).status_code == 403
    listed = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "csv"},
                               headers={**U4_UNIT, "Accept-Language": "zh-CN"})
    assert list(csv.reader(io.StringIO(listed.content.decode("utf-8-sig")))) == [
        ["序号", "编号", "名称", "组别", "总分", "名次", "等次", "标签"],
        ["1", "u4", "四中队", "乙组", "70.01", "1", "一般", "通报表扬"]]

    # u4's result changes after the 公示: the office sees the current result, u4 still what was published
    scoring.scores["p1"][3] = subject("u4", "40.005", "39")
    await deliver(ranking, "p1", scoring)
    assert [_public(r) for r in await _table(ranking, U4_UNIT)] == [u4]
    current = (await ranking.get("/v1/periods/p1/results/u4", headers=OFFICE)).json()
    assert (current["total"], current["scores"]) == ("79.01", {"work": "40.01", "service": "39.00"})


async def test_a_result_committed_during_a_read_is_not_refused_to_the_admin(
        ranking: httpx.AsyncClient, scoring: FakeScoring, monkeypatch: Any) -> None:
    """An admin over the whole organisation reads every result; while ranking's first computation commits
    between the reader's queries, the reader gets 404 (not there yet) or the result, never a 403
    (bench/period.py's reader met a 403 "not published" this way)."""
    from services.ranking.results import repository

    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    real_current_of = repository.current_of
    reads: list[int] = []

    async def current_of_then_computed(session: Any, period_id: str, subject_ids: Any) -> Any:
        rows = await real_current_of(session, period_id, subject_ids)
        reads.append(len(rows))
        if len(reads) == 1:  # the computation commits right after the reader's first read
            await deliver(ranking, "p1", scoring)
        return rows

    monkeypatch.setattr(repository, "current_of", current_of_then_computed)
    admin = auth(("admin", ""), subject="reader")
    first = await ranking.get("/v1/periods/p1/results/u1", headers=admin)
    assert (first.status_code, reads[0]) == (404, 0), first.text
    # the test's sessions share one rolled-back transaction: the refused read took the nested computation
    # with it, so the computation is delivered again, outside any read
    await deliver(ranking, "p1", scoring)
    second = await ranking.get("/v1/periods/p1/results/u1", headers=admin)
    assert second.status_code == 200, second.text
    assert (second.json()["total"], second.json()["version"]) == ("95.13", 1)


async def test_a_units_submitter_account_reads_its_own_published_result_only(ranking: httpx.AsyncClient,
                                                                             scoring: FakeScoring) -> None:
    """A submitter granted exactly on u4's unit is u4's own account (docs/api.md): before the 公示 nothing (403 not
    published), from it on u4's row as published; never u3 beside it (404 as a result of nothing); a submitter
    over the district (city/d2, u3 and u4) is no unit's account and reads no result."""
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)
    assert await _table(ranking, U4_LIAISON) == []
    early = await ranking.get("/v1/periods/p1/results/u4", headers=U4_LIAISON)
    assert (early.status_code, early.json()["error"]["message"]) == (
        403, "the results of period p1 are not published (公示) yet")
    assert (await ranking.post("/v1/periods/p1/publication", json={}, headers=OFFICE)).status_code == 200
    u4 = ("u4", "四中队", "乙组", "70.01", 1, "一般", ["通报表扬"])
    assert [_public(r) for r in await _table(ranking, U4_LIAISON)] == [u4]
    assert _public((await ranking.get("/v1/periods/p1/results/u4", headers=U4_LIAISON)).json()) == u4
    beside = await ranking.get("/v1/periods/p1/results/u3", headers=U4_LIAISON)
    assert (beside.status_code, beside.json()["error"]["message"]) == (404, "no result for subject u3 in period p1")
    assert (await ranking.get("/v1/periods/p1/results/u4/history", headers=U4_LIAISON)).status_code == 403
    district = auth(("submitter", "city/d2"), subject="d2-liaison")
    assert await _table(ranking, district) == []
    refused = await ranking.get("/v1/periods/p1/results/u4", headers=district)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, "d2-liaison may not read the result of u4")
