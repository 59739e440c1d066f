"""Sentences stored in the database without a language (services/common/stored_text.py, issue 22): written as a
code and its parameters, read in the reader's language; rows written before as plain text still read, and the
migrations turn the sentences kaohe used to write into their codes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import asyncpg
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kaohe.i18n import _, localize
from migrations.runner import alembic_config, upgrade
from services.common.audit import seal_migration, verify_service
from services.common.audit_rows import AUDITED, AuditedTable
from services.common.stored_text import from_json, message, to_json
from tests.conftest import PgServer, auth, create_database, drop_database, in_thread


def test_a_message_is_stored_as_its_code_and_read_in_either_language() -> None:
    reason = message("publication.stale", day="2026-11-23", publication=1, changed=2, added=0, removed=1)
    stored = to_json(reason)
    assert stored == {"code": "publication.stale", "params": {"day": "2026-11-23", "publication": 1, "changed": 2,
                                                              "added": 0, "removed": 1}}
    read = from_json(json.loads(json.dumps(stored)))  # through JSON, as the database gives it back
    assert read == ("the results changed after the 公示 of 2026-11-23 (publication 1): 2 changed, 0 added, "
                    "1 removed")
    assert localize(read, "zh-CN") == "2026-11-23 公示（第 1 次）后结果有变化：变动 2 个，新增 0 个，移除 1 个"


def test_a_nested_message_and_plain_text() -> None:
    """A disabled subscription's reason holds its last delivery's error, which holds the address policy's reason
    (a marked message with no code of its own: stored by its catalogue id)."""
    refused = _("the URL has no host")
    reason = message("webhook.disabled", since="2026-12-07T01:00:00+00:00", attempts=3,
                     last=message("webhook.refused", reason=refused))
    stored = json.loads(json.dumps(to_json(reason)))
    assert stored["params"]["last"] == {"code": "webhook.refused",
                                        "params": {"reason": {"msgid": "the URL has no host", "params": {}}}}
    read = from_json(stored)
    assert read == ("every delivery failed since 2026-12-07T01:00:00+00:00 (3 attempts; the last: refused: the URL "
                    "has no host)")
    assert localize(read, "zh-CN") == ("自 2026-12-07T01:00:00+00:00 起每次推送均失败（共尝试 3 次；最近一次："
                                       "已拒绝：地址中没有主机名）")
    assert to_json("请补充会议记录") == {"text": "请补充会议记录"}  # a person's words: kept as written
    assert localize(from_json({"text": "请补充会议记录"}), "en") == "请补充会议记录"
    assert (to_json(None), from_json(None)) == (None, None)


# --- the migrations: rows written before as English sentences ------------------------------------------------------

OLD_STALE = "results changed after the 公示 of 2026-11-23 (publication 2): 3 changed, 1 removed"
OLD_FROZEN = "scores changed after 审定 (finalized); reopen the period to take them"
OLD_NOTE = ("no holiday arrangement is loaded for 2027, 2028: its working days were counted Monday to Friday "
            "(holidays and 调休 ignored)")


def _sync(url: str, sql: list[str], schema: str, tables: tuple[AuditedTable, ...]) -> None:
    """Write rows as an older version did, and seal them into the chain as its commit would."""
    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                def write(sync: Any) -> None:
                    for statement in sql:
                        sync.execute(text(statement))
                    seal_migration(sync, schema, "test", tables)
                await conn.run_sync(write)
        finally:
            await engine.dispose()

    in_thread(asyncio.run, run())


async def _rows(dsn: str, sql: str) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


async def _verified(dsn: str, schema: str, tables: tuple[AuditedTable, ...] | None = None) -> tuple[bool, int]:
    """The chain and the rows of `tables` (the schema's audited tables at head unless given)."""
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        report = await verify_service(first, schema, AUDITED[schema] if tables is None else tables, rows_conn=second)
        return report.ok, report.row_problem_count
    finally:
        await first.close()
        await second.close()


def test_old_sentences_become_messages_and_other_texts_stay_readable(pg_server: PgServer) -> None:
    url = create_database(pg_server, migrate=False)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        in_thread(upgrade, "ranking", url, "ranking_0006")
        in_thread(upgrade, "evidence", url, "evidence_0008")
        period = ("INSERT INTO ranking.ranked_period (id, scheme_id, scheme_version, label, scope_path, precision, "
                  "indicators, status, inputs_sha256, problems, stale, reopen_count, stale_reason, "
                  "publication_calendar_note) VALUES ('{id}', 's', 1, '2026', '', 2, '[]', 'published', '', '[]', "
                  "true, 0, {reason}, {note})")
        _sync(url, [period.format(id="p1", reason=f"'{OLD_STALE}'", note=f"'{OLD_NOTE}'"),
                    period.format(id="p2", reason=f"'{OLD_FROZEN}'", note="NULL"),
                    period.format(id="p3", reason="'written by hand'", note="'another note'")],
              "ranking", (AuditedTable("ranked_period", volatile=("results_token",)),))
        submission = ("INSERT INTO evidence.submission (id, period_id, scheme_id, subject_id, fact_kind, unit_path, "
                      "submitted_by, status, current_version, chain, level, level_started_at, value, version, "
                      "level_due_note) VALUES ('s1', 'p', 's', 'u', 'score', '', 'a', 'pending', 1, '[]', 0, now(), "
                      f"'{{}}', 1, '{OLD_NOTE}')")
        decision = ("INSERT INTO evidence.review_decision (submission_id, submission_version, level, level_name, "
                    "action, reason, actor, decided_at) VALUES ('s1', 1, {level}, '科室', '{action}', '{reason}', "
                    "'x', now())")
        subscription = ("INSERT INTO evidence.webhook_subscription (id, name, url, event_types, scope_path, "
                        "created_by, status, consecutive_failures, created_at, updated_at, disabled_reason) VALUES "
                        "('w1', 'n', 'https://example.org/h', '[]', '', 'a', 'disabled', 3, now(), now(), "
                        "'every delivery failed since 2026-12-01 (3 attempts; last: HTTP 500)')")
        delivery = ("INSERT INTO evidence.webhook_delivery (subscription_id, event_id, type, ordering_key, payload, "
                    "state, attempts, next_attempt_at, created_at, last_error) VALUES ('w1', gen_random_uuid(), "
                    "'webhook.test', 'k', '{{}}', 'failed', 1, now(), now(), '{error}')")
        _sync(url, [submission,
                    decision.format(level=0, action="default_agree",
                                    reason="deadline passed without action: taken as agreeing"),
                    decision.format(level=1, action="approve", reason="批量导入：上传者即各级审核人"),
                    decision.format(level=2, action="return", reason="请补充会议记录"),
                    subscription, delivery.format(error="HTTP 503"),
                    delivery.format(error="ConnectError: connection refused")],
              "evidence", (AuditedTable("submission"), AuditedTable("review_decision")))

        in_thread(upgrade, "ranking", url)
        in_thread(upgrade, "evidence", url)
        periods = dict((row[0], row[1:]) for row in asyncio.run(_rows(
            dsn, "SELECT id, stale_reason, publication_calendar_note FROM ranking.ranked_period")))
        stale, note = (from_json(json.loads(v)) if v else None for v in periods["p1"])
        assert json.loads(periods["p1"][0]) == {"code": "publication.stale", "params": {
            "day": "2026-11-23", "publication": 2, "changed": 3, "added": 0, "removed": 1}}
        assert localize(stale, "zh-CN") == "2026-11-23 公示（第 2 次）后结果有变化：变动 3 个，新增 0 个，移除 1 个"
        assert localize(note, "zh-CN") == ("尚未导入 2027, 2028 年的节假日安排：工作日按周一至周五计算"
                                           "（未计节假日和调休）")
        frozen = from_json(json.loads(periods["p2"][0]))
        assert localize(frozen, "zh-CN") == "审定后得分有变化；须重新开启本考核周期后方可采用"
        assert [from_json(json.loads(v)) for v in periods["p3"]] == ["written by hand", "another note"]

        [(due_note,)] = asyncio.run(_rows(dsn, "SELECT level_due_note FROM evidence.submission"))
        assert localize(from_json(json.loads(due_note)), "en") == OLD_NOTE
        reasons = [localize(from_json(json.loads(r)), "zh-CN") for (r,) in asyncio.run(_rows(
            dsn, "SELECT reason FROM evidence.review_decision ORDER BY level"))]
        assert reasons == ["期限内未审核，视为同意", "批量导入：上传者即各级审核人", "请补充会议记录"]
        errors = sorted(localize(from_json(json.loads(r)), "zh-CN") for (r,) in asyncio.run(_rows(
            dsn, "SELECT last_error FROM evidence.webhook_delivery")))
        assert errors == ["ConnectError: connection refused", "接收方返回 HTTP 503"]
        [(disabled,)] = asyncio.run(_rows(dsn, "SELECT disabled_reason FROM evidence.webhook_subscription"))
        assert from_json(json.loads(disabled)) == "every delivery failed since 2026-12-01 (3 attempts; last: HTTP 500)"
        # the changed rows were recorded again: both chains still vouch for every row
        assert asyncio.run(_verified(dsn, "ranking")) == (True, 0)
        assert asyncio.run(_verified(dsn, "evidence")) == (True, 0)

        # and back: the English sentences again
        in_thread(command.downgrade, alembic_config("ranking", url), "ranking_0006")
        in_thread(command.downgrade, alembic_config("evidence", url), "evidence_0008")
        assert sorted(asyncio.run(_rows(dsn, "SELECT id, stale_reason, publication_calendar_note "
                                             "FROM ranking.ranked_period"))) == [
            ("p1", "the results changed after the 公示 of 2026-11-23 (publication 2): 3 changed, 0 added, 1 removed",
             OLD_NOTE),
            ("p2", "the scores changed after 审定 (finalized); reopen the period to take them", None),
            ("p3", "written by hand", "another note")]
        assert [r for (r,) in asyncio.run(_rows(dsn, "SELECT reason FROM evidence.review_decision ORDER BY level"))] \
            == ["the deadline passed without action: taken as agreeing",
                "approved on upload: the uploader reviews every level", "请补充会议记录"]
        # ranking_0009 made which result version is current vouched for by the period row: verified as 0006 audits
        at_0006 = tuple(replace(t, volatile=("results_token",) if t.name == "ranked_period" else (), noted_updates=(),
                                vouches=()) if t.name in ("ranked_period", "subject_result") else t
                        for t in AUDITED["ranking"])
        assert asyncio.run(_verified(dsn, "ranking", at_0006)) == (True, 0)
        # evidence_0008 audits neither webhook table yet (evidence_0010 does): its rows are verified as it audits them
        at_0008 = tuple(t for t in AUDITED["evidence"] if t.name not in ("webhook_subscription", "webhook_secret"))
        assert asyncio.run(_verified(dsn, "evidence", at_0008)) == (True, 0)
    finally:
        drop_database(pg_server, url)


async def test_a_broken_chain_is_reported_in_the_readers_language(api: Any) -> None:
    """`GET /v1/audit/verify` names why the chain breaks in the language asked for (the CLI keeps its English)."""
    import importlib

    client = await api("scoring")
    office = auth(("admin", ""))
    assert (await client.post("/v1/units", json={"name": "甲街道", "slug": "jia"}, headers=office)).status_code == 201
    db = importlib.import_module("services.scoring.app").app.state.db
    async with db.sessionmaker() as session:  # behind the service's back: a record's details changed
        altered = await session.scalar(text("UPDATE scoring.audit_record SET details = '{\"x\": 1}'::jsonb WHERE id = "
                                            "(SELECT min(id) FROM scoring.audit_record) RETURNING id"))
        await session.commit()
    reports = {language: (await client.get("/v1/audit/verify", headers={**auth(("auditor", "")),
                                                                        "Accept-Language": language})).json()
               for language in ("en", "zh-CN")}
    assert {language: (r["ok"], r["first_broken_id"]) for language, r in reports.items()} == {
        "en": (False, altered), "zh-CN": (False, altered)}
    assert reports["en"]["reason"] == "content does not match its hash (the record was altered)"
    assert reports["zh-CN"]["reason"] == "内容与其哈希值不符（该记录已被篡改）"
