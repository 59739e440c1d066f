"""Hypothesis: scoring only the changed subjects (engine/subset.py) equals a full score_period.

Random facts, then a random change (facts of some subjects added, edited, moved or removed);
`score_changed` from the state of the old facts must give exactly what `score_period` gives on
the new facts: every value, every explanation, vetoes, flags and problems, for schemes with
rank_points, peer_relative and not_assigned: peer_mean (group and all scopes), parents, a
transfer_to, a ratio that may decide `not_assigned`, a formula total and a veto.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import parse_scheme, score_period
from kaohe.engine.canonical import inputs_sha256
from kaohe.engine.scoring.subset import _group_local, cross_affected, score_changed, score_full
from tests.engine.scoring._helpers import leaf, scheme_doc
from tests.engine.scoring.test_scoring_properties import FACT, LEAVES

MANUAL = {"kind": "manual"}
TREE = [
    {"code": "work", "name": "work", "max": 40, "children": [
        leaf("m", 10, MANUAL),
        leaf("x", 10, MANUAL, applies_to={"attribute": "on", "eq": 1},
             not_assigned={"peer_mean": True, "peer_scope": "group"}),
        leaf("y", 10, MANUAL, applies_to={"attribute": "on", "eq": 1}, not_assigned="peer_mean"),
        leaf("k", 10, MANUAL, applies_to={"attribute": "key", "eq": True}, not_assigned={"transfer_to": "m"}),
    ]},
    leaf("r", 10, {"kind": "ratio", "target": "0.8", "zero_denominator": "not_assigned"}, not_assigned="peer_mean"),
    leaf("rp", 20, {"kind": "rank_points", "of": "work", "peer_scope": "group",
                    "bands": [{"top": "0.34", "points": 20}, {"top": "0.67", "points": 12}, {"top": 1, "points": 5}]}),
    leaf("pr", 5, {"kind": "peer_relative", "direction": "higher_better",
                   "bands": [{"min_index": "1.1", "points": 5}, {"min_index": "0.9", "points": 3}]}),
    leaf("d", 10, {"kind": "deduction", "per_event": {"late": 1, "absent": 5}}),
]
# The same tree with every cross-subject rule and peer_mean scoped by group: a change leaves the
# other group's columns as they were (subset._group_local).
GROUPED_TREE = [
    {**TREE[0], "children": [
        *TREE[0]["children"][:2],
        leaf("y", 10, MANUAL, applies_to={"attribute": "on", "eq": 1},
             not_assigned={"peer_mean": True, "peer_scope": "group"}),
        TREE[0]["children"][3],
    ]},
    leaf("r", 10, {"kind": "ratio", "target": "0.8", "zero_denominator": "not_assigned"},
         not_assigned={"peer_mean": True, "peer_scope": "group"}),
    TREE[2],
    leaf("pr", 5, {"kind": "peer_relative", "direction": "higher_better", "peer_scope": "group",
                   "bands": [{"min_index": "1.1", "points": 5}, {"min_index": "0.9", "points": 3}]}),
    TREE[4],
]
SCHEMES = {
    "flat": parse_scheme(scheme_doc(LEAVES, vetoes=[{"event": "serious", "effect": "zero_total"}])),
    "tree": parse_scheme(scheme_doc(TREE, total="work + r + rp + pr + d",
                                    vetoes=[{"event": "serious", "effect": "zero_total"}])),
    "grouped": parse_scheme(scheme_doc(GROUPED_TREE, total="work + r + rp + pr + d",
                                       vetoes=[{"event": "serious", "effect": "zero_total"}])),
}
SUBJECTS = [{"id": f"p{i}", "group": "AB"[i % 2], "attributes": {"on": i % 3 != 0, "key": i % 4 == 1}}
            for i in range(6)]
SUBJECT_IDS = [s["id"] for s in SUBJECTS]
TREE_FACT = st.one_of(
    st.fixed_dictionaries({"indicator": st.sampled_from(["m", "x", "y", "k"]), "fact": st.just("score"),
                           "points": st.integers(0, 12)}),
    st.fixed_dictionaries({"indicator": st.just("r"), "fact": st.just("measure"), "numerator": st.integers(0, 9),
                           "denominator": st.integers(0, 9)}),
    st.fixed_dictionaries({"indicator": st.just("pr"), "fact": st.just("measure"), "value": st.integers(0, 50)}),
    st.fixed_dictionaries({"indicator": st.just("d"), "fact": st.just("event"),
                           "type": st.sampled_from(["late", "absent"])}),
    st.fixed_dictionaries({"fact": st.just("event"), "type": st.sampled_from(["serious", "unknown-veto"])}),
    st.fixed_dictionaries({"indicator": st.just("m"), "fact": st.just("rating"), "grade": st.just("A")}),
)
BODY = {"flat": FACT, "tree": TREE_FACT, "grouped": TREE_FACT}


def document(facts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"scheme": "test-scheme", "version": 1, "period": "2026-Q1", "subjects": SUBJECTS, "facts": facts}


def view(result: Any) -> Any:
    subjects = [(s.subject, s.scores, s.total, s.explain, [(h.veto.event, h.fact) for h in s.vetoes], s.flags)
                for s in result.subjects]
    return subjects, [p.to_json() for p in result.problems], result.inputs_sha256, result.period


@st.composite
def change(draw: Any) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]], set[str]]:
    """(scheme name, old facts, new facts, dirty subjects) where only dirty subjects' facts differ."""
    name = draw(st.sampled_from(sorted(SCHEMES)))
    body = BODY[name]
    raw = draw(st.lists(st.tuples(st.sampled_from(SUBJECT_IDS), body), max_size=30))
    old = [{"id": f"f{i:02d}", "subject": sid, **b} for i, (sid, b) in enumerate(raw)]
    new = [dict(f) for f in old]
    dirty: set[str] = set()
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["add", "edit", "move", "remove"]))
        if action == "add" or not new:
            sid = draw(st.sampled_from(SUBJECT_IDS))
            new.append({"id": f"n{draw(st.integers(0, 999)):03d}", "subject": sid, **draw(body)})
            if len({f["id"] for f in new}) != len(new):
                new.pop()
                continue
            dirty.add(sid)
            continue
        at = draw(st.integers(0, len(new) - 1))
        fact = new[at]
        dirty.add(fact["subject"])
        if action == "remove":
            new.pop(at)
        elif action == "move":
            fact["subject"] = draw(st.sampled_from(SUBJECT_IDS))
            dirty.add(fact["subject"])
        else:
            new[at] = {"id": fact["id"], "subject": fact["subject"], **draw(body)}
    return name, old, new, dirty


