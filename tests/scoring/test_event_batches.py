"""Events in batches (stop 26): evidence's relay sends a run of consecutive `fact.changed` events to scoring's
`POST /events/batch`, which applies them in their order and in one transaction, each at most once, so a file of
facts makes one recompute instead of one per fact; a refused batch is sent again one event at a time, one without
an answer backs off whole."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from services.common.db import session_scope
from services.common.outbox import OutboxRelay, enqueue
from services.evidence.models import common as evidence_common
from services.scoring.periods.models import Period
from services.scoring.scores.recomputer import Recomputer
from tests.scoring.conftest import FACTS, admin, app_cache, app_db, fact_event, ok, service_headers

Outbox = evidence_common.outbox


async def test_a_batch_is_applied_in_order_each_event_once_and_recomputed_once(period: httpx.AsyncClient) -> None:
    """p2's work score (40 in the period's facts) corrected three times in one batch, revisions 1, 2, 3 (41, 42,
    43), and the first event again: the three are applied, the repeat is not, and one recompute takes 43."""
    events = [fact_event("upsert", {**FACTS[1], "points": points}, revision=revision)
              for revision, points in ((1, "41"), (2, "42"), (3, "43"))]
    answer = await ok(await period.post("/events/batch", json={"events": [*events, events[0]]},
                                        headers=service_headers()))
    assert answer == {"events": [{"applied": True}, {"applied": True}, {"applied": True},
                                 {"applied": False, "duplicate": True}]}
    assert await Recomputer(app_db(), app_cache(), quiet_seconds=0).run_due() == 1
    body = await ok(await period.get("/v1/periods/q1/scores", headers=service_headers()))
    assert body["score_set"] == 1
    assert {s["id"]: s["scores"]["work"] for s in body["subjects"]} == {"p1": "50", "p2": "43"}
    again = await ok(await period.post("/events", json=events[2], headers=service_headers()))
    assert again == {"applied": False, "duplicate": True}  # the batch's events are in the inbox like any other


async def test_a_batch_needs_a_service_and_at_most_500_events(period: httpx.AsyncClient) -> None:
    event = fact_event("upsert", FACTS[0])
    assert (await period.post("/events/batch", json={"events": [event]})).status_code == 401
    person = await period.post("/events/batch", json={"events": [event]}, headers=admin())  # admin over everything
    assert person.status_code == 403
    too_many = {"events": [fact_event("upsert", FACTS[0]) for _ in range(501)]}
    assert (await period.post("/events/batch", json=too_many, headers=service_headers())).status_code == 422
    assert (await period.post("/events/batch", json={"events": []}, headers=service_headers())).status_code == 422


class Scoring:
    """Scoring's two event routes, faked: `/events/batch` answers `batch_status`; every request is recorded."""

    def __init__(self, batch_status: int) -> None:
        self.batch_status = batch_status
        self.requests: list[tuple[str, Any]] = []
        self.more: list[bool] = []  # each batch's `more`

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path == "/events/batch":
            self.more.append(body.get("more", False))
        self.requests.append((request.url.path, [e["payload"]["n"] for e in body["events"]]
                              if request.url.path == "/events/batch" else body["payload"]["n"]))
        if request.url.path == "/events/batch" and self.batch_status != 200:
            return httpx.Response(self.batch_status, json={"error": {"code": "conflict"}})
        return httpx.Response(200, json={"applied": True})


async def _enqueued(db: Any) -> list[uuid.UUID]:
    """Five events, claimed in this order (a second apart): fact.changed 1, 2, 3, a notice 4, fact.changed 5."""
    ids = []
    async for session in session_scope(db):
        for n, topic in ((1, "fact.changed"), (2, "fact.changed"), (3, "fact.changed"), (4, "notify"),
                         (5, "fact.changed")):
            ids.append(enqueue(session, Outbox, destination="scoring", topic=topic, payload={"n": n}))
        await session.flush()
        start = datetime.now(UTC) - timedelta(minutes=1)
        for n, event_id in enumerate(ids):
            await session.execute(update(Outbox).where(Outbox.id == event_id)
                                  .values(created_at=start + timedelta(seconds=n)))
    return ids


async def _delivered_once(db: Any, batch_status: int) -> tuple[list[uuid.UUID], Scoring]:
    """The five events enqueued, then one round of evidence's relay (batching fact.changed) against `Scoring`."""
    ids = await _enqueued(db)
    scoring = Scoring(batch_status)
    relay = OutboxRelay(db, Outbox, source="evidence", resolve_url=lambda name: f"http://{name}",
                        transport=httpx.MockTransport(scoring), batched_topics=frozenset({"fact.changed"}))
    assert await relay.deliver_batch() == 5
    await relay.stop()
    return ids, scoring


async def _delivered(db: Any, ids: list[uuid.UUID]) -> list[bool]:
    async with db.sessionmaker() as session:
        rows = {row.id: row for row in (await session.scalars(select(Outbox).where(Outbox.id.in_(ids)))).all()}
    return [rows[i].delivered_at is not None and rows[i].attempts == 1 for i in ids]


