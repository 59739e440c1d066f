"""Period-wide lists for an office or auditor dashboard (newcomer probe, item 1): `submissions`, `rectificationNotices`
and `objections` without `subjectId` list every row of the period within the caller's grants, cut and counted by the
service (full pages, honest counts), with a status filter; a subject outside the grants named is NOT_FOUND.

Period 2026-Q2 of 甲街道 (city/a) and 乙街道 (city/b): 甲 has two approved scores and one pending, 乙 one approved;
a notice against each; after the 公示 an objection from each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.gateway.live import SUBMIT, Live, module_stack

SCHEME = {"id": "lists", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 50, "rule": {"kind": "manual"}},
                         {"code": "party", "name": "党建", "max": 50, "rule": {"kind": "manual"}}],
          "ranking": {"scope": "group", "order": ["total"]},
          "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "合格"}]}}
SUBMISSIONS = """query($p: ID!, $s: ID, $st: String, $first: Int, $after: String) {
  submissions(periodId: $p, subjectId: $s, status: $st, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id subjectId indicator status } } }"""
NOTICES = """query($p: ID!, $s: ID, $st: String) { rectificationNotices(periodId: $p, subjectId: $s, status: $st) {
  totalCount nodes { subjectId problem } } }"""
OBJECTIONS = """query($p: ID!, $s: ID, $st: String, $first: Int, $after: String) {
  objections(periodId: $p, subjectId: $s, status: $st, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { subjectId } } }"""
OBJECT = 'mutation($p: ID!, $s: ID!) { fileObjection(periodId: $p, subjectId: $s, reason: "排名有误") { id } }'
ISSUE = """mutation($i: RectificationInput!) { issueRectificationNotice(input: $i) { id } }"""

live = module_stack("period-lists", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    p, a, b = live.street_period(SCHEME, "2026-Q2")
    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city", subject="leader")
    for unit, indicator, points in ((a, "work", "40"), (a, "party", "45"), (b, "work", "42")):
        live.approved(assessor, reviewer, {"periodId": p, "subjectId": unit, "indicator": indicator, "fact": "score",
                                           "content": {"points": points}})
    live(assessor, SUBMIT, i={"periodId": p, "subjectId": a, "indicator": "work", "fact": "score",
                              "content": {"points": "41"}})  # pending
    for unit, problem in ((a, "台账缺失"), (b, "值班记录不全")):
        live(assessor, ISSUE, i={"periodId": p, "subjectId": unit, "problem": problem, "opinion": "限期整改",
                                 "checkedAt": "2026-05-20T02:00:00Z", "deadline": "2026-06-30"})
    live.settle(p)
    return {"period": p, "a": a, "b": b}


def _ids(page: dict[str, Any]) -> list[str]:
    return [n["subjectId"] for n in page["nodes"]]


def test_period_wide_submissions_are_scoped_filtered_and_paged(live: Live, period: dict[str, str]) -> None:
    p, a, b = period["period"], period["a"], period["b"]
    auditor = live.token("auditor", "city")
    every = live(auditor, SUBMISSIONS, p=p)["submissions"]
    assert (every["totalCount"], sorted(_ids(every))) == (4, sorted([a, a, a, b]))
    assert [n["id"] for n in every["nodes"]] == sorted(n["id"] for n in every["nodes"])  # id order
    pending = live(auditor, SUBMISSIONS, p=p, st="pending")["submissions"]
    assert (pending["totalCount"], [(n["subjectId"], n["status"]) for n in pending["nodes"]]) == (
        1, [(a, "pending")])
    first = live(auditor, SUBMISSIONS, p=p, first=3)["submissions"]
    assert (first["totalCount"], len(first["nodes"]), first["pageInfo"]["hasNextPage"]) == (4, 3, True)
    rest = live(auditor, SUBMISSIONS, p=p, first=3, after=first["pageInfo"]["endCursor"])["submissions"]
    assert (rest["totalCount"], [n["id"] for n in rest["nodes"]], rest["pageInfo"]["hasNextPage"]) == (
        4, [every["nodes"][3]["id"]], False)
    # 甲街道's own office sees its three, full pages, an honest count; 乙 named is NOT_FOUND
    office_a = live.token("assessor", "city/a")
    own = live(office_a, SUBMISSIONS, p=p, first=2)["submissions"]
    assert (own["totalCount"], _ids(own), own["pageInfo"]["hasNextPage"]) == (3, [a, a], True)
    assert live.error(office_a, SUBMISSIONS, p=p, s=b)["extensions"]["code"] == "NOT_FOUND"
    assert live(office_a, SUBMISSIONS, p=p, s=a)["submissions"]["totalCount"] == 3
    outsider = live.token("auditor", "elsewhere")
    assert live.error(outsider, SUBMISSIONS, p=p)["extensions"]["code"] == "NOT_FOUND"


def test_period_wide_notices(live: Live, period: dict[str, str]) -> None:
    p, a, b = period["period"], period["a"], period["b"]
    every = live(live.token("auditor", ""), NOTICES, p=p)["rectificationNotices"]
    assert (every["totalCount"], sorted(_ids(every))) == (2, sorted([a, b]))
    assert live(live.token("auditor", ""), NOTICES, p=p, st="signed")["rectificationNotices"]["totalCount"] == 0
    own = live(live.token("reviewer", "city/b"), NOTICES, p=p)["rectificationNotices"]
    assert own == {"totalCount": 1, "nodes": [{"subjectId": b, "problem": "值班记录不全"}]}
    assert live.error(live.token("reviewer", "city/b"), NOTICES, p=p, s=a)["extensions"]["code"] == "NOT_FOUND"


def test_period_wide_objections(live: Live, period: dict[str, str]) -> None:
    p, a, b = period["period"], period["a"], period["b"]
    admin = live.token("admin", "")
    live(admin, "mutation($p: ID!) { publishResults(periodId: $p) { status } }", p=p)
    for unit, path in ((a, "city/a"), (b, "city/b")):  # each unit's own account (考核联络员) objects
        live(live.token("submitter", path), OBJECT, p=p, s=unit)
    every = live(live.token("auditor", "city"), OBJECTIONS, p=p)["objections"]
    assert (every["totalCount"], sorted(_ids(every))) == (2, sorted([a, b]))
    page = live(live.token("auditor", "city"), OBJECTIONS, p=p, first=1)["objections"]
    assert (page["totalCount"], len(page["nodes"]), page["pageInfo"]["hasNextPage"]) == (2, 1, True)
    assert live(admin, OBJECTIONS, p=p, st="answered")["objections"]["totalCount"] == 0
    office_a = live.token("admin", "city/a")
    assert _ids(live(office_a, OBJECTIONS, p=p)["objections"]) == [a]
    assert live(office_a, OBJECTIONS, p=p)["objections"]["totalCount"] == 1
    assert live.error(office_a, OBJECTIONS, p=p, s=b)["extensions"]["code"] == "NOT_FOUND"


def test_period_wide_list_limits(live: Live, period: dict[str, str]) -> None:
    p, auditor = period["period"], live.token("auditor", "")
    for query in (SUBMISSIONS, OBJECTIONS):
        assert live.error(auditor, query, p=p, first=101)["extensions"]["code"] == "BAD_USER_INPUT"
        assert live.error(auditor, query, p=p, st="x" * 300)["extensions"]["code"] == "BAD_USER_INPUT"
        assert live.error(auditor, query, p="nosuch")["extensions"]["code"] == "NOT_FOUND"
    assert live.error(auditor, NOTICES, p="nosuch")["extensions"]["code"] == "NOT_FOUND"
