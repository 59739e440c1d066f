"""Where scoring's facts come from: every fact copy of a period must be a fact evidence holds, as its last audited
change (`fact.upsert`, `fact.retract` in evidence's chain) made it, and every event a score version names as its
cause must be one of those audited changes.

Scoring's fact copies, inbox and evidence's outbox are not audited row by row (they are copies and mail), so a
fact written into them behind the services' back would move scores whose every record holds. Verification closes
that: evidence's own verification names each `fact.changed` event of its outbox that no audited change sent
(`unaudited_events`), and evidence answers, per fact of a period, its last `fact.*` audit record (id, action, digest
of the body it recorded, hash), the event ids of all its `fact.*` records and whether one of those events still
waits in its outbox (`evidence_page`, served as `GET /v1/facts/provenance`); `check_period` compares scoring's copies
and causes with it.
Scoring's `POST /v1/periods/{id}/verify` and `/v1/audit/verify` ask evidence over HTTP; `kaohe audit verify` reads
both databases directly. The digests are `services.common.audit.digest` of the fact's body, as evidence records it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from kaohe.i18n import _
from services.common.audit import digest

PAGE = 500  # facts per page of evidence's answer
LIMIT = 1000  # problems named per report (the count says how many in all)
EVENT_CAUSE = re.compile(r"event:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


@dataclass(frozen=True)
class EvidenceFact:
    """One fact of evidence with its last audited change."""

    id: str
    live: bool  # not retracted
    record_id: int | None  # the last fact.upsert / fact.retract record (None: none)
    action: str | None
    after_digest: str | None  # the digest of the body that record holds (None for a retraction)
    record_hash: str | None
    events: tuple[str, ...]  # the event ids of every fact.* record of the fact, oldest first
    pending: bool  # one of those events still waits in evidence's outbox: scoring may not have it yet

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "live": self.live, "pending": self.pending, "events": list(self.events),
                "record": None if self.record_id is None else {
                    "id": self.record_id, "action": self.action, "after_digest": self.after_digest,
                    "hash": self.record_hash}}

    @classmethod
    def from_json(cls, row: Any) -> EvidenceFact:
        """ValueError when `row` is not what `to_json` writes."""
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise ValueError(_("an item of evidence's provenance page is not a fact with an id"))
        record = row.get("record")
        record = record if isinstance(record, dict) else {}
        events = row.get("events")
        return cls(row["id"], bool(row.get("live")), _int(record.get("id")), _text(record.get("action")),
                   _text(record.get("after_digest")), _text(record.get("hash")),
                   tuple(str(e) for e in events) if isinstance(events, list) else (), bool(row.get("pending")))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def evidence_page(conn: Any, period_id: str, after: str | None, limit: int = PAGE) -> list[EvidenceFact]:
    """A page of a period's facts in evidence (retracted ones too), in id order after `after`, each with its last
    fact.* record: `conn` is an asyncpg connection to evidence's database."""
    rows = await conn.fetch(
        "SELECT f.id, NOT f.retracted AS live, r.id AS record_id, r.action, r.after_digest, r.hash, "
        "coalesce((SELECT array_agg(a.details->>'event' ORDER BY a.id) FROM evidence.audit_record a "
        "  WHERE a.entity_type = 'fact' AND a.entity_id = f.id AND a.action IN ('fact.upsert', 'fact.retract') "
        "  AND a.details ? 'event'), '{}') AS events "
        "FROM evidence.fact f LEFT JOIN LATERAL (SELECT a.id, a.action, a.after_digest, a.hash "
        "  FROM evidence.audit_record a WHERE a.entity_type = 'fact' AND a.entity_id = f.id "
        "  AND a.action IN ('fact.upsert', 'fact.retract') ORDER BY a.id DESC LIMIT 1) r ON true "
        "WHERE f.period_id = $1 AND f.id > $2 ORDER BY f.id LIMIT $3", period_id, after or "", limit)
    events = [e for row in rows for e in row["events"] if e]
    waiting = {str(r["id"]) for r in await conn.fetch(
        "SELECT id FROM evidence.outbox_event WHERE delivered_at IS NULL AND id::text = ANY($1::text[])",
        events)} if events else set()
    return [EvidenceFact(row["id"], row["live"], row["record_id"], row["action"], row["after_digest"], row["hash"],
                         tuple(e for e in row["events"] if e), any(e in waiting for e in row["events"]))
            for row in rows]


