"""§7 grading: bands, conditions and veto grades, quotas with their cascade, downgrade."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..scheme.model import GradeBand, Grading, Quota
from .conditions import condition_holds
from .numbers import count_from_share
from .standing import GradeReason, Standing


@dataclass(frozen=True, slots=True)
class PresetGrade:
    """A grade decided before grading (a §10 roll-up grade rule)."""

    grade: str
    within_quota: bool = False


def band_for(total: Decimal, bands: Sequence[GradeBand]) -> str | None:
    """The first band, top down, whose `min` the total reaches (§7.1)."""
    for band in bands:
        if band.min is None or total > band.min or (band.inclusive and total == band.min):
            return band.grade
    return None


class GradeScale:
    """Grades best first, with the comparisons grading needs."""

    def __init__(self, grades: Sequence[str]) -> None:
        self.grades = tuple(grades)

    def index(self, grade: str) -> int:
        """Position best first; an unknown grade sorts last (validation rejects it anyway)."""
        return self.grades.index(grade) if grade in self.grades else len(self.grades)

    def worse(self, first: str, second: str) -> str:
        """The lower of two grades."""
        return second if self.index(second) > self.index(first) else first

    def below(self, grade: str) -> str:
        """The next grade down; the lowest grade stays where it is."""
        position = self.index(grade)
        return self.grades[position + 1] if position + 1 < len(self.grades) else grade


def grade_scope(
    scope: Sequence[Standing],
    grading: Grading | None,
    presets: Mapping[str, PresetGrade],
) -> None:
    """Grade every graded subject of one ranking scope, in the order of §7 steps 1–4."""
    scale = GradeScale(grading.grade_order if grading else _preset_order(presets))
    graded = [standing for standing in scope if standing.graded]
    for standing in graded:
        _initial_grade(standing, grading, scale, presets.get(standing.id))
    if grading is not None:
        apply_quotas(graded, grading, scale)
    for standing in graded:
        _downgrade(standing, scale)
        if standing.grade == standing.band_grade:
            standing.grade_reason = None


def _preset_order(presets: Mapping[str, PresetGrade]) -> list[str]:
    return sorted({preset.grade for preset in presets.values()})


def _initial_grade(
    standing: Standing, grading: Grading | None, scale: GradeScale, preset: PresetGrade | None
) -> None:
    """Band, then roll-up rule, forced grades, then caps (steps 1 and 2)."""
    bands = grading.bands if grading else ()
    standing.band_grade = band_for(standing.score.total, bands)
    standing.grade = standing.band_grade
    if preset is not None:
        _set(standing, preset.grade, "condition", fixed=not preset.within_quota)
    _force(standing, grading, scale)
    _cap(standing, grading, scale)


def _force(standing: Standing, grading: Grading | None, scale: GradeScale) -> None:
    # Several forced grades: the lowest one wins; a veto wins the reason over a condition.
    attributes = standing.score.subject.attributes
    conditions = grading.force_grade_when if grading else ()
    forced = [(c.grade, "condition") for c in conditions if c.grade and condition_holds(c, attributes)]
    forced += [(v.grade, "veto") for v in standing.vetoes("grade") if v.grade]
    if forced:
        worst = max(forced, key=lambda item: (scale.index(item[0]), item[1] == "veto"))
        _set(standing, worst[0], "veto" if worst[1] == "veto" else "condition", fixed=True)


def _cap(standing: Standing, grading: Grading | None, scale: GradeScale) -> None:
    attributes = standing.score.subject.attributes
    conditions = grading.max_grade_when if grading else ()
    caps = [(c.grade, "condition") for c in conditions if c.grade and condition_holds(c, attributes)]
    caps += [(v.grade, "veto") for v in standing.vetoes("max_grade") if v.grade]
    for cap, reason in sorted(caps, key=lambda item: item[1] == "veto"):
        if standing.grade is None or scale.index(cap) > scale.index(standing.grade):
            _set(standing, cap, "veto" if reason == "veto" else "condition", fixed=standing.fixed)


def _set(standing: Standing, grade: str, reason: GradeReason, *, fixed: bool) -> None:
    if grade != standing.grade:
        standing.grade_reason = reason
    standing.grade = grade
    standing.fixed = fixed


def apply_quotas(graded: Sequence[Standing], grading: Grading, scale: GradeScale) -> None:
    """§7.3: top grade first; who is over the quota drops one grade, where the next quota applies."""
    quotas = {quota.grade: quota for quota in grading.quotas}
    for grade in scale.grades[:-1]:
        quota = quotas.get(grade)
        if quota is not None:
            _apply_quota(graded, quota, grading.ties_at_quota == "include", scale)


def _apply_quota(graded: Sequence[Standing], quota: Quota, include_ties: bool, scale: GradeScale) -> None:
    seats = count_from_share(quota.max_share, len(graded), quota.rounding)
    # Forced grades are decisions, not merit: they take their seats first and never drop.
    seats -= sum(1 for s in graded if s.grade == quota.grade and s.fixed)
    competing = sorted((s for s in graded if s.grade == quota.grade and not s.fixed), key=lambda s: s.merit)
    for standing in _over_quota(competing, max(seats, 0), include_ties):
        standing.grade = scale.below(quota.grade)
        standing.grade_reason = "quota"


def _over_quota(competing: list[Standing], seats: int, include_ties: bool) -> list[Standing]:
    """Who drops: beyond the seats, and with `exclude` everyone tied at the boundary too."""
    if len(competing) <= seats:
        return []
    if seats == 0:
        return competing
    if include_ties:
        last_seat = competing[seats - 1].merit
        return [s for s in competing if s.merit > last_seat]
    first_out = competing[seats].merit
    return [s for s in competing if s.merit >= first_out]


def _downgrade(standing: Standing, scale: GradeScale) -> None:
    # 002 "直接降低等次": one grade below the grade it would otherwise end with, quota included;
    # the downgraded subject does not take a seat from anyone in the lower grade.
    if standing.grade is not None and standing.has_veto("downgrade"):
        lower = scale.below(standing.grade)
        if lower != standing.grade:
            standing.grade, standing.grade_reason = lower, "veto"
