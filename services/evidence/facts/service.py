"""Facts out: every creation, correction and retraction goes to scoring through the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import audit, clock, provenance
from services.common.auth import Principal, Role
from services.common.db import driver_connection
from services.common.outbox import enqueue, new_event
from services.evidence.db import common
from services.evidence.facts import repository
from services.evidence.facts.models import Fact

READER_ROLES: tuple[Role, ...] = ("admin", "auditor", "assessor", "reviewer", "submitter")
TOPIC = "fact.changed"


def journal_fact_id(period_id: str, subject_id: str, week: str) -> str:
    """The one fact of a person's week (missing, excused, then the reviewed journal replace each other)."""
    return f"jnl-{uuid.uuid5(uuid.NAMESPACE_URL, f'{period_id}/{subject_id}/{week}')}"


def _announce(session: AsyncSession, fact: Fact, action: str, gathered: list[Any] | None = None) -> str:
    """Send the change to scoring; the event's id (scoring names it as the cause of the scores it changes). With
    `gathered`, the outbox row is added to it, for the caller to write with the others (`enqueue_all`)."""
    payload = {"period_id": fact.period_id, "action": action, "fact": fact.body, "revision": fact.revision}
    if gathered is None:
        return str(enqueue(session, common.outbox, destination="scoring", topic=TOPIC, payload=payload))
    event = new_event(common.outbox, destination="scoring", topic=TOPIC, payload=payload)
    gathered.append(event)
    return str(event.id)


async def upsert(
    session: AsyncSession, *, actor: Principal | str, period_id: str, unit_path: str,
    body: dict[str, Any], source_type: str, source_id: str, details: dict[str, Any] | None = None,
) -> Fact:
    """Create or correct the fact `body["id"]` and announce it in the same transaction (`details`: more for its
    audit record, beside the outbox event's id)."""
    fact, new = upserted(session, await repository.get(session, body["id"]), actor=actor, period_id=period_id,
                         unit_path=unit_path, body=body, source_type=source_type, source_id=source_id,
                         details=details)
    if new:
        await repository.add(session, fact)
    await session.flush()
    return fact


def upserted(
    session: AsyncSession, fact: Fact | None, *, actor: Principal | str, period_id: str, unit_path: str,
    body: dict[str, Any], source_type: str, source_id: str, events: list[Any] | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[Fact, bool]:
    """The fact `body["id"]` made (`fact` None: the caller writes it; True) or corrected (`fact`, locked, changed in
    place; False), announced and audited as `upsert` does; with `events`, its outbox row gathered there."""
    before = fact.body if fact is not None and not fact.retracted else None
    new = fact is None
    if fact is None:
        fact = Fact(id=body["id"], period_id=period_id, subject_id=body["subject"], kind=body["fact"],
                    indicator=body.get("indicator"), unit_path=unit_path, body=body,
                    source_type=source_type, source_id=source_id, retracted=False, revision=1,
                    updated_at=clock.now())  # business time, as a correction's: an appeal's window reads it
    else:
        fact.body, fact.retracted, fact.updated_at = body, False, clock.now()
        fact.source_type, fact.source_id = source_type, source_id  # the record that wrote it last (an appeal)
        fact.revision += 1
    event = _announce(session, fact, "upsert", events)
    audit.record(session, actor=actor, action="fact.upsert", entity_type="fact", entity_id=fact.id,
                 before=before, after=body, details={**(details or {}), "event": event})
    return fact, new


async def retract(session: AsyncSession, *, actor: Principal | str, fact_id: str, reason: str,
                  details: dict[str, Any] | None = None) -> Fact | None:
    """Withdraw a fact (revocation, upheld appeal); no-op when it is not current (`details`: more for its audit
    record)."""
    fact = await repository.get(session, fact_id)
    if fact is None or fact.retracted:
        return None
    fact.retracted, fact.updated_at = True, clock.now()
    fact.revision += 1
    event = _announce(session, fact, "retract")
    audit.record(session, actor=actor, action="fact.retract", entity_type="fact", entity_id=fact.id,
                 before=fact.body, after=None, details={**(details or {}), "reason": reason, "event": event})
    await session.flush()
    return fact


async def page(
    session: AsyncSession, principal: Principal, *, period_id: str, after: str | None, limit: int,
    subject_id: str | None, indicator: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a period's current facts the caller may read, and the next cursor."""
    rows = await repository.page(session, period_id=period_id, scopes=principal.scopes_for(*READER_ROLES),
                                 after=after, limit=limit, subject_id=subject_id, indicator=indicator)
    cursor = rows[-1].id if len(rows) == limit else None
    return [row.body for row in rows], cursor


async def records(
    session: AsyncSession, principal: Principal, *, period_id: str, after: str | None, limit: int,
    subject_id: str | None, indicator: str | None, ids: list[str] | None,
) -> tuple[list[Fact], str | None, int]:
    """One page of a period's current fact records the caller may read (a fact of a unit outside its grants is left
    out, as one that does not exist), the next cursor and how many the whole list holds."""
    scopes = principal.scopes_for(*READER_ROLES)
    rows = await repository.page(session, period_id=period_id, scopes=scopes, after=after, limit=limit,
                                 subject_id=subject_id, indicator=indicator, ids=ids)
    total = await repository.count(session, period_id=period_id, scopes=scopes, subject_id=subject_id,
                                   indicator=indicator, ids=ids)
    return list(rows), rows[-1].id if len(rows) == limit else None, total


async def outbox_provenance(session: AsyncSession, _request: Any) -> list[provenance.ProvenanceProblem]:
    """The `fact.changed` events of the outbox that no audited change of a fact sent, then the live facts whose
    current revision no legitimate source of facts gives (evidence's `/v1/audit/verify` names them beside its chain
    and rows)."""
    conn = await driver_connection(session)
    return await provenance.unaudited_events(conn) + await provenance.unbacked_facts(conn)