async def evidence_pages(conn: Any, period_id: str) -> AsyncIterator[list[EvidenceFact]]:
    """Every page of a period's facts in evidence, read from its database."""
    after: str | None = None
    while True:
        page = await evidence_page(conn, period_id, after)
        if page:
            yield page
        if len(page) < PAGE:
            return
        after = page[-1].id


async def unaudited_events(conn: Any) -> list[ProvenanceProblem]:
    """The `fact.changed` events in evidence's outbox that no audited change of evidence sent (no `fact.*` record of
    their fact holds their id): written into the outbox behind the service's back, delivered or not. One statement
    (one snapshot: an event and its record are committed together); `conn` is an asyncpg connection to evidence's
    database."""
    rows = await conn.fetch(
        "SELECT o.id::text AS event, o.payload->>'period_id' AS period, o.payload->'fact'->>'id' AS fact "
        "FROM evidence.outbox_event o WHERE o.topic = 'fact.changed' AND NOT EXISTS (SELECT 1 "
        "FROM evidence.audit_record a WHERE a.entity_type = 'fact' AND a.entity_id = o.payload->'fact'->>'id' "
        "AND a.action IN ('fact.upsert', 'fact.retract') AND a.details->>'event' = o.id::text) "
        "ORDER BY o.created_at, o.id")
    return [ProvenanceProblem(row["period"] or "", "outbox", row["fact"], cause=f"event:{row['event']}")
            for row in rows]


# Evidence's own check of its live facts: each current revision's body must be what a legitimate source of facts
# produces, found through the fact's `source_type`/`source_id` (written with every revision). One statement, one
# snapshot, read-only; each branch is an EXISTS on the source's primary key or its indexed foreign key.
#   submission   an approved version: a decision of the final level of the submission's chain approving
#                (approve, adjust, agreed by default) that version, whose content with the values of that version's
#                decisions up to it (an adjustment replaces points and note in place) is the body
#                (reviews.service.fact_body: id, subject, indicator, kind, the values; a journal's status submitted
#                or late becomes accepted); a bulk upload's and a make-up's submissions go the same way; or, for a
#                journal, a reject/revoke decision and the body of reviews.service.unconfirmed_journal (missing, no
#                points)
#   journal      the journal week (`source_id` its id) whose person, indicator, week and status the body holds; a
#                week whose journal was submitted since keeps its missing/excused fact until the review decides
#   appeal       an upheld appeal of this fact whose `fact_body` (the body its correction wrote, with it:
#                evidence_0015) is the body; an appeal answered before that column holds NULL, and the body must
#                then hold the correction's values (the values it left as they were are not compared)
#   rating_task  a closed task, a ballot with a grade of the body's subject by the rater of the body's alias, and
#                the body ratings.service.close makes of it
#   rectification  an overdue notice with a follow-up and the body rectifications.service._raise_follow_up makes
_UNBACKED_FACTS = """
SELECT l.id, l.period_id, l.revision, l.source_type, l.source_id FROM evidence.fact l
WHERE NOT l.retracted AND NOT CASE l.source_type
  WHEN 'submission' THEN EXISTS (
    SELECT 1 FROM evidence.submission s
    JOIN evidence.review_decision d ON d.submission_id = s.id
    JOIN evidence.submission_version v ON v.submission_id = s.id AND v.number = d.submission_version
    CROSS JOIN LATERAL (SELECT jsonb_build_object('id', l.id, 'subject', s.subject_id)
        || CASE WHEN s.indicator IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('indicator', s.indicator) END
        || jsonb_build_object('fact', s.fact_kind) || v.content
        || coalesce((SELECT jsonb_object_agg(e.key, e.value ORDER BY d2.id) FROM evidence.review_decision d2
                     CROSS JOIN LATERAL jsonb_each(d2.value) e
                     WHERE d2.submission_id = s.id AND d2.submission_version = d.submission_version
                     AND d2.id <= d.id AND jsonb_typeof(d2.value) = 'object'), '{}'::jsonb) AS body) b
    WHERE s.id = l.source_id AND s.period_id = l.period_id
    AND (s.fact_kind = 'journal' OR l.id = 'sub-' || s.id)
    AND ((d.action IN ('approve', 'adjust', 'default_agree') AND d.level = jsonb_array_length(s.chain) - 1
          AND l.body = CASE WHEN s.fact_kind = 'journal'
                            AND coalesce(b.body->>'status', 'submitted') IN ('submitted', 'late')
                            THEN b.body || '{"status": "accepted"}'::jsonb ELSE b.body END)
         OR (s.fact_kind = 'journal' AND d.action IN ('reject', 'revoke')
             AND l.body = (b.body - 'points') || '{"status": "missing"}'::jsonb)))
  WHEN 'journal' THEN EXISTS (
    SELECT 1 FROM evidence.journal_week j
    WHERE j.id = CASE WHEN l.source_id ~ '^[0-9]{1,9}$' THEN l.source_id::integer END AND j.period_id = l.period_id
    AND l.body - 'status' = jsonb_build_object('id', l.id, 'subject', j.subject_id, 'indicator', j.indicator,
                                               'fact', 'journal', 'week', j.week)
    AND (l.body->>'status' = j.status OR (j.status = 'submitted' AND l.body->>'status' IN ('missing', 'excused'))))
  WHEN 'appeal' THEN EXISTS (
    SELECT 1 FROM evidence.appeal a
    WHERE a.id = l.source_id AND a.fact_id = l.id AND a.period_id = l.period_id AND a.status = 'upheld'
    AND (l.body = a.fact_body OR (a.fact_body IS NULL AND jsonb_typeof(a.correction) = 'object'
                                  AND l.body @> a.correction)))
  WHEN 'rating_task' THEN EXISTS (
    SELECT 1 FROM evidence.rating_task t
    JOIN evidence.rating_ballot b ON b.task_id = t.id
    JOIN evidence.rating_rater r ON r.task_id = t.id AND r.rater = b.rater
    WHERE t.id = l.source_id AND t.period_id = l.period_id AND t.status = 'closed' AND b.grade IS NOT NULL
    AND b.subject_id = l.body->>'subject' AND r.alias = l.body->>'rater'
    AND l.body = jsonb_build_object('id', l.id, 'subject', b.subject_id, 'indicator', t.indicator, 'fact', 'rating',
                                    'rater', r.alias, 'level', r.level, 'grade', b.grade, 'round', t.round))
  WHEN 'rectification' THEN EXISTS (
    SELECT 1 FROM evidence.rectification_notice n
    WHERE n.id = l.source_id AND n.period_id = l.period_id AND n.status = 'overdue' AND l.id = 'rect-' || n.id
    AND jsonb_typeof(n.follow_up) = 'object'
    AND l.body = jsonb_build_object('id', l.id, 'subject', n.subject_id) || n.follow_up
                 || jsonb_build_object('fact', 'event', 'date', to_char(n.deadline + 1, 'YYYY-MM-DD'), 'key', n.id)
                 || CASE WHEN n.period_label <> '' THEN jsonb_build_object('period', n.period_label)
                         ELSE '{}'::jsonb END)
  ELSE false END
ORDER BY l.period_id, l.id
"""


