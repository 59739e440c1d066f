"""The typed client's operations for the assessment office's own calls (newcomer probe M6: the client lacked them),
run against a gateway over the real services: a scheme drafted, edited and published, a period opened and moved
along, a make-up granted, an objection filed and answered, the period approved, and a webhook subscription kept.

Hand-worked dates: the stack's clock is Monday 2026-06-01 10:00 in Shanghai (no holiday that June before the 19th).
A make-up lets evidence in for 5 working days after the day it is granted (that day not counted): Tue 2 … Mon 8,
to the end of Monday 2026-06-08 local = 2026-06-08T15:59:59.999999Z. The 公示 of 5 working days counts its own
day, Mon 1 … Fri 5; on Tuesday 9 it is over and the period can be approved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PgServer
from tests.gateway.live import Live, live_stack
from tests.gateway.test_live_publication import local

DRAFT = {"id": "office-flow", "version": 1, "title": "草稿", "subject_kind": "unit", "period": "quarter",
         "groups": ["街道"],
         "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}],
         "ranking": {"scope": "group", "order": ["total"]},
         "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 75}, {"grade": "合格"}]}}


@pytest.fixture(scope="module")
def live(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    # the webhook's receiver is on this machine: loopback allowed, as an installation's own network would be
    with live_stack(pg_server, Path(tmp_path_factory.mktemp("office-client")),
                    KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8") as stack:
        stack.at(local("2026-06-01T10:00:00"))
        yield stack


def test_the_office_runs_a_period_with_the_typed_client(live: Live) -> None:
    from kaohe_client import KaoheClient
    from kaohe_client.exceptions import GraphQLClientGraphQLMultiError

    units = live.city(("甲街道", "a"), ("乙街道", "b"))
    a, b = units["a"], units["b"]
    gateway = f"{live.urls['gateway']}/graphql"

    def client(role: str, scope: str, subject: str) -> KaoheClient:
        return KaoheClient(url=gateway, headers={"Authorization": f"Bearer {live.token(role, scope, subject=subject)}"})

    with client("admin", "", "office") as office:
        draft = office.create_scheme(document=DRAFT, owner_path="city").create_scheme
        assert (draft.id, draft.version, draft.status, draft.revision, draft.name, draft.owner_path) == (
            "office-flow", 1, "draft", 1, "草稿", "city")
        edited = office.update_scheme(id="office-flow", version=1, revision=1,
                                      document={**DRAFT, "title": "街道考核"}).update_scheme
        assert (edited.status, edited.revision, edited.name) == ("draft", 2, "街道考核")
        with pytest.raises(GraphQLClientGraphQLMultiError) as stale:  # revision 1 was read before the edit
            office.publish_scheme(id="office-flow", version=1, revision=1)
        assert stale.value.errors[0].extensions["code"] == "CONFLICT"
        published = office.publish_scheme(id="office-flow", version=1, revision=2).publish_scheme
        assert (published.status, published.revision) == ("published", 3)
        assert published.published_at is not None

        from kaohe_client.input_types import EnrolmentInput
        period = office.open_period(scheme_id="office-flow", scheme_version=1, label="2026-Q2", owner_path="city",
                                    subjects=[EnrolmentInput(id=a, group="街道"),
                                              EnrolmentInput(id=b, group="街道")]).open_period
        assert (period.scheme_id, period.scheme_version, period.label, period.status, period.owner_path,
                period.subject_count) == ("office-flow", 1, "2026-Q2", "open", "city", 2)
        p = period.id
        moved = office.set_period_status(period_id=p, status="collecting").set_period_status
        assert (moved.id, moved.status) == (p, "collecting")

    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city")
    for unit, points in ((a, "88"), (b, "92")):
        live.approved(assessor, reviewer, {"periodId": p, "subjectId": unit, "indicator": "work", "fact": "score",
                                           "content": {"points": points}})

    with client("admin", "", "office") as office:
        assert office.set_period_status(period_id=p, status="scoring").set_period_status.status == "scoring"
        makeup = office.grant_makeup(period_id=p, subject_id=a, reason="补交材料", indicator="work").grant_makeup
        assert (makeup.period_id, makeup.subject_id, makeup.indicator, makeup.reason, makeup.approved_by) == (
            p, a, "work", "补交材料", "office")
        assert makeup.closes_at == "2026-06-08T15:59:59.999999Z"
        live.settle(p)
        assert office.publish_results(period_id=p, working_days=5).publish_results.status == "published"

        kinds = office.webhook_event_types().webhook_event_types
        assert kinds is not None and len(kinds) == 26
        assert ("objection.filed", "Objection") in {(k.type_, k.entity_type) for k in kinds}
        made = office.create_webhook_subscription(name="门户", url="http://127.0.0.1:9999/kaohe-hook",
                                                  scope_path="city/a",
                                                  event_types=["objection.filed"]).create_webhook_subscription
        assert made.secret.startswith("whsec_")
        hook = made.subscription
        assert (hook.name, hook.scope_path, hook.event_types, hook.status) == (
            "门户", "city/a", ["objection.filed"], "active")
        paused = office.update_webhook_subscription(id=hook.id, paused=True).update_webhook_subscription
        assert paused.status == "paused"
        listed = office.webhook_subscriptions(first=10).webhook_subscriptions
        assert listed is not None and listed.total_count == 1
        assert [(n.id, n.status, n.created_by) for n in listed.nodes] == [(hook.id, "paused", "office")]

    with client("submitter", "city/a", "liaison-a") as liaison:  # 甲街道's own account (its 考核联络员)
        objection = liaison.file_objection(period_id=p, subject_id=a, reason="名次有误").file_objection
    assert (objection.period_id, objection.subject_id, objection.reason, objection.status, objection.filed_by) == (
        p, a, "名次有误", "open", "liaison-a")

    with client("admin", "", "office") as office:
        found = office.objections(period_id=p, first=10).objections
        assert found is not None and found.total_count == 1
        assert [(n.id, n.status) for n in found.nodes] == [(objection.id, "open")]
        answered = office.answer_objection(id=objection.id, answer="经复核,名次无误").answer_objection
        assert (answered.status, answered.answer, answered.answered_by) == ("answered", "经复核,名次无误", "office")
        assert office.objections(period_id=p, status="open", first=10).objections.total_count == 0  # type: ignore[union-attr]

        live.at(local("2026-06-09T10:00:00"))  # the 公示 ended with Monday 8
        snapshot = office.finalize_period(period_id=p).finalize_period
        assert (snapshot.period_id, snapshot.sequence, snapshot.finalized_by) == (p, 1, "office")
        assert re.fullmatch(r"[0-9a-f]{64}", snapshot.sha_256)
        assert snapshot.finalized_at.startswith("2026-06-09T02:00")  # 10:00 in Shanghai

        assert office.delete_webhook_subscription(id=hook.id).delete_webhook_subscription == hook.id
        assert office.webhook_subscriptions().webhook_subscriptions.total_count == 0  # type: ignore[union-attr]
