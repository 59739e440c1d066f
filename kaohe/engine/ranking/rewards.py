"""§9 rewards: by_grade, by_rank, pool (largest remainder), by_label, amount; prorate; no_reward.
A reward's `distribute` comes after (distribution.py)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from ..scheme.model import Expression, Problem, Reward
from .numbers import CONTEXT, ONE, ZERO
from .order import competition_ranks
from .standing import Standing

CENT = Decimal("0.01")


def apply_rewards(standings: Sequence[Standing], rewards: Sequence[Reward]) -> list[Problem]:
    """Fill every subject's `rewards` with every reward of the scheme; return pool problems."""
    problems: list[Problem] = []
    for index, reward in enumerate(rewards):
        for standing in standings:
            standing.rewards[reward.name] = ZERO
        if reward.pool is not None:
            problems += _pool(standings, reward, index)
        elif reward.by_rank is not None:
            _by_rank(standings, reward)
        elif reward.amount is not None:
            _by_amount(standings, reward)
        else:
            _by_table(standings, reward)
    return problems


def _by_amount(standings: Sequence[Standing], reward: Reward) -> None:
    """001 篇4: each subject's own amount from an expression (a department's pay total from its score)."""
    assert reward.amount is not None
    for standing in filter(_eligible, standings):
        amount = reward.amount.evaluate(_inputs(standing), standing.score.subject.attributes)
        standing.rewards[reward.name] = CONTEXT.multiply(amount, _prorate(standing, reward.prorate))


def _eligible(standing: Standing) -> bool:
    return not standing.has_veto("no_reward")


def _scopes(standings: Sequence[Standing], reward: Reward) -> list[list[Standing]]:
    out: dict[str, list[Standing]] = {}
    for standing in standings:
        out.setdefault(standing.group if reward.scope == "group" else "", []).append(standing)
    return list(out.values())


def _prorate(standing: Standing, expression: Expression | None) -> Decimal:
    """003 篇一 "按在职月份享受": the prorate expression, clamped to [0, 1]."""
    if expression is None:
        return ONE
    value = expression.evaluate(_inputs(standing), standing.score.subject.attributes)
    return min(max(value, ZERO), ONE)


def _inputs(standing: Standing) -> dict[str, Decimal]:
    return {**standing.score.scores, "total": standing.score.total}


def _by_table(standings: Sequence[Standing], reward: Reward) -> None:
    """by_grade (the grade's amount) or by_label (the sum over the subject's labels)."""
    for standing in filter(_eligible, standings):
        if reward.by_grade is not None:
            amount = reward.by_grade.get(standing.grade, ZERO) if standing.grade else ZERO
        else:
            table = reward.by_label or {}
            amount = sum((table[label] for label in standing.labels if label in table), ZERO)
        standing.rewards[reward.name] = CONTEXT.multiply(amount, _prorate(standing, reward.prorate))


def _by_rank(standings: Sequence[Standing], reward: Reward) -> None:
    """000 篇1 前3名 2000/1500/1000; tied subjects share the amounts of the positions they hold."""
    amounts = reward.by_rank or ()
    for scope in _scopes([s for s in standings if s.ranked], reward):
        ranks = competition_ranks(scope, lambda s: s.placement)
        for standing, rank in ranks:
            tied = sum(1 for _, other in ranks if other == rank)
            held = sum(amounts[rank - 1 : rank - 1 + tied], ZERO)
            if _eligible(standing):
                share = CONTEXT.divide(held, Decimal(tied))
                standing.rewards[reward.name] = CONTEXT.multiply(share, _prorate(standing, reward.prorate))


def _pool(standings: Sequence[Standing], reward: Reward, index: int) -> list[Problem]:
    """001 篇4: the pool split by weight to the cent, largest remainder, always summing exactly."""
    problems: list[Problem] = []
    for scope in _scopes(list(filter(_eligible, standings)), reward):
        weights = {s.id: _weight(s, reward) for s in scope}
        split = largest_remainder(reward.pool or ZERO, weights)
        if split is None:
            problems.append(_empty_pool(reward, index, scope))
            continue
        for standing in scope:
            standing.rewards[reward.name] = split[standing.id]
    return problems


def _weight(standing: Standing, reward: Reward) -> Decimal:
    # A negative weight would take money from the others; it counts as 0.
    attributes = standing.score.subject.attributes
    raw = reward.weight.evaluate(_inputs(standing), attributes) if reward.weight else ONE
    return CONTEXT.multiply(max(raw, ZERO), _prorate(standing, reward.prorate))


def _empty_pool(reward: Reward, index: int, scope: Sequence[Standing]) -> Problem:
    where = f" in group {scope[0].group}" if reward.scope == "group" and scope else ""
    return Problem(
        message=f"reward {reward.name}: every weight is 0{where}, so the pool was not distributed",
        pointer=f"/rewards/{index}",
    )


def largest_remainder(pool: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal] | None:
    """Split `pool` in proportion to `weights` into cents summing exactly to the pool.

    Cents left after flooring go one each to the largest remainders; equal remainders go by
    subject id, so the split never depends on input order. None when every weight is 0.
    """
    total_weight = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if total_weight == 0:
        return None
    cents = int(pool.quantize(CENT, context=CONTEXT) * 100)
    sign, cents = (-1 if cents < 0 else 1), abs(cents)
    exact = {key: Fraction(w) * cents / total_weight for key, w in weights.items()}
    floors = {key: int(value) for key, value in exact.items()}
    left = cents - sum(floors.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))[:left]:
        floors[key] += 1
    return {key: Decimal(sign * value).scaleb(-2) for key, value in floors.items()}
