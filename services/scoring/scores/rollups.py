"""Roll-up periods in the services (scheme-reference §11): ranking builds a roll-up period's results from the
approved (审定, finalized) periods of its `from` scheme that lie inside it, read from their snapshots. When such a
sub-period is approved, or reopened (it leaves the roll-up until it is approved again, with the results it then
has), the roll-up periods it lies inside are due for a recompute here (`mark_due`); scoring's recompute of a
roll-up period always tells ranking (`scores.changed`), which rolls it up again: the normal path of a change,
without anyone asking (docs/decisions.md, "Bulk facts and roll-up recompute (stop 26)")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.ranking.rollup import lies_inside
from services.scoring.periods import service as periods
from services.scoring.periods.models import Period

CAUSE = "rollup:"  # the cause a sub-period's approval or reopening leaves on its roll-up periods


def changes_rollups(before: str, after: str) -> bool:
    """Whether a status change moves a period into or out of the approved sub-periods a roll-up reads."""
    return (before == "finalized") != (after == "finalized")


async def mark_due(session: AsyncSession, period: Period) -> list[str]:
    """After `period` was approved or reopened: the periods of any scheme rolling up its scheme (any owner, as ranking
    reads the sub-periods) that it lies inside, not finalized (frozen until reopened), are due for a recompute;
    their ids."""
    candidates = list(await session.scalars(
        select(Period).where(Period.id != period.id, Period.scheme_id != period.scheme_id,
                             Period.status != "finalized").order_by(Period.label, Period.id)))
    due = []
    for rollup in candidates:  # locked in label order, as look-back periods are
        if not lies_inside(period.label, rollup.label):
            continue
        scheme = await periods.scheme_of(session, rollup)
        if scheme.rollup is None or scheme.rollup.source != period.scheme_id:
            continue
        await session.refresh(rollup, with_for_update=True)
        if rollup.status != "finalized":
            periods.mark_due(rollup, f"{CAUSE}{period.id}")
            due.append(rollup.id)
    return due
