"""The pure scoring engine: scheme validation, expressions and period scoring (scheme-format.md)."""

from .canonical import canonical_json
from .expression import ExpressionError, compile_expression
from .loader import DocumentError, DocumentLimit, load_document
from .model import (
    AppliesTo,
    AttrRef,
    Expression,
    Grading,
    Label,
    Node,
    NotAssigned,
    PeriodScores,
    Problem,
    Ranking,
    Reward,
    Rollup,
    Rule,
    Scheme,
    SchemeInvalid,
    Subject,
    SubjectScore,
    Veto,
    VetoHit,
)
from .parse import parse_scheme
from .score import score_period

__all__ = [
    "AppliesTo",
    "AttrRef",
    "DocumentError",
    "DocumentLimit",
    "Expression",
    "ExpressionError",
    "Grading",
    "Label",
    "Node",
    "NotAssigned",
    "PeriodScores",
    "Problem",
    "Ranking",
    "Reward",
    "Rollup",
    "Rule",
    "Scheme",
    "SchemeInvalid",
    "Subject",
    "SubjectScore",
    "Veto",
    "VetoHit",
    "canonical_json",
    "compile_expression",
    "load_document",
    "parse_scheme",
    "score_period",
]