async def unbacked_facts(conn: Any) -> list[ProvenanceProblem]:
    """Evidence's live facts whose current revision nothing legitimate produced (`_UNBACKED_FACTS`): written or
    edited behind the service's back, its audit records forged or not. `conn` is an asyncpg connection to evidence's
    database."""
    rows = await conn.fetch(_UNBACKED_FACTS)
    return [ProvenanceProblem(row["period_id"], "unbacked_fact", row["id"],
                              cause=f"{row['source_type']}:{row['source_id']}", revision=row["revision"])
            for row in rows]


@dataclass(frozen=True)
class ProvenanceProblem:
    """A fact of scoring's copy, or a score version's cause, that no audited change of evidence vouches for."""

    period_id: str
    kind: str  # unbacked | differs | missing | unaudited | cause (scoring); outbox | unbacked_fact (evidence)
    fact_id: str | None = None
    cause: str | None = None
    record_id: int | None = None  # evidence's last fact.* record of the fact
    revision: int | None = None  # unbacked_fact: the fact's current revision

    def sentence(self) -> str:
        """What is wrong, a marked message (English where it is read as a string)."""
        if self.kind == "unbacked":
            return _("fact %(fact)s in scoring's copy of period %(period)s has no fact in evidence: no audited change "
                     "of evidence made it (written behind the services' back)", fact=self.fact_id,
                     period=self.period_id)
        if self.kind == "differs":
            return _("fact %(fact)s in scoring's copy of period %(period)s differs from evidence's last audited change "
                     "of it (record %(record)s)", fact=self.fact_id, period=self.period_id, record=self.record_id)
        if self.kind == "missing":
            return _("fact %(fact)s of evidence (record %(record)s) is missing from scoring's copy of period "
                     "%(period)s", fact=self.fact_id, period=self.period_id, record=self.record_id)
        if self.kind == "outbox":
            return _("event %(cause)s in evidence's outbox changes fact %(fact)s of period %(period)s, but no audited "
                     "change of evidence sent it (written behind the service's back)", cause=self.cause,
                     fact=self.fact_id, period=self.period_id)
        if self.kind == "unbacked_fact":
            return _("unbacked fact %(fact)s revision %(revision)s of period %(period)s: no approved submission "
                     "version, upheld appeal, journal week, closed rating task or rectification follow-up of "
                     "evidence gives its body (it names %(source)s as its source)", fact=self.fact_id,
                     revision=self.revision, period=self.period_id, source=self.cause)
        if self.kind == "unaudited":
            return _("fact %(fact)s of period %(period)s has no audited change in evidence", fact=self.fact_id,
                     period=self.period_id)
        return _("score versions of period %(period)s name the cause %(cause)s, which is no audited change of "
                 "evidence", period=self.period_id, cause=self.cause)

    def to_json(self) -> dict[str, Any]:
        return {"period_id": self.period_id, "kind": self.kind, "fact": self.fact_id, "cause": self.cause,
                "record_id": self.record_id, "message": self.sentence(),
                **({} if self.revision is None else {"revision": self.revision})}


