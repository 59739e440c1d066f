"""Every live fact of evidence held to what legitimately produces facts (attacker probe: a fact edited in SQL with
the triggers off, its `row.write` and `fact.upsert` records appended with correct hashes and an outbox event carrying
the upsert; scoring applied it and every verification said ok).

The legitimate period (hand-made; business time in Shanghai):
- the journals month of tests/gateway/test_live_journals.py, both its tests: a journal adjusted at two of three
  levels, weeks missing by the sweep and excused, a make-up agreed by default at two levels and adjusted at one,
  another person's journal sent as evidence and approved at every level, and a journal rejected (the week missing);
- streets 甲 and 乙 in 2026-Q2 (重点工作 through a two-level chain): 甲 46 approved at both levels unchanged, 乙 50
  adjusted to 52 at the first level and approved at the second, then 乙's appeal upheld with 95; a rectification
  notice on 甲 with a follow-up (考勤整改, unrectified) gone overdue; a rating task closed with 甲 rated 好.
Sources of the live facts: submission, journal, appeal, rectification, rating_task; none unbacked.

The forgery: 甲's 重点工作 fact, 46, made 10 at revision 2 behind the services' back. Scoring applies it (the leaf
reads 10.00) and scoring's own verification holds (its copy is evidence's last audited change); evidence's names the
fact: no approved version of its submission (46 is the only one) gives 10.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.common.audit import AuditEntry, chain_records, digest
from services.common.audit_rows import ROW_WRITE, AuditedTable
from tests.cli_helpers import clean_env, run_kaohe
from tests.gateway import test_live_journals as journals_flow
from tests.gateway.live import SUBMIT, Live, module_stack
from tests.gateway.test_live_publication import ANSWER_APPEAL, FILE_APPEAL, local, scheme
from tests.reliability import processes

live = module_stack("fact-backing")
CHAIN = "query($s: Service!) { verifyAuditChain(service: $s) { ok report } }"
REVIEW = """mutation($id: ID!, $v: Int!, $a: String!, $value: JSON, $r: String) {
  reviewSubmission(id: $id, input: {action: $a, version: $v, value: $value, reason: $r}) { status version factId } }"""
KQ = {"code": "kq", "name": "考勤整改", "max": 20, "missing": "full",
      "rule": {"kind": "deduction", "per_event": {"unrectified": 2}}}
RATING = {"code": "pj", "name": "测评", "max": 40, "rule": {"kind": "rating", "scale": {"好": 40, "差": 0}}}
EXPLAIN = "query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { indicators { code value } } }"
SENTENCE = ("unbacked fact {fact} revision {revision} of period {period}: no approved submission version, upheld "
            "appeal, journal week, closed rating task or rectification follow-up of evidence gives its body (it names "
            "{source} as its source)")


def dsn(live: Live) -> str:
    return processes.dsn(live.database_url)


def _fetch(live: Live, query: str, *args: Any) -> list[Any]:
    return processes.sql(live.database_url, query, *args)


def _cli(live: Live) -> Any:
    return run_kaohe("audit", "verify", "--service", "evidence",
                     env=clean_env(KAOHE_DATABASE_URL=live.database_url, KAOHE_DATA_DIR="/nonexistent-kaohe"))


def _review(live: Live, token: str, submission_id: str, version: int, action: str,
            value: dict[str, Any] | None = None) -> dict[str, Any]:
    reviewed: dict[str, Any] = live(token, REVIEW, id=submission_id, v=version, a=action, value=value,
                                    r="按考核标准量化评价" if value is not None else None)["reviewSubmission"]
    return reviewed


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    journals_flow.test_a_month_of_journals(live)
    journals_flow.test_an_unconfirmed_journal_counts_as_a_week_without_one(live)  # clock: 2026-04-20 10:00
    admin = live.token("admin", "")
    [city] = [u["id"] for u in live(admin, "{ units { nodes { id path } } }")["units"]["nodes"] if u["path"] == "city"]
    units = {slug: live.unit(name, slug, city)["id"] for name, slug in (("甲街道", "sa"), ("乙街道", "sb"))}
    document = scheme("fact-backing")
    document["indicators"] = [*document["indicators"], KQ, RATING]
    p = live.opened_period(document, "2026-Q2", [(units["sa"], "街道"), (units["sb"], "街道")])
    live(admin, 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "collecting") { status } }', p=p)
    live(admin, """mutation($l: [ReviewLevelInput!]!) { setReviewChain(schemeId: "fact-backing", indicator: "work",
        levels: $l) { version } }""", l=[{"name": "科室负责人", "scope": "city"},
                                         {"name": "分管领导", "scope": "city"}])
    assessor = live.token("assessor", "city")
    first, second = (live.token("reviewer", "city", subject=name) for name in ("first", "second"))
    sent = {unit: live(assessor, SUBMIT, i={"periodId": p, "subjectId": units[unit], "indicator": "work",
                                            "fact": "score", "content": {"points": points}})["submitEvidence"]
            for unit, points in (("sa", "46"), ("sb", "50"))}
    one = _review(live, first, sent["sa"]["id"], sent["sa"]["version"], "approve")
    a_fact = _review(live, second, sent["sa"]["id"], one["version"], "approve")["factId"]
    one = _review(live, first, sent["sb"]["id"], sent["sb"]["version"], "adjust", {"points": "52"})
    b_fact = _review(live, second, sent["sb"]["id"], one["version"], "approve")["factId"]
    appeal = live(live.token("submitter", "city/sb"), FILE_APPEAL, p=p, s=units["sb"], f=b_fact)["fileAppeal"]
    assert live(admin, ANSWER_APPEAL, id=appeal["id"], v=appeal["version"]) == {"answerAppeal": {"status": "upheld"}}
    live(live.token("assessor", "city/sa", subject="inspector-a"), """mutation($i: RectificationInput!) {
        issueRectificationNotice(input: $i) { id } }""", i={
        "periodId": p, "subjectId": units["sa"], "checkedAt": "2026-04-20T02:00:00+00:00",
        "problem": "台账缺少会议记录", "opinion": "限期补齐", "deadline": "2026-04-24",
        "followUp": {"type": "unrectified", "indicator": "kq"}})
    task = live(admin, "mutation($t: RatingTaskInput!) { openRatingTask(input: $t) { id version } }", t={
        "periodId": p, "indicator": "pj", "kind": "democratic", "scope": "city", "grades": ["好", "差"],
        "round": 1, "closesAt": "2026-04-30T09:00:00+00:00", "subjectIds": [units["sa"], units["sb"]],
        "raters": [{"rater": "rater@city", "level": "群众", "unitPath": "city"}]})["openRatingTask"]
    live(live.token("rater", "city"), "mutation($t: ID!, $a: [BallotAnswer!]!) { castBallot(taskId: $t, answers: $a) "
         "{ taskId } }", t=task["id"], a=[{"subjectId": units["sa"], "grade": "好"}])
    live(admin, "mutation($t: ID!, $v: Int!) { closeRatingTask(taskId: $t, version: $v) { status } }",
         t=task["id"], v=task["version"])
    live.at(local("2026-04-25T00:00:01"))
    swept = live.service("evidence", "POST", "/v1/rectifications/sweep")
    assert swept.json() == {"overdue": 1}
    live.settle(p)
    return {"period": p, "a": units["sa"], "a_fact": a_fact, "a_submission": sent["sa"]["id"]}


def test_1_a_legitimate_period_of_every_source_verifies(live: Live, period: dict[str, str]) -> None:
    sources = {row["source_type"] for row in _fetch(
        live, "SELECT DISTINCT source_type FROM evidence.fact WHERE NOT retracted")}
    assert sources == {"submission", "journal", "appeal", "rectification", "rating_task"}
    verified = live(live.token("auditor", ""), CHAIN, s="EVIDENCE")["verifyAuditChain"]
    assert (verified["ok"], verified["report"]["provenance"], verified["report"]["provenance_count"]) == (True, [], 0)
    done = _cli(live)
    assert (done.returncode, done.stdout.startswith("evidence: ok (")) == (0, True), done.stdout + done.stderr


async def _forge(live: Live, fact_id: str, points: str) -> str:
    """The attacker: the fact's points changed with the triggers off, its revision raised, a `fact.upsert` and a
    `row.write` record chained after the last with the code's own hashing, and an outbox event carrying the upsert;
    the event's id."""
    conn = await asyncpg.connect(dsn(live))
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("SET LOCAL TimeZone = 'UTC'")
            await conn.execute("SET LOCAL extra_float_digits = 1")
            row = await conn.fetchrow("SELECT body::text AS body, period_id FROM evidence.fact WHERE id = $1", fact_id)
            before = json.loads(row["body"])
            after = {**before, "points": points}
            revision = await conn.fetchval("UPDATE evidence.fact SET body = $2::jsonb, revision = revision + 1, "
                                           "updated_at = now() WHERE id = $1 RETURNING revision", fact_id,
                                           json.dumps(after))
            row_digest = await conn.fetchval(
                f"SELECT {AuditedTable('fact').digest_sql('evidence')} FROM evidence.fact r WHERE r.id = $1", fact_id)
            prev = await conn.fetchval("SELECT hash FROM evidence.audit_record ORDER BY id DESC LIMIT 1")
            event = str(uuid.uuid4())
            entries = [AuditEntry("second", "fact.upsert", "fact", fact_id, digest(before), digest(after),
                                  {"event": event}),
                       AuditEntry("second", ROW_WRITE, "fact", fact_id, None, row_digest, {})]
            for record in chain_records(entries, prev, datetime.now(UTC), None):
                await conn.execute(
                    "INSERT INTO evidence.audit_record (recorded_at, actor, action, entity_type, entity_id, "
                    "before_digest, after_digest, details, request_id, prev_hash, hash) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)",
                    record["recorded_at"], record["actor"], record["action"], record["entity_type"],
                    record["entity_id"], record["before_digest"], record["after_digest"],
                    json.dumps(record["details"]), record["request_id"], record["prev_hash"], record["hash"])
            payload = {"period_id": row["period_id"], "action": "upsert", "fact": after, "revision": revision}
            await conn.execute("INSERT INTO evidence.outbox_event (id, destination, topic, payload, attempts) "
                               "VALUES ($1::uuid, 'scoring', 'fact.changed', $2::jsonb, 0)", event, json.dumps(payload))
        return event
    finally:
        await conn.close()


