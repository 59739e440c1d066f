"""Publication (公示), its staleness and approval (审定) through the gateway over the real services (issue 21
items 12 and 25).

Scheme (hand-worked): 重点工作 manual /100, ranked by total; bands 优秀 ≥ 90, 良好 ≥ 75, else 合格.
甲 88 → 良好, 乙 92 → 优秀: 乙 rank 1, 甲 rank 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import PgServer
from tests.gateway.live import Live, live_stack

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUBMIT = "mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id version } }"
APPROVE = """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "approve", version: $v})
  { status factId } }"""
PUBLISH = "mutation($p: ID!, $d: Int) { publishResults(periodId: $p, workingDays: $d) { status closesAt } }"
PERIOD_STATUS = "query($p: ID!) { period(id: $p) { status subjectCount } }"


def scheme(scheme_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": scheme_id, "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
            "groups": ["街道"],
            "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}],
            "ranking": {"scope": "group", "order": ["total"]},
            "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 75}, {"grade": "合格"}]},
            **extra}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def live(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_stack(pg_server, Path(tmp_path_factory.mktemp("publication"))) as stack:
        stack.at(local("2026-06-01T10:00:00"))  # a Monday
        yield stack


@pytest.fixture(scope="module")
def units(live: Live) -> dict[str, str]:
    city = live.unit("市", "city")
    return {"city": city["id"], **{slug: live.unit(name, slug, city["id"])["id"]
                                   for name, slug in (("甲街道", "a"), ("乙街道", "b"), ("丙街道", "c"))}}


def computed(live: Live, units: dict[str, str], scheme_id: str, **extra: Any) -> dict[str, Any]:
    """A period of 甲 and 乙 with their work scores approved and ranked."""
    p = live.opened_period(scheme(scheme_id, **extra), "2026-Q2", [(units["a"], "街道"), (units["b"], "街道")])
    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city")
    facts = {}
    for unit, points in (("a", "88"), ("b", "92")):
        sent = live(assessor, SUBMIT, i={"periodId": p, "subjectId": units[unit], "indicator": "work",
                                         "fact": "score", "content": {"points": points}})["submitEvidence"]
        facts[unit] = live(reviewer, APPROVE, id=sent["id"], v=sent["version"])["reviewSubmission"]["factId"]
    live.settle(p)
    return {"id": p, "facts": facts}


def csv_rows(live: Live, token: str, period_id: str, kind: str) -> list[list[str]]:
    response = live.get(token, f"/exports/periods/{period_id}/{kind}.csv")
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_after_publication_enrolment_is_refused_and_both_services_say_published(
        live: Live, units: dict[str, str]) -> None:
    admin = live.token("admin", "")
    period = computed(live, units, "pub-state")
    p = period["id"]
    live(admin, 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "collecting") { status } }', p=p)
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"]["status"] == "published"
    live.settle(p)  # ranking's period.status has reached scoring
    assert live(admin, PERIOD_STATUS, p=p)["period"] == {"status": "published", "subjectCount": 2}
    enrol = live.service("scoring", "POST", f"/v1/periods/{p}/subjects",
                         json={"subjects": [{"id": units["c"], "group": "街道"}]})
    assert (enrol.status_code, enrol.json()["error"]["message"]) == (
        409, f"period {p} is published; enrolment closes when it is published")
    withdraw = live.service("scoring", "DELETE", f"/v1/periods/{p}/subjects/{units['b']}")
    assert withdraw.status_code == 409
    by_hand = live.error(admin, 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "finalized") '
                                '{ status } }', p=p)
    assert (by_hand["extensions"]["code"], by_hand["message"]) == ("CONFLICT", (
        f"period {p} becomes finalized when its results are finalized (finalizePeriod), so that scoring and "
        "ranking tell the same state"))
    live.settle(p)
    rows = csv_rows(live, admin, p, "publication")
    assert [row[1:3] for row in rows[1:]] == [[units["b"], "乙街道"], [units["a"], "甲街道"]]
    ranked = live(admin, 'query($p: ID!) { ranking(periodId: $p) { totalCount } }', p=p)
    assert ranked == {"ranking": {"totalCount": 2}}
