"""`score_period`: one pass over the facts, then every node for every subject, column by column.

Nodes are evaluated in dependency order (graph.py) over the whole period at once, so the
cross-subject kinds (rank_points, peer_relative, not_assigned: peer_mean) simply read the
columns they need. Facts are bucketed by leaf, then by subject, in a single pass.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from decimal import Decimal, localcontext
from functools import partial
from operator import itemgetter
from typing import Any, Final

from kaohe.i18n import _

from ..canonical import canonical_text, inputs_sha256, sorted_by_id
from ..scheme.evidence_rules import apply_documents, earlier_periods
from ..scheme.expression import CONTEXT
from ..scheme.graph import TOTAL, evaluation_order, node_dependencies
from ..scheme.model import Expression, Node, PeriodScores, Problem, Scheme, Subject, SubjectScore, VetoHit
from ..scheme.rule_params import FACT_KIND
from .collector import paused_gc
from .cross import peer_relative_column, rank_points_column
from .period import Period
from .rules import (
    ZERO,
    Fact,
    LeafFn,
    NotAssignedSignal,
    build_banded,
    build_completion,
    build_manual,
    build_ratio,
    fmt,
    natural_key,
    num,
)
from .rules_events import (
    build_accrual,
    build_cases,
    build_deduction,
    build_journal,
    build_per_occurrence,
    build_rating,
)

_BUILDERS: Final[dict[str, Callable[[Node], LeafFn]]] = {
    "manual": build_manual,
    "ratio": build_ratio,
    "completion": build_completion,
    "deduction": build_deduction,
    "accrual": build_accrual,
    "per_occurrence": build_per_occurrence,
    "banded": build_banded,
    "rating": build_rating,
    "cases": build_cases,
    "journal": build_journal,
}
_EMPTY_IS_NORMAL: Final = frozenset({"deduction", "accrual", "per_occurrence"})
_CROSS_KINDS: Final = frozenset({"rank_points", "peer_relative"})  # leaves that compare subjects
_PARENT_UNASSIGNED: Final = 2  # status in Period.unassigned: an ancestor is not assigned
_OWN_UNASSIGNED: Final = 1  # the node's own applies_to excludes the subject (or ratio decided so)


def read_subjects(raw: Any, scheme: Scheme, problems: list[Problem]) -> list[Subject]:
    chosen: dict[str, Mapping[str, Any]] = {}
    for item in raw if isinstance(raw, list) else []:
        sid = item.get("id") if isinstance(item, Mapping) else None
        if not isinstance(sid, str | int) or isinstance(sid, bool):
            problems.append(Problem(message=_("a subject needs an id: %(item)s", item=str(item)[:80])))
            continue
        sid = str(sid)
        if sid in chosen:
            problems.append(Problem(subject=sid, message=_(
                "subject %(subject)s is listed more than once; one copy used", subject=sid)))
            if canonical_text(item) >= canonical_text(chosen[sid]):
                continue  # keep the copy whose canonical text sorts first: input order never matters
        chosen[sid] = item
    return [_subject(sid, chosen[sid], scheme, problems) for sid in sorted(chosen, key=natural_key)]


def _subject(sid: str, item: Mapping[str, Any], scheme: Scheme, problems: list[Problem]) -> Subject:
    group = str(item.get("group", ""))
    if scheme.groups and group not in scheme.groups:
        problems.append(
            Problem(
                subject=sid,
                message=_("subject %(subject)s is in group %(group)r, which the scheme does not list (%(groups)s)",
                          subject=sid, group=group, groups=", ".join(scheme.groups)),
            )
        )
    attributes = item.get("attributes") or {}
    name = item.get("name")
    return Subject(
        id=sid,
        group=group,
        name=str(name) if name is not None else None,
        attributes=attributes if isinstance(attributes, Mapping) else {},
    )


_NOT_A_LEAF: Final = object()  # kinds.get's answer for an indicator that is not a leaf


def bucket_facts(period: Period, raw: Any) -> None:
    """The single pass over the facts: each goes to its subject's list for its leaf, or is set aside."""
    kinds = {code: FACT_KIND[node.rule.kind] for code, node in period.nodes.items() if node.rule is not None}
    items: list[Any] = raw if isinstance(raw, list) else []
    if any(node.lookback for node in period.nodes.values()):
        items = _within_windows(period, items)
    by_subject: dict[Any, dict[str, list[Fact]]] = {}  # keyed by the subject ids as given, text or not
    odd = _bucket_by_subject(by_subject, items, kinds)
    period.facts = _known_subjects(period, by_subject)
    _sort_out_odd_facts(period, odd, kinds)


