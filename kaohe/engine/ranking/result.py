"""`rank_period`: from the scoring engine's `PeriodScores` to the §11 result document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..scheme.model import PeriodScores, Problem, Scheme, SubjectScore
from ..scoring.collector import paused_gc
from .conditions import condition_holds
from .distribution import distribute_rewards, distribution_document
from .grading import PresetGrade, grade_scope
from .labels import apply_labels
from .numbers import format_money, format_points, points_formatter
from .order import assign_ranks, merit_key, place_downgraded
from .rewards import apply_rewards
from .standing import Standing, by_scope


def rank_period(scores: PeriodScores) -> dict[str, Any]:
    """Rank, grade, label and reward one scored period; returns the §11 result document."""
    return rank_with_presets(scores, {})


def rank_with_presets(scores: PeriodScores, presets: Mapping[str, PresetGrade]) -> dict[str, Any]:
    """`rank_period` with grades decided beforehand (the §10 roll-up grade rules)."""
    with paused_gc():
        return _rank(scores, presets)


def _rank(scores: PeriodScores, presets: Mapping[str, PresetGrade]) -> dict[str, Any]:
    scheme = scores.scheme
    standings = [_standing(score, scheme) for score in sorted(scores.subjects, key=lambda s: s.subject.id)]
    for scope in by_scope(standings).values():
        grade_scope(scope, scheme.grading, presets)
        place_downgraded(scope, scheme.grading.grade_order if scheme.grading else ())
        assign_ranks(scope)
    apply_labels(standings, scheme.labels)
    problems = [*scores.problems, *apply_rewards(standings, scheme.rewards),
                *distribute_rewards(standings, scheme.rewards)]
    return _document(scores, _result_order(standings, scheme), problems)


@dataclass(frozen=True)
class ScopeMemo:
    """One ranking scope as last ranked: its scores (id order) and documents in table order."""

    scores: tuple[SubjectScore, ...]
    documents: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class RankMemo:
    """What `rank_period_reusing` keeps between two rankings of one period."""

    scheme: Scheme
    scopes: Mapping[str, ScopeMemo]


def scope_local(scheme: Scheme) -> bool:
    """Whether one scope's results depend only on that scope's subjects: ranked by group, no rewards
    (a pool or a count may span groups), no label ranking several groups together."""
    return (scheme.ranking.scope == "group" and not scheme.rewards and scheme.rollup is None
            and all(label.groups is None for label in scheme.labels))


def rank_period_reusing(scores: PeriodScores, previous: RankMemo | None) -> tuple[dict[str, Any], RankMemo | None]:
    """`rank_period`, re-ranking only the scopes whose subjects' scores changed since `previous`.

    A scope is reused when it holds `SubjectScore`s equal to those in `previous`, for an equal scheme;
    the document equals `rank_period(scores)`. Schemes
    whose scopes are not independent (`scope_local`) are ranked in full (memo None)."""
    scheme = scores.scheme
    if not scope_local(scheme):
        return rank_period(scores), None
    with paused_gc():
        return _rank_reusing(scores, previous if previous is not None and _same(previous.scheme, scheme) else None)


def _rank_reusing(scores: PeriodScores, previous: RankMemo | None) -> tuple[dict[str, Any], RankMemo]:
    scheme = scores.scheme
    members: dict[str, list[SubjectScore]] = {}
    for score in sorted(scores.subjects, key=lambda s: s.subject.id):
        members.setdefault(score.subject.group, []).append(score)
    groups = {group: index for index, group in enumerate(scheme.groups)}
    order = node_order(scheme)
    memo: dict[str, ScopeMemo] = {}
    subjects: list[dict[str, Any]] = []
    for scope in sorted(members, key=lambda g: (groups.get(g, len(groups)), g) if g else (0, "")):
        scope_scores = tuple(members[scope])
        known = previous.scopes.get(scope) if previous is not None else None
        if known is None or len(known.scores) != len(scope_scores) or not all(
                _same(a, b) for a, b in zip(known.scores, scope_scores, strict=True)):
            standings = [_standing(score, scheme) for score in scope_scores]
            grade_scope(standings, scheme.grading, {})
            place_downgraded(standings, scheme.grading.grade_order if scheme.grading else ())
            assign_ranks(standings)
            apply_labels(standings, scheme.labels)
            documents = [subject_document(standing, scheme, order) for standing in _result_order(standings, scheme)]
            known = ScopeMemo(scope_scores, _keep_equal(documents, known.documents if known is not None else ()))
        memo[scope] = known
        subjects.extend(known.documents)
    document = {
        "scheme": scheme.id,
        "version": scheme.version,
        "period": scores.period,
        "inputs_sha256": scores.inputs_sha256,
        "subjects": subjects,
        "problems": [problem.to_json() for problem in scores.problems],
    }
    return document, RankMemo(scheme, memo)


def _same(before: object, now: object) -> bool:
    """Equal values; the same object (the common case: callers keep unchanged inputs) is checked first."""
    return before is now or before == now


def _keep_equal(documents: list[dict[str, Any]], before: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The documents of a re-ranked scope, each replaced by its subject's previous document when equal:
    a change usually moves a few subjects of the scope, and a caller comparing entries with the ones it
    kept finds the same object first."""
    if not before:
        return tuple(documents)
    previous = {document["id"]: document for document in before}
    out = []
    for document in documents:
        old = previous.get(document["id"])
        out.append(old if old is not None and old == document else document)
    return tuple(out)


