"""Cross-subject leaf kinds (§3.4): rank_points and peer_relative, one column for the whole period."""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal

from ..scheme.model import Node, PeerRelativeParams, Problem, RankPointsParams, Subject
from .period import Period
from .rules import ZERO, clamp, fmt, ids, measure_value, params_of

MissingFn = Callable[[Node, Subject, list[Problem], str], tuple[Decimal, str]]


def _scopes(period: Period, node: Node, scope: str, members: list[int]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i in members:
        key = period.subjects[i].group if scope == "group" else ""
        out.setdefault(key, []).append(i)
    return out


def _assigned(period: Period, node: Node) -> list[int]:
    unassigned = period.unassigned[node.code]
    return [i for i in range(len(period.subjects)) if i not in unassigned]


def rank_points_column(period: Period, node: Node, groups: Collection[str] | None = None) -> None:
    """003 篇一 "排名前25%得分为90分…": competition rank by `of` within the peer scope, then bands.

    With `groups` and a group peer scope, only those groups' members are scored (the others keep
    their values: subset.py, when nothing in the other groups moved)."""
    p = params_of(node, RankPointsParams)
    of = p.of
    if of is None:  # parse_scheme refuses a rank_points without `of`
        raise TypeError(f"{node.code}: rank_points without 'of'")
    for key, members in _scopes(period, node, p.peer_scope, _assigned(period, node)).items():
        if groups is not None and p.peer_scope == "group" and key not in groups:
            continue
        values = sorted((period.rows[i][of] for i in members), reverse=True)
        first: dict[Decimal, int] = {}
        for position, value in enumerate(values, start=1):
            first.setdefault(value, position)  # ties share the best rank (1, 2, 2, 4)
        total = len(members)
        for i in members:
            rank = first[period.rows[i][of]]
            points = next((pts for top, pts in p.bands if rank <= top * total), ZERO)
            score = clamp(points, ZERO, node.max)
            period.rows[i][node.code] = score
            period.explain[i][node.code] = (
                f"rank_points by {of} {fmt(period.rows[i][of])}: rank {rank} of {total} → {fmt(score)}"
            )


def peer_relative_column(period: Period, node: Node, missing: MissingFn) -> None:
    """001 篇8: index = value / mean of the peers' values; the first band the index fits gives the points."""
    p = params_of(node, PeerRelativeParams)
    values: dict[int, Decimal] = {}
    for i in _assigned(period, node):
        subject = period.subjects[i]
        facts = period.facts_for(subject.id, node.code)
        value, denom, _ = measure_value(facts, period.problems, words=False) if facts else (None, None, "")
        if value is None or denom == 0:
            period.rows[i][node.code], period.explain[i][node.code] = missing(node, subject, period.problems, "")
            continue
        values[i] = value if denom is None else value / denom
    for members in _scopes(period, node, p.peer_scope, sorted(values)).values():
        mean = sum((values[i] for i in members), ZERO) / len(members)
        for i in members:
            index = values[i] / mean if mean != 0 else Decimal(1)
            points = _index_points(p.bands, index)
            score = clamp(points, ZERO, node.max)
            facts = period.facts_for(period.subjects[i].id, node.code) or []
            period.rows[i][node.code] = score
            period.explain[i][node.code] = (
                f"peer_relative [{ids(facts)}]: {fmt(values[i])} / peer mean "
                f"{fmt(mean)} = index {fmt(index)} → {fmt(score)}"
            )


def _index_points(bands: tuple[tuple[bool, Decimal, Decimal], ...], index: Decimal) -> Decimal:
    for is_max, bound, points in bands:
        if (index <= bound) if is_max else (index >= bound):
            return points
    return ZERO