def _within_windows(period: Period, items: list[Any]) -> list[Any]:
    """The facts of this period, and those of earlier periods (a fact's own `period`) that a look-back leaf's
    window holds (001 篇5 "3年内"); any other earlier fact is reported and left out."""
    windows = {code: frozenset(earlier_periods(period.label, node.lookback))
               for code, node in period.nodes.items() if node.lookback}
    out: list[Any] = []
    for f in items:
        other = f.get("period", period.label) if type(f) is dict else period.label
        if other == period.label:
            out.append(f)
        elif other in windows.get(str(f.get("indicator")), ()):
            out.append(f)
        else:
            _fact_problem(period.problems, f, _("a fact of period %(period)r counts only for a leaf whose lookback "
                                                "window holds that period; %(indicator)s has none that does",
                                                period=other, indicator=f.get("indicator")))
    return out


def _bucket_by_subject(out: dict[Any, dict[str, list[Fact]]], items: list[Any],
                       kinds: dict[str, str | None]) -> list[Any]:
    """The facts into `out` by subject id as given, then leaf; returns the facts set aside (subject-level
    events, facts that fit no leaf, items that are not facts), looked at after this loop."""
    odd: list[Any] = []
    for f in items:
        try:
            code = f["indicator"]
            kind = kinds.get(code, _NOT_A_LEAF)
            if kind is _NOT_A_LEAF or f.get("fact") != kind:
                odd.append(f)
                continue
            sid = f.get("subject")
            mine = out.get(sid)
        except (KeyError, TypeError, AttributeError):
            odd.append(f)
            continue
        if mine is None:
            mine = out[sid] = {}
        facts = mine.get(code)
        if facts is None:
            mine[code] = [f]
        else:
            facts.append(f)
    return odd


def _known_subjects(period: Period, by_subject: dict[Any, dict[str, list[Fact]]]) -> dict[str, dict[str, list[Fact]]]:
    """The facts of the period's subjects by text id. Subject ids are checked once per subject: an id given as
    a number joins the subject's text id (its facts after those given with the text id, leaf by leaf); the
    facts of an unknown subject are reported."""
    known = {subject.id for subject in period.subjects}
    facts: dict[str, dict[str, list[Fact]]] = {}
    numbered: list[tuple[str, dict[str, list[Fact]]]] = []
    for sid, by_leaf in by_subject.items():
        if sid in known:  # equal to a text id: text
            facts[sid] = by_leaf
        elif isinstance(sid, int) and not isinstance(sid, bool) and str(sid) in known:
            numbered.append((str(sid), by_leaf))
        else:
            for leaf_facts in by_leaf.values():
                for f in leaf_facts:
                    _fact_problem(period.problems, f, _("unknown subject %(subject)r", subject=sid))
    for sid, by_leaf in numbered:
        mine = facts.setdefault(sid, {})
        for code, leaf_facts in by_leaf.items():
            mine.setdefault(code, []).extend(leaf_facts)
    return facts


def _sort_out_odd_facts(period: Period, odd: list[Any], kinds: Mapping[str, str | None]) -> None:
    known = {subject.id for subject in period.subjects}
    subject_level: list[Fact] = []
    for f in odd:
        if type(f) is not dict:
            period.problems.append(Problem(message=_("a fact must be a mapping: %(fact)s", fact=str(f)[:80])))
            continue
        sid = f.get("subject")
        if str(sid) not in known or isinstance(sid, bool):
            _fact_problem(period.problems, f, _("unknown subject %(subject)r", subject=sid))
            continue
        ind = f.get("indicator")
        if ind is None:
            subject_level.append(f)
        elif not isinstance(ind, str) or ind not in kinds:
            _unknown_indicator(period, f, ind)
        elif f.get("fact") == "document" and period.nodes[ind].documents is not None:
            _document(period, f, str(sid), ind)
        else:
            kind = kinds[ind]
            _fact_problem(
                period.problems,
                f,
                _("a fact of kind %(fact)r does not fit indicator %(indicator)s, which reads %(kind)s facts",
                  fact=f.get("fact"), indicator=ind, kind=kind) if kind else
                _("a fact of kind %(fact)r does not fit indicator %(indicator)s, which reads no facts",
                  fact=f.get("fact"), indicator=ind),
            )
    _collect_vetoes(period, subject_level)


