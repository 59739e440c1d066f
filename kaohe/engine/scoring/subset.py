"""Incremental scoring: after some subjects' facts changed, score only what the change can reach.

`score_full` is `score_period` that also keeps its working state (`Scored`); `score_changed`
takes that state and the new facts of the changed ("dirty") subjects and returns what
`score_period` would return on the new facts, value for value, explanation for explanation,
problem for problem (tests/engine/scoring/test_subset_properties.py proves it on random changes):

- every node that reads only one subject's own facts is evaluated for the dirty subjects alone,
  in a small period of those subjects, with the engine's own functions;
- the cross-subject nodes (rank_points, peer_relative, not_assigned: peer_mean) and every node
  that depends on one (parents, formulas, the total) are evaluated again for every subject of the
  period, reading the clean subjects' other values from the previous state;
- problems of clean subjects are kept, those of dirty subjects come from the small period.

The subjects (ids, groups, attributes) must be those of the previous state; the caller computes
`inputs_sha256` (it covers every fact, not only the changed ones). Anything it cannot handle
(a fact that is not a mapping, a fact of an unenrolled subject, a problem it cannot attribute to a
subject) makes `score_changed` return None: the caller then scores the whole period.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import localcontext
from typing import Any

from ..canonical import sorted_by_id
from ..scheme.expression import CONTEXT
from ..scheme.graph import evaluation_order, node_dependencies
from ..scheme.model import PeerRelativeParams, PeriodScores, Problem, RankPointsParams, Scheme, SubjectScore
from .period import Period
from .score import (
    assignment,
    bucket_facts,
    evaluate_nodes,
    problem_key,
    score_keeping,
    totals,
)

_CROSS_KINDS = frozenset({"rank_points", "peer_relative"})


@dataclass
class Scored:
    """The engine's output for a period plus the working state `score_changed` continues from."""

    result: PeriodScores
    period: Period
    fact_subject: dict[str, str] | None  # fact id → the subject it names; None: not continuable
    subject_facts: dict[str, list[str]] = field(default_factory=dict)  # the same map, by subject


def cross_affected(scheme: Scheme) -> frozenset[str]:
    """Codes whose value for one subject may depend on other subjects (and "total" if any does)."""
    graph = node_dependencies(scheme.nodes(), scheme.total)
    seeds = {node.code for node in scheme.nodes()
             if (node.rule is not None and node.rule.kind in _CROSS_KINDS) or node.not_assigned.kind == "peer_mean"}
    affected = set(seeds)
    for code in evaluation_order(graph):  # dependencies come first, so one pass closes the set
        if any(dep in affected for dep in graph.get(code, [])):
            affected.add(code)
    return frozenset(affected)


def score_full(scheme: Scheme, facts: Mapping[str, Any], *, digest: str | None = None) -> Scored:
    """`score_period`, keeping the working state. `digest` skips hashing when the caller has it."""
    with localcontext(CONTEXT):
        result, period = score_keeping(scheme, facts, digest)
    raw = facts.get("facts")
    items = raw if isinstance(raw, list) else []
    fact_subject: dict[str, str] | None = {str(f.get("id")): str(f.get("subject")) for f in items
                                           if isinstance(f, Mapping)}
    if fact_subject is not None and len(fact_subject) != len(items):
        fact_subject = None  # repeated ids or odd facts: problems cannot be attributed, no incremental path
    subject_facts: dict[str, list[str]] = {}
    for fid, sid in (fact_subject or {}).items():
        subject_facts.setdefault(sid, []).append(fid)
    return Scored(result, period, fact_subject, subject_facts)


def score_changed(previous: Scored, dirty_facts: Iterable[Any], dirty: Collection[str],
                  digest: str) -> Scored | None:
    """The period scored again after the facts of the subjects `dirty` changed.

    `dirty_facts` are all current facts of the dirty subjects (and no others); `previous` is the
    state for the facts before the change, with the same subjects. None when the change is one
    this path does not handle; the caller then scores the whole period. When a new state is
    returned, `previous` has been consumed (its fact maps moved into the new state): drop it.
    """
    with localcontext(CONTEXT):
        return _changed(previous, list(dirty_facts), set(dirty), digest)


