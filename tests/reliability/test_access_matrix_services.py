"""The gateway's role × scope matrix (tests/gateway/test_access_matrix.py) run directly against the services.

Every gateway operation that maps to a service endpoint (the REST call its resolver in gateway/operations makes)
is called on the real service, in this process on one migrated database seeded through the services' own APIs,
with a valid service token carrying the caller's principal: every role × {a grant on city/a (the target is in
city/a/u1, the period is owned by city/a; a subject principal *is* pe-a), on the sibling city/b (a subject
principal is pe-b), on the whole organisation}. The expectations are the gateway's own table (imported, so they
cannot drift): where the gateway refuses, the service refuses too (403/404, or a list without the target) and
writes no row; where the gateway allows, the service allows (2xx, or a domain 4xx that is not a refusal).

Forged, expired and wrong-audience tokens of an admin are refused with 401 on every route of every service,
nothing written, by tests/reliability/test_tokens.py; they are not repeated here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gateway import access
from services.common.auth import ROLES, SYSTEM, Grant, Principal, issue_service_token
from services.common.db import Database, create_engine
from services.common.settings import SERVICES
from tests.conftest import PgServer, create_database, drop_database
from tests.gateway.test_access_matrix import ABBREVIATIONS, EXPECTED, REST_EXPECTED, WHERE
from tests.reliability.conftest import service_app
from tests.reliability.fuzzing import served_stack

PERIOD = "mx-q"
TARGET_PATH = "city/a/u1"  # the unit of pe-a, the target of every per-subject operation
SCOPES = {"inside": ("city/a", ("pe-a",)), "outside": ("city/b", ("pe-b",)), "organisation": ("", ())}
REFUSED = (403, 404)
NOW = datetime.now(UTC)
WEEK = NOW.strftime("%G-W%V")
LATER = (NOW + timedelta(days=30)).isoformat()
# the period of this (ISO) year, which holds this week's journal; a notice's deadline a week ahead lies within the
# period or its 30 days of grace
LABEL = NOW.strftime("%G")
DEADLINE = (NOW + timedelta(days=7)).date().isoformat()

SCHEME = """
id: mx
version: 1
title: 矩阵方案
subject_kind: person
period: year
groups: [A]
indicators:
  - code: work
    name: 工作
    max: 60
    rule: {kind: manual}
  - code: business
    name: 周志
    max: 20
    rule: {kind: journal, scale_max: 20}
  - code: peer
    name: 评议
    max: 20
    rule: {kind: rating, scale: {好: 20, 差: 0}, combine: mean}
