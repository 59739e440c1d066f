"""Tamper evidence for live rows (issue 15): after a whole period through the gateway over the real services, every
row of every audited table is vouched for by the chain; a row altered, inserted or deleted directly in PostgreSQL
is named by table and key with its last record, whether the attacker's session fires the triggers or not.

The period (hand-worked, as tests/gateway/test_live_publication.py): 甲 88, 乙 92 on one manual indicator /100;
an appeal upheld during the 公示 gives 甲 95 (rank 1, 优秀), 乙 92 (rank 2, 优秀); published again, 审定 on
2026-06-13, then reopened.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.common.audit import check_chain, link_hash, verify_service
from services.common.audit_rows import AUDITED, AuditedTable, RowProblem, verify_rows
from services.common.auth import Grant, Principal
from tests.cli_helpers import clean_env, run_kaohe
from tests.conftest import create_database, drop_database
from tests.gateway.live import SUBMIT, Live, module_stack
from tests.gateway.test_live_publication import ANSWER_APPEAL, FILE_APPEAL, FINALIZE, PUBLISH, local, scheme

live = module_stack("audit-rows", local("2026-06-01T10:00:00"))
APPROVE = """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "approve", version: $v})
  { status factId } }"""
PDF = b"%PDF-1.7\n" + "材料".encode() * 200 + b"\n%%EOF\n"
UNIT_B = Principal(subject="b-head", grants=(Grant("submitter", "city/b"),))
CASES = [(service, table) for service, tables in AUDITED.items() for table in tables]


def dsn(live: Live) -> str:
    return live.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture(scope="module")
def period(live: Live) -> Iterator[str]:
    """A period through every audited table: a holiday arrangement, review chain, evidence with an attachment,
    reviews, facts, an appeal, scores, results, two publications, an objection, 审定, a reopening, an API key, a
    webhook subscription and its secrets; then a rectification notice, a rating task with a ballot and a journal in
    two more periods."""
    units = live.city(("甲街道", "a"), ("乙街道", "b"))
    # a year's holiday arrangement loaded by the office (scoring_0011), years after the flow's dates
    calendar = live.service("scoring", "PUT", "/v1/calendar/2030", json={
        "holidays": ["2030-01-01"], "workdays": [], "source": "国办发明电〔2029〕X号"})
    assert calendar.status_code == 200, calendar.text
    _notice_rating_and_journal(live, units)
    document = scheme("audit-rows")
    p = live.opened_period(document, "2026-Q2", [(units["a"], "街道"), (units["b"], "街道")])
    chain = live.service("evidence", "PUT", f"/v1/schemes/{document['id']}/review-chains",
                         json={"levels": [{"name": "科室负责人", "scope": "city"}]})
    assert chain.status_code == 200, chain.text
    # a webhook subscription of a type no flow raises (nothing is sent), before the heads ranking keeps
    hook = live.service("evidence", "POST", "/v1/webhooks", json={
        "name": "门户", "url": "https://portal.example.org/h", "scope_path": "city", "event_types": ["webhook.test"]})
    assert hook.status_code == 201, hook.text
    rotated = live.service("evidence", "POST", f"/v1/webhooks/{hook.json()['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    assessor, reviewer, admin = live.token("assessor", "city"), live.token("reviewer", "city"), live.token("admin", "")
    facts = {}
    for unit, points in (("a", "88"), ("b", "92")):
        sent = live(assessor, SUBMIT, i={"periodId": p, "subjectId": units[unit], "indicator": "work",
                                         "fact": "score", "content": {"points": points}})["submitEvidence"]
        if unit == "a":
            uploaded = live.service("evidence", "POST", f"/v1/submissions/{sent['id']}/attachments",
                                    files={"file": ("报告.pdf", PDF, "application/pdf")})
            assert uploaded.status_code == 201, uploaded.text
        facts[unit] = live(reviewer, APPROVE, id=sent["id"], v=sent["version"])["reviewSubmission"]["factId"]
    live.settle(p)
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"]["status"] == "published"
    objection = live.service("ranking", "POST", f"/v1/periods/{p}/objections", UNIT_B,
                             json={"subject_id": units["b"], "text": "名次有误"})
    assert objection.status_code == 201, objection.text
    answered = live.service("ranking", "POST", f"/v1/objections/{objection.json()['id']}/answer",
                            json={"answer": "经复核无误"})
    assert answered.status_code == 200, answered.text
    appeal = live(live.token("submitter", "city/a"), FILE_APPEAL, p=p, s=units["a"], f=facts["a"])["fileAppeal"]
    assert live(admin, ANSWER_APPEAL, id=appeal["id"], v=appeal["version"]) == {"answerAppeal": {"status": "upheld"}}
    live.settle(p)
    live.at(local("2026-06-06T10:00:00"))
    assert live(admin, PUBLISH, p=p, d=None)["publishResults"]["status"] == "published"
    live.at(local("2026-06-13T10:00:00"))
    assert live(admin, FINALIZE, p=p)["finalizePeriod"]["sequence"] == 1
    reopened = live(admin, 'mutation($p: ID!) { reopenPeriod(periodId: $p, reason: "更正") { status } }', p=p)
    assert reopened["reopenPeriod"]["status"] == "computed"
    assert live(admin, PUBLISH, p=p, d=None)["publishResults"]["status"] == "published"
    live.at(local("2026-07-01T10:00:00"))
    assert live(admin, FINALIZE, p=p)["finalizePeriod"]["sequence"] == 2  # the period stays finalized
    key = live.service("scoring", "POST", "/v1/api-keys",
                       json={"name": "门户", "grants": [{"role": "auditor", "scope": ""}]})
    assert key.status_code == 201, key.text
    person = live.service("scoring", "POST", "/v1/people", json={"name": "张三", "unit_id": units["a"]})
    assert person.status_code == 201, person.text
    live.settle(p)
    yield p


RATING = {"code": "pj", "name": "测评", "max": 40, "rule": {"kind": "rating", "scale": {"好": 40, "差": 0}}}
JOURNALS = {"id": "audit-rows-journals", "version": 1, "title": "机关工作人员月度考核", "subject_kind": "person",
            "period": "month", "groups": ["工作人员"],
            "indicators": [{"code": "business", "name": "业务目标考核(工作周记)", "max": 50,
                            "rule": {"kind": "journal", "scale_max": 50}}]}


def _notice_rating_and_journal(live: Live, units: dict[str, str]) -> None:
    """The evidence tables the period below does not reach, in two other periods, before its first 公示 (the
    chain's heads kept with each 公示 and 审定 must hold them): a rectification notice and a rating task with its
    raters, subjects and a ballot in another scheme's 2026-Q2; a journal roster of one week and its journal in
    2026-06. Nothing of theirs falls due later in the flow (its clock ends on 2026-07-01), so no sweep writes
    after the last head."""
    document = scheme("audit-rows-rated")
    document["indicators"] = [*document["indicators"], RATING]
    rated = live.opened_period(document, "2026-Q2", [(units["a"], "街道"), (units["b"], "街道")])
    live(live.token("assessor", "city"), """mutation($i: RectificationInput!) {
        issueRectificationNotice(input: $i) { id } }""", i={
        "periodId": rated, "subjectId": units["a"], "checkedAt": "2026-06-01T02:00:00+00:00",
        "problem": "台账缺少会议记录", "opinion": "限期补齐", "deadline": "2026-07-20"})
    task = live(live.token("admin", ""), "mutation($t: RatingTaskInput!) { openRatingTask(input: $t) { id } }", t={
        "periodId": rated, "indicator": "pj", "kind": "democratic", "scope": "city", "grades": ["好", "差"],
        "round": 1, "closesAt": "2026-07-30T09:00:00+00:00", "subjectIds": [units["a"], units["b"]],
        "raters": [{"rater": "rater@city", "level": "群众", "unitPath": "city"}]})["openRatingTask"]
    live(live.token("rater", "city"), "mutation($t: ID!, $a: [BallotAnswer!]!) { castBallot(taskId: $t, answers: $a) "
         "{ taskId } }", t=task["id"], a=[{"subjectId": units["a"], "grade": "好"}])
    admin = live.token("admin", "")
    person = live(admin, 'mutation($u: ID!) { createPerson(name: "李四", unitId: $u) { id } }',
                  u=units["a"])["createPerson"]["id"]
    month = live.opened_period(JOURNALS, "2026-06", [(person, "工作人员")])
    live(admin, """mutation($p: String!, $s: [String!]!) { setJournalRoster(input: {periodId: $p, subjectIds: $s,
        firstWeek: "2026-W22", lastWeek: "2026-W22"}) { people } }""", p=month, s=[person])
    live(live.token("subject", "city/a", subject_ids=[person]), """mutation($i: JournalInput!) {
        submitJournal(input: $i) { week } }""", i={"periodId": month, "subjectId": person, "week": "2026-W22",
                                                  "text": "本周完成台账整理", "points": "45"})


async def _report(url: str, service: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await verify_service(conn, service, AUDITED[service])
    finally:
        await conn.close()


def test_a_whole_period_verifies_and_every_audited_table_has_rows(live: Live, period: str) -> None:
    for service in AUDITED:
        report = asyncio.run(_report(dsn(live), service))
        assert (report.ok, report.row_problems, report.unsealed, report.first_broken_id) == (True, [], 0, None)
        empty = [table for table, rows in report.tables.items() if rows == 0]
        assert empty == [], f"{service}: the flow left {empty} empty"
    # an entity's trail shows what people did; its rows' records only when asked for
    trail = live.service("ranking", "GET", "/v1/audit", params={"entity_id": period}).json()
    assert "row.write" not in {r["action"] for r in trail} and "period.finalized" in {r["action"] for r in trail}
    trail = live.service("ranking", "GET", "/v1/audit", params={"entity_id": period, "rows": "true"}).json()
    assert ("row.write", "ranked_period") in {(r["action"], r["entity_type"]) for r in trail}
    done = run_kaohe("audit", "verify", env=clean_env(KAOHE_DATABASE_URL=live.database_url,
                                                      KAOHE_DATA_DIR="/nonexistent-kaohe"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split(": ", 1)[1].startswith("ok (") for line in done.stdout.splitlines()] == [True, True, True]


async def _columns(conn: Any, schema: str, table: AuditedTable) -> tuple[str, dict[str, str], list[list[Any]]]:
    """A text column outside the key (the one a tamperer edits), the type of each key column, and the columns of
    each unique constraint besides the key (name, type)."""
    rows = await conn.fetch("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position", schema, table.name)
    foreign = {r["name"] for r in await conn.fetch(
        "SELECT a.attname::text AS name FROM pg_constraint c CROSS JOIN unnest(c.conkey) k(attnum) JOIN pg_attribute a "
        "ON a.attrelid = c.conrelid AND a.attnum = k.attnum WHERE c.conrelid = $1::regclass AND c.contype = 'f'",
        f"{schema}.{table.name}")}
    texts = [r["column_name"] for r in rows if r["data_type"] in ("character varying", "text")
             and r["column_name"] not in (*table.key, *table.volatile, *foreign)]
    texts = [c for c in texts if c != "status"] or texts  # a status may have a check constraint
    unique = await conn.fetch(
        "SELECT array_agg(a.attname::text ORDER BY k.ord) AS names, array_agg(t.typname::text ORDER BY k.ord) AS types "
        "FROM pg_constraint c CROSS JOIN unnest(c.conkey) WITH ORDINALITY k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE c.conrelid = $1::regclass AND c.contype = 'u' GROUP BY c.conname", f"{schema}.{table.name}")
    return texts[0], {r["column_name"]: r["data_type"] for r in rows if r["column_name"] in table.key}, [
        list(zip(u["names"], u["types"], strict=True)) for u in unique]


def _edit(column: str) -> str:
    """Change a text value, keeping its length (varchar limits) and its uniqueness against the original."""
    return f"""left("{column}", -1) || CASE WHEN right("{column}", 1) = '~' THEN '!' ELSE '~' END"""


async def _tamper(url: str, service: str, table: AuditedTable, how: str, triggers: bool) -> tuple[Any, str, Any]:
    """Tamper with the first row of `table` (by key) in a transaction, verify inside it, roll it back."""
    conn = await asyncpg.connect(url)
    name = f'"{service}"."{table.name}"'
    key_sql = table.key_sql()
    try:
        text_column, key_types, uniques = await _columns(conn, service, table)
        tx = conn.transaction()
        await tx.start()
        if not triggers:  # as a superuser would: no trigger fires, no foreign key is checked
            await conn.execute("SET LOCAL session_replication_role = replica")
        key = await conn.fetchval(f"SELECT {key_sql} FROM {name} r ORDER BY {key_sql} COLLATE \"C\" LIMIT 1")
        where = f"{key_sql} = $1"
        if how == "alter":
            await conn.execute(f"UPDATE {name} r SET \"{text_column}\" = {_edit(text_column)} WHERE {where}", key)
        elif how == "delete":
            await conn.execute(f"DELETE FROM {name} r WHERE {where}", key)
        else:  # a copy of the row under a new key, clear of the unique constraints
            changes = []
            for column, kind in key_types.items():
                if kind in ("integer", "bigint"):
                    changes.append(f"'{column}', (SELECT max(\"{column}\") + 1000 FROM {name})")
                elif kind == "uuid":
                    changes.append(f"'{column}', gen_random_uuid()")
                else:
                    changes.append(f"'{column}', {_edit(column)}")
            for columns in uniques:
                numbers = [c for c, kind in columns if kind in ("int4", "int8")]
                column = numbers[0] if numbers else columns[-1][0]
                changes.append(f"'{column}', \"{column}\" + 1000" if numbers else f"'{column}', {_edit(column)}")
            key = await conn.fetchval(
                f"INSERT INTO {name} SELECT (jsonb_populate_record(NULL::{name}, to_jsonb(r) || "
                f"jsonb_build_object({', '.join(changes)}))).* FROM {name} r WHERE {where} "
                f"RETURNING {key_sql.replace('r.', '')}", key)
        await conn.execute("SET LOCAL session_replication_role = origin")
        await conn.execute("SET LOCAL TimeZone = 'UTC'")
        chain = await check_chain(conn, service)
        rows = await verify_rows(conn, service, [table])
        unsealed = await conn.fetchval(f'SELECT count(*) FROM "{service}".audit_touched')
        record = await conn.fetchval(
            f'SELECT max(id) FROM "{service}".audit_record WHERE entity_type = $1 AND entity_id = $2 '
            "AND action IN ('row.write', 'row.delete')", table.name, key)
        await tx.rollback()
    finally:
        await conn.close()
    return (chain.ok, rows.problems, unsealed), key, record


@pytest.mark.parametrize(("service", "table"), CASES, ids=[f"{s}.{t.name}" for s, t in CASES])
def test_a_row_altered_inserted_or_deleted_behind_the_services_back_is_named(
        live: Live, period: str, service: str, table: AuditedTable) -> None:
    """As a superuser would tamper: no trigger fires, no foreign key is checked."""
    url = dsn(live)
    found, key, record = asyncio.run(_tamper(url, service, table, "alter", triggers=False))
    assert record is not None
    assert found == (True, [RowProblem(table.name, key, "changed", record)], 0)

    found, key, record = asyncio.run(_tamper(url, service, table, "insert", triggers=False))
    assert record is None
    # a period row copied under a new key carries the digest of the original's current results, and has none
    vouched = [RowProblem(table.name, key, "vouched", None)] if table.vouches else []
    assert found == (True, [RowProblem(table.name, key, "unrecorded", None), *vouched], 0)

    found, key, record = asyncio.run(_tamper(url, service, table, "delete", triggers=False))
    assert record is not None
    assert found == (True, [RowProblem(table.name, key, "deleted", record)], 0)


@pytest.mark.parametrize(("service", "table"), CASES, ids=[f"{s}.{t.name}" for s, t in CASES])
def test_a_row_altered_with_the_triggers_on_is_named_and_its_note_left_unsealed(
        live: Live, period: str, service: str, table: AuditedTable) -> None:
    """As the database's owner would tamper without disabling anything: the trigger notes the write, no service
    seals it; the row no longer matches its record either."""
    found, key, record = asyncio.run(_tamper(dsn(live), service, table, "alter", triggers=True))
    assert found == (True, [RowProblem(table.name, key, "changed", record)], 1)


async def _result_rows(url: str, period: str) -> tuple[list[tuple[str, bool, int, str, int]], dict[int, int]]:
    """(subject, current, position, total, rank) of the period's result versions, and each version's row records."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT id, subject_id, is_current, position, total, rank FROM ranking.subject_result "
                                "WHERE period_id = $1", period)
        records = {row["id"]: await conn.fetchval(
            "SELECT count(*) FROM ranking.audit_record WHERE entity_type = 'subject_result' AND entity_id = $1 "
            "AND action IN ('row.write', 'row.delete')", str(row["id"])) for row in rows}
        return [(r["subject_id"], r["is_current"], r["position"], str(r["total"]), r["rank"]) for r in rows], records
    finally:
        await conn.close()