def _document(period: Period, f: Fact, sid: str, code: str) -> None:
    """A required document of a task (§3.4), kept for the leaf; one the task does not require is reported."""
    rule = period.nodes[code].documents
    assert rule is not None
    if f.get("document") not in {d.name for d in rule.required}:
        _fact_problem(period.problems, f, _("%(document)r is not a document %(indicator)s requires (%(names)s)",
                                            document=f.get("document"), indicator=code,
                                            names=", ".join(d.name for d in rule.required)))
        return
    period.documents.setdefault(sid, {}).setdefault(code, []).append(f)


def _fact_problem(problems: list[Problem], f: Mapping[str, Any], message: str) -> None:
    problems.append(Problem(message=message, fact=str(f.get("id"))))


def _unknown_indicator(period: Period, f: Fact, code: Any) -> None:
    if isinstance(code, str) and code in period.nodes:
        _fact_problem(period.problems, f, _("indicator %(indicator)s is not a leaf; facts go to its leaves",
                                            indicator=code))
    else:
        _fact_problem(period.problems, f, _("unknown indicator %(indicator)r", indicator=code))


def _collect_vetoes(period: Period, facts: list[Fact]) -> None:
    by_event: dict[str, list[int]] = {}
    for i, veto in enumerate(period.scheme.vetoes):
        by_event.setdefault(veto.event, []).append(i)
    for f in facts:
        if f.get("fact") != "event" or not isinstance(f.get("type"), str) or f["type"] not in by_event:
            _fact_problem(
                period.problems,
                f,
                _("a fact without indicator must be a veto event; %(type)r is not an event of the scheme's vetoes",
                  type=f.get("type")),
            )
            continue
        for i in by_event[f["type"]]:
            period.vetoes.setdefault(str(f["subject"]), []).append(VetoHit(period.scheme.vetoes[i], str(f.get("id"))))


def assignment(period: Period) -> None:
    """Which subjects each node is not assigned to: own applies_to, or inherited from a parent."""
    for top in period.scheme.indicators:
        _assign(period, top, {})


def _assign(period: Period, node: Node, parent: dict[int, int]) -> None:
    # a module function, not a closure: a recursive closure is a reference cycle, which would keep
    # the whole period (every fact list) alive until the collector's next full pass
    out = {i: _PARENT_UNASSIGNED for i in parent}
    if node.applies_to is not None:
        for i, subject in enumerate(period.subjects):
            if i not in out and not _applies(node, subject):
                out[i] = _OWN_UNASSIGNED
    period.unassigned[node.code] = out
    for child in node.children:
        _assign(period, child, out)


def _applies(node: Node, subject: Subject) -> bool:
    rule = node.applies_to
    if rule is None:
        return True
    if rule.groups is not None:
        return subject.group in rule.groups
    value = subject.attributes.get(rule.attribute or "")
    if value == rule.eq:
        return True
    left, right = num(value), num(rule.eq)
    return left is not None and left == right


Aggregate = Callable[[dict[str, Decimal], Subject], tuple[Decimal, str]]


class _Transfer:
    """003 篇一: a sibling whose max moves to a node when the sibling is not assigned to a subject."""

    def __init__(self, period: Period, node: Node, sibling: Node) -> None:
        self.unassigned = period.unassigned[sibling.code]
        self.factor = (node.max + sibling.max) / node.max  # the node's score is scaled up
        self.words = f"; × ({fmt(node.max)} + {sibling.code} {fmt(sibling.max)}) / {fmt(node.max)} = "

    def apply(self, row: dict[str, Decimal], notes: dict[str, str], code: str) -> None:
        value = row[code] * self.factor
        row[code] = value
        notes[code] += self.words + fmt(value)


