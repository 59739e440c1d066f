"""§10 roll-up from sub-period result documents."""

from __future__ import annotations

from typing import Any

from kaohe.engine.ranking import rollup_period
from kaohe.engine.scheme.model import GradeCount, Quota, Rollup, RollupGradeRule, Subject

from ._support import D, bands, column, grading, scheme

ANNUAL_BANDS = bands(("优秀", "90"), ("称职", "70"), ("基本称职", "60"), ("不称职", None))
RULES = (
    RollupGradeRule(GradeCount("不称职", "gte", 2), "不称职"),
    RollupGradeRule(GradeCount("不称职", "eq", 1), "基本称职"),
    RollupGradeRule(GradeCount("优秀", "gte", 3), "优秀", within_quota=True),
)


def quarter(q: int, rows: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    subjects = [{"id": sid, "group": "A", "total": total, "grade": grade} for sid, (total, grade) in rows.items()]
    return {"scheme": "quarterly", "version": 1, "period": f"2026-Q{q}", "subjects": subjects}


def annual(**overrides: Any):  # type: ignore[no-untyped-def]
    fields: dict[str, Any] = {
        "period": "year",
        "rollup": Rollup("quarterly", "mean", RULES),
        "grading": grading(bands=ANNUAL_BANDS),
    }
    fields.update(overrides)
    return scheme(**fields)


SUBJECTS = [Subject(s, "A") for s in ("a", "b", "c", "d")]
QUARTERS = [
    quarter(1, {"a": ("95.00", "优秀"), "b": ("58.00", "不称职"), "c": ("80.00", "良好"), "d": ("88.00", "良好")}),
    quarter(2, {"a": ("92.00", "优秀"), "b": ("59.00", "不称职"), "c": ("55.00", "不称职"), "d": ("88.00", "良好")}),
    quarter(3, {"a": ("91.00", "优秀"), "b": ("90.00", "优秀"), "c": ("85.00", "良好"), "d": ("89.00", "良好")}),
    quarter(4, {"a": ("88.00", "良好"), "b": ("95.00", "优秀"), "c": ("90.00", "优秀"), "d": ("89.01", "良好")}),
]


def test_rollup_mean_and_grade_rules() -> None:
    # a: (95 + 92 + 91 + 88) / 4 = 91.5, band 优秀; three 优秀 quarters → rule 优秀 (no change).
    # b: (58 + 59 + 90 + 95) / 4 = 75.5, band 称职; two 不称职 → 不称职 (condition).
    # c: (80 + 55 + 85 + 90) / 4 = 77.5, band 称职; one 不称职 → 基本称职 (condition).
    # d: (88 + 88 + 89 + 89.01) / 4 = 88.5025 → "88.50", band 称职; no rule → bands.
    result = rollup_period(annual(), "2026", SUBJECTS, QUARTERS)
    assert column(result, "total") == {"a": "91.50", "b": "75.50", "c": "77.50", "d": "88.50"}
    assert column(result, "band_grade") == {"a": "优秀", "b": "称职", "c": "称职", "d": "称职"}
    assert column(result, "grade") == {"a": "优秀", "b": "不称职", "c": "基本称职", "d": "称职"}
    assert column(result, "grade_reason") == {"a": None, "b": "condition", "c": "condition", "d": None}
    assert column(result, "rank") == {"a": 1, "d": 2, "c": 3, "b": 4}
    assert result["subjects"][0]["scores"] == {
        "2026-Q1": "95.00", "2026-Q2": "92.00", "2026-Q3": "91.00", "2026-Q4": "88.00",
    }
    assert result["problems"] == []


def test_rollup_within_quota_still_obeys_the_quota() -> None:
    # 003 篇一 "在本单位年度考核优秀等次人数限额内": 优秀 quota floor(4 × 25 %) = 1.
    # x and y both have three 优秀 quarters; x (mean 90.25) ranks before y (mean 87.5 after a
    # weak quarter), so x keeps 优秀 and y drops to 称职 by quota.
    quarters = [
        quarter(1, {"x": ("91", "优秀"), "y": ("91", "优秀"), "z": ("70", "称职"), "w": ("60", "称职")}),
        quarter(2, {"x": ("90", "优秀"), "y": ("91", "优秀"), "z": ("70", "称职"), "w": ("60", "称职")}),
        quarter(3, {"x": ("90", "优秀"), "y": ("91", "优秀"), "z": ("70", "称职"), "w": ("60", "称职")}),
        quarter(4, {"x": ("90", "优秀"), "y": ("77", "称职"), "z": ("70", "称职"), "w": ("60", "称职")}),
    ]
    the_scheme = annual(grading=grading(bands=ANNUAL_BANDS, quotas=(Quota("优秀", D("0.25")),)))
    subjects = [Subject(s, "A") for s in "xyzw"]
    result = rollup_period(the_scheme, "2026", subjects, quarters)
    assert column(result, "total") == {"x": "90.25", "y": "87.50", "z": "70.00", "w": "60.00"}
    assert column(result, "grade") == {"x": "优秀", "y": "称职", "z": "称职", "w": "基本称职"}
    # y's band is 称职 already (87.5 < 90): the rule raised it to 优秀, the quota took it back.
    assert column(result, "grade_reason")["y"] is None


def test_rollup_sum_and_foreign_results_are_problems() -> None:
    foreign = dict(QUARTERS[0], scheme="other")
    outside = dict(QUARTERS[1], period="2025-Q4")
    result = rollup_period(
        annual(rollup=Rollup("quarterly", "sum", ())), "2026", SUBJECTS[:1],
        [QUARTERS[0], foreign, outside, QUARTERS[0]],
    )
    assert column(result, "total") == {"a": "95.00"}
    assert [p["pointer"] for p in result["problems"]] == ["/results/1", "/results/2", "/results/3"]


def test_rollup_subject_without_results_is_reported() -> None:
    result = rollup_period(annual(), "2026", [Subject("ghost", "A")], QUARTERS)
    assert column(result, "total") == {"ghost": "0.00"}
    assert result["problems"] == [{"subject": "ghost", "message": "no sub-period result for this subject; total 0"}]


def test_evaluate_rollup_documents_read_results_instead_of_facts() -> None:
    # The offline form (docs/decisions.md "Ranking: roll-up input"): `results` in the facts file.
    from kaohe.engine import evaluate

    scheme_document = {
        "id": "annual", "version": 1, "title": "年度", "subject_kind": "person", "period": "year",
        "groups": ["A"],
        "indicators": [{"code": "unused", "name": "未用", "max": 1, "rule": {"kind": "manual"}}],
        "rollup": {"from": "quarterly", "total": "mean"},
        "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "称职"}]},
    }
    facts_document = {"scheme": "annual", "version": 1, "period": "2026", "results": QUARTERS}
    result = evaluate(scheme_document, facts_document)
    # Subjects come from the results; a (91.5) 优秀, d (88.5025) 称职.
    assert column(result, "total") == {"a": "91.50", "b": "75.50", "c": "77.50", "d": "88.50"}
    assert column(result, "grade") == {"a": "优秀", "b": "称职", "c": "称职", "d": "称职"}
    assert len(result["inputs_sha256"]) == 64
