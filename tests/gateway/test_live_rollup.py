"""A roll-up period follows its approved sub-periods by itself (stop 26), through the real services: approving
(审定) a month, or reopening an approved one, marks the year that rolls the months up due in scoring, whose recompute
tells ranking, which rolls the year up again from the approved months' snapshots. Nobody asks for it.

Hand-worked: 甲街道 (a) and 乙街道 (b), one group 街道. The monthly scheme scores 重点工作 (manual, /100); the year
sums the approved months' totals (`rollup: {from: ru-month, total: sum}`), ranked by total.

    month      甲   乙
    2026-01    80   70     approved first        → year 甲 80, 乙 70: 甲 1st
    2026-02    60   90     approved next         → year 甲 140, 乙 160: 乙 1st
    2026-03    50   50     published, never approved: never in the year
    2026-02 reopened (an appeal)                 → year 甲 80, 乙 70 again: February left it
    甲's February upheld on appeal: 60 → 95, republished, approved again → year 甲 175, 乙 160: 甲 1st

Each change is one new result version of each subject (4 in all), and an explicit recompute then changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.gateway.live import Live, module_stack

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLISH = "mutation($p: ID!) { publishResults(periodId: $p, workingDays: 5) { status } }"
FINALIZE = "mutation($p: ID!) { finalizePeriod(periodId: $p) { sequence } }"
REOPEN = 'mutation($p: ID!) { reopenPeriod(periodId: $p, reason: "甲街道对二月重点工作评分提出申诉") { status } }'
FILE_APPEAL = """mutation($p: ID!, $s: ID!, $f: String!) { fileAppeal(periodId: $p, subjectId: $s, factId: $f,
  points: ["二月重点工作材料未计入"]) { id version } }"""
ANSWER_APPEAL = """mutation($id: ID!, $v: Int!) { answerAppeal(id: $id, upheld: true, replies: ["材料属实,予以更正"],
  version: $v, correction: {points: "95"}) { status } }"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


live = module_stack("rollup", local("2026-04-01T10:00:00"))

MONTHLY = {"id": "ru-month", "version": 1, "title": "街道月度考核", "subject_kind": "unit", "period": "month",
           "groups": ["街道"],
           "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}],
           "ranking": {"scope": "group", "order": ["total"]}}
ANNUAL = {"id": "ru-year", "version": 1, "title": "街道年度考核(月度累计)", "subject_kind": "unit", "period": "year",
          "groups": ["街道"],
          "indicators": [{"code": "monthly_total", "name": "月度得分", "max": 1200, "rule": {"kind": "manual"}}],
          "rollup": {"from": "ru-month", "total": "sum"},
          "ranking": {"scope": "group", "order": ["total"]}}


@pytest.fixture(scope="module")
def units(live: Live) -> dict[str, str]:
    return live.city(("甲街道", "a"), ("乙街道", "b"))


def year_table(live: Live, year: str) -> list[tuple[str, str, int]]:
    answer = live.service("ranking", "GET", f"/v1/periods/{year}/ranking")
    assert answer.status_code == 200, answer.text
    return [(item["subject_id"], item["total"], item["rank"]) for item in answer.json()["items"]]


def history(live: Live, year: str, subject: str) -> list[tuple[int, str]]:
    answer = live.service("ranking", "GET", f"/v1/periods/{year}/results/{subject}/history")
    assert answer.status_code == 200, answer.text
    return [(item["version"], item["total"]) for item in answer.json()]


def test_the_year_follows_its_approved_months_without_anyone_asking(live: Live, units: dict[str, str]) -> None:
    admin = live.token("admin", "")
    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city")
    a, b = units["a"], units["b"]
    enrolled = [(a, "街道"), (b, "街道")]
    months: dict[str, str] = {}
    facts: dict[str, Any] = {}
    for label, points in (("2026-01", ("80", "70")), ("2026-02", ("60", "90")), ("2026-03", ("50", "50"))):
        opened = live.opened_period if label == "2026-01" else live.another_period  # the scheme is published once
        period = months[label] = opened(MONTHLY, label, enrolled)
        for unit, value in zip((a, b), points, strict=True):
            facts[(label, unit)] = live.approved(assessor, reviewer, {
                "periodId": period, "subjectId": unit, "indicator": "work", "fact": "score",
                "content": {"points": value}})["factId"]
    year = live.opened_period(ANNUAL, "2026", enrolled)
    for period in months.values():
        live.settle(period)
        assert live(admin, PUBLISH, p=period)["publishResults"]["status"] == "published"
    live.settle(year)
    assert year_table(live, year) == []  # no month approved yet: nothing to roll up

    # every 公示 (5 working days from 1 April; 4–6 April is 清明) is over, and the appeal window (10 working days
    # after it) still open
    live.at(local("2026-04-13T10:00:00"))
    assert live(admin, FINALIZE, p=months["2026-01"])["finalizePeriod"]["sequence"] == 1
    live.settle(year)
    assert year_table(live, year) == [(a, "80.00", 1), (b, "70.00", 2)]

    assert live(admin, FINALIZE, p=months["2026-02"])["finalizePeriod"]["sequence"] == 1
    live.settle(year)
    assert year_table(live, year) == [(b, "160.00", 1), (a, "140.00", 2)]  # March is published, not approved

    february = months["2026-02"]
    assert live(admin, REOPEN, p=february)["reopenPeriod"]["status"] == "computed"
    live.settle(year)
    assert year_table(live, year) == [(a, "80.00", 1), (b, "70.00", 2)]  # February is not approved any more

    appeal = live(live.token("submitter", "city/a"), FILE_APPEAL, p=february, s=a,
                  f=facts[("2026-02", a)])["fileAppeal"]
    assert live(admin, ANSWER_APPEAL, id=appeal["id"], v=appeal["version"]) == {"answerAppeal": {"status": "upheld"}}
    live.settle(february)
    live.settle(year)
    assert year_table(live, year) == [(a, "80.00", 1), (b, "70.00", 2)]  # February's new total waits for its 审定
    assert live(admin, PUBLISH, p=february)["publishResults"]["status"] == "published"
    live.at(local("2026-05-20T10:00:00"))
    assert live(admin, FINALIZE, p=february)["finalizePeriod"]["sequence"] == 2
    live.settle(year)
    assert year_table(live, year) == [(a, "175.00", 1), (b, "160.00", 2)]

    assert history(live, year, a) == [(1, "80.00"), (2, "140.00"), (3, "80.00"), (4, "175.00")]
    assert history(live, year, b) == [(1, "70.00"), (2, "160.00"), (3, "70.00"), (4, "160.00")]
    again = live.service("ranking", "POST", f"/v1/periods/{year}/recompute")
    assert again.status_code == 200, again.text
    assert (again.json()["changed"], again.json()["removed"]) == (0, 0)

