"""§10 roll-up: an annual (or half-year) result built from sub-period result documents."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from kaohe.i18n import _

from ..scheme.model import PeriodScores, Problem, Rollup, Scheme, Subject, SubjectScore
from .grading import PresetGrade
from .numbers import CONTEXT, ZERO, as_decimal
from .result import rank_with_presets

_COMPARE = {
    "gte": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "eq": lambda a, b: a == b,
    "lte": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}


def rollup_period(
    scheme: Scheme,
    period: str,
    subjects: Sequence[Subject],
    sub_results: Sequence[Mapping[str, Any]],
    *,
    inputs_sha256: str = "",
) -> dict[str, Any]:
    """Build the §11 result of a roll-up scheme from its sub-periods' result documents."""
    assert scheme.rollup is not None, "rollup_period needs a scheme with a rollup section"
    problems: list[Problem] = []
    results = _usable_results(scheme.rollup, period, sub_results, problems)
    scored = [_subject_score(subject, scheme.rollup, results, problems) for subject in subjects]
    presets = _presets(scheme.rollup, subjects, results)
    period_scores = PeriodScores(scheme, period, scored, problems, inputs_sha256)
    return rank_with_presets(period_scores, presets)


def subjects_of(sub_results: Sequence[Mapping[str, Any]]) -> list[Subject]:
    """The subjects named in sub-period results (id, group, name), first mention wins."""
    found: dict[str, Subject] = {}
    for result in sub_results:
        for entry in result.get("subjects") or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("id"), str) and entry["id"] not in found:
                name = entry.get("name")
                found[entry["id"]] = Subject(entry["id"], str(entry.get("group", "")), name if name else None)
    return list(found.values())


def _usable_results(
    rollup: Rollup, period: str, sub_results: Sequence[Mapping[str, Any]], problems: list[Problem]
) -> list[Mapping[str, Any]]:
    """Sub-results of the `from` scheme whose period lies inside this one, each period once."""
    usable: dict[str, Mapping[str, Any]] = {}
    for index, result in enumerate(sub_results):
        sub_period = str(result.get("period", ""))
        reason = _unusable(rollup, period, result, sub_period, usable)
        if reason:
            problems.append(Problem(message=reason, pointer=f"/results/{index}"))
        else:
            usable[sub_period] = result
    return [usable[key] for key in sorted(usable)]


def _unusable(
    rollup: Rollup, period: str, result: Mapping[str, Any], sub_period: str, seen: Mapping[str, Any]
) -> str | None:
    if result.get("scheme") != rollup.source:
        scheme = result.get("scheme")
        return _("result of scheme %(scheme)r ignored: this roll-up is built from %(source)s", scheme=scheme,
                 source=rollup.source)
    if not lies_inside(sub_period, period):
        return _("result of period %(sub_period)r ignored: it does not lie inside %(period)s", sub_period=sub_period,
                 period=period)
    if sub_period in seen:
        return _("a second result for period %(period)s ignored", period=sub_period)
    return None


def lies_inside(sub_period: str, period: str) -> bool:
    """Whether `sub_period` (a month, quarter, half or ISO week) is a strict part of `period`."""
    inner, outer = _months(sub_period), _months(period)
    return sub_period != period and inner is not None and outer is not None and inner <= outer


def _months(period: str) -> set[tuple[int, int]] | None:
    """The (year, month) pairs a period identifier of §1 covers; an ISO week, its Thursday's month."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})|-Q([1-4])|-H([12])|-W(\d{2}))?", period)
    if match is None:
        return None
    year, month, quarter, half, week = match.groups()
    first, count = 1, 12
    if month:
        first, count = int(month), 1
    elif quarter:
        first, count = 3 * int(quarter) - 2, 3
    elif half:
        first, count = 6 * int(half) - 5, 6
    elif week:
        try:
            thursday = date.fromisocalendar(int(year), int(week), 4)
        except ValueError:
            return None
        return {(thursday.year, thursday.month)}
    months = {(int(year), m) for m in range(first, first + count) if 1 <= m <= 12}
    return months or None


def _entries(subject_id: str, results: Sequence[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    for result in results:
        for entry in result.get("subjects") or []:
            if isinstance(entry, Mapping) and entry.get("id") == subject_id:
                out.append((str(result["period"]), entry))
    return out


def _subject_score(
    subject: Subject, rollup: Rollup, results: Sequence[Mapping[str, Any]], problems: list[Problem]
) -> SubjectScore:
    """003 篇十五 "年度得分为四个季度得分的平均值": the mean (or sum) of the published totals."""
    entries = _entries(subject.id, results)
    totals = {period: as_decimal(entry.get("total")) or ZERO for period, entry in entries}
    if not totals:
        problems.append(Problem(message=_("no sub-period result for this subject; total 0"), subject=subject.id))
    summed = sum(totals.values(), ZERO)
    total = CONTEXT.divide(summed, Decimal(len(totals))) if rollup.total == "mean" and totals else summed
    parts = ", ".join(f"{period} {value}" for period, value in totals.items())
    explain = {"total": f"{rollup.total} of {len(totals)} sub-period totals ({parts}) = {total}"}
    return SubjectScore(subject, dict(totals), total, explain, [])


def _presets(
    rollup: Rollup, subjects: Sequence[Subject], results: Sequence[Mapping[str, Any]]
) -> dict[str, PresetGrade]:
    """003 篇一: grade rules on the counts of sub-period grades, first match wins."""
    presets: dict[str, PresetGrade] = {}
    for subject in subjects:
        grades = [entry.get("grade") for _, entry in _entries(subject.id, results)]
        for rule in rollup.grade_rules:
            count = sum(1 for grade in grades if grade == rule.count.grade)
            if _COMPARE[rule.count.op](count, rule.count.value):
                presets[subject.id] = PresetGrade(rule.grade, rule.within_quota)
                break
    return presets
