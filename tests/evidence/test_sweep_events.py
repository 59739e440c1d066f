"""The events the periodic sweep raises (issue 18): review due soon and overdue at the working-day deadlines,
journal missing, rating task closing (and closed), rectification notice overdue — each exactly once however
often the sweep runs, in the event log and at a real receiver.

Business time is moved with the stack's controllable clock (KAOHE_CLOCK_FILE holds an offset from the system
time), and the sweep is `sweep_once` without a moment: what the app's background loop runs. Every instant below
is worked out by hand for Asia/Shanghai (UTC+8), with no holiday in early March 2026:

- The submission is made Mon 03-02 09:00 local. Its first level has 2 working days: Tue 03, Wed 04, so it is due
  Wed 03-04 23:59:59.999999 local = 15:59:59.999999Z; the second level's 3 working days start when the first
  ran out: Thu 05, Fri 06, (Sat, Sun) Mon 09, due 03-09 15:59:59.999999Z. "Due soon" is less than a day before.
- Journals are due on the Monday after the week at 23:59:59 local: W09 (02-23..03-01) on 03-02 = 15:59:59Z,
  W10 (03-02..08) on 03-09 = 15:59:59Z.
- The rating task closes Thu 03-05 18:00 local = 10:00Z; "closing" is less than a day before.
- The rectification notice's deadline is Wed 03-04; it is overdue from Thu 03-05 00:00 local = 03-04 16:00Z.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.common.settings import get_settings
from services.evidence.reviews.sweeper import sweep_once
from services.evidence.webhooks.models import EventRecord
from tests.conftest import auth
from tests.evidence.conftest import SCORE, Stack
from tests.evidence.receiver import Receiver
from tests.evidence.webhook_stack import dispatcher, subscribe, until
from tests.scoring.conftest import service_headers

ADMIN = auth(("admin", ""), subject="office")
ASSESSOR_A = auth(("assessor", "city/a"), subject="assessor-a")
CHAIN = {"indicator": "regular", "levels": [{"name": "科室负责人", "working_days": 2},
                                            {"name": "分管领导", "scope": "city", "working_days": 3}]}
TASK = {"period_id": "2026-Q1", "indicator": "peer", "kind": "mutual", "scope": "city", "grades": ["好", "一般"],
        "round": 1, "closes_at": "2026-03-05T18:00:00+08:00", "subject_ids": ["ua", "ub"],
        "raters": [{"rater": "head-a", "level": "单位负责人", "unit_path": "city/a"}]}
NOTICE = {"period_id": "2026-Q1", "subject_id": "ua", "checked_at": "2026-03-02T10:00:00+08:00",
          "problem": "值班记录不全", "opinion": "限期补齐", "deadline": "2026-03-04",
          "follow_up": {"type": "rectification_overdue", "indicator": "attendance"}}


class BusinessClock:
    """Writes KAOHE_CLOCK_FILE so that business time is `moment` now (and runs on from there)."""

    def __init__(self, path: Path) -> None:
        self.path, self.writes = path, 0

    def set(self, iso: str) -> None:
        offset = datetime.fromisoformat(iso) - datetime.now(UTC)
        self.path.write_text(f"{offset.total_seconds():.6f}", encoding="utf-8")
        self.writes += 1
        os.utime(self.path, ns=(self.writes * 1_000_000_000, self.writes * 1_000_000_000))  # always a new mtime


@pytest.fixture
def business_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BusinessClock]:
    monkeypatch.setenv("KAOHE_CLOCK_FILE", str(tmp_path / "clock"))
    get_settings.cache_clear()
    yield BusinessClock(tmp_path / "clock")
    monkeypatch.delenv("KAOHE_CLOCK_FILE")
    get_settings.cache_clear()


async def _post(stack: Stack, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = await stack.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def _log(stack: Stack) -> list[EventRecord]:
    async with stack.db.sessionmaker() as session:
        return list((await session.scalars(select(EventRecord).order_by(EventRecord.seq))).all())


def _brief(row: EventRecord) -> tuple[Any, ...]:
    extra = row.notice.get("extra") or {}
    return (row.type, row.entity_id, extra.get("level"))


async def test_the_sweep_raises_each_deadline_event_once(stack: Stack, business_clock: BusinessClock) -> None:
    receiver = await Receiver().start()
    sender = dispatcher(stack.db)
    sender.start()
    try:
        await subscribe(stack, receiver.url, scope="city")
        business_clock.set("2026-03-02T09:00:00+08:00")
        assert (await stack.client.put("/v1/schemes/meiling/review-chains", json=CHAIN,
                                       headers=ADMIN)).status_code == 200
        sub = await _post(stack, "/v1/submissions", SCORE, ASSESSOR_A)
        assert sub["level_due_at"] == "2026-03-04T15:59:59.999999Z"
        task = await _post(stack, "/v1/rating-tasks", TASK, ADMIN)
        notice = await _post(stack, "/v1/rectifications", NOTICE, ASSESSOR_A)
        roster = {"period_id": "2026-Q1", "subject_ids": ["p001"], "first_week": "2026-W09", "last_week": "2026-W10"}
        assert await _post(stack, "/v1/journals/rosters", roster, ADMIN) == {"people": 1}
        seen = len(await _log(stack))
        assert [_brief(r) for r in await _log(stack)] == [
            ("submission.submitted", sub["id"], None), ("rating_task.opened", task["id"], None),
            ("rectification.issued", notice["id"], None)]

        async def sweep_at(iso: str) -> list[EventRecord]:
            """Sweep at that business moment; the events it logged."""
            nonlocal seen
            business_clock.set(iso)
            await sweep_once(stack.db)
            rows = await _log(stack)
            new, seen = rows[seen:], len(rows)
            return new

        w09, w10 = "2026-Q1/p001/2026-W09", "2026-Q1/p001/2026-W10"
        assert await sweep_at("2026-03-02T10:00:00+08:00") == []
        # Wed 00:30 local: the first level is due in 23.5 h; W09's journal was due Mon 23:59:59
        first = await sweep_at("2026-03-04T00:30:00+08:00")
        assert [_brief(r) for r in first] == [("journal.missing", w09, None), ("review.due_soon", sub["id"], 0)]
        assert first[0].occurred_at == datetime.fromisoformat("2026-03-02T15:59:59+00:00")
        assert first[1].notice["extra"]["due_at"] == "2026-03-04T15:59:59.999999+00:00"
        assert await sweep_at("2026-03-04T01:00:00+08:00") == []  # announced once, not on every sweep
        # Wed 20:00 local: the task closes in 22 h
        closing = await sweep_at("2026-03-04T20:00:00+08:00")
        assert [_brief(r) for r in closing] == [("rating_task.closing", task["id"], None)]
        assert closing[0].notice["extra"]["closes_at"] == "2026-03-05T10:00:00+00:00"
        # Thu 00:00:30 local: the first level ran out (taken as agreeing), the notice is overdue
        overdue = await sweep_at("2026-03-05T00:00:30+08:00")
        assert [_brief(r) for r in overdue] == [("review.overdue", sub["id"], 0),
                                                ("rectification.overdue", notice["id"], None)]
        assert overdue[0].occurred_at == datetime.fromisoformat("2026-03-04T15:59:59.999999+00:00")
        assert overdue[1].occurred_at == datetime.fromisoformat("2026-03-04T16:00:00+00:00")
        # each event carries the version the next write needs: the due-soon one the first (nothing changed yet),
        # the overdue one the version the sweep's default decision moved it to
        assert (first[1].notice["extra"]["version"], overdue[0].notice["extra"]["version"]) == (1, 2)
        assert await sweep_at("2026-03-05T00:05:00+08:00") == []
        closed = await sweep_at("2026-03-05T18:00:30+08:00")
        assert [_brief(r) for r in closed] == [("rating_task.closed", task["id"], None)]
        # Mon 03-09 00:30 local: the second level is due that day at 23:59:59.999999
        second = await sweep_at("2026-03-09T00:30:00+08:00")
        assert [_brief(r) for r in second] == [("review.due_soon", sub["id"], 1)]
        assert second[0].notice["extra"]["due_at"] == "2026-03-09T15:59:59.999999+00:00"
        assert await sweep_at("2026-03-09T12:00:00+08:00") == []
        # Tue 03-10 00:00:30 local: the last level agrees by default (the submission is approved); W10 is missing
        last = await sweep_at("2026-03-10T00:00:30+08:00")
        assert [_brief(r) for r in last] == [("review.overdue", sub["id"], 1), ("submission.approved", sub["id"], None),
                                             ("journal.missing", w10, None)]
        assert last[2].occurred_at == datetime.fromisoformat("2026-03-09T15:59:59+00:00")
        assert [r.notice["extra"]["version"] for r in (*second, *last[:2])] == [2, 3, 3]
        assert (await stack.client.get(f"/v1/submissions/{sub['id']}", headers=ADMIN)).json()["version"] == 3
        assert await sweep_at("2026-03-11T09:00:00+08:00") == []

        # the receiver got every event of the log once, no more
        log = await _log(stack)
        expected = {f"msg_{r.id.hex}" for r in log}
        await until(lambda: set(receiver.ids()) == expected)
        await sender.drain()
        assert sorted(receiver.ids()) == sorted(expected) and len(log) == 13
        assert {c.json["type"] for c in receiver.calls} >= {
            "review.due_soon", "review.overdue", "journal.missing", "rating_task.closing", "rectification.overdue"}
    finally:
        await sender.stop()
        await receiver.stop()


async def test_no_closing_announcement_for_a_finalized_period(stack: Stack, business_clock: BusinessClock) -> None:
    business_clock.set("2026-03-02T09:00:00+08:00")
    task = await _post(stack, "/v1/rating-tasks", TASK, ADMIN)
    finalized = {"id": "6d1f7f3e-5b8a-4a43-9d57-6a0c0f6f8d12", "source": "ranking", "topic": "period.status",
                 "payload": {"period_id": "2026-Q1", "status": "finalized"}}
    assert await _post(stack, "/events", finalized, service_headers("ranking")) == {"applied": True}
    business_clock.set("2026-03-04T20:00:00+08:00")  # 22 h before it would close
    await sweep_once(stack.db)
    business_clock.set("2026-03-06T09:00:00+08:00")  # past it: a frozen period's task stays open
    await sweep_once(stack.db)
    assert [_brief(r) for r in await _log(stack)] == [("rating_task.opened", task["id"], None)]
    assert (await stack.client.get(f"/v1/rating-tasks/{task['id']}", headers=ADMIN)).json()["status"] == "open"
