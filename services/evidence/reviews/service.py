"""Review chains: decisions level by level, default agreement at deadlines, facts on final approval."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, status_word
from services.common import audit, clock, separation
from services.common.auth import Principal
from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.stored_text import english, message
from services.evidence.facts import service as facts
from services.evidence.facts.models import Fact
from services.evidence.periods.service import writable_period
from services.evidence.reviews import chains, repository
from services.evidence.reviews.models import ReviewChain, ReviewDecision
from services.evidence.reviews.schemas import DecisionCreate, ReviewChainPut
from services.evidence.scoring_client import PeriodInfo, ScoringClient
from services.evidence.submissions import repository as submissions
from services.evidence.submissions.content import checked_content
from services.evidence.submissions.models import Submission
from services.evidence.submissions.schemas import SubmissionRead
from services.evidence.submissions.service import announce, fact_id, get_readable, readable_ids, stale, to_read

SYSTEM_ACTOR = "system:deadline"


# what a reviewer may adjust, by fact kind: a higher level's value overrides a lower one's (003 篇三
# "系统默认较高级别人员的评价分数为周记的最终基本分数")
ADJUSTABLE = {"score": frozenset({"points", "note"}), "journal": frozenset({"points"})}
# a journal that went through its chain counts with its points; one the reviewers do not confirm (rejected, or
# its approval revoked: 003 篇三 "对不真实内容不予确认") counts as a week without a journal, 0
JOURNAL_ACCEPTED = {"submitted": "accepted", "late": "accepted"}
JOURNAL_UNCONFIRMED = ("reject", "revoke")


def fact_body(submission: Submission) -> dict[str, Any]:
    """The fact of scheme-format.md §4 that an approved submission becomes."""
    body: dict[str, Any] = {"id": fact_id(submission), "subject": submission.subject_id}
    if submission.indicator is not None:
        body["indicator"] = submission.indicator
    value = dict(submission.value)
    if submission.fact_kind == "journal":
        value["status"] = JOURNAL_ACCEPTED.get(str(value.get("status", "submitted")), value.get("status"))
    return {**body, "fact": submission.fact_kind, **value}


def unconfirmed_journal(submission: Submission) -> dict[str, Any]:
    """The week's fact once its journal is rejected or its approval revoked: missing, 0 points."""
    body = fact_body(submission)
    body.pop("points", None)
    return {**body, "status": "missing"}


@dataclass
class Gathered:
    """What approvals made on upload write together at the end (imports._write): the decisions, the new facts and
    their outbox events; `facts` holds the facts met so far by id (those that existed, locked, and those made)."""

    facts: dict[str, Fact]
    decisions: list[ReviewDecision] = field(default_factory=list)
    new_facts: list[Fact] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)


async def _record(session: AsyncSession, submission: Submission, *, action: str, actor: str, at: datetime,
                  reason: str = "", value: dict[str, Any] | None = None, gathered: Gathered | None = None,
                  behalf: dict[str, str] | None = None) -> None:
    level = submission.chain[min(submission.level, len(submission.chain) - 1)]
    decision = ReviewDecision(
        submission_id=submission.id, submission_version=submission.current_version, level=submission.level,
        level_name=level["name"], action=action, reason=reason, value=value, actor=actor, decided_at=at)
    if gathered is None:
        await repository.add(session, decision)
    else:
        gathered.decisions.append(decision)
    audit.record(session, actor=actor, action=f"review.{action}", entity_type="submission",
                 entity_id=submission.id, after={"status": submission.status, "level": submission.level},
                 details={"reason": english(reason), "value": value, **(behalf or {})})


