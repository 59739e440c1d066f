"""§8 labels on the final ranks: top/bottom (or shares), `where`, veto bars, pooled groups."""

from __future__ import annotations

from collections.abc import Sequence

from ..scheme.model import Label, LabelWhere
from .numbers import count_from_share
from .order import competition_ranks
from .standing import Standing, by_scope


def apply_labels(standings: Sequence[Standing], labels: Sequence[Label]) -> None:
    """Give every label of the scheme to the subjects that earn it, in scheme order."""
    ranked = [standing for standing in standings if standing.ranked]
    for label in labels:
        for pool in _pools(ranked, label):
            for standing in _winners(pool, label):
                standing.labels.append(label.label)


def _pools(ranked: Sequence[Standing], label: Label) -> list[list[Standing]]:
    # 002 二十佳: `groups` ranks the listed groups together for this label alone.
    if label.groups is not None:
        return [[s for s in ranked if s.group in label.groups]]
    return list(by_scope(ranked).values())


def _winners(pool: Sequence[Standing], label: Label) -> list[Standing]:
    """Bars first (the label passes to the next), then the rank test, then `where` (§8)."""
    candidates = [s for s in pool if not _barred(s, label)]
    if _has_rank_test(label):
        candidates = _rank_test(candidates, label, scope_size=len(pool))
    return [s for s in candidates if _where_holds(s, label.where)]


def _barred(standing: Standing, label: Label) -> bool:
    if any(veto.label == label.label for veto in standing.vetoes("no_label")):
        return True
    # `no_labels` bars from the labels of merit (top, top_share), not from 通报批评-like ones.
    return standing.has_veto("no_labels") and (label.top is not None or label.top_share is not None)


def _has_rank_test(label: Label) -> bool:
    return any(v is not None for v in (label.top, label.bottom, label.top_share, label.bottom_share))


def _rank_test(candidates: Sequence[Standing], label: Label, *, scope_size: int) -> list[Standing]:
    ranks = competition_ranks(candidates, lambda s: s.placement)
    top = label.top
    if label.top_share is not None:
        top = count_from_share(label.top_share, scope_size, label.rounding)
    if top is not None:
        return [s for s, rank in ranks if rank <= top]
    bottom = label.bottom
    if label.bottom_share is not None:
        bottom = count_from_share(label.bottom_share, scope_size, label.rounding)
    assert bottom is not None
    return [s for s, rank in ranks if rank > len(candidates) - bottom]


def _where_holds(standing: Standing, where: LabelWhere | None) -> bool:
    if where is None:
        return True
    total = standing.score.total
    return (
        (where.grade is None or standing.grade == where.grade)
        and (where.total_lt is None or total < where.total_lt)
        and (where.total_gte is None or total >= where.total_gte)
    )
