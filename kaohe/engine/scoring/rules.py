"""Leaf rules of §3.4 that read one subject's facts, compiled per leaf into fast closures.

A leaf function takes the subject's facts for that leaf (already checked to be of the leaf's fact
kind), the subject and the problem list; it returns `(score, explain)`. A score of None means
"no usable facts": the leaf's `missing` policy applies. `NotAssignedSignal` means the leaf is not
assigned to this subject after all (ratio `zero_denominator: not_assigned`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

from kaohe.i18n import Text, _

from ..bounds import integer_within_bounds, within_bounds
from ..scheme.model import (
    AttrRef,
    BandedParams,
    CompletionParams,
    ManualParams,
    Node,
    Problem,
    RatioParams,
    RuleParams,
    Subject,
    Target,
)

Fact = dict[str, Any]
LeafResult = tuple[Decimal | None, str]
P = TypeVar("P", bound=RuleParams)


def params_of(node: Node, kind: type[P]) -> P:
    """The leaf's rule parameters, which are of `kind` (the builder of that rule kind asks)."""
    rule = node.rule
    if rule is None or not isinstance(rule.params, kind):
        raise TypeError(f"{node.code} has no {kind.__name__}")
    return rule.params
LeafFn = Callable[[list[Fact], Subject, list[Problem]], LeafResult]
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
HUNDRED: Final = Decimal(100)
_DIGITS: Final = re.compile(r"([0-9]+)")
_SIX_PLACES: Final = Decimal("0.000001")
# memos of pure functions of a text or an integer, each at most _MEMO_ENTRIES: a long-running service must not grow
_MEMO_ENTRIES: Final = 10_000
_FORMATTED: Final[dict[str, str]] = {}
_NUMBERS: Final[dict[str, Decimal | None]] = {}
_INTEGERS: Final[dict[int, Decimal]] = {}
_UNSEEN: Final = object()


class NotAssignedSignal(Exception):
    """Raised by a leaf that decides it is not assigned to the subject (ratio zero denominator)."""


def num(raw: Any) -> Decimal | None:
    """A fact's number read exactly (Decimal(str(x))); None for text that is not a finite number, and for a number
    beyond the engine's bounds (kaohe.engine.bounds: 10^15 or more, more than 12 decimal places), which the leaf
    then reports as it reports a fact's field that is not a number."""
    if isinstance(raw, str):
        value = _NUMBERS.get(raw, _UNSEEN)
        return _text_number(raw) if value is _UNSEEN else value  # type: ignore[return-value]
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = _INTEGERS.get(raw)
        if value is None:
            if not integer_within_bounds(raw):
                return None
            value = Decimal(raw)
            if len(_INTEGERS) < _MEMO_ENTRIES:
                _INTEGERS[raw] = value
        return value
    return _read_number(raw)


def _text_number(raw: str) -> Decimal | None:
    # facts repeat the same few numbers ("7.5", "0.92"): a Decimal is immutable, so a memo is safe
    if raw in _NUMBERS:
        return _NUMBERS[raw]
    value = _read_number(raw)
    if len(_NUMBERS) < _MEMO_ENTRIES:
        _NUMBERS[raw] = value
    return value


def _read_number(raw: Any) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and within_bounds(value) else None


def fmt(value: Decimal) -> str:
    """A decimal as plain text for explanations: 7, 0.5, 66.666667 (at most 6 places shown)."""
    # Keyed by str(value), which determines the formatted result exactly (sign, digits, exponent)
    # and hashes faster than a long Decimal.
    key = str(value)
    text = _FORMATTED.get(key)
    if text is None:
        text = _format(value)
        if len(_FORMATTED) < _MEMO_ENTRIES:
            _FORMATTED[key] = text
    return text


def _format(value: Decimal) -> str:
    text = str(value)
    if "E" in text or "e" in text:
        text = format(value.quantize(_SIX_PLACES) if value.adjusted() < 40 else value, "f")
    elif "." not in text:
        return text
    elif len(text) - text.index(".") > 7:  # more than 6 places: round for display only
        text = str(value.quantize(_SIX_PLACES))
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("", "-0") else text


