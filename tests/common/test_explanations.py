"""The engine's explanations and stored problems in the reader's language (issue 22,
services/common/explanations.py).

The engine writes each explanation in English and keeps it so; it is rendered when read. These tests drive every
shape of explanation the engine builds (each example scheme with its facts, and small schemes for the branches the
examples do not reach) and fail when one has no template, or when a template is never produced (a wording changed
in the engine); a scan of the engine's source fails when an explanation is built from a literal no template holds.
The Chinese below is written out by hand from the translations."""

from __future__ import annotations

import ast
import pathlib
import time
from collections import Counter
from typing import Any

import pytest

from kaohe.engine import evaluate
from kaohe.engine.scheme import load_document
from kaohe.i18n import Text, localize
from services.common.explanations import (
    BONUS,
    EXPLANATIONS,
    LIST,
    NOTE_LIST,
    NOTES,
    ROUND,
    TERMS,
    explanation_text,
    holds_in_earlier_wording,
    render_explanation,
    render_explanations,
    render_problem,
)
from tests.engine.scoring._helpers import fact, leaf, run

ROOT = pathlib.Path(__file__).resolve().parents[2]
MANUAL = {"kind": "manual"}


def pts(fid: str, code: str, points: object, subject: str = "p1", **more: Any) -> dict[str, Any]:
    return fact(fid, code, "score", subject=subject, points=points, **more)


def measure(fid: str, code: str, subject: str = "p1", **more: Any) -> dict[str, Any]:
    return fact(fid, code, "measure", subject=subject, **more)


def _examples() -> list[str]:
    texts = []
    for scheme in sorted((ROOT / "examples" / "schemes").glob("*.yaml")):
        facts = scheme.with_name(scheme.name.removesuffix(".yaml") + ".facts.json")
        result = evaluate(load_document(scheme), load_document(facts))
        texts += [text for subject in result["subjects"] for text in subject["explain"].values()]
    return texts


