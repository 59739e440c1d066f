"""Evidence's batch reads for the gateway's DataLoaders (attachments and decisions of several
submissions) and the journal roster read: each filters by the caller's scope again."""

from __future__ import annotations

import httpx

from tests.conftest import auth, token_for

PERIOD = "2026-Q1"
PDF = b"%PDF-1.7\n%%EOF\n"
OWN_P001 = {"Authorization": f"Bearer {token_for(('subject', 'city/b'), subject_ids=('p001',))}"}


async def test_batch_endpoints_enforce_scope_in_evidence(client: httpx.AsyncClient) -> None:
    submitter = auth(("submitter", "city/a"), subject="alice")
    created = await client.post("/v1/submissions", headers=submitter, json={
        "period_id": PERIOD, "subject_id": "p001", "indicator": "output", "fact": "measure",
        "content": {"value": "0.5"}})
    sub_id = created.json()["id"]
    files = {"file": ("a.pdf", PDF, "application/pdf")}
    assert (await client.post(f"/v1/submissions/{sub_id}/attachments", files=files,
                              headers=submitter)).status_code == 201
    await client.post(f"/v1/submissions/{sub_id}/decisions", headers=auth(("reviewer", "city/a")),
                      json={"action": "return", "reason": "请补充", "version": 1})
    wanted = {"submission_ids": f"{sub_id},unknown-id"}
    for path in ("/v1/attachments", "/v1/review-decisions"):
        inside = (await client.get(path, params=wanted, headers=submitter)).json()
        outside = (await client.get(path, params=wanted, headers=auth(("submitter", "city/b")))).json()
        own = (await client.get(path, params=wanted, headers=OWN_P001)).json()
        assert [r["submission_id"] for r in inside] == [r["submission_id"] for r in own] == [sub_id]
        assert outside == []
    too_many = ",".join(f"s{i}" for i in range(101))
    refused = await client.get("/v1/attachments", params={"submission_ids": too_many}, headers=submitter)
    assert refused.status_code == 422
    roster = {"period_id": PERIOD, "subject_ids": ["p001", "p002"], "first_week": "2026-W05",
              "last_week": "2026-W08"}
    assert (await client.post("/v1/journals/rosters", json=roster,
                              headers=auth(("admin", "")))).status_code == 200
    read = (await client.get("/v1/journals/rosters", params={"period_id": PERIOD},
                             headers=auth(("reviewer", "city/b")))).json()
    assert [r["subject_id"] for r in read] == ["p002"]
    assert (await client.get("/v1/journals/rosters", params={"period_id": PERIOD},
                             headers=auth(("rater", "")))).json() == []