async def _advance(session: AsyncSession, submission: Submission, *, actor: str, moment: datetime,
                   gathered: Gathered | None = None) -> None:
    """Pass to the next level, or, after the last, make the value a fact."""
    submission.updated_at = clock.now()
    if submission.level + 1 < len(submission.chain):
        chains.start_level(submission, submission.level + 1, moment)
        return
    submission.status, submission.level_due_at, submission.level_due_note = "approved", None, None
    announce(session, "submission.approved", submission, at=moment)
    body = fact_body(submission)
    if gathered is None:
        await facts.upsert(session, actor=actor, period_id=submission.period_id, unit_path=submission.unit_path,
                           body=body, source_type="submission", source_id=submission.id)
        return
    fact, new = facts.upserted(session, gathered.facts.get(body["id"]), actor=actor, period_id=submission.period_id,
                               unit_path=submission.unit_path, body=body, source_type="submission",
                               source_id=submission.id, events=gathered.events)
    if new:  # a second row of the file with the same fact (a journal's week) corrects this one, as one by one
        gathered.facts[fact.id] = fact
        gathered.new_facts.append(fact)


def _adjusted(submission: Submission, value: dict[str, Any], period: PeriodInfo) -> dict[str, Any]:
    # A higher level's value overrides a lower one's: the adjustment replaces the points in place.
    allowed = ADJUSTABLE.get(submission.fact_kind)
    if allowed is None or set(value) - allowed:
        raise InvalidInput(_("only the points (and note) of score facts and the points of journals can be adjusted"),
                           details={"field": "value"})
    return checked_content(period, submission.indicator, submission.fact_kind, {**submission.value, **value},
                           field="value")


def _check_actor(principal: Principal, submission: Submission, action: str) -> int:
    """The level the caller acts at, once it may act there."""
    if action == "revoke":
        if submission.status != "approved":
            raise Conflict(_("only an approved submission can be revoked (this one is %(status)s)",
                             status=status_word("submission", submission.status)),
                           details={"status": submission.status})
        index = len(submission.chain) - 1
    else:
        if submission.status != "pending":
            raise Conflict(_("this submission is %(status)s, not awaiting review",
                             status=status_word("submission", submission.status)),
                           details={"status": submission.status})
        index = submission.level
    level = submission.chain[index]
    if not chains.may_review(principal, level, submission.unit_path):
        raise Forbidden(_("%(subject)s is not a reviewer of level %(name)s for this submission",
                          subject=principal.subject, name=level['name']))
    return index


async def _check_separation(session: AsyncSession, principal: Principal, scoring: ScoringClient,
                            submission: Submission, index: int) -> None:
    """Separation of duties, comparing persons (an API key acts for its creator, services.common.separation): the
    four-eyes principle (四眼原则), by which the person who submitted a submission, or corrected it (made one of its
    versions), decides on it at no level, and neither does the person it is about (its subject among the caller's
    `subject_ids`); and one person decides at one level only (`_check_one_level_among`). A bulk upload's approvals
    (`approve_as_reviewer`) are the documented exception: the uploader's entries count as reviewed by the
    uploader (docs/identity.md), but never the uploader's entries about themselves."""
    person = principal.person()
    separation.refuse_about_themselves(principal, submission.subject_id)
    authors = {submission.submitted_by, *(v.created_by for v in await submissions.versions(session, submission.id))}
    decisions = await repository.decisions(session, submission.id)
    persons = await separation.persons(authors | {d.actor for d in decisions}, scoring.api_key_creators)
    if separation.one_of(person, (persons[author] for author in authors)):
        raise Forbidden(_("%(subject)s submitted this submission; the submitter of a submission may not review it "
                          "(four-eyes principle)", subject=person))
    _check_one_level_among(decisions, lambda actor: separation.same_person(persons[actor], person), person,
                           submission, index)


def _check_one_level_among(decisions: Sequence[ReviewDecision], by_caller: Callable[[str], bool], person: str,
                           submission: Submission, index: int) -> None:
    """Separation of duties: one person (`by_caller` tells the decisions' actors that are the caller) decides on a
    submission (any of its versions) at one level only, unless the later of the two levels allows it
    (`same_reviewer_allowed`)."""
    for decision in decisions:
        if decision.level == index or not by_caller(decision.actor):
            continue
        later = submission.chain[min(max(decision.level, index), len(submission.chain) - 1)]
        if not chains.same_reviewer_allowed(later):
            raise Forbidden(_("%(subject)s already reviewed this submission at level %(level_name)s; one person "
                              "reviews a submission at one level only (a level with same_reviewer_allowed lifts "
                              "this)", subject=person, level_name=decision.level_name),
                            details={"level": decision.level_name})