def _changed(previous: Scored, facts: list[Any], dirty: set[str], digest: str) -> Scored | None:
    old = previous.period
    if previous.fact_subject is None:
        return None
    index = {subject.id: i for i, subject in enumerate(old.subjects)}
    if not dirty <= index.keys():
        return None
    for f in facts:
        if type(f) is not dict or str(f.get("subject")) not in dirty or not isinstance(f.get("subject"), str):
            return None
    kept_problems: list[Problem] = []
    for problem in previous.result.problems:
        owner = problem.subject if problem.subject is not None else previous.fact_subject.get(problem.fact or "")
        if problem.subject is None and problem.fact is not None and owner is None:
            return None  # a fact problem we cannot attribute
        if owner is None or owner not in dirty:
            kept_problems.append(problem)
    scheme = old.scheme
    ordered = sorted_by_id(facts)
    # 1. the dirty subjects alone, with the engine's own steps (their own-fact nodes are final)
    small = Period(scheme, [old.subjects[index[sid]] for sid in sorted(dirty, key=index.__getitem__)], old.label)
    bucket_facts(small, ordered)
    assignment(small)
    evaluate_nodes(small)
    # 2. the whole period: clean subjects from the previous state, dirty ones from the small period
    big = Period(scheme, old.subjects, old.label)
    small_at = {subject.id: j for j, subject in enumerate(small.subjects)}
    # With every cross-subject rule scoped by group, a group without a changed subject keeps its column.
    touched = {subject.group for subject in small.subjects} if _group_local(scheme) else None
    # The rows evaluated again below are compared with their previous values (_totals_of_changed): those of
    # the touched groups get their own copies. The other groups' rows are shared with `previous`, which this
    # consumes: evaluated again from the same inputs, they keep the same values.
    big.rows, big.explain = list(old.rows), list(old.explain)
    for i, subject in enumerate(old.subjects):
        if touched is None or subject.group in touched:
            big.rows[i], big.explain[i] = dict(old.rows[i]), dict(old.explain[i])
    big.vetoes = {sid: hits for sid, hits in old.vetoes.items() if sid not in small_at}
    for j, subject in enumerate(small.subjects):
        i = index[subject.id]
        big.rows[i], big.explain[i] = dict(small.rows[j]), dict(small.explain[j])
        if small.vetoes.get(subject.id):
            big.vetoes[subject.id] = small.vetoes[subject.id]
    for code, status in old.unassigned.items():
        merged = dict(status)
        for subject in small.subjects:
            merged.pop(index[subject.id], None)
        merged.update({index[small.subjects[j].id]: s for j, s in small.unassigned[code].items()})
        big.unassigned[code] = merged
    big.facts = dict(old.facts)
    for sid in small_at:
        big.facts.pop(sid, None)
    big.facts.update(small.facts)
    big.documents = {sid: docs for sid, docs in old.documents.items() if sid not in small_at}
    big.documents.update(small.documents)
    evaluate_nodes(big, cross_affected(scheme), touched)
    subjects = _totals_of_changed(big, previous.result.subjects, old, {index[sid] for sid in small_at}, touched)
    problems = kept_problems + small.problems
    problems.sort(key=problem_key)
    result = PeriodScores(scheme=scheme, period=previous.result.period, subjects=subjects, problems=problems,
                          inputs_sha256=digest)
    fact_subject, subject_facts = _move_fact_maps(previous, facts, dirty)
    return Scored(result, big, fact_subject, subject_facts)


def _totals_of_changed(big: Period, before: list[SubjectScore], old: Period, dirty: set[int],
                       touched: Collection[str] | None) -> list[SubjectScore]:
    """score.totals for the subjects whose values or explanations moved; the others keep theirs.
    With `touched` (every cross-subject rule is group-local), only those groups' subjects can have
    moved: the others' values were made again from the same inputs, so they are not compared."""
    subjects = big.subjects
    candidates = range(len(subjects)) if touched is None else [
        i for i in range(len(subjects)) if subjects[i].group in touched]
    redo = [i for i in candidates if i in dirty or big.rows[i] != old.rows[i] or big.explain[i] != old.explain[i]]
    view = Period(big.scheme, [big.subjects[i] for i in redo])
    view.rows, view.explain, view.vetoes = [big.rows[i] for i in redo], [big.explain[i] for i in redo], big.vetoes
    out = list(before)
    for i, score in zip(redo, totals(view), strict=True):
        out[i] = score
    return out


def _move_fact_maps(previous: Scored, facts: list[Any], dirty: set[str],
                    ) -> tuple[dict[str, str] | None, dict[str, list[str]]]:
    """The fact id → subject maps after the change, taken over from `previous` (not copied)."""
    fact_subject, subject_facts = previous.fact_subject, previous.subject_facts
    previous.fact_subject, previous.subject_facts = None, {}
    assert fact_subject is not None
    for sid in dirty:
        for fid in subject_facts.pop(sid, []):
            fact_subject.pop(fid, None)
    fresh = {str(f.get("id")): str(f.get("subject")) for f in facts}
    if len(fresh) != len(facts) or any(fid in fact_subject for fid in fresh):
        return None, {}  # a repeated id: the next change scores the whole period
    fact_subject.update(fresh)
    for fid, sid in fresh.items():
        subject_facts.setdefault(sid, []).append(fid)
    return fact_subject, subject_facts


def _group_local(scheme: Scheme) -> bool:
    """Whether every cross-subject rule and `peer_mean` of the scheme compares within the group only."""
    for node in scheme.nodes():
        if node.rule is not None and node.rule.kind in _CROSS_KINDS:
            params = node.rule.params
            if not isinstance(params, (RankPointsParams, PeerRelativeParams)) or params.peer_scope != "group":
                return False
        if node.not_assigned.kind == "peer_mean" and node.not_assigned.peer_scope != "group":
            return False
    return True


