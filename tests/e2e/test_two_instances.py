"""Two instances of each service (`kaohe serve`, real processes) on one database run the same workload: every
outbox event is sent exactly once (the relays claim rows with FOR UPDATE SKIP LOCKED), applied exactly once,
none is lost, the scores and ranks are those worked by hand, and each audit chain still verifies.

Wiring: evidence-1 → scoring-1 → ranking-1 and evidence-2 → scoring-2 → ranking-2, so both relays of a service
compete for the same outbox rows and both consumers of a topic apply events for the same period concurrently.
Hand-worked: p1 work mean(50 × 100) = 50, 2 lates → attend 8, rank 1 → 30: 88; p2 mean(30, 50 × 50) = 40,
attend 10, rank 2 → 20: 70.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import clean_env, run_kaohe
from tests.reliability.processes import SERVICE, ServiceProcess, call, enqueue_facts, set_up_period, sql, wait_for

pytestmark = pytest.mark.e2e


def workload() -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = [
        {"id": f"w1-{i}", "subject": "p1", "indicator": "work", "fact": "score", "points": "50"} for i in range(100)]
    facts += [{"id": f"w2-{i}", "subject": "p2", "indicator": "work", "fact": "score",
               "points": "30" if i % 2 else "50"} for i in range(100)]
    facts += [{"id": f"late-{i}", "subject": "p1", "indicator": "attend", "fact": "event", "type": "late", "count": 1}
              for i in range(2)]
    return facts


def _scores(url: str) -> dict[str, str]:
    body = call("GET", f"{url}/v1/periods/q1/scores", principal=SERVICE)
    return {s["id"]: s["total"] for s in body["subjects"]}


def test_two_instances_of_each_service(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database()
    ranking = [ServiceProcess("ranking", url, {}, tmp_path) for _ in range(2)]
    scoring = [ServiceProcess("scoring", url, {"ranking": r.url}, tmp_path) for r in ranking]
    evidence = [ServiceProcess("evidence", url, {"scoring": s.url}, tmp_path) for s in scoring]
    for s, e in zip(scoring, evidence, strict=True):  # scoring's verification asks evidence
        s.peers["evidence"] = e.url
    for r, s in zip(ranking, scoring, strict=True):
        r.peers["scoring"] = s.url
    everyone = [*ranking, *scoring, *evidence]
    try:
        for process in everyone:
            process.start()
        set_up_period(scoring[0].url)
        facts = workload()
        enqueue_facts(url, facts[:100])
        enqueue_facts(url, facts[100:])

        def settled() -> bool:
            pending = sql(url, "SELECT count(*) FROM evidence.outbox_event WHERE delivered_at IS NULL")[0][0]
            due = sql(url, "SELECT count(*) FROM scoring.period WHERE recompute_due_at IS NOT NULL")[0][0]
            unsent = sql(url, "SELECT count(*) FROM scoring.outbox_event WHERE delivered_at IS NULL")[0][0]
            return pending == 0 and due == 0 and unsent == 0 and _scores(scoring[1].url) == {"p1": "88", "p2": "70"}

        wait_for(settled, timeout=90, what="every event delivered and the period recomputed")
        # sent exactly once each, by one relay or the other; applied exactly once
        sends = sql(url, "SELECT attempts, count(*) FROM evidence.outbox_event GROUP BY attempts")
        assert [tuple(r) for r in sends] == [(1, len(facts))]
        assert sql(url, "SELECT count(*) FROM scoring.inbox_event WHERE topic = 'fact.changed'")[0][0] == len(facts)
        assert sql(url, "SELECT count(*) FROM scoring.fact_copy")[0][0] == len(facts)
        assert _scores(scoring[0].url) == _scores(scoring[1].url) == {"p1": "88", "p2": "70"}
        # the recompute holds; the facts were written into evidence's outbox with no evidence behind them, which
        # verification names (tests/reliability/test_fact_provenance.py)
        verified = call("POST", f"{scoring[0].url}/v1/periods/q1/verify")
        assert verified["mismatches"] == [] and {p["kind"] for p in verified["provenance"]} == {"unbacked", "cause"}
        # scores.changed: every event scoring sent reached ranking once
        sent = sql(url, "SELECT id::text, attempts FROM scoring.outbox_event WHERE destination = 'ranking'")
        applied = {r[0] for r in sql(url, "SELECT event_id::text FROM ranking.inbox_event")}
        assert {r[0] for r in sent} <= applied and all(r[1] == 1 for r in sent)

        def ranked() -> Any:
            rows = call("GET", f"{ranking[0].url}/v1/periods/q1/ranking")["items"]
            got = {r["subject_id"]: (Decimal(r["total"]), r["rank"]) for r in rows}
            return got == {"p1": (Decimal(88), 1), "p2": (Decimal(70), 2)} and got

        wait_for(ranked, timeout=30, what="ranking of the final scores")
        done = run_kaohe("audit", "verify", env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path / "cli"))
        lines = done.stdout.splitlines()  # every chain and row holds; only the facts without evidence are named
        assert lines[-1].startswith("ranking: ok ("), done.stdout
        assert all(line.startswith(("evidence: BROKEN: event ", "scoring: BROKEN: ")) and (
            "has no fact in evidence" in line or "no audited change of evidence" in line) for line in lines[:-1])
    finally:
        for process in everyone:
            process.stop()
