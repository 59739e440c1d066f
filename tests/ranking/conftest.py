"""Ranking fixtures: a fake scoring service (httpx MockTransport), a movable clock, event delivery."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.common.auth import SYSTEM, issue_service_token
from services.common.settings import get_settings

QUARTERLY: dict[str, Any] = {
    "id": "rk-test-quarterly", "version": 1, "title": "测试单位季度考核", "subject_kind": "unit",
    "period": "quarter", "precision": 2, "groups": ["甲组", "乙组"],
    "indicators": [
        {"code": "work", "name": "工作实绩", "max": 60, "rule": {"kind": "manual"}},
        {"code": "service", "name": "服务评价", "max": 40, "rule": {"kind": "manual"}},
    ],
    "ranking": {"scope": "group", "order": ["total"]},
    "grading": {
        "bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 80}, {"grade": "一般"}],
        "quotas": [{"grade": "优秀", "max_share": "34%", "rounding": "floor"}],
    },
    "labels": [{"label": "通报表扬", "top": 1}],
    "rewards": [{"name": "季度奖金", "by_grade": {"优秀": 1000, "良好": 500}}],
}

ANNUAL: dict[str, Any] = {
    "id": "rk-test-annual", "version": 1, "title": "测试单位年度考核", "subject_kind": "unit",
    "period": "year", "precision": 2, "groups": ["甲组", "乙组"],
    "indicators": [{"code": "quarterly_total", "name": "季度得分", "max": 100, "rule": {"kind": "manual"}}],
    "rollup": {"from": "rk-test-quarterly", "total": "mean"},
    "ranking": {"scope": "group", "order": ["total"]},
    "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 80}, {"grade": "一般"}]},
}

UNITS = {"u1": ("一中队", "甲组", "city/d1/u1"), "u2": ("二中队", "甲组", "city/d1/u2"),
         "u3": ("三中队", "甲组", "city/d2/u3"), "u4": ("四中队", "乙组", "city/d2/u4")}


def subject(subject_id: str, work: str, service: str, **attributes: Any) -> dict[str, Any]:
    """A subject as scoring's `/scores` serves it: full-precision decimal strings."""
    name, group, unit_path = UNITS[subject_id]
    return {"id": subject_id, "name": name, "group": group, "unit_path": unit_path, "attributes": attributes,
            "scores": {"work": work, "service": service}, "total": str(Decimal(work) + Decimal(service)),
            "explain": {"work": f"manual {work}", "service": f"manual {service}"}, "vetoes": [], "flags": []}


def first_scores() -> list[dict[str, Any]]:
    """u1 95.125, u2 92.5, u3 81 in 甲组; u4 70.005 in 乙组."""
    return [subject("u1", "57.125", "38"), subject("u2", "55", "37.5"), subject("u3", "50", "31"),
            subject("u4", "40.005", "30")]


class FakeScoring:
    """Scoring's contract endpoints, answered from dicts the test fills."""

    def __init__(self) -> None:
        self.schemes: dict[tuple[str, int], dict[str, Any]] = {}
        self.periods: dict[str, dict[str, Any]] = {}
        self.scores: dict[str, list[dict[str, Any]]] = {}
        self.problems: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[str] = []
        self.languages: list[str | None] = []  # the Accept-Language of each scores read
        # a peer's `GET /v1/audit/head` failing ("evidence" or "scoring"): an exception raised, or a response
        self.heads_down: dict[str, Exception | httpx.Response] = {}
        # evidence's `GET /v1/periods/{id}/open-work` per period (zeros when absent), or a failure for every period
        self.open_work: dict[str, dict[str, Any]] = {}
        self.open_work_down: Exception | httpx.Response | None = None

    def add_period(self, period_id: str, scheme: dict[str, Any], label: str,
                   subjects: list[dict[str, Any]] | None = None, owner_path: str | None = None) -> None:
        self.schemes[(scheme["id"], scheme["version"])] = scheme
        self.periods[period_id] = {"id": period_id, "scheme_id": scheme["id"], "scheme_version": scheme["version"],
                                   "label": label, "status": "scoring", "indicators": []}
        if owner_path is not None:
            self.periods[period_id]["owner_path"] = owner_path
        self.scores[period_id] = subjects or []

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        assert request.headers["Authorization"].startswith("Bearer ")
        if match := re.fullmatch(r"/v1/schemes/([^/]+)/versions/(\d+)", path):
            scheme = self.schemes.get((match[1], int(match[2])))
            return httpx.Response(200, json=scheme) if scheme else httpx.Response(404, json={})
        if match := re.fullmatch(r"/v1/periods/([^/]+)/scores", path):
            if match[1] not in self.scores:
                return httpx.Response(500, json={"error": {"code": "internal_error"}})
            subjects = self.scores[match[1]]
            self.languages.append(request.headers.get("Accept-Language"))
            body = {"subjects": subjects, "problems": self.problems.get(match[1], []), "score_set": len(self.calls),
                    "inputs_sha256": "sha-" + str(abs(hash(json.dumps(subjects, sort_keys=True))))}
            return httpx.Response(200, json=body)
        if match := re.fullmatch(r"/v1/periods/([^/]+)/open-work", path):  # evidence's
            assert str(request.url).startswith(get_settings().service_base_url("evidence"))  # type: ignore[arg-type]
            if isinstance(self.open_work_down, Exception):
                raise self.open_work_down
            if self.open_work_down is not None:
                return self.open_work_down
            return httpx.Response(200, json={"period_id": match[1], "open_appeals": 0, "pending_submissions": 0,
                                             **self.open_work.get(match[1], {})})
        if match := re.fullmatch(r"/v1/periods/([^/]+)", path):
            period = self.periods.get(match[1])
            return httpx.Response(200, json=period) if period else httpx.Response(404, json={})
        if path == "/v1/audit/head":  # scoring's and evidence's (both hosts come here)
            for peer, failure in self.heads_down.items():
                if str(request.url).startswith(get_settings().service_base_url(peer)):  # type: ignore[arg-type]
                    if isinstance(failure, Exception):
                        raise failure
                    return failure
            return httpx.Response(200, json={"service": request.url.host, "sequence": 0, "id": None,
                                             "hash": "0" * 64})
        return httpx.Response(404, json={})


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def scoring() -> FakeScoring:
    return FakeScoring()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def ranking(api: Any, scoring: FakeScoring, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """The ranking service on a rolled-back database, its scoring faked, its clock ours."""
    from services.ranking.app import app

    app.state.scoring_http = httpx.AsyncClient(transport=httpx.MockTransport(scoring.handler))
    app.state.clock = clock
    client = await api("ranking")
    yield client
    await app.state.scoring_http.aclose()
    app.state.scoring_http = None
    app.state.clock = None


def system_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_service_token(SYSTEM)}"}


def scores_changed(period_id: str, scoring: FakeScoring, event_id: uuid.UUID | None = None) -> dict[str, Any]:
    period = scoring.periods[period_id]
    return {"id": str(event_id or uuid.uuid4()), "source": "scoring", "topic": "scores.changed",
            "payload": {"period_id": period_id, "scheme_id": period["scheme_id"],
                        "scheme_version": period["scheme_version"], "label": period["label"],
                        "inputs_sha256": "x", "score_set": 1}}


async def deliver(client: httpx.AsyncClient, period_id: str, scoring: FakeScoring,
                  event_id: uuid.UUID | None = None) -> dict[str, Any]:
    response = await client.post("/events", json=scores_changed(period_id, scoring, event_id),
                                 headers=system_headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
