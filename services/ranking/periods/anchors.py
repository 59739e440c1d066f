"""Live results held to what ranking's chain recorded when it published and approved them.

The chain has no secret: whoever controls the database can rewrite a result row and its publication entries and
append `row.write` records that vouch for the new digests. Records written before a head kept outside the chain
(a checkpoint's, a 公示's, a 审定's) cannot be changed any more, so verification anchors the live rows to them:

- every 公示 (publication): its entries, as the public page computes `entriesSha256`, must give the
  `entries_sha256` of the first `period.published` record of that publication;
- every period the chain says is finalized (its last `period.finalized`/`period.reopened` record is an approval):
  its latest snapshot must be the bytes whose SHA-256 the approval recorded and the served results must be the
  ones it froze (`snapshot_check.check`, as `verifySnapshot` and `kaohe audit verify --snapshot` do, without the
  file), and the period must still be finalized.

Run by ranking's `/v1/audit/verify` (so the gateway's `verifyAuditChain`) and by `kaohe audit verify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, status_word
from services.ranking.db import common
from services.ranking.periods import publication, repository, snapshot_check
from services.ranking.periods.models import Publication, RankedPeriod

STATUS_ACTIONS = ("period.published", "period.finalized", "period.reopened")


@dataclass(frozen=True)
class AnchorProblem:
    """Live data of a period that no longer matches what ranking's chain recorded when it was published or
    approved."""

    period_id: str
    kind: str  # entries | unrecorded | snapshot | subject | status
    sequence: int | None = None  # the publication's (entries, unrecorded) or the snapshot's sequence
    subject_id: str | None = None
    field: str | None = None
    record_id: int | None = None  # the chain's record the live data contradicts
    value: str | None = None  # subject: the served value; status: the live status

    def sentence(self) -> str:
        """What is wrong, a marked message (English where it is read as a string)."""
        if self.kind == "entries":
            return _("publication %(sequence)s of period %(period)s was rewritten: its entries no longer give the "
                     "entries_sha256 of its record %(record)s", sequence=self.sequence, period=self.period_id,
                     record=self.record_id)
        if self.kind == "unrecorded":
            return _("publication %(sequence)s of period %(period)s has no period.published record in the chain",
                     sequence=self.sequence, period=self.period_id)
        if self.kind == "subject":
            return _("subject %(subject)s of finalized period %(period)s: %(field)s is %(served)s in the served "
                     "results, not as snapshot %(sequence)s approved it (record %(record)s)", subject=self.subject_id,
                     period=self.period_id, field=self.field, served=self.value, sequence=self.sequence,
                     record=self.record_id)
        if self.kind == "status":
            return _("period %(period)s is %(status)s, yet the chain's last record of it is its approval (record "
                     "%(record)s): its status was changed outside ranking", period=self.period_id,
                     status=status_word("period", self.value or ""), record=self.record_id)
        return _("snapshot %(sequence)s of finalized period %(period)s is not the one its approval (record "
                 "%(record)s) recorded", sequence=self.sequence, period=self.period_id, record=self.record_id)

    def to_json(self) -> dict[str, Any]:
        return {"period_id": self.period_id, "kind": self.kind, "sequence": self.sequence,
                "subject_id": self.subject_id, "field": self.field, "record_id": self.record_id,
                "message": self.sentence()}


async def check(session: AsyncSession) -> list[AnchorProblem]:
    """Every publication's entries and every finalized period's results against the chain's records of them."""
    shown = list(await session.execute(select(Publication.id, Publication.period_id, Publication.sequence)
                                       .order_by(Publication.period_id, Publication.sequence)))
    audit = common.audit
    # read after the publications: a 公示 committed meanwhile has its record here (one transaction writes both)
    records = list(await session.execute(
        select(audit.id, audit.action, audit.entity_id, audit.details)
        .where(audit.entity_type == "period", audit.action.in_(STATUS_ACTIONS)).order_by(audit.id)))
    published: dict[tuple[str, Any], tuple[int, Any]] = {}
    last: dict[str, tuple[int, str]] = {}
    for record_id, action, period_id, details in records:
        details = details or {}
        if action == "period.published":
            published.setdefault((period_id, details.get("publication")), (record_id, details.get("entries_sha256")))
        last[period_id] = (record_id, action)
    problems: list[AnchorProblem] = []
    for publication_id, period_id, sequence in shown:
        found = published.get((period_id, sequence))
        if found is None:
            problems.append(AnchorProblem(period_id, "unrecorded", sequence))
            continue
        entries = await repository.publication_entries(session, publication_id)
        if publication.entries_digest(period_id, sequence, entries) != found[1]:
            problems.append(AnchorProblem(period_id, "entries", sequence, record_id=found[0]))
    for period_id, (record_id, action) in sorted(last.items()):
        if action == "period.finalized":
            problems += await _finalized(session, period_id, record_id)
    return problems


async def _finalized(session: AsyncSession, period_id: str, record_id: int) -> list[AnchorProblem]:
    """A period the chain says is finalized: its status, its latest snapshot and the served results."""
    period = await session.get(RankedPeriod, period_id)
    if period is None:
        return [AnchorProblem(period_id, "status", record_id=record_id, value="deleted")]
    problems = []
    if period.status != "finalized":
        problems.append(AnchorProblem(period_id, "status", record_id=record_id, value=period.status))
    snapshot = await repository.latest_snapshot(session, period_id)
    report = await snapshot_check.check(session, period, snapshot)
    sequence = report["sequence"]
    if not (report["bytes_ok"] and report["audit_ok"]):
        problems.append(AnchorProblem(period_id, "snapshot", sequence, record_id=record_id))
    if report["results_checked"]:
        problems += [AnchorProblem(period_id, "subject", sequence, d["subject_id"], d["field"], record_id,
                                   d["served"]) for d in report["differences"]]
    return problems


async def verification(session: AsyncSession, _request: Any) -> list[Any]:
    """The anchors as the `provenance` part of ranking's `/v1/audit/verify`."""
    return list(await check(session))
