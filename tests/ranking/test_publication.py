"""公示 → 审定: the publication window, objections, finalization, the freeze and reopening."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import literal_column, select, text

from tests.conftest import auth, token_for
from tests.ranking.conftest import QUARTERLY, Clock, FakeScoring, deliver, first_scores, subject, system_headers

OFFICE = auth(("admin", "city"), subject="office")
AUDITOR = auth(("auditor", ""))
U4_UNIT = {"Authorization": f"Bearer {token_for(('subject', 'city/d2/u4'), subject='u4-account')}"}


async def _computed(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)


async def _published(ranking: httpx.AsyncClient, scoring: FakeScoring, days: int = 5) -> dict[str, Any]:
    await _computed(ranking, scoring)
    response = await ranking.post("/v1/periods/p1/publication", json={"working_days": days}, headers=OFFICE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_window_counts_working_days_with_holidays_and_adjusted_workdays(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    # Monday 2026-11-23 10:00 in Shanghai, 5 working days: Mon..Fri, ends Saturday 00:00 (Shanghai).
    period = await _published(ranking, scoring)
    assert _at(period["publication_ends_at"]) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert (period["status"], period["publication_days"], period["published_by"]) == ("published", 5, "office")
    # Wednesday 2026-09-30, another period, at least KAOHE_PUBLICATION_MIN_WORKING_DAYS (5) as the scheme sets
    # none: 9-30, (国庆 10-01..07), 10-08, 10-09, Saturday 10-10 (调休), Monday 10-12; ends Tuesday 00:00 Shanghai.
    clock.now = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    scoring.add_period("p2", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p2", scoring)
    short = await ranking.post("/v1/periods/p2/publication", json={"working_days": 4}, headers=OFFICE)
    assert (short.status_code, short.json()["error"]["message"]) == (422, (
        "a publication (公示) runs 5 working days at least (KAOHE_PUBLICATION_MIN_WORKING_DAYS; the scheme sets no "
        "publication.working_days); 4 is too short"))
    again = await ranking.post("/v1/periods/p2/publication", json={"working_days": 5}, headers=OFFICE)
    assert _at(again.json()["publication_ends_at"]) == datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    assert (await ranking.post("/v1/periods/p1/publication", json={"working_days": 0},
                               headers=OFFICE)).status_code == 422
    district = auth(("admin", "city/d1"))
    assert (await ranking.post("/v1/periods/p1/publication", json={}, headers=district)).status_code == 403


async def test_objection_blocks_finalization_until_answered(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    await _computed(ranking, scoring)
    early = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "服务评价有误"},
                               headers=U4_UNIT)
    assert early.status_code == 409  # not published yet
    await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    body = {"subject_id": "u4", "text": "服务评价有误"}
    filed = await ranking.post("/v1/periods/p1/objections", json=body,
                               headers={**U4_UNIT, "Idempotency-Key": "obj-1"})
    assert filed.status_code == 201
    replay = await ranking.post("/v1/periods/p1/objections", json=body,
                                headers={**U4_UNIT, "Idempotency-Key": "obj-1"})
    assert (replay.headers["Idempotent-Replay"], replay.json()["id"]) == ("true", filed.json()["id"])
    objection = filed.json()
    assert (objection["status"], objection["result_version"], objection["filed_by"]) == ("open", 1, "u4-account")
    # scope first (scopefirst2): u1, outside the account's unit, is answered exactly as a subject of nothing
    refused = "only the subject itself or its unit may object to its result"
    for subject_id in ("u1", "nobody"):
        other = await ranking.post("/v1/periods/p1/objections", json={"subject_id": subject_id, "text": "x"},
                                   headers=U4_UNIT)
        assert (other.status_code, other.json()["error"]["code"], other.json()["error"]["message"]) == (
            404, "not_found", f"no result for subject {subject_id} in period p1")
    # a submitter over the district sees u4 but is not its unit's account; an auditor objects for no one at all
    for headers, subject_id in ((auth(("submitter", "city/d2")), "u4"), (AUDITOR, "u4"), (AUDITOR, "nobody")):
        other = await ranking.post("/v1/periods/p1/objections", json={"subject_id": subject_id, "text": "x"},
                                   headers=headers)
        assert (other.status_code, other.json()["error"]["code"], other.json()["error"]["message"]) == (
            403, "forbidden", refused)
    listed = await ranking.get("/v1/periods/p1/objections", headers=auth(("admin", "city/d1")))
    assert listed.json() == {"items": [], "total_count": 0}  # u4 lies outside city/d1
    mine = await ranking.get("/v1/periods/p1/objections", params={"subject_id": "u4"}, headers=OFFICE)
    assert ([o["id"] for o in mine.json()["items"]], mine.json()["total_count"]) == ([objection["id"]], 1)
    other_subject = await ranking.get("/v1/periods/p1/objections", params={"subject_id": "u3"}, headers=OFFICE)
    assert other_subject.json() == {"items": [], "total_count": 0}
    open_ones = await ranking.get("/v1/periods/p1/objections", params={"status": "open"}, headers=U4_UNIT)
    assert [o["id"] for o in open_ones.json()["items"]] == [objection["id"]]  # the unit's own account: its own
    clock.now = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    late = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "再议"}, headers=U4_UNIT)
    assert late.status_code == 409
    blocked = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert (blocked.status_code, blocked.json()["error"]["details"]) == (409, {"open_objections": 1})
    answer_path = f"/v1/objections/{objection['id']}/answer"
    assert (await ranking.post(answer_path, json={"answer": "已复核"},
                               headers=auth(("admin", "city/d1")))).status_code == 403
    answered = await ranking.post(answer_path, json={"answer": "已复核,维持原评分"}, headers=OFFICE)
    assert (answered.json()["status"], answered.json()["answered_by"]) == ("answered", "office")
    assert (await ranking.post(answer_path, json={"answer": "again"}, headers=OFFICE)).status_code == 409
    finalized = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert finalized.status_code == 200
    seen = await ranking.get(f"/v1/objections/{objection['id']}", headers=U4_UNIT)
    assert seen.json()["answer"] == "已复核,维持原评分"


async def test_finalize_needs_the_window_to_be_over(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    await _computed(ranking, scoring)
    assert (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).status_code == 409  # not published
    await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    clock.now = datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)
    early = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    # Mon 11-23 + 5 working days: the window ends Saturday 11-28 00:00 Shanghai = Friday 11-27 24时, said so in
    # the office's time (docs/decisions.md, "Times shown to people"); the details keep the instant, UTC with Z
    assert (early.status_code, early.json()["error"]["message"], early.json()["error"]["details"]) == (409, (
        "the publication of period p1 runs until 2026-11-28 00:00 (UTC+08:00)"),
        {"publication_ends_at": "2026-11-27T16:00:00Z"})
    chinese = await ranking.post("/v1/periods/p1/finalize", headers={**OFFICE, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"]["message"] == "考核周期 p1 的公示期至2026年11月27日24时（北京时间）结束"
    clock.now += timedelta(seconds=1)
    assert (await ranking.post("/v1/periods/p1/finalize", headers=auth(("admin", "city/d2")))).status_code == 403
    assert (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).status_code == 200


async def _finalized(ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock) -> dict[str, Any]:
    await _published(ranking, scoring)
    clock.now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    response = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_snapshot_is_canonical_json_with_its_hash_and_status_is_announced(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    snapshot = await _finalized(ranking, scoring, clock)
    assert (snapshot["sequence"], snapshot["finalized_by"]) == (1, "office")
    content = await ranking.get("/v1/periods/p1/snapshots/1", headers=AUDITOR)
    assert hashlib.sha256(content.content).hexdigest() == snapshot["sha256"]
    document = json.loads(content.content)
    assert [(s["id"], s["rank"], s["grade"], s["unit_path"]) for s in document["subjects"]] == [
        ("u1", 1, "优秀", "city/d1/u1"), ("u2", 2, "良好", "city/d1/u2"),
        ("u3", 3, "良好", "city/d2/u3"), ("u4", 1, "一般", "city/d2/u4"),
    ]
    assert content.content.decode() == json.dumps(document, sort_keys=True, ensure_ascii=False,
                                                  separators=(",", ":"))
    assert (await ranking.get("/v1/periods/p1/snapshots/1", headers=auth(("admin", "city/d1")))).status_code == 403
    everything = await _outbox(ranking)
    # the events for integrators (issue 18) travel to evidence's event log, about the period's owner scope
    notices = [(e.destination, e.payload["type"], e.payload["unit_path"]) for e in everything if e.topic == "notify"]
    assert notices[-3:] == [("evidence", "publication.opened", "city"), ("evidence", "publication.closed", "city"),
                            ("evidence", "period.finalised", "city")]
    events = [e for e in everything if e.topic == "period.status"]
    assert sorted((e.destination, e.topic, e.payload["status"]) for e in events) == [
        ("evidence", "period.status", "finalized"), ("evidence", "period.status", "published"),
        ("scoring", "period.status", "finalized"), ("scoring", "period.status", "published")]
    assert [e.payload["snapshot_sha256"] for e in events if e.payload["status"] == "finalized"] == \
        [snapshot["sha256"]] * 2


async def _outbox(ranking: httpx.AsyncClient) -> list[Any]:
    from services.ranking.app import app
    from services.ranking.db import common

    async with app.state.db.sessionmaker() as session:
        # the test is one rolled-back transaction: every created_at is its start and left the order to the sort;
        # the command id that wrote each row (cmin, counted across the whole transaction) is the write order
        return list(await session.scalars(select(common.outbox).order_by(common.outbox.created_at,
                                                                         literal_column("cmin::text::bigint"))))


async def test_finalized_period_refuses_every_write(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    await _finalized(ranking, scoring, clock)
    writes = [
        ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE),
        ranking.post("/v1/periods/p1/finalize", headers=OFFICE),
        ranking.post("/v1/periods/p1/recompute", headers=OFFICE),
        ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "x"}, headers=U4_UNIT),
    ]
    for write in writes:
        response = await write
        assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")
    # Scoring's events keep arriving; they are accepted (no redelivery loop) but change nothing.
    scoring.scores["p1"][3] = subject("u4", "60", "39")
    outcome = await deliver(ranking, "p1", scoring)
    assert (outcome["applied"], outcome["frozen"], outcome["changed"]) == (True, True, 0)
    u4 = (await ranking.get("/v1/periods/p1/results/u4", headers=AUDITOR)).json()
    assert (u4["version"], u4["total"]) == (1, "70.01")
    assert (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()["stale"] is True


async def test_reopen_with_reason_is_audited_and_a_later_approval_makes_a_new_snapshot(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    first = await _finalized(ranking, scoring, clock)
    assert (await ranking.post("/v1/periods/p1/reopen", json={"reason": ""}, headers=OFFICE)).status_code == 422
    assert (await ranking.post("/v1/periods/p1/reopen", json={"reason": "x"},
                               headers=auth(("admin", "city/d1")))).status_code == 403
    reopened = await ranking.post("/v1/periods/p1/reopen", json={"reason": "申诉成立,更正四中队服务评价"},
                                  headers=OFFICE)
    assert (reopened.status_code, reopened.json()["snapshot_sequence"]) == (200, 1)
    assert (await ranking.post("/v1/periods/p1/reopen", json={"reason": "x"}, headers=OFFICE)).status_code == 409
    trail = (await ranking.get("/v1/audit", params={"entity_id": "p1"}, headers=AUDITOR)).json()
    assert [r["action"] for r in trail] == ["period.published", "period.finalized", "period.reopened"]
    assert trail[-1]["details"] == {"reason": "申诉成立,更正四中队服务评价"}
    scoring.scores["p1"][3] = subject("u4", "50", "39")
    assert (await deliver(ranking, "p1", scoring))["changed"] == 1
    first_again = await ranking.post("/v1/periods/p1/publication", json={"working_days": 4}, headers=OFFICE)
    assert first_again.json()["error"]["message"] == (
        "a publication (公示) runs 5 working days at least (KAOHE_PUBLICATION_MIN_WORKING_DAYS; the scheme sets no "
        "publication.working_days); 4 is too short")
    await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    clock.now = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # Saturday publication: Monday 11-30 to Friday 12-04
    second = (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).json()
    assert second["sequence"] == 2 and second["sha256"] != first["sha256"]
    listed = (await ranking.get("/v1/periods/p1/snapshots", headers=AUDITOR)).json()
    assert [(s["sequence"], s["sha256"]) for s in listed] == [(1, first["sha256"]), (2, second["sha256"])]
    statuses = [e.payload["status"] for e in await _outbox(ranking) if e.destination == "scoring"]
    assert statuses == ["published", "finalized", "reopened", "published", "finalized"]


PUBLISHING = {**QUARTERLY, "id": "rk-test-publishing", "publication": {"working_days": 5,
                                                                       "republication_working_days": 2}}
PUBLICATION_HEADERS = ["序号", "编号", "名称", "组别", "总分", "名次", "等次", "标签"]
STALE = "已失效：结果在公示后变更，待重新公示"


async def _publication_csv(ranking: httpx.AsyncClient) -> list[list[str]]:
    response = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "csv"},
                                 headers={**OFFICE, "Accept-Language": "zh-CN"})
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_results_changed_after_publication_make_it_stale_until_published_again(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """The scheme asks for a 5-working-day 公示 and allows 2 for a re-publication. u4's service score rises from
    30 to 39 after publication (an upheld appeal): 40.005 + 39 = 79.005 (一般 below 80, but its result changes:
    total 70.01 → 79.01); the others are unchanged."""
    scoring.add_period("p1", PUBLISHING, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)
    short = await ranking.post("/v1/periods/p1/publication", json={"working_days": 4}, headers=OFFICE)
    assert (short.status_code, short.json()["error"]["message"]) == (422, (
        "the scheme sets a publication (公示) at 5 working days at least (publication.working_days); 4 is too short"))
    first = (await ranking.post("/v1/periods/p1/publication", json={}, headers=OFFICE)).json()
    # Monday 2026-11-23 10:00 Shanghai + 5 working days: Mon..Fri, ends Saturday 00:00
    assert (first["publication_days"], first["publication_sequence"], first["stale"]) == (5, 1, False)
    assert _at(first["publication_ends_at"]) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    scoring.scores["p1"][3] = subject("u4", "40.005", "39")
    event = uuid.uuid4()
    assert (await deliver(ranking, "p1", scoring, event))["changed"] == 1
    period = (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()
    assert (period["stale"], period["stale_reason"]) == (
        True, "the results changed after the 公示 of 2026-11-23 10:00 "
            "(UTC+08:00) (publication 1): 1 changed, 0 added, 0 removed")
    assert period["stale_since"] is not None
    chinese = (await ranking.get("/v1/periods/p1", headers={**AUDITOR, "Accept-Language": "zh-CN"})).json()
    assert chinese["stale_reason"] == ("2026年11月23日 10:00（北京时间） 公示（第 1 次）后结果有变化："
                                       "变动 1 个，新增 0 个，移除 0 个")
    trail = (await ranking.get("/v1/audit", params={"entity_id": "p1"}, headers=AUDITOR)).json()
    stale = [r for r in trail if r["action"] == "publication.stale"]
    assert [r["details"] for r in stale] == [{
        "reason": "the results changed after the 公示 of 2026-11-23 10:00 "
            "(UTC+08:00) (publication 1): 1 changed, 0 added, 0 removed",
        "publication": 1,
        "changed": ["u4"], "added": [], "removed": [],
        "cause": {"event": str(event), "score_set": 1, "causes": None, "scores_moved": ["u4"]}}]
    # the publication list still shows what was published, and says it no longer holds
    rows = await _publication_csv(ranking)
    assert rows[0] == [*PUBLICATION_HEADERS, "公示状态"]
    assert rows[4] == ["4", "u4", "四中队", "乙组", "70.01", "1", "一般", "通报表扬", STALE]
    clock.now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # the window is over
    refused = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert (refused.status_code, refused.json()["error"]["message"]) == (409, (
        "the results of period p1 changed after they were published (公示): the results changed after the 公示 of "
        "2026-11-23 10:00 (UTC+08:00) (publication 1): 1 changed, 0 added, 0 removed; publish them again "
        "before 审定"))
    refused = await ranking.post("/v1/periods/p1/finalize", headers={**OFFICE, "Accept-Language": "zh-CN"})
    assert refused.json()["error"]["message"] == (  # the stored reason inside the message, in Chinese too
        "考核周期 p1 的结果在公示后发生了变化：2026年11月23日 10:00（北京时间） 公示（第 1 次）后结果有变化："
        "变动 1 个，新增 0 个，移除 0 个；审定前请重新公示")
    too_short = await ranking.post("/v1/periods/p1/publication", json={"working_days": 1}, headers=OFFICE)
    assert too_short.json()["error"]["message"] == ("the scheme sets a re-publication at 2 working days at least "
                                                    "(publication.republication_working_days); 1 is too short")
    second = (await ranking.post("/v1/periods/p1/publication", json={}, headers=OFFICE)).json()
    # Saturday 11-28 10:00 + 2 working days: Mon 11-30, Tue 12-01; ends Wednesday 00:00 Shanghai
    assert (second["publication_days"], second["publication_sequence"], second["stale"]) == (2, 2, False)
    assert second["stale_reason"] is None
    from services.ranking.app import app

    async with app.state.db.sessionmaker() as session:  # cleared: SQL NULL, not a JSON null
        assert (await session.execute(text("SELECT stale_reason IS NULL, publication_calendar_note IS NULL "
                                           "FROM ranking.ranked_period WHERE id = 'p1'"))).one() == (True, True)
    assert _at(second["publication_ends_at"]) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    rows = await _publication_csv(ranking)
    assert rows[0] == PUBLICATION_HEADERS
    assert rows[4] == ["4", "u4", "四中队", "乙组", "79.01", "1", "一般", "通报表扬"]
    clock.now = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).status_code == 200
    trail = (await ranking.get("/v1/audit", params={"entity_id": "p1"}, headers=AUDITOR)).json()
    assert [(r["action"], (r["details"] or {}).get("republication")) for r in trail] == [
        ("period.published", False), ("publication.stale", None), ("period.published", True),
        ("period.finalized", None)]


async def test_a_subject_withdrawn_after_publication_makes_it_stale(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    """A withdrawal that reached scoring before ranking's publication did (the event crossed it)."""
    await _published(ranking, scoring)
    scoring.scores["p1"] = first_scores()[:3]
    assert (await deliver(ranking, "p1", scoring))["removed"] == 1
    period = (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()
    assert (period["stale"], period["stale_reason"]) == (
        True, "the results changed after the 公示 of 2026-11-23 10:00 "
            "(UTC+08:00) (publication 1): 0 changed, 0 added, 1 removed")
    assert [r[1] for r in (await _publication_csv(ranking))[1:]] == ["u1", "u2", "u3", "u4"]  # as published


async def test_scores_changed_after_approval_mark_the_period_stale_with_the_reason(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    await _finalized(ranking, scoring, clock)
    scoring.scores["p1"][3] = subject("u4", "60", "39")
    await deliver(ranking, "p1", scoring)
    period = (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()
    assert (period["stale"], period["stale_reason"]) == (
        True, "the scores changed after 审定 (finalized); reopen the period to take them")
    chinese = (await ranking.get("/v1/periods/p1", headers={**AUDITOR, "Accept-Language": "zh-CN"})).json()
    assert chinese["stale_reason"] == "审定后得分有变化；须重新开启本考核周期后方可采用"
    trail = (await ranking.get("/v1/audit", params={"entity_id": "p1"}, headers=AUDITOR)).json()
    assert [r["action"] for r in trail][-1] == "publication.stale"


async def _nothing_written(ranking: httpx.AsyncClient, status: str, actions: list[str], outbox: int,
                           snapshots: int) -> None:
    period = (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()
    assert period["status"] == status
    trail = (await ranking.get("/v1/audit", params={"entity_id": "p1"}, headers=AUDITOR)).json()
    assert [r["action"] for r in trail if r["action"].startswith("period.")] == actions
    assert len(await _outbox(ranking)) == outbox
    assert len((await ranking.get("/v1/periods/p1/snapshots", headers=AUDITOR)).json()) == snapshots


async def test_publishing_is_refused_clearly_while_a_chain_head_cannot_be_read(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """公示 records the three chains' heads; without evidence's it is refused (503 naming evidence, nothing written)
    and succeeds once evidence answers again."""
    await _computed(ranking, scoring)
    before = len(await _outbox(ranking))
    for failure, cause in ((httpx.ConnectError("refused"), "evidence is not reachable: ConnectError"),
                           (httpx.Response(404, json={}), "evidence does not know /v1/audit/head"),
                           (httpx.Response(200, json={"sequence": 3}), "answered GET /v1/audit/head without a head")):
        scoring.heads_down = {"evidence": failure}
        refused = await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
        error = refused.json()["error"]
        assert (refused.status_code, error["code"], error["details"]) == (
            503, "unavailable", {"service": "evidence", "missing": "audit_chain_head"})
        assert error["message"].startswith("period p1 was not published (公示): the head of evidence's audit chain "
                                           "cannot be read (")
        assert cause in error["message"] and "nothing was written" in error["message"]
        await _nothing_written(ranking, "computed", [], before, 0)
    scoring.heads_down = {}
    published = await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    assert (published.status_code, published.json()["status"]) == (200, "published")
    trail = (await ranking.get("/v1/audit", params={"entity_id": "p1"}, headers=AUDITOR)).json()
    assert sorted(trail[-1]["details"]["chain_heads"]) == ["evidence", "ranking", "scoring"]


async def test_finalizing_is_refused_clearly_while_a_chain_head_cannot_be_read(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """审定 freezes the three chains' heads into the snapshot; without scoring's it is refused (503 naming scoring,
    no snapshot, the period still published) and succeeds once scoring answers again."""
    await _published(ranking, scoring)
    clock.now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    before = len(await _outbox(ranking))
    scoring.heads_down = {"scoring": httpx.Response(500, json={"error": {"code": "internal_error"}})}
    refused = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    error = refused.json()["error"]
    assert (refused.status_code, error["details"]) == (503, {"service": "scoring", "missing": "audit_chain_head"})
    assert error["message"] == (
        "period p1 was not finalized (审定): the head of scoring's audit chain cannot be read (scoring answered 500 to "
        "GET /v1/audit/head). Every 公示 and 审定 records the heads of the three audit chains, so that a later cut of "
        "a chain shows; nothing was written, try again once scoring answers")
    chinese = await ranking.post("/v1/periods/p1/finalize", headers={**OFFICE, "Accept-Language": "zh-CN"})
    assert (chinese.status_code, chinese.json()["error"]["message"]) == (503, (
        "考核周期 p1 未能审定：无法读取 scoring 服务审计链的链头（scoring 服务对 GET /v1/audit/head 返回了 500）。"
        "每次公示和审定都要记录三条审计链的链头，以便日后发现链被截断；本次未写入任何内容，"
        "请待 scoring 服务恢复后重试"))
    await _nothing_written(ranking, "published", ["period.published"], before, 0)
    scoring.heads_down = {}
    snapshot = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert snapshot.status_code == 200, snapshot.text
    document = json.loads((await ranking.get("/v1/periods/p1/snapshots/1", headers=AUDITOR)).content)
    assert document["chain_heads"]["scoring"] == {"sequence": 0, "id": None, "hash": "0" * 64}


async def test_a_subject_has_at_most_three_open_objections_in_a_period(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """Regression (attacker probe): 15 open objections from one subject were accepted, each one blocking 审定.
    KAOHE_OBJECTIONS_OPEN_PER_SUBJECT (3): the fourth open one is 409 with details.limit until one is answered;
    another subject, even of the same unit account's district, has its own three."""
    await _published(ranking, scoring)
    filed = []
    for n in range(3):
        response = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": f"异议{n}"},
                                      headers=U4_UNIT)
        assert response.status_code == 201, response.text
        filed.append(response.json()["id"])
    fourth = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "异议3"},
                                headers=U4_UNIT)
    assert fourth.status_code == 409
    assert fourth.json()["error"] == {
        "code": "conflict", "details": {"limit": 3},
        "message": "subject u4 already has 3 open objections in period p1; another can be filed once one is answered"}
    u3_unit = {"Authorization": f"Bearer {token_for(('subject', 'city/d2/u3'), subject='u3-account')}"}
    other = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u3", "text": "x"}, headers=u3_unit)
    assert other.status_code == 201
    answered = await ranking.post(f"/v1/objections/{filed[0]}/answer", json={"answer": "已复核"}, headers=OFFICE)
    assert answered.status_code == 200, answered.text
    again = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "异议3"},
                               headers=U4_UNIT)
    assert again.status_code == 201
    listed = await ranking.get("/v1/periods/p1/objections", params={"subject_id": "u4"}, headers=OFFICE)
    assert sorted(o["status"] for o in listed.json()["items"]) == ["answered", "open", "open", "open"]


async def test_an_objection_is_answered_by_someone_else(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    """Four-eyes (四眼原则): the person who filed an objection, or the subject it is about, does not answer it,
    even with admin over the subject; another admin does."""
    await _published(ranking, scoring)
    both = auth(("submitter", "city/d2/u4"), ("admin", "city/d2"), subject="u4-liaison")
    filed = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "服务评价有误"},
                               headers=both)
    assert (filed.status_code, filed.json()["filed_by"]) == (201, "u4-liaison"), filed.text
    answer_path = f"/v1/objections/{filed.json()['id']}/answer"
    refused = await ranking.post(answer_path, json={"answer": "维持"}, headers=both)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, "u4-liaison filed this objection or is its subject; an objection is answered by someone else "
             "(four-eyes principle)")
    chinese = await ranking.post(answer_path, json={"answer": "维持"}, headers={**both, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"]["message"] == "u4-liaison 是该异议的提出人或异议对象；异议须由他人答复（四眼原则）"
    himself = {"Authorization": f"Bearer {token_for(('admin', 'city'), subject='u4-head', subject_ids=('u4',))}"}
    assert (await ranking.post(answer_path, json={"answer": "维持"}, headers=himself)).status_code == 403
    answered = await ranking.post(answer_path, json={"answer": "已复核,维持原评分"}, headers=OFFICE)
    assert (answered.status_code, answered.json()["status"], answered.json()["answered_by"]) == (
        200, "answered", "office")


async def test_publishing_again_with_nothing_changed_is_refused(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """Monday 2026-11-23 10:00 Shanghai, 5 working days: the 公示 ends Saturday 00:00 (11-27 16:00Z). Publishing
    again with the same results is refused; u4 30 → 39 makes it stale (allowed), and back to 30 current again
    (refused again); a first 公示 after a reopening is allowed with unchanged results."""
    await _published(ranking, scoring)
    refusal = {"code": "conflict", "message": (
        "the results of period p1 are still those its 公示 (publication 1) shows; a re-publication is only for "
        "results that changed after the 公示"),
        "details": {"publication": 1, "stale": False, "publication_ends_at": "2026-11-27T16:00:00+00:00"}}
    again = await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    assert (again.status_code, again.json()["error"]) == (409, refusal)
    chinese = await ranking.post("/v1/periods/p1/publication", json={}, headers={**OFFICE, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"]["message"] == (
        "考核周期 p1 的结果仍与其公示（第 1 次）一致；只有公示后结果发生变化才可重新公示")
    scoring.scores["p1"][3] = subject("u4", "40.005", "39")
    await deliver(ranking, "p1", scoring)
    scoring.scores["p1"][3] = subject("u4", "40.005", "30")
    await deliver(ranking, "p1", scoring)
    assert (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()["stale"] is False
    assert (await ranking.post("/v1/periods/p1/publication", json={}, headers=OFFICE)).json()["error"] == refusal
    statuses = [e.payload["status"] for e in await _outbox(ranking) if e.destination == "scoring"]
    assert statuses == ["published"]  # one 公示, announced once


async def test_a_re_publication_never_ends_before_the_window_in_progress(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """The scheme: 5 working days, a re-publication 2. Published Monday 2026-11-23 10:00 Shanghai, announced until
    Saturday 00:00 (11-27 16:00Z). On Tuesday 11-24 u4 changes: 2 working days (Tue, Wed) would end Thursday 00:00
    (11-25 16:00Z), before the announced end: refused. Left out, the days grow until the end is not earlier: 3 ends
    11-26 16:00Z, 4 (Tue..Fri) ends 11-27 16:00Z: 4 days."""
    scoring.add_period("p1", PUBLISHING, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)
    first = (await ranking.post("/v1/periods/p1/publication", json={}, headers=OFFICE)).json()
    assert _at(first["publication_ends_at"]) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    clock.now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    scoring.scores["p1"][3] = subject("u4", "40.005", "39")
    await deliver(ranking, "p1", scoring)
    cut = await ranking.post("/v1/periods/p1/publication", json={"working_days": 2}, headers=OFFICE)
    assert (cut.status_code, cut.json()["error"]["message"]) == (422, (
        "the 公示 in progress (publication 1) was announced until 2026-11-27T16:00:00+00:00; a re-publication may "
        "not end before it: give more working days, or leave them out"))
    second = (await ranking.post("/v1/periods/p1/publication", json={}, headers=OFFICE)).json()
    assert (second["publication_days"], second["publication_sequence"]) == (4, 2)
    assert _at(second["publication_ends_at"]) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


async def test_a_reopened_period_shows_its_last_publication_marked_as_superseded(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """Published, approved (审定), then reopened and u4's service score corrected (30 → 39: 79.005 → 79.01): until it
    is published again, u4's own account still reads its result as published (70.01, rank 1, 一般, 通报表扬), and so
    do the publication list, with 公示状态 saying it was superseded by the reopening, and the public 公示; the
    office reads the corrected current result."""
    await _finalized(ranking, scoring, clock)
    assert (await ranking.post("/v1/periods/p1/reopen", json={"reason": "更正四中队服务评价"},
                               headers=OFFICE)).status_code == 200
    scoring.scores["p1"][3] = subject("u4", "40.005", "39")
    assert (await deliver(ranking, "p1", scoring))["changed"] == 1
    own = await ranking.get("/v1/periods/p1/results/u4", headers=U4_UNIT)
    assert own.status_code == 200, own.text
    assert (own.json()["total"], own.json()["rank"], own.json()["grade"], own.json()["labels"]) == (
        "70.01", 1, "一般", ["通报表扬"])
    assert (await ranking.get("/v1/periods/p1/results/u4", headers=OFFICE)).json()["total"] == "79.01"
    listed = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "csv"},
                               headers={**U4_UNIT, "Accept-Language": "zh-CN"})
    assert listed.status_code == 200, listed.text
    assert list(csv.reader(io.StringIO(listed.content.decode("utf-8-sig")))) == [
        [*PUBLICATION_HEADERS, "公示状态"],
        ["1", "u4", "四中队", "乙组", "70.01", "1", "一般", "通报表扬", "已被取代：审定后已重新打开更正，待重新公示"]]
    english = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "csv"},
                                headers={**U4_UNIT, "Accept-Language": "en"})
    assert english.content.decode("utf-8-sig").splitlines()[1].endswith(
        "Superseded: the period was reopened after approval (审定) for a correction; to be published again")
    public = (await ranking.get("/v1/periods/p1/publication/public", headers=system_headers())).json()
    assert (public["status"], public["reopened"], public["stale"], public["sequence"]) == ("computed", True, False, 1)
    assert [row["total"] for row in public["rows"]] == ["95.13", "92.50", "81.00", "70.01"]


async def test_open_appeals_and_pending_reviews_in_evidence_block_finalization(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """审定 asks evidence what of the period is still open: an open appeal or a submission pending review refuses
    it (409 naming both counts, nothing written), evidence not answering refuses it (503), and once both counts are
    zero the period is finalized."""
    await _published(ranking, scoring)
    clock.now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # the window (Mon 11-23 .. Fri 11-27) is over
    before = len(await _outbox(ranking))
    scoring.open_work["p1"] = {"open_appeals": 1, "pending_submissions": 2}
    refused = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    error = refused.json()["error"]
    assert (refused.status_code, error["code"], error["details"]) == (
        409, "conflict", {"open_appeals": 1, "pending_submissions": 2})
    assert error["message"] == (
        "period p1 still has work open in evidence: open appeals (申诉) 1, submissions pending review 2; answer the "
        "appeals and finish the reviews (approve, return or reject each submission) first, then finalize (审定)")
    chinese = await ranking.post("/v1/periods/p1/finalize", headers={**OFFICE, "Accept-Language": "zh-CN"})
    assert (chinese.status_code, chinese.json()["error"]["message"]) == (409, (
        "考核周期 p1 在 evidence 服务中仍有未办结事项：未答复的申诉 1 件，待审核的报送材料 2 件；"
        "请先答复申诉、办结审核（逐件通过、退回或驳回），再审定"))
    scoring.open_work["p1"] = {"open_appeals": 0, "pending_submissions": 1}  # the appeal answered, one review left
    assert (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).json()["error"]["details"] == {
        "open_appeals": 0, "pending_submissions": 1}
    await _nothing_written(ranking, "published", ["period.published"], before, 0)
    del scoring.open_work["p1"]
    for failure, cause in ((httpx.ConnectError("refused"), "evidence is not reachable: ConnectError"),
                           (httpx.Response(404, json={}), "evidence does not know /v1/periods/p1/open-work"),
                           (httpx.Response(200, json={"open_appeals": 0}), "without the counts")):
        scoring.open_work_down = failure
        down = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
        assert (down.status_code, down.json()["error"]["details"]) == (
            503, {"service": "evidence", "missing": "open_work"})
        assert down.json()["error"]["message"].startswith(
            "period p1 was not finalized (审定): evidence cannot tell whether appeals or reviews of the period are "
            "still open (")
        assert cause in down.json()["error"]["message"]
        await _nothing_written(ranking, "published", ["period.published"], before, 0)
    scoring.open_work_down = None
    finalized = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert (finalized.status_code, finalized.json()["sequence"]) == (200, 1)


async def test_an_objection_after_finalization_is_told_the_results_are_final(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    """The subject objecting after 审定 is told the results are final, not to reopen the period (the office's act)."""
    await _finalized(ranking, scoring, clock)
    late = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "再议"}, headers=U4_UNIT)
    assert (late.status_code, late.json()["error"]["message"]) == (
        409, "period p1 is finalized (审定): its results are final and objections are closed")
    chinese = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "再议"},
                                 headers={**U4_UNIT, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"]["message"] == "考核周期 p1 已审定：考核结果已定，异议渠道已关闭"
