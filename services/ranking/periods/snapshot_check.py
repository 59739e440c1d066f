"""The check of a 审定 snapshot: its bytes against its SHA-256 and the audit record of the approval, and the results
ranking serves for the finalized period against the subjects the snapshot froze (issue 15)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, status_word
from services.ranking.db import common
from services.ranking.periods.models import PeriodReopening, PeriodSnapshot, RankedPeriod
from services.ranking.results import repository as results
from services.ranking.results.models import SubjectResult

# the columns reads and exports take instead of the result's document, with the document's key they mirror
COLUMNS = {"name": "name", "group": "group", "unit_path": "unit_path", "rank": "rank", "grade": "grade",
           "total": "total"}


async def check(session: AsyncSession, period: RankedPeriod, snapshot: PeriodSnapshot | None) -> dict[str, Any]:
    """What holds and what does not, subject by subject."""
    if snapshot is None:
        return {"period_id": period.id, "sequence": None, "sha256": None, "computed_sha256": None,
                "recorded_sha256": None, "bytes_ok": False, "audit_ok": False, "results_checked": False,
                "differences": [], "note": _("period %(period_id)s has no snapshot (it was never finalized)",
                                                   period_id=period.id), "ok": False}
    computed = hashlib.sha256(snapshot.content.encode()).hexdigest()
    recorded = await _approved_sha256(session, period.id, snapshot.sequence)
    latest = snapshot.sequence == (await _latest_sequence(session, period.id))
    report: dict[str, Any] = {
        "period_id": period.id, "sequence": snapshot.sequence, "sha256": snapshot.sha256,
        "computed_sha256": computed, "recorded_sha256": recorded, "bytes_ok": computed == snapshot.sha256,
        "audit_ok": recorded == snapshot.sha256, "results_checked": False, "differences": [], "note": None,
    }
    # a later status is explained only by a reopening of this snapshot (a status changed in SQL is not)
    reopened = not latest or (period.status != "finalized" and await _reopened(session, period.id, snapshot.sequence))
    if reopened:
        report["note"] = _("period %(period_id)s was reopened after snapshot %(sequence)s: its results may have "
                           "changed since, so they are not compared", period_id=period.id, sequence=snapshot.sequence)
    else:
        if period.status != "finalized":
            report["status_ok"] = False
            report["note"] = _("period %(period_id)s is %(status)s, yet no reopening of snapshot %(sequence)s is "
                               "recorded: its status was changed outside ranking", period_id=period.id,
                               status=status_word("period", period.status), sequence=snapshot.sequence)
        try:
            frozen = json.loads(snapshot.content)["subjects"]
        except (ValueError, KeyError, TypeError):
            frozen = None
        if isinstance(frozen, list):
            report["results_checked"] = True
            report["differences"] = compare(frozen, await results.current(session, period.id))
        else:
            report["note"] = _("the snapshot's content is not a snapshot document; its results cannot be compared")
    status_ok = report.pop("status_ok", True)
    report["ok"] = bool(report["bytes_ok"] and report["audit_ok"] and not report["differences"] and status_ok)
    return report


def compare(frozen: list[dict[str, Any]], current: list[SubjectResult]) -> list[dict[str, Any]]:
    """Each subject whose served result differs from the snapshot, with the first field that differs."""
    served = {row.subject_id: row for row in current}
    differences: list[dict[str, Any]] = []
    seen: set[str] = set()
    for subject in frozen:
        subject_id = str(subject.get("id"))
        seen.add(subject_id)
        row = served.get(subject_id)
        if row is None:
            differences.append(_difference(subject_id, "result", "present", None))
            continue
        document = {**row.document, "unit_path": row.unit_path, "attributes": row.attributes}
        field = next((k for k in sorted(set(subject) | set(document)) if subject.get(k) != document.get(k)), None)
        if field is not None:
            differences.append(_difference(subject_id, field, subject.get(field), document.get(field)))
            continue
        for column, key in COLUMNS.items():
            value = getattr(row, column)
            if not _same(value, subject.get(key)):
                differences.append(_difference(subject_id, column, subject.get(key), value))
                break
    differences += [_difference(sid, "result", None, "present") for sid in served if sid not in seen]
    return sorted(differences, key=lambda d: d["subject_id"])


def _same(column: Any, frozen: Any) -> bool:
    if isinstance(column, Decimal):
        try:
            return frozen is not None and column == Decimal(str(frozen))
        except InvalidOperation:
            return False
    return bool(column == frozen)


def _difference(subject_id: str, field: str, snapshot: Any, served: Any) -> dict[str, Any]:
    def shown(value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return str(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=False, default=str)

    return {"subject_id": subject_id, "field": field, "snapshot": shown(snapshot), "served": shown(served)}


async def _approved_sha256(session: AsyncSession, period_id: str, sequence: int) -> str | None:
    """The SHA-256 the chain's record of this approval (period.finalized) holds: its first record (one appended later
    for the same snapshot, to vouch for other bytes, does not count)."""
    audit = common.audit
    details = await session.scalars(
        select(audit.details).where(audit.entity_id == period_id, audit.action == "period.finalized")
        .order_by(audit.id))
    found = [d.get("sha256") for d in details if d.get("sequence") == sequence]
    return str(found[0]) if found else None


async def _reopened(session: AsyncSession, period_id: str, sequence: int) -> bool:
    """Whether a formal reopening of this snapshot is recorded."""
    found = await session.scalar(select(PeriodReopening.id).where(
        PeriodReopening.period_id == period_id, PeriodReopening.snapshot_sequence == sequence).limit(1))
    return found is not None


async def _latest_sequence(session: AsyncSession, period_id: str) -> int | None:
    from services.ranking.periods import repository

    latest = await repository.latest_snapshot(session, period_id)
    return latest.sequence if latest is not None else None
