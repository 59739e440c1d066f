"""An auditor recomputes a period on their own machine (newcomer probe, item 2): the period's scheme and facts
documents exported through `GET /exports/periods/{id}/{scheme|facts}.json`, run through `kaohe evaluate`, give the
stored totals and the stored `inputs_sha256`; only admins and auditors over the period's owner export them.

Scheme: 重点工作 (manual, max 60) + 工作纪律 (deduction, max 40, 迟到 −2 each, no event = full marks).
甲 50 and 迟到 ×3 → 50 + 40 − 6 = 84; 乙 55, no event → 55 + 40 = 95."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli_helpers import clean_env, run_kaohe
from tests.gateway.live import Live, module_stack

SCHEME = {"id": "audited", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [
              {"code": "work", "name": "重点工作", "max": 60, "rule": {"kind": "manual"}},
              {"code": "discipline", "name": "工作纪律", "max": 40, "missing": "full",
               "rule": {"kind": "deduction", "per_event": {"late": 2}}}],
          "ranking": {"scope": "group", "order": ["total"]},
          "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "合格"}]}}
STORED = "query($p: ID!) { period(id: $p) { inputsSha256 } }"
EXPLAIN = "query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total totalExact } }"

live = module_stack("audit-inputs", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    p, a, b = live.street_period(SCHEME, "2026-Q2")
    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city", subject="leader")
    for evidence in ({"subjectId": a, "indicator": "work", "fact": "score", "content": {"points": "50"}},
                     {"subjectId": a, "indicator": "discipline", "fact": "event",
                      "content": {"type": "late", "count": 3}},
                     {"subjectId": b, "indicator": "work", "fact": "score", "content": {"points": "55"}}):
        assert live.approved(assessor, reviewer, {"periodId": p, **evidence})["status"] == "approved"
    live.settle(p)
    return {"period": p, "a": a, "b": b}


def test_the_exported_inputs_recompute_the_stored_scores_and_hash(live: Live, period: dict[str, str],
                                                                  tmp_path: Path) -> None:
    p, a, b = period["period"], period["a"], period["b"]
    admin = live.token("admin", "city")
    stored = live(admin, STORED, p=p)["period"]["inputsSha256"]
    assert len(stored) == 64
    files = {}
    for part in ("scheme", "facts"):
        response = live.get(live.token("auditor", "city"), f"/exports/periods/{p}/{part}.json")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-disposition"] == f'attachment; filename="{p}-{part}.json"'
        assert (response.headers["x-inputs-sha256"], response.headers["x-recompute-pending"]) == (stored, "false")
        assert live.get(admin, f"/exports/periods/{p}/{part}.json").content == response.content  # the office too
        files[part] = tmp_path / f"{part}.json"
        files[part].write_bytes(response.content)
    assert json.loads(files["scheme"].read_text(encoding="utf-8")) == SCHEME
    facts = json.loads(files["facts"].read_text(encoding="utf-8"))
    assert (facts["scheme"], facts["version"], facts["period"]) == ("audited", 1, "2026-Q2")
    assert facts["subjects"] == sorted([{"id": a, "name": "甲街道", "group": "街道", "attributes": {}},  # by id
                                        {"id": b, "name": "乙街道", "group": "街道", "attributes": {}}],
                                       key=lambda subject: subject["id"])
    assert sorted((f["subject"], f["indicator"], f["fact"], f.get("points"), f.get("type"), f.get("count"))
                  for f in facts["facts"]) == sorted([(a, "work", "score", "50", None, None),
                                                      (a, "discipline", "event", None, "late", 3),
                                                      (b, "work", "score", "55", None, None)])
    ran = run_kaohe("evaluate", "--scheme", str(files["scheme"]), "--facts", str(files["facts"]), env=clean_env())
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["inputs_sha256"] == stored
    totals = {s["id"]: s["total"] for s in result["subjects"]}
    assert totals == {a: "84.00", b: "95.00"}
    for subject in (a, b):  # the same totals as stored
        assert live(admin, EXPLAIN, p=p, s=subject)["explain"]["total"] == totals[subject]


@pytest.mark.parametrize(("role", "scope", "status"), [
    ("assessor", "city", 403),  # the office's scorers do not export the period's inputs
    ("admin", "city/a", 403),  # an admin below the owner (of 甲街道 only) neither
    ("subject", "city/a", 403),
    ("auditor", "elsewhere", 404),  # off the owner's branch: a period of nothing
    ("admin", "elsewhere", 404),
])
def test_only_the_owner_office_and_its_auditors_export_inputs(live: Live, period: dict[str, str], role: str,
                                                               scope: str, status: int) -> None:
    for part in ("scheme", "facts"):
        response = live.get(live.token(role, scope), f"/exports/periods/{period['period']}/{part}.json")
        assert response.status_code == status, response.text


def test_unknown_period_and_part(live: Live, period: dict[str, str]) -> None:
    auditor = live.token("auditor", "")
    assert live.get(auditor, "/exports/periods/nosuch/facts.json").status_code == 404
    assert live.get(auditor, f"/exports/periods/{period['period']}/results.json").status_code == 422
    assert live.get(auditor, f"/exports/periods/{'x' * 101}/facts.json").status_code == 422


FACTS = """query($p: ID!, $s: ID, $ids: [String!], $i: String, $first: Int, $after: String) {
  facts(periodId: $p, subjectId: $s, ids: $ids, indicator: $i, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id subjectId indicator kind body sourceType sourceId } } }"""
VERSIONS = """query($p: ID!, $s: ID!, $i: String!) { scoreHistory(periodId: $p, subjectId: $s, indicator: $i) {
  nodes { factIds } } }"""
SUBMISSION = "query($id: ID!) { submission(id: $id) { subjectId indicator status } }"


def _facts(live: Live, token: str, p: str, **variables: object) -> dict[str, object]:
    found: dict[str, object] = live(token, FACTS, p=p, **variables)["facts"]
    return found


def test_an_auditor_reads_every_fact_of_a_period_with_its_source(live: Live, period: dict[str, str]) -> None:
    p, a, b = period["period"], period["a"], period["b"]
    auditor = live.token("auditor", "city")
    page = live(auditor, FACTS, p=p)["facts"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is False
    nodes = page["nodes"]
    assert [n["id"] for n in nodes] == sorted(n["id"] for n in nodes)  # in id order
    assert sorted((n["subjectId"], n["indicator"], n["kind"], n["sourceType"]) for n in nodes) == sorted([
        (a, "work", "score", "submission"), (a, "discipline", "event", "submission"),
        (b, "work", "score", "submission")])
    exported = json.loads(live.get(auditor, f"/exports/periods/{p}/facts.json").content)["facts"]
    assert sorted((n["body"] for n in nodes), key=lambda f: f["id"]) == sorted(exported, key=lambda f: f["id"])
    for node in nodes:  # each source is the submission that made it
        made = live(auditor, SUBMISSION, id=node["sourceId"])["submission"]
        assert made == {"subjectId": node["subjectId"], "indicator": node["indicator"], "status": "approved"}
    # a score version's factIds name facts this reads
    ids = live(auditor, VERSIONS, p=p, s=a, i="discipline")["scoreHistory"]["nodes"][-1]["factIds"]
    assert [n["body"] for n in live(auditor, FACTS, p=p, ids=ids)["facts"]["nodes"]] == [
        {"id": ids[0], "subject": a, "indicator": "discipline", "fact": "event", "type": "late", "count": 3}]


def test_facts_pages_are_full_and_counted(live: Live, period: dict[str, str]) -> None:
    p = period["period"]
    auditor = live.token("auditor", "")
    every = [n["id"] for n in live(auditor, FACTS, p=p)["facts"]["nodes"]]
    first = live(auditor, FACTS, p=p, first=2)["facts"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"], [n["id"] for n in first["nodes"]]) == (
        3, True, every[:2])
    rest = live(auditor, FACTS, p=p, first=2, after=first["pageInfo"]["endCursor"])["facts"]
    assert (rest["totalCount"], rest["pageInfo"]["hasNextPage"], [n["id"] for n in rest["nodes"]]) == (
        3, False, every[2:])
    assert live(auditor, FACTS, p=p, first=0)["facts"] == {
        "totalCount": 3, "pageInfo": {"hasNextPage": True, "endCursor": None}, "nodes": []}
    assert live(auditor, FACTS, p=p, i="work")["facts"]["totalCount"] == 2


def test_facts_stay_within_the_callers_grants(live: Live, period: dict[str, str]) -> None:
    p, a, b = period["period"], period["a"], period["b"]
    every = live(live.token("auditor", ""), FACTS, p=p)["facts"]["nodes"]
    of_b = [n["id"] for n in every if n["subjectId"] == b]
    for role in ("assessor", "auditor", "submitter", "reviewer", "admin"):  # grants on 甲街道 (city/a) only
        token = live.token(role, "city/a")
        page = live(token, FACTS, p=p)["facts"]
        assert (page["totalCount"], {n["subjectId"] for n in page["nodes"]}) == (2, {a}), role
        assert live(token, FACTS, p=p, ids=of_b)["facts"] == {
            "totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}, role
        assert live.error(token, FACTS, p=p, s=b)["extensions"]["code"] == "NOT_FOUND", role
        assert live(token, FACTS, p=p, s=a)["facts"]["totalCount"] == 2, role
    outsider = live.token("auditor", "elsewhere")
    assert live.error(outsider, FACTS, p=p)["extensions"]["code"] == "NOT_FOUND"
    assert live.error(outsider, FACTS, p=p, s=a)["extensions"]["code"] == "NOT_FOUND"
    own = live.token("subject", "city/a", subject="jia", subject_ids=[a])
    assert live.error(own, FACTS, p=p, s=a)["extensions"]["code"] == "FORBIDDEN"
    assert live.error(live.token("rater", "city"), FACTS, p=p)["extensions"]["code"] == "FORBIDDEN"


def test_facts_input_limits(live: Live, period: dict[str, str]) -> None:
    p, auditor = period["period"], live.token("auditor", "")
    assert live.error(auditor, FACTS, p=p, first=101)["extensions"]["code"] == "BAD_USER_INPUT"
    assert live.error(auditor, FACTS, p=p, ids=[f"f{i}" for i in range(101)])["extensions"]["code"] == \
        "BAD_USER_INPUT"
    assert live.error(auditor, FACTS, p=p, after="not-a-cursor")["extensions"]["code"] == "BAD_USER_INPUT"
    assert live.error(auditor, FACTS, p="nosuch")["extensions"]["code"] == "NOT_FOUND"


CAUSES = """query($p: ID!, $s: ID!) { scoreHistory(periodId: $p, subjectId: $s, indicator: "work") {
  nodes { cause factIds } } }"""
TRAIL = """query($e: String!) { auditTrail(entityId: $e) { totalCount nodes { service action actor entityId } } }"""


def test_a_score_versions_cause_leads_to_the_person_and_the_fact(live: Live, period: dict[str, str]) -> None:
    p, b = period["period"], period["b"]
    auditor = live.token("auditor", "")
    version = live(auditor, CAUSES, p=p, s=b)["scoreHistory"]["nodes"][-1]
    events = version["cause"].split(",")
    assert events and all(e.startswith("event:") for e in events)
    found = []
    for event in events:  # each event as the cause names it, and as a bare id
        trail = live(auditor, TRAIL, e=event)["auditTrail"]
        assert live(auditor, TRAIL, e=event.removeprefix("event:"))["auditTrail"] == trail
        found += trail["nodes"]
    # the reviewer's approval made 乙's fact: the record names them and the fact the version was computed from
    assert {"service": "evidence", "action": "fact.upsert", "actor": "leader",
            "entityId": version["factIds"][0]} in found
    # every event the cause names changed one of this version's own facts, none another subject's
    assert {n["entityId"] for n in found if n["action"].startswith("fact.")} <= set(version["factIds"])
    if len(events) <= 4:  # the whole cause at once, as the description says
        assert sorted(live(auditor, TRAIL, e=version["cause"])["auditTrail"]["nodes"], key=str) == sorted(found,
                                                                                                          key=str)
    assert live(auditor, TRAIL, e="event:not-a-uuid")["auditTrail"]["totalCount"] == 0