def _transfers_to(period: Period, node: Node, parent: Node | None) -> list[_Transfer]:
    siblings = parent.children if parent is not None else period.scheme.indicators
    return [_Transfer(period, node, sibling) for sibling in siblings if sibling.not_assigned.transfer_to == node.code]


class _Plan:
    """What evaluating one subject-local node for one subject needs, looked up once per node."""

    def __init__(self, period: Period, node: Node, parent: Node | None) -> None:
        self.node = node
        self.code = node.code
        self.unassigned = period.unassigned[node.code]
        self.transfers = _transfers_to(period, node, parent)
        self.fill_later = node.not_assigned.kind == "peer_mean"  # needs the whole column first
        self.leaf: LeafFn | None = None
        self.aggregate: Aggregate | None = None
        self.empty_is_normal = False
        self.documents = node.documents  # §3.4 required documents, None for nearly every leaf
        if node.rule is not None:
            self.leaf = _BUILDERS[node.rule.kind](node)
            # No events is the normal state of deduction/accrual (全勤得10分) and no tasks that of
            # per_occurrence (none_assigned): they score the empty list unless the scheme asks for
            # missing: full or error.
            self.empty_is_normal = node.rule.kind in _EMPTY_IS_NORMAL and node.missing == "zero"
        elif node.aggregate == "sum":
            self.aggregate = _sum_of(node)
        else:
            self.aggregate = partial(_AGGREGATES[node.aggregate], node)


def _score_run(period: Period, run: list[tuple[Node, Node | None]]) -> None:
    """Evaluate consecutive subject-local nodes (leaves that read only their subject's facts, inner
    nodes that read only its row), subject by subject, each in evaluation order.

    One subject's facts, score row and explanation row are touched together while they are in
    cache, instead of one pass over every subject per node. For each (subject, node) the steps are
    those of evaluating the node over the whole period: its value, the transfers into it, or its
    not_assigned value, so every row gets its keys in the same order. Only a `peer_mean` node needs
    its whole column first: it ends a run, holds a placeholder until `_fill_unassigned` after the
    run. Problems come in another order; they are sorted at the end."""
    if not run:
        return
    plans = [_Plan(period, node, parent) for node, parent in run]
    problems = period.problems
    facts_of = period.facts.get
    for i, (subject, row, notes) in enumerate(zip(period.subjects, period.rows, period.explain, strict=True)):
        mine = facts_of(subject.id)
        for plan in plans:
            code = plan.code
            unassigned = plan.unassigned
            status = unassigned.get(i) if unassigned else None
            if status is None:
                score: Decimal | None
                text: str
                leaf = plan.leaf
                if leaf is None:
                    assert plan.aggregate is not None
                    score, text = plan.aggregate(row, subject)
                else:
                    facts = mine.get(code) if mine is not None else None
                    if facts is not None:
                        try:
                            score, text = leaf(facts, subject, problems)
                        except NotAssignedSignal:
                            unassigned[i] = status = _OWN_UNASSIGNED
                        except (TypeError, ValueError, ArithmeticError, KeyError, AttributeError) as exc:
                            # a fact shape no check foresaw: report it, never stop the period (§4)
                            score, text = None, _unreadable(plan.node, subject, facts, exc, problems)
                    elif plan.empty_is_normal:
                        score, text = leaf([], subject, problems)
                    else:
                        score, text = None, ""
                    if plan.documents is not None and status is None:
                        mine_docs = period.documents.get(subject.id)
                        score, text = apply_documents(plan.documents, (mine_docs or {}).get(code, []), score, text)
                if status is None:
                    if score is None:
                        score, text = _missing(plan.node, subject, problems, text)
                    row[code] = score
                    notes[code] = text
                    for transfer in plan.transfers:
                        if transfer.unassigned.get(i) == _OWN_UNASSIGNED:
                            transfer.apply(row, notes, code)
                    continue
            if plan.fill_later:
                row[code] = ZERO  # placeholder at the node's position in the row
                notes[code] = ""
            else:
                row[code], notes[code] = _not_assigned_value(plan.node, status, subject, {})
    for plan in plans:
        if plan.fill_later:
            _fill_unassigned(period, plan.node)


