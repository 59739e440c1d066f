"""`GET /v1/facts`: current facts of a period, paged by cursor and filtered, as scoring rebuilds from it."""

from __future__ import annotations

import httpx

from tests.conftest import auth
from tests.evidence.conftest import SCORE

ASSESSOR = auth(("assessor", "city"), subject="assessor")
REVIEWER = auth(("reviewer", "city"), subject="chief")
SYSTEM = auth(("admin", ""), subject="scoring")


async def _approved(client: httpx.AsyncClient, subject: str, indicator: str, content: dict[str, object]) -> str:
    fact = "score" if indicator == "regular" else "task"
    body = {**SCORE, "subject_id": subject, "indicator": indicator, "fact": fact, "content": content}
    headers = ASSESSOR if fact == "score" else auth(("submitter", "city"))
    sub = (await client.post("/v1/submissions", json=body, headers=headers)).json()
    done = await client.post(f"/v1/submissions/{sub['id']}/decisions", json={"action": "approve", "version": 1},
                             headers=REVIEWER)
    return str(done.json()["fact_id"])


async def test_facts_are_paged_by_cursor_and_filtered(client: httpx.AsyncClient) -> None:
    ids = sorted([await _approved(client, "p001", "regular", {"points": "40"}),
                  await _approved(client, "p002", "regular", {"points": "41.5"}),
                  await _approved(client, "p001", "tasks", {"task_id": "t-7", "completed": True})])
    first = (await client.get("/v1/facts", params={"period_id": "2026-Q1", "limit": 2}, headers=SYSTEM)).json()
    assert ([f["id"] for f in first["items"]], first["next"]) == (ids[:2], ids[1])
    rest = (await client.get("/v1/facts", params={"period_id": "2026-Q1", "limit": 2, "after": first["next"]},
                             headers=SYSTEM)).json()
    assert ([f["id"] for f in rest["items"]], rest["next"]) == (ids[2:], None)
    p001 = (await client.get("/v1/facts", params={"period_id": "2026-Q1", "subject_id": "p001",
                                                  "indicator": "tasks"}, headers=SYSTEM)).json()["items"]
    assert [{k: v for k, v in f.items() if k != "id"} for f in p001] == [
        {"subject": "p001", "indicator": "tasks", "fact": "task", "task_id": "t-7", "completed": True}]
    scoped = (await client.get("/v1/facts", params={"period_id": "2026-Q1"},
                               headers=auth(("auditor", "city/b")))).json()["items"]
    assert [(f["subject"], f["points"]) for f in scoped] == [("p002", "41.5")]
    assert (await client.get("/v1/facts", params={"period_id": "2025-Q4"}, headers=SYSTEM)).json()["items"] == []
    too_many = await client.get("/v1/facts", params={"period_id": "2026-Q1", "limit": 1001}, headers=SYSTEM)
    assert too_many.status_code == 422
