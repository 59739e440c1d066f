"""Builders for hand-made schemes and scored periods, so the ranking tests need no scoring engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kaohe.engine.scheme.model import (
    GradeBand,
    Grading,
    Label,
    PeriodScores,
    Ranking,
    Reward,
    Scheme,
    Subject,
    SubjectScore,
    Veto,
    VetoHit,
)

D = Decimal
GROUPS = ("A", "B")


def scheme(**overrides: Any) -> Scheme:
    """A minimal scheme; keyword arguments replace any field."""
    fields: dict[str, Any] = {
        "id": "test-scheme",
        "version": 1,
        "title": "测试方案",
        "subject_kind": "unit",
        "period": "quarter",
        "precision": 2,
        "groups": GROUPS,
        "indicators": (),
    }
    fields.update(overrides)
    return Scheme(**fields)


def bands(*spec: tuple[str, str | None] | tuple[str, str | None, bool]) -> tuple[GradeBand, ...]:
    """("优秀", "90", False) → GradeBand; a None min is the catch-all."""
    out = []
    for item in spec:
        grade, low = item[0], item[1]
        inclusive = item[2] if len(item) > 2 else True  # type: ignore[misc]
        out.append(GradeBand(grade, None if low is None else D(low), inclusive))
    return tuple(out)


FOUR_BANDS = bands(("优秀", "90"), ("良好", "80"), ("合格", "70"), ("不合格", None))


def grading(**overrides: Any) -> Grading:
    fields: dict[str, Any] = {"bands": FOUR_BANDS}
    fields.update(overrides)
    return Grading(**fields)


VETO_EFFECTS: dict[str, Veto] = {
    "zero": Veto("serious_violation", "zero_total", raw_effect="zero_total"),
    "grade": Veto("confidentiality_accident", "grade", grade="不合格", raw_effect={"grade": "不合格"}),
    "max_grade": Veto("sanction", "max_grade", grade="合格", raw_effect={"max_grade": "合格"}),
    "downgrade": Veto("major_accident", "downgrade", raw_effect="downgrade"),
    "bottom": Veto("verified_complaint", "bottom", bottom=3, raw_effect={"bottom": 3}),
    "no_label": Veto("accident", "no_label", label="通报表扬", raw_effect={"no_label": "通报表扬"}),
    "no_labels": Veto("scandal", "no_labels", raw_effect="no_labels"),
    "no_reward": Veto("fraud", "no_reward", raw_effect="no_reward"),
}


def subject(
    sid: str,
    total: str,
    group: str = "A",
    *,
    scores: Mapping[str, str] | None = None,
    vetoes: Sequence[str] = (),
    attributes: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> SubjectScore:
    """A scored subject; `vetoes` names keys of VETO_EFFECTS, hit by facts v-<sid>-<n>."""
    hits = [VetoHit(VETO_EFFECTS[key], f"v-{sid}-{n}") for n, key in enumerate(vetoes)]
    return SubjectScore(
        subject=Subject(sid, group, name, dict(attributes or {})),
        scores={code: D(value) for code, value in (scores or {}).items()},
        total=D(total),
        explain={},
        vetoes=hits,
    )


def period(the_scheme: Scheme, subjects: Sequence[SubjectScore]) -> PeriodScores:
    return PeriodScores(the_scheme, "2026-Q1", list(subjects), [], "0" * 64)


def by_id(result: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in result["subjects"]}


def column(result: Mapping[str, Any], key: str) -> dict[str, Any]:
    """{subject id: entry[key]} — compact expected values in tests."""
    return {entry["id"]: entry[key] for entry in result["subjects"]}


__all__ = [
    "FOUR_BANDS",
    "D",
    "Label",
    "Ranking",
    "Reward",
    "bands",
    "by_id",
    "column",
    "grading",
    "period",
    "scheme",
    "subject",
]