def _unreadable(node: Node, subject: Subject, facts: list[Fact], exc: Exception, problems: list[Problem]) -> str:
    fact_ids = ",".join(str(f.get("id")) for f in facts)
    problems.append(
        Problem(
            subject=subject.id,
            message=_("the facts [%(facts)s] of %(indicator)s for subject %(subject)s could not be read (%(error)s)",
                      facts=fact_ids, indicator=node.code, subject=subject.id, error=type(exc).__name__),
        )
    )
    return f"facts [{fact_ids}] could not be read"


MISSING_ERROR = "its missing policy is error"  # ends the (English) problem of a `missing: error` leaf without facts


def _missing(node: Node, subject: Subject, problems: list[Problem], text: str) -> tuple[Decimal, str]:
    if node.missing == "error":
        problems.append(
            Problem(
                subject=subject.id,
                message=_("no usable facts for %(indicator)s (%(name)s) of subject %(subject)s, and its missing "
                          "policy is error", indicator=node.code, name=node.name, subject=subject.id),
            )
        )
        return ZERO, f"{text or 'no facts'}; missing: error = 0"
    score = node.max if node.missing == "full" else ZERO
    return score, f"{text or 'no facts'}; missing: {node.missing} = {fmt(score)}"


def _sum_of(node: Node) -> Aggregate:
    regular = tuple(c.code for c in node.children if not c.bonus)
    bonus = tuple(c.code for c in node.children if c.bonus)
    top, cap, top_text = node.max, node.cap, fmt(node.max)
    # "c1 v1 + c2 v2 + bonus c3 v3": the codes are fixed per node, so one format string per node
    template = " + ".join([f"{_braced(c)} {{}}" for c in regular])
    bonus_template = "".join([f" + bonus {_braced(c)} {{}}" for c in bonus])
    read_regular, read_bonus = itemgetter(*regular) if regular else None, itemgetter(*bonus) if bonus else None

    def aggregate(row: dict[str, Decimal], subject: Subject) -> tuple[Decimal, str]:
        values = _as_tuple(read_regular(row), len(regular)) if read_regular else ()
        total = sum(values, ZERO)
        words = template.format(*[fmt(v) for v in values])
        if cap and total > top:
            total, words = top, f"min({words}, cap {top_text})"
        if read_bonus:
            # §3.2: bonus children are added on top of the (capped) sum of the others
            extra = _as_tuple(read_bonus(row), len(bonus))
            total += sum(extra, ZERO)
            words += bonus_template.format(*[fmt(v) for v in extra])
        return total, f"sum: {words} = {fmt(total)}"

    return aggregate