async def decide(
    session: AsyncSession, principal: Principal, scoring: ScoringClient, submission_id: str,
    payload: DecisionCreate, *, now: datetime | None = None,
) -> SubmissionRead:
    """Apply one reviewer's action with optimistic concurrency (exactly one concurrent writer wins)."""
    submission = await get_readable(session, principal, submission_id)
    period = await writable_period(session, scoring, submission.period_id)
    index = _check_actor(principal, submission, payload.action)
    await _check_separation(session, principal, scoring, submission, index)
    new_value = _adjusted(submission, payload.value, period) if payload.value is not None else None
    claimed = await submissions.claim(session, submission.id, payload.version)
    if claimed is None:
        raise await stale(session, submission.id, payload.version)
    now = now or clock.now()
    await _apply(session, claimed, payload, new_value, actor=principal.subject, now=now,
                 behalf=principal.acting_for())
    return to_read(claimed)


async def approve_as_reviewer(session: AsyncSession, principal: Principal, submission: Submission, *, reason: str,
                              now: datetime, gathered: Gathered | None = None) -> None:
    """Approve a submission the caller just made, level after level, when the caller reviews each level (an office
    uploading the facts it reviews itself, chains.reviews_every_level): at each level the checks and the decision
    (row, audit record, version) of a reviewer approving it, and after the last the fact, as one by one.

    With `gathered` (a bulk upload: the submission is not written yet, so its only decisions are those made here)
    the decision rows, new facts and events are gathered there for the caller to write, instead of one by one.
    The uploader's own evidence is the exception's limit: a submission about the caller (its subject) is refused
    (403) as `reviewSubmission` refuses it; the upload reports such rows first (separation.about_themselves)."""
    separation.refuse_about_themselves(principal, submission.subject_id)
    made: list[ReviewDecision] = []  # gathered: the submission's decisions so far
    while submission.status == "pending":
        index = _check_actor(principal, submission, "approve")
        # the submission was made by this call, so its only decisions are the caller's own, made here
        decisions = made if gathered is not None else await repository.decisions(session, submission.id)
        _check_one_level_among(decisions, lambda actor: separation.same_person(actor, principal.subject),
                               principal.subject, submission, index)
        submission.version += 1
        await _apply(session, submission, DecisionCreate(action="approve", reason=reason, version=submission.version),
                     None, actor=principal.subject, now=now, reason=reason,  # kaohe's message, not its English
                     gathered=gathered, behalf=principal.acting_for())
        if gathered is not None:
            made.append(gathered.decisions[-1])


async def _apply(session: AsyncSession, submission: Submission, payload: DecisionCreate,
                 new_value: dict[str, Any] | None, *, actor: str, now: datetime, reason: str | None = None,
                 gathered: Gathered | None = None, behalf: dict[str, str] | None = None) -> None:
    """Take a decision; `reason`: kaohe's own (a stored message), else the payload's. With `gathered`, an approval
    on upload (`approve_as_reviewer`)."""
    if new_value is not None:
        submission.value = new_value
    if payload.action in ("reject", "return", "revoke"):
        submission.status = {"reject": "rejected", "return": "returned", "revoke": "revoked"}[payload.action]
        submission.level_due_at, submission.updated_at = None, now
        announce(session, f"submission.{submission.status}", submission, at=now)
    await _record(session, submission, action=payload.action, actor=actor, at=now,
                  reason=payload.reason if reason is None else reason, value=payload.value, gathered=gathered,
                  behalf=behalf)
    if payload.action in ("approve", "adjust"):
        await _advance(session, submission, actor=actor, moment=now, gathered=gathered)
    elif gathered is not None:
        raise TypeError(f"{payload.action} is not gathered")  # only approvals on upload are
    elif submission.fact_kind == "journal" and payload.action in JOURNAL_UNCONFIRMED:
        await facts.upsert(session, actor=actor, period_id=submission.period_id, unit_path=submission.unit_path,
                           body=unconfirmed_journal(submission), source_type="submission", source_id=submission.id)
    elif payload.action == "revoke":
        await facts.retract(session, actor=actor, fact_id=fact_id(submission), reason=payload.reason)


