"""Leaf rules of §3.4 over events, tasks, ratings, cases and journals (see rules.py for the contract)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kaohe.i18n import _

from ..scheme.model import (
    AccrualParams,
    DeductionParams,
    JournalParams,
    Node,
    PerOccurrenceParams,
    Problem,
    RatingParams,
    Subject,
)
from .rules import HUNDRED, ZERO, Fact, LeafFn, LeafResult, bad, clamp, fmt, ids, name_of, num, params_of


def build_deduction(node: Node) -> LeafFn:
    p = params_of(node, DeductionParams)
    per_event: dict[str, Decimal] = p.per_event
    base: Decimal = p.base
    floor: Decimal = p.floor
    cap: Decimal | None = p.max_deduction
    zero_when: tuple[tuple[str, Decimal], ...] = p.zero_when
    exempt: bool = p.justified_exempt
    top = node.max
    base_text, capped = fmt(base), f" (at most {fmt(cap)})" if cap is not None else ""
    times = {k: f" × {fmt(v)}" for k, v in per_event.items()}  # the fixed part of each term, once per leaf

    def deduction(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        counts, used, justified = _event_counts(facts, per_event, exempt, problems)
        head = f"deduction [{ids(used)}]: "
        # the events an upheld appeal or a review found justified are named, so that none vanishes unexplained
        excused = f"; justified, not deducted: [{ids(justified)}]" if justified else ""
        for kind, limit in zero_when:
            if counts.get(kind, ZERO) >= limit:
                return ZERO, head + f"{kind} {fmt(counts[kind])} ≥ {fmt(limit)}, no points = 0{excused}"
        deducted = sum([per_event[k] * c for k, c in counts.items()], ZERO)
        if cap is not None and deducted > cap:
            deducted = cap
        score = clamp(max(floor, base - deducted), ZERO, top)
        terms = " − ".join([f"{k} {fmt(counts[k])}{times[k]}" for k in sorted(counts)]) or "0"
        return score, f"{head}{base_text} − {terms}{capped} = {fmt(score)}{excused}"

    return deduction


def _event_counts(
    facts: list[Fact], per_event: dict[str, Decimal], exempt: bool, problems: list[Problem]
) -> tuple[dict[str, Decimal], list[Fact], list[Fact]]:
    """(count by event type, the events read, those of them exempt as justified)."""
    counts: dict[str, Decimal] = {}
    used: list[Fact] = []
    justified: list[Fact] = []
    for f in facts:
        kind = f.get("type")
        if not isinstance(kind, str) or kind not in per_event:
            known = ", ".join(sorted(per_event))
            bad(problems, f, _("unknown event type %(type)r for this deduction (known: %(known)s)", type=name_of(kind),
                               known=known))
            continue
        count = num(f.get("count", 1))
        if count is None or count < 0:
            bad(problems, f, _("event count must be a number not below 0, got %(count)r", count=f.get("count")))
            continue
        used.append(f)
        # 001 篇7 "无正当理由未办理的每件扣5分": justified events neither deduct nor count toward zero_when
        if exempt and f.get("justified") is True:
            justified.append(f)
            continue
        counts[kind] = counts.get(kind, ZERO) + count
    return counts, used, justified


def build_accrual(node: Node) -> LeafFn:
    p = params_of(node, AccrualParams)
    low, high, highest = p.min, p.max, p.highest_per_key
    within = f"within [{fmt(low)}, {fmt(high)}]"
    rates = (p.levels, p.per_event, p.shared == "split", p.collective_factor)

    def accrual(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        keyed: dict[str, tuple[Decimal, str]] = {}
        loose: list[tuple[Decimal, str]] = []
        for f in facts:
            points = _event_points(f, rates, problems)
            if points is None:
                continue
            key = f.get("key")
            fid = f.get("id")
            fid = str(fid)
            if highest and key is not None:
                # 003 篇三 "同一事项…执行其中最高级别的加分标准,不重复计分"
                key = str(key)
                best = keyed.get(key)
                if best is None or (points, fid) > (best[0], best[1]):
                    keyed[key] = (points, fid)
            else:
                loose.append((points, fid))
        parts = sorted(loose, key=_fact_id) + sorted(keyed.values(), key=_fact_id)
        total = sum([pts for pts, _ in parts], ZERO)
        score = clamp(total, low, high)
        terms = " + ".join([f"{fid} {fmt(pts)}" for pts, fid in parts]) or "0"
        return score, f"accrual [{ids(facts)}]: {terms} = {fmt(total)}, {within} = {fmt(score)}"

    return accrual


def _fact_id(points_and_id: tuple[Decimal, str]) -> str:
    return points_and_id[1]


def _event_points(f: Fact, rates: tuple[Any, ...], problems: list[Problem]) -> Decimal | None:
    levels, per_event, split, collective_factor = rates
    if f.get("points") is not None:
        points = num(f.get("points"))
    elif name_of(f.get("level")) in levels:
        points = levels[f["level"]]
    elif name_of(f.get("type")) in per_event:
        points = per_event[f["type"]]
    else:
        if f.get("level") is not None:
            bad(problems, f, _("unknown level %(level)r: the rule gives it no points", level=f.get("level")))
        else:
            bad(problems, f, _("unknown event type %(type)r: the rule gives it no points", type=f.get("type")))
        return None
    count = num(f.get("count", 1))
    if points is None or count is None:
        bad(problems, f, _("event points and count must be numbers"))
        return None
    points *= count
    participants = f.get("participants")
    if split and isinstance(participants, list) and participants:
        points /= len(participants)  # 003 篇三 "联名建议的,分值平分"
    if f.get("collective") is True:
        points *= collective_factor  # "集体…个人加分按上述标准减半"
    return points


def build_per_occurrence(node: Node) -> LeafFn:
    p = params_of(node, PerOccurrenceParams)
    top, none_full = node.max, p.none_assigned == "full"
    top_text = fmt(top)

    def per_occurrence(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        done: dict[str, bool] = {}
        for f in facts:
            task = f.get("task_id")
            if task is None:
                bad(problems, f, _("task fact needs a task_id"))
                continue
            key = str(task)
            done[key] = done.get(key, False) or f.get("completed") is True
        if not done:
            score = top if none_full else ZERO
            return score, f"per_occurrence: no tasks assigned = {fmt(score)}"
        completed = sum(1 for v in done.values() if v)
        score = top * completed / len(done)
        return score, f"per_occurrence [{ids(facts)}]: {top_text} × {completed} / {len(done)} = {fmt(score)}"

    return per_occurrence


def build_cases(node: Node) -> LeafFn:
    top = node.max
    top_text = fmt(top)

    def cases(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        weighted, weights = ZERO, ZERO
        for f in facts:
            points, weight = num(f.get("points")), num(f.get("weight", 1))
            if points is None or weight is None or weight < ZERO or not ZERO <= points <= HUNDRED:
                bad(problems, f, _("case fact needs points between 0 and 100 and a weight not below 0"))
                continue
            weighted += weight * points
            weights += weight
        if weights == 0:
            return None, f"cases [{ids(facts)}]: no weighted case"
        score = clamp(top * weighted / (100 * weights), ZERO, top)
        return score, f"cases [{ids(facts)}]: {top_text} × {fmt(weighted)} / (100 × {fmt(weights)}) = {fmt(score)}"

    return cases


def build_journal(node: Node) -> LeafFn:
    p = params_of(node, JournalParams)
    top, scale_max = node.max, p.scale_max
    top_text, scale_text = fmt(top), fmt(scale_max)

    def journal(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        points: list[Decimal] = []
        excused = 0
        for f in facts:
            status = f.get("status", "accepted")
            if status == "excused":
                excused += 1
            elif status == "missing":
                points.append(ZERO)  # a week without a journal counts 0
            elif status == "accepted" and (value := num(f.get("points"))) is not None:
                points.append(value or ZERO)
            else:
                bad(problems, f, _("journal fact needs status accepted (with numeric points), excused or missing"))
        if not points:
            score = top if excused else ZERO
            return (score if excused else None), f"journal [{ids(facts)}]: every week excused = {fmt(score)}"
        mean = sum(points, ZERO) / len(points)
        score = clamp(top * mean / scale_max, ZERO, top)
        return (
            score,
            f"journal [{ids(facts)}]: {top_text} × mean {fmt(mean)} of {len(points)} weeks "
            f"({excused} excused) / {scale_text} = {fmt(score)}",
        )

    return journal


def build_rating(node: Node) -> LeafFn:
    p = params_of(node, RatingParams)
    top, combine, min_ratings = node.max, p.combine, p.min_ratings
    # 003 篇三 "缺少评议层次的,系统默认为该档满分": an expected level nobody rated counts as full
    # marks, the top of the scale (the leaf's max when ratings carry points); worked out once per leaf
    full = (max(p.scale.values()) if p.scale else top) if p.missing_level == "full" else None
    scale: dict[str, Decimal] = p.scale
    levels: tuple[str, ...] = p.levels
    trim: tuple[int, int] = p.trim
    head = f"rating {combine} ["

    def rating(facts: list[Fact], subject: Subject, problems: list[Problem]) -> LeafResult:
        rounds = _ratings_by_round(facts, scale, levels, problems)
        counted = sum(map(len, rounds.values()))
        if counted == 0 or counted < min_ratings:
            return None, f"rating [{ids(facts)}]: {counted} rating(s), fewer than needed"
        parts, scores = [], []
        for name in sorted(rounds):
            value = _rating_round(rounds[name], combine, levels, trim, full)
            scores.append(value)
            parts.append(f"round {name} {fmt(value)}")
        score = clamp(sum(scores, ZERO) / len(scores), ZERO, top)
        return score, f"{head}{ids(facts)}]: {', '.join(parts)} → {fmt(score)}"

    return rating


def _ratings_by_round(
    facts: list[Fact], scale: dict[str, Decimal], levels: tuple[str, ...], problems: list[Problem]
) -> dict[str, list[tuple[str, Decimal]]]:
    rounds: dict[str, list[tuple[str, Decimal]]] = {}
    for f in facts:
        grade, points = f.get("grade"), f.get("points")
        if grade is None and points is None:
            continue  # 弃权: an abstention is not counted
        value = scale.get(grade if isinstance(grade, str) else "") if grade is not None else num(points)
        if value is None:
            bad(problems, f, _("unknown grade %(grade)r", grade=grade) if grade is not None
                else _("rating points must be a number"))
            continue
        level = f.get("level", "")
        if not isinstance(level, str):
            level = str(level)
        if levels and level not in levels:
            bad(problems, f, _("unknown rater level %(level)r (expected one of %(levels)s)", level=level,
                               levels=", ".join(levels)))
            continue
        key = f.get("round", 1)
        key = str(key)
        same = rounds.get(key)
        if same is None:
            rounds[key] = [(level, value)]
        else:
            same.append((level, value))
    return rounds


def _trimmed(values: list[Decimal], trim: tuple[int, int]) -> list[Decimal]:
    high, low = trim
    if len(values) <= high + low or (high == 0 and low == 0):
        return values
    ordered = sorted(values)
    return ordered[low : len(ordered) - high]


def _rating_round(
    ratings: list[tuple[str, Decimal]],
    combine: str,
    levels: tuple[str, ...],
    trim: tuple[int, int],
    full: Decimal | None,
) -> Decimal:
    absent: list[Decimal] = []
    if full is not None:  # missing_level: full (see build_rating)
        rated = {level for level, _ in ratings}
        absent = [full for level in levels if level not in rated]
    if combine == "mean":
        values = _trimmed([v for _, v in ratings], trim) + absent
        return sum(values, ZERO) / len(values)
    by_level: dict[str, list[Decimal]] = {}
    for level, value in ratings:
        same = by_level.get(level)
        if same is None:
            by_level[level] = [value]
        else:
            same.append(value)
    if trim != (0, 0):
        by_level = {level: _trimmed(values, trim) for level, values in by_level.items()}
    means = [sum(by_level[level], ZERO) / len(by_level[level]) for level in sorted(by_level)]
    means.extend(absent)
    return sum(means, ZERO) / len(means)
