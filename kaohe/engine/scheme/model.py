"""The parsed, validated scheme (scheme-format.md §2–§10) and the engine's in-memory outputs.

Every type here is plain, immutable data: the `scheme` and `scoring` packages builds a `Scheme`
from a YAML/JSON document and scores a period into `PeriodScores`; the ranking engine
(`kaohe.engine.ranking`) turns `PeriodScores` into the result document (§11).
All numbers are `Decimal`; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol

from kaohe.i18n import ngettext

Json = Any
SubjectKind = Literal["unit", "person"]
PeriodKind = Literal["month", "quarter", "half", "year", "week"]
Aggregate = Literal["sum", "weighted", "mean", "formula"]
PeerScope = Literal["all", "group"]
Rounding = Literal["floor", "ceil", "round"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scheme or a fact: where (JSON pointer, or a fact id) and why. `message` is a marked
    message (kaohe.i18n.Text): its value, which is stored, hashed and sorted on, is the English sentence; it is
    rendered in the caller's language only where it is shown (`localize`)."""

    message: str
    pointer: str | None = None  # "/indicators/2/children/0/rule/bands" for scheme problems
    fact: str | None = None  # the fact id, for fact problems
    subject: str | None = None  # the subject id, for per-subject problems (missing: error)

    def to_json(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.pointer is not None:
            out["pointer"] = self.pointer
        if self.fact is not None:
            out["fact"] = self.fact
        if self.subject is not None:
            out["subject"] = self.subject
        out["message"] = self.message
        return out


class SchemeInvalid(Exception):
    """Raised when a scheme breaks any rule of the contract; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(ngettext("%(problems_count)s problem in the scheme",
                                  "%(problems_count)s problems in the scheme", len(problems),
                                  problems_count=len(problems)))
        self.problems = problems


class Expression(Protocol):
    """A compiled expression of §3.3 (total, aggregate: formula, reward weight and prorate)."""

    source: str
    names: frozenset[str]  # indicator codes and "total" it reads
    attributes: frozenset[str]  # attr.NAME it reads

    def evaluate(
        self,
        scores: Mapping[str, Decimal],
        attributes: Mapping[str, Any],
        notes: list[str] | None = None,
    ) -> Decimal:
        """Exact evaluation; a runtime division by zero yields 0 and appends a note."""
        ...


@dataclass(frozen=True, slots=True)
class AttrRef:
    """`attr.NAME`: a per-subject value taken from the subject's attributes."""

    name: str


Target = Decimal | AttrRef


@dataclass(frozen=True, slots=True)
class AppliesTo:
    """Who a node is assigned to: a list of groups, or one attribute equality."""

    groups: tuple[str, ...] | None = None
    attribute: str | None = None
    eq: Json = None


@dataclass(frozen=True, slots=True)
class NotAssigned:
    """§3.2 not_assigned: zero | full | peer_mean (with peer_scope) | transfer_to CODE."""

    kind: Literal["zero", "full", "peer_mean", "transfer_to"] = "zero"
    peer_scope: PeerScope = "all"
    transfer_to: str | None = None


@dataclass(frozen=True, slots=True)
class ManualParams:
    """§3.4 manual: how several assessors' points combine."""

    combine: Literal["mean", "min", "max", "latest", "weighted"]
    assessor_weights: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class RatioParams:
    """§3.4 ratio: value / target, and what a shortfall or a zero denominator gives."""

    target: Target
    below: Literal["proportional", "zero"]
    zero_denominator: Literal["full", "zero", "not_assigned"]

    @property
    def counts_a_share(self) -> bool:
        """A numeric target of at most 1 (100 %): each measure's numerator counts a part of its denominator (18 of
        20 cases due), so a numerator above its denominator is a mistake (docs/decisions.md, "Ratio counts")."""
        return not isinstance(self.target, AttrRef) and self.target <= 1


@dataclass(frozen=True, slots=True)
class CompletionParams:
    """§3.4 completion: against a target in a direction, with a bonus per point beyond it up to a cap."""

    target: Target
    direction: Literal["higher_better", "lower_better"]
    below: Literal["proportional", "zero"]
    bonus_per_point: Decimal
    bonus_cap: Decimal


@dataclass(frozen=True, slots=True)
class DeductionParams:
    """§3.4 deduction: points off a base per event type, floored and capped; event counts that zero it."""

    base: Decimal
    per_event: dict[str, Decimal]
    floor: Decimal
    max_deduction: Decimal | None
    zero_when: tuple[tuple[str, Decimal], ...]
    justified_exempt: bool


@dataclass(frozen=True, slots=True)
class AccrualParams:
    """§3.4 accrual: points per event type or level, between min and max."""

    per_event: dict[str, Decimal]
    levels: dict[str, Decimal]
    highest_per_key: bool
    shared: Literal["split", "full"]
    collective_factor: Decimal
    min: Decimal
    max: Decimal


@dataclass(frozen=True, slots=True)
class PerOccurrenceParams:
    """§3.4 per_occurrence: what a subject with no assigned task gets."""

    none_assigned: Literal["full", "zero"]


@dataclass(frozen=True, slots=True)
class BandedParams:
    """§3.4 banded: (min, points) from the highest min down, per period or per month."""

    bands: tuple[tuple[Decimal, Decimal], ...]
    each: Literal["period", "month"]
    combine: Literal["mean", "sum"]


@dataclass(frozen=True, slots=True)
class RatingParams:
    """§3.4 rating: points per grade, combined over raters (or rater levels), trimmed."""

    scale: dict[str, Decimal]
    combine: Literal["mean", "mean_of_levels"]
    levels: tuple[str, ...]
    missing_level: Literal["skip", "full"]
    trim: tuple[int, int]  # (highest, lowest) ratings left out
    min_ratings: int


@dataclass(frozen=True, slots=True)
class RankPointsParams:
    """§3.4 rank_points: points by rank share of the indicator `of`, within the peer scope."""

    of: str | None
    bands: tuple[tuple[Decimal, Decimal], ...]  # (top share, points), rising to 1
    peer_scope: PeerScope


@dataclass(frozen=True, slots=True)
class CasesParams:
    """§3.4 cases: no parameters."""


@dataclass(frozen=True, slots=True)
class JournalParams:
    """§3.4 journal: the scale the journal's marks are written on."""

    scale_max: Decimal


@dataclass(frozen=True, slots=True)
class PeerRelativeParams:
    """§3.4 peer_relative: points by the value's index to the peers' mean."""

    direction: Literal["higher_better", "lower_better"]
    bands: tuple[tuple[bool, Decimal, Decimal], ...]  # (bound is a max_index, bound, points)
    peer_scope: PeerScope


RuleParams = (
    ManualParams | RatioParams | CompletionParams | DeductionParams | AccrualParams | PerOccurrenceParams
    | BandedParams | RatingParams | RankPointsParams | CasesParams | JournalParams | PeerRelativeParams
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A leaf rule: its kind and its parameters, normalised (decimals parsed, defaults filled), typed
    per kind (`RuleParams`)."""

    kind: str
    params: RuleParams


@dataclass(frozen=True, slots=True)
class RequiredDocument:
    """A document a task must be proven by, and who supplies it (001 篇5 "落实与分工")."""

    name: str
    supplier: str | None = None


@dataclass(frozen=True, slots=True)
class Documents:
    """docs/scheme-reference.md §3.4: a leaf's required documents and what it scores without them."""

    required: tuple[RequiredDocument, ...]
    when_missing: Literal["zero", "proportional", "missing"] = "zero"


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the indicator tree: a leaf (rule) or an inner node (children)."""

    code: str
    name: str
    max: Decimal
    pointer: str  # JSON pointer of this node in the scheme document
    rule: Rule | None = None
    children: tuple[Node, ...] = ()
    aggregate: Aggregate = "sum"
    formula: Expression | None = None
    cap: bool = False
    weight: Decimal | None = None  # percentage, for a `weighted` parent
    applies_to: AppliesTo | None = None
    not_assigned: NotAssigned = field(default_factory=NotAssigned)
    missing: Literal["zero", "full", "error"] = "zero"
    bonus: bool = False
    documents: Documents | None = None  # §3.4 (leaves only)
    lookback: int | None = None  # §3.5: periods read, this one included (leaves only)

    @property
    def is_leaf(self) -> bool:
        return self.rule is not None


@dataclass(frozen=True, slots=True)
class Veto:
    """§5: an event type and its effect on the subjects it hits."""

    event: str
    effect: Literal["zero_total", "grade", "max_grade", "downgrade", "bottom", "no_label", "no_labels", "no_reward"]
    grade: str | None = None  # for grade / max_grade
    bottom: int | None = None  # for bottom
    label: str | None = None  # for no_label
    raw_effect: Json = None  # the effect exactly as written, echoed in flags


@dataclass(frozen=True, slots=True)
class Ranking:
    """§6."""

    scope: PeerScope = "group"
    order: tuple[str, ...] = ("total",)
    ascending: frozenset[str] = frozenset()
    rank_ungraded: bool = True


@dataclass(frozen=True, slots=True)
class GradeBand:
    grade: str
    min: Decimal | None = None  # None: the catch-all band
    inclusive: bool = True


@dataclass(frozen=True, slots=True)
class Quota:
    grade: str
    max_share: Decimal  # a fraction: 25% -> Decimal("0.25")
    rounding: Rounding = "floor"


@dataclass(frozen=True, slots=True)
class AttributeCondition:
    """`{attribute: NAME, lt|lte|gt|gte|eq: VALUE}`, with `grade` for force/max conditions."""

    attribute: str
    op: Literal["lt", "lte", "gt", "gte", "eq", "ne"]
    value: Json
    grade: str | None = None


@dataclass(frozen=True, slots=True)
class Grading:
    """§7."""

    bands: tuple[GradeBand, ...]
    quotas: tuple[Quota, ...] = ()
    ties_at_quota: Literal["exclude", "include"] = "exclude"
    ungraded_when: tuple[AttributeCondition, ...] = ()
    force_grade_when: tuple[AttributeCondition, ...] = ()
    max_grade_when: tuple[AttributeCondition, ...] = ()

    @property
    def grade_order(self) -> tuple[str, ...]:
        """Grades best first, as the bands list them."""
        return tuple(band.grade for band in self.bands)


@dataclass(frozen=True, slots=True)
class LabelWhere:
    grade: str | None = None
    total_lt: Decimal | None = None
    total_gte: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """§8: exactly one of top / bottom / top_share / bottom_share, or only `where`."""

    label: str
    top: int | None = None
    bottom: int | None = None
    top_share: Decimal | None = None
    bottom_share: Decimal | None = None
    rounding: Rounding = "floor"
    where: LabelWhere | None = None
    groups: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Distribution:
    """docs/scheme-reference.md §10.1: a unit's reward split among the people its attribute `members` lists."""

    members: str
    weight: Expression


@dataclass(frozen=True, slots=True)
class Reward:
    """§9: exactly one of by_grade / by_rank / pool (+weight) / by_label / amount; optionally distributed."""

    name: str
    by_grade: Mapping[str, Decimal] | None = None
    by_rank: tuple[Decimal, ...] | None = None
    pool: Decimal | None = None
    weight: Expression | None = None
    by_label: Mapping[str, Decimal] | None = None
    prorate: Expression | None = None
    scope: PeerScope = "group"
    amount: Expression | None = None
    distribute: Distribution | None = None


@dataclass(frozen=True, slots=True)
class GradeCount:
    grade: str
    op: Literal["gte", "eq", "lte", "gt", "lt"]
    value: int


@dataclass(frozen=True, slots=True)
class RollupGradeRule:
    count: GradeCount
    grade: str
    within_quota: bool = False


@dataclass(frozen=True, slots=True)
class Rollup:
    """§10: an annual (or half-year) result built from sub-period results of another scheme."""

    source: str  # `from:` — the scheme id of the sub-periods
    total: Literal["mean", "sum"] = "mean"
    grade_rules: tuple[RollupGradeRule, ...] = ()


@dataclass(frozen=True, slots=True)
class PublicationRules:
    """The 公示 window in working days, and the window of a re-publication (results changed after one); the
    columns the public 公示 page shows and its objection procedure (None: kaohe's default text)."""

    working_days: int | None = None
    republication_working_days: int | None = None
    public_columns: tuple[str, ...] = ("rank", "name", "total", "grade", "labels")
    objection_procedure: str | None = None


# the columns a public 公示 may show, in the order they are shown (`publication.public_columns`)
PUBLIC_COLUMNS = ("rank", "subject_id", "name", "group", "total", "grade", "labels")
DEFAULT_PUBLIC_COLUMNS = ("rank", "name", "total", "grade", "labels")


@dataclass(frozen=True, slots=True)
class Scheme:
    id: str
    version: int
    title: str
    subject_kind: SubjectKind
    period: PeriodKind
    precision: int
    groups: tuple[str, ...]
    indicators: tuple[Node, ...]
    total: Expression | None = None  # None: the sum of the top-level nodes (bonus nodes added)
    vetoes: tuple[Veto, ...] = ()
    ranking: Ranking = field(default_factory=Ranking)
    grading: Grading | None = None
    labels: tuple[Label, ...] = ()
    rewards: tuple[Reward, ...] = ()
    rollup: Rollup | None = None
    publication: PublicationRules | None = None
    document: Mapping[str, Json] = field(default_factory=dict)  # the source document, for hashing
    # valid but very likely a slip (a band paying more than its leaf's max): shown by validation, never hashed
    warnings: tuple[Problem, ...] = ()

    def nodes(self) -> list[Node]:
        """Every node of the tree, parents before children, in document order."""
        out: list[Node] = []
        stack = list(reversed(self.indicators))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


@dataclass(frozen=True, slots=True)
class Subject:
    id: str
    group: str
    name: str | None = None
    attributes: Mapping[str, Json] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VetoHit:
    """A subject-level event that matches a veto of the scheme."""

    veto: Veto
    fact: str  # the fact id

    def flag(self) -> dict[str, Json]:
        return {"veto": self.veto.event, "effect": self.veto.raw_effect, "fact": self.fact}


@dataclass(slots=True)
class SubjectScore:
    """The scoring engine's output for one subject: full-precision scores, not yet rounded."""

    subject: Subject
    scores: dict[str, Decimal]  # every node code, inner nodes included
    total: Decimal  # after zero_total vetoes
    explain: dict[str, str]  # per indicator code: rule, fact ids, arithmetic in words
    vetoes: list[VetoHit]  # every veto hit, zero_total included (ranking applies the others)
    flags: list[dict[str, Json]] = field(default_factory=list)  # flags raised while scoring
    # the ranking engine's rendering of this score (scheme, document parts): it lives and dies with
    # the score, so reusing it across rankings keeps nothing alive that the caller dropped
    rendered: Any = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class PeriodScores:
    """The scoring engine's output for one period."""

    scheme: Scheme
    period: str
    subjects: list[SubjectScore]
    problems: list[Problem]
    inputs_sha256: str
