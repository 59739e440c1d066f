"""Scoring: every rule kind, the tree's aggregation and vetoes, for a whole period or a subset (scheme-format.md §4)."""

from .score import score_period

__all__ = ["score_period"]
