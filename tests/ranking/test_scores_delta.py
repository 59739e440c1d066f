"""Ranking reads scoring's scores as a delta (since_score_set + period_key), against the real scoring app.

Hand-worked on scoring's tiny scheme (tests/scoring/conftest.py): p1 88 (work 50, attend 8, rank
1 → 30), p2 70 (work 40, attend 10, rank 2 → 20). After p2's work becomes 55: p1 50 + 8 + 20 = 78,
p2 55 + 10 + 30 = 95, so p2 ranks first. The tiny scheme ranks over all subjects (no groups).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.ranking.results.scores_cache import merge
from tests.scoring.conftest import (  # noqa: F401 - period and scoring are the fixtures used here
    FACTS,
    admin,
    fact_event,
    ok,
    period,
    scoring,
    service_headers,
)


class Recording(httpx.AsyncBaseTransport):
    """Scoring's ASGI app as ranking's transport, remembering each URL ranking asked for."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.urls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return await self.inner.handle_async_request(request)


async def _changed(ranking: httpx.AsyncClient, source: httpx.AsyncClient) -> dict[str, Any]:
    read = await ok(await source.get("/v1/periods/q1", headers=admin()))
    event = {"id": str(uuid.uuid4()), "source": "scoring", "topic": "scores.changed",
             "payload": {"period_id": "q1", "score_set": read["score_set"]}}
    body: dict[str, Any] = await ok(await ranking.post("/events", json=event, headers=service_headers("scoring")))
    return body


async def test_ranking_reads_only_what_changed_and_gets_the_same_results(
        period: httpx.AsyncClient, api: Any) -> None:  # noqa: F811 - the fixture imported above
    from services.ranking.app import app as ranking_app
    from services.scoring.app import app as scoring_app

    scoring_client = period
    ranking = await api("ranking")
    transport = Recording(scoring_app)
    ranking_app.state.scoring_http = httpx.AsyncClient(transport=transport)
    try:
        await ok(await scoring_client.post("/v1/periods/q1/recompute", headers=admin()))
        first = await _changed(ranking, scoring_client)
        assert (first["changed"], first["unchanged"]) == (2, 0)
        change = fact_event("upsert", {**FACTS[1], "points": "55"}, revision=1)
        await ok(await scoring_client.post("/events", json=change, headers=service_headers()))
        await ok(await scoring_client.post("/v1/periods/q1/recompute", headers=admin()))
        second = await _changed(ranking, scoring_client)
        assert (second["changed"], second["unchanged"]) == (2, 0)
        reads = [u for u in transport.urls if "/scores" in u]
        assert "since_score_set" not in reads[0] and "since_score_set=1" in reads[1]
        table = await ok(await ranking.get("/v1/periods/q1/ranking", headers=admin()))
        assert [(r["subject_id"], r["rank"], r["total"]) for r in table["items"]] == [("p2", 1, "95.00"),
                                                                                      ("p1", 2, "78.00")]
        third = await _changed(ranking, scoring_client)  # a repeat of the same score set: nothing to do
        assert (third["changed"], third["unchanged"]) == (0, 2)
    finally:
        await ranking_app.state.scoring_http.aclose()
        ranking_app.state.scoring_http = None


def test_merge_keeps_unchanged_subjects_and_clears_stale_flags() -> None:
    cached = {"score_set": 1, "subjects": [
        {"id": "a", "total": "1", "vetoes": [], "flags": []},
        {"id": "b", "total": "2", "vetoes": [{"event": "x", "fact": "f"}], "flags": [{"veto": "x"}]},
        {"id": "c", "total": "3", "vetoes": [], "flags": []},
    ]}
    delta = {"score_set": 2, "partial": True, "subjects": [{"id": "c", "total": "4", "vetoes": [], "flags": []}]}
    merged = merge(cached, delta)
    assert merged["partial"] is False and merged["score_set"] == 2
    assert merged["subjects"] == [{"id": "a", "total": "1", "vetoes": [], "flags": []},
                                  {"id": "b", "total": "2", "vetoes": [], "flags": []},  # not in the delta: none
                                  {"id": "c", "total": "4", "vetoes": [], "flags": []}]
    assert merged["subjects"][0] is cached["subjects"][0]  # unchanged entries are reused as they are


def _manual_scheme(scheme_id: str) -> Any:
    from kaohe.engine import parse_scheme

    return parse_scheme({"id": scheme_id, "version": 1, "title": "t", "subject_kind": "unit", "period": "quarter",
                         "indicators": [{"code": "a", "name": "a", "max": 10, "rule": {"kind": "manual"}}]})


