"""What a subject and its unit's head see of results through the gateway over the real services (issue 21
item 3): nothing before 公示; from the 公示 on, exactly what the 公示 shows (total, rank, grade, labels), never
scores, explanations, result history or the ranking table's file.

Scheme: 重点工作 manual /100; bands 优秀 ≥ 90, 良好 ≥ 75, 合格. 甲 88 → 良好 rank 2, 乙 92 → 优秀 rank 1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.gateway.live import Live, module_stack

SCHEME = {"id": "seen", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}],
          "ranking": {"scope": "group", "order": ["total"]},
          "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 75}, {"grade": "合格"}]},
          "rewards": [{"name": "奖金", "by_grade": {"优秀": 1000, "良好": 500}}]}
RESULT = """query($p: ID!, $s: ID!) { result(periodId: $p, subjectId: $s) { subjectId total rank grade labels
  bandGrade gradeReason rewards flags { veto } } }"""
TABLE = "query($p: ID!) { ranking(periodId: $p) { totalCount nodes { subjectId total rank grade } } }"
PAGE = "query($p: ID!) { subjects(periodId: $p) { nodes { id score { total } result { total rank } } } }"
EXPLAIN = "query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total } }"
HISTORY = "query($p: ID!, $s: ID!) { resultHistory(periodId: $p, subjectId: $s) { totalCount } }"


live = module_stack("seen", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    p, a, b = live.street_period(SCHEME, "2026-Q2")
    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city", subject="leader")
    for unit, points in ((a, "88"), (b, "92")):
        live.approved(assessor, reviewer, {"periodId": p, "subjectId": unit, "indicator": "work", "fact": "score",
                                           "content": {"points": points}})
    live.settle(p)
    return {"period": p, "a": a, "b": b}


def _outsiders(live: Live, a: str) -> dict[str, str]:
    return {"subject": live.token("subject", "city/a", subject="jia", subject_ids=[a]),
            "unit head": live.token("reviewer", "city/a", subject="jia-head"),
            # the unit's own account (its 考核联络员): docs/api.md "the subject itself (subject_ids, or its unit's
            # own account)"
            "unit account": live.token("submitter", "city/a", subject="jia-account")}


def _forbidden(live: Live, token: str, query: str, **variables: Any) -> None:
    assert live.error(token, query, **variables)["extensions"]["code"] == "FORBIDDEN"


def test_before_publication_a_subject_and_its_head_see_nothing(live: Live, period: dict[str, str]) -> None:
    p, a = period["period"], period["a"]
    for who, token in _outsiders(live, a).items():
        assert live(token, RESULT, p=p, s=a) == {"result": None}, who
        assert live(token, TABLE, p=p) == {"ranking": {"totalCount": 0, "nodes": []}}, who
        # scoring lists a period's subjects to its readers and the subject itself, not to a unit's account
        page = [] if who == "unit account" else [{"id": a, "score": None, "result": None}]
        assert live(token, PAGE, p=p)["subjects"]["nodes"] == page, who
        for query in (EXPLAIN, HISTORY):
            _forbidden(live, token, query, p=p, s=a)
        assert live.get(token, f"/exports/periods/{p}/ranking.csv").status_code == 403, who
        assert live.get(token, f"/exports/periods/{p}/publication.csv").status_code == 409, who
    office = live(live.token("assessor", "city"), RESULT, p=p, s=a)["result"]
    assert (office["total"], office["rank"], office["rewards"]) == ("88.00", 2, {"奖金": "500.00"})


def test_after_publication_they_see_exactly_the_publication(live: Live, period: dict[str, str]) -> None:
    p, a = period["period"], period["a"]
    live(live.token("admin", ""), "mutation($p: ID!) { publishResults(periodId: $p) { status } }", p=p)
    shown = {"subjectId": a, "total": "88.00", "rank": 2, "grade": "良好", "labels": [], "bandGrade": None,
             "gradeReason": None, "rewards": {}, "flags": []}
    for who, token in _outsiders(live, a).items():
        assert live(token, RESULT, p=p, s=a) == {"result": shown}, who
        assert live(token, TABLE, p=p)["ranking"] == {
            "totalCount": 1, "nodes": [{"subjectId": a, "total": "88.00", "rank": 2, "grade": "良好"}]}, who
        page = [] if who == "unit account" else [{"id": a, "score": None, "result": {"total": "88.00", "rank": 2}}]
        assert live(token, PAGE, p=p)["subjects"]["nodes"] == page, who
        for query in (EXPLAIN, HISTORY):
            _forbidden(live, token, query, p=p, s=a)
        assert live.get(token, f"/exports/periods/{p}/ranking.csv").status_code == 403, who
        listed = live.get(token, f"/exports/periods/{p}/publication.csv")
        assert listed.content.decode("utf-8-sig").splitlines() == [
            "序号,编号,名称,组别,总分,名次,等次,标签", f"1,{a},甲街道,街道,88.00,2,良好,"], who


def test_a_unit_account_reads_its_own_unit_only(live: Live, period: dict[str, str]) -> None:
    """Published (the test before): 甲's account reads 甲's row and nothing of 乙 (NOT_FOUND, as for a subject of
    nothing); a submitter over the whole city is no unit's account: FORBIDDEN for 甲, an empty table."""
    p, a, b = period["period"], period["a"], period["b"]
    account = live.token("submitter", "city/a", subject="jia-account")
    other = live.error(account, RESULT, p=p, s=b)
    assert (other["extensions"]["code"], other["message"]) == (
        "NOT_FOUND", f"subject {b} is not enrolled in period {p}")
    assert live(account, TABLE, p=p)["ranking"]["nodes"] == [{"subjectId": a, "total": "88.00", "rank": 2,
                                                              "grade": "良好"}]
    city = live.token("submitter", "city", subject="city-liaison")
    refused = live.error(city, RESULT, p=p, s=a)
    assert (refused["extensions"]["code"], refused["message"]) == ("FORBIDDEN", "city-liaison may not run result")
    assert live(city, TABLE, p=p) == {"ranking": {"totalCount": 0, "nodes": []}}