async def test_the_relay_sends_runs_of_batched_topics_together(service_db: Any) -> None:
    db = await service_db("evidence")
    ids, scoring = await _delivered_once(db, 200)
    assert scoring.requests == [("/events/batch", [1, 2, 3]), ("/events", 4), ("/events", 5)]
    assert await _delivered(db, ids) == [True] * 5


async def test_a_batch_says_more_when_more_of_its_topics_wait_behind_it(service_db: Any) -> None:
    """A relay claiming three events at a time: the first claim (fact.changed 1, 2, 3) is full and more
    fact.changed wait behind it (5; the notice 4 does not count), so its batch says `more`; the second claim (4,
    then 5 alone) was not full. The five enqueued again with a relay claiming all: nothing waits behind 1, 2, 3
    but 5, in the same claim: `more` again."""
    db = await service_db("evidence")
    ids = await _enqueued(db)
    scoring = Scoring(200)
    relay = OutboxRelay(db, Outbox, source="evidence", resolve_url=lambda name: f"http://{name}", batch_size=3,
                        transport=httpx.MockTransport(scoring), batched_topics=frozenset({"fact.changed"}))
    assert (await relay.deliver_batch(), await relay.deliver_batch()) == (3, 2)
    assert scoring.requests == [("/events/batch", [1, 2, 3]), ("/events", 4), ("/events", 5)]
    assert scoring.more == [True]
    assert await _delivered(db, ids) == [True] * 5
    _ids, again = await _delivered_once(db, 200)
    assert again.more == [True]
    await relay.stop()


async def test_a_batch_with_nothing_behind_it_says_no_more(service_db: Any) -> None:
    """Three fact.changed alone in the outbox, claimed by a relay taking three at a time: a full claim, but
    nothing waits behind it."""
    db = await service_db("evidence")
    async for session in session_scope(db):
        for n in (1, 2, 3):
            enqueue(session, Outbox, destination="scoring", topic="fact.changed", payload={"n": n})
    scoring = Scoring(200)
    relay = OutboxRelay(db, Outbox, source="evidence", resolve_url=lambda name: f"http://{name}", batch_size=3,
                        transport=httpx.MockTransport(scoring), batched_topics=frozenset({"fact.changed"}))
    assert await relay.deliver_batch() == 3
    [(path, numbers)] = scoring.requests  # one transaction's events share created_at: claimed in id order
    assert (path, sorted(numbers), scoring.more) == ("/events/batch", [1, 2, 3], [False])
    await relay.stop()


async def test_a_refused_batch_is_sent_again_one_event_at_a_time(service_db: Any) -> None:
    db = await service_db("evidence")
    ids, scoring = await _delivered_once(db, 409)
    assert scoring.requests == [("/events/batch", [1, 2, 3]), ("/events", 1), ("/events", 2), ("/events", 3),
                                ("/events", 4), ("/events", 5)]
    assert await _delivered(db, ids) == [True] * 5


async def test_a_batch_without_an_answer_backs_off_whole(service_db: Any) -> None:
    """Scoring down (503) or too slow: the three events back off together (attempt 1, due again in 1 s) and are
    not sent alone; the others are delivered as usual."""
    db = await service_db("evidence")
    ids, scoring = await _delivered_once(db, 503)
    assert scoring.requests == [("/events/batch", [1, 2, 3]), ("/events", 4), ("/events", 5)]
    assert await _delivered(db, ids) == [False, False, False, True, True]
    async with db.sessionmaker() as session:
        waiting = (await session.scalars(select(Outbox).where(Outbox.id.in_(ids[:3])))).all()
    assert all(row.attempts == 1 and row.available_at > datetime.now(UTC) and "503" in row.last_error
               for row in waiting)


async def test_changes_of_one_fact_in_a_batch_count_as_one_after_the_other(period: httpx.AsyncClient) -> None:
    """p2's work score at revision 2 (42), then an older revision 1 (41, refused as one alone would be), then
    revision 2 again (44, an equal revision replaces), and p1's f1 retracted: the stored copies are what the four
    one by one leave (p2 44, p1 without the work fact), written once each."""
    events = [fact_event("upsert", {**FACTS[1], "points": "42"}, revision=2),
              fact_event("upsert", {**FACTS[1], "points": "41"}, revision=1),
              fact_event("upsert", {**FACTS[1], "points": "44"}, revision=2),
              fact_event("retract", FACTS[0], revision=1)]
    answer = await ok(await period.post("/events/batch", json={"events": events}, headers=service_headers()))
    assert answer == {"events": [{"applied": True}, {"applied": False}, {"applied": True}, {"applied": True}]}
    assert await Recomputer(app_db(), app_cache(), quiet_seconds=0).run_due() == 1
    body = await ok(await period.get("/v1/periods/q1/scores", headers=service_headers()))
    assert {s["id"]: s["scores"]["work"] for s in body["subjects"]} == {"p1": "0", "p2": "44"}
    older = fact_event("upsert", {**FACTS[1], "points": "40"}, revision=1)
    assert await ok(await period.post("/events", json=older, headers=service_headers())) == {"applied": False}