def _entry(sid: str, value: str) -> dict[str, Any]:
    """One subject of a scores body of _manual_scheme."""
    return {"id": sid, "group": "g", "unit_path": f"city/{sid}", "scores": {"a": value}, "total": value,
            "explain": {"a": f"manual {value}"}}


def test_a_changed_entry_replaces_its_predecessors_parse() -> None:
    """period_scores parses an entry once; a delta's new entry for a subject replaces the old one's parse
    instead of piling up beside it (the soak of issue 7 saw ranking grow by every superseded entry)."""
    from decimal import Decimal

    from services.ranking.results.inputs import ParsedInputs

    inputs = ParsedInputs()
    scheme, entry = _manual_scheme("parse-once"), _entry
    first = {"subjects": [entry("po-u1", "1"), entry("po-u2", "2"), entry("po-u3", "3")]}
    before, _ = inputs.period_scores(scheme, "2026-Q4", first)
    body = first
    for n in range(40):
        body = merge(body, {"subjects": [entry("po-u1", str(4 + n % 5))], "partial": True})
        scores, meta = inputs.period_scores(scheme, "2026-Q4", body)
    assert len(inputs) == 3  # one parse kept per subject, not one per entry ever seen
    assert scores.subjects[1] is before.subjects[1] and scores.subjects[2] is before.subjects[2]  # reused
    assert scores.subjects[0].total == Decimal("8")  # the 40th change: 4 + 39 % 5
    assert meta["po-u1"].unit_path == "city/po-u1"


def test_period_scores_reuses_each_unchanged_subjects_parse_in_any_order() -> None:
    from services.ranking.results.inputs import ParsedInputs

    inputs = ParsedInputs()
    scheme, entry = _manual_scheme("patch-last"), _entry
    first = {"subjects": [entry("pl-1", "1"), entry("pl-2", "2"), entry("pl-3", "3")]}
    before, _ = inputs.period_scores(scheme, "Q", first)
    changed = merge(first, {"subjects": [entry("pl-2", "7")], "partial": True})
    after, meta = inputs.period_scores(scheme, "Q", changed)
    assert [(s.subject.id, str(s.total)) for s in after.subjects] == [("pl-1", "1"), ("pl-2", "7"), ("pl-3", "3")]
    assert after.subjects[0] is before.subjects[0] and after.subjects[2] is before.subjects[2]
    assert list(meta) == ["pl-1", "pl-2", "pl-3"]
    # the same entries in another order (a body read in full): every position looked up again, in its order
    reordered = {"subjects": [changed["subjects"][2], changed["subjects"][0], changed["subjects"][1]]}
    again, meta = inputs.period_scores(scheme, "Q", reordered)
    assert [(s.subject.id, str(s.total)) for s in again.subjects] == [("pl-3", "3"), ("pl-1", "1"), ("pl-2", "7")]
    assert again.subjects[0] is before.subjects[2] and list(meta) == ["pl-3", "pl-1", "pl-2"]
    fewer, meta = inputs.period_scores(scheme, "Q", {"subjects": reordered["subjects"][:2]})
    assert [s.subject.id for s in fewer.subjects] == ["pl-3", "pl-1"] and list(meta) == ["pl-3", "pl-1"]


def test_an_equal_entry_read_again_in_full_reuses_its_parse_and_the_bound_holds() -> None:
    from services.ranking.results.inputs import ParsedInputs

    inputs = ParsedInputs(subjects=2)
    scheme, entry = _manual_scheme("by-value"), _entry
    first, _ = inputs.period_scores(scheme, "Q", {"subjects": [entry("bv-1", "1"), entry("bv-2", "2")]})
    # the same values in new objects (a body read in full): the parses are kept, by value
    again, _ = inputs.period_scores(scheme, "Q", {"subjects": [entry("bv-1", "1"), entry("bv-2", "2")]})
    assert again.subjects[0] is first.subjects[0] and again.subjects[1] is first.subjects[1]
    # another label is another key; past the bound the least recently used subjects are parsed again
    other, _ = inputs.period_scores(scheme, "Q2", {"subjects": [entry("bv-1", "1"), entry("bv-2", "2")]})
    assert other.subjects[0] is not first.subjects[0] and len(inputs) == 2
    last, _ = inputs.period_scores(scheme, "Q", {"subjects": [entry("bv-1", "1")]})
    assert last.subjects[0] is not first.subjects[0] and last.subjects[0] == first.subjects[0]
