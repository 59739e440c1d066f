"""Weekly journals (003 篇三) through the API, dates worked out by hand around the 2026 Spring Festival.

W05 = 01-26..02-01, due Mon 02-02 23:59:59 Shanghai (15:59:59Z). W07's trip ends Fri 02-13: five
working days after it are Sat 02-14 (make-up day), then — past the 02-15..23 holiday — 02-24, 25, 26,
27, so the make-up closes 02-27 23:59:59. W08's holiday ends Mon 02-23: 24, 25, 26, 27, Sat 28."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import auth
from tests.evidence.conftest import Clock

ADMIN = auth(("admin", ""), subject="office")
ALICE = auth(("submitter", "city/a"), subject="alice")
CHIEF = auth(("reviewer", "city/a"), subject="chief-a")


def _journal(week: str) -> dict[str, Any]:
    return {"period_id": "2026-Q1", "subject_id": "p001", "week": week, "text": "本周完成……", "points": "45"}


def _excuse(week: str, kind: str, ends_on: str) -> dict[str, Any]:
    return {"period_id": "2026-Q1", "subject_id": "p001", "week": week, "kind": kind, "reason": "批准",
            "ends_on": ends_on}


async def test_journal_weeks(client: httpx.AsyncClient, clock: Clock) -> None:
    roster = {"period_id": "2026-Q1", "subject_ids": ["p001"], "first_week": "2026-W05", "last_week": "2026-W08"}
    assert (await client.post("/v1/journals/rosters", json=roster, headers=ALICE)).status_code == 403
    assert (await client.post("/v1/journals/rosters", json=roster, headers=ADMIN)).json() == {"people": 1}

    clock.set("2026-02-02T15:59:59+00:00")
    on_time = await client.post("/v1/journals", json=_journal("2026-W05"), headers=ALICE)
    assert (on_time.status_code, on_time.json()["status"], on_time.json()["makeup"]) == (201, "submitted", False)
    twice = await client.post("/v1/journals", json=_journal("2026-W05"), headers=ALICE)
    assert twice.json()["error"]["message"] == "the journal of 2026-W05 was already submitted"

    clock.set("2026-02-10T00:00:00+08:00")
    sweep = await client.post("/v1/journals/sweep", headers=ADMIN)
    assert sweep.json() == {"missing": 1}  # W06 (due 02-09 23:59:59); W07 is not due yet

    assert (await client.post("/v1/journals/excuses", json=_excuse("2026-W07", "trip", "2026-02-13"),
                              headers=ALICE)).status_code == 403
    for week, kind, ends in (("2026-W07", "trip", "2026-02-13"), ("2026-W08", "holiday", "2026-02-23")):
        excused = await client.post("/v1/journals/excuses", json=_excuse(week, kind, ends), headers=CHIEF)
        assert excused.json()["status"] == "excused"

    clock.set("2026-02-27T15:59:59+00:00")
    makeup = await client.post("/v1/journals", json=_journal("2026-W07"), headers=ALICE)
    assert (makeup.status_code, makeup.json()["makeup"]) == (201, True)
    late = await client.post("/v1/journals", json=_journal("2026-W06"), headers=ALICE)
    assert (late.status_code, late.json()["error"]["message"]) == (
        409, "the deadline for 2026-W06 passed at 2026-02-10 00:00 (UTC+08:00); "
             "only a week excused by the supervisor can be made up")

    clock.set("2026-02-28T16:00:00+00:00")
    closed = await client.post("/v1/journals", json=_journal("2026-W08"), headers=ALICE)
    assert (closed.status_code, closed.json()["error"]["message"]) == (
        409, "the make-up window for 2026-W08 closed at 2026-03-01 00:00 (UTC+08:00) "
             "(5 working days after the excused absence ended)")

    clock.set("2026-03-10T00:00:00+08:00")
    assert (await client.post("/v1/journals/sweep", headers=ADMIN)).json() == {"missing": 0}
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1", "indicator": "journal"},
                              headers=ADMIN)).json()["items"]
    # a submitted journal is a fact only once reviewed: W05 has none yet, the made-up W07 is still excused
    assert sorted((f["week"], f["status"], f["fact"], f["subject"]) for f in facts) == [
        ("2026-W06", "missing", "journal", "p001"), ("2026-W07", "excused", "journal", "p001"),
        ("2026-W08", "excused", "journal", "p001")]
    for submitted in (on_time.json(), makeup.json()):  # the default chain: one level, the unit's reviewer
        review = await client.post(f"/v1/submissions/{submitted['submission_id']}/decisions", headers=CHIEF,
                                   json={"action": "adjust", "value": {"points": "40"}, "reason": "酌减", "version": 1})
        assert review.json()["status"] == "approved", review.text
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1", "indicator": "journal"},
                              headers=ADMIN)).json()["items"]
    assert sorted((f["week"], f["status"], f.get("points")) for f in facts) == [
        ("2026-W05", "accepted", "40"), ("2026-W06", "missing", None), ("2026-W07", "accepted", "40"),
        ("2026-W08", "excused", None)]
    weeks = (await client.get("/v1/journals", params={"period_id": "2026-Q1"}, headers=ALICE)).json()
    assert ([(w["week"], w["status"]) for w in weeks["items"]], weeks["total_count"]) == ([
        ("2026-W05", "submitted"), ("2026-W06", "missing"), ("2026-W07", "submitted"), ("2026-W08", "excused")], 4)
    submitted = (await client.get("/v1/journals", params={"period_id": "2026-Q1", "status": "submitted", "limit": 1,
                                                           "offset": 1}, headers=ALICE)).json()
    assert ([w["week"] for w in submitted["items"]], submitted["total_count"]) == (["2026-W07"], 2)
    other = auth(("submitter", "city/b"), subject="bob")
    assert (await client.get("/v1/journals", params={"period_id": "2026-Q1"}, headers=other)).json() == {
        "items": [], "total_count": 0}
    # scope first (scopefirst2): alice's subject lies outside bob's unit, answered as one not enrolled
    assert (await client.post("/v1/journals", json=_journal("2026-W09"), headers=other)).status_code == 422
