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


@dataclass(frozen=True)
class ProvenanceProblem:
    """A fact of scoring's copy, or a score version's cause, that no audited change of evidence vouches for."""

    period_id: str
    kind: str  # unbacked | differs | missing | unaudited | cause (scoring); outbox (evidence)
    fact_id: str | None = None
    cause: str | None = None
    record_id: int | None = None  # evidence's last fact.* record of the fact

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
        if self.kind == "unaudited":
            return _("fact %(fact)s of period %(period)s has no audited change in evidence", fact=self.fact_id,
                     period=self.period_id)
        return _("score versions of period %(period)s name the cause %(cause)s, which is no audited change of "
                 "evidence", period=self.period_id, cause=self.cause)

    def to_json(self) -> dict[str, Any]:
        return {"period_id": self.period_id, "kind": self.kind, "fact": self.fact_id, "cause": self.cause,
                "record_id": self.record_id, "message": self.sentence()}


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
