"""Ranking: vetoes, ranks, grades, labels, rewards and roll-ups of a scored period (scheme-format.md §5–§11)."""

from .grading import PresetGrade
from .output import dumps_result, format_table
from .result import rank_period, rank_with_presets
from .rewards import largest_remainder
from .rollup import rollup_period, subjects_of

__all__ = [
    "PresetGrade",
    "dumps_result",
    "format_table",
    "largest_remainder",
    "rank_period",
    "rank_with_presets",
    "rollup_period",
    "subjects_of",
]