"""


@dataclass(frozen=True)
class Call:
    """One REST call a gateway resolver makes; `{name}` in the path or body is a seeded id."""

    service: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    mark: str | None = None  # a list: the seeded target (id) it shows only to those allowed to see it
    uses_up: str | None = None  # an id the call destroys: made anew (REMADE) before each allowed cell's call

    def fill(self, ids: dict[str, str]) -> Call:
        def sub(value: Any) -> Any:
            if isinstance(value, str):
                for name, found in ids.items():
                    value = value.replace("{" + name + "}", found)
                return value
            if isinstance(value, list):
                return [sub(v) for v in value]
            if isinstance(value, dict):
                return {k: sub(v) for k, v in value.items()}
            return value

        return Call(self.service, self.method, sub(self.path), sub(self.body), sub(self.params),
                    sub(self.mark) if self.mark else None, self.uses_up)


S = {"period_id": PERIOD, "subject_id": "pe-a"}
WEBHOOK = {"name": "门户", "url": "https://hooks.example.org/kaohe", "scope_path": TARGET_PATH,
           "event_types": ["submission.approved"]}
# gateway operation → the service calls its resolver makes (gateway/operations/*.py), in the order they run
# (operations that end a stage of the period come last, so that the earlier ones meet it as seeded)
CALLS: dict[str, list[Call]] = {
    # scoring: organisation, schemes, periods, scores
    "unit": [Call("scoring", "GET", "/v1/units", params={"ids": "u-a1"}, mark="u-a1")],
    "people": [Call("scoring", "GET", "/v1/people", params={"ids": "pe-a"}, mark="pe-a")],
    "schemeVersions": [Call("scoring", "GET", "/v1/schemes/mx/versions")],
    "scheme": [Call("scoring", "GET", "/v1/schemes/mx/versions/1")],
    "period": [Call("scoring", "GET", f"/v1/periods/{PERIOD}")],
    "periods": [Call("scoring", "GET", "/v1/periods")],
    "schemes": [Call("scoring", "GET", "/v1/schemes")],
    "subjects": [Call("scoring", "GET", f"/v1/periods/{PERIOD}/subjects", mark="pe-a")],
    "subject": [Call("scoring", "GET", f"/v1/periods/{PERIOD}/subjects", params={"ids": "pe-a"}, mark="pe-a")],
    "validateScheme": [Call("scoring", "POST", "/v1/schemes/validate", {"document": {"id": "sch"}})],
    "holidayCalendar": [Call("scoring", "GET", "/v1/calendar/2027")],
    "loadHolidayCalendar": [Call("scoring", "PUT", "/v1/calendar/2027", {"holidays": ["2027-01-01"],
                                                                         "source": "国办通知"})],
    "schemeDiff": [Call("scoring", "GET", "/v1/schemes/mx/diff", params={"a": "1", "b": "1"})],
    "scoreHistory": [Call("scoring", "GET", f"/v1/periods/{PERIOD}/subjects/pe-a/history")],
    "scoreAsOf": [Call("scoring", "GET", f"/v1/periods/{PERIOD}/subjects/pe-a/history",
                       params={"as_of": LATER})],
    "explain": [Call("scoring", "GET", f"/v1/periods/{PERIOD}/scores", params={"subject_ids": "pe-a"},
                     mark="pe-a")],
    "verifyPeriod": [Call("scoring", "POST", f"/v1/periods/{PERIOD}/verify")],
    "exportInputs": [Call("scoring", "GET", f"/v1/periods/{PERIOD}/inputs/facts", mark="pe-a")],
    "facts": [Call("evidence", "GET", "/v1/facts/records", params=S, mark="pe-a")],
    "createUnit": [Call("scoring", "POST", "/v1/units", {"name": "一组", "slug": "g1", "parent_id": "u-a1"})],
    "createPerson": [Call("scoring", "POST", "/v1/people", {"name": "王五", "unit_id": "u-a1"})],
    "createScheme": [Call("scoring", "POST", "/v1/schemes", {"text": SCHEME.replace("id: mx", "id: mx-new"),
                                                           "owner_path": ""})],
    "publishScheme": [Call("scoring", "POST", "/v1/schemes/mxd/versions/1/publish", {"revision": "{draft_revision}"})],
    "updateScheme": [Call("scoring", "PUT", "/v1/schemes/mxd/versions/1",
                          {"text": SCHEME.replace("id: mx", "id: mxd"), "revision": "{draft_revision}"})],
    "openPeriod": [Call("scoring", "POST", "/v1/periods", {"id": "mx-new", "scheme_id": "mx", "scheme_version": 1,
                                                          "label": "2027",
                                                          "subjects": [{"id": "pe-a", "group": "A"}]})],
    "computePeriod": [Call("scoring", "POST", f"/v1/periods/{PERIOD}/recompute")],  # then `period`
    # audit, on each service's chain
    "auditTrail": [Call(s, "GET", "/v1/audit", params={"entity_id": PERIOD}) for s in SERVICES],
    "verifyAuditChain": [Call("ranking", "GET", "/v1/audit/verify"), Call("ranking", "GET", "/v1/audit/kept-heads"),
                         *(Call(s, "POST", "/v1/audit/verify", {"expect": []}) for s in ("evidence", "scoring"))],
    # evidence
    "submissions": [Call("evidence", "GET", "/v1/submissions", params=S, mark="{submission}")],
    "submission": [Call("evidence", "GET", "/v1/submissions/{submission}")],
    "node": [Call("evidence", "GET", "/v1/submissions/{submission}")],  # a submission's node id (issue 18)
    "journals": [Call("evidence", "GET", "/v1/journals", params=S, mark=WEEK)],
    "rectificationNotices": [Call("evidence", "GET", "/v1/rectifications", params=S, mark="{notice}")],
    "appeals": [Call("evidence", "GET", "/v1/appeals", params=S, mark="{appeal}")],
    "reviewChains": [Call("evidence", "GET", "/v1/schemes/mx/review-chains")],
    "journalRoster": [Call("evidence", "GET", "/v1/journals/rosters", params={"period_id": PERIOD}, mark="pe-a")],
    "ratingResponses": [Call("evidence", "GET", "/v1/rating-tasks/{task}/responses")],
    "myBallot": [Call("evidence", "GET", "/v1/rating-tasks/{task}/ballot")],
    "submitEvidence": [Call("evidence", "POST", "/v1/submissions", {**S, "indicator": "work", "fact": "score",
                                                                   "content": {"points": "41"}})],
    "submitJournal": [Call("evidence", "POST", "/v1/journals", {**S, "week": WEEK, "text": "周志", "points": "45"})],
    # a submission of its own: whoever corrects one may not review it (four-eyes), which reviewSubmission runs
    "correctSubmission": [Call("evidence", "PATCH", "/v1/submissions/{correctable}",
                               {"content": {"points": "43"}, "version": 1})],
    "reviewSubmission": [Call("evidence", "POST", "/v1/submissions/{submission}/decisions",
                              {"action": "approve", "version": 1})],
    "setReviewChain": [Call("evidence", "PUT", "/v1/schemes/mx/review-chains",
                            {"indicator": "work", "levels": [{"name": "科室负责人", "scope": None,
                                "working_days": 3}]})],
    "setJournalRoster": [Call("evidence", "POST", "/v1/journals/rosters",
                              {"period_id": PERIOD, "subject_ids": ["pe-a"], "first_week": WEEK, "last_week": WEEK})],
    "excuseJournalWeek": [Call("evidence", "POST", "/v1/journals/excuses",
                               {**S, "week": WEEK, "kind": "trip", "reason": "赴省厅培训",
                                "ends_on": NOW.date().isoformat()})],
    "issueRectificationNotice": [Call("evidence", "POST", "/v1/rectifications",
                                      {**S, "problem": "台账缺失", "opinion": "限期整改",
                                       "checked_at": NOW.isoformat(), "deadline": DEADLINE})],
    "answerRectificationNotice": [Call("evidence", "POST", "/v1/rectifications/{notice}/feedback",
                                       {"feedback": "已整改", "version": 1})],
    "signRectificationNotice": [Call("evidence", "POST", "/v1/rectifications/{notice}/sign", {"version": 2})],
    "fileAppeal": [Call("evidence", "POST", "/v1/appeals", {"fact_id": "{fact}", "points": ["重复扣分"]})],
    "answerAppeal": [Call("evidence", "POST", "/v1/appeals/{appeal}/answer",
                          {"decision": "dismissed", "replies": ["维持"], "version": 1, "correction": None})],
    "openRatingTask": [Call("evidence", "POST", "/v1/rating-tasks", {
        "period_id": PERIOD, "indicator": "peer", "kind": "democratic", "scope": "city/a", "grades": ["好", "差"],
        "closes_at": LATER, "subject_ids": ["pe-a"], "raters": [{"rater": "r1", "level": "群众",
            "unit_path": "city/b"}],
        "round": 2})],
    "castBallot": [Call("evidence", "PUT", "/v1/rating-tasks/{task}/ballot",
                        {"answers": [{"subject_id": "pe-a", "grade": "好"}]})],
    "closeRatingTask": [Call("evidence", "GET", "/v1/rating-tasks/{task}"),  # its scope
                        Call("evidence", "POST", "/v1/rating-tasks/{task}/close", {"version": 1})],
    # ranking
    "ranking": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/ranking", mark="pe-a")],
    "result": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/results", params={"subject_ids": "pe-a"}, mark="pe-a")],
    "resultHistory": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/results/pe-a/history")],
    "publication": [Call("ranking", "GET", f"/v1/periods/{PERIOD}")],
    "objections": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/objections", params={"subject_id": "pe-a"},
                        mark="{objection}")],
    "snapshots": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/snapshots")],
    "verifySnapshot": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/snapshot-check")],
    "reopenings": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/reopenings")],
    "exportRanking": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/exports/ranking", params={"format": "csv"},
                           mark="pe-a")],
    "exportPublication": [Call("ranking", "GET", f"/v1/periods/{PERIOD}/exports/publication",
                               params={"format": "csv"})],
    "fileObjection": [Call("ranking", "POST", f"/v1/periods/{PERIOD}/objections",
                           {"subject_id": "pe-a", "text": "排名有误"})],
    "answerObjection": [Call("ranking", "POST", "/v1/objections/{objection}/answer", {"answer": "维持"})],
    "publishResults": [Call("ranking", "POST", f"/v1/periods/{PERIOD}/publication", {"working_days": 5})],
    "makeups": [Call("evidence", "GET", "/v1/makeups", params=S, mark="pe-a")],
    "grantMakeup": [Call("evidence", "POST", "/v1/makeups", {**S, "reason": "逾期补报"})],
    "finalizePeriod": [Call("ranking", "POST", f"/v1/periods/{PERIOD}/finalize")],
    "reopenPeriod": [Call("ranking", "POST", f"/v1/periods/{PERIOD}/reopen", {"reason": "更正"})],
    "setPeriodStatus": [Call("scoring", "POST", f"/v1/periods/{PERIOD}/status", {"status": "collecting"})],
    # issue 17: API keys, the organisation tree, the inbox
    "apiKeys": [Call("scoring", "GET", "/v1/api-keys")],
    "createApiKey": [Call("scoring", "POST", "/v1/api-keys",
                          {"name": "门户", "grants": [{"role": "auditor", "scope": "city/a"}]})],
    "revokeApiKey": [Call("scoring", "DELETE", "/v1/api-keys/{key}")],  # then 409: already revoked
    "units": [Call("scoring", "GET", "/v1/units/children", params={"parent_id": "u-city"})],
    "unitAncestors": [Call("scoring", "GET", "/v1/units", params={"ids": "u-a1"}, mark="u-a1")],
    "unitPeople": [Call("scoring", "GET", "/v1/units/u-a1/people")],
    "inbox": [Call("evidence", "GET", f"/v1/inbox/{part}")
              for part in ("reviews", "ratings", "notices", "appeals", "journals")]
    + [Call("ranking", "GET", "/v1/inbox/objections")],
    # issue 18: webhook subscriptions, decided by evidence against the subscription's scope (the seeded one's is
    # pe-a's unit); `webhookSubscriptions` lists the deliveries of each subscription listed
    "webhookSubscriptions": [Call("evidence", "GET", "/v1/webhooks", mark="{webhook}")],
    "createWebhookSubscription": [Call("evidence", "POST", "/v1/webhooks", WEBHOOK)],
    "updateWebhookSubscription": [Call("evidence", "PATCH", "/v1/webhooks/{webhook}", {"name": "门户网站"})],
    "deleteWebhookSubscription": [Call("evidence", "DELETE", "/v1/webhooks/{webhook_gone}", uses_up="webhook_gone")],
    "rotateWebhookSecret": [Call("evidence", "POST", "/v1/webhooks/{webhook}/rotate-secret")],
    "sendTestWebhook": [Call("evidence", "POST", "/v1/webhooks/{webhook}/test")],
    "redeliverWebhook": [Call("evidence", "POST", "/v1/webhooks/deliveries/{delivery}/redeliver")],
}
# what makes an id anew for a call that uses it up (as the office)
REMADE = {"webhook_gone": Call("evidence", "POST", "/v1/webhooks", WEBHOOK)}
# Operations of the gateway that call no service: `me` answers from the caller's token.
NO_SERVICE = {"me", "webhookEventTypes"}  # answered by the gateway itself
# HTTP routes of the gateway moving files (multipart bodies): their direct checks are in tests/evidence
# (attachments) and tests/scoring (import-excel); they have no row in the gateway's table either.
# A snapshot's bytes (downloadSnapshot) need a finalized period: tests/reliability/test_audit_rows.py checks them.
FILE_ROUTES = {"uploadAttachment", "downloadAttachment", "importSchemeExcel", "importSubjects", "importOrganisation",
               "importFacts", "downloadSnapshot"}
TABLE = {**EXPECTED, **REST_EXPECTED}


def test_every_gateway_operation_is_run_directly() -> None:
    """The two tables agree: every operation of the gateway's matrix is here or named as calling no service."""
    assert set(CALLS) | NO_SERVICE == set(TABLE)
    assert set(TABLE) | FILE_ROUTES == set(access.OPERATIONS)


