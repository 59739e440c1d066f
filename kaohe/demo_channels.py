"""How `kaohe demo` sends each sample fact through the endpoint an office would use for it.

Most facts are evidence submissions approved by their reviewer. Rating votes with a grade go
through rating tasks (the office opens a task per indicator and round, each rater answers their own
ballot, the office closes it and the ballots become facts). Weekly journals go through the journal
endpoints: the office puts the person on the roster, the person submits each week's journal (then
approved by the reviewer), a supervisor excuses a week, and the sweep records the weeks nobody
wrote as missing.

Journal deadlines are real: a week can be written only until its deadline, and only a week whose
deadline has passed can be swept as missing. The demo therefore replays each person's sample weeks
on weeks relative to the stack's clock (the missing ones on the weeks just past, the others from
the first week still open on); the journal rule does not read the week, so the scores equal the
sample's.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from services.common import clock
from services.common.auth import Grant, Principal

CONCURRENCY = 8


# Who decides on the demo's evidence: not the demo office that submitted it (four-eyes, docs/identity.md)
REVIEWER = Principal(subject="demo-reviewer", grants=(Grant("reviewer", ""),))


class Caller(Protocol):
    async def call(self, service: str, method: str, path: str, body: Any = None, *, ok: Sequence[int] = (),
                   principal: Principal | None = None) -> Any: ...


async def gather(jobs: Sequence[Awaitable[None]]) -> None:
    """Run the jobs (already bounded by their own semaphore); the first failure is raised."""
    results = await asyncio.gather(*jobs, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def is_task_rating(fact: dict[str, Any]) -> bool:
    """A vote a rater casts on a ballot: a grade (or an abstention), not points entered by an office."""
    return fact["fact"] == "rating" and fact.get("points") is None and isinstance(fact.get("round", 1), int)


async def rating_tasks(caller: Caller, *, period_id: str, scope: str, facts: list[dict[str, Any]],
                       subject_ids: dict[str, str], unit_paths: dict[str, str], scales: dict[str, list[str]],
                       tag: str, mutual: bool, advance: Callable[[], None]) -> None:
    """One rating task per (indicator, round): open it, let every rater answer, close it."""
    by_task: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        by_task[(fact["indicator"], int(fact.get("round", 1)))].append(fact)
    for (indicator, round_), votes in sorted(by_task.items()):
        await _one_task(caller, period_id=period_id, scope=scope, indicator=indicator, round_=round_, votes=votes,
                        subject_ids=subject_ids, unit_paths=unit_paths, grades=scales.get(indicator, []),
                        tag=tag, mutual=mutual, advance=advance)


async def _one_task(caller: Caller, *, period_id: str, scope: str, indicator: str, round_: int,
                    votes: list[dict[str, Any]], subject_ids: dict[str, str], unit_paths: dict[str, str],
                    grades: list[str], tag: str, mutual: bool, advance: Callable[[], None]) -> None:
    raters: dict[str, str] = {}  # sample rater → level
    for vote in votes:
        raters.setdefault(vote["rater"], str(vote.get("level") or "评议人"))
    seen = sorted({vote["grade"] for vote in votes if vote.get("grade") is not None})
    scale = grades or seen
    rated = sorted({subject_ids[vote["subject"]] for vote in votes})
    closes = (clock.now() + timedelta(days=30)).isoformat()  # the stack's business clock, as evidence checks it
    task = await caller.call("evidence", "POST", "/v1/rating-tasks", {
        "period_id": period_id, "indicator": indicator, "kind": "mutual" if mutual else "democratic",
        "scope": scope, "grades": scale, "round": round_, "closes_at": closes, "subject_ids": rated,
        "raters": [{"rater": _rater_id(tag, name), "level": level,
                    "unit_path": unit_paths.get(name, scope)} for name, level in sorted(raters.items())]})
    ballots: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for vote in votes:
        ballots[vote["rater"]].append({"subject_id": subject_ids[vote["subject"]], "grade": vote.get("grade")})
    gate = asyncio.Semaphore(CONCURRENCY)

    async def answer(name: str, answers: list[dict[str, Any]]) -> None:
        rater = Principal(subject=_rater_id(tag, name), grants=(Grant("rater", scope),),
                          subject_ids=(subject_ids[name],) if name in subject_ids else ())
        async with gate:
            await caller.call("evidence", "PUT", f"/v1/rating-tasks/{task['id']}/ballot", {"answers": answers},
                              principal=rater)
        for _ in answers:
            advance()

    await gather([answer(name, answers) for name, answers in sorted(ballots.items())])
    await caller.call("evidence", "POST", f"/v1/rating-tasks/{task['id']}/close", {"version": task["version"]})


def _rater_id(tag: str, name: str) -> str:
    return f"rater-{tag}-{name}"


def _week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def replayed_weeks(statuses: list[str], first_open: date) -> list[str]:
    """Weeks for one person's sample weeks, in order, without a gap: the others from `first_open` (the
    Monday of the first week still open for writing) on, the `missing` ones on the weeks just before it
    (their deadlines have passed, so the sweep records them)."""
    missing = sum(1 for status in statuses if status == "missing")
    past = iter([_week(first_open - timedelta(weeks=missing - n)) for n in range(missing)])
    future = iter([_week(first_open + timedelta(weeks=n)) for n in range(len(statuses))])
    return [next(past) if status == "missing" else next(future) for status in statuses]


def first_open_week(now: datetime) -> date:
    """The Monday of the earliest week whose journal may still be written at `now` (last week's deadline
    may not have passed yet), by the evidence service's own deadline rule and settings."""
    from services.evidence.journals.service import week_due

    this_monday = now.date() - timedelta(days=now.date().weekday())
    last_monday = this_monday - timedelta(weeks=1)
    return last_monday if week_due(_week(last_monday)) > now else this_monday