async def _due(period_id: str = "q1") -> datetime | None:
    async with app_db().sessionmaker() as session:
        due: datetime | None = await session.scalar(select(Period.recompute_due_at).where(Period.id == period_id))
    return due


async def test_a_batch_with_more_behind_it_holds_the_recompute_until_the_last(period: httpx.AsyncClient) -> None:
    """A batch saying `more` marks q1 due 15 s on (nothing to recompute now); the next batch with `more` holds it
    again; the last batch (no `more`) makes it due at once, and one recompute takes all three."""
    recomputer = Recomputer(app_db(), app_cache(), quiet_seconds=0)
    assert await recomputer.run_due() == 1  # the facts of the fixture
    first = [fact_event("upsert", {**FACTS[1], "points": "41"}, revision=1)]
    second = [fact_event("upsert", {**FACTS[0], "points": "51"}, revision=1)]
    last = [fact_event("upsert", {**FACTS[1], "points": "43"}, revision=2)]
    sent = datetime.now(UTC)
    await ok(await period.post("/events/batch", json={"events": first, "more": True}, headers=service_headers()))
    held = await _due()
    assert held is not None and sent + timedelta(seconds=14) < held <= datetime.now(UTC) + timedelta(seconds=15)
    assert await recomputer.run_due() == 0
    await ok(await period.post("/events/batch", json={"events": second, "more": True}, headers=service_headers()))
    assert (await _due() or sent) >= held
    assert await recomputer.run_due() == 0
    await ok(await period.post("/events/batch", json={"events": last}, headers=service_headers()))
    assert (await _due() or held) <= datetime.now(UTC)
    assert await recomputer.run_due() == 1
    body = await ok(await period.get("/v1/periods/q1/scores", headers=service_headers()))
    assert {s["id"]: s["scores"]["work"] for s in body["subjects"]} == {"p1": "51", "p2": "43"}
    assert body["score_set"] == 2


async def test_a_held_batch_never_delays_a_change_due_already(period: httpx.AsyncClient) -> None:
    """q1 is due (the fixture's facts, not recomputed yet): a batch with `more` leaves it due, and a batch whose
    changes all were older than the stored ones holds nothing; a batch with `more` that the sender never follows
    is recomputed once its hold ran out."""
    before = await _due()
    assert before is not None and before <= datetime.now(UTC)
    batch = [fact_event("upsert", {**FACTS[1], "points": "41"}, revision=1)]
    await ok(await period.post("/events/batch", json={"events": batch, "more": True}, headers=service_headers()))
    assert (await _due() or datetime.max.replace(tzinfo=UTC)) <= datetime.now(UTC)
    recomputer = Recomputer(app_db(), app_cache(), quiet_seconds=0)
    assert await recomputer.run_due() == 1
    stale = [fact_event("upsert", {**FACTS[1], "points": "39"}, revision=0)]
    answer = await ok(await period.post("/events/batch", json={"events": stale, "more": True},
                                        headers=service_headers()))
    assert answer == {"events": [{"applied": False}]} and await _due() is None
    await ok(await period.post("/events/batch", json={"events": [fact_event(
        "upsert", {**FACTS[1], "points": "45"}, revision=2)], "more": True}, headers=service_headers()))
    assert await recomputer.run_due() == 0
    assert await recomputer.run_due(datetime.now(UTC) + timedelta(seconds=16)) == 1
    body = await ok(await period.get("/v1/periods/q1/scores", headers=service_headers()))
    assert {s["id"]: s["scores"]["work"] for s in body["subjects"]} == {"p1": "50", "p2": "45"}


async def test_a_batch_that_does_not_continue_a_held_period_releases_it(period: httpx.AsyncClient) -> None:
    """q1 held by a batch with `more`; the sender's next batch is about q2 only (its own `more` holds q2): q1 is
    due at once and recomputed, q2 waits for its next batch."""
    await ok(await period.post("/v1/periods", json={"id": "q2", "scheme_id": "tiny", "scheme_version": 1,
                                                    "label": "2026-Q2", "subjects": [{"id": "p1", "group": "A"}]},
                               headers=admin()), 201)
    recomputer = Recomputer(app_db(), app_cache(), quiet_seconds=0)
    assert await recomputer.run_due() == 2  # q1 with the fixture's facts, q2 just opened
    q1 = [fact_event("upsert", {**FACTS[1], "points": "41"}, revision=1)]
    await ok(await period.post("/events/batch", json={"events": q1, "more": True}, headers=service_headers()))
    assert await recomputer.run_due() == 0
    q2 = [fact_event("upsert", {**FACTS[0], "points": "70"}, period_id="q2")]
    await ok(await period.post("/events/batch", json={"events": q2, "more": True}, headers=service_headers()))
    assert (await _due("q1") or datetime.max.replace(tzinfo=UTC)) <= datetime.now(UTC)
    assert (await _due("q2") or datetime.min.replace(tzinfo=UTC)) > datetime.now(UTC) + timedelta(seconds=14)
    assert await recomputer.run_due() == 1
    body = await ok(await period.get("/v1/periods/q1/scores", headers=service_headers()))
    assert {s["id"]: s["scores"]["work"] for s in body["subjects"]} == {"p1": "50", "p2": "41"}