def _braced(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _as_tuple(got: Any, n: int) -> tuple[Decimal, ...]:
    # itemgetter of one key returns the value itself, of several a tuple
    return (got,) if n == 1 else got


def _weighted(node: Node, row: dict[str, Decimal], subject: Subject) -> tuple[Decimal, str]:
    acc = sum(((c.weight or ZERO) * row[c.code] / c.max for c in node.children), ZERO)
    score = node.max * acc / 100
    words = " + ".join(f"{fmt(c.weight or ZERO)}% × {c.code} {fmt(row[c.code])}/{fmt(c.max)}" for c in node.children)
    return score, f"weighted: {fmt(node.max)} × ({words}) = {fmt(score)}"


def _mean(node: Node, row: dict[str, Decimal], subject: Subject) -> tuple[Decimal, str]:
    acc = sum((row[c.code] / c.max for c in node.children), ZERO)
    score = node.max * acc / len(node.children)
    words = " + ".join(f"{c.code} {fmt(row[c.code])}/{fmt(c.max)}" for c in node.children)
    return score, f"mean: {fmt(node.max)} × ({words}) / {len(node.children)} = {fmt(score)}"


def formula_with_inputs(expression: Expression, row: Mapping[str, Decimal], attributes: Mapping[str, Any]) -> str:
    """`(a + b) / 2 with a 3, b 4`: a formula and the values it read, codes then attributes, each by name (an
    attribute that is missing or not a number is left to the formula's notes)."""
    inputs = [f"{code} {fmt(row[code])}" for code in sorted(expression.names) if code in row]
    for name in sorted(expression.attributes):
        value = num(attributes.get(name))
        if value is not None:
            inputs.append(f"attr.{name} {fmt(value)}")
    return f"{expression.source} with {', '.join(inputs)}" if inputs else expression.source


def _formula(node: Node, row: dict[str, Decimal], subject: Subject) -> tuple[Decimal, str]:
    notes: list[str] = []
    raw = node.formula.evaluate(row, subject.attributes, notes) if node.formula else ZERO
    score = min(max(raw, ZERO), node.max)
    extra = f" ({'; '.join(notes)})" if notes else ""
    source = formula_with_inputs(node.formula, row, subject.attributes) if node.formula else ""
    return score, f"formula {source} = {fmt(raw)}, within [0, {fmt(node.max)}] = {fmt(score)}{extra}"


_AGGREGATES: Final[dict[str, Callable[[Node, dict[str, Decimal], Subject], tuple[Decimal, str]]]] = {
    "weighted": _weighted,
    "mean": _mean,
    "formula": _formula,
}


def _transfers(period: Period, node: Node, parent: Node | None) -> None:
    """003 篇一: a sibling's unassigned max moves here; this node's score is scaled up."""
    own = period.unassigned[node.code]
    for transfer in _transfers_to(period, node, parent):
        for i, status in transfer.unassigned.items():
            if status == _OWN_UNASSIGNED and i not in own:
                transfer.apply(period.rows[i], period.explain[i], node.code)


def _fill_unassigned(period: Period, node: Node) -> None:
    means = _peer_means(period, node) if node.not_assigned.kind == "peer_mean" else {}
    for i, status in period.unassigned[node.code].items():
        period.rows[i][node.code], period.explain[i][node.code] = _not_assigned_value(
            node, status, period.subjects[i], means
        )


def _not_assigned_value(
    node: Node, status: int, subject: Subject, means: Mapping[str, tuple[Decimal, int]]
) -> tuple[Decimal, str]:
    policy = node.not_assigned
    if status == _PARENT_UNASSIGNED:
        return ZERO, "not assigned (its parent is not assigned) = 0"
    if policy.kind == "full":
        return node.max, f"not assigned: full = {fmt(node.max)}"
    if policy.kind == "peer_mean":
        key = subject.group if policy.peer_scope == "group" else ""
        score, count = means.get(key, (ZERO, 0))
        return score, f"not assigned: mean of {count} assigned peers ({policy.peer_scope}) = {fmt(score)}"
    if policy.kind == "transfer_to":
        return ZERO, f"not assigned: points moved to {policy.transfer_to} = 0"
    return ZERO, "not assigned = 0"


def _peer_means(period: Period, node: Node) -> dict[str, tuple[Decimal, int]]:
    # 000 篇4 "按其他县(区)在该项指标中所得分的平均分计分": only subjects assigned the node count
    sums: dict[str, tuple[Decimal, int]] = {}
    unassigned = period.unassigned[node.code]
    by_group = node.not_assigned.peer_scope == "group"
    for i, subject in enumerate(period.subjects):
        if i in unassigned:
            continue
        key = subject.group if by_group else ""
        acc, count = sums.get(key, (ZERO, 0))
        sums[key] = (acc + period.rows[i][node.code], count + 1)
    return {key: (acc / count, count) for key, (acc, count) in sums.items()}


def _parents(scheme: Scheme) -> dict[str, Node]:
    return {child.code: node for node in scheme.nodes() for child in node.children}


def evaluate_nodes(period: Period, only: frozenset[str] | None = None,
                    groups: Collection[str] | None = None) -> None:
    """Evaluate the scheme's nodes in dependency order. engine/subset.py limits it to the codes in
    `only` (None: every code) and the rank_points columns to `groups` (None: every group)."""
    scheme = period.scheme
    parents = _parents(scheme)
    problems = period.problems
    if only is not None:
        period.problems = []  # per-subject problems of the recomputed columns are known already
    run: list[tuple[Node, Node | None]] = []  # subject-local nodes, evaluated subject by subject
    for code in evaluation_order(node_dependencies(scheme.nodes(), scheme.total)):
        node = period.nodes.get(code)
        if node is None or (only is not None and code not in only):  # None: the "total" pseudo-node
            continue
        kind = node.rule.kind if node.rule else None
        if kind not in _CROSS_KINDS:
            run.append((node, parents.get(code)))
            if node.not_assigned.kind == "peer_mean":  # its not_assigned values need the whole column
                _score_run(period, run)
                run = []
            continue
        _score_run(period, run)
        run = []
        if kind == "rank_points":
            rank_points_column(period, node, groups)
        else:
            peer_relative_column(period, node, _missing)
        _transfers(period, node, parents.get(code))
        _fill_unassigned(period, node)
    _score_run(period, run)
    period.problems = problems


def totals(period: Period) -> list[SubjectScore]:
    scheme = period.scheme
    top = [node.code for node in scheme.indicators]
    out: list[SubjectScore] = []
    for i, subject in enumerate(period.subjects):
        row, explain = period.rows[i], period.explain[i]
        if scheme.total is not None:
            notes: list[str] = []
            total = scheme.total.evaluate(row, subject.attributes, notes)
            source = formula_with_inputs(scheme.total, row, subject.attributes)
            explain[TOTAL] = f"total {source} = {fmt(total)}" + (f" ({'; '.join(notes)})" if notes else "")
        else:
            total = sum([row[code] for code in top], ZERO)
            explain[TOTAL] = "total: " + " + ".join(f"{code} {fmt(row[code])}" for code in top) + f" = {fmt(total)}"
        hits = sorted(
            period.vetoes.get(subject.id, []), key=lambda h: (scheme.vetoes.index(h.veto), natural_key(h.fact))
        )
        flags = [hit.flag() for hit in hits if hit.veto.effect == "zero_total"]
        if flags:
            total = ZERO  # 003 篇三 "绩效考核分数归零"
            explain[TOTAL] += f"; veto {flags[0]['veto']} (fact {flags[0]['fact']}): total = 0"
        out.append(SubjectScore(subject=subject, scores=row, total=total, explain=explain, vetoes=hits, flags=flags))
    return out


def problem_key(problem: Problem) -> tuple[Any, ...]:
    return (natural_key(problem.fact or ""), natural_key(problem.subject or ""), problem.pointer or "", problem.message)


def facts_belong_to(scheme: Scheme, facts: Mapping[str, Any]) -> bool:
    """Whether a facts document is for this scheme: its `scheme` and `version`, where given, are the scheme's."""
    return facts.get("scheme") in (None, scheme.id) and facts.get("version") in (None, scheme.version)


def score_period(scheme: Scheme, facts: Mapping[str, Any]) -> PeriodScores:
    """Score every subject of one period (§3–§5); bad facts become problems, never exceptions."""
    with paused_gc(), localcontext(CONTEXT):
        return _score(scheme, facts)


def _score(scheme: Scheme, facts: Mapping[str, Any]) -> PeriodScores:
    return score_keeping(scheme, facts)[0]


def score_keeping(scheme: Scheme, facts: Mapping[str, Any],
                  digest: str | None = None) -> tuple[PeriodScores, Period]:
    """The period scored, with its working state (engine/subset.py keeps it for later changes).
    `digest` skips hashing when the caller has the inputs' hash already. Call inside CONTEXT."""
    problems: list[Problem] = []
    if not facts_belong_to(scheme, facts):
        problems.append(
            Problem(
                message=_("the facts are for %(facts_scheme)s version %(facts_version)s, not %(scheme)s version "
                          "%(version)s", facts_scheme=facts.get("scheme"), facts_version=facts.get("version"),
                          scheme=scheme.id, version=scheme.version)
            )
        )
    raw = facts.get("facts")
    if raw is not None and not isinstance(raw, list):
        problems.append(Problem(message=_("facts must be a list")))
    # sorted once by id: the hash needs this order, and the rules then see facts in id order
    ordered = sorted_by_id(raw) if isinstance(raw, list) else []
    period = Period(scheme, read_subjects(facts.get("subjects"), scheme, problems), str(facts.get("period", "")))
    period.problems.extend(problems)
    bucket_facts(period, ordered)
    assignment(period)
    evaluate_nodes(period)
    subjects = totals(period)
    period.problems.sort(key=problem_key)
    if digest is None:
        digest = inputs_sha256(scheme.document, facts, sorted_facts=ordered if isinstance(raw, list) else None)
    result = PeriodScores(
        scheme=scheme,
        period=str(facts.get("period", "")),
        subjects=subjects,
        problems=period.problems,
        inputs_sha256=digest,
    )
    return result, period