def expected(operation: str, role: str, where: str) -> bool:
    """The gateway's decision for `role` with a grant `where` (its matrix column)."""
    column = list(WHERE).index(where)
    return role in {ABBREVIATIONS[a] for a in TABLE[operation][column].split()}


def shows_target(operation: str, principal: Principal) -> bool:
    """Whether the gateway shows the target (pe-a in city/a/u1) as an item of a list to `principal`."""
    return access.visible(principal, operation, unit_path=TARGET_PATH, subject_id="pe-a")


def principal(role: str, where: str) -> Principal:
    """The caller of a cell; only a `subject` principal *is* an assessed subject (the gateway's decisions do not
    depend on the subject ids of the other roles; the services read them as an identity: docs/decisions.md)."""
    scope, subject_ids = SCOPES[where]
    return Principal(subject=f"{role}@{where}", grants=(Grant(role, scope),),  # type: ignore[arg-type]
                     subject_ids=subject_ids if role == "subject" else ())


def bearer(who: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_service_token(who)}"}


ADMIN = bearer(Principal(subject="office", grants=(Grant("admin", ""),)))
# approves what the office submitted: never the same person (four-eyes, docs/identity.md)
OFFICE_REVIEWER = bearer(Principal(subject="office-reviewer", grants=(Grant("reviewer", ""),)))