def test_a_result_version_is_recorded_once_its_retirement_leaves_no_record(live: Live, period: str) -> None:
    """The upheld appeal moved 甲 from 88 (rank 2) to 95 (rank 1) and 乙 from rank 1 to 2: each has earlier
    versions, retired, and one current. Each version's row was recorded when written and never again: retiring it
    (is_current) or moving it in the table (position) is vouched for by the period row instead."""
    names = {sid: name for name, sid in _subjects(live, period).items()}
    rows, records = asyncio.run(_result_rows(dsn(live), period))
    current = sorted((names[s], position, total, rank) for s, is_current, position, total, rank in rows if is_current)
    assert current == [("乙街道", 1, "92.00", 2), ("甲街道", 0, "95.00", 1)]
    retired = {(names[s], total, rank) for s, is_current, _position, total, rank in rows if not is_current}
    assert {("甲街道", "88.00", 2), ("乙街道", "92.00", 1)} <= retired
    assert set(records.values()) == {1}


async def _tamper_current(url: str, period: str, how: str) -> list[RowProblem]:
    """Change which version is current, or the table order, in a transaction (no trigger fires); the ranking
    schema's row problems; rolled back."""
    conn = await asyncpg.connect(url)
    try:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("SET LOCAL session_replication_role = replica")
        if how == "current":  # the retired first version shown again in place of the second
            await conn.execute("UPDATE ranking.subject_result SET is_current = NOT is_current WHERE period_id = $1 "
                               "AND subject_id = (SELECT subject_id FROM ranking.subject_result WHERE period_id = $1 "
                               "AND version = 2 ORDER BY subject_id LIMIT 1)", period)
        else:  # the two current rows swap places in the table
            await conn.execute("UPDATE ranking.subject_result SET position = 1 - position WHERE period_id = $1 "
                               "AND is_current", period)
        await conn.execute("SET LOCAL session_replication_role = origin")
        await conn.execute("SET LOCAL TimeZone = 'UTC'")
        report = await verify_rows(conn, "ranking", AUDITED["ranking"])
        await tx.rollback()
        return report.problems
    finally:
        await conn.close()


