"""Webhook subscriptions and their signing secrets are audited rows (probe defects; issue 15's tamper evidence):
creating, changing, rotating and deleting a subscription through evidence's REST leaves a `row.write` or
`row.delete` record of each row it wrote beside the act's own record, the chain still verifies, no secret is in any
audit record, and a subscription redirected in SQL behind the service's back is named by verification.

Real PostgreSQL with commits and the migrations (the `stack` fixture); the act records are those the service wrote
before (webhook.create, webhook.update, webhook.rotate_secret, webhook.delete)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from services.evidence.app import app as evidence_app
from tests.conftest import auth
from tests.evidence.conftest import Stack
from tests.evidence.webhook_stack import OFFICE, subscribe

AUDITOR = auth(("auditor", ""), subject="auditor")


async def _records(stack: Stack, subscription_id: str, secret_ids: list[int]) -> list[tuple[str, str, str]]:
    """(action, entity_type, entity_id) of the records about the subscription and its secrets, in chain order."""
    conn = await _connect(stack)
    try:
        rows = await conn.fetch(
            "SELECT action, entity_type, entity_id FROM evidence.audit_record WHERE entity_id = $1 "
            "OR (entity_type = 'webhook_secret' AND entity_id = ANY($2::text[])) ORDER BY id",
            subscription_id, [str(i) for i in secret_ids])
    finally:
        await conn.close()
    return [(r["action"], r["entity_type"], r["entity_id"]) for r in rows]


async def _connect(stack: Stack) -> asyncpg.Connection:
    url = make_url(str(stack.db.engine.url.render_as_string(hide_password=False))).set(drivername="postgresql")
    return await asyncpg.connect(url.render_as_string(hide_password=False))


async def _secret_ids(stack: Stack, subscription_id: str) -> list[int]:
    conn = await _connect(stack)
    try:
        return [r["id"] for r in await conn.fetch(
            "SELECT id FROM evidence.webhook_secret WHERE subscription_id = $1 ORDER BY id", subscription_id)]
    finally:
        await conn.close()


async def _verified(stack: Stack) -> dict[str, Any]:
    answer = await stack.client.get("/v1/audit/verify", headers=AUDITOR)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_every_write_of_a_subscription_is_in_the_chain_without_its_secret(stack: Stack) -> None:
    created = await subscribe(stack, "https://portal.example.org/hook", types=["webhook.test"])
    hook = created["id"]
    [first] = await _secret_ids(stack, hook)
    assert await _records(stack, hook, [first]) == [
        ("webhook.create", "webhook_subscription", hook),
        ("row.write", "webhook_subscription", hook), ("row.write", "webhook_secret", str(first))]
    verified = await _verified(stack)
    assert (verified["ok"], verified["row_problems"], verified["unsealed"]) == (True, [], 0)
    assert (verified["tables"]["webhook_subscription"], verified["tables"]["webhook_secret"]) == (1, 1)

    changed = await stack.client.patch(f"/v1/webhooks/{hook}", json={"url": "https://portal.example.org/v2",
                                                                     "paused": True}, headers=OFFICE)
    assert changed.status_code == 200, changed.text
    rotated = await stack.client.post(f"/v1/webhooks/{hook}/rotate-secret", headers=OFFICE)
    assert rotated.status_code == 200, rotated.text
    first_secret_kept, second = await _secret_ids(stack, hook)
    assert first_secret_kept == first
    assert await _records(stack, hook, [first, second]) == [
        ("webhook.create", "webhook_subscription", hook),
        ("row.write", "webhook_subscription", hook), ("row.write", "webhook_secret", str(first)),
        ("webhook.update", "webhook_subscription", hook), ("row.write", "webhook_subscription", hook),
        # the old secret gets its expiry (a change of its row), the new one is inserted
        ("webhook.rotate_secret", "webhook_subscription", hook),
        ("row.write", "webhook_secret", str(first)), ("row.write", "webhook_secret", str(second))]
    verified = await _verified(stack)
    assert (verified["ok"], verified["row_problems"], verified["tables"]["webhook_secret"]) == (True, [], 2)

    conn = await _connect(stack)
    try:  # neither secret anywhere in the chain, whichever column
        everything = "\n".join(r["line"] for r in await conn.fetch(
            "SELECT row_to_json(r)::text AS line FROM evidence.audit_record r"))
    finally:
        await conn.close()
    for secret in (created["secret"], rotated.json()["secret"]):
        assert secret not in everything and secret.removeprefix("whsec_") not in everything

    deleted = await stack.client.delete(f"/v1/webhooks/{hook}", headers=OFFICE)
    assert deleted.status_code == 204, deleted.text
    assert (await _records(stack, hook, [first, second]))[-4:] == [
        ("webhook.delete", "webhook_subscription", hook), ("row.delete", "webhook_subscription", hook),
        ("row.delete", "webhook_secret", str(first)), ("row.delete", "webhook_secret", str(second))]
    verified = await _verified(stack)
    assert (verified["ok"], verified["row_problems"], verified["tables"]) == (
        True, [], {**verified["tables"], "webhook_subscription": 0, "webhook_secret": 0})


async def test_a_subscription_redirected_behind_the_services_back_is_named(stack: Stack) -> None:
    hook = (await subscribe(stack, "https://portal.example.org/hook", types=["webhook.test"]))["id"]
    conn = await _connect(stack)
    try:  # as a superuser would: no trigger fires
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("UPDATE evidence.webhook_subscription SET url = 'https://attacker.example/' "
                               "WHERE id = $1", hook)
        record = await conn.fetchval("SELECT max(id) FROM evidence.audit_record WHERE action = 'row.write' "
                                     "AND entity_type = 'webhook_subscription' AND entity_id = $1", hook)
    finally:
        await conn.close()
    verified = await _verified(stack)
    assert (verified["ok"], verified["row_problems"]) == (False, [{
        "table": "webhook_subscription", "key": hook, "kind": "changed", "record_id": record,
        "message": f"row webhook_subscription {hook} was changed (it no longer matches record {record})"}])


async def test_the_trail_shows_where_events_went_and_the_log_outlives_the_subscription(stack: Stack) -> None:
    """The attacker probe: redirect a subscription, pause it, put it back, delete it. Each act's record carries the
    subscription's non-secret fields (the URL history); the delivery queued before the delete stays in the log,
    given up, under the subscription's id."""
    hook = (await subscribe(stack, "https://portal.example.org/hook", types=["webhook.test"]))["id"]
    for change in ({"url": "https://evil.example.net/steal", "paused": True},
                   {"url": "https://portal.example.org/hook", "paused": False}):
        answer = await stack.client.patch(f"/v1/webhooks/{hook}", json=change, headers=OFFICE)
        assert answer.status_code == 200, answer.text
    queued = await stack.client.post(f"/v1/webhooks/{hook}/test", headers=OFFICE)
    assert queued.status_code in (200, 201, 202), queued.text
    assert (await stack.client.delete(f"/v1/webhooks/{hook}", headers=OFFICE)).status_code == 204
    trail = (await stack.client.get("/v1/audit", params={"entity_id": hook}, headers=AUDITOR)).json()
    fields = {"name": "portal", "event_types": ["webhook.test"], "scope_path": "city"}
    portal = {**fields, "url": "https://portal.example.org/hook", "status": "active", "paused": False}
    evil = {**fields, "url": "https://evil.example.net/steal", "status": "paused", "paused": True}
    assert [(r["action"], r["actor"], r["details"]) for r in trail] == [
        ("webhook.create", "office", portal),
        ("webhook.update", "office", {**evil, "changed": {"url": {"from": portal["url"], "to": evil["url"]},
                                                          "status": {"from": "active", "to": "paused"},
                                                          "paused": {"from": False, "to": True}}}),
        ("webhook.update", "office", {**portal, "changed": {"url": {"from": evil["url"], "to": portal["url"]},
                                                            "status": {"from": "paused", "to": "active"},
                                                            "paused": {"from": True, "to": False}}}),
        ("webhook.delete", "office", {**portal, "pending_given_up": 1})]
    conn = await _connect(stack)
    try:
        kept = [tuple(r) for r in await conn.fetch(
            "SELECT type, state, last_error->>'msgid' FROM evidence.webhook_delivery WHERE subscription_id = $1",
            hook)]
    finally:
        await conn.close()
    assert kept == [("webhook.test", "failed", "the subscription was deleted")]
    assert (await stack.client.get(f"/v1/webhooks/{hook}", headers=OFFICE)).status_code == 404
    verified = await _verified(stack)
    assert (verified["ok"], verified["row_problems"]) == (True, [])