def test_2_a_fact_forged_with_its_records_is_named_unbacked(live: Live, period: dict[str, str]) -> None:
    p, fact = period["period"], period["a_fact"]
    auditor = live.token("auditor", "")
    work = live(auditor, EXPLAIN, p=p, s=period["a"])["explain"]["indicators"]
    assert {"code": "work", "value": "46.00"} in work
    asyncio.run(_forge(live, fact, "10"))
    live.settle(p)
    work = live(auditor, EXPLAIN, p=p, s=period["a"])["explain"]["indicators"]
    assert {"code": "work", "value": "10.00"} in work  # scoring applied the forgery
    # scoring's check holds: its copy is evidence's last audited change of the fact
    assert live(auditor, CHAIN, s="SCORING")["verifyAuditChain"]["ok"] is True
    sentence = SENTENCE.format(fact=fact, revision=2, period=p, source=f"submission:{period['a_submission']}")
    verified = live(auditor, CHAIN, s="EVIDENCE")["verifyAuditChain"]
    report = verified["report"]
    assert verified["ok"] is False
    # the chain and every audited row hold: the records were forged with the code's own hashing
    assert (report["first_broken_id"], report["row_problems"], report["unsealed"]) == (None, [], 0)
    assert report["provenance"] == [{"period_id": p, "kind": "unbacked_fact", "fact": fact,
                                     "cause": f"submission:{period['a_submission']}", "record_id": None,
                                     "revision": 2, "message": sentence}]
    assert report["provenance_count"] == 1
    done = _cli(live)
    assert (done.returncode, done.stdout) == (1, f"evidence: BROKEN: {sentence}\n"), done.stderr