@pytest.mark.parametrize("how", ["current", "position"])
def test_a_current_version_or_the_table_order_changed_in_sql_is_named_by_the_period(
        live: Live, period: str, how: str) -> None:
    """Neither is in the versions' digests: the period row's current_sha256 no longer matches."""
    problems = asyncio.run(_tamper_current(dsn(live), period, how))
    assert problems == [RowProblem("ranked_period", period, "vouched", None)]
    assert problems[0].sentence() == (
        f"row ranked_period {period} no longer matches what it vouches for (rows it stands for were changed behind "
        "the service's back)")


def test_the_issue_s_tampering_of_a_finalised_period_fails_verification_naming_each_row(
        live: Live, period: str) -> None:
    """The attack of issue 15: a finalised result and a score version rewritten in SQL; `kaohe audit verify` said
    ok. It must exit 1 naming both rows with the record they contradict."""
    async def tamper(restore: bool) -> tuple[Any, Any]:
        conn = await asyncpg.connect(dsn(live))
        try:
            if restore:
                await conn.execute("SET session_replication_role = replica")
                await conn.execute("UPDATE ranking.subject_result SET total = $1, grade = $2 WHERE id = $3",
                                   *restore_result)
                await conn.execute("UPDATE scoring.score_version SET value = $1 WHERE id = $2", *restore_score)
                await conn.execute("DELETE FROM ranking.audit_touched")
                await conn.execute("DELETE FROM scoring.audit_touched")
                return None, None
            result = await conn.fetchrow("SELECT id, total, grade, subject_id, (SELECT max(id) FROM "
                                         "ranking.audit_record WHERE action = 'period.finalized' AND entity_id = $1) "
                                         "AS approved FROM ranking.subject_result WHERE period_id = $1 "
                                         "AND is_current AND rank = 2", period)
            score = await conn.fetchrow("SELECT id, value FROM scoring.score_version WHERE period_id = $1 "
                                        "AND indicator = 'total' ORDER BY id DESC LIMIT 1", period)
            await conn.execute("UPDATE ranking.subject_result SET total = 99.99, grade = '优秀' WHERE id = $1",
                               result["id"])
            await conn.execute("UPDATE scoring.score_version SET value = 99.99 WHERE id = $1", score["id"])
            return result, score
        finally:
            await conn.close()

    result, score = asyncio.run(tamper(False))
    restore_result = (result["total"], result["grade"], result["id"])
    restore_score = (score["value"], score["id"])
    last = asyncio.run(_last_records(dsn(live), [("ranking", "subject_result", str(result["id"])),
                                                 ("scoring", "score_version", str(score["id"]))]))
    env = clean_env(KAOHE_DATABASE_URL=live.database_url, KAOHE_DATA_DIR="/nonexistent-kaohe")
    try:
        _named_in_both_languages(env, result, score, last, period)
    finally:
        asyncio.run(tamper(True))
    assert run_kaohe("audit", "verify", env=env).returncode == 0