@dataclass
class Stack:
    urls: dict[str, str]
    counter: Database
    ids: dict[str, str]

    async def send(self, client: httpx.AsyncClient, call: Call, headers: dict[str, str]) -> httpx.Response:
        return await client.request(call.method, self.urls[call.service] + call.path, json=call.body,
                                    params=call.params or None, headers=headers)

    async def rows(self) -> dict[str, int]:
        """Rows per table of the three schemas (a refused call writes none)."""
        async with self.counter.sessionmaker() as session:
            tables = (await session.execute(text(
                "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('evidence', 'scoring', 'ranking') "
                "ORDER BY 1, 2"))).all()
            # names from pg_tables of our own schemas, quoted as identifiers
            union = " UNION ALL ".join(f"SELECT '{s}.{t}', count(*) FROM \"{s}\".\"{t}\"" for s, t in tables)
            return {str(name): int(n) for name, n in (await session.execute(text(union))).all()}


async def _ok(response: httpx.Response, *status: int) -> Any:
    assert response.status_code in (status or (200, 201)), (response.request.url, response.text)
    return response.json() if response.content else None


async def _seed(client: httpx.AsyncClient, urls: dict[str, str]) -> dict[str, str]:
    """Organisation city → a → u1 and city → b → u1 with pe-a and pe-b; scheme mx published, draft mxd;
    period mx-q owned by city/a collecting; a submission, approved into a fact, an appeal of it, a journal,
    a rectification notice, a rating task, results ranked and published, an objection."""
    sc, ev, rk = urls["scoring"], urls["evidence"], urls["ranking"]
    ids: dict[str, str] = {}
    for uid, slug, parent in (("u-city", "city", None), ("u-a", "a", "u-city"), ("u-b", "b", "u-city"),
                              ("u-a1", "u1", "u-a"), ("u-b1", "u1", "u-b")):
        await _ok(await client.post(f"{sc}/v1/units", headers=ADMIN, json={
            "id": uid, "name": uid, "slug": slug, **({"parent_id": parent} if parent else {})}), 201)
    for pid, unit in (("pe-a", "u-a1"), ("pe-b", "u-b1")):
        await _ok(await client.post(f"{sc}/v1/people", json={"id": pid, "name": pid, "unit_id": unit},
                                    headers=ADMIN), 201)
    for text_, publish in ((SCHEME, True), (SCHEME.replace("id: mx", "id: mxd"), False)):
        draft = await _ok(await client.post(f"{sc}/v1/schemes", json={"text": text_, "owner_path": ""},
                                            headers=ADMIN), 201)
        if publish:
            await _ok(await client.post(f"{sc}/v1/schemes/mx/versions/1/publish", headers=ADMIN,
                                        json={"revision": draft["revision"]}))
        else:
            ids["draft_revision"] = str(draft["revision"])
    await _ok(await client.post(f"{sc}/v1/periods", headers=ADMIN, json={
        "id": PERIOD, "scheme_id": "mx", "scheme_version": 1, "label": LABEL, "owner_path": "city/a",
        "subjects": [{"id": "pe-a", "group": "A"}]}), 201)  # a period owned by city/a holds only its subjects
    await _ok(await client.post(f"{sc}/v1/periods/{PERIOD}/status", json={"status": "collecting"}, headers=ADMIN))
    for subject in ("pe-a",):
        made = await _ok(await client.post(f"{ev}/v1/submissions", headers=ADMIN, json={
            "period_id": PERIOD, "subject_id": subject, "indicator": "work", "fact": "score",
            "content": {"points": "50"}}), 201)
        approved = await _ok(await client.post(f"{ev}/v1/submissions/{made['id']}/decisions",
                                               headers=OFFICE_REVIEWER, json={"action": "approve", "version": 1}))
        await _ok(await client.post(f"{sc}/events", headers=bearer(SYSTEM), json={
            "id": str(uuid.uuid4()), "source": "evidence", "topic": "fact.changed", "payload": {
                "period_id": PERIOD, "action": "upsert", "fact": {"id": approved["fact_id"], "subject": subject,
                                                                  "indicator": "work", "fact": "score",
                                                                  "points": "50"}}}))
        ids.setdefault("fact", str(approved["fact_id"]))  # pe-a's
    pending = await _ok(await client.post(f"{ev}/v1/submissions", headers=ADMIN, json={
        **S, "indicator": "work", "fact": "score", "content": {"points": "42"}}), 201)
    ids["submission"] = pending["id"]
    correctable = await _ok(await client.post(f"{ev}/v1/submissions", headers=ADMIN, json={
        **S, "indicator": "work", "fact": "score", "content": {"points": "42"}}), 201)
    ids["correctable"] = correctable["id"]
    await _ok(await client.post(f"{ev}/v1/journals/rosters", headers=ADMIN, json={
        "period_id": PERIOD, "subject_ids": ["pe-a"], "first_week": WEEK, "last_week": WEEK}))
    await _ok(await client.post(f"{ev}/v1/journals", headers=ADMIN,
                                json={**S, "week": WEEK, "text": "周志", "points": "45"}), 201)
    notice = await _ok(await client.post(f"{ev}/v1/rectifications", headers=ADMIN, json={
        **S, "problem": "台账缺失", "opinion": "限期整改", "checked_at": NOW.isoformat(), "deadline": DEADLINE}), 201)
    ids["notice"] = notice["id"]
    appeal = await _ok(await client.post(f"{ev}/v1/appeals", headers=ADMIN,
                                         json={"fact_id": ids["fact"], "points": ["不服"]}), 201)
    ids["appeal"] = appeal["id"]
    raters = [{"rater": f"rater@{w}", "level": "群众", "unit_path": "city/b/u1"} for w in SCOPES]
    task = await _ok(await client.post(f"{ev}/v1/rating-tasks", headers=ADMIN, json={
        "period_id": PERIOD, "indicator": "peer", "kind": "democratic", "scope": "city/a", "grades": ["好", "差"],
        "closes_at": LATER, "subject_ids": ["pe-a"], "raters": raters}), 201)
    ids["task"] = task["id"]
    await _ok(await client.post(f"{sc}/v1/periods/{PERIOD}/recompute", headers=ADMIN))
    period = await _ok(await client.get(f"{sc}/v1/periods/{PERIOD}", headers=ADMIN))
    await _ok(await client.post(f"{rk}/events", headers=bearer(SYSTEM), json={
        "id": str(uuid.uuid4()), "source": "scoring", "topic": "scores.changed", "payload": {
            "period_id": PERIOD, "scheme_id": "mx", "scheme_version": 1, "label": period["label"],
            "inputs_sha256": "x", "score_set": 1}}))
    await _ok(await client.post(f"{rk}/v1/periods/{PERIOD}/publication", headers=ADMIN, json={"working_days": 5}))
    await _ok(await client.post(f"{ev}/v1/makeups", headers=ADMIN, json={**S, "reason": "逾期补报"}), 201)
    objection = await _ok(await client.post(f"{rk}/v1/periods/{PERIOD}/objections",
                                            headers=bearer(principal("subject", "inside")),
                                            json={"subject_id": "pe-a", "text": "名次有误"}), 201)
    ids["objection"] = objection["id"]
    key = await _ok(await client.post(f"{sc}/v1/api-keys", headers=ADMIN, json={
        "name": "门户", "grants": [{"role": "auditor", "scope": "city/a"}]}), 201)
    ids["key"] = key["id"]
    for name in ("webhook", "webhook_gone"):
        ids[name] = (await _ok(await client.post(f"{ev}/v1/webhooks", json=WEBHOOK, headers=ADMIN), 201))["id"]
    test = await _ok(await client.post(f"{ev}/v1/webhooks/{ids['webhook']}/test", headers=ADMIN), 202)
    ids["delivery"] = str(test["id"])
    return ids


