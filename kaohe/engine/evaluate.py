"""`evaluate`: the whole engine on a scheme document and a facts document, with no I/O:
parse (`scheme`) → score (`scoring`) → rank (`ranking`), or roll up (scheme-format.md §11).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .canonical import inputs_sha256
from .ranking import rank_period, rollup_period, subjects_of
from .scheme import parse_scheme
from .scheme.model import Scheme, Subject
from .scoring import score_period
from .scoring.score import MISSING_ERROR

__all__ = ["evaluate", "missing_errors"]


def evaluate(scheme_document: Mapping[str, Any], facts_document: Mapping[str, Any]) -> dict[str, Any]:
    """The §11 result of one scheme document on one facts document (raises SchemeInvalid)."""
    scheme = parse_scheme(scheme_document)
    if scheme.rollup is not None:
        return _evaluate_rollup(scheme, scheme_document, facts_document)
    return rank_period(score_period(scheme, facts_document))


def missing_errors(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The result's problems of `missing: error` leaves left without facts (§13 question 2): the result is
    complete, but not fit to publish until the evidence is there."""
    return [p for p in result.get("problems") or []
            if isinstance(p, Mapping) and p.get("subject") and str(p.get("message", "")).endswith(MISSING_ERROR)]


def _evaluate_rollup(
    scheme: Scheme, scheme_document: Mapping[str, Any], facts_document: Mapping[str, Any]
) -> dict[str, Any]:
    # Offline, a roll-up's facts document carries `results`: the sub-period result documents.
    results = [r for r in facts_document.get("results") or [] if isinstance(r, Mapping)]
    subjects = _declared_subjects(facts_document) or subjects_of(results)
    return rollup_period(
        scheme,
        str(facts_document.get("period", "")),
        subjects,
        results,
        inputs_sha256=inputs_sha256(scheme_document, facts_document),
    )


def _declared_subjects(facts_document: Mapping[str, Any]) -> list[Subject]:
    out = []
    for entry in facts_document.get("subjects") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            attributes = entry.get("attributes")
            out.append(
                Subject(
                    id=entry["id"],
                    group=str(entry.get("group", "")),
                    name=entry.get("name") or None,
                    attributes=dict(attributes) if isinstance(attributes, Mapping) else {},
                )
            )
    return out
