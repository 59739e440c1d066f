"""Validation and normalisation of leaf rule parameters (§3.4): defaults filled, decimals parsed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal, TypeVar, cast

from kaohe.i18n import _

from .checks import Checker, pointer
from .model import (
    AccrualParams,
    AttrRef,
    BandedParams,
    CasesParams,
    CompletionParams,
    DeductionParams,
    JournalParams,
    ManualParams,
    PeerRelativeParams,
    PerOccurrenceParams,
    RankPointsParams,
    RatingParams,
    RatioParams,
    RuleParams,
    Target,
)

Option = TypeVar("Option", bound=str)
_ONE = Decimal(1)
EACH_ZERO_WHEN = _("each zero_when entry")
EACH_BAND = _("each band")
TRIM_HIGHEST = _("trim highest")
TRIM_LOWEST = _("trim lowest")
RULE_KIND = _("the rule kind")

ALLOWED: dict[str, tuple[str, ...]] = {
    "manual": ("combine", "assessor_weights"),
    "ratio": ("target", "below", "zero_denominator"),
    "completion": ("target", "direction", "below", "bonus_per_point", "bonus_cap"),
    "deduction": ("base", "per_event", "floor", "max_deduction", "zero_when", "justified_exempt"),
    "accrual": ("per_event", "levels", "highest_per_key", "shared", "collective_factor", "min", "max"),
    "per_occurrence": ("none_assigned",),
    "banded": ("bands", "each", "combine"),
    "rating": ("scale", "combine", "levels", "missing_level", "trim", "min_ratings"),
    "rank_points": ("of", "bands", "peer_scope"),
    "cases": (),
    "journal": ("scale_max",),
    "peer_relative": ("direction", "bands", "peer_scope"),
}
FACT_KIND = {
    "manual": "score",
    "ratio": "measure",
    "completion": "measure",
    "deduction": "event",
    "accrual": "event",
    "per_occurrence": "task",
    "banded": "measure",
    "rating": "rating",
    "rank_points": None,
    "cases": "case",
    "journal": "journal",
    "peer_relative": "measure",
}


def target(c: Checker, value: Any, ptr: str) -> Target | None:
    """A positive number or `attr.NAME`."""
    if isinstance(value, str) and value.startswith("attr."):
        name = value[5:]
        if name.isidentifier():
            return AttrRef(name)
        c.add(ptr, _("target %(value)r must be attr.NAME with NAME a plain attribute name", value=value))
        return None
    return c.number(value, ptr, "target", positive=True, percent=True)


def _points_table(c: Checker, value: Any, ptr: str, what: str) -> dict[str, Decimal]:
    table = c.mapping(value, ptr, what)
    out: dict[str, Decimal] = {}
    for key, points in (table or {}).items():
        number = c.number(points, pointer(ptr, key), _points_of(key, what))
        if number is not None:
            out[str(key)] = number
    return out


def _points_of(key: Any, table: str) -> Callable[[], str]:
    return lambda: _("the points of %(key)r in %(what)s", key=key, what=table)


def _opt(c: Checker, rule: Mapping[str, Any], ptr: str, key: str, options: tuple[Option, ...]) -> Option:
    """The option chosen (one of `options`, checked), the first one when none is."""
    if key not in rule:
        return options[0]
    return cast(Option, c.choice(rule[key], pointer(ptr, key), key, options) or options[0])


def _manual(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    combine: Literal["mean", "min", "max", "latest", "weighted"] = _opt(
        c, rule, ptr, "combine", ("mean", "min", "max", "latest", "weighted"))
    weights: dict[str, Decimal] = {}
    if "assessor_weights" in rule:
        weights = _points_table(c, rule["assessor_weights"], pointer(ptr, "assessor_weights"), "assessor_weights")
        for name, weight in weights.items():
            if weight <= 0:
                c.add(pointer(pointer(ptr, "assessor_weights"), name), _("the weight of %(name)r must be above 0",
                                                                          name=name))
    if combine == "weighted" and not weights:
        c.add(pointer(ptr, "assessor_weights"), _("combine: weighted needs assessor_weights {assessor: weight}"))
    return ManualParams(combine=combine, assessor_weights=weights)


def _ratio(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    tgt = target(c, rule["target"], pointer(ptr, "target")) if "target" in rule else _ONE
    return RatioParams(
        target=tgt or _ONE,
        below=_opt(c, rule, ptr, "below", ("proportional", "zero")),
        zero_denominator=_opt(c, rule, ptr, "zero_denominator", ("full", "zero", "not_assigned")),
    )


def _completion(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    tgt = target(c, rule["target"], pointer(ptr, "target")) if "target" in rule else None
    if "target" not in rule:
        c.add(pointer(ptr, "target"), _("completion needs a target (a number above 0, or attr.NAME)"))
    bonus = Decimal(0)
    if "bonus_per_point" in rule:
        bonus = c.number(
            rule["bonus_per_point"], pointer(ptr, "bonus_per_point"), "bonus_per_point", non_negative=True, percent=True
        ) or Decimal(0)
    cap = node_max
    if "bonus_cap" in rule:
        cap = c.number(rule["bonus_cap"], pointer(ptr, "bonus_cap"), "bonus_cap", non_negative=True) or node_max
    return CompletionParams(
        target=tgt or _ONE,
        direction=_opt(c, rule, ptr, "direction", ("higher_better", "lower_better")),
        below=_opt(c, rule, ptr, "below", ("proportional", "zero")),
        bonus_per_point=bonus,
        bonus_cap=cap,
    )


def _zero_when(c: Checker, value: Any, ptr: str) -> list[tuple[str, Decimal]]:
    out: list[tuple[str, Decimal]] = []
    for i, item in enumerate(c.seq(value, ptr, "zero_when") or []):
        at = pointer(ptr, i)
        cond = c.mapping(item, at, EACH_ZERO_WHEN)
        if cond is None:
            continue
        c.keys(cond, at, ("type", "count_gte"), ("type", "count_gte"))
        kind = c.text(cond.get("type"), pointer(at, "type"), "type") if "type" in cond else None
        count = (
            c.number(cond.get("count_gte"), pointer(at, "count_gte"), "count_gte", positive=True)
            if "count_gte" in cond
            else None
        )
        if kind is not None and count is not None:
            out.append((kind, count))
    return out


def _deduction(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    per_event = _points_table(c, rule.get("per_event", {}), pointer(ptr, "per_event"), "per_event")
    if "per_event" not in rule:
        c.add(pointer(ptr, "per_event"), _("deduction needs per_event {event type: points}"))
    for kind, points in per_event.items():
        if points < 0:
            c.add(pointer(pointer(ptr, "per_event"), kind), _("deduction points are written as positive numbers"))
    zero_when = _zero_when(c, rule["zero_when"], pointer(ptr, "zero_when")) if "zero_when" in rule else []
    for kind, _count in zero_when:
        # A type may only zero the item (000 篇5 保密: "出现…该项不得分") without a per-event deduction;
        # listing it at 0 makes its events known rather than reported as unknown facts.
        per_event.setdefault(kind, Decimal(0))
    return DeductionParams(
        base=_num(c, rule, ptr, "base", node_max),
        per_event=per_event,
        floor=_num(c, rule, ptr, "floor", Decimal(0)),
        max_deduction=_num_or_none(c, rule, ptr, "max_deduction", non_negative=True),
        zero_when=tuple(zero_when),
        justified_exempt=_bool(c, rule, ptr, "justified_exempt", True),
    )


def _num(
    c: Checker,
    rule: Mapping[str, Any],
    ptr: str,
    key: str,
    default: Decimal,
    *,
    non_negative: bool = False,
    percent: bool = False,
) -> Decimal:
    value = _num_or_none(c, rule, ptr, key, non_negative=non_negative, percent=percent)
    return default if value is None else value


def _num_or_none(
    c: Checker, rule: Mapping[str, Any], ptr: str, key: str, *, non_negative: bool = False, percent: bool = False
) -> Decimal | None:
    if key not in rule:
        return None
    return c.number(rule[key], pointer(ptr, key), key, non_negative=non_negative, percent=percent)


def _bool(c: Checker, rule: Mapping[str, Any], ptr: str, key: str, default: bool) -> bool:
    if key not in rule:
        return default
    value = c.boolean(rule[key], pointer(ptr, key), key)
    return default if value is None else value


def _accrual(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    per_event = (
        _points_table(c, rule["per_event"], pointer(ptr, "per_event"), "per_event") if "per_event" in rule else {}
    )
    levels = _points_table(c, rule["levels"], pointer(ptr, "levels"), "levels") if "levels" in rule else {}
    low = _num(c, rule, ptr, "min", Decimal(0))
    high = _num(c, rule, ptr, "max", node_max)
    if high > node_max:
        c.add(pointer(ptr, "max"),
              _("max (%(high)s) cannot be above the leaf's max (%(max)s)", high=high, max=node_max))
    if low > high:
        c.add(pointer(ptr, "min"), _("min (%(low)s) must not be above max (%(high)s)", low=low, high=high))
    return AccrualParams(
        per_event=per_event,
        levels=levels,
        highest_per_key=_bool(c, rule, ptr, "highest_per_key", True),
        shared=_opt(c, rule, ptr, "shared", ("split", "full")),
        collective_factor=_num(c, rule, ptr, "collective_factor", Decimal("0.5"), non_negative=True, percent=True),
        min=low,
        max=high,
    )


def _per_occurrence(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    return PerOccurrenceParams(none_assigned=_opt(c, rule, ptr, "none_assigned", ("full", "zero")))


def _bands(c: Checker, value: Any, ptr: str, key: str, keys: tuple[str, ...],
           node_max: Decimal) -> list[dict[str, Decimal]]:
    out: list[dict[str, Decimal]] = []
    items = c.seq(value, ptr, "bands")
    if items is not None and not items:
        c.add(ptr, _("bands must list at least one band"))
    for i, item in enumerate(items or []):
        at = pointer(ptr, i)
        band = c.mapping(item, at, EACH_BAND)
        if band is None:
            continue
        c.keys(band, at, (*keys, "points"), ("points",))
        present = [k for k in keys if k in band]
        if len(present) != 1:
            c.add(at, _("each band needs exactly one of %(keys)s", keys=", ".join(keys)))
            continue
        # "90%" reads as 0.9: 003 篇三 bands attendance rates in percent
        bound = c.number(band[present[0]], pointer(at, present[0]), present[0], percent=True)
        points = c.number(band.get("points"), pointer(at, "points"), "points") if "points" in band else None
        if points is not None and points > node_max:
            # §3.4: a leaf's score is held within [0, max], so the band would never pay what it says
            c.warn(pointer(at, "points"), _("this band gives %(points)s points, more than the leaf's max %(max)s: "
                                            "the score is held to %(max)s", points=points, max=node_max))
        if bound is not None and points is not None:
            out.append({present[0]: bound, "points": points})
    return out


def _banded(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    bands = _bands(c, rule.get("bands"), pointer(ptr, "bands"), "min", ("min",), node_max)
    mins = [band["min"] for band in bands]
    if any(a <= b for a, b in pairwise(mins)):
        c.add(pointer(ptr, "bands"), _("bands must be listed from the highest min to the lowest"))
    return BandedParams(
        bands=tuple((band["min"], band["points"]) for band in bands),
        each=_opt(c, rule, ptr, "each", ("period", "month")),
        combine=_opt(c, rule, ptr, "combine", ("mean", "sum")),
    )


def _rating(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    scale = _points_table(c, rule["scale"], pointer(ptr, "scale"), "scale") if "scale" in rule else {}
    levels: list[str] = []
    if "levels" in rule:
        levels = [str(x) for x in c.seq(rule["levels"], pointer(ptr, "levels"), "levels") or []]
    trim = (0, 0)
    if "trim" in rule:
        trim = _trim(c, rule["trim"], pointer(ptr, "trim"))
    min_ratings = 0
    if "min_ratings" in rule:
        min_ratings = c.integer(rule["min_ratings"], pointer(ptr, "min_ratings"), "min_ratings", low=0) or 0
    combine: Literal["mean", "mean_of_levels"] = _opt(c, rule, ptr, "combine", ("mean", "mean_of_levels"))
    missing_level: Literal["skip", "full"] = _opt(c, rule, ptr, "missing_level", ("skip", "full"))
    if missing_level == "full" and not levels:  # 003 篇三 names the levels: 部门负责人, 分管领导, 科室负责人
        c.add(pointer(ptr, "levels"), _("missing_level: full needs the list of expected rater levels"))
    return RatingParams(
        scale=scale,
        combine=combine,
        levels=tuple(levels),
        missing_level=missing_level,
        trim=trim,
        min_ratings=min_ratings,
    )


def _trim(c: Checker, value: Any, ptr: str) -> tuple[int, int]:
    trim = c.mapping(value, ptr, "trim")
    if trim is None:
        return (0, 0)
    c.keys(trim, ptr, ("highest", "lowest"))
    high = c.integer(trim.get("highest", 0), pointer(ptr, "highest"), TRIM_HIGHEST, low=0) or 0
    low = c.integer(trim.get("lowest", 0), pointer(ptr, "lowest"), TRIM_LOWEST, low=0) or 0
    return (high, low)


def _rank_points(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    of = c.code(rule.get("of"), pointer(ptr, "of"), "of") if "of" in rule else None
    if "of" not in rule:
        c.add(pointer(ptr, "of"), _("rank_points needs 'of': the indicator whose scores are ranked"))
    bands = _bands(c, rule.get("bands"), pointer(ptr, "bands"), "top", ("top",), node_max)
    tops = [band["top"] for band in bands]
    if any(t <= 0 or t > 1 for t in tops):
        c.add(pointer(ptr, "bands"), _("each band's top is a share above 0 and at most 1, such as 0.25"))
    elif any(a >= b for a, b in pairwise(tops)) or (tops and tops[-1] != 1):
        c.add(pointer(ptr, "bands"), _("band tops must rise from the smallest share to 1 (the last band is top: 1)"))
    return RankPointsParams(
        of=of,
        bands=tuple((band["top"], band["points"]) for band in bands),
        peer_scope=_opt(c, rule, ptr, "peer_scope", ("group", "all")),
    )


def _cases(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    return CasesParams()


def _journal(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    scale_max = node_max
    if "scale_max" in rule:
        scale_max = c.number(rule["scale_max"], pointer(ptr, "scale_max"), "scale_max", positive=True) or node_max
    return JournalParams(scale_max=scale_max)


def _peer_relative(c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal) -> RuleParams:
    if "direction" not in rule:
        c.add(pointer(ptr, "direction"), _("peer_relative needs direction: higher_better or lower_better"))
    direction: Literal["higher_better", "lower_better"] = _opt(
        c, rule, ptr, "direction", ("higher_better", "lower_better"))
    bands = _bands(c, rule.get("bands"), pointer(ptr, "bands"), "index", ("max_index", "min_index"),
                   node_max)
    return PeerRelativeParams(
        direction=direction,
        bands=tuple(("max_index" in b, b["max_index"] if "max_index" in b else b["min_index"], b["points"])
                    for b in bands),
        peer_scope=_opt(c, rule, ptr, "peer_scope", ("all", "group")),
    )


_PARSERS: dict[str, Callable[[Checker, Mapping[str, Any], str, Decimal], RuleParams]] = {
    "manual": _manual,
    "ratio": _ratio,
    "completion": _completion,
    "deduction": _deduction,
    "accrual": _accrual,
    "per_occurrence": _per_occurrence,
    "banded": _banded,
    "rating": _rating,
    "rank_points": _rank_points,
    "cases": _cases,
    "journal": _journal,
    "peer_relative": _peer_relative,
}


def parse_rule_params(
    c: Checker, rule: Mapping[str, Any], ptr: str, node_max: Decimal
) -> tuple[str, RuleParams] | None:
    """Check a `rule:` mapping; returns (kind, normalised params) or None when the kind is unusable."""
    kinds = tuple(ALLOWED)
    if "kind" not in rule:
        c.add(pointer(ptr, "kind"), _("a rule needs a kind, one of %(kinds)s", kinds=", ".join(kinds)))
        return None
    kind = c.choice(rule["kind"], pointer(ptr, "kind"), RULE_KIND, kinds)
    if kind is None:
        return None
    c.keys(rule, ptr, ("kind", *ALLOWED[kind]))
    return kind, _PARSERS[kind](c, rule, ptr, node_max)