async def test_a_notice_is_an_audited_row(stack: Stack) -> None:
    """A rectification notice's row is in the chain (evidence_0011): its issue leaves a row.write beside the act's
    record, and a follow-up changed in SQL behind the service's back is named by verification."""
    inspector = auth(("assessor", "city/a"), subject="inspector")
    body = {"period_id": "2026-Q1", "subject_id": "ua", "checked_at": "2026-03-02T10:00:00+08:00",
            "problem": "值班记录不全", "opinion": "限期补齐", "deadline": "2026-03-09",
            "follow_up": {"type": "late", "indicator": "attendance"}}
    evidence_app.state.clock = lambda: datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # during 2026-Q1
    try:
        issued = await stack.client.post("/v1/rectifications", json=body, headers=inspector)
    finally:
        evidence_app.state.clock = None
    assert issued.status_code == 201, issued.text
    notice = issued.json()["id"]
    trail = (await stack.client.get("/v1/audit", params={"entity_id": notice, "rows": "true"},
                                    headers=AUDITOR)).json()
    assert [(r["action"], r["entity_type"]) for r in trail] == [
        ("rectification.issue", "rectification_notice"), ("row.write", "rectification_notice")]
    assert trail[0]["details"] == {"follow_up": {"type": "late", "count": 1, "indicator": "attendance"},
                                   "deadline": "2026-03-09"}
    verified = await _verified(stack)
    assert (verified["ok"], verified["tables"]["rectification_notice"]) == (True, 1)
    conn = await _connect(stack)
    try:  # as a superuser would: no trigger fires
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("UPDATE evidence.rectification_notice SET follow_up = "
                               "'{\"type\": \"late\", \"count\": 10, \"indicator\": \"attendance\"}' WHERE id = $1",
                               notice)
    finally:
        await conn.close()
    verified = await _verified(stack)
    assert (verified["ok"], [(p["table"], p["key"], p["kind"]) for p in verified["row_problems"]]) == (
        False, [("rectification_notice", notice, "changed")])
