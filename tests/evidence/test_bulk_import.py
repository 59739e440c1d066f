"""Facts in bulk (`POST /v1/periods/{id}/submissions/import`, stop 26): the file's rows are written set-based and
come out exactly as one submission approved level by level makes them: the same rows, decisions, facts, events and
audit records in the same order; and a file of 10,000 rows, the most it may hold, is accepted in one request.

Hand-worked: an office (admin over everything) reviews every level of the 平时考核 (`regular`) chain 科室 → 分管领导
(the second lets the first level's reviewer decide again), so each row is approved at once: version 1 + 2 levels =
3, two decisions (levels 0 and 1) on content version 1, the fact `sub-<id>` at revision 1, one `fact.changed` event;
its audit records are submission.create, review.approve ×2, fact.upsert; after all rows one submission.import."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import text

from services.common.audit import digest
from services.common.db import session_scope
from services.evidence.submissions.imports import APPROVED_ON_UPLOAD
from tests.conftest import auth
from tests.evidence import conftest
from tests.evidence.conftest import Stack

OFFICE = auth(("admin", ""), subject="office")
APPROVED_EN = "approved on upload: the uploader reviews every level"  # the audit keeps the reason in English
CHAIN = {"indicator": "regular", "levels": [{"name": "科室", "working_days": 3},
                                            {"name": "分管领导", "working_days": 2, "same_reviewer_allowed": True}]}


async def upload(stack: Stack, csv: str, **form: str) -> Any:
    return await stack.client.post("/v1/periods/2026-Q1/submissions/import", headers=OFFICE,
                                   files={"file": ("ledger.csv", csv.encode())}, data={"indicator": "regular", **form})


async def rows(stack: Stack, sql: str, **params: Any) -> list[Any]:
    async for session in session_scope(stack.db):
        return list((await session.execute(text(sql), params)).all())
    return []


async def test_each_row_is_one_submission_approved_level_by_level(stack: Stack) -> None:
    chain = await stack.client.put("/v1/schemes/meiling/review-chains", headers=OFFICE, json=CHAIN)
    assert chain.status_code == 200, chain.text
    answer = await upload(stack, "subject,points\np001,46\nua,40\n")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("submitted", "approved", "pending")} == {"submitted": 2, "approved": 2, "pending": 0}
    made = body["submissions"]
    ids = [m["id"] for m in made]
    assert [(m["row"], m["subject_id"], m["status"], m["fact_id"]) for m in made] == [
        (2, "p001", "approved", f"sub-{ids[0]}"), (3, "ua", "approved", f"sub-{ids[1]}")]

    stored = await rows(stack, "SELECT id, subject_id, unit_path, status, version, current_version, level, "
                        "level_due_at, submitted_by, value FROM evidence.submission ORDER BY created_at, subject_id")
    assert sorted((s.id, s.subject_id, s.unit_path, s.status, s.version, s.current_version, s.level, s.level_due_at,
                   s.submitted_by, s.value) for s in stored) == sorted([
        (ids[0], "p001", "city/a", "approved", 3, 1, 1, None, "office", {"points": "46"}),
        (ids[1], "ua", "city/a", "approved", 3, 1, 1, None, "office", {"points": "40"})])
    versions = await rows(stack, "SELECT submission_id, number, content, justification, created_by "
                          "FROM evidence.submission_version ORDER BY id")
    assert [tuple(v) for v in versions] == [(ids[0], 1, {"points": "46"}, "批量导入 ledger.csv", "office"),
                                           (ids[1], 1, {"points": "40"}, "批量导入 ledger.csv", "office")]
    decisions = await rows(stack, "SELECT submission_id, submission_version, level, level_name, action, reason, "
                           "value IS NULL AS sql_null, actor FROM evidence.review_decision ORDER BY id")
    assert [tuple(d) for d in decisions] == [
        (sid, 1, level, name, "approve", {"code": APPROVED_ON_UPLOAD, "params": {}}, False, "office")  # JSON null
        for sid in ids for level, name in ((0, "科室"), (1, "分管领导"))]

    facts = {f"sub-{ids[0]}": {"id": f"sub-{ids[0]}", "subject": "p001", "indicator": "regular", "fact": "score",
                               "points": "46"},
             f"sub-{ids[1]}": {"id": f"sub-{ids[1]}", "subject": "ua", "indicator": "regular", "fact": "score",
                               "points": "40"}}
    stored_facts = await rows(stack, "SELECT id, period_id, subject_id, kind, unit_path, body, source_type, source_id, "
                              "retracted, revision FROM evidence.fact ORDER BY subject_id")
    assert [tuple(f) for f in stored_facts] == [
        (f"sub-{ids[0]}", "2026-Q1", "p001", "score", "city/a", facts[f"sub-{ids[0]}"], "submission", ids[0], False, 1),
        (f"sub-{ids[1]}", "2026-Q1", "ua", "score", "city/a", facts[f"sub-{ids[1]}"], "submission", ids[1], False, 1)]
    events = await rows(stack, "SELECT id::text, destination, topic, payload, attempts FROM evidence.outbox_event "
                        "WHERE topic = 'fact.changed'")
    assert sorted((e.destination, e.topic, e.payload["fact"]["id"], e.payload, e.attempts) for e in events) == [
        ("scoring", "fact.changed", fid, {"period_id": "2026-Q1", "action": "upsert", "fact": fact, "revision": 1}, 0)
        for fid, fact in sorted(facts.items())]
    event_of = {e.payload["fact"]["id"]: e.id for e in events}

    records = await rows(stack, "SELECT action, entity_type, entity_id, before_digest, after_digest, details, actor "
                         "FROM evidence.audit_record WHERE action NOT IN ('row.write', 'review_chain.put') "
                         "AND entity_type <> 'review_chain' ORDER BY id")
    expected: list[tuple[Any, ...]] = []
    for sid, points in zip(ids, ("46", "40"), strict=True):
        expected += [
            ("submission.create", "submission", sid, None,
             digest({"content": {"points": points}, "justification": "批量导入 ledger.csv"}), {}),
            ("review.approve", "submission", sid, None, digest({"status": "pending", "level": 0}),
             {"reason": APPROVED_EN, "value": None}),
            ("review.approve", "submission", sid, None, digest({"status": "pending", "level": 1}),
             {"reason": APPROVED_EN, "value": None}),
            ("fact.upsert", "fact", f"sub-{sid}", None, digest(facts[f"sub-{sid}"]),
             {"event": event_of[f"sub-{sid}"]}),
        ]
    assert [tuple(r)[:6] for r in records[:8]] == expected
    assert records[8][:3] == ("submission.import", "period", "2026-Q1")
    assert records[8].details["submitted"] == 2 and records[8].details["approved"] == 2
    assert {r.actor for r in records} == {"office"}
    # then the rows written, each with its digest: 2 submissions, 2 versions, 4 decisions, 2 facts
    written = await rows(stack, "SELECT entity_type, count(*) FROM evidence.audit_record WHERE action = 'row.write' "
                         "AND entity_type <> 'review_chain' GROUP BY entity_type ORDER BY entity_type")
    assert [tuple(w) for w in written] == [("fact", 2), ("review_decision", 4), ("submission", 2),
                                          ("submission_version", 2)]
    verified = await stack.client.get("/v1/audit/verify", headers=OFFICE)
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text


async def test_rows_left_for_review_wait_at_the_first_level(stack: Stack) -> None:
    """A chain whose second level the office may not pass alone (it decided the first): each row waits at level 0,
    version 1, no decision, no fact, no fact event; the audit has its submission.create only."""
    chain = {"indicator": "regular", "levels": [{"name": "科室", "working_days": 3},
                                                {"name": "分管领导", "working_days": 2}]}
    assert (await stack.client.put("/v1/schemes/meiling/review-chains", headers=OFFICE, json=chain)).status_code == 200
    answer = await upload(stack, "subject,points\np001,46\n")
    assert answer.status_code == 201, answer.text
    assert (answer.json()["approved"], answer.json()["pending"]) == (0, 1)
    stored = await rows(stack, "SELECT status, version, level, level_due_at IS NOT NULL FROM evidence.submission")
    assert [tuple(s) for s in stored] == [("pending", 1, 0, True)]
    counts = await rows(stack, "SELECT (SELECT count(*) FROM evidence.review_decision), "
                        "(SELECT count(*) FROM evidence.fact), "
                        "(SELECT count(*) FROM evidence.outbox_event WHERE topic = 'fact.changed')")
    assert tuple(counts[0]) == (0, 0, 0)


@pytest.mark.parametrize("count", [10_000])
async def test_a_file_of_the_most_rows_is_accepted(stack: Stack, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """10,000 rows (imports.MAX_ROWS), a subject each, one level: 10,000 approved submissions, facts and events,
    20,000 notices in the event log, and the audit chain holds. Before stop 26 this file failed at the commit (the
    event log's one INSERT took more than PostgreSQL's 32,767 parameters) after minutes of row-by-row writes."""
    people = {f"q{n:05d}": {"id": f"q{n:05d}", "name": f"职工{n}", "kind": "person", "group": "一般工作人员",
                            "unit_path": "city/a", "attributes": {}} for n in range(count)}
    monkeypatch.setattr(conftest, "SUBJECTS", {**conftest.SUBJECTS, **people})
    csv = "subject,name,points\n" + "".join(f"{sid},{p['name']},{n % 50}\n"
                                             for n, (sid, p) in enumerate(people.items()))
    started = time.perf_counter()
    answer = await upload(stack, csv)
    seconds = time.perf_counter() - started
    assert answer.status_code == 201, answer.text[:2000]
    body = answer.json()
    assert (body["submitted"], body["approved"], len(body["submissions"])) == (count, count, count)
    counts = await rows(stack, "SELECT (SELECT count(*) FROM evidence.submission WHERE status = 'approved'), "
                        "(SELECT count(*) FROM evidence.review_decision), (SELECT count(*) FROM evidence.fact), "
                        "(SELECT count(*) FROM evidence.outbox_event WHERE topic = 'fact.changed'), "
                        "(SELECT count(*) FROM evidence.event_log), "
                        "(SELECT count(*) FROM evidence.audit_record WHERE action <> 'row.write')")
    assert tuple(counts[0]) == (count, count, count, count, 2 * count, 3 * count + 1)
    verified = await stack.client.get("/v1/audit/verify", headers=OFFICE)
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text[:2000]
    print(f"{count} rows in {seconds:.1f} s")
