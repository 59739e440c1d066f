"""Rating tasks through the API: own ballots only, abstention, no self-rating, counts for the office,
identities for auditors, and closing (by the office or when due) into anonymous rating facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from services.evidence.app import app as evidence_app
from services.evidence.ratings.service import alias
from services.evidence.reviews.sweeper import sweep_once
from tests.conftest import auth

OFFICE = auth(("admin", "city"), subject="office")
AUDITOR = auth(("auditor", "city"), subject="auditor")
HEAD_A = auth(("rater", "city/a"), subject="head-a")
HEAD_B = auth(("rater", "city/b"), subject="head-b")
CADRE = auth(("rater", "city/c"), subject="cadre")
TASK = {"period_id": "2026-Q1", "indicator": "peer", "kind": "mutual", "scope": "city",
        "grades": ["好", "较好", "一般"], "round": 1, "closes_at": "2026-03-20T18:00:00+08:00",
        "raters": [{"rater": "head-a", "level": "单位负责人", "unit_path": "city/a"},
                   {"rater": "head-b", "level": "单位负责人", "unit_path": "city/b"},
                   {"rater": "cadre", "level": "干部", "unit_path": "city/c"}],
        "subject_ids": ["ua", "ub"]}


async def _answer(client: httpx.AsyncClient, task: str, headers: dict[str, str], **grades: Any) -> Any:
    answers = [{"subject_id": s, "grade": g} for s, g in grades.items()]
    return await client.put(f"/v1/rating-tasks/{task}/ballot", json={"answers": answers}, headers=headers)


async def test_rating_task_round(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/rating-tasks", json=TASK, headers=HEAD_A)).status_code == 403
    created = await client.post("/v1/rating-tasks", json=TASK, headers=OFFICE)
    assert created.status_code == 201, created.text
    task = created.json()["id"]
    own = (await client.get(f"/v1/rating-tasks/{task}/ballot", headers=HEAD_A)).json()
    assert [(line["subject_id"], line["answered"]) for line in own["lines"]] == [("ua", False), ("ub", False)]
    itself = await _answer(client, task, HEAD_A, ua="好")
    assert itself.json()["error"]["message"] == "ua cannot be rated by itself"
    assert (await _answer(client, task, HEAD_A, ub="优")).status_code == 422
    assert (await _answer(client, task, HEAD_A, ub="好")).status_code == 200
    assert (await _answer(client, task, HEAD_B, ua=None)).status_code == 200  # abstains
    assert (await _answer(client, task, CADRE, ua="好", ub="一般")).status_code == 200
    outsider = auth(("rater", "city"), subject="someone-else")
    assert (await client.get(f"/v1/rating-tasks/{task}/ballot", headers=outsider)).status_code == 404
    mine = (await client.get(f"/v1/rating-tasks/{task}/ballot", headers=HEAD_A)).json()["lines"]
    assert mine == [{"subject_id": "ua", "grade": None, "answered": False},
                    {"subject_id": "ub", "grade": "好", "answered": True}]

    counts = (await client.get(f"/v1/rating-tasks/{task}/responses", headers=OFFICE)).json()
    assert counts == {"raters": 3, "responded": 3,
                      "by_level": {"单位负责人": {"raters": 2, "responded": 2}, "干部": {"raters": 1, "responded": 1}}}
    assert (await client.get(f"/v1/rating-tasks/{task}/responses", headers=HEAD_A)).status_code == 403
    read = (await client.get(f"/v1/rating-tasks/{task}", headers=OFFICE)).json()
    assert (read["scope"], read["status"], read["version"], read["kind"]) == ("city", "open", 1, "mutual")
    for other in (HEAD_A, AUDITOR):  # only the office that may close it
        assert (await client.get(f"/v1/rating-tasks/{task}", headers=other)).status_code == 403
    office_b = auth(("admin", "city/b"), subject="office-b")  # an office below the task's scope
    refused = await client.get(f"/v1/rating-tasks/{task}", headers=office_b)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, f"office-b may not read rating task {task}")  # a read's words, and no scope named
    assert (await client.get(f"/v1/rating-tasks/{task}/ballots", headers=OFFICE)).status_code == 403
    audited = (await client.get(f"/v1/rating-tasks/{task}/ballots", headers=AUDITOR)).json()
    assert [(b["rater"], b["subject_id"], b["grade"]) for b in audited] == [
        ("cadre", "ua", "好"), ("cadre", "ub", "一般"), ("head-a", "ub", "好"), ("head-b", "ua", None)]

    closed = await client.post(f"/v1/rating-tasks/{task}/close", json={"version": 1}, headers=OFFICE)
    assert closed.json()["status"] == "closed"
    assert (await _answer(client, task, HEAD_A, ub="一般")).status_code == 409
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1", "indicator": "peer"},
                              headers=OFFICE)).json()["items"]
    assert sorted((f["subject"], f["rater"], f["level"], f["grade"], f["round"]) for f in facts) == sorted([
        ("ua", alias(task, "cadre"), "干部", "好", 1), ("ub", alias(task, "cadre"), "干部", "一般", 1),
        ("ub", alias(task, "head-a"), "单位负责人", "好", 1)])
    assert all("head" not in f["rater"] and "cadre" not in f["rater"] for f in facts)


async def test_a_task_closes_itself_when_due(client: httpx.AsyncClient) -> None:
    task = (await client.post("/v1/rating-tasks", json={**TASK, "closes_at": "2026-03-05T18:00:00+08:00"},
                              headers=OFFICE)).json()["id"]
    await _answer(client, task, CADRE, ua="较好")
    db = evidence_app.state.db
    assert await sweep_once(db, datetime.fromisoformat("2026-03-05T09:59:59+00:00")) == 0
    assert await sweep_once(db, datetime.fromisoformat("2026-03-05T10:00:00+00:00")) == 1
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=OFFICE)).json()["items"]
    assert [(f["subject"], f["grade"]) for f in facts] == [("ua", "较好")]


async def test_a_task_off_the_callers_branch_reads_as_one_that_does_not_exist(client: httpx.AsyncClient) -> None:
    """Probe defects: the office's reads of a task (the task, its counts, its ballots) answer a caller with no grant
    on the branch of the task's scope exactly as an id of nothing: 404 with the same message but for the id. A
    caller on the branch whose role may not read still gets 403 (it learns nothing new)."""
    scoped = {**TASK, "scope": "city/a", "raters": [TASK["raters"][0]], "subject_ids": ["ub"]}
    created = await client.post("/v1/rating-tasks", json=scoped, headers=OFFICE)
    assert created.status_code == 201, created.text
    task = created.json()["id"]
    outsiders = [auth(("admin", "city/b"), subject="office-b"), auth(("auditor", "city/b"), subject="auditor-b")]
    for path in ("", "/responses", "/ballots"):
        for headers in outsiders:
            for task_id in (task, "nosuch"):
                refused = await client.get(f"/v1/rating-tasks/{task_id}{path}", headers=headers)
                assert (refused.status_code, refused.json()["error"]) == (
                    404, {"code": "not_found", "message": f"rating task {task_id} not found", "details": None}), path
    # on the branch (a unit within the task's scope): the read's refusal, as before
    below = auth(("admin", "city/a/x"), subject="office-ax")
    refused = await client.get(f"/v1/rating-tasks/{task}", headers=below)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, f"office-ax may not read rating task {task}")
    office_a = auth(("admin", "city/a"))
    assert (await client.get(f"/v1/rating-tasks/{task}/responses", headers=office_a)).status_code == 200
