"""Hypothesis properties: input order never matters, deductions never raise, scores stay in [0, max]."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import parse_scheme, score_period
from tests.engine.scoring._helpers import leaf, scheme_doc

SCALE = {"优": 10, "良": 8, "中": 6, "差": 2}
LEAVES = [
    leaf("m", 10, {"kind": "manual"}),
    leaf(
        "d",
        10,
        {"kind": "deduction", "per_event": {"late": 1, "absent": 5}, "zero_when": [{"type": "absent", "count_gte": 3}]},
    ),
    leaf("a", 5, {"kind": "accrual", "levels": {"国": 5, "省": 3}, "per_event": {"x": 1}}),
    leaf("r", 10, {"kind": "ratio", "target": "0.8"}),
    leaf("c", 10, {"kind": "completion", "target": 50, "bonus_per_point": "0.01", "bonus_cap": 2}),
    leaf(
        "b", 2, {"kind": "banded", "each": "month", "bands": [{"min": "0.9", "points": 2}, {"min": "0.5", "points": 1}]}
    ),
    leaf("g", 10, {"kind": "rating", "scale": SCALE, "trim": {"highest": 1, "lowest": 1}}),
    leaf("t", 3, {"kind": "per_occurrence"}),
    leaf("k", 20, {"kind": "cases"}),
    leaf("j", 5, {"kind": "journal", "scale_max": 10}),
    leaf(
        "rp", 10, {"kind": "rank_points", "of": "m", "bands": [{"top": "0.5", "points": 10}, {"top": 1, "points": 5}]}
    ),
    leaf(
        "pr",
        5,
        {
            "kind": "peer_relative",
            "direction": "higher_better",
            "bands": [{"min_index": "1.1", "points": 5}, {"min_index": "0.9", "points": 3}],
        },
    ),
]
SCHEME = parse_scheme(scheme_doc(LEAVES, vetoes=[{"event": "serious", "effect": "zero_total"}]))
MAX = {node.code: node.max for node in SCHEME.nodes()}
SUBJECTS = [{"id": f"p{i}", "group": "AB"[i % 2], "attributes": {}} for i in range(4)]

num = st.integers(min_value=0, max_value=120)
subject = st.sampled_from([s["id"] for s in SUBJECTS])
FACT = st.one_of(
    st.fixed_dictionaries({"indicator": st.just("m"), "fact": st.just("score"), "points": num}),
    st.fixed_dictionaries(
        {
            "indicator": st.just("d"),
            "fact": st.just("event"),
            "type": st.sampled_from(["late", "absent"]),
            "count": st.integers(0, 4),
        }
    ),
    st.fixed_dictionaries(
        {
            "indicator": st.just("a"),
            "fact": st.just("event"),
            "level": st.sampled_from(["国", "省"]),
            "key": st.sampled_from(["k1", "k2"]),
        }
    ),
    st.fixed_dictionaries(
        {"indicator": st.just("r"), "fact": st.just("measure"), "numerator": num, "denominator": num}
    ),
    st.fixed_dictionaries({"indicator": st.sampled_from(["c", "pr"]), "fact": st.just("measure"), "value": num}),
    st.fixed_dictionaries(
        {
            "indicator": st.just("b"),
            "fact": st.just("measure"),
            "value": st.sampled_from(["0.3", "0.6", "0.95"]),
            "month": st.sampled_from(["2026-01", "2026-02"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "indicator": st.just("g"),
            "fact": st.just("rating"),
            "grade": st.sampled_from([*SCALE, None]),
            "round": st.integers(1, 2),
        }
    ),
    st.fixed_dictionaries(
        {"indicator": st.just("t"), "fact": st.just("task"), "task_id": st.integers(1, 4), "completed": st.booleans()}
    ),
    st.fixed_dictionaries(
        {"indicator": st.just("k"), "fact": st.just("case"), "points": st.integers(0, 100), "weight": st.integers(1, 3)}
    ),
    st.fixed_dictionaries(
        {
            "indicator": st.just("j"),
            "fact": st.just("journal"),
            "points": st.integers(0, 10),
            "status": st.sampled_from(["accepted", "excused", "missing"]),
        }
    ),
    st.fixed_dictionaries({"fact": st.just("event"), "type": st.just("serious")}),
)


@st.composite
def fact_lists(draw: Any) -> list[dict[str, Any]]:
    raw = draw(st.lists(st.tuples(subject, FACT), max_size=40))
    return [{"id": f"f{i}", "subject": sid, **body} for i, (sid, body) in enumerate(raw)]


def evaluate(facts: list[dict[str, Any]], subjects: list[dict[str, Any]] = SUBJECTS) -> Any:
    result = score_period(
        SCHEME, {"scheme": "test-scheme", "version": 1, "period": "2026-Q1", "subjects": subjects, "facts": facts}
    )
    view = [
        (s.subject.id, s.scores, s.total, s.explain, [(h.veto.event, h.fact) for h in s.vetoes], s.flags)
        for s in result.subjects
    ]
    return view, [p.to_json() for p in result.problems], result.inputs_sha256


@settings(max_examples=60, deadline=None)
@given(fact_lists(), st.randoms(use_true_random=False))
def test_permuting_inputs_changes_nothing(facts: list[dict[str, Any]], rnd: Any) -> None:
    shuffled, subjects = list(facts), list(SUBJECTS)
    rnd.shuffle(shuffled)
    rnd.shuffle(subjects)
    assert evaluate(shuffled, subjects) == evaluate(facts)


@settings(max_examples=60, deadline=None)
@given(fact_lists())
def test_leaf_scores_within_bounds(facts: list[dict[str, Any]]) -> None:
    result = score_period(SCHEME, {"subjects": SUBJECTS, "facts": facts})
    for s in result.subjects:
        for code, value in s.scores.items():
            high = MAX[code] + (2 if code == "c" else 0)  # completion may exceed max by bonus_cap
            assert Decimal(0) <= value <= high, (code, value)


@settings(max_examples=60, deadline=None)
@given(fact_lists(), st.sampled_from(["late", "absent"]), st.integers(1, 5), subject)
def test_deduction_events_never_raise_a_score(facts: list[dict[str, Any]], kind: str, count: int, sid: str) -> None:
    before = score_period(SCHEME, {"subjects": SUBJECTS, "facts": facts})
    extra = {"id": "extra", "subject": sid, "indicator": "d", "fact": "event", "type": kind, "count": count}
    after = score_period(SCHEME, {"subjects": SUBJECTS, "facts": [*facts, extra]})
    for b, a in zip(before.subjects, after.subjects, strict=True):
        assert a.scores["d"] <= b.scores["d"]


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.text(max_size=6) | st.sampled_from(["25%", "1e999", "NaN"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_parse_scheme_only_ever_raises_scheme_invalid(data: Any) -> None:
    import copy

    from kaohe.engine.scheme import SchemeInvalid
    from tests.engine.scoring.test_scheme_validation import good

    doc = copy.deepcopy(good())
    path = data.draw(st.sampled_from(_paths(doc)[1:]))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(JSONISH)
    try:
        parse_scheme(doc)
    except SchemeInvalid as exc:
        assert exc.problems and all(p.pointer and p.message for p in exc.problems)


WEIRD_FACT = st.dictionaries(
    st.sampled_from(
        [
            "id",
            "subject",
            "indicator",
            "fact",
            "points",
            "value",
            "numerator",
            "denominator",
            "type",
            "count",
            "level",
            "key",
            "participants",
            "collective",
            "justified",
            "grade",
            "round",
            "task_id",
            "completed",
            "weight",
            "status",
            "month",
            "assessor",
        ]
    ),
    st.one_of(JSONISH, st.sampled_from(["p1", "m", "d", "a", "g", "j", "b", "score", "event", "measure", "rating"])),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(WEIRD_FACT, max_size=12))
def test_bad_facts_never_raise(facts: list[Any]) -> None:
    result = score_period(SCHEME, {"subjects": SUBJECTS, "facts": facts})
    assert len(result.subjects) == len(SUBJECTS)
