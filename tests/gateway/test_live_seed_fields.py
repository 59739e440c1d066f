"""The seed systems' own fields through the gateway, over the real services (issue 19): a task's required
documents and look-back window (001 篇5) on the indicator tree of a scheme and of a period, and a unit's
reward split among its people (二次分配, 001 篇4) on its result.

Hand-worked: 甲街道's 履职 score is 80 and nothing else is scored (考核比例 has no facts: 0), so its total is 80
and its 绩效工资 is `total × 10` = 800.00. Its people weigh post coefficient × own score / 100: p1 1.2, p2 1.0,
p3 0.8 (each scored 100), 3.0 in all: 800 × 1.2/3 = 320, 800 × 1.0/3 = 266.666…, 800 × 0.8/3 = 213.333…; in
cents 32000 + 26666 + 21333 = 79999, the cent left goes to the largest remainder (p2's .67): 320.00, 266.67,
213.33, which add up to 800.00. 乙街道 lists nobody: its 0.00 is not split (a problem says so)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.gateway.live import Live, module_stack

SCHEME = {
    "id": "seedfields", "version": 1, "title": "法治与绩效工资", "subject_kind": "unit", "period": "year",
    "precision": 2, "groups": ["街道"],
    "indicators": [
        {"code": "duty", "name": "履职", "max": 100, "rule": {"kind": "manual"}},
        {"code": "exam", "name": "3年内提任前法律知识考核比例", "max": 100, "lookback": {"periods": 3},
         "documents": {"required": [{"name": "年度学法计划", "supplier": "法制科"}, {"name": "考试记录"}],
                       "when_missing": "proportional"},
         "rule": {"kind": "ratio", "target": 1}},
    ],
    "rewards": [{"name": "绩效工资", "amount": "total * 10",
                 "distribute": {"members": "staff", "weight": "attr.post_coefficient * score / 100"}}],
}
STAFF = [{"id": "p1", "score": 100, "attributes": {"post_coefficient": 1.2}},
         {"id": "p2", "score": 100, "attributes": {"post_coefficient": 1.0}},
         {"id": "p3", "score": 100, "attributes": {"post_coefficient": 0.8}}]
INDICATORS = "indicators { code documents { name supplier } documentsWhenMissing lookbackPeriods }"
EXPECTED_TREE = [
    {"code": "duty", "documents": [], "documentsWhenMissing": None, "lookbackPeriods": None},
    {"code": "exam",
     "documents": [{"name": "年度学法计划", "supplier": "法制科"}, {"name": "考试记录", "supplier": None}],
     "documentsWhenMissing": "proportional", "lookbackPeriods": 3},
]

live = module_stack("seedfields", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, Any]:
    units = live.city(("甲街道", "a"), ("乙街道", "b"))
    live.published_scheme(SCHEME)
    opened = live(live.token("admin", ""), """mutation($s: [EnrolmentInput!]!) { openPeriod(input: {
        schemeId: "seedfields", schemeVersion: 1, label: "2026", subjects: $s}) { id } }""",
                  s=[{"id": units["a"], "group": "街道", "attributes": {"staff": STAFF}},
                     {"id": units["b"], "group": "街道"}])
    p = opened["openPeriod"]["id"]
    live.approved(live.token("assessor", "city"), live.token("reviewer", "city"),
                  {"periodId": p, "subjectId": units["a"], "indicator": "duty", "fact": "score",
                   "content": {"points": "80"}})
    live.settle(p)
    return {"id": p, "a": units["a"], "b": units["b"]}


def test_required_documents_and_look_back_on_the_scheme_and_the_period(live: Live, period: dict[str, Any]) -> None:
    admin = live.token("admin", "")
    scheme = live(admin, f'{{ scheme(id: "seedfields", version: 1) {{ {INDICATORS} }} }}')["scheme"]
    assert scheme["indicators"] == EXPECTED_TREE
    read = live(admin, f"query($p: ID!) {{ period(id: $p) {{ {INDICATORS} }} }}", p=period["id"])["period"]
    assert read["indicators"] == EXPECTED_TREE


def test_a_units_reward_split_among_its_people(live: Live, period: dict[str, Any]) -> None:
    admin = live.token("admin", "")
    nodes = live(admin, """query($p: ID!) { ranking(periodId: $p) { nodes { subjectId total rewards
        distribution { reward shares { personId amount } } } } }""", p=period["id"])["ranking"]["nodes"]
    assert nodes == [
        {"subjectId": period["a"], "total": "80.00", "rewards": {"绩效工资": "800.00"},
         "distribution": [{"reward": "绩效工资", "shares": [{"personId": "p1", "amount": "320.00"},
                                                          {"personId": "p2", "amount": "266.67"},
                                                          {"personId": "p3", "amount": "213.33"}]}]},
        {"subjectId": period["b"], "total": "0.00", "rewards": {"绩效工资": "0.00"},
         "distribution": []},
    ]