def _named_in_both_languages(env: dict[str, str], result: Any, score: Any, last: list[int], period: str) -> None:
    """The lines of the issue's tampering: each row by table and key, and 乙's total against the approval."""
    done = run_kaohe("audit", "verify", env=env)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("evidence: ok (")
    assert lines[1:] == [
        f"scoring: BROKEN: row score_version {score['id']} was changed (it no longer matches record {last[1]})",
        "scoring: BROKEN: 1 row writes were made outside the service (noted by the audited tables' triggers, "
        f"never sealed into the chain): score_version {score['id']}",
        f"ranking: BROKEN: row subject_result {result['id']} was changed (it no longer matches record {last[0]})",
        f"ranking: BROKEN: subject {result['subject_id']} of finalized period {period}: total is 99.99 in the served "
        f"results, not as snapshot 2 approved it (record {result['approved']})",
        "ranking: BROKEN: 1 row writes were made outside the service (noted by the audited tables' triggers, "
        f"never sealed into the chain): subject_result {result['id']}",
    ]
    chinese = run_kaohe("--lang", "zh-CN", "audit", "verify", env=env)
    assert chinese.returncode == 1
    assert chinese.stdout.splitlines()[1:] == [
        f"scoring：校验不通过：score_version 表的行 {score['id']} 被修改过（与记录 {last[1]} 不再一致）",
        "scoring：校验不通过：有 1 次行写入绕过了服务（被审计表的触发器记下，但从未封存进审计链）："
        f"score_version {score['id']}",
        f"ranking：校验不通过：subject_result 表的行 {result['id']} 被修改过（与记录 {last[0]} 不再一致）",
        f"ranking：校验不通过：已审定考核周期 {period} 的对象 {result['subject_id']}：提供的结果中 total 为 99.99，"
        f"与审定的第 2 份快照不符（记录 {result['approved']}）",
        "ranking：校验不通过：有 1 次行写入绕过了服务（被审计表的触发器记下，但从未封存进审计链）："
        f"subject_result {result['id']}",
    ]


async def _last_records(url: str, rows: list[tuple[str, str, str]]) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [await conn.fetchval(f'SELECT max(id) FROM "{schema}".audit_record WHERE entity_type = $1 '
                                    "AND entity_id = $2 AND action IN ('row.write', 'row.delete')", table, key)
                for schema, table, key in rows]
    finally:
        await conn.close()


VERIFY_SNAPSHOT = """query($p: ID!, $s: Int) { verifySnapshot(periodId: $p, sequence: $s) { ok sequence sha256
  computedSha256 recordedSha256 bytesOk auditOk resultsChecked differences { subjectId field snapshot served } note
  } }"""


def _subjects(live: Live, period: str) -> dict[str, str]:
    """甲 and 乙's subject ids by their name."""
    nodes = live(live.token("admin", ""), "query($p: ID!) { ranking(periodId: $p) { nodes { subjectId name } } }",
                 p=period)["ranking"]["nodes"]
    return {n["name"]: n["subjectId"] for n in nodes}