async def sweep_deadlines(session: AsyncSession, now: datetime, *, limit: int = 500) -> int:
    """Record every level whose deadline passed as agreeing; returns how many levels were defaulted.

    003 篇三: "上一级领导未审查的,默认为同意其下级人员评价结果". The next level's time starts when
    the previous one's ran out, so a late sweep reaches the same result as a punctual one.
    """
    count = 0
    for submission in await submissions.overdue(session, now, limit):
        submission.version += 1  # before the events, which carry the version the next write needs
        while submission.status == "pending" and submission.level_due_at is not None \
                and submission.level_due_at <= now:
            due = submission.level_due_at
            announce(session, "review.overdue", submission, at=due, level=submission.level,
                     once=f"{submission.id}:{submission.current_version}:{submission.level}")
            await _record(session, submission, action="default_agree", actor=SYSTEM_ACTOR, at=due,
                          reason=message("review.default_agree"))
            await _advance(session, submission, actor=SYSTEM_ACTOR, moment=due)
            count += 1
    await session.flush()
    return count


DUE_SOON = timedelta(days=1)


async def sweep_due_soon(session: AsyncSession, now: datetime) -> int:
    """Announce each review level whose deadline is less than a day away (once per level and version)."""
    rows = await submissions.due_between(session, now, now + DUE_SOON)
    for submission in rows:
        announce(session, "review.due_soon", submission, at=now, level=submission.level,
                 due_at=submission.level_due_at.isoformat() if submission.level_due_at else None,
                 once=f"{submission.id}:{submission.current_version}:{submission.level}")
    return len(rows)


async def decisions(session: AsyncSession, principal: Principal, submission_id: str) -> list[ReviewDecision]:
    """The decisions taken on a readable submission, in order."""
    await get_readable(session, principal, submission_id)
    return list(await repository.decisions(session, submission_id))


async def decisions_of(session: AsyncSession, principal: Principal,
                       submission_ids: list[str]) -> list[ReviewDecision]:
    """The decisions on those submissions the caller may read (one query for a page of them)."""
    readable = await readable_ids(session, principal, submission_ids)
    return list(await repository.decisions_of(session, readable)) if readable else []


async def put_chain(session: AsyncSession, principal: Principal, scheme_id: str,
                    payload: ReviewChainPut) -> ReviewChain:
    """Configure (or replace) the chain of a scheme's indicator; admins of the whole organisation."""
    principal.require("admin", "")
    levels = [level.model_dump() for level in payload.levels]
    chain = await repository.chain(session, scheme_id, payload.indicator)
    before = chain.levels if chain is not None else None
    if chain is None:
        chain = ReviewChain(id=str(uuid.uuid4()), scheme_id=scheme_id, indicator=payload.indicator,
                            levels=levels, version=1)
        await repository.add(session, chain)
    else:
        chain.levels, chain.version, chain.updated_at = levels, chain.version + 1, clock.now()
    audit.record(session, actor=principal, action="review_chain.put", entity_type="review_chain",
                 entity_id=chain.id, before=before, after=levels)
    await session.flush()
    return chain


async def list_chains(session: AsyncSession, principal: Principal, scheme_id: str) -> list[ReviewChain]:
    """The chains of a scheme (readable by any reviewer, admin or auditor)."""
    if not principal.scopes_for("admin", "auditor", "reviewer", "assessor", "submitter"):
        raise Forbidden(_("no role that reads review chains"))
    return list(await repository.chains(session, scheme_id))