async def journals(caller: Caller, *, period_id: str, facts: list[dict[str, Any]], subject_ids: dict[str, str],
                   now: datetime, advance: Callable[[], None]) -> None:
    """Roster, weekly submissions (approved), excused weeks and the missing-week sweep."""
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        by_person[fact["subject"]].append(fact)
    gate = asyncio.Semaphore(CONCURRENCY)
    first_open = first_open_week(now)

    async def person(sample_id: str, weeks_facts: list[dict[str, Any]]) -> None:
        ordered = sorted(weeks_facts, key=lambda f: f["week"])
        weeks = replayed_weeks([str(f.get("status", "accepted")) for f in ordered], first_open)
        subject = subject_ids[sample_id]
        async with gate:
            await caller.call("evidence", "POST", "/v1/journals/rosters", {
                "period_id": period_id, "subject_ids": [subject], "first_week": min(weeks), "last_week": max(weeks)})
        for fact, week in zip(ordered, weeks, strict=True):
            async with gate:
                await _journal_week(caller, period_id, subject, fact, week)
            advance()

    await gather([person(sid, items) for sid, items in sorted(by_person.items())])
    await caller.call("evidence", "POST", "/v1/journals/sweep")


async def _journal_week(caller: Caller, period_id: str, subject: str, fact: dict[str, Any], week: str) -> None:
    status = fact.get("status", "accepted")
    if status == "missing":
        return  # the sweep records it
    if status == "excused":
        monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
        await caller.call("evidence", "POST", "/v1/journals/excuses", {
            "period_id": period_id, "subject_id": subject, "week": week, "kind": "leave",
            "reason": f"示例请假 {fact['id']}", "ends_on": (monday + timedelta(days=4)).isoformat()})
        return
    row = await caller.call("evidence", "POST", "/v1/journals", {
        "period_id": period_id, "subject_id": subject, "week": week, "text": f"示例周记 {fact['id']}",
        "points": str(fact.get("points", "0"))})
    submission = await caller.call("evidence", "GET", f"/v1/submissions/{row['submission_id']}")
    await caller.call("evidence", "POST", f"/v1/submissions/{submission['id']}/decisions",
                      {"action": "approve", "version": submission["version"]}, principal=REVIEWER)
