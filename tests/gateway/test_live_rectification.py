"""The attacker probe's rectification and webhook findings through the gateway over the real services.

1. A rectification notice's follow-up can only deduct: an assessor of its own unit can neither name an accrual
   leaf's bonus type (zdgz reads `key_task`), nor a count of 1000, nor an extra field, nor a deadline already
   past; an accepted follow-up becomes a fact when the notice goes overdue, attributed in the audit to the notice
   and its issuer, and its explanation names it (rect-…).
2. The audit trail of a webhook subscription shows where its events were sent (url, types, paused, scope) at
   each act, never its secret; its delivery log outlives it; the evidence chain row-audits notices, journals and
   rating tasks.

Setting (hand-made): 市 with 甲街道 (city/a) and 乙街道 (city/b), period 2026-Q2 of a scheme with 重点工作 (work,
manual, 60), 考勤整改 (kq, deduction, 20: unrectified 2 each) and 重点加分 (zdgz, accrual, 20: key_task 2 each);
business time Monday 2026-06-01 10:00 Shanghai.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.live import Live, module_stack
from tests.gateway.test_live_publication import local, scheme

live = module_stack("rectification", local("2026-06-01T10:00:00"))
ISSUE = """mutation($i: RectificationInput!) { issueRectificationNotice(input: $i) { id status followUp } }"""
TRAIL = """query($e: String!) { auditTrail(entityId: $e) { nodes { service actor action details } } }"""
KQ = {"code": "kq", "name": "考勤整改", "max": 20, "missing": "full",
      "rule": {"kind": "deduction", "per_event": {"unrectified": 2}}}
ZDGZ = {"code": "zdgz", "name": "重点加分", "max": 20, "rule": {"kind": "accrual", "per_event": {"key_task": 2}}}


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    units = live.city(("甲街道", "a"), ("乙街道", "b"))
    document = scheme("rectify")
    document["indicators"] = [{**document["indicators"][0], "max": 60}, KQ, ZDGZ]
    p = live.opened_period(document, "2026-Q2", [(units["a"], "街道"), (units["b"], "街道")])
    live(live.token("admin", ""), 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "collecting") '
                                  '{ status } }', p=p)
    return {"id": p, **units}


def notice(period: dict[str, str], **changes: Any) -> dict[str, Any]:
    return {"periodId": period["id"], "subjectId": period["a"], "checkedAt": "2026-06-01T02:00:00+00:00",
            "problem": "台账缺少会议记录", "opinion": "限期补齐", "deadline": "2026-06-05", **changes}


def test_the_probe_follow_up_is_refused(live: Live, period: dict[str, str]) -> None:
    own = live.token("assessor", "city/a", subject="inspector-a")

    def refused(**changes: Any) -> tuple[str, list[dict[str, str]]]:
        error = live.error(own, ISSUE, i=notice(period, **changes))
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        return error["message"], error["extensions"]["details"]

    # the probe itself: a past deadline, an accrual's bonus type, 1000 of it (the first refusal found is told)
    assert refused(deadline="2026-05-31", followUp={"type": "key_task", "count": 1000, "indicator": "zdgz"}) == (
        "followUp.count: Input should be less than or equal to 10",
        [{"field": "followUp.count", "reason": "Input should be less than or equal to 10"}])
    assert refused(followUp={"type": "key_task", "indicator": "zdgz"}) == (
        f"indicator 'zdgz' is not a deduction leaf of period {period['id']}: a follow-up can only deduct (its "
        "deduction leaves: kq)", [{"field": "followUp.indicator", "reason": "not a deduction leaf"}])
    assert refused(followUp={"type": "unrectified", "indicator": "kq", "points": "50"}) == (
        "followUp.points: Extra inputs are not permitted",
        [{"field": "followUp.points", "reason": "Extra inputs are not permitted"}])
    assert refused(deadline="2026-05-31", followUp={"type": "unrectified", "indicator": "kq"}) == (
        "deadline 2026-05-31 has passed (today is 2026-06-01): give today or a later day",
        [{"field": "deadline", "reason": "passed"}])
    assert refused(deadline="2026-07-31", followUp={"type": "unrectified", "indicator": "kq"}) == (
        "deadline 2026-07-31 is after 2026-07-30, 30 days after the last day of period 2026-Q2",
        [{"field": "deadline", "reason": "too late"}])


def test_an_overdue_follow_up_is_the_issuers_deduction(live: Live, period: dict[str, str]) -> None:
    own = live.token("assessor", "city/a", subject="inspector-a")
    issued = live(own, ISSUE, i=notice(period, followUp={"type": "unrectified", "indicator": "kq"}))
    made = issued["issueRectificationNotice"]
    follow_up = {"type": "unrectified", "count": 1, "indicator": "kq"}
    assert (made["status"], made["followUp"]) == ("open", follow_up)
    live.at(local("2026-06-06T00:00:01"))
    swept = live.service("evidence", "POST", "/v1/rectifications/sweep")
    assert swept.json() == {"overdue": 1}
    live.settle(period["id"])
    auditor = live.token("auditor", "")
    fact = f"rect-{made['id']}"
    [raised] = live(auditor, TRAIL, e=fact)["auditTrail"]["nodes"]
    assert (raised["service"], raised["actor"], raised["action"]) == (
        "evidence", "system:rectification-sweep for inspector-a", "fact.upsert")
    assert {k: v for k, v in raised["details"].items() if k != "event"} == {
        "rectification_notice": made["id"], "issued_by": "inspector-a", "follow_up": follow_up,
        "deadline": "2026-06-05", "counts_for_period": period["id"], "dated_after_period": False}
    trail = live(auditor, TRAIL, e=made["id"])["auditTrail"]["nodes"]
    assert [(r["action"], r["details"]) for r in trail if r["service"] == "evidence"] == [
        ("rectification.issue", {"follow_up": follow_up, "deadline": "2026-06-05"}),
        ("rectification.overdue", {"follow_up": follow_up, "deadline": "2026-06-05", "fact": fact})]
    score = live(auditor, """query($p: ID!, $s: ID!) { subject(periodId: $p, id: $s) { score { indicators
        { code value } explain } } }""", p=period["id"], s=period["a"])["subject"]["score"]
    # 20 − unrectified 1 × 2 = 18; no bonus, nothing else
    assert score["indicators"] == [{"code": "kq", "value": "18.00"}, {"code": "work", "value": "0.00"},
                                   {"code": "zdgz", "value": "0.00"}]
    assert score["explain"]["kq"] == f"deduction [{fact}]: 20 − unrectified 1 × 2 = 18"
    tables = live(auditor, "{ verifyAuditChain(service: EVIDENCE) { ok report } }")["verifyAuditChain"]
    assert tables["ok"] is True
    assert {name: tables["report"]["tables"][name] for name in ("rectification_notice", "journal_roster",
                                                                  "journal_week", "rating_task")} == {
        "rectification_notice": 1, "journal_roster": 0, "journal_week": 0, "rating_task": 0}


def test_a_webhooks_audit_trail_shows_where_its_events_went(live: Live, period: dict[str, str]) -> None:
    office = live.token("admin", "city")
    created = live(office, """mutation { createWebhookSubscription(name: "portal", url: "https://portal.example.org/h",
        scopePath: "city", eventTypes: ["rectification.overdue"]) { subscription { id } secret } }""")
    hook = created["createWebhookSubscription"]["subscription"]["id"]
    update = "mutation($id: ID!, $u: String, $p: Boolean) { updateWebhookSubscription(id: $id, url: $u, paused: $p) " \
             "{ id } }"
    live(office, update, id=hook, u="https://evil.example.net/steal", p=True)
    live(office, update, id=hook, u="https://portal.example.org/h", p=False)
    live(office, "mutation($id: ID!) { deleteWebhookSubscription(id: $id) }", id=hook)
    trail = live(live.token("auditor", ""), TRAIL, e=hook)["auditTrail"]["nodes"]
    fields = {"name": "portal", "event_types": ["rectification.overdue"], "scope_path": "city"}
    portal = {**fields, "url": "https://portal.example.org/h", "status": "active", "paused": False}
    evil = {**fields, "url": "https://evil.example.net/steal", "status": "paused", "paused": True}
    assert [(r["action"], r["details"]) for r in trail] == [
        ("webhook.create", portal),
        ("webhook.update", {**evil, "changed": {"url": {"from": portal["url"], "to": evil["url"]},
                                                "status": {"from": "active", "to": "paused"},
                                                "paused": {"from": False, "to": True}}}),
        ("webhook.update", {**portal, "changed": {"url": {"from": evil["url"], "to": portal["url"]},
                                                  "status": {"from": "paused", "to": "active"},
                                                  "paused": {"from": True, "to": False}}}),
        ("webhook.delete", {**portal, "pending_given_up": 0})]
    assert created["createWebhookSubscription"]["secret"] not in str(trail)