async def _sql(url: str, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Statements as a superuser would run them (no trigger, no foreign key)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET session_replication_role = replica")
        for statement, args in statements:
            await conn.execute(statement, *args)
    finally:
        await conn.close()


def test_the_snapshot_its_bytes_and_the_served_results_agree_and_an_auditor_downloads_it(
        live: Live, period: str) -> None:
    """Snapshot 2 (the period finalized again after its reopening) holds 甲 95.00 rank 1 优秀 and 乙 92.00 rank 2
    优秀; snapshot 1 was taken before the reopening: its bytes are checked, the results are not compared."""
    auditor = live.token("auditor", "")
    snapshots = live(auditor, "query($p: ID!) { snapshots(periodId: $p) { nodes { sequence sha256 } } }",
                     p=period)["snapshots"]["nodes"]
    sha = {n["sequence"]: n["sha256"] for n in snapshots}
    assert sorted(sha) == [1, 2]
    assert live(auditor, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"] == {
        "ok": True, "sequence": 2, "sha256": sha[2], "computedSha256": sha[2], "recordedSha256": sha[2],
        "bytesOk": True, "auditOk": True, "resultsChecked": True, "differences": [], "note": None}
    first = live(auditor, VERIFY_SNAPSHOT, p=period, s=1)["verifySnapshot"]
    assert (first["ok"], first["bytesOk"], first["auditOk"], first["resultsChecked"], first["note"]) == (
        True, True, True, False, f"period {period} was reopened after snapshot 1: its results may have changed "
                                 "since, so they are not compared")

    downloaded = live.get(auditor, f"/exports/periods/{period}/snapshots/2.json")
    assert downloaded.status_code == 200, downloaded.text
    assert hashlib.sha256(downloaded.content).hexdigest() == sha[2] == downloaded.headers["X-Snapshot-SHA256"]
    frozen = json.loads(downloaded.content)
    names = _subjects(live, period)
    assert [(s["id"], s["total"], s["rank"], s["grade"]) for s in frozen["subjects"]] == [
        (names["甲街道"], "95.00", 1, "优秀"), (names["乙街道"], "92.00", 2, "优秀")]


def test_the_snapshot_check_names_the_subject_whose_served_result_differs(live: Live, period: str) -> None:
    """The attack of issue 15 on ranking's columns (乙 to 99.99), then on 甲's result document, then on the
    snapshot's own bytes: each is named; put back, the check holds again."""
    auditor, url = live.token("auditor", ""), dsn(live)
    names = _subjects(live, period)
    a, b = names["甲街道"], names["乙街道"]
    current = "SELECT id FROM ranking.subject_result WHERE period_id = $1 AND subject_id = $2 AND is_current"

    asyncio.run(_sql(url, (f"UPDATE ranking.subject_result SET total = 99.99, grade = '优秀' WHERE id = ({current})",
                           (period, b))))
    got = live(auditor, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"]
    assert (got["ok"], got["bytesOk"], got["differences"]) == (
        False, True, [{"subjectId": b, "field": "total", "snapshot": "92.00", "served": "99.99"}])
    asyncio.run(_sql(url, (f"UPDATE ranking.subject_result SET total = 92.00 WHERE id = ({current})", (period, b))))

    asyncio.run(_sql(url, (f"UPDATE ranking.subject_result SET document = jsonb_set(document, '{{rank}}', '2') "
                           f"WHERE id = ({current})", (period, a))))
    got = live(auditor, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"]
    assert (got["ok"], got["differences"]) == (
        False, [{"subjectId": a, "field": "rank", "snapshot": "1", "served": "2"}])
    asyncio.run(_sql(url, (f"UPDATE ranking.subject_result SET document = jsonb_set(document, '{{rank}}', '1') "
                           f"WHERE id = ({current})", (period, a))))

    snapshot = "FROM ranking.period_snapshot WHERE period_id = $1 AND sequence = 2"
    asyncio.run(_sql(url, (f"UPDATE ranking.period_snapshot SET content = replace(content, '\"92.00\"', "
                           f"'\"82.00\"') WHERE id = (SELECT id {snapshot})", (period,))))
    got = live(auditor, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"]
    assert (got["ok"], got["bytesOk"], got["auditOk"], got["sha256"] == got["recordedSha256"]) == (
        False, False, True, True)
    assert got["computedSha256"] != got["sha256"]
    assert got["differences"] == [{"subjectId": b, "field": "scores", "snapshot": '{"work": "82.00"}',
                                   "served": '{"work": "92.00"}'}]
    asyncio.run(_sql(url, (f"UPDATE ranking.period_snapshot SET content = replace(content, '\"82.00\"', "
                           f"'\"92.00\"') WHERE id = (SELECT id {snapshot})", (period,))))
    assert live(auditor, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"]["ok"] is True
    assert asyncio.run(_report(url, "ranking")).ok  # every row back as its record says


def test_a_status_changed_in_sql_is_not_taken_for_a_reopening(live: Live, period: str) -> None:
    """An insider sets the finalized period back to `published` in SQL and 乙's total to 99.99. The check said
    ok, "reopened after snapshot 2 ... not compared", though no reopening of snapshot 2 exists (the one reopening
    is of snapshot 1): it must compare the results, name 乙 and the unexplained status, and not hold."""
    auditor, url = live.token("auditor", ""), dsn(live)
    b = _subjects(live, period)["乙街道"]
    current = "SELECT id FROM ranking.subject_result WHERE period_id = $1 AND subject_id = $2 AND is_current"
    asyncio.run(_sql(url, ("UPDATE ranking.ranked_period SET status = 'published' WHERE id = $1", (period,)),
                     (f"UPDATE ranking.subject_result SET total = 99.99 WHERE id = ({current})", (period, b))))
    try:
        got = live(auditor, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"]
        assert (got["ok"], got["sequence"], got["resultsChecked"], got["differences"], got["note"]) == (
            False, 2, True, [{"subjectId": b, "field": "total", "snapshot": "92.00", "served": "99.99"}],
            f"period {period} is published, yet no reopening of snapshot 2 is recorded: its status was changed "
            "outside ranking")
        # ranking's own verification names both without the snapshot: the chain's last record of the period is the
        # approval of snapshot 2, so the period must still be finalized and serve what it froze
        approved = asyncio.run(_approval(url, period))
        got = live.service("ranking", "GET", "/v1/audit/verify").json()
        assert [(p["kind"], p["sequence"], p["subject_id"], p["record_id"]) for p in got["provenance"]] == [
            ("status", None, None, approved), ("subject", 2, b, approved)]
        assert got["provenance"][0]["message"] == (
            f"period {period} is published, yet the chain's last record of it is its approval (record {approved}): "
            "its status was changed outside ranking")
        asyncio.run(_sql(url, (f"UPDATE ranking.subject_result SET total = 92.00 WHERE id = ({current})",
                               (period, b))))
        got = live(auditor, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"]
        assert (got["ok"], got["resultsChecked"], got["differences"]) == (False, True, [])
    finally:
        asyncio.run(_sql(url, ("UPDATE ranking.ranked_period SET status = 'finalized' WHERE id = $1", (period,)),
                         (f"UPDATE ranking.subject_result SET total = 92.00 WHERE id = ({current})", (period, b))))
    assert live(auditor, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"]["ok"] is True
    assert asyncio.run(_report(url, "ranking")).ok


async def _approval(url: str, period: str) -> int:
    """The chain's last approval (period.finalized) of the period."""
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT max(id) FROM ranking.audit_record WHERE action = 'period.finalized' "
                                       "AND entity_id = $1", period))
    finally:
        await conn.close()


async def _cut_evidence(url: str, period: str) -> tuple[int, int]:
    """Cut evidence's last records, two below the head ranking kept with the period's latest 审定 (kept aside in
    public.cut_records); the kept head's sequence and the records left."""
    conn = await asyncpg.connect(url)
    try:
        kept = await conn.fetchval("SELECT max((chain_heads->'evidence'->>'sequence')::int) FROM "
                                   "ranking.period_snapshot WHERE period_id = $1", period)
        await conn.execute("CREATE TABLE public.cut_records AS SELECT * FROM evidence.audit_record WHERE id >= "
                           "(SELECT id FROM evidence.audit_record ORDER BY id OFFSET $1 LIMIT 1)", kept - 2)
        await conn.execute("DELETE FROM evidence.audit_record WHERE id IN (SELECT id FROM public.cut_records)")
        return kept, int(await conn.fetchval("SELECT count(*) FROM evidence.audit_record"))
    finally:
        await conn.close()


async def _put_evidence_back(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO evidence.audit_record SELECT * FROM public.cut_records")
        await conn.execute("DROP TABLE public.cut_records")
    finally:
        await conn.close()


def test_evidence_cut_below_a_head_ranking_kept_is_named_without_a_checkpoint(live: Live, period: str) -> None:
    """An insider cuts evidence's last records below the head ranking kept with the latest 审定 (in ranking's
    audited snapshot row). With no checkpoint file `kaohe audit verify` looked at evidence's chain alone and could
    not see the cut; ranking's kept heads are outside evidence's chain, so the cut is named `truncated`."""
    url = dsn(live)
    kept, left = asyncio.run(_cut_evidence(url, period))
    assert left == kept - 2
    try:
        env = clean_env(KAOHE_DATABASE_URL=live.database_url, KAOHE_DATA_DIR="/nonexistent-kaohe")
        done = run_kaohe("audit", "verify", "--service", "evidence", env=env)
        assert done.returncode == 1
        line = done.stdout.splitlines()[0]
        assert line.startswith(f"evidence: BROKEN: the chain holds {left} records, fewer than the "), line
        assert line.endswith(" of a head kept outside it: records were cut from its end (truncated)"), line
    finally:
        asyncio.run(_put_evidence_back(url))
    assert run_kaohe("audit", "verify", env=env).returncode == 0


VERIFY_CHAIN = "query($s: Service!) { verifyAuditChain(service: $s) { service ok report } }"


def test_verify_audit_chain_holds_evidence_to_the_heads_ranking_kept(live: Live, period: str) -> None:
    """The same cut through GraphQL: `verifyAuditChain(EVIDENCE)` holds evidence's chain to every head ranking kept
    with a 公示 or 审定, as the CLI does, so the cut is not ok and says so; put back, it holds them all."""
    url, auditor = dsn(live), live.token("auditor", "")

    async def kept_of_evidence() -> list[int]:
        conn = await asyncpg.connect(url)
        try:
            return sorted({int(v) for v in await conn.fetch(
                "SELECT (chain_heads->'evidence'->>'sequence') AS s FROM ranking.publication WHERE chain_heads IS "
                "NOT NULL UNION ALL SELECT (chain_heads->'evidence'->>'sequence') FROM ranking.period_snapshot "
                "WHERE chain_heads IS NOT NULL") for v in [v["s"]]})
        finally:
            await conn.close()

    sequences = asyncio.run(kept_of_evidence())
    held = live(auditor, VERIFY_CHAIN, s="EVIDENCE")["verifyAuditChain"]
    # three publications (公示, again after the appeal, after the reopening) and two 审定 each kept a head
    assert (held["ok"], held["report"]["checkpoint"], held["report"]["kept_heads"]) == (True, None, 5)
    kept, left = asyncio.run(_cut_evidence(url, period))
    try:
        cut = live(auditor, VERIFY_CHAIN, s="EVIDENCE")["verifyAuditChain"]
    finally:
        asyncio.run(_put_evidence_back(url))
    assert (cut["service"], cut["ok"], cut["report"]["first_broken_id"], cut["report"]["records"]) == (
        "evidence", False, None, left)
    assert cut["report"]["checkpoint"] == (
        f"the chain holds {left} records, fewer than the {max(sequences)} of a head kept outside it: records were "
        "cut from its end (truncated)")
    assert kept == max(sequences)
    # the cut records held the period's last state change (ranking's 审定 told evidence): its row is named
    assert [(p["table"], p["key"], p["kind"]) for p in cut["report"]["row_problems"]] == [
        ("period_state", period, "changed")]
    assert live(auditor, VERIFY_CHAIN, s="EVIDENCE")["verifyAuditChain"]["ok"] is True


def test_only_the_office_and_auditors_over_the_period_check_or_download_a_snapshot(live: Live, period: str) -> None:
    for token in (live.token("auditor", "city/b"), live.token("reviewer", ""), live.token("subject", "city/a")):
        assert live.error(token, VERIFY_SNAPSHOT, p=period, s=None)["extensions"]["code"] == "FORBIDDEN"
        assert live.get(token, f"/exports/periods/{period}/snapshots/2.json").status_code == 403
    admin = live.token("admin", "city")
    assert live(admin, VERIFY_SNAPSHOT, p=period, s=None)["verifySnapshot"]["ok"] is True
    assert live.get(admin, f"/exports/periods/{period}/snapshots/2.json").status_code == 200
    assert live.get(admin, f"/exports/periods/{period}/snapshots/3.json").status_code == 404


async def _heads_hold(url: str, period: str) -> list[tuple[str, int, bool]]:
    """For every 公示 and 审定 of the period and every service: (where, the head's sequence, whether the chain's
    record at that place has the head's hash)."""
    conn = await asyncpg.connect(url)
    try:
        kept = [(f"publication {r['sequence']}", json.loads(r["chain_heads"])) for r in await conn.fetch(
            "SELECT sequence, chain_heads::text FROM ranking.publication WHERE period_id = $1 ORDER BY sequence",
            period)]
        for row in await conn.fetch("SELECT sequence, chain_heads::text, content FROM ranking.period_snapshot "
                                    "WHERE period_id = $1 ORDER BY sequence", period):
            assert json.loads(row["content"])["chain_heads"] == json.loads(row["chain_heads"])
            kept.append((f"snapshot {row['sequence']}", json.loads(row["chain_heads"])))
        found = []
        for where, heads in kept:
            assert sorted(heads) == ["evidence", "ranking", "scoring"], where
            for service, head in sorted(heads.items()):
                at = await conn.fetchval(f'SELECT hash FROM "{service}".audit_record ORDER BY id OFFSET $1 LIMIT 1',
                                         head["sequence"] - 1)
                found.append((f"{where} {service}", head["sequence"], at == head["hash"]))
        return found
    finally:
        await conn.close()


def test_every_publication_and_snapshot_keeps_the_head_of_each_chain(live: Live, period: str) -> None:
    found = asyncio.run(_heads_hold(dsn(live), period))
    assert [where for where, _, _ in found] == [
        f"{kind} {n} {service}" for kind, n in (("publication", 1), ("publication", 2), ("publication", 3),
                                                 ("snapshot", 1), ("snapshot", 2))
        for service in ("evidence", "ranking", "scoring")]
    assert all(sequence > 0 and holds for _, sequence, holds in found), found


def test_an_auditor_verifies_the_period_from_the_exported_snapshot_and_a_checkpoint(
        live: Live, period: str, pg_server: Any, tmp_path: Path) -> None:
    """The procedure of docs/reliability.md ("Verifying a period without trusting the running system"), step by
    step: the office exports the snapshot and signs a checkpoint at 审定; the auditor restores a backup into a
    PostgreSQL of their own and verifies it with their own kaohe against the two files and the office's key."""
    office = clean_env(KAOHE_DATABASE_URL=live.database_url, KAOHE_DATA_DIR=tmp_path / "office")
    # the office, at 审定
    snapshot = live.get(live.token("admin", "city"), f"/exports/periods/{period}/snapshots/2.json")
    (tmp_path / "snapshot.json").write_bytes(snapshot.content)
    published_sha256 = snapshot.headers["X-Snapshot-SHA256"]
    for args in (("audit", "checkpoint", "--out", str(tmp_path / "checkpoint.json")),
                 ("audit", "public-key", "--out", str(tmp_path / "office.pem")),
                 ("backup", "--out", str(tmp_path / "backup"))):
        done = run_kaohe(*args, env=office)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    # the auditor, later, on a machine of their own
    copy = create_database(pg_server, migrate=False)
    auditor = clean_env(KAOHE_DATABASE_URL=copy, KAOHE_DATA_DIR=tmp_path / "auditor")
    try:
        assert run_kaohe("restore", str(tmp_path / "backup"), env=auditor).returncode == 0
        verify = ("audit", "verify", "--checkpoint", str(tmp_path / "checkpoint.json"), "--public-key",
                  str(tmp_path / "office.pem"), "--snapshot", str(tmp_path / "snapshot.json"))
        done = run_kaohe(*verify, env=auditor)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].endswith("signature holds, key " + _key_fingerprint(tmp_path / "office.pem")
                                 + " (the trusted key)")
        assert lines[1] == f"snapshot: period {period} snapshot 2, SHA-256 {published_sha256} (compare it with the " \
                           "one published at 审定)"
        assert [line.split(" (")[0] for line in lines[2:]] == [
            "evidence: ok", "scoring: ok", "ranking: ok", "snapshot: ok"]
        assert all(line.endswith("holds the 2 heads kept outside)") for line in lines[2:5])
        assert lines[5] == "snapshot: ok (the database holds the same bytes; the served results agree)"
        chinese = run_kaohe("--lang", "zh-CN", *verify, env=auditor).stdout.splitlines()
        assert chinese[1] == (f"快照：考核周期 {period} 第 2 号快照，SHA-256 {published_sha256}"
                              "（请与审定时公布的值核对）")
        assert chinese[5] == "快照：通过（数据库中的快照内容相同；当前结果与快照一致）"

        # the copy altered as in issue 15: the auditor's verification names it
        asyncio.run(_sql(copy.replace("postgresql+asyncpg://", "postgresql://", 1), (
            "UPDATE ranking.subject_result SET total = 99.99 WHERE period_id = $1 AND is_current AND rank = 2",
            (period,))))
        done = run_kaohe(*verify, env=auditor)
        assert done.returncode == 1
        assert [line for line in done.stdout.splitlines() if "BROKEN" in line][-1].endswith(
            "total is 99.99 in the served results, 92.00 in the snapshot")
        chinese = run_kaohe("--lang", "zh-CN", *verify, env=auditor).stdout.splitlines()
        assert chinese[-1].startswith("快照：校验不通过：考核对象 ")
        assert chinese[-1].endswith(" 的 total 在当前结果中为 99.99，在快照中为 92.00")
    finally:
        drop_database(pg_server, copy)


def _key_fingerprint(pem: Path) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(pem.read_bytes())
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


async def _forge(conn: Any, schema: str, table: AuditedTable, key: str) -> int:
    """Append a `row.write` record vouching for the row's present digest, as an attacker with the database would:
    the digest by PostgreSQL as the triggers compute it, the record hashed after the chain's last one with the
    code's own `link_hash`, under the actor of the table's last record. Its id."""
    await conn.execute("SET TimeZone = 'UTC'")
    await conn.execute("SET extra_float_digits = 1")
    digest = await conn.fetchval(f'SELECT {table.digest_sql(schema)} FROM "{schema}"."{table.name}" r '
                                 f"WHERE {table.key_sql()} = $1", key)
    last = await conn.fetchrow(f'SELECT hash FROM "{schema}".audit_record ORDER BY id DESC LIMIT 1')
    actor = await conn.fetchval(f'SELECT actor FROM "{schema}".audit_record WHERE entity_type = $1 '
                                "ORDER BY id DESC LIMIT 1", table.name)
    fields = {"recorded_at": datetime.now(UTC), "actor": actor, "action": "row.write", "entity_type": table.name,
              "entity_id": key, "before_digest": None, "after_digest": digest, "details": {}, "request_id": None}
    forged = link_hash(last["hash"], fields)
    return int(await conn.fetchval(
        f'INSERT INTO "{schema}".audit_record (recorded_at, actor, action, entity_type, entity_id, before_digest, '
        "after_digest, details, request_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, '{}'::jsonb, $8, "
        "$9, $10) RETURNING id", fields["recorded_at"], actor, "row.write", table.name, key, None, digest, None,
        last["hash"], forged))


def _table(service: str, name: str) -> AuditedTable:
    return next(t for t in AUDITED[service] if t.name == name)


def test_a_published_and_finalized_result_rewritten_with_forged_records_is_named(live: Live, period: str) -> None:
    """The attack on the chain without a secret: an insider rewrites 乙's finalized result (total 92.00 → 99.99),
    its entry in publication 3 (the 公示 before snapshot 2) and a score version, each in SQL with the triggers off,
    then appends well-formed `row.write` records vouching for the new digests. Every row matches its last record and
    the chain holds, yet verification must name: the two rows of tables the services never rewrite (the record that
    wrote each again), publication 3 whose entries no longer give the entries_sha256 of its period.published record,
    and 乙's total against snapshot 2's approval, without any file. Put back, it holds again."""
    url, b = dsn(live), _subjects(live, period)["乙街道"]

    async def tamper() -> dict[str, Any]:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET session_replication_role = replica")
            found: dict[str, Any] = {"first": {
                s: await conn.fetchval(f'SELECT max(id) + 1 FROM "{s}".audit_record') for s in ("ranking", "scoring")}}
            found["result"] = await conn.fetchrow(
                "SELECT id, total FROM ranking.subject_result WHERE period_id = $1 AND subject_id = $2 AND is_current",
                period, b)
            found["entry"] = await conn.fetchrow(
                "SELECT e.publication_id, e.position, e.document_sha256 FROM ranking.publication_entry e "
                "JOIN ranking.publication p ON p.id = e.publication_id WHERE p.period_id = $1 AND p.sequence = 3 "
                "AND e.subject_id = $2", period, b)
            found["score"] = await conn.fetchrow("SELECT id, value FROM scoring.score_version WHERE period_id = $1 "
                                                 "AND indicator = 'total' ORDER BY id DESC LIMIT 1", period)
            found["published"] = await conn.fetchval(
                "SELECT min(id) FROM ranking.audit_record WHERE action = 'period.published' AND entity_id = $1 "
                "AND details->>'publication' = '3'", period)
            found["approved"] = await conn.fetchval(
                "SELECT max(id) FROM ranking.audit_record WHERE action = 'period.finalized' AND entity_id = $1", period)
            entry_key = f"{found['entry']['publication_id']}/{found['entry']['position']}"
            await conn.execute("UPDATE ranking.subject_result SET total = 99.99 WHERE id = $1", found["result"]["id"])
            await conn.execute("UPDATE ranking.publication_entry SET document_sha256 = repeat('f', 64) "
                               "WHERE publication_id = $1 AND position = $2", *found["entry"][:2])
            await conn.execute("UPDATE scoring.score_version SET value = 99.99 WHERE id = $1", found["score"]["id"])
            found["result_record"] = await _forge(conn, "ranking", _table("ranking", "subject_result"),
                                                  str(found["result"]["id"]))
            found["entry_record"] = await _forge(conn, "ranking", _table("ranking", "publication_entry"), entry_key)
            found["score_record"] = await _forge(conn, "scoring", _table("scoring", "score_version"),
                                                 str(found["score"]["id"]))
            found["entry_key"] = entry_key
            return found
        finally:
            await conn.close()

    async def restore(found: dict[str, Any]) -> None:
        await _sql(url, ("UPDATE ranking.subject_result SET total = $1 WHERE id = $2",
                         (found["result"]["total"], found["result"]["id"])),
                   ("UPDATE ranking.publication_entry SET document_sha256 = $1 WHERE publication_id = $2 "
                    "AND position = $3", (found["entry"]["document_sha256"], *found["entry"][:2])),
                   ("UPDATE scoring.score_version SET value = $1 WHERE id = $2",
                    (found["score"]["value"], found["score"]["id"])),
                   ("DELETE FROM ranking.audit_record WHERE id >= $1", (found["first"]["ranking"],)),
                   ("DELETE FROM scoring.audit_record WHERE id >= $1", (found["first"]["scoring"],)))

    found = asyncio.run(tamper())
    env = clean_env(KAOHE_DATABASE_URL=live.database_url, KAOHE_DATA_DIR="/nonexistent-kaohe")
    try:
        assert all(asyncio.run(check_chain_ok(url)))  # the chains hold: every forged record is well formed
        done = run_kaohe("audit", "verify", env=env)
        assert done.returncode == 1, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("evidence: ok (")
        assert lines[1:] == [
            f"scoring: BROKEN: row score_version {found['score']['id']} was rewritten (record "
            f"{found['score_record']} writes it again, yet the services never change a row of this table)",
            f"ranking: BROKEN: row subject_result {found['result']['id']} was rewritten (record "
            f"{found['result_record']} writes it again, yet the services never change a row of this table)",
            f"ranking: BROKEN: row publication_entry {found['entry_key']} was rewritten (record "
            f"{found['entry_record']} writes it again, yet the services never change a row of this table)",
            f"ranking: BROKEN: publication 3 of period {period} was rewritten: its entries no longer give the "
            f"entries_sha256 of its record {found['published']}",
            f"ranking: BROKEN: subject {b} of finalized period {period}: total is 99.99 in the served results, not "
            f"as snapshot 2 approved it (record {found['approved']})",
        ]
        # the same through ranking's own verification (the gateway's verifyAuditChain asks it)
        got = live.service("ranking", "GET", "/v1/audit/verify").json()
        assert (got["ok"], [p["kind"] for p in got["row_problems"]]) == (False, ["rewritten", "rewritten"])
        assert [(p["kind"], p["sequence"], p["subject_id"], p["record_id"]) for p in got["provenance"]] == [
            ("entries", 3, None, found["published"]), ("subject", 2, b, found["approved"])]
    finally:
        asyncio.run(restore(found))
    assert run_kaohe("audit", "verify", env=env).returncode == 0


async def check_chain_ok(url: str) -> list[bool]:
    conn = await asyncpg.connect(url)
    try:
        found = []
        for schema in ("ranking", "scoring"):
            async with conn.transaction():
                found.append((await check_chain(conn, schema)).ok)
        return found
    finally:
        await conn.close()


def test_a_period_status_event_forged_into_ranking_s_outbox_is_named_where_it_was_applied(
        live: Live, period: str) -> None:
    """An insider writes a `published` period.status event for the rated period (never published: ranking has no
    record of it) into ranking's outbox, for scoring and for evidence, with a 公示 time a month back (evidence's
    appeal windows run from it). Both apply it and record it in their own chains; verification must name, in each,
    the status applied that no audited change of ranking made, and evidence's 公示 time. (Last in the module: the
    rated period stays published.)"""
    url = dsn(live)

    async def forge() -> str:
        conn = await asyncpg.connect(url)
        try:
            rated = await conn.fetchval("SELECT id FROM scoring.period WHERE scheme_id = 'audit-rows-rated'")
            for destination in ("scoring", "evidence"):
                await conn.execute(
                    "INSERT INTO ranking.outbox_event (id, destination, topic, payload, attempts) VALUES "
                    "(gen_random_uuid(), $1, 'period.status', $2::jsonb, 0)", destination, json.dumps({
                        "period_id": rated, "status": "published", "published_at": "2026-06-01T02:00:00Z",
                        "publication_ends_at": "2026-06-05T10:00:00Z"}))
            return str(rated)
        finally:
            await conn.close()

    rated = asyncio.run(forge())
    live.settle(rated)

    async def applied() -> tuple[int, int]:
        conn = await asyncpg.connect(url)
        try:
            return (await conn.fetchval("SELECT id FROM evidence.audit_record WHERE action = 'period.status' "
                                        "AND entity_id = $1", rated),
                    await conn.fetchval("SELECT id FROM scoring.audit_record WHERE action = 'period.status' "
                                        "AND entity_id = $1 AND actor = 'ranking'", rated))
        finally:
            await conn.close()

    evidence_record, scoring_record = asyncio.run(applied())
    done = run_kaohe("audit", "verify", env=clean_env(KAOHE_DATABASE_URL=live.database_url,
                                                      KAOHE_DATA_DIR="/nonexistent-kaohe"))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        f"evidence: BROKEN: period {rated}: evidence applied the status published (record {evidence_record}), which "
        "no audited change of ranking made (a period.status event written behind the services' back)",
        f"evidence: BROKEN: period {rated}: evidence's 公示 time 2026-06-01T02:00:00+00:00 is no 公示 in ranking's "
        "chain (appeal windows run from it)",
        f"scoring: BROKEN: period {rated}: scoring applied the status published (record {scoring_record}), which no "
        "audited change of ranking made (a period.status event written behind the services' back)",
    ]
    assert lines[3:] == [line for line in lines[3:] if line.startswith("ranking: ok (")] and len(lines) == 4
    # the same through the gateway: evidence and scoring get ranking's audited status changes with the kept heads
    auditor = live.token("auditor", "")
    for service, expected in (("EVIDENCE", lines[:2]), ("SCORING", lines[2:3])):
        got = live(auditor, "query($s: Service!) { verifyAuditChain(service: $s) { ok report } }",
                   s=service)["verifyAuditChain"]
        assert (got["ok"], [p["message"] for p in got["report"]["provenance"]]) == (
            False, [line.split(": BROKEN: ", 1)[1] for line in expected])


def test_the_result_versions_noted_updates_are_every_column_but_the_volatile() -> None:
    """RESULT_NOTED is written out (the trigger's column list): a column added to subject_result and left out of it
    would be updated without a record."""
    from services.common.audit_rows import RESULT_NOTED, RESULT_VOLATILE
    from services.ranking.results.models import SubjectResult

    columns = {column.name for column in SubjectResult.__table__.columns}
    assert set(RESULT_NOTED) == columns - set(RESULT_VOLATILE) and set(RESULT_VOLATILE) <= columns