# what earlier tests may leave on the module-level apps (fakes of a peer, a fixed clock): cleared for this module
PEER_FAKES = {"evidence": ("scoring_transport", "scoring_client", "clock"), "ranking": ("scoring_http", "clock"),
              "scoring": ("evidence_transport", "clock")}


@pytest.fixture(scope="module")
def served(pg_server: PgServer) -> Iterator[tuple[str, dict[str, str]]]:
    saved = {(name, attr): getattr(service_app(name).state, attr, None)
             for name, attrs in PEER_FAKES.items() for attr in attrs}
    for name, attr in saved:
        setattr(service_app(name).state, attr, None)
    url = create_database(pg_server)
    try:
        with served_stack(url) as urls:
            yield url, urls
    finally:
        drop_database(pg_server, url)
        for (name, attr), value in saved.items():
            setattr(service_app(name).state, attr, value)


@pytest.fixture(scope="module")
async def stack(served: tuple[str, dict[str, str]]) -> AsyncIterator[Stack]:
    url, urls = served
    engine = create_engine(url, pool_size=1)
    async with httpx.AsyncClient(timeout=30) as client:
        ids = await _seed(client, urls)
    counter = Database(engine, "public")
    async with counter.sessionmaker() as session:  # no dispatcher runs here: the test delivery is taken as failed,
        await session.execute(text(  # so that it can be sent again
            "UPDATE evidence.webhook_delivery SET state = 'failed' WHERE id = :id"), {"id": int(ids["delivery"])})
        await session.commit()
    yield Stack(urls, counter, ids)
    await engine.dispose()


