"""Evidence fixtures: scoring faked over HTTP (MockTransport), attachments in a temporary folder."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.db import Database, create_engine
from services.evidence.app import app as evidence_app
from services.evidence.attachments.storage import LocalStorage
from services.evidence.config import evidence_settings
from tests.conftest import service_client

INDICATORS = [
    {"code": "regular", "name": "平时考核", "max": "50", "rule_kind": "manual", "fact_kind": "score"},
    {"code": "attendance", "name": "考勤", "max": "10", "rule_kind": "deduction", "fact_kind": "event",
     "event_types": ["absent", "late", "rectification_overdue"]},
    {"code": "output", "name": "完成率", "max": "10", "rule_kind": "ratio", "fact_kind": "measure"},
    # a ratio whose target is at most 100 %: a numerator counts a part of its denominator
    {"code": "jsl", "name": "按期办结率", "max": "10", "rule_kind": "ratio", "fact_kind": "measure",
     "numerator_within_denominator": True},
    {"code": "tasks", "name": "交办任务", "max": "10", "rule_kind": "per_occurrence", "fact_kind": "task",
     "documents": ["任务台账", "完成情况总结"]},
    {"code": "cases", "name": "案件", "max": "10", "rule_kind": "cases", "fact_kind": "case"},
    {"code": "journal", "name": "周志", "max": "5", "rule_kind": "journal", "fact_kind": "journal"},
    {"code": "peer", "name": "民主测评", "max": "5", "rule_kind": "rating", "fact_kind": "rating"},
    {"code": "zdgz", "name": "重点工作", "max": "20", "rule_kind": "accrual", "fact_kind": "event",
     "event_types": ["key_task"], "event_levels": ["区级", "市级"]},
]
VETO_EVENTS = ["serious_violation"]  # the scheme's vetoes: the only events without an indicator
SUBJECTS = {
    "p001": {"id": "p001", "name": "张三", "kind": "person", "group": "一般工作人员", "unit_path": "city/a",
             "attributes": {}},
    "p002": {"id": "p002", "name": "李四", "kind": "person", "group": "一般工作人员", "unit_path": "city/b",
             "attributes": {}},
    "ua": {"id": "ua", "name": "甲单位", "kind": "unit", "group": "区直", "unit_path": "city/a", "attributes": {}},
    "ub": {"id": "ub", "name": "乙单位", "kind": "unit", "group": "区直", "unit_path": "city/b", "attributes": {}},
}
PERIODS = {"2026-Q1": "collecting", "2025-Q4": "finalized"}
OWNERS: dict[str, str] = {}  # a period's owner_path, when a test gives it one (else the organisation's, "")
API_KEY_CREATORS = {"k-alice-1": "alice", "k-alice-2": "alice", "k-bob": "bob"}  # scoring's api_key.created_by


class FakeScoring:
    """Scoring's batch endpoints; `down` makes it answer 503; `calls` counts requests."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.url.path}?{request.url.query.decode()}")
        assert request.headers["Authorization"].startswith("Bearer ")
        if self.down:
            return httpx.Response(503, json={"error": {"code": "unavailable"}})
        parts = request.url.path.strip("/").split("/")
        if parts == ["v1", "api-keys", "creators"]:
            known = [i for i in request.url.params["ids"].split(",") if i in API_KEY_CREATORS]
            return httpx.Response(200, json={"creators": {i: API_KEY_CREATORS[i] for i in known}})
        if parts[:2] != ["v1", "periods"] or parts[2] not in PERIODS:
            return httpx.Response(404, json={"error": {"code": "not_found"}})
        if len(parts) == 3:
            return httpx.Response(200, json={"id": parts[2], "scheme_id": "meiling", "scheme_version": 1,
                                             "label": parts[2], "status": PERIODS[parts[2]],
                                             "owner_path": OWNERS.get(parts[2], ""), "indicators": INDICATORS,
                                             "veto_events": VETO_EVENTS})
        ids = request.url.params.get("ids", "").split(",")
        return httpx.Response(200, content=json.dumps([SUBJECTS[i] for i in ids if i in SUBJECTS]))


@pytest.fixture
def scoring() -> FakeScoring:
    return FakeScoring()


class Clock:
    """The service's "now" in tests: Monday 2026-03-02 09:00 in Shanghai unless moved."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(api: Any, scoring: FakeScoring, clock: Clock, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An evidence client (rolled-back database) with scoring faked, a fixed clock and a local attachment folder."""
    evidence_app.state.clock = lambda: clock.now
    evidence_app.state.scoring_transport = httpx.MockTransport(scoring)
    evidence_app.state.scoring_client = None
    evidence_app.state.attachment_storage = LocalStorage(tmp_path / "attachments")
    yield await api("evidence")
    evidence_app.state.attachment_storage = None
    evidence_app.state.clock = None


SCORE = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "regular", "fact": "score",
         "content": {"points": "46", "assessor": "科室负责人"}, "justification": "季度平时考核"}


@dataclass
class Stack:
    db: Database
    client: httpx.AsyncClient


@pytest.fixture
async def stack(fresh_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    """Evidence on a real database (commits, several connections) for the webhook tests; loopback receivers
    allowed explicitly."""
    monkeypatch.setenv("KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    evidence_settings.cache_clear()
    db = Database(create_engine(fresh_database(), pool_size=6), "evidence")
    evidence_app.state.clock = None
    evidence_app.state.scoring_transport = httpx.MockTransport(FakeScoring())
    evidence_app.state.scoring_client = None
    evidence_app.state.attachment_storage = LocalStorage(tmp_path)
    try:
        async with service_client("evidence", db) as client:
            yield Stack(db, client)
    finally:
        evidence_app.state.attachment_storage = None
        await db.dispose()
        evidence_settings.cache_clear()