@settings(max_examples=400, deadline=None)
@given(change(), st.booleans())
def test_subset_scoring_equals_full_scoring(case: Any, chain: bool) -> None:
    name, old, new, dirty = case
    scheme = SCHEMES[name]
    previous = score_full(scheme, document(old))
    assert view(previous.result) == view(score_period(scheme, document(old)))
    if chain:  # continue from a state that was itself produced incrementally
        again = score_changed(previous, [f for f in old if f["subject"] in dirty], dirty,
                              previous.result.inputs_sha256)
        assert again is not None
        previous = again
    digest = inputs_sha256(scheme.document, document(new))
    updated = score_changed(previous, [f for f in new if f["subject"] in dirty], dirty, digest)
    assert updated is not None
    assert view(updated.result) == view(score_period(scheme, document(new)))


def test_cross_affected_codes() -> None:
    # worked from the tree: x, y (peer_mean), r (peer_mean), rp, pr are cross; work holds x and y; total reads all
    assert cross_affected(SCHEMES["tree"]) == {"x", "y", "work", "r", "rp", "pr", "total"}
    assert cross_affected(SCHEMES["flat"]) == {"rp", "pr", "total"}


def test_only_the_grouped_scheme_keeps_untouched_groups() -> None:
    assert _group_local(SCHEMES["grouped"])
    assert not _group_local(SCHEMES["tree"])  # y, r and pr compare across all subjects


def test_unhandled_changes_fall_back() -> None:
    scheme = SCHEMES["tree"]
    facts = [{"id": "f1", "subject": "p1", "indicator": "m", "fact": "score", "points": 5}]
    previous = score_full(scheme, document(facts))
    stranger = [{"id": "f2", "subject": "nobody", "indicator": "m", "fact": "score", "points": 5}]
    assert score_changed(previous, stranger, {"nobody"}, "x") is None  # not enrolled
    numbered = [{"id": "f2", "subject": 1, "indicator": "m", "fact": "score", "points": 5}]
    assert score_changed(previous, numbered, {"p1"}, "x") is None  # not one of the dirty subjects as named
    repeated = score_full(scheme, document([*facts, dict(facts[0], subject="p2")]))
    assert repeated.fact_subject is None
    assert score_changed(repeated, [], {"p1"}, "x") is None
