"""Canned evidence, scoring and ranking services for gateway unit tests (httpx.MockTransport)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.clients import Clients
from gateway.context import Context
from services.common.auth import Principal
from services.common.settings import Settings

PERIOD = "p1"
SUBJECT_A = {"id": "s-a", "name": "甲街道", "kind": "unit", "group": "g1", "unit_path": "city/a/u1", "attributes": {}}
SUBJECT_B = {"id": "s-b", "name": "乙街道", "kind": "unit", "group": "g2", "unit_path": "city/b/u2", "attributes": {}}
ROSTER_A = {"period_id": PERIOD, "subject_id": "s-a", "unit_path": "city/a/u1", "indicator": "jnl",
            "first_week": "2026-W01", "last_week": "2026-W13"}
ROSTER_B = {**ROSTER_A, "subject_id": "s-b", "unit_path": "city/b/u2"}
UNIT_A = {"id": "u-a", "name": "甲街道", "parent_id": "a", "path": "city/a/u1"}


FILE = b"%PDF-1"
FILE_SHA256 = "4a1a0e5bd6ae5b2a2e4a5c6ee2bbd0a5b1d1bb0f1cfd2f8a3c1e6dd7e8f9a0b1"  # canned, not checked by the fake


def _about_a(**row: Any) -> dict[str, Any]:
    return {"period_id": PERIOD, "subject_id": "s-a", **row}


ENTITIES = {  # GET by id, each about subject s-a
    "/v1/submissions/sub-a": _about_a(id="sub-a", indicator="A1", kind="measure", status="pending", version=1,
                                      value={"value": "12.5"}, attachments=[], reviews=[]),
    "/v1/rectifications/n-a": _about_a(id="n-a", problem="台账缺失", deadline="2026-03-10", version=1),
    "/v1/appeals/ap-a": _about_a(id="ap-a", fact_id="f-1", points=["重复扣分"], status="open", version=1),
    "/v1/objections/ob-a": _about_a(id="ob-a", reason="排名有误", status="open"),
    "/v1/attachments/att-a": {"id": "att-a", "submission_id": "sub-a", "filename": "台账.pdf", "size": 6,
                              "content_type": "application/pdf", "sha256": FILE_SHA256},
}


@dataclass
class FakeBackend:
    """Answers every path the gateway uses with small canned bodies and records each request."""

    subjects: list[dict[str, Any]] = field(default_factory=lambda: [SUBJECT_A, SUBJECT_B])
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (service, method, path)

    def writes(self) -> list[tuple[str, str, str]]:
        return [r for r in self.requests if r[1] != "GET"]

    def clients(self) -> Clients:
        settings = Settings()
        return Clients(settings, transports={name: httpx.MockTransport(self._handler(name))
                                             for name in ("evidence", "scoring", "ranking")})

    def _handler(self, service: str) -> Any:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append((service, request.method, request.url.path))
            is_json = request.headers.get("content-type", "").startswith("application/json")
            body = json.loads(request.content) if request.content and is_json else {}
            found = getattr(self, f"_{service}")(request, request.url.path, body)
            if isinstance(found, httpx.Response):
                return found
            return httpx.Response(200, json=found)

        return handle

    def _wanted(self, request: httpx.Request, param: str) -> list[dict[str, Any]]:
        ids = request.url.params.get(param)
        if ids is None:
            return self.subjects
        chosen = set(ids.split(","))
        return [s for s in self.subjects if s["id"] in chosen]

    def _scoring(self, request: httpx.Request, path: str, body: Any) -> Any:
        if path == "/v1/units" and request.method == "POST":
            return {"id": "u-new", "parent_id": body.get("parent_id"), "name": body["name"],
                    "path": f"{UNIT_A['path']}/{body['slug']}"}
        if path == "/v1/units/children":
            return {"items": [UNIT_A], "next": None, "total_count": 1}
        if path == "/v1/units/u-a/people":
            return {"items": [{"id": "pe-a", "name": "张三", "unit_id": "u-a", "unit_path": "city/a/u1"}], "next": None,
                    "total_count": 1}
        if path == "/v1/units":
            return [UNIT_A] if "u-a" in request.url.params.get("ids", "") else []
        if path == "/v1/people" and request.method == "POST":
            return {"id": "pe-new", "name": body["name"], "unit_id": body["unit_id"], "unit_path": UNIT_A["path"]}
        if path == "/v1/people":
            people = [{"id": "pe-a", "name": "张三", "unit_id": "u-a", "unit_path": "city/a/u1"},
                      {"id": "pe-b", "name": "李四", "unit_id": "u-b", "unit_path": "city/b/u2"}]
            return [p for p in people if p["id"] in request.url.params.get("ids", "").split(",")]
        if path == "/v1/schemes" and request.method == "GET":
            return {"items": [{"scheme_id": "sch", "owner_path": "city", "version": 1, "status": "published",
                               "title": "社区考核", "revision": 2, "published_at": None, "versions": 1}],
                    "next": None, "total_count": 1}
        if path == "/v1/schemes/sch/versions":
            return [{"scheme_id": "sch", "version": 1, "title": "社区考核", "status": "published", "revision": 3}]
        if path == "/v1/schemes/validate":
            return {"ok": True, "id": "sch", "version": 2, "indicators": 2}
        if path == "/v1/schemes/sch/diff":
            return {"scheme_id": "sch", "from_version": 1, "to_version": 2, "added": ["A2"], "removed": [],
                    "changed": [{"code": "A1", "changes": [{"field": "max", "before": "10", "after": "12"}]}],
                    "sections": []}
        if path.startswith("/v1/schemes"):
            return {"scheme_id": "sch", "version": 1, "title": "社区考核", "status": "published", "revision": 3,
                    "document": {"name": "社区考核", "indicators": [{"code": "A", "name": "党建", "max": "40",
                                                                    "children": [{"code": "A1", "max": "10"}]}]}}
        if path == f"/v1/periods/{PERIOD}/subjects":
            return self._wanted(request, "ids")
        if path == "/v1/periods" and request.method == "GET":
            return {"items": [{**self._period(), "created_at": "2026-03-01T02:00:00Z"}], "next": None,
                    "total_count": 1}
        if path == "/v1/periods":
            return self._period()
        if path == f"/v1/periods/{PERIOD}/scores":
            # precision 1: values pass through the gateway's rounding unchanged ("88.5"), and only with it
            return {"period_id": PERIOD, "precision": 1,
                    "subjects": [self._score(s) for s in self._wanted(request, "subject_ids")], "problems": []}
        if re.fullmatch(rf"/v1/periods/{PERIOD}/subjects/[^/]+/history", path):
            return [{"id": 1, "indicator": "total", "value": "88.5", "precision": 1, "cause": "evt-1",
                     "fact_ids": ["f-1"], "created_at": "2026-03-01T02:00:00+00:00"}]
        if path == f"/v1/periods/{PERIOD}/verify":
            return {"ok": True, "inputs_sha256": "ab12", "mismatches": []}
        if path.startswith(f"/v1/periods/{PERIOD}"):
            return self._period()
        if path.startswith("/v1/api-keys"):
            return self._api_keys(request, body)
        if path.startswith("/v1/calendar/"):
            year = int(path.rsplit("/", 1)[1])
            if request.method == "PUT":
                return {"year": year, "origin": "loaded", **body, "loaded_by": "tester",
                        "loaded_at": "2026-11-02T02:00:00+00:00"}
            return {"year": year, "origin": "none", "holidays": [], "workdays": [],
                    "source": "none: Monday to Friday are working days"}
        return self._audit(path)

    @staticmethod
    def _api_keys(request: httpx.Request, body: Any) -> Any:
        key = {"id": "k-1", "name": "门户", "grants": [{"role": "auditor", "scope": "city/a"}], "created_by": "tester",
               "created_at": "2026-03-01T02:00:00Z", "last_used_at": None, "revoked_at": None}
        if request.method == "POST":
            return {**key, "name": body["name"], "grants": body["grants"], "key": "kh_secret"}
        if request.method == "DELETE":
            return httpx.Response(204)
        return [key]

    def _period(self) -> dict[str, Any]:
        return {"id": PERIOD, "scheme_id": "sch", "scheme_version": 1, "label": "2026Q1", "status": "collecting",
                "owner_path": "city/a",
                "indicators": [{"code": "A1", "name": "台账", "max": "10", "rule_kind": "ratio",
                                "fact_kind": "measure"}]}

    @staticmethod
    def _score(subject: dict[str, Any]) -> dict[str, Any]:
        return {"id": subject["id"], "total": "88.5", "scores": {"A1": "8.5"}, "explain": {"A1": "8.5 = 10 × 0.85"},
                "vetoes": [], "flags": []}

    @staticmethod
    def _audit(path: str) -> Any:
        if path == "/v1/audit":
            return [{"id": 3, "recorded_at": "2026-03-01T02:00:00+00:00", "actor": "admin", "action": "create",
                     "entity_type": "x", "entity_id": "e-1", "details": {}, "prev_hash": "0", "hash": "h3"}]
        if path == "/v1/audit/verify":
            return {"ok": True, "checked": 3, "first_broken": None}
        if path == "/v1/audit/kept-heads":  # ranking: the other chains' heads kept at each 公示 and 审定
            return {"evidence": [{"sequence": 2, "id": 2, "hash": "ab" * 32}], "scoring": []}
        if path == "/v1/audit/status-changes":  # ranking: its audited status changes
            return []
        return httpx.Response(404, json={"error": {"code": "not_found", "message": f"no route {path}"}})

    def _evidence(self, request: httpx.Request, path: str, body: Any) -> Any:
        if request.method == "GET" and path in ENTITIES:
            return ENTITIES[path]
        if path.endswith("/ballot"):
            return {"level": "群众", "grades": ["好", "较好", "一般", "差"], "closes_at": "2026-03-31T09:00:00+00:00",
                    "lines": [{"subject_id": "s-a", "grade": "好", "answered": True}]}
        if path.endswith("/responses"):
            return {"raters": 10, "responded": 4, "by_level": {"群众": 4}}
        if path == "/v1/journals" and request.method == "GET":
            return {"items": [{"period_id": PERIOD, "subject_id": "s-a", "week": "2026-W07", "status": "submitted",
                               "text": "周志", "makeup": False, "version": 1}], "total_count": 1}
        if request.method == "GET" and path == "/v1/submissions":
            return {"items": [ENTITIES["/v1/submissions/sub-a"]], "next": None, "total_count": 1}
        if request.method == "GET" and path == "/v1/attachments/att-a/content":
            return httpx.Response(200, content=FILE, headers={
                "Content-Type": "application/pdf", "X-Content-SHA256": FILE_SHA256,
                "Content-Disposition": "attachment; filename*=UTF-8''%E5%8F%B0%E8%B4%A6.pdf"})
        if request.method == "GET" and path == "/v1/attachments":
            return [{"id": f"att-{i}", "submission_id": i, "filename": "台账.pdf", "content_type": "application/pdf",
                     "size": 5, "sha256": "ab" * 32} for i in request.url.params["submission_ids"].split(",")]
        if request.method == "GET" and path == "/v1/review-decisions":
            return [{"id": 1, "submission_id": i, "level": 1, "level_name": "科室负责人", "action": "approve",
                     "actor": "zhao"} for i in request.url.params["submission_ids"].split(",")]
        if path == "/v1/schemes/sch/review-chains":
            chain = {"id": "rc-1", "scheme_id": "sch", "indicator": "A1", "version": 1,
                     "levels": [{"name": "科室负责人", "scope": None, "working_days": 3}]}
            return [chain] if request.method == "GET" else chain
        if path == "/v1/journals/rosters":
            return [ROSTER_A, ROSTER_B] if request.method == "GET" else {"people": len(body["subject_ids"])}
        if path == "/v1/journals/excuses":
            return {"period_id": PERIOD, "subject_id": body["subject_id"], "week": body["week"], "status": "excused",
                    "text": "", "makeup": False, "excuse_kind": body["kind"], "excuse_ends_on": body["ends_on"],
                    "version": 1}
        if path.endswith("/decisions"):
            return {**ENTITIES["/v1/submissions/sub-a"], "status": "approved", "version": 2}
        if request.method == "GET" and path == "/v1/makeups":
            return {"items": [{"id": "mk-1", "period_id": PERIOD, "subject_id": "s-a", "indicator": None,
                               "reason": "逾期补报", "approved_by": "office", "approved_at": "2026-03-02T01:00:00Z",
                               "closes_at": "2026-03-09T15:59:59.999999Z"}], "total_count": 1}
        if request.method == "GET" and path in ("/v1/rectifications", "/v1/appeals"):
            found = [entity for key, entity in ENTITIES.items() if key.startswith(path + "/")]
            return {"items": found, "total_count": len(found)}
        if path.startswith("/v1/rating-tasks"):
            return {"id": "t-1", "period_id": PERIOD, "scope": "city/a", "status": "closed",
                    "subject_id": body.get("subject_id")}
        if path.startswith("/v1/audit"):
            return self._audit(path)
        if path.startswith("/v1/webhooks"):
            return self._webhooks(request, path)
        return {"id": "new-1", "period_id": PERIOD, "subject_id": "s-a", "version": 1, **body}

    @staticmethod
    def _webhooks(request: httpx.Request, path: str) -> Any:
        """Evidence's webhook routes (evidence checks the subscription's scope; the gateway gates on the roles)."""
        subscription = {"id": "wh-1", "name": "门户", "url": "https://portal.example.org/hook", "scope_path": "city/a",
                        "event_types": [], "status": "active", "disabled_reason": None, "failing_since": None,
                        "consecutive_failures": 0, "created_by": "office", "created_at": "2026-03-02T01:00:00+00:00",
                        "updated_at": "2026-03-02T01:00:00+00:00"}
        delivery = {"id": 7, "event_id": "5b0c7d4e-3f1a-4d8e-9a61-2f0c1e7b9d18", "type": "webhook.test",
                    "state": "pending", "attempts": 0, "response_status": None, "latency_ms": None, "last_error": None,
                    "created_at": "2026-03-02T01:00:00+00:00", "last_attempt_at": None,
                    "next_attempt_at": "2026-03-02T01:00:00+00:00", "delivered_at": None, "redelivery_of": None,
                    "payload": {"type": "webhook.test"}}
        if path.endswith("/deliveries"):
            return {"items": [delivery], "next": None, "total_count": 1}
        if path.endswith(("/test", "/redeliver")):
            return delivery
        if path.endswith("/rotate-secret"):
            return {"secret": "whsec_AAAA", "previous_expires_at": None}
        if request.method == "DELETE":
            return httpx.Response(204)
        if path == "/v1/webhooks" and request.method == "GET":
            return {"items": [subscription], "next": None, "total_count": 1}
        return {**subscription, "secret": "whsec_AAAA"} if request.method == "POST" else subscription

    def _result(self, subject: dict[str, Any]) -> dict[str, Any]:
        return {"period_id": PERIOD, "subject_id": subject["id"], "name": subject["name"], "group": subject["group"],
                "unit_path": subject["unit_path"], "total": "88.5", "rank": self.subjects.index(subject) + 1,
                "grade": "优秀", "labels": [], "rewards": {}, "flags": []}

    def _ranking(self, request: httpx.Request, path: str, body: Any) -> Any:
        if path == f"/v1/periods/{PERIOD}/results":
            return [self._result(s) for s in self._wanted(request, "subject_ids")]
        if path == f"/v1/periods/{PERIOD}/ranking":
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            return {"period_id": PERIOD, "total_count": len(self.subjects), "offset": offset, "limit": limit,
                    "items": [self._result(s) for s in self.subjects[offset:offset + limit]]}
        if path in (f"/v1/periods/{PERIOD}", f"/v1/periods/{PERIOD}/publication"):
            return {"id": PERIOD, "status": "published", "published_at": "2026-04-01T00:00:00+00:00",
                    "publication_ends_at": "2026-04-08T16:00:00+00:00", "reopen_count": 0}
        if path.endswith("/history"):
            return [{**self._result(self.subjects[0]), "version": 1}, {**self._result(self.subjects[0]), "version": 2}]
        if path == f"/v1/periods/{PERIOD}/snapshots":
            return [{"period_id": PERIOD, "sequence": 1, "sha256": "cd" * 32, "finalized_by": "admin"}]
        if path == f"/v1/periods/{PERIOD}/snapshot-check":
            return {"period_id": PERIOD, "sequence": 1, "sha256": "cd" * 32, "computed_sha256": "cd" * 32,
                    "recorded_sha256": "cd" * 32, "bytes_ok": True, "audit_ok": True, "results_checked": True,
                    "differences": [], "note": None, "ok": True}
        if path == f"/v1/periods/{PERIOD}/reopenings":
            return [{"period_id": PERIOD, "reason": "更正", "snapshot_sequence": 1, "reopened_by": "admin",
                     "reopened_at": "2026-04-12T02:00:00+00:00"}]
        if path.startswith(f"/v1/periods/{PERIOD}/exports/"):
            return httpx.Response(200, content="\ufeff名次,名称\r\n1,甲街道\r\n".encode(),
                                  headers={"content-type": "text/csv; charset=utf-8",
                                           "content-disposition": "attachment; filename*=UTF-8''p1-ranking.csv"})
        if path == f"/v1/periods/{PERIOD}/finalize":
            return {"period_id": PERIOD, "sequence": 1, "sha256": "cd" * 32, "finalized_by": "admin",
                    "finalized_at": "2026-04-10T02:00:00+00:00"}
        if path == f"/v1/periods/{PERIOD}/objections" and request.method == "GET":
            return {"items": [ENTITIES["/v1/objections/ob-a"]], "total_count": 1}
        if request.method == "GET" and path in ENTITIES:
            return ENTITIES[path]
        if path.startswith("/v1/audit"):
            return self._audit(path)
        return {"id": "new-1", "period_id": PERIOD, "subject_id": "s-a", **body}


def context(backend_clients: Clients, principal: Principal | None) -> Context:
    """A GraphQL context as the app builds it, without an HTTP request."""
    return Context(request=None, clients=backend_clients, principal=principal)  # type: ignore[arg-type]
