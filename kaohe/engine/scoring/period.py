"""`Period`: the working state of one evaluation, shared by the scoring steps (score.py, cross.py, subset.py)."""

from __future__ import annotations

from decimal import Decimal

from ..scheme.model import Problem, Scheme, Subject, VetoHit
from .rules import Fact


class Period:
    """Working state of one evaluation: subjects, their facts by leaf, score and explain rows."""

    def __init__(self, scheme: Scheme, subjects: list[Subject], label: str = "") -> None:
        self.scheme = scheme
        self.subjects = subjects
        self.label = label  # the period's identifier ("2014"): look-back windows count back from it
        self.rows: list[dict[str, Decimal]] = [{} for _ in subjects]
        self.explain: list[dict[str, str]] = [{} for _ in subjects]
        self.problems: list[Problem] = []
        self.nodes = {node.code: node for node in scheme.nodes()}
        # subject id → leaf code → the subject's facts for that leaf, in id order
        self.facts: dict[str, dict[str, list[Fact]]] = {}
        self.vetoes: dict[str, list[VetoHit]] = {}
        self.unassigned: dict[str, dict[int, int]] = {}
        # subject id → leaf code → its `document` facts (docs/scheme-reference.md §3.4), for leaves requiring some
        self.documents: dict[str, dict[str, list[Fact]]] = {}

    def facts_for(self, sid: str, code: str) -> list[Fact] | None:
        """The subject's facts for the leaf `code`, None when it has none."""
        mine = self.facts.get(sid)
        return mine.get(code) if mine is not None else None