CELLS = [(role, where) for where in WHERE for role in ROLES]


async def deviations(stack: Stack, operation: str) -> set[tuple[str, str, str]]:
    """Every cell where the service's decision differs from the gateway's: `looser` (the service lets through
    what the gateway refuses, or lists the target), `stricter` (it refuses what the gateway allows, or hides the
    target), `wrote` (a refused call left a row behind; one entry for the operation)."""
    calls = [c.fill(stack.ids) for c in CALLS[operation]]

    async def remade(call: Call) -> Call:
        if call.uses_up is None:
            return call
        made = await _ok(await stack.send(client, REMADE[call.uses_up], ADMIN), 201)
        return replace(call, path=call.path.replace(stack.ids[call.uses_up], made["id"]))

    found: set[tuple[str, str, str]] = set()
    async with httpx.AsyncClient(timeout=30) as client:
        before = await stack.rows()
        for role, where in CELLS:  # first the refused cells, on the period as seeded
            if expected(operation, role, where):
                continue
            for call in calls:
                response = await stack.send(client, call, bearer(principal(role, where)))
                hidden = response.status_code == 200 and call.mark is not None and call.mark not in response.text
                # an act on a subject outside the caller's scope is answered as one not in the period (422), as
                # an unknown subject is: refused without telling which
                if response.status_code not in (*REFUSED, 422) and not hidden:
                    found.add(("looser", role, where))
        if await stack.rows() != before:
            found.add(("wrote", "", ""))
        for role, where in CELLS:
            if not expected(operation, role, where):
                continue
            who = principal(role, where)
            for call in calls:
                call = await remade(call)
                response = await stack.send(client, call, bearer(who))
                status = response.status_code
                assert status < 500, (operation, role, where, call.path, response.text[:300])
                if status in (401, *REFUSED):
                    found.add(("stricter", role, where))
                elif call.mark is not None and status == 200 and (call.mark in response.text) != shows_target(
                        operation, who):
                    found.add(("looser" if call.mark in response.text else "stricter", role, where))
    return found