def _standing(score: SubjectScore, scheme: Scheme) -> Standing:
    grading = scheme.grading
    attributes = score.subject.attributes
    # 003 "不确定等次": the subject gets no grade but is still ranked unless rank_ungraded is off.
    ungraded = grading is not None and any(condition_holds(c, attributes) for c in grading.ungraded_when)
    standing = Standing(
        score=score,
        scope=score.subject.group if scheme.ranking.scope == "group" else "",
        graded=not ungraded and (grading is not None or scheme.rollup is not None),
        ranked=not ungraded or scheme.ranking.rank_ungraded,
    )
    standing.merit = merit_key(standing, scheme.ranking)
    standing.placement = standing.merit
    return standing


def _result_order(standings: Sequence[Standing], scheme: Scheme) -> list[Standing]:
    """Scope group in the scheme's group order, then rank (unranked last), then id."""
    groups = {group: index for index, group in enumerate(scheme.groups)}

    def key(standing: Standing) -> tuple[Any, ...]:
        scope = (groups.get(standing.scope, len(groups)), standing.scope) if standing.scope else (0, "")
        rank = standing.rank if standing.rank is not None else 1 << 62
        return (scope, rank, standing.id)

    return sorted(standings, key=key)


def _document(
    scores: PeriodScores, standings: Sequence[Standing], problems: Sequence[Problem]
) -> dict[str, Any]:
    scheme = scores.scheme
    order = node_order(scheme)  # walked once per period, not once per subject
    return {
        "scheme": scheme.id,
        "version": scheme.version,
        "period": scores.period,
        "inputs_sha256": scores.inputs_sha256,
        "subjects": [subject_document(standing, scheme, order) for standing in standings],
        "problems": [problem.to_json() for problem in problems],
    }


def node_order(scheme: Scheme) -> dict[str, int]:
    """Each node code's position in the scheme's tree (parents before children, document order)."""
    return {node.code: index for index, node in enumerate(scheme.nodes())}


# The parts of a subject's document that depend only on its scores are kept on the SubjectScore
# itself (`rendered`, with the scheme they were made for): ranking reuses the SubjectScore of a
# subject whose scores did not change between two rankings, and the parts go when the score goes.
# (A process-wide table keyed by id() kept up to 100,000 scores with their explanations alive: the
# ranking service grew by a quarter in a 10-minute soak.)


def _static_parts(standing: Standing, scheme: Scheme,
                  order: Mapping[str, int] | None) -> tuple[str, dict[str, str], list[Any], dict[str, str]]:
    score = standing.score
    known = score.rendered
    if known is not None and known[0] is scheme:
        return known[1]  # type: ignore[no-any-return]
    parts = (format_points(score.total, scheme.precision),
             _scores(standing, scheme, node_order(scheme) if order is None else order),
             _flags(score), dict(score.explain))
    score.rendered = (scheme, parts)
    return parts


def subject_document(standing: Standing, scheme: Scheme, order: Mapping[str, int] | None = None) -> dict[str, Any]:
    """One subject of §11, keys in the spec's order, numbers as fixed-decimal strings.

    The total, scores, flags and explain parts may be shared with an earlier document of the same
    SubjectScore: treat documents as read-only."""
    subject = standing.score.subject
    total, scores, flags, explain = _static_parts(standing, scheme, order)
    out: dict[str, Any] = {"id": subject.id}
    if subject.name is not None:
        out["name"] = subject.name
    out["group"] = subject.group
    out["total"] = total
    out["scores"] = scores
    out["rank"] = standing.rank
    out["band_grade"] = standing.band_grade
    out["grade"] = standing.grade
    out["grade_reason"] = standing.grade_reason
    out["labels"] = list(standing.labels)
    out["rewards"] = {name: format_money(amount) for name, amount in standing.rewards.items()}
    if any(reward.distribute is not None for reward in scheme.rewards):  # §10.1, only where a scheme splits
        out["distribution"] = {name: distribution_document(split) for name, split in standing.distribution.items()}
    out["flags"] = flags
    out["explain"] = explain
    return out


def _scores(standing: Standing, scheme: Scheme, order: Mapping[str, int]) -> dict[str, str]:
    values = standing.score.scores
    points = points_formatter(scheme.precision)
    out: dict[str, str] = {}
    for code in order:  # the scheme's nodes in tree order
        value = values.get(code)
        if value is not None:
            out[code] = points(value)
    if len(out) < len(values):
        for code in sorted(code for code in values if code not in order):
            out[code] = points(values[code])
    return out


def _flags(score: SubjectScore) -> list[Any]:
    """Flags raised while scoring, then every veto hit (§5), each once."""
    flags: list[Any] = []
    for flag in [*score.flags, *(hit.flag() for hit in score.vetoes)]:
        if flag not in flags:
            flags.append(flag)
    return flags
