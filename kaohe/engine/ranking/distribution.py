"""§10.1 two-stage rewards: a unit's amount split among its people (001 篇4 二次分配).

The first stage is any reward form and gives the unit its amount; `distribute` then splits that
amount, rounded to the cent, among the people the unit's `members` attribute lists, in proportion
to `weight` evaluated over each person (`attr.NAME` the person's attributes, `score` the person's
own result, `total` the unit's total), with the largest-remainder rule, so the people's amounts
always add up to the unit's exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kaohe.i18n import _

from ..scheme.model import Problem, Reward
from .numbers import CONTEXT, ZERO, as_decimal
from .rewards import CENT, largest_remainder
from .standing import Standing


def distribute_rewards(standings: Sequence[Standing], rewards: Sequence[Reward]) -> list[Problem]:
    """Every distributed reward of the scheme, once the rewards are computed (apply_rewards)."""
    problems: list[Problem] = []
    for index, reward in enumerate(rewards):
        if reward.distribute is not None:
            problems += distribute(standings, reward, index)
    return problems


def distribute(standings: Sequence[Standing], reward: Reward, index: int) -> list[Problem]:
    """Split every unit's amount of `reward` among its members; the problems of units that cannot."""
    plan = reward.distribute
    if plan is None:
        return []
    problems: list[Problem] = []
    for standing in standings:
        amount = standing.rewards.get(reward.name, ZERO).quantize(CENT, rounding=ROUND_HALF_UP, context=CONTEXT)
        members = _members(standing.score.subject.attributes.get(plan.members))
        where = f"/rewards/{index}/distribute"
        if members is None:
            problems.append(Problem(
                pointer=where, subject=standing.id,
                message=_("reward %(reward)s: subject %(subject)s has no usable list of people in its attribute "
                          "%(members)s (each needs an id, a score and attributes), so its amount was not distributed",
                          reward=reward.name, subject=standing.id, members=plan.members)))
            continue
        weights = {}
        for member in members:
            inputs = {"score": member["score"], "total": standing.score.total}
            raw = plan.weight.evaluate(inputs, member["attributes"])
            weights[member["id"]] = max(raw, ZERO)  # a negative weight would take from the others
        split = largest_remainder(amount, weights) if members else None
        if split is None:
            if amount != 0:
                problems.append(Problem(
                    pointer=where, subject=standing.id,
                    message=_("reward %(reward)s: every weight of subject %(subject)s's people is 0, so its amount "
                              "was not distributed", reward=reward.name, subject=standing.id)))
            split = dict.fromkeys(weights, ZERO)
        standing.distribution[reward.name] = split
    return problems


def _members(raw: Any) -> list[dict[str, Any]] | None:
    """The people of a unit: a list of {id, score, attributes}; None when any entry is unusable."""
    if not isinstance(raw, list):
        return None
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in raw:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or entry["id"] in seen:
            return None
        score = as_decimal(entry.get("score", 0))
        attributes = entry.get("attributes", {})
        if score is None or not isinstance(attributes, Mapping):
            return None
        seen.add(entry["id"])
        out.append({"id": entry["id"], "score": score, "attributes": attributes})
    return out


def distribution_document(split: Mapping[str, Decimal]) -> dict[str, str]:
    """A unit's split for the result: person id → amount, two decimals, in id order."""
    return {person: format(amount.quantize(CENT, context=CONTEXT), "f") for person, amount in sorted(split.items())}
