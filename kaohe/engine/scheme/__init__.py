"""Schemes: the model, loading documents, validation (`parse_scheme`) and expressions (scheme-format.md §1–§4)."""

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
    "compile_expression",
    "load_document",
    "parse_scheme",
]
