"""Look-back windows in the services (scheme-reference §3.5, 001 篇5 "3年内"): a leaf with `lookback: {periods: n}`
also reads its facts of the n − 1 periods before this one. Those are the periods of the same scheme (any version:
a scheme keeps its id across versions) and the same owner whose label is one of the n − 1 labels before this
period's (2014, 3 → 2013 and 2012), whatever their status; their live facts of that leaf, for the subjects
enrolled in this period, are handed to the engine with the earlier period's label in `period`, as a facts file
carries them offline (docs/decisions.md, issue 19). When a period's inputs change, the later periods whose window
holds it are due for a recompute (`mark_later_due`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.scheme.evidence_rules import earlier_periods
from kaohe.engine.scheme.model import Scheme
from services.scoring.periods import service as periods
from services.scoring.periods.models import Period, PeriodSubject
from services.scoring.scores.models import FactCopy


def windows(scheme: Scheme, label: str) -> dict[str, tuple[str, ...]]:
    """Each look-back leaf's earlier period labels (none: the scheme does not look back)."""
    out = {}
    for node in scheme.nodes():
        if node.is_leaf and node.lookback:
            earlier = earlier_periods(label, node.lookback)
            if earlier:
                out[node.code] = earlier
    return out


async def earlier_facts(session: AsyncSession, period: Period, scheme: Scheme) -> list[dict[str, Any]]:
    """The live facts earlier periods contribute to this period's look-back leaves, each with its `period`."""
    wanted = windows(scheme, period.label)
    if not wanted:
        return []
    labels = sorted({label for earlier in wanted.values() for label in earlier})
    enrolled = select(PeriodSubject.subject_id).where(PeriodSubject.period_id == period.id)
    stmt = (
        select(FactCopy.body, Period.label)
        .join(Period, Period.id == FactCopy.period_id)
        .where(Period.scheme_id == period.scheme_id, Period.owner_path == period.owner_path,
               Period.id != period.id, Period.label.in_(labels), FactCopy.retracted.is_(False),
               FactCopy.subject_id.in_(enrolled),
               or_(*(and_(FactCopy.indicator == code, Period.label.in_(earlier)) for code, earlier in wanted.items())))
        .order_by(Period.label, FactCopy.fact_id)
    )
    return [{**body, "period": label} for body, label in (await session.execute(stmt)).all()]


async def mark_later_due(session: AsyncSession, period: Period, scheme: Scheme) -> list[str]:
    """After this period's inputs changed: the later periods of the same scheme and owner whose look-back window
    holds this period, not finalized (frozen until reopened), are due for a recompute; their ids."""
    if not windows(scheme, period.label):
        return []  # the scheme has no look-back leaf (same scheme id: later versions are checked below)
    candidates = list(await session.scalars(
        select(Period).where(Period.scheme_id == period.scheme_id, Period.owner_path == period.owner_path,
                             Period.id != period.id, Period.label != period.label, Period.status != "finalized")
        .order_by(Period.label, Period.id)))
    due = []
    for later in candidates:  # only later periods, locked in label order: recomputes never wait in a circle
        later_scheme = await periods.scheme_of(session, later)
        if any(period.label in earlier for earlier in windows(later_scheme, later.label).values()):
            await session.refresh(later, with_for_update=True)
            if later.status != "finalized":
                periods.mark_due(later, f"lookback:{period.id}")
                due.append(later.id)
    return due
