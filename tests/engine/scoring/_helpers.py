"""Builders for small scheme and facts documents used by the scoring engine tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kaohe.engine import parse_scheme, score_period
from kaohe.engine.scheme import PeriodScores


def scheme_doc(indicators: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "test-scheme",
        "version": 1,
        "title": "测试方案",
        "subject_kind": "person",
        "period": "quarter",
        "groups": ["A", "B"],
        "indicators": indicators,
    }
    doc.update(extra)
    return doc


def leaf(code: str, max_: Any, rule: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": code, "max": max_, "rule": rule, **extra}


def subjects(*ids: str, group: str = "A", **attributes: Any) -> list[dict[str, Any]]:
    return [{"id": sid, "group": group, "attributes": dict(attributes)} for sid in ids]


def run(
    indicators: list[dict[str, Any]],
    facts: list[dict[str, Any]],
    subs: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> PeriodScores:
    scheme = parse_scheme(scheme_doc(indicators, **extra))
    doc = {
        "scheme": "test-scheme",
        "version": 1,
        "period": "2026-Q1",
        "subjects": subs if subs is not None else subjects("p1"),
        "facts": facts,
    }
    return score_period(scheme, doc)


def score_of(result: PeriodScores, subject: str, code: str) -> Decimal:
    for s in result.subjects:
        if s.subject.id == subject:
            return s.scores[code]
    raise KeyError(subject)


def fact(fid: str, code: str | None, kind: str, subject: str = "p1", **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": fid, "subject": subject, "fact": kind, **fields}
    if code is not None:
        out["indicator"] = code
    return out
