"""The first (full) recompute's faster paths (docs/performance.md as it was before issue 16, in git history,
"Full recompute, third pass"): the same versions, fact ids and stored JSON as before, on real Postgres.

Hand-worked on the tiny scheme (tests/scoring/conftest.py): p1 work 50 (f1), attend 10 − 2 lates = 8
(f3), rank 1 of 2 → 30, total 88 (f1, f3); p2 work 40 (f2), attend 10 (no fact), rank 2 → 20, total 70.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from kaohe.engine import parse_scheme, score_period
from kaohe.engine.scheme import load_document
from services.scoring.scores import compute
from services.scoring.scores import repository as repo
from services.scoring.scores.cache import PeriodState
from services.scoring.scores.models import ScoreVersion
from tests.scoring.conftest import FACTS, TINY, admin, fact_event, ok, service_headers

EXPECTED = [  # (subject, indicator, value, fact ids) of the first recompute, in the engine's order (the
    # nodes scored from a subject's own facts, then the cross-subject rank_points; the total last)
    ("p1", "attend", "8", ["f3"]), ("p1", "work", "50", ["f1"]), ("p1", "rankp", "30", []),
    ("p1", "total", "88", ["f1", "f3"]),
    ("p2", "attend", "10", []), ("p2", "work", "40", ["f2"]), ("p2", "rankp", "20", []),
    ("p2", "total", "70", ["f2"]),
]


def _tiny_result(facts: list[dict[str, Any]]) -> tuple[Any, Any]:
    scheme = parse_scheme(load_document(TINY))
    document = {"scheme": "tiny", "version": 1, "period": "2026-Q1", "facts": facts,
                "subjects": [{"id": sid, "group": "A", "attributes": {}} for sid in ("p1", "p2")]}
    return scheme, score_period(scheme, document)


def _rows(computed: list[compute.Computed]) -> list[tuple[str, str, str, list[str]]]:
    return [(c.subject_id, c.indicator, compute.as_text(c.value), c.fact_ids) for c in computed]


def test_facts_already_in_id_order_give_the_same_values_and_fact_ids() -> None:
    shuffled = [FACTS[2], FACTS[1], FACTS[0]]
    scheme, result = _tiny_result(shuffled)
    assert _rows(compute.computed_values(scheme, result, shuffled)) == EXPECTED
    by_id = sorted(shuffled, key=lambda f: f["id"])
    assert _rows(compute.computed_values(scheme, result, by_id, in_id_order=True)) == EXPECTED
    fresh: list[compute.Computed] = []
    by_key = {(c.subject_id, c.indicator): c for c in compute.computed_values(scheme, result, by_id)}
    # p1's work is the same number with the same explanation: not new; p2's total another number: new
    latest = {("p1", "work"): compute.Newest("50.0", by_key[("p1", "work")].explain),
              ("p2", "total"): compute.Newest("71", by_key[("p2", "total")].explain)}
    changed = list(compute.changed_each(compute.each_computed(scheme, result, by_id, in_id_order=True), latest, fresh))
    assert _rows(changed) == [r for r in EXPECTED if r[:2] != ("p1", "work")]
    assert fresh == changed


def test_the_live_fact_list_is_built_once_and_follows_changes() -> None:
    state = PeriodState("q1", 0)
    state.load([dict(f) for f in FACTS])
    first = state.live_facts()
    assert [f["id"] for f in first] == ["f1", "f2", "f3"]
    assert state.live_facts() is first  # the same list: not built again
    state.apply_fact("f0", {"id": "f0", "subject": "p2", "indicator": "work", "fact": "score", "points": "1"})
    assert [f["id"] for f in state.live_facts()] == ["f0", "f1", "f2", "f3"]
    state.apply_fact("f2", None)
    assert [f["id"] for f in state.live_facts()] == ["f0", "f1", "f3"]


IDS = [[], ["f1"], ["p00001-f00", "p00001-f01"], ["科室-1", "分管-2"], ['quo"te', "back\\slash", "tab\there"],
       ["line\u2028sep", "😀", "ctl\x01", "/slash"]]


async def test_fact_ids_json_stores_what_the_json_module_stored(service_db: Any) -> None:
    assert repo.fact_ids_json(["f1", "科室-1"]) == '["f1","科室-1"]'  # compact, not ASCII-escaped
    assert json.dumps(["f1", "科室-1"]) == '["f1", "\\u79d1\\u5ba4-1"]'  # what the column was given before
    db = await service_db("scoring")
    async with db.sessionmaker() as session:
        for ids in IDS:
            new, old = repo.fact_ids_json(ids), json.dumps(ids)
            row = (await session.execute(text("SELECT CAST(:new AS jsonb) = CAST(:old AS jsonb), "
                                              "CAST(CAST(:new AS jsonb) AS text), CAST(CAST(:old AS jsonb) AS text)"),
                                         {"new": new, "old": old})).one()
            assert row[0] is True and row[1] == row[2], ids
            assert json.loads(row[1]) == ids


def _record(subject: str, indicator: str, value: str, ids: list[str], now: datetime) -> tuple[Any, ...]:
    return ("q1", subject, indicator, Decimal(value), repo.fact_ids_json(ids), f"{indicator} of {subject}",
            "user:t", 1, "ab" * 32, now)


async def test_versions_are_copied_from_a_generator_and_nothing_is_sent_without_one(period: httpx.AsyncClient) -> None:
    from tests.scoring.conftest import app_db

    now = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    produced: list[str] = []

    def records(items: list[tuple[str, str, str, list[str]]]) -> Iterator[tuple[Any, ...]]:
        for subject, indicator, value, ids in items:
            produced.append(indicator)
            yield _record(subject, indicator, value, ids, now)

    async with app_db().sessionmaker() as session:
        await repo.insert_versions(session, records([]))
        await repo.insert_versions(session, iter(()))
        await repo.insert_versions(session, records([("p1", "work", "50.25", ["f1"]), ("p2", "total", "-1", [])]))
        rows = (await session.execute(
            select(ScoreVersion.subject_id, ScoreVersion.indicator, ScoreVersion.value, ScoreVersion.fact_ids,
                   ScoreVersion.explain, ScoreVersion.cause, ScoreVersion.score_set, ScoreVersion.created_at)
            .where(ScoreVersion.period_id == "q1").order_by(ScoreVersion.id))).all()
    assert produced == ["work", "total"]
    assert [tuple(r) for r in rows] == [
        ("p1", "work", Decimal("50.25"), ["f1"], "work of p1", "user:t", 1, now),
        ("p2", "total", Decimal("-1"), [], "total of p2", "user:t", 1, now),
    ]


async def test_the_first_recompute_stores_every_value_with_its_fact_ids(period: httpx.AsyncClient) -> None:
    from tests.scoring.conftest import app_db

    result = await ok(await period.post("/v1/periods/q1/recompute", headers=admin()))
    assert (result["score_set"], result["versions_created"]) == (1, 8)
    async with app_db().sessionmaker() as session:
        rows = (await session.execute(
            select(ScoreVersion.subject_id, ScoreVersion.indicator, ScoreVersion.value, ScoreVersion.fact_ids,
                   ScoreVersion.score_set, ScoreVersion.inputs_sha256, ScoreVersion.cause)
            .where(ScoreVersion.period_id == "q1").order_by(ScoreVersion.id))).all()
    assert [(s, i, compute.as_text(v), ids) for s, i, v, ids, *_ in rows] == EXPECTED
    assert {(n, sha, cause) for *_, n, sha, cause in rows} == {(1, result["inputs_sha256"], "user:office")}
    again = await ok(await period.post("/v1/periods/q1/recompute", headers=admin()))
    assert (again["changed"], again["versions_created"]) == (False, 0)


async def test_fact_bodies_load_in_parts_as_one_query_gave_them(period: httpx.AsyncClient,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.scoring.conftest import app_db

    monkeypatch.setattr(repo, "LOAD_PART_MIN_SEQS", 0)  # eight parts even for a few facts
    extra = [{"id": f"g{n}", "subject": "p2", "indicator": "attend", "fact": "event", "type": "late"} for n in range(9)]
    for fact in extra:
        await ok(await period.post("/events", json=fact_event("upsert", fact), headers=service_headers()))
    await ok(await period.post("/events", json=fact_event("retract", FACTS[1], revision=1), headers=service_headers()))
    parts: list[list[dict[str, Any]]] = []
    async with app_db().sessionmaker() as session:
        seqs = await repo.fact_seq_range(session, "q1")
        assert seqs is not None and seqs[1] - seqs[0] >= 12  # 3 + 9 facts written, then f2 retracted (a new seq)
        await repo.load_fact_bodies(session, "q1", seqs, parts.append)
        whole = await repo.fact_bodies(session, "q1")
    assert len(parts) == repo.LOAD_PARTS
    loaded = sorted((f for part in parts for f in part), key=lambda f: f["id"])
    assert loaded == sorted([FACTS[0], FACTS[2], *extra], key=lambda f: f["id"])  # f2 retracted: not live
    assert loaded == sorted(whole, key=lambda f: f["id"])


async def test_a_failed_part_leaves_the_connection_usable(period: httpx.AsyncClient,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.scoring.conftest import app_db

    monkeypatch.setattr(repo, "LOAD_PART_MIN_SEQS", 0)

    def refuse(part: list[dict[str, Any]]) -> None:
        raise RuntimeError("consumer failed")

    async with app_db().sessionmaker() as session:
        seqs = await repo.fact_seq_range(session, "q1")
        with pytest.raises(RuntimeError, match="consumer failed"):
            await repo.load_fact_bodies(session, "q1", seqs, refuse)
        assert (await session.execute(text("SELECT 41 + 1"))).scalar() == 42  # the next part's query was waited for
        calls: list[int] = []
        await repo.load_fact_bodies(session, "nothing", await repo.fact_seq_range(session, "nothing"),
                                    lambda part: calls.append(len(part)))
    assert calls == []  # a period without fact copies: no query, nothing handed over


def test_a_load_in_parts_keeps_the_last_body_of_an_id_as_a_whole_load_did() -> None:
    state = PeriodState("q1", 0)
    state.start_load()
    state.add_loaded([{"id": 7, "subject": "p1"}, {"id": "a", "subject": "p1"}])
    state.add_loaded([{"id": "7", "subject": "p2"}])
    state.loaded()
    assert state.order == ["7", "a"] and state.bodies["7"] == {"id": "7", "subject": "p2"}
    assert state.by_subject == {"p1": {"a"}, "p2": {"7"}}
    whole = PeriodState("q1", 0)
    whole.load([{"id": 7, "subject": "p1"}, {"id": "a", "subject": "p1"}, {"id": "7", "subject": "p2"}])
    assert (whole.order, whole.bodies, whole.by_subject) == (state.order, state.bodies, state.by_subject)