def ids(facts: list[Fact]) -> str:
    """The fact ids for explanations (facts reach the rules already sorted by id)."""
    return ",".join([str(f.get("id")) for f in facts])


def name_of(value: Any) -> str | None:
    """A fact's name field (type, level, grade, assessor) when it is text; lists and maps never match."""
    return value if isinstance(value, str) else None


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """value limited to [low, high]."""
    return low if value < low else high if value > high else value


def bad(problems: list[Problem], fact: Fact, message: str) -> None:
    """Report a fact that cannot be used."""
    problems.append(Problem(message=message, fact=str(fact.get("id"))))


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort f2 before f10 (ASCII digit runs compare as numbers)."""
    parts = _DIGITS.split(text)
    return tuple((1, part) if n % 2 == 0 else (0, int(part)) for n, part in enumerate(parts))


def resolve_target(target: Target, subject: Subject, problems: list[Problem], code: str) -> Decimal | None:
    """A rule target: the number, or the subject's attribute (must be a number above 0)."""
    if not isinstance(target, AttrRef):
        return target
    value = num(subject.attributes.get(target.name))
    if value is None or value <= 0:
        problems.append(
            Problem(
                subject=subject.id,
                message=_("%(indicator)s: the attribute %(attribute)s of subject %(subject)s must be a number above 0 "
                          "to serve as the target", indicator=code, attribute=target.name, subject=subject.id),
            )
        )
        return None
    return value


# ---- manual ---------------------------------------------------------------------------------------


