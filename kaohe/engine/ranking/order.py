"""§6 ranking: order keys, the §5 rank effects (bottom, downgrade) and competition ranks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ..scheme.model import Ranking
from .standing import MeritKey, Standing

T = TypeVar("T")


def merit_key(standing: Standing, ranking: Ranking) -> MeritKey:
    """Sort key, best first: `{bottom: n}` subjects after all others (§5), then the order keys."""
    keys = tuple(
        standing.value_of(key) if key in ranking.ascending else -standing.value_of(key)
        for key in ranking.order
    )
    return (standing.has_veto("bottom"), keys)


def competition_ranks(items: Sequence[T], key: Callable[[T], MeritKey]) -> list[tuple[T, int]]:
    """Items best first with competition ranks (1, 2, 2, 4); ties share the best rank."""
    ordered = sorted(items, key=lambda item: key(item))
    out: list[tuple[T, int]] = []
    for index, item in enumerate(ordered):
        tied = index > 0 and key(item) == key(ordered[index - 1])
        out.append((item, out[-1][1] if tied else index + 1))
    return out


def place_downgraded(scope: Sequence[Standing], grade_order: Sequence[str]) -> None:
    """Set `placement`: a downgraded subject goes after every subject holding its new grade or a
    better one (docs/decisions.md: "downgrade ranks at the end of its new grade").

    002 "直接降低等次,并列该等次末位": §5 says "after every other subject holding that grade"; when
    nobody else holds it, that alone would leave a downgraded 合格 unit above 良好 units, which
    no office reads the rule to mean. A subject that already sorts after them keeps its place;
    `{bottom: n}` wins over downgrade (it is already after everyone). Several downgraded
    subjects: the better grade first, then by merit.
    """
    position = {grade: index for index, grade in enumerate(grade_order)}
    for standing in scope:
        standing.placement = (standing.merit[0], standing.merit[1], False, 0, standing.merit[1])
    for standing in scope:
        if standing.merit[0] or standing.grade is None or not standing.has_veto("downgrade"):
            continue
        rank_of_grade = position.get(standing.grade, len(position))
        holders = [
            other.merit
            for other in scope
            if other.grade is not None and position.get(other.grade, len(position)) <= rank_of_grade
            and not other.merit[0] and not other.has_veto("downgrade")
        ]
        last = max(holders, default=None)
        if last is not None and last > standing.merit:
            standing.placement = (False, last[1], True, rank_of_grade, standing.merit[1])


def assign_ranks(scope: Sequence[Standing]) -> None:
    """Final competition ranks within one scope, on the placement keys; unranked stay None."""
    ranked = [standing for standing in scope if standing.ranked]
    for standing, rank in competition_ranks(ranked, lambda s: s.placement):
        standing.rank = rank