async def scoring_copies(conn: Any, period_id: str) -> dict[str, str | None]:
    """Scoring's fact copies of a period: fact id → the digest of its body (None: a retraction's tombstone);
    `conn` is an asyncpg connection to scoring's database."""
    rows = await conn.fetch("SELECT fact_id, body::text AS body, retracted FROM scoring.fact_copy WHERE period_id = $1",
                            period_id)
    return {row["fact_id"]: None if row["retracted"] else digest(json.loads(row["body"])) for row in rows}


async def scoring_causes(conn: Any, period_id: str) -> set[str]:
    """The events the period's score versions name as their cause (`event:<uuid>`, several joined by commas)."""
    rows = await conn.fetch("SELECT DISTINCT cause FROM scoring.score_version WHERE period_id = $1", period_id)
    return {m[1] for row in rows for part in row["cause"].split(",") if (m := EVENT_CAUSE.fullmatch(part.strip()))}


async def scoring_periods(conn: Any) -> list[str]:
    """The periods whose facts or scores there is something to check: those with a fact copy or a score version."""
    rows = await conn.fetch("SELECT id FROM scoring.period p WHERE EXISTS (SELECT 1 FROM scoring.fact_copy c "
                            "WHERE c.period_id = p.id) OR EXISTS (SELECT 1 FROM scoring.score_version v "
                            "WHERE v.period_id = p.id) ORDER BY id")
    return [row["id"] for row in rows]


def _judge(period_id: str, fact: EvidenceFact, copy: str | None, copied: bool) -> ProvenanceProblem | None:
    """A fact of evidence against scoring's copy of it (`copied`: scoring has a row; `copy`: its digest, None for
    a tombstone)."""
    if fact.pending:  # a change on its way: scoring may not have it yet
        return None
    if fact.record_id is None:
        return ProvenanceProblem(period_id, "unaudited", fact.id)
    if copy is None:  # no copy, or a tombstone: evidence must not hold it live
        if fact.live:
            return ProvenanceProblem(period_id, "differs" if copied else "missing", fact.id, record_id=fact.record_id)
        return None
    if not fact.live or fact.action != "fact.upsert" or fact.after_digest != copy:
        return ProvenanceProblem(period_id, "differs", fact.id, record_id=fact.record_id)
    return None


async def check_period(period_id: str, copies: dict[str, str | None], causes: Iterable[str],
                       pages: AsyncIterator[list[EvidenceFact]]) -> list[ProvenanceProblem]:
    """Scoring's copies (`scoring_copies`) and score versions' causes (`scoring_causes`) of a period against
    evidence's facts and their audited changes (`pages`): every problem, facts in id order, then causes."""
    remaining = dict(copies)
    problems: list[ProvenanceProblem] = []
    audited: set[str] = set()
    async for page in pages:
        for fact in page:
            audited.update(fact.events)
            copied = fact.id in remaining
            problem = _judge(period_id, fact, remaining.pop(fact.id, None), copied)
            if problem is not None:
                problems.append(problem)
    problems += [ProvenanceProblem(period_id, "unbacked", fact_id) for fact_id in sorted(remaining)]
    problems += [ProvenanceProblem(period_id, "cause", cause=f"event:{event}")
                 for event in sorted(set(causes) - audited)]
    return problems
