"""Facts written behind the services' back (attacker probe, HIGH): a `fact.changed` event inserted into evidence's
outbox, or scoring's fact copy edited in SQL, moves points and ranks while every audit record holds. Verification
(scoring's `POST /v1/periods/{id}/verify`, `kaohe audit verify`, the gateway's `verifyAuditChain(SCORING)`) now holds
every fact copy to evidence's last audited change of the fact and every score version's cause to evidence's audited
changes, and names the fact or the cause; evidence's own verification names an event in its outbox that no audited
change sent.

Scheme (as tests/gateway/test_live_audit_inputs.py): 重点工作 (manual, max 60) + 工作纪律 (deduction, max 40, 迟到 −2
each). 甲 50 and 迟到 ×3 → 50 + 40 − 6 = 84; 乙 55 → 95 (rank 1). The forged event gives 乙 迟到 ×10: 55 + 40 − 20 = 75,
below 甲.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from tests.cli_helpers import clean_env, run_kaohe
from tests.gateway.live import Live, module_stack
from tests.gateway.test_live_audit_inputs import SCHEME

live = module_stack("fact-provenance", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
EXPLAIN = "query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total } }"
CHAIN = "query { verifyAuditChain(service: SCORING) { ok report } }"
PERIOD = "query($p: ID!) { verifyPeriod(periodId: $p) { ok mismatches provenance } }"


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    p, a, b = live.street_period(SCHEME, "2026-Q2")
    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city", subject="leader")
    facts = []
    for evidence in ({"subjectId": a, "indicator": "work", "fact": "score", "content": {"points": "50"}},
                     {"subjectId": a, "indicator": "discipline", "fact": "event",
                      "content": {"type": "late", "count": 3}},
                     {"subjectId": b, "indicator": "work", "fact": "score", "content": {"points": "55"}}):
        approved = live.approved(assessor, reviewer, {"periodId": p, **evidence})
        assert approved["status"] == "approved"
        facts.append(approved["factId"])
    live.settle(p)
    return {"period": p, "a": a, "b": b, "a_work": facts[0]}


def _sql(live: Live, query: str, *args: Any) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(live.database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def _last_fact_record(live: Live, fact_id: str) -> int:
    found: int = _sql(live, "SELECT max(id) FROM evidence.audit_record WHERE entity_type = 'fact' AND entity_id = $1 "
                            "AND action IN ('fact.upsert', 'fact.retract')", fact_id)
    return found


def _cli(live: Live) -> Any:
    return run_kaohe("audit", "verify", env=clean_env(KAOHE_DATABASE_URL=live.database_url,
                                                      KAOHE_DATA_DIR="/nonexistent-kaohe"))


def _totals(live: Live, period: dict[str, str]) -> dict[str, str]:
    auditor = live.token("auditor", "city")
    return {s: live(auditor, EXPLAIN, p=period["period"], s=period[s])["explain"]["total"] for s in ("a", "b")}


def test_1_an_untampered_period_verifies(live: Live, period: dict[str, str]) -> None:
    assert _totals(live, period) == {"a": "84.00", "b": "95.00"}
    verified = live(live.token("auditor", "city"), PERIOD, p=period["period"])["verifyPeriod"]
    assert verified == {"ok": True, "mismatches": [], "provenance": []}
    chain = live(live.token("auditor", ""), CHAIN)["verifyAuditChain"]
    assert (chain["ok"], chain["report"]["provenance"], chain["report"]["provenance_count"]) == (True, [], 0)
    done = _cli(live)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split(": ", 1)[1].startswith("ok (") for line in done.stdout.splitlines()] == [True, True, True]


def test_2_a_fact_copy_edited_in_sql_is_named(live: Live, period: dict[str, str]) -> None:
    p, fact = period["period"], period["a_work"]
    record = _last_fact_record(live, fact)
    _sql(live, "UPDATE scoring.fact_copy SET body = jsonb_set(body, '{points}', '\"60\"') WHERE fact_id = $1", fact)
    try:
        sentence = (f"fact {fact} in scoring's copy of period {p} differs from evidence's last audited change of it "
                    f"(record {record})")
        verified = live(live.token("auditor", "city"), PERIOD, p=p)["verifyPeriod"]
        assert verified["ok"] is False
        assert verified["provenance"] == [{"period_id": p, "kind": "differs", "fact": fact, "cause": None,
                                           "record_id": record, "message": sentence}]
        # the recompute from the edited copy differs as well: 甲's work 60, total 94
        assert {(m.get("indicator"), m.get("computed")) for m in verified["mismatches"]} >= {("work", "60"),
                                                                                            ("total", "94")}
        chain = live(live.token("auditor", ""), CHAIN)["verifyAuditChain"]
        assert chain["ok"] is False
        assert [(f["kind"], f["fact"]) for f in chain["report"]["provenance"]] == [("differs", fact)]
        done = _cli(live)
        assert done.returncode == 1
        lines = done.stdout.splitlines()
        assert lines[0].startswith("evidence: ok (") and lines[-1].startswith("ranking: ok (")
        assert lines[1:-1] == [f"scoring: BROKEN: {sentence}"]
    finally:
        _sql(live, "UPDATE scoring.fact_copy SET body = jsonb_set(body, '{points}', '\"50\"') WHERE fact_id = $1",
             fact)
    assert live(live.token("auditor", "city"), PERIOD, p=p)["verifyPeriod"]["ok"] is True


def test_3_a_fact_event_inserted_into_evidence_s_outbox_is_named(live: Live, period: dict[str, str]) -> None:
    """The probe's repro: the forged event reaches the ranking (乙 falls from 95 to 75, below 甲's 84), and every
    verification names the fact and the cause."""
    p = period["period"]
    forged = f"sub-{uuid.uuid4()}"
    payload = {"fact": {"id": forged, "fact": "event", "type": "late", "count": 10, "date": "2026-05-05",
                        "subject": period["b"], "indicator": "discipline"},
               "action": "upsert", "revision": 1, "period_id": p}
    event = _sql(live, "INSERT INTO evidence.outbox_event (id, destination, topic, payload, attempts) VALUES "
                       "(gen_random_uuid(), 'scoring', 'fact.changed', $1::jsonb, 0) RETURNING id::text",
                 json.dumps(payload))
    live.settle(p)
    assert _totals(live, period) == {"a": "84.00", "b": "75.00"}  # the attack moved the scores
    unbacked = (f"fact {forged} in scoring's copy of period {p} has no fact in evidence: no audited change of "
                "evidence made it (written behind the services' back)")
    cause = f"score versions of period {p} name the cause event:{event}, which is no audited change of evidence"
    verified = live(live.token("auditor", "city"), PERIOD, p=p)["verifyPeriod"]
    assert (verified["ok"], verified["mismatches"]) == (False, [])  # the scores are what the copies give
    assert verified["provenance"] == [
        {"period_id": p, "kind": "unbacked", "fact": forged, "cause": None, "record_id": None, "message": unbacked},
        {"period_id": p, "kind": "cause", "fact": None, "cause": f"event:{event}", "record_id": None,
         "message": cause}]
    chain = live(live.token("auditor", ""), CHAIN)["verifyAuditChain"]
    assert chain["ok"] is False and chain["report"]["provenance_count"] == 2
    # evidence's own verification names the event its outbox holds with no audited change behind it
    outbox = (f"event event:{event} in evidence's outbox changes fact {forged} of period {p}, but no audited change of "
              "evidence sent it (written behind the service's back)")
    own = live(live.token("auditor", ""), CHAIN.replace("SCORING", "EVIDENCE"))["verifyAuditChain"]
    assert (own["ok"], [f["message"] for f in own["report"]["provenance"]]) == (False, [outbox])
    done = _cli(live)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("ranking: ok (")
    assert lines[:-1] == [f"evidence: BROKEN: {outbox}", f"scoring: BROKEN: {unbacked}", f"scoring: BROKEN: {cause}"]
