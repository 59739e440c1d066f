"""§9 rewards: by_grade, by_rank, pool (largest remainder), by_label, amount; prorate; no_reward.
A reward's `distribute` comes after (distribution.py)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from kaohe.i18n import _

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
    """000 篇1 前3名 2000/1500/1000; tied subjects share the amounts of the positions they hold, split to the
    cent by the largest remainder so that the shares add up to those amounts exactly (three sharing 1000:
    333.34, 333.33, 333.33); the extra cents go to the tied subjects in table order (by id)."""
    amounts = reward.by_rank or ()
    for scope in _scopes([s for s in standings if s.ranked], reward):
        ranks = competition_ranks(scope, lambda s: s.placement)
        for rank in sorted({rank for _standing, rank in ranks}):
            tied = sorted((standing for standing, other in ranks if other == rank), key=lambda s: s.id)
            held = sum(amounts[rank - 1 : rank - 1 + len(tied)], ZERO)
            shares = {tied[0].id: held} if len(tied) == 1 else largest_remainder(held, dict.fromkeys(
                (s.id for s in tied), ONE)) or {}
            for standing in filter(_eligible, tied):  # a barred subject's share is forfeited (§13 question 8)
                standing.rewards[reward.name] = CONTEXT.multiply(shares[standing.id],
                                                                 _prorate(standing, reward.prorate))


def _pool(standings: Sequence[Standing], reward: Reward, index: int) -> list[Problem]:
    """001 篇4: the pool split by weight to the cent, largest remainder, always summing exactly."""
    problems: list[Problem] = []
    for scope in _scopes(list(filter(_eligible, standings)), reward):
        weights = {s.id: _weight(s, reward) for s in scope}
        table_order = [s.id for s in sorted(scope, key=lambda s: (s.rank is None, s.rank or 0, s.id))]
        split = largest_remainder(reward.pool or ZERO, weights, table_order)
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
    message = (_("reward %(reward)s: every weight is 0 in group %(group)s, so the pool was not distributed",
                 reward=reward.name, group=scope[0].group) if reward.scope == "group" and scope
               else _("reward %(reward)s: every weight is 0, so the pool was not distributed", reward=reward.name))
    return Problem(
        message=message,
        pointer=f"/rewards/{index}",
    )


def largest_remainder(pool: Decimal, weights: dict[str, Decimal],
                      precedence: Sequence[str] | None = None) -> dict[str, Decimal] | None:
    """Split `pool` in proportion to `weights` into cents summing exactly to the pool.

    Cents left after flooring go one each to the largest remainders; equal remainders go to the key
    earlier in `precedence` (a pool: the 公示 table's order, rank then id), else to the smaller key,
    so the split never depends on input order. None when every weight is 0.
    """
    total_weight = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if total_weight == 0:
        return None
    cents = int(pool.quantize(CENT, context=CONTEXT) * 100)
    sign, cents = (-1 if cents < 0 else 1), abs(cents)
    exact = {key: Fraction(w) * cents / total_weight for key, w in weights.items()}
    floors = {key: int(value) for key, value in exact.items()}
    left = cents - sum(floors.values())
    place = {key: n for n, key in enumerate(precedence if precedence is not None else sorted(weights))}
    for key in sorted(exact, key=lambda k: (-(exact[k] - floors[k]), place.get(k, len(place)), k))[:left]:
        floors[key] += 1
    return {key: Decimal(sign * value).scaleb(-2) for key, value in floors.items()}
