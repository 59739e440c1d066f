"""What the gateway returns about scores and results, over the real services (issue 21 items 14 and 16):
veto flags are typed objects, not Python reprs; every number is rounded half-up to the scheme's precision,
the full-precision value the ranking compares sits beside it in a field named for it.

Scheme (hand-worked): 台账完成率 ratio /100, target 1; vetoes verified_complaint {bottom: 1}, serious_violation
zero_total; precision 2. Decimal arithmetic at 50 significant digits (the engine's):
甲: 151/180 = 0.83888888888888888888888888888888888888888888888889 (the 51st digit 8 rounds the 50th up),
    × 100 = 83.888888888888888888888888888888888888888888888889 → "83.89"; a verified complaint: bottom 1.
乙: 170/180 = 0.94444444444444444444444444444444444444444444444444, × 100 = 94.444…444 → "94.44";
    a serious violation: total 0 → "0.00".
Ranking: 甲 has {bottom: 1}, so it comes after 乙 whatever the scores: 乙 1, 甲 2.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.gateway.live import Live, module_stack

SCHEME = {
    "id": "shape", "version": 1, "title": "台账考核", "subject_kind": "unit", "period": "quarter", "precision": 2,
    "groups": ["街道"],
    "indicators": [{"code": "rate", "name": "台账完成率", "max": 100, "rule": {"kind": "ratio", "target": 1}}],
    "vetoes": [{"event": "verified_complaint", "effect": {"bottom": 1}},
               {"event": "serious_violation", "effect": "zero_total"}],
    "ranking": {"scope": "group", "order": ["total"]},
}
EXACT_A = "83.888888888888888888888888888888888888888888888889"
EXACT_B_RATE = "94.444444444444444444444444444444444444444444444444"
FLAGS = "flags { veto effect grade bottom label fact }"


live = module_stack("shape", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, Any]:
    """The period, computed: 甲 151/180 with a verified complaint, 乙 170/180 with a serious violation."""
    p, a_id, b_id = live.street_period(SCHEME, "2026-Q2")
    a, b = {"id": a_id}, {"id": b_id}
    live.settle(p)  # computed once without facts: every score 0 (a ratio without a measure scores 0)
    reviewer, assessor = live.token("reviewer", "city"), live.token("assessor", "city")
    evidence = [(live.token("submitter", "city/a"), a, "rate", "measure", {"numerator": "151", "denominator": "180"}),
                (live.token("submitter", "city/b"), b, "rate", "measure", {"numerator": "170", "denominator": "180"}),
                (assessor, a, None, "event", {"type": "verified_complaint"}),
                (assessor, b, None, "event", {"type": "serious_violation"})]
    facts = {(unit["id"], kind): live.approved(token, reviewer, {"periodId": p, "subjectId": unit["id"],
                                                                 "indicator": indicator, "fact": kind,
                                                                 "content": content})
             for token, unit, indicator, kind, content in evidence}
    live.settle(p)
    return {"id": p, "a": a["id"], "b": b["id"], "facts": facts}


def test_veto_flags_are_typed(live: Live, period: dict[str, Any]) -> None:
    admin, p, a, b = live.token("admin", ""), period["id"], period["a"], period["b"]
    complaint = period["facts"][(a, "event")]["factId"]
    violation = period["facts"][(b, "event")]["factId"]
    table = live(admin, f"query($p: ID!) {{ ranking(periodId: $p) {{ nodes {{ subjectId rank total {FLAGS} }} }} }}",
                 p=p)["ranking"]["nodes"]
    assert table == [
        {"subjectId": b, "rank": 1, "total": "0.00",
         "flags": [{"veto": "serious_violation", "effect": "zero_total", "grade": None, "bottom": None,
                    "label": None, "fact": violation}]},
        {"subjectId": a, "rank": 2, "total": "83.89",
         "flags": [{"veto": "verified_complaint", "effect": "bottom", "grade": None, "bottom": 1, "label": None,
                    "fact": complaint}]},
    ]
    # scoring's own flags (zero_total is applied while scoring) have the same shape
    explained = live(admin, f"query($p: ID!, $s: ID!) {{ explain(periodId: $p, subjectId: $s) {{ {FLAGS} }} }}",
                     p=p, s=b)["explain"]
    assert explained == {"flags": [{"veto": "serious_violation", "effect": "zero_total", "grade": None,
                                    "bottom": None, "label": None, "fact": violation}]}


def test_every_number_is_rounded_as_the_scheme_says(live: Live, period: dict[str, Any]) -> None:
    auditor, p, a, b = live.token("auditor", ""), period["id"], period["a"], period["b"]
    shown = live(auditor, """query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total
      indicators { value } } }""", p=p, s=a)
    assert shown == {"explain": {"total": "83.89", "indicators": [{"value": "83.89"}]}}  # as Result.total is
    query = """query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total totalExact
      indicators { code value valueExact } } result(periodId: $p, subjectId: $s) { total } }"""
    first = live(auditor, query, p=p, s=a)
    assert first == {"explain": {"total": "83.89", "totalExact": EXACT_A,
                                 "indicators": [{"code": "rate", "value": "83.89", "valueExact": EXACT_A}]},
                     "result": {"total": "83.89"}}
    second = live(auditor, query, p=p, s=b)
    assert second == {"explain": {"total": "0.00", "totalExact": "0.00",
                                  "indicators": [{"code": "rate", "value": "94.44", "valueExact": EXACT_B_RATE}]},
                      "result": {"total": "0.00"}}
    history = live(auditor, """query($p: ID!, $s: ID!) { scoreHistory(periodId: $p, subjectId: $s, indicator: "rate")
      { nodes { value valueExact } } scoreAsOf(periodId: $p, subjectId: $s, indicator: "total",
      at: "2100-01-01T00:00:00+08:00") { value valueExact } }""", p=p, s=a)
    # the first version is the period's computation before any fact (0), the second 甲's measure
    assert history == {"scoreHistory": {"nodes": [{"value": "0.00", "valueExact": "0.00"},
                                                  {"value": "83.89", "valueExact": EXACT_A}]},
                       "scoreAsOf": {"value": "83.89", "valueExact": EXACT_A}}
    page = live(auditor, """query($p: ID!) { subjects(periodId: $p) { nodes { id score { total
      indicators { value } } } } }""", p=p)["subjects"]["nodes"]
    assert sorted((n["id"], n["score"]["total"], n["score"]["indicators"][0]["value"]) for n in page) == \
        sorted([(a, "83.89", "83.89"), (b, "0.00", "94.44")])
