"""Scoring test helpers: an organisation (city → a, b), a tiny scheme worked out by hand, tokens."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from services.common.auth import Grant, Principal, issue_service_token
from tests.conftest import auth

ADMIN = ("admin", "city")

# Worked by hand (scheme-format.md §3.4): work = manual mean; attend = 10 − 1 per late;
# rankp = rank_points of work: rank 1 of 2 (≤ 0.5 × 2) → 30, rank 2 → 20; total = sum.
TINY = """
id: tiny
version: 1
title: 小方案
subject_kind: person
period: quarter
groups: [A, B]
indicators:
  - code: work
    name: 工作
    max: 60
    rule: {kind: manual}
  - code: attend
    name: 考勤
    max: 10
    rule: {kind: deduction, per_event: {late: 1}}
  - code: rankp
    name: 排名分
    max: 30
    rule: {kind: rank_points, of: work, peer_scope: all, bands: [{top: 0.5, points: 30}, {top: 1, points: 20}]}
"""


def service_headers(subject: str = "evidence") -> dict[str, str]:
    """A token of another kaohe service (kind service, no grants)."""
    return {"Authorization": f"Bearer {issue_service_token(Principal(subject=subject, kind='service'))}"}


def subject_headers(*subject_ids: str) -> dict[str, str]:
    principal = Principal(subject="someone", grants=(Grant("subject", "city"),), subject_ids=subject_ids)
    return {"Authorization": f"Bearer {issue_service_token(principal)}"}


def admin() -> dict[str, str]:
    return auth(ADMIN, subject="office")


def org_admin() -> dict[str, str]:
    """The office as an admin of the whole organisation: the one who may give the ids of new units and people."""
    return auth(("admin", ""), subject="office")


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def make_org(client: httpx.AsyncClient) -> None:
    """Units city, city/a, city/b; people p1, p2 in city/a and p3 in city/b (ids given: by an admin of the whole
    organisation)."""
    await ok(await client.post("/v1/units", json={"id": "u-city", "name": "市", "slug": "city"},
                               headers=auth(("admin", ""))), 201)
    for uid, slug in (("u-a", "a"), ("u-b", "b")):
        await ok(await client.post("/v1/units", json={"id": uid, "name": slug, "slug": slug, "parent_id": "u-city"},
                                   headers=org_admin()), 201)
    for pid, unit in (("p1", "u-a"), ("p2", "u-a"), ("p3", "u-b")):
        await ok(await client.post("/v1/people", json={"id": pid, "name": f"人{pid}", "unit_id": unit},
                                   headers=org_admin()), 201)


async def publish(client: httpx.AsyncClient, text: str = TINY) -> dict[str, Any]:
    draft = await ok(await client.post("/v1/schemes", json={"text": text, "owner_path": "city"}, headers=admin()), 201)
    return await ok(await client.post(f"/v1/schemes/{draft['scheme_id']}/versions/{draft['version']}/publish",
                                      json={"revision": draft["revision"]}, headers=admin()))


async def open_period(client: httpx.AsyncClient, subjects: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = {"id": "q1", "scheme_id": "tiny", "scheme_version": 1, "label": "2026-Q1",
            "subjects": subjects if subjects is not None else [{"id": "p1", "group": "A"}, {"id": "p2", "group": "A"}]}
    return await ok(await client.post("/v1/periods", json=body, headers=admin()), 201)


def fact_event(action: str, fact: dict[str, Any], period_id: str = "q1", event_id: uuid.UUID | None = None,
               revision: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"period_id": period_id, "action": action, "fact": fact}
    if revision is not None:
        payload["revision"] = revision
    return {"id": str(event_id or uuid.uuid4()), "source": "evidence", "topic": "fact.changed", "payload": payload}


FACTS = [
    {"id": "f1", "subject": "p1", "indicator": "work", "fact": "score", "points": "50"},
    {"id": "f2", "subject": "p2", "indicator": "work", "fact": "score", "points": "40"},
    {"id": "f3", "subject": "p1", "indicator": "attend", "fact": "event", "type": "late", "count": 2},
]


@pytest.fixture
async def scoring(api: Any) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await api("scoring")
    return client


@pytest.fixture
async def period(scoring: httpx.AsyncClient) -> httpx.AsyncClient:
    """The organisation, the tiny scheme published, period q1 with p1 and p2 and the three facts applied."""
    await make_org(scoring)
    await publish(scoring)
    await open_period(scoring)
    for fact in FACTS:
        await ok(await scoring.post("/events", json=fact_event("upsert", fact), headers=service_headers()))
    return scoring


def app_db() -> Any:
    """The rolled-back Database the scoring app is using in this test (for direct SQL)."""
    from services.scoring.app import app

    return app.state.db


def app_cache() -> Any:
    """The scoring app's ScoresCache in this test (made by its lifespan)."""
    from services.scoring.app import app

    return app.state.scores_cache


def empty_evidence() -> httpx.MockTransport:
    """Evidence holding no fact of any period: these tests send scoring their facts directly, so verification finds
    no audited change of evidence behind them (`provenance` names each as `unbacked`)."""
    return httpx.MockTransport(lambda request: httpx.Response(
        200, json={"period_id": request.url.params.get("period_id"), "items": [], "next": None}))


async def verify(client: httpx.AsyncClient, period_id: str = "q1", app: Any = None) -> Any:
    """`POST /v1/periods/{id}/verify` as the office, evidence answering `empty_evidence`."""
    if app is None:
        from services.scoring.app import app
    app.state.evidence_transport = empty_evidence()
    try:
        return await ok(await client.post(f"/v1/periods/{period_id}/verify", headers=admin()))
    finally:
        del app.state.evidence_transport


def unbacked(verified: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The kinds and facts of a verification's provenance problems (facts sent to scoring with no evidence)."""
    return [(p["kind"], p["fact"]) for p in verified["provenance"]]
