"""Every query and mutation, driven by every role inside, outside and over the whole organisation:
the exact allow/deny matrix of gateway/access.py, checked before any service is written to."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway import access
from gateway.schema import build_schema
from services.common.auth import ROLES, Grant, Principal
from tests.gateway.fakes import FakeBackend, context

ABBREVIATIONS = {"ad": "admin", "as": "assessor", "re": "reviewer", "su": "submitter", "ra": "rater",
                 "au": "auditor", "sj": "subject"}
ALL = "ad as re su ra au sj"
STAFF = "ad as re su ra au"

# op: (roles allowed with a grant on city/a (the target is in city/a/u1, the period is owned by city/a;
#      a subject principal *is* s-a),
#      with a grant on city/b (outside; a subject principal is s-b), with a grant on the whole organisation)
EXPECTED: dict[str, tuple[str, str, str]] = {
    "me": (ALL, ALL, ALL),
    "unit": (STAFF, "", STAFF),
    "people": (ALL, ALL, STAFF),
    "schemeVersions": (ALL, ALL, ALL),
    "scheme": (ALL, ALL, ALL),
    "period": (ALL, ALL, ALL),
    "subjects": (ALL, ALL, ALL),
    "subject": (ALL, "", STAFF),
    "createUnit": ("ad", "", "ad"),
    "createPerson": ("ad", "", "ad"),
    "createScheme": ("", "", "ad"),
    "publishScheme": ("", "", "ad"),
    "updateScheme": ("", "", "ad"),
    "openPeriod": ("", "", "ad"),
    "setPeriodStatus": ("ad", "", "ad"),
    "computePeriod": ("ad", "", "ad"),
    "submissions": ("ad as re su au sj", "", "ad as re su au"),
    "submission": ("ad as re su au sj", "", "ad as re su au"),
    "node": ("ad as re su au sj", "", "ad as re su au"),  # a submission's node id: the `submission` rule
    "submitEvidence": ("ad as su", "", "ad as su"),
    "submitJournal": ("ad su sj", "", "ad su"),
    "reviewSubmission": ("ad re", "", "ad re"),
    "journals": ("ad as re su au sj", "", "ad as re su au"),
    "ratingResponses": ("ad au", "ad au", "ad au"),
    "myBallot": ("ra", "ra", "ra"),
    "openRatingTask": ("ad", "", "ad"),
    "castBallot": ("ra", "ra", "ra"),
    "closeRatingTask": ("ad", "", "ad"),  # the task's scope is city/a
    "rectificationNotices": ("ad as re su au sj", "", "ad as re su au"),
    "makeups": ("ad as re su au sj", "", "ad as re su au"),
    "grantMakeup": ("ad", "", "ad"),  # the office over the period (owned by city/a)
    "issueRectificationNotice": ("ad as", "", "ad as"),
    "answerRectificationNotice": ("ad su", "", "ad su"),
    "signRectificationNotice": ("ad re", "", "ad re"),
    "appeals": ("ad as su au sj", "", "ad as su au"),
    "fileAppeal": ("ad su sj", "", "ad su"),
    "answerAppeal": ("ad", "", "ad"),
    "scoreHistory": ("ad as au", "", "ad as au"),
    "scoreAsOf": ("ad as au", "", "ad as au"),
    "explain": ("ad as au", "", "ad as au"),
    "facts": ("ad as re su au", "", "ad as re su au"),
    "verifyPeriod": ("ad au", "", "ad au"),
    "auditTrail": ("", "", "ad au"),
    "verifyAuditChain": ("", "", "ad au"),
    # a submitter may be a unit's own account: ranking then shows it its unit's published rows, others none
    # (test_live_visibility); `result` and `objections` need the grant exactly on the subject's unit, not city/a
    "ranking": ("ad as re su au sj", "ad as re su au sj", "ad as re su au sj"),
    "result": ("ad as re au sj", "", "ad as re au"),
    "resultHistory": ("ad as au", "", "ad as au"),
    "snapshots": ("ad au", "", "ad au"),
    "verifySnapshot": ("ad au", "", "ad au"),
    "publication": (ALL, ALL, ALL),
    "objections": ("ad as re au sj", "", "ad as re au"),
    "publishResults": ("ad", "", "ad"),
    "fileObjection": ("ad su sj", "", "ad su"),
    "answerObjection": ("ad", "", "ad"),
    "finalizePeriod": ("ad", "", "ad"),
    "reopenPeriod": ("ad", "", "ad"),
    "reviewChains": ("ad as re su au", "ad as re su au", "ad as re su au"),
    "setReviewChain": ("", "", "ad"),
    "correctSubmission": ("ad as su", "", "ad as su"),
    "journalRoster": ("ad re su au sj", "ad re su au sj", "ad re su au"),
    "setJournalRoster": ("ad", "", "ad"),
    "excuseJournalWeek": ("ad re", "", "ad re"),
    "validateScheme": ("ad as au", "ad as au", "ad as au"),
    "schemeDiff": (ALL, ALL, ALL),
    "reopenings": ("ad au", "", "ad au"),
    "periods": (ALL, ALL, ALL),
    "schemes": (ALL, ALL, ALL),
    "inbox": (ALL, ALL, ALL),  # each service scopes every part to the caller
    "units": (ALL, ALL, ALL),  # scoring filters the units by the caller's grants
    "unitAncestors": (STAFF, "", STAFF),
    "unitPeople": (STAFF, "", STAFF),
    # webhooks: the gateway lets the office and auditors through, evidence checks the subscription's scope
    "webhookSubscriptions": ("ad as au", "ad as au", "ad as au"),
    "webhookEventTypes": ("ad as au", "ad as au", "ad as au"),
    "createWebhookSubscription": ("ad as au", "ad as au", "ad as au"),
    "updateWebhookSubscription": ("ad as au", "ad as au", "ad as au"),
    "deleteWebhookSubscription": ("ad as au", "ad as au", "ad as au"),
    "rotateWebhookSecret": ("ad as au", "ad as au", "ad as au"),
    "sendTestWebhook": ("ad as au", "ad as au", "ad as au"),
    "redeliverWebhook": ("ad as au", "ad as au", "ad as au"),
    "apiKeys": ("ad", "ad", "ad"),  # scoring lists only the keys within the caller's admin scopes
    "createApiKey": ("ad", "", "ad"),  # the key's grant is on city/a
    "revokeApiKey": ("ad", "ad", "ad"),  # scoring answers 404 outside the caller's admin scopes
    "holidayCalendar": (ALL, ALL, ALL),
    "loadHolidayCalendar": ("", "", "ad"),  # the arrangement is national: the whole organisation's admin
}
# REST routes (gateway/exports.py), driven over HTTP with the same cases
REST_EXPECTED: dict[str, tuple[str, str, str]] = {
    "exportRanking": ("ad as au", "", "ad as au"),  # the period's office table: off its owner's branch, NOT_FOUND
    "exportPublication": (ALL, ALL, ALL),
    "exportInputs": ("ad au", "", "ad au"),  # `kaohe evaluate`'s files: the owner's office and auditors
}
REST_PATHS = {"exportRanking": "/exports/periods/p1/ranking.csv",
              "exportPublication": "/exports/periods/p1/publication.xlsx",
              "exportInputs": "/exports/periods/p1/facts.json"}

P = 'periodId: "p1"'
S = 'periodId: "p1", subjectId: "s-a"'
PAGE = "{ totalCount nodes { id } }"
DOCUMENTS: dict[str, str] = {
    "me": "{ me { subject } }",
    "unit": '{ unit(id: "u-a") { path } }',
    "people": '{ people(ids: ["pe-a", "pe-b"]) { totalCount } }',
    "schemeVersions": '{ schemeVersions(schemeId: "sch") { totalCount nodes { revision } } }',
    "scheme": '{ scheme(id: "sch", version: 1) { name indicators { code children { code } } } }',
    "period": '{ period(id: "p1") { label } }',
    "subjects": f"{{ subjects({P}) {PAGE} }}",
    "subject": f'{{ subject({P}, id: "s-a") {{ name }} }}',
    "createUnit": 'mutation { createUnit(name: "一组", slug: "g1", parentId: "u-a") { id } }',
    "createPerson": 'mutation { createPerson(name: "王五", unitId: "u-a") { id } }',
    "createScheme": 'mutation { createScheme(document: {name: "x"}) { id } }',
    "publishScheme": 'mutation { publishScheme(id: "sch", version: 1, revision: 3) { status } }',
    "updateScheme": 'mutation { updateScheme(id: "sch", version: 1, revision: 3, document: {id: "sch"}) { status } }',
    "openPeriod": 'mutation { openPeriod(input: {schemeId: "sch", schemeVersion: 1, label: "Q1", '
                  'subjects: [{id: "u-a", group: "g1"}]}) { id } }',
    "setPeriodStatus": f'mutation {{ setPeriodStatus({P}, status: "collecting") {{ status }} }}',
    "computePeriod": f"mutation {{ computePeriod({P}) {{ status }} }}",
    "submissions": f"{{ submissions({S}) {PAGE} }}",
    "submission": '{ submission(id: "sub-a") { status attachments { sha256 } reviews { decision } } }',
    # base64 of "Submission:sub-a"
    "node": '{ node(id: "U3VibWlzc2lvbjpzdWItYQ==") { ... on Submission { id status } } }',
    "submitEvidence": f'mutation {{ submitEvidence(input: {{{S}, indicator: "A1", fact: "measure", '
                      'content: {value: "12.5"}}) { id } }',
    "submitJournal": f'mutation {{ submitJournal(input: {{{S}, week: "2026-W07", text: "周志", points: "45"}}) '
                     "{ week } }",
    "journals": f"{{ journals({S}) {{ totalCount nodes {{ week status }} }} }}",
    "reviewSubmission": 'mutation { reviewSubmission(id: "sub-a", input: {action: "approve", version: 1}) '
                        "{ id } }",
    "ratingResponses": '{ ratingResponses(taskId: "t-1") { raters responded byLevel } }',
    "myBallot": '{ myBallot(taskId: "t-1") { level lines { subjectId grade } } }',
    "openRatingTask": 'mutation { openRatingTask(input: {periodId: "p1", indicator: "pj", kind: "democratic", '
                      'scope: "city/a", grades: ["好", "差"], closesAt: "2026-03-31T09:00:00Z", subjectIds: ["s-a"], '
                      'raters: [{rater: "r1", level: "群众", unitPath: "city/b"}]}) { id } }',
    "castBallot": 'mutation { castBallot(taskId: "t-1", answers: [{subjectId: "s-a", grade: "好"}]) { taskId } }',
    "closeRatingTask": 'mutation { closeRatingTask(taskId: "t-1", version: 1) { status } }',
    "rectificationNotices": f"{{ rectificationNotices({S}) {PAGE} }}",
    "makeups": f"{{ makeups({S}) {{ nodes {{ subjectId closesAt }} }} }}",
    "grantMakeup": f'mutation {{ grantMakeup({S}, reason: "逾期补报") {{ id }} }}',
    "issueRectificationNotice": f'mutation {{ issueRectificationNotice(input: {{{S}, problem: "台账缺失", '
                                'opinion: "限期整改", checkedAt: "2026-03-01T02:00:00Z", deadline: "2026-03-10"}) '
                                "{ id } }",
    "answerRectificationNotice": 'mutation { answerRectificationNotice(id: "n-a", feedback: "已整改", version: 1) '
                                 "{ id } }",
    "signRectificationNotice": 'mutation { signRectificationNotice(id: "n-a", version: 2) { id } }',
    "appeals": f"{{ appeals({S}) {PAGE} }}",
    "fileAppeal": f'mutation {{ fileAppeal({S}, factId: "f-1", points: ["重复扣分"]) {{ id }} }}',
    "answerAppeal": 'mutation { answerAppeal(id: "ap-a", upheld: true, replies: ["予以更正"], version: 1) { id } }',
    "scoreHistory": f"{{ scoreHistory({S}) {{ totalCount nodes {{ value cause factIds }} }} }}",
    "scoreAsOf": f'{{ scoreAsOf({S}, at: "2026-03-02T00:00:00+08:00") {{ value }} }}',
    "explain": f"{{ explain({S}) {{ total explain }} }}",
    "facts": f"{{ facts({S}) {{ totalCount nodes {{ id body sourceType sourceId }} }} }}",
    "verifyPeriod": f"{{ verifyPeriod({P}) {{ ok }} }}",
    "auditTrail": '{ auditTrail(entityId: "e-1") { totalCount } }',
    "verifyAuditChain": "{ verifyAuditChain(service: SCORING) { ok } }",
    "ranking": f"{{ ranking({P}) {{ totalCount nodes {{ rank }} }} }}",
    "result": f"{{ result({S}) {{ grade }} }}",
    "resultHistory": f"{{ resultHistory({S}) {{ totalCount nodes {{ version grade }} }} }}",
    "snapshots": f"{{ snapshots({P}) {{ totalCount nodes {{ sequence sha256 }} }} }}",
    "verifySnapshot": f"{{ verifySnapshot({P}) {{ ok sequence differences {{ subjectId field }} }} }}",
    "publication": f"{{ publication({P}) {{ status }} }}",
    "objections": f"{{ objections({S}) {PAGE} }}",
    "publishResults": f"mutation {{ publishResults({P}, workingDays: 5) {{ status }} }}",
    "fileObjection": f'mutation {{ fileObjection({S}, reason: "排名有误") {{ id }} }}',
    "answerObjection": 'mutation { answerObjection(id: "ob-a", answer: "维持") { id } }',
    "finalizePeriod": f"mutation {{ finalizePeriod({P}) {{ sha256 }} }}",
    "reopenPeriod": f'mutation {{ reopenPeriod({P}, reason: "更正") {{ status }} }}',
    "reviewChains": '{ reviewChains(schemeId: "sch") { indicator levels { name scope workingDays } } }',
    "setReviewChain": 'mutation { setReviewChain(schemeId: "sch", indicator: "A1", '
                      'levels: [{name: "科室负责人", workingDays: 3}]) { version } }',
    "correctSubmission": 'mutation { correctSubmission(id: "sub-a", input: {content: {value: "13"}, version: 1}) '
                         "{ id } }",
    "journalRoster": f"{{ journalRoster({P}) {{ subjectId firstWeek }} }}",
    "setJournalRoster": f'mutation {{ setJournalRoster(input: {{{P}, subjectIds: ["s-a"], firstWeek: "2026-W01", '
                        'lastWeek: "2026-W13"}) { people } }',
    "excuseJournalWeek": f'mutation {{ excuseJournalWeek(input: {{{S}, week: "2026-W07", kind: "trip", '
                         'reason: "赴省厅培训", endsOn: "2026-02-13"}) { status excuseKind } }',
    "validateScheme": '{ validateScheme(document: {id: "sch"}) { ok problems { pointer } } }',
    "schemeDiff": '{ schemeDiff(schemeId: "sch", fromVersion: 1, toVersion: 2) { added changed { code } } }',
    "reopenings": f"{{ reopenings({P}) {{ totalCount nodes {{ reason snapshotSequence reopenedBy }} }} }}",
    "periods": "{ periods(first: 5) { totalCount nodes { id label status ownerPath } pageInfo { hasNextPage } } }",
    "schemes": "{ schemes { totalCount nodes { id version status ownerPath versionCount } } }",
    "inbox": "{ inbox { reviews { totalCount } journalsDue { totalCount } } }",
    "units": "{ units { totalCount nodes { id path } } }",
    "unitAncestors": '{ unitAncestors(id: "u-a") { path } }',
    "unitPeople": '{ unitPeople(unitId: "u-a") { totalCount nodes { name } } }',
    "webhookEventTypes": "{ webhookEventTypes { type entityType description } }",
    "webhookSubscriptions": "{ webhookSubscriptions { nodes { id status deliveries { nodes { id state payload } } } "
                            "} }",
    "createWebhookSubscription": 'mutation { createWebhookSubscription(name: "门户", '
                                 'url: "https://portal.example.org/h", scopePath: "city/a") '
                                 "{ secret subscription { id } } }",
    "updateWebhookSubscription": 'mutation { updateWebhookSubscription(id: "wh-1", paused: true) { status } }',
    "deleteWebhookSubscription": 'mutation { deleteWebhookSubscription(id: "wh-1") }',
    "rotateWebhookSecret": 'mutation { rotateWebhookSecret(id: "wh-1") { secret previousExpiresAt } }',
    "sendTestWebhook": 'mutation { sendTestWebhook(id: "wh-1") { id state } }',
    "redeliverWebhook": 'mutation { redeliverWebhook(deliveryId: "7") { id redeliveryOf } }',
    "apiKeys": "{ apiKeys { totalCount nodes { id name createdBy createdAt lastUsedAt grants { role scope } } } }",
    "createApiKey": 'mutation { createApiKey(name: "门户", grants: [{role: "auditor", scope: "city/a"}]) '
                    "{ key apiKey { id } } }",
    "revokeApiKey": 'mutation { revokeApiKey(id: "k-1") }',
    "holidayCalendar": "{ holidayCalendar(year: 2027) { year origin holidays workdays source } }",
    "loadHolidayCalendar": 'mutation { loadHolidayCalendar(year: 2027, holidays: ["2027-01-01"], '
                           'source: "国办通知") { year origin loadedBy } }',
}
WHERE = {"inside": ("city/a", ("s-a",)), "outside": ("city/b", ("s-b",)), "organisation": ("", ())}
SCHEMA = build_schema()
ROUTES = {"uploadAttachment", "downloadAttachment", "importSchemeExcel",  # HTTP routes: tests/gateway/test_files.py
          "importSubjects", "importOrganisation",  # tests/gateway/test_live_enrolment_upload.py
          "importFacts",  # tests/gateway/test_live_facts_upload.py
          "downloadSnapshot"}  # a snapshot's bytes: tests/reliability/test_audit_rows.py


def _roles(cell: str) -> set[str]:
    return {ABBREVIATIONS[a] for a in cell.split()}


def test_every_root_field_has_a_row_a_document_and_a_rule() -> None:
    graphql_schema = SCHEMA._schema
    fields = set(graphql_schema.query_type.fields) | set(graphql_schema.mutation_type.fields)
    assert fields - {"health"} == set(EXPECTED) == set(DOCUMENTS) == set(access.OPERATIONS) - access.REST_OPERATIONS
    assert ROUTES | set(REST_EXPECTED) == access.REST_OPERATIONS  # files: test_files.py; exports: below


async def _run(operation: str, principal: Principal) -> tuple[bool, FakeBackend, Any]:
    backend = FakeBackend()
    clients = backend.clients()
    try:
        result = await SCHEMA.execute(DOCUMENTS[operation], context_value=context(clients, principal))
    finally:
        await clients.aclose()
    codes = [e.extensions.get("code") for e in result.errors or []]
    if "FORBIDDEN" in codes or "NOT_FOUND" in codes:  # a read outside the scope: as for nothing (test_existence.py)
        return False, backend, result
    assert result.errors is None, (operation, principal, result.errors)
    return True, backend, result


@pytest.mark.parametrize("operation", sorted(EXPECTED))
async def test_access_matrix(operation: str) -> None:
    cases = [(where, column, role) for column, where in enumerate(WHERE) for role in ROLES]
    runs = await asyncio.gather(*(
        _run(operation, Principal(subject=f"{role}@{where}", grants=(Grant(role, WHERE[where][0]),),
                                  subject_ids=WHERE[where][1]))
        for where, _column, role in cases))
    for (where, column, role), (allowed, backend, _) in zip(cases, runs, strict=True):
        if not allowed:
            assert backend.writes() == [], f"{operation} wrote to a service for a refused {role} {where}"
    for column, where in enumerate(WHERE):
        seen = {role for (w, _c, role), (allowed, _b, _r) in zip(cases, runs, strict=True) if w == where and allowed}
        assert seen == _roles(EXPECTED[operation][column]), (operation, where)


async def test_anonymous_callers_get_unauthenticated_everywhere() -> None:
    for operation in sorted(EXPECTED):
        backend = FakeBackend()
        clients = backend.clients()
        result = await SCHEMA.execute(DOCUMENTS[operation], context_value=context(clients, None))
        await clients.aclose()
        assert [e.extensions["code"] for e in result.errors or []] == ["UNAUTHENTICATED"], operation
        assert backend.requests == [], operation


@pytest.mark.parametrize("operation", sorted(REST_EXPECTED))
async def test_rest_access_matrix(operation: str, gateway: Any, bearer: Any, backend: FakeBackend) -> None:
    for column, (where, (scope, subject_ids)) in enumerate(WHERE.items()):
        seen = set()
        for role in ROLES:
            response = await gateway.get(REST_PATHS[operation], headers=bearer(
                (role, scope), subject=f"{role}@{where}", subject_ids=list(subject_ids)))
            # 404: a period off the caller's branch, as one of nothing (the ranking table)
            assert response.status_code in (200, 403, 404), (operation, role, where, response.text)
            if response.status_code == 200:
                seen.add(role)
        assert seen == _roles(REST_EXPECTED[operation][column]), (operation, where)
    assert backend.writes() == []
    assert (await gateway.get(REST_PATHS[operation])).status_code == 401


def test_a_refusal_names_no_unit_path_of_the_target() -> None:
    # a submitter of city/a asking about a subject of city/b learns no path where that subject lies
    clerk = Principal(subject="clerk", grants=(Grant("submitter", "city/a"),))
    with pytest.raises(access.Forbidden) as refused:
        access.require(clerk, "submissions", unit_path="city/b/u-c02", subject_id="c02")
    assert str(refused.value) == "clerk may not run submissions"
    access.require(clerk, "submissions", unit_path="city/a/u-c01", subject_id="c01")  # inside the grant: allowed