def _branches() -> list[str]:
    """Small schemes for the branches the examples do not reach, one or two per branch."""
    runs = [
        run([leaf("a", 10, MANUAL), leaf("b", 10, MANUAL, missing="full"), leaf("c", 10, MANUAL, missing="error")],
            [pts("f1", "a", "x")]),
        run([leaf("a", 10, {"kind": "manual", "combine": "min"}), leaf("b", 10, {"kind": "manual", "combine": "max"})],
            [pts("f1", "a", 4), pts("f2", "a", 6), pts("f3", "b", 4), pts("f4", "b", 6)]),
        # combined points clamped to the leaf's max or to 0
        run([leaf("a", 10, MANUAL), leaf("b", 10, {"kind": "manual", "combine": "latest"})],
            [pts("f1", "a", 12), pts("f2", "b", -2)]),
        run([leaf("r", 10, {"kind": "ratio"}), leaf("z", 10, {"kind": "ratio", "zero_denominator": "zero"}),
             leaf("t", 10, {"kind": "ratio", "target": "attr.goal"})],
            [measure("f1", "r", value="x"), measure("f2", "z", numerator=0, denominator=0),
             measure("f3", "t", value="0.5")]),
        # below the target: proportional, and nothing with below: zero
        run([leaf("p", 10, {"kind": "ratio", "target": "95%"}),
             leaf("z", 10, {"kind": "ratio", "target": "95%", "below": "zero"})],
            [measure("f1", "p", numerator=18, denominator=20), measure("f2", "z", numerator=18, denominator=20)]),
        run([leaf("c", 10, {"kind": "completion", "target": 10}),
             leaf("t", 10, {"kind": "completion", "target": "attr.goal"}),
             leaf("l", 10, {"kind": "completion", "target": 5, "direction": "lower_better",
                            "bonus_per_point": "1%", "bonus_cap": 2})],
            [measure("f1", "c", value="x"), measure("f2", "t", value=3), measure("f3", "l", value=0)]),
        run([leaf("b", 2, {"kind": "banded", "bands": [{"min": "0.9", "points": 2}, {"min": 0, "points": 1}]}),
             leaf("n", 2, {"kind": "banded", "bands": [{"min": "0.9", "points": 2}]}),
             leaf("z", 2, {"kind": "banded", "bands": [{"min": "0.9", "points": 2}]}),
             leaf("m", 4, {"kind": "banded", "each": "month", "combine": "sum",
                           "bands": [{"min": "0.9", "points": 2}]}),
             leaf("e", 4, {"kind": "banded", "each": "month", "bands": [{"min": "0.9", "points": 2}]})],
            [measure("f1", "b", numerator=9, denominator=10), measure("f2", "n", value="x"),
             measure("f3", "z", numerator=1, denominator=0), measure("f4", "m", value="0.95", month="2026-01"),
             measure("f5", "m", value="0.5", month="2026-02"), measure("f6", "e", value="0.95")]),
        run([leaf("d", 10, {"kind": "deduction", "per_event": {"late": 3}, "max_deduction": 5}),
             leaf("o", 3, {"kind": "per_occurrence"}), leaf("k", 10, {"kind": "cases"}),
             leaf("j", 10, {"kind": "journal"}),
             leaf("r", 10, {"kind": "rating", "scale": {"好": 10}, "min_ratings": 3})],
            [fact("f1", "d", "event", type="late", count=2), fact("f2", "k", "case", points=80, weight=0),
             fact("f3", "j", "journal", status="excused"), fact("f4", "r", "rating", grade="好")]),
        # a justified event (an upheld appeal) is named, with a deduction and with zero_when
        run([leaf("d", 10, {"kind": "deduction", "per_event": {"late": 3}}),
             leaf("z", 10, {"kind": "deduction", "per_event": {"late": 1},
                            "zero_when": [{"type": "late", "count_gte": 1}]})],
            [fact("f1", "d", "event", type="late", justified=True), fact("f2", "z", "event", type="late"),
             fact("f3", "z", "event", type="late", justified=True)]),
        run([{"code": "s", "name": "s", "max": 10, "cap": True,
              "children": [leaf("a", 8, MANUAL), leaf("b", 8, MANUAL), leaf("plus", 3, MANUAL, bonus=True)]},
             {"code": "m", "name": "m", "max": 20, "aggregate": "mean",
              "children": [leaf("c", 10, MANUAL), leaf("d", 10, MANUAL)]},
             {"code": "f", "name": "f", "max": 10, "aggregate": "formula", "formula": "g / h + attr.bonus",
              "children": [leaf("g", 10, MANUAL), leaf("h", 10, MANUAL)]},
             {"code": "q", "name": "q", "max": 10, "aggregate": "formula", "formula": "k",
              "children": [leaf("k", 10, MANUAL)]}],
            [pts("f1", "a", 7), pts("f2", "b", 6), pts("f3", "plus", 2), pts("f4", "c", 5)],
            [{"id": "p1", "group": "A"}, {"id": "p2", "group": "A", "attributes": {"bonus": "x"}}],
            total="s + m + f / q"),
        run([{"code": "p", "name": "p", "max": 10, "applies_to": ["B"], "not_assigned": "full",
              "children": [leaf("a", 10, MANUAL)]},
             leaf("z", 10, MANUAL, applies_to=["B"]),
             leaf("g", 10, MANUAL, applies_to=["B"], not_assigned={"peer_mean": True, "peer_scope": "group"})],
            [pts("f1", "a", 3)]),
        run([leaf("w", 10, MANUAL, documents={"required": [{"name": "记录", "supplier": "办公室"}, {"name": "台账"}],
                                              "when_missing": "proportional"}),
             leaf("x", 10, MANUAL, documents={"required": [{"name": "记录"}]}),
             leaf("y", 10, MANUAL, documents={"required": [{"name": "记录"}], "when_missing": "missing"}),
             leaf("v", 10, {"kind": "per_occurrence"}, documents={"required": [{"name": "记录"}]}),
             leaf("u", 10, MANUAL, documents={"required": [{"name": "记录"}, {"name": "台账"}],
                                              "when_missing": "proportional"}),
             leaf("t", 10, MANUAL, documents={"required": [{"name": "记录"}]}),
             leaf("r", 10, MANUAL, documents={"required": [{"name": "记录"}]}),
             leaf("q", 10, MANUAL, documents={"required": [{"name": "记录"}], "when_missing": "missing"})],
            [pts("f1", "w", 8), fact("f2", "w", "document", document="记录"), pts("f3", "x", 8), pts("f4", "y", 5),
             fact("f5", "r", "document", document="记录")]),
        run([leaf("v", 10, {"kind": "per_occurrence"}, documents={"required": [{"name": "记录"}]})],
            [fact("f1", "v", "document", document="记录")]),
    ]
    texts = [text for result in runs for subject in result.subjects for text in subject.explain.values()]
    # facts of a shape no check foresaw (a crash inside a rule): "facts [f1] could not be read"
    texts.append("facts [f1] could not be read; missing: zero = 0")
    return texts