AB = {role: abbreviation for abbreviation, role in ABBREVIATIONS.items()}
# Where a service decides otherwise than the gateway today, cell by cell ("role@where"; the test fails when a
# cell appears or disappears, so each change is a decision). No `looser` cell is left: the services and the gateway
# apply one policy (docs/decisions.md "Access: one policy in the gateway and the services"). `stricter` rows refuse
# or hide what the gateway allows (the gateway then answers FORBIDDEN or shows less; the reason is given).
DEVIATIONS: dict[str, str] = {
    # stricter: evidence lists notices to staff of the unit, not to the subject itself
    "rectificationNotices": "stricter sj@inside",
    # stricter: assessors read no appeals in evidence
    "appeals": "stricter as@inside as@organisation",
    # stricter by design: scoring shows subjects to readers only (a submitter or rater sees no subject list)
    "subjects": "stricter ra@inside ra@organisation su@inside su@organisation",
    "subject": "stricter ra@inside ra@organisation su@inside su@organisation",
    # stricter by design: the role → fact kind table (a score fact is the assessor's; the gateway's own comment)
    "submitEvidence": "stricter su@inside su@organisation",
    "correctSubmission": "stricter su@inside su@organisation",
    # stricter: assessors read no journals and no appeals in evidence
    "journals": "stricter as@inside as@organisation",
    # stricter: response counts only for the task's office scope (the gateway lets any admin or auditor ask)
    "ratingResponses": "stricter ad@outside au@outside",
    # stricter: only the subject or its unit's own account objects to a result, not the office or a submitter
    # whose grant is above the unit
    "fileObjection": "stricter ad@inside ad@organisation su@inside su@organisation",
    # stricter: scoring revokes only a key whose grants the admin covers (the gateway cannot know them first)
    "revokeApiKey": "stricter ad@outside",
    # stricter: evidence manages a webhook subscription only for the office or an auditor over its scope (pe-a's
    # unit here), which the gateway cannot know before it asks; another unit's staff meet "does not exist"
    **{op: "stricter ad@outside as@outside au@outside" for op in (
        "createWebhookSubscription", "updateWebhookSubscription", "deleteWebhookSubscription", "rotateWebhookSecret",
        "sendTestWebhook", "redeliverWebhook")},
}


def deviation_cells(operation: str) -> set[tuple[str, str, str]]:
    cells: set[tuple[str, str, str]] = set()
    for part in filter(None, DEVIATIONS.get(operation, "").split(";")):
        kind, *rest = part.split()
        cells.add((kind, "", "") if kind == "wrote" else ("", "", ""))
        cells |= {(kind, ABBREVIATIONS[c.split("@")[0]], c.split("@")[1]) for c in rest}
    return cells - {("", "", "")}


def test_deviations_name_operations_of_the_matrix() -> None:
    assert set(DEVIATIONS) <= set(CALLS)
    assert all(deviation_cells(op) for op in DEVIATIONS)


@pytest.mark.parametrize("operation", list(CALLS))
async def test_service_is_as_strict_as_the_gateway(stack: Stack, operation: str) -> None:
    found = await deviations(stack, operation)
    readable = sorted(f"{kind} {AB.get(role, '')}@{where}" for kind, role, where in found)
    assert found == deviation_cells(operation), (operation, readable)