def build_manual(node: Node) -> LeafFn:
    p = params_of(node, ManualParams)
    combine: str = p.combine
    weights: dict[str, Decimal] = p.assessor_weights
    top = node.max

    def manual(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        if combine == "mean" and facts:  # the default: no assessor check, every numeric fact is used
            read: list[Any] = [num(f.get("points")) for f in facts]
            try:
                total: Decimal = sum(read, ZERO)
            except TypeError:  # a None among them (`None in read` would be slower: Decimal == None)
                pass
            else:
                mean = total / len(read)
                score = clamp(mean, ZERO, top)
                words = " + ".join([fmt(v) for v in read])
                return score, f"manual mean [{ids(facts)}]: ({words}) / {len(read)} = {fmt(mean)}{_held(mean, score)}"
        used: list[Fact] = []
        values: list[Decimal] = []
        for f in facts:
            value = num(f.get("points"))
            if value is None:
                bad(problems, f, _("score fact needs numeric points, got %(points)r", points=f.get("points")))
            elif combine == "weighted" and name_of(f.get("assessor")) not in weights:
                bad(problems, f, _("assessor %(assessor)r has no weight in assessor_weights",
                                   assessor=f.get("assessor")))
            else:
                used.append(f)
                values.append(value)
        if not used:
            return None, f"manual [{ids(facts)}]: no usable score"
        score, words = _combine_manual(combine, used, values, weights)
        result = clamp(score, ZERO, top)
        return result, f"manual {combine} [{ids(used)}]: {words} = {fmt(score)}{_held(score, result)}"

    return manual


def _held(combined: Decimal, score: Decimal) -> str:
    """What the explanation adds when the combined points were clamped (§3.4 "the combined points, clamped"): a
    disputing office reads why 12 became 10 ("= 12, held to max 10"); nothing when they were within [0, max]."""
    if combined == score:
        return ""
    return f", held to max {fmt(score)}" if combined > score else ", held to 0"


def _combine_manual(
    combine: str, used: list[Fact], values: list[Decimal], weights: dict[str, Decimal]
) -> tuple[Decimal, str]:
    if combine == "mean":
        return sum(values, ZERO) / len(values), f"({' + '.join([fmt(v) for v in values])}) / {len(values)}"
    if combine == "min":
        return min(values), "min(" + ", ".join([fmt(v) for v in values]) + ")"
    if combine == "max":
        return max(values), "max(" + ", ".join([fmt(v) for v in values]) + ")"
    if combine == "latest":
        # latest = greatest date, then greatest fact id (natural order): independent of input order
        n = max(range(len(used)), key=lambda k: (str(used[k].get("date") or ""), natural_key(str(used[k].get("id")))))
        return values[n], f"latest {used[n].get('id')} {fmt(values[n])}"
    return _weighted_assessors(list(zip(used, values, strict=True)), weights)


def _weighted_assessors(used: list[tuple[Fact, Decimal]], weights: dict[str, Decimal]) -> tuple[Decimal, str]:
    # several scores by one assessor are averaged first, then weights renormalised over those who scored
    by_assessor: dict[str, list[Decimal]] = {}
    for f, v in used:
        by_assessor.setdefault(str(f.get("assessor")), []).append(v)
    num_sum, den = ZERO, ZERO
    parts = []
    for name in sorted(by_assessor):
        mean = sum(by_assessor[name], ZERO) / len(by_assessor[name])
        num_sum += weights[name] * mean
        den += weights[name]
        parts.append(f"{name} {fmt(mean)} × {fmt(weights[name])}")
    return num_sum / den, f"({' + '.join(parts)}) / {fmt(den)}"


# ---- measures: ratio, completion, banded ------------------------------------------------------------


def measure_value(
    facts: list[Fact], problems: list[Problem], words: bool = True, *, share: bool = False
) -> tuple[Decimal | None, Decimal | None, str]:
    """(Σ value, None) or (Σ numerator, Σ denominator) over measure facts; text says which (when words).
    With `share` (a ratio counting a part of its denominator) a numerator above its denominator is reported."""
    total, numer, denom = ZERO, ZERO, ZERO
    has_value = has_ratio = False
    for f in facts:
        if "numerator" in f or "denominator" in f:
            n, d = num(f.get("numerator")), num(f.get("denominator"))
            if n is None or d is None:
                bad(problems, f, _("measure fact needs numeric numerator and denominator"))
                continue
            if share and n > d:
                bad(problems, f, numerator_above_denominator(n, d))
                continue
            numer += n
            denom += d
            has_ratio = True
        else:
            v = num(f.get("value"))
            if v is None:
                bad(problems, f, _("measure fact needs a numeric value, got %(value)r", value=f.get("value")))
                continue
            total += v
            has_value = True
    if has_ratio:
        if has_value:
            problems.append(
                Problem(
                    message=_("value facts ignored: the leaf also has numerator/denominator facts"),
                    fact=ids([f for f in facts if "numerator" not in f]),
                )
            )
        return numer, denom, f"{fmt(numer)}/{fmt(denom)}" if words else ""
    if has_value:
        return total, None, fmt(total) if words else ""
    return None, None, ""


def numerator_above_denominator(numerator: Decimal, denominator: Decimal) -> Text:
    """Why a measure of a ratio whose target is at most 100 % is refused (the engine and evidence say the same)."""
    return _("the numerator %(numerator)s is above the denominator %(denominator)s: this ratio counts a part of "
             "its denominator (its target is at most 100%%), such as 18 of 20 cases due",
             numerator=fmt(numerator), denominator=fmt(denominator))


def _ratio_of(value: Decimal, denom: Decimal | None) -> Decimal:
    return value if denom is None else value / denom


def build_ratio(node: Node) -> LeafFn:
    p = params_of(node, RatioParams)
    top, below, zero_den, share = node.max, p.below, p.zero_denominator, p.counts_a_share
    top_text = fmt(top)

    def ratio(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        value, denom, words = measure_value(facts, problems, share=share)
        if value is None:
            return None, f"ratio [{ids(facts)}]: no usable measure"
        head = f"ratio [{ids(facts)}]: "
        if denom is not None and denom == 0:
            if zero_den == "not_assigned":
                raise NotAssignedSignal
            score = top if zero_den == "full" else ZERO
            return score, head + f"denominator is 0, {zero_den} = {fmt(score)}"
        target = resolve_target(p.target, subject, problems, node.code)
        if target is None:
            return ZERO, head + "no usable target = 0"
        rate = _ratio_of(value, denom)
        if rate >= target:
            return top, head + f"{words} = {fmt(rate)} ≥ target {fmt(target)}, full {top_text}"
        # the counts behind the rate, then the arithmetic ("18/20 = 0.9 < target 0.95: 10 × 0.9 / 0.95 = 9.473684")
        shortfall = head + f"{words} = {fmt(rate)} < target {fmt(target)}: "
        if below == "zero":
            return ZERO, shortfall + "below: zero = 0"
        score = clamp(top * rate / target, ZERO, top)
        return score, shortfall + f"{top_text} × {fmt(rate)} / {fmt(target)} = {fmt(score)}"

    return ratio


def build_completion(node: Node) -> LeafFn:
    p = params_of(node, CompletionParams)
    top, lower, below = node.max, p.direction == "lower_better", p.below
    bonus_per_point: Decimal = p.bonus_per_point
    bonus_cap: Decimal = p.bonus_cap

    def completion(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        used: list[Decimal] = []
        for f in facts:
            v = num(f.get("value"))
            if v is None:
                bad(problems, f, _("completion needs a numeric value, got %(value)r", value=f.get("value")))
            else:
                used.append(v)
        if not used:
            return None, f"completion [{ids(facts)}]: no usable value"
        head = f"completion [{ids(facts)}]: "
        target = resolve_target(p.target, subject, problems, node.code)
        if target is None:
            return ZERO, head + "no usable target = 0"
        value = sum(used, ZERO)
        if lower and value == 0:
            bonus = bonus_cap if bonus_per_point > 0 else ZERO
            return top + bonus, head + f"value 0 (lower is better), full {fmt(top)} + bonus {fmt(bonus)}"
        c = target / value if lower else value / target
        base = top * min(c, ONE) if c >= 1 or below == "proportional" else ZERO
        bonus = ZERO
        if c > 1 and bonus_per_point > 0:
            # 000 篇4: only whole percentage points above target earn the bonus
            points = Decimal(math.floor((c - 1) * HUNDRED))
            bonus = min(bonus_cap, top * bonus_per_point * points)
        score = max(ZERO, base + bonus)
        return (
            score,
            head + f"completion {fmt(c)} of target {fmt(target)}: {fmt(base)} + bonus {fmt(bonus)} = {fmt(score)}",
        )

    return completion


def band_points(bands: tuple[tuple[Decimal, Decimal], ...], value: Decimal) -> Decimal:
    """First band (descending min, inclusive) the value reaches; 0 below the last."""
    for low, points in bands:
        if value >= low:
            return points
    return ZERO


def build_banded(node: Node) -> LeafFn:
    p = params_of(node, BandedParams)
    bands, monthly, combine, top = p.bands, p.each == "month", p.combine, node.max

    def banded(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        if not monthly:
            value, denom, words = measure_value(facts, problems)
            if value is None:
                return None, f"banded [{ids(facts)}]: no usable measure"
            if denom == 0:
                return ZERO, f"banded [{ids(facts)}]: denominator 0 = 0"
            rate = _ratio_of(value, denom)
            score = clamp(band_points(bands, rate), ZERO, top)
            return score, f"banded [{ids(facts)}]: {words} = {fmt(rate)} → {fmt(score)}"
        return _banded_months(facts, problems, bands, combine, top)

    return banded


def _banded_months(facts: list[Fact], problems: list[Problem], bands: Any, combine: str, top: Decimal) -> LeafResult:
    # 003 篇三: each month is banded on its own, then the months are averaged (or added)
    months: dict[str, list[Fact]] = {}
    for f in facts:
        month = f.get("month")
        if not month:
            bad(problems, f, _("this leaf is banded per month; the fact needs a month such as 2026-02"))
            continue
        key = str(month)
        same = months.get(key)
        if same is None:
            months[key] = [f]
        else:
            same.append(f)
    parts, scores = [], []
    for month in sorted(months):
        value, denom, _text = measure_value(months[month], problems, words=False)
        if value is None:
            continue
        points = ZERO if denom == 0 else band_points(bands, _ratio_of(value, denom))
        scores.append(points)
        parts.append(f"{month} {fmt(points)}")
    if not scores:
        return None, f"banded [{ids(facts)}]: no usable month"
    total = sum(scores, ZERO)
    score = clamp(total / len(scores) if combine == "mean" else total, ZERO, top)
    return score, f"banded {combine} of months [{ids(facts)}]: {', '.join(parts)} → {fmt(score)}"
