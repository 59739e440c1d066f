"""The working record of one subject while it is ranked, graded, labelled and rewarded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ..scheme.model import SubjectScore, Veto

GradeReason = Literal["quota", "veto", "condition"]
# (bottom-vetoed?, order keys) — smaller sorts first; see `order.merit_key`.
MeritKey = tuple[Any, ...]


@dataclass(slots=True)
class Standing:
    """One subject's ranking state; mutated step by step by `rank_period`."""

    score: SubjectScore
    scope: str  # the ranking scope: the group name, or "" when scope is `all`
    graded: bool = True
    ranked: bool = True
    merit: MeritKey = ()
    placement: MeritKey = ()  # merit after the downgrade move (§5)
    band_grade: str | None = None
    grade: str | None = None
    grade_reason: GradeReason | None = None
    fixed: bool = False  # a forced grade: takes its quota seat first, never dropped
    rank: int | None = None
    labels: list[str] = field(default_factory=list)
    rewards: dict[str, Decimal] = field(default_factory=dict)
    distribution: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # reward → person id → amount

    @property
    def id(self) -> str:
        return self.score.subject.id

    @property
    def group(self) -> str:
        return self.score.subject.group

    def vetoes(self, *effects: str) -> list[Veto]:
        """The vetoes hitting this subject whose effect is one of `effects`."""
        return [hit.veto for hit in self.score.vetoes if hit.veto.effect in effects]

    def has_veto(self, *effects: str) -> bool:
        """Whether any veto with one of `effects` hits this subject."""
        return bool(self.vetoes(*effects))

    def value_of(self, key: str) -> Decimal:
        """An order key's full-precision value: `total` or an indicator score (absent: 0)."""
        if key == "total":
            return self.score.total
        return self.score.scores.get(key, Decimal(0))


def by_scope(standings: Iterable[Standing]) -> dict[str, list[Standing]]:
    """Standings grouped by ranking scope, in first-seen order."""
    out: dict[str, list[Standing]] = {}
    for standing in standings:
        out.setdefault(standing.scope, []).append(standing)
    return out