def _used(text: object, found: Counter[str]) -> None:
    if isinstance(text, Text):
        found[text.msgid] += 1
        for param in text.params.values():
            _used(param, found)


def test_every_explanation_the_engine_builds_has_a_template_and_every_template_is_built() -> None:
    unmatched: list[str] = []
    used: Counter[str] = Counter()
    for text in _examples() + _branches():
        _used(explanation_text(text, unmatched), used)
    assert unmatched == []
    never = [template for template in (*EXPLANATIONS, *NOTES, ROUND, BONUS, LIST, NOTE_LIST, TERMS)
             if not used[template]]
    assert never == []


def _fragments(node: ast.AST) -> list[str]:
    """The literal text of an f-string or string constant (each constant part of an f-string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [part.value for part in node.values if isinstance(part, ast.Constant) and isinstance(part.value, str)]
    return []


# The modules that build explanations, and their literals that are not explanations (errors for the programmer,
# pointers, keys, separators of lists the templates render item by item).
EXPLAINING = ("kaohe/engine/scoring/rules.py", "kaohe/engine/scoring/rules_events.py",
              "kaohe/engine/scoring/cross.py", "kaohe/engine/scoring/score.py",
              "kaohe/engine/scheme/evidence_rules.py", "kaohe/engine/ranking/rollup.py")
NOT_EXPLANATIONS = {" has no ", ": rank_points without 'of'", "/results/", "{{", "}}", "{", "}", " {}", "f", "E", "e",
                    ".", "0", "-0", "", "0.000001", "([0-9]+)", "-W", "fact", "document", "id", "month", "date",
                    "points", "numerator", "denominator", "value", "type", "count", "level", "key", "participants",
                    "collective", "task_id", "completed", "weight", "status", "excused", "missing", "accepted",
                    "grade", "round", "assessor", "justified", "mean", "weighted", "min", "max", "latest", "sum",
                    "full", "zero", "not_assigned", "lower_better", "proportional", "month", "group", "all",
                    "total", "subject", "indicator", "scheme", "version", "period", "facts", "subjects", "name",
                    "attributes", "split", "1", "error", "zero_total", "veto", "effect", ", ", " + ", " − ", " × ",
                    "; ", ",", "(", ")", "min(", "max(", "?", "rank_points", "peer_relative", "bonus", "dirty",
                    "eq", "gt", "gte", "lt", "lte", "-H", "-Q", "02d", "P", "lookback", "periods", "required",
                    "supplier", "when_missing", "peer_mean", "transfer_to",
                    "% × ",  # a weighted node's term, inside its template's %(terms)s
                    "attr.",  # an attribute a formula read, inside its template's %(inputs)s
                    "rollup_period needs a scheme with a rollup section",
                    "its missing policy is error",  # the end of a problem's English, which missing_errors finds
                    r"(\d{4})(?:-(\d{2})|-Q([1-4])|-H([12])|-W(\d{2}))?",
                    r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12])|W(0[1-9]|[1-4]\d|5[0-3])))?$"}


def test_the_engine_builds_explanations_only_from_the_templates_words() -> None:
    """A literal of the modules that explain scores is a part of a template, or not an explanation at all: a new
    wording in the engine fails here until EXPLANATIONS has it (and its translation)."""
    words = " ".join((*EXPLANATIONS, *NOTES, ROUND, BONUS, " used"))
    strange = set()
    for path in EXPLAINING:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        marked = {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and getattr(node.func, "id", None) in ("_", "N_") for arg in ast.walk(node)}
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body
                      and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if id(node) in marked or id(node) in docstrings or not isinstance(node, ast.Constant | ast.JoinedStr):
                continue
            for text in _fragments(node):
                if text not in NOT_EXPLANATIONS and text.strip() not in words:
                    strange.add((path, text))
    assert sorted(strange) == [], "\n".join(map(repr, sorted(strange)))


@pytest.mark.parametrize(("english", "chinese"), [
    ("manual mean [f1,f2]: (8 + 9) / 2 = 8.5", "人工评分（平均）[f1,f2]：(8 + 9) / 2 = 8.5"),
    ("manual mean [f1]: (12) / 1 = 12, held to max 10", "人工评分（平均）[f1]：(12) / 1 = 12，超过上限，按上限 10 计"),
    ("manual latest [f2]: latest f2 -2 = -2, held to 0", "人工评分（取最新）[f2]：最新 f2 -2 = -2，低于 0，按 0 计"),
    ("manual mean [f1]: (12) / 1 = 12, held to max 10; documents 1 of 2",
     "人工评分（平均）[f1]：(12) / 1 = 12，超过上限，按上限 10 计；材料 1/2 份"),
    ("ratio [f1]: 9/10 = 0.9 ≥ target 0.9, full 10", "比率 [f1]：9/10 = 0.9 ≥ 目标 0.9，得满分 10"),
    ("ratio [f1]: 18/20 = 0.9 < target 0.95: 10 × 0.9 / 0.95 = 9.473684",
     "比率 [f1]：18/20 = 0.9 < 目标 0.95：10 × 0.9 / 0.95 = 9.473684"),
    ("ratio [f1]: 18/20 = 0.9 < target 0.95: below: zero = 0",
     "比率 [f1]：18/20 = 0.9 < 目标 0.95：未达目标不得分 = 0"),
    ("ratio [f1]: 10 × 0.9 / 0.95 = 9.473684", "比率 [f1]：10 × 0.9 / 0.95 = 9.473684"),  # stored before
    ("formula (h + g) / 2 with g 6, h 7 = 6.5, within [0, 10] = 6.5",
     "公式 (h + g) / 2，其中 g 6, h 7 = 6.5，限于 [0, 10] = 6.5"),
    ("formula (h + g) / 2 = 6.5, within [0, 10] = 6.5", "公式 (h + g) / 2 = 6.5，限于 [0, 10] = 6.5"),  # before
    ("total f * 2 with f 7.5 = 15", "总分 f * 2，其中 f 7.5 = 15"),
    ("total f * 2 = 15", "总分 f * 2 = 15"),  # stored before
    ("deduction [f3]: 10 − late 2 × 1 = 8", "扣分 [f3]：10 − late 2 × 1 = 8"),
    ("deduction []: 10 − 0 = 10", "扣分 []：10 − 0 = 10"),
    ("deduction [f1,f2]: 20 − mass_complaint 1 × 5 = 15; justified, not deducted: [f2]",
     "扣分 [f1,f2]：20 − mass_complaint 1 × 5 = 15；经认定有正当理由、不扣分：[f2]"),
    ("rank_points by work 50: rank 1 of 2 → 30", "按 work 50 排名计分：2 个中排第 1 → 30"),
    ("rating mean [r1,r2,r3]: round 1 9, round 2 6 → 7.5", "评议（平均）[r1,r2,r3]：第 1 轮 9、第 2 轮 6 → 7.5"),
    ("sum: min(a 7 + b 6, cap 10) + bonus plus 2 = 12", "合计：min(a 7 + b 6，封顶 10) + 加分项 plus 2 = 12"),
    ("sum: bonus 3 = 3", "合计：bonus 3 = 3"),  # the child coded bonus, no bonus term
    ("no facts; missing: zero = 0; × (10 + b 5) / 10 = 0; × (10 + c 5) / 10 = 0",
     "无事实；缺少事实按零分计 = 0；× (10 + b 5) / 10 = 0；× (10 + c 5) / 10 = 0"),
    ("formula g / h + attr.bonus = 0, within [0, 10] = 0 (division by zero; 0 used; attribute bonus is missing; "
     "0 used)", "公式 g / h + attr.bonus = 0，限于 [0, 10] = 0（除数为零，按 0 计；属性 bonus 缺失，按 0 计）"),
    ("manual [f1]: no usable score; documents 1 of 2, missing 台账, 记录 (办公室): × 1/2 = 0; missing: zero = 0",
     "人工评分 [f1]：无可用分值；材料 1/2 份，缺 台账, 记录 (办公室)：× 1/2 = 0；缺少事实按零分计 = 0"),
    ("not assigned: mean of 3 assigned peers (group) = 7.5", "不适用：取 3 个适用对象的平均分（本组）= 7.5"),
    ("total: work 50 + attend 8 + rankp 30 = 88; veto serious (fact f2): total = 0",
     "总分：work 50 + attend 8 + rankp 30 = 88；一票否决 serious（事实 f2）：总分 = 0"),
    ("mean of 4 sub-period totals (2026-Q1 80, 2026-Q2 90, 2026-Q3 85, 2026-Q4 85) = 85",
     "4 个子周期总分的平均（2026-Q1 80, 2026-Q2 90, 2026-Q3 85, 2026-Q4 85）= 85"),
    ("an explanation no version of the engine wrote", "an explanation no version of the engine wrote"),
    ("", ""),
])
def test_explanations_in_both_languages(english: str, chinese: str) -> None:
    assert render_explanation(english, "zh-CN") == chinese
    assert render_explanation(english, "en") is english  # the stored text, untouched
    assert localize(explanation_text(english), "en") == english


def test_a_result_explain_is_rendered_code_by_code() -> None:
    explain = {"work": "manual mean [f1]: (50) / 1 = 50", "total": "total: work 50 = 50"}
    assert render_explanations(explain, "zh-CN") == {"work": "人工评分（平均）[f1]：(50) / 1 = 50",
                                                     "total": "总分：work 50 = 50"}
    assert render_explanations(explain, "en") is explain


def test_stored_problems_in_both_languages() -> None:
    """Problems read back from a stored result: the engine's message recognised, its values (a repr included)
    kept as written; the other keys unchanged."""
    stored = [{"fact": "f5", "message": "score fact needs numeric points, got 'abc'"},
              {"subject": "p1",
               "message": "no usable facts for c (考勤) of subject p1, and its missing policy is error"},
              {"fact": "f9", "message": "a sentence of no engine"},
              {"fact": "f10", "message": "an old text: as written"}]  # not taken for the checker's "%(pointer)s: …"
    assert [render_problem(p, "zh-CN") for p in stored] == [
        {"fact": "f5", "message": "评分事实的分值 points 须为数字，现为 'abc'"},
        {"subject": "p1", "message": "考核对象 p1 在 c（考勤）上没有可用的事实，而该指标的缺失处理为 error"},
        {"fact": "f9", "message": "a sentence of no engine"}, {"fact": "f10", "message": "an old text: as written"}]
    assert [render_problem(p, "en") for p in stored] == stored


def test_recognising_a_long_explanation_takes_linear_time() -> None:
    """A leaf with thousands of facts lists their ids; fact ids holding the words that follow them must not make
    the match backtrack."""
    ids = ",".join(f"f{i}]: ; missing: zero = " for i in range(2_000))
    text = f"manual mean [{ids}]: (1) / 1 = 1; × (10 + b 5) / 10 = 1; × (10 + c 5) / 10 = 1"
    started = time.perf_counter()
    rendered = render_explanation(text + " ", "zh-CN")
    assert time.perf_counter() - started < 1.0
    assert len(rendered) > len(ids)


@pytest.mark.parametrize(("stored", "computed", "holds"), [
    # stored before the counts were shown: the same facts, rate, target and score
    ("ratio [f1,f2]: 10 × 0.9 / 0.95 = 9.473684",
     "ratio [f1,f2]: 18/20 = 0.9 < target 0.95: 10 × 0.9 / 0.95 = 9.473684", True),
    ("ratio [f1]: 10 × 0.9 / 0.95 = 0", "ratio [f1]: 18/20 = 0.9 < target 0.95: below: zero = 0", True),
    ("ratio [f1]: 10 × 0.9 / 0.95 = 9.473684; documents 1 of 2",
     "ratio [f1]: 18/20 = 0.9 < target 0.95: 10 × 0.9 / 0.95 = 9.473684; documents 1 of 2", True),
    ("formula (h + g) / 2 = 6.5, within [0, 10] = 6.5",
     "formula (h + g) / 2 with g 6, h 7 = 6.5, within [0, 10] = 6.5", True),
    ("total f * 2 = 15; veto serious (fact f9): total = 0",
     "total f * 2 with f 7.5 = 15; veto serious (fact f9): total = 0", True),
    # a reason that no longer holds is still reported
    ("ratio [f1]: 10 × 0.8 / 0.95 = 8.421053", "ratio [f1]: 18/20 = 0.9 < target 0.95: 10 × 0.9 / 0.95 = 9.473684",
     False),
    ("ratio [f2]: 10 × 0.9 / 0.95 = 0", "ratio [f1]: 18/20 = 0.9 < target 0.95: below: zero = 0", False),
    ("formula (h + g) / 2 = 6, within [0, 10] = 6", "formula (h + g) / 2 with g 6, h 7 = 6.5, within [0, 10] = 6.5",
     False),
    ("deduction [f3]: 10 − late 2 × 1 = 8", "deduction [f3]: 10 − late 3 × 1 = 7", False),
])
def test_an_explanation_stored_in_the_earlier_wording_still_holds(stored: str, computed: str, holds: bool) -> None:
    assert holds_in_earlier_wording(stored, computed) is holds
