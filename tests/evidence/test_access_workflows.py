"""The access matrix, continued: journals, appeals, rectification notices and rating tasks, each role
on its own unit (city/a; the subject p001) and on another (city/b; the subject p002)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.evidence.conftest import SCORE
from tests.evidence.test_access import ROLES, _headers

NOTICE = {"period_id": "2026-Q1", "subject_id": "ua", "checked_at": "2026-03-02T10:00:00+08:00",
          "problem": "台账缺失", "opinion": "限期整改", "deadline": "2026-03-09"}
TASK = {"period_id": "2026-Q1", "indicator": "peer", "kind": "democratic", "scope": "city/a", "grades": ["好", "差"],
        "closes_at": "2026-03-20T18:00:00+08:00", "raters": [{"rater": "x", "level": "群众", "unit_path": "city/c"}],
        "subject_ids": ["ua"]}
EXCUSE = {"period_id": "2026-Q1", "subject_id": "p001", "week": "2026-W11", "kind": "leave", "reason": "病假",
          "ends_on": "2026-03-13"}


def _journal(week: str) -> dict[str, Any]:
    return {"period_id": "2026-Q1", "subject_id": "p001", "week": week, "text": "周志", "points": "45"}


async def _setup(client: httpx.AsyncClient) -> dict[str, str]:
    # the inspector who submits is not the reviewer who approves (four-eyes principle)
    sub = (await client.post("/v1/submissions", json=SCORE, headers=auth(("assessor", "city/a"),
                                                                         subject="inspector"))).json()
    approved = await client.post(f"/v1/submissions/{sub['id']}/decisions", json={"action": "approve", "version": 1},
                                 headers=auth(("reviewer", "city/a")))
    notice = await client.post("/v1/rectifications", json=NOTICE, headers=auth(("assessor", "city/a")))
    task = await client.post("/v1/rating-tasks", json=TASK, headers=auth(("admin", "city/a")))
    journal = await client.post("/v1/journals", json=_journal("2026-W09"), headers=auth(("submitter", "city/a")))
    assert journal.status_code == 201
    return {"fact": approved.json()["fact_id"], "notice": notice.json()["id"], "task": task.json()["id"]}


def _ok(role: str, own: bool, allowed: set[str], ok: int, refused: int) -> int:
    return ok if own and role in allowed else refused


def _scoped(role: str, own: bool, allowed: set[str], ok: int) -> int:
    """An act on one subject that checks scope first: a role that may do it is answered about a subject of another
    unit as about one not enrolled (422); a role that may do it nowhere, or not over its own unit, gets 403."""
    if role not in allowed:
        return 403
    return ok if own else 422


@pytest.mark.parametrize("own", [True, False], ids=["own-unit", "other-unit"])
@pytest.mark.parametrize("role", ROLES)
async def test_workflow_access_matrix(client: httpx.AsyncClient, role: str, own: bool) -> None:
    ids = await _setup(client)
    h = _headers(role, own)
    weeks = (await client.get("/v1/journals", params={"period_id": "2026-Q1"}, headers=h)).json()["items"]
    observed = {
        "journals": [w["week"] for w in weeks],
        "journal": (await client.post("/v1/journals", json=_journal("2026-W10"), headers=h)).status_code,
        "excuse": (await client.post("/v1/journals/excuses", headers=h, json=EXCUSE)).status_code,
        "appeal": (await client.post("/v1/appeals", json={"fact_id": ids["fact"], "points": ["不服"]},
                                     headers=h)).status_code,
        "notice_issue": (await client.post("/v1/rectifications", json=NOTICE, headers=h)).status_code,
        "notice_get": (await client.get(f"/v1/rectifications/{ids['notice']}", headers=h)).status_code,
        "task_create": (await client.post("/v1/rating-tasks", json=TASK, headers=h)).status_code,
        "task_counts": (await client.get(f"/v1/rating-tasks/{ids['task']}/responses", headers=h)).status_code,
        "task_ballots": (await client.get(f"/v1/rating-tasks/{ids['task']}/ballots", headers=h)).status_code,
        "own_ballot": (await client.get(f"/v1/rating-tasks/{ids['task']}/ballot", headers=h)).status_code,
    }
    assert observed == {
        "journals": ["2026-W09"] if own and role in {"admin", "auditor", "reviewer", "submitter", "subject"} else [],
        "journal": _scoped(role, own, {"admin", "submitter", "subject"}, 201),
        "excuse": _scoped(role, own, {"admin", "reviewer"}, 201),
        "appeal": _ok(role, own, {"admin", "submitter", "subject"}, 201, 404),
        "notice_issue": _scoped(role, own, {"admin", "assessor"}, 201),
        "notice_get": _ok(role, own, {"admin", "auditor", "assessor", "reviewer", "submitter"}, 200, 404),
        "task_create": _ok(role, own, {"admin"}, 201, 403),
        # the office's reads of a task of city/a: a caller with no grant on its branch (city/b; a person, who holds
        # none) is answered as for a task that does not exist (probe defects)
        "task_counts": _ok(role, own, {"admin", "auditor"}, 200, 403 if own and role != "subject" else 404),
        "task_ballots": _ok(role, own, {"auditor"}, 200, 403 if own and role != "subject" else 404),
        "own_ballot": 404,  # none of them is a rater of this task
    }