async def _edited(live: Live) -> tuple[dict[str, str], list[tuple[str, str, int]]]:
    """One live fact of each source given a value no source wrote (in a transaction rolled back): the edited facts
    by source and what evidence's check names meanwhile (fact, source type, revision)."""
    from services.common.provenance import unbacked_facts

    conn = await asyncpg.connect(dsn(live))
    try:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("SET LOCAL session_replication_role = replica")
            edited = {row["source_type"]: row["id"] for row in await conn.fetch(
                "UPDATE evidence.fact SET body = body || '{\"note\": \"改\"}'::jsonb WHERE id IN (SELECT DISTINCT ON "
                "(source_type) id FROM evidence.fact WHERE NOT retracted ORDER BY source_type, id) "
                "RETURNING id, source_type")}
            named = [(p.fact_id or "", (p.cause or "").split(":")[0], p.revision or 0)
                     for p in await unbacked_facts(conn)]
        finally:
            await tx.rollback()
        return edited, named
    finally:
        await conn.close()


def test_3_a_value_no_source_wrote_is_named_for_every_source(live: Live, period: dict[str, str]) -> None:
    edited, named = asyncio.run(_edited(live))
    assert set(edited) == {"submission", "journal", "appeal", "rectification", "rating_task"}
    forged = (period["a_fact"], "submission", 2)  # test 2's forgery stays named
    revisions = {row["id"]: row["revision"] for row in _fetch(
        live, "SELECT id, revision FROM evidence.fact WHERE id = ANY($1::text[])", list(edited.values()))}
    assert sorted(named) == sorted({forged, *((fact, source, revisions[fact]) for source, fact in edited.items())})
