"""Webhook subscriptions and their signing secrets are audited rows (probe defects; issue 15's tamper evidence):
creating, changing, rotating and deleting a subscription through evidence's REST leaves a `row.write` or
`row.delete` record of each row it wrote beside the act's own record, the chain still verifies, no secret is in any
audit record, and a subscription redirected in SQL behind the service's back is named by verification.

Real PostgreSQL with commits and the migrations (the `stack` fixture); the act records are those the service wrote
before (webhook.create, webhook.update, webhook.rotate_secret, webhook.delete)."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

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
