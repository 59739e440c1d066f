"""From scoring's JSON (strings, full precision) to the engines' plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kaohe.engine import parse_scheme
from kaohe.engine.scheme.model import PeriodScores, Problem, Scheme, Subject, SubjectScore, VetoHit
from services.common.errors import ServiceUnavailable

# Published scheme versions are immutable, so a parsed one can be kept for the process's life.
_SCHEMES: dict[tuple[str, int], Scheme] = {}
# Subjects parsed from a scores body, by (scheme, version, period label, subject), with the entry they
# were parsed from: a body merged from a delta (scores_cache.py) keeps the unchanged entries (the same
# objects), so only the changed ones are parsed again, and a changed one replaces its predecessor.
# (Keyed by the entry's identity, every superseded entry and its parse stayed here until 100,000 had
# piled up: ranking's RSS grew ~1 MB a minute in the soak.)
_PARSED: dict[tuple[str, int, str, str], tuple[Mapping[str, Any], SubjectScore, SubjectMeta]] = {}
MAX_PARSED = 100_000


@dataclass(frozen=True)
class SubjectMeta:
    """What ranking keeps about a subject besides its result: where it sits and its attributes."""

    unit_path: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


def cached_scheme(scheme_id: str, version: int) -> Scheme | None:
    return _SCHEMES.get((scheme_id, version))


def remember_scheme(document: Mapping[str, Any]) -> Scheme:
    """Parse a published scheme document once (a broken one is scoring's fault: 503)."""
    try:
        scheme = parse_scheme(document)
    except Exception as exc:
        raise ServiceUnavailable(f"scoring served a scheme the engine rejects: {exc}") from None
    _SCHEMES[(scheme.id, scheme.version)] = scheme
    return scheme


def exact(raw: Any, where: str) -> Decimal:
    """A decimal string (or integer) read exactly; anything else is refused."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ServiceUnavailable(f"scoring sent {where} as {type(raw).__name__}, not a decimal string")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ServiceUnavailable(f"scoring sent {where} = {raw!r}, not a decimal") from None
    if not value.is_finite():
        raise ServiceUnavailable(f"scoring sent {where} = {raw!r}, not a finite decimal")
    return value


# The last call's entries and what they gave, per (scheme, version, label): a body merged from a delta keeps
# each unchanged entry (the same object) at its position, so a change finds the new entries by identity
# instead of looking every subject up in _PARSED.
_LAST: dict[tuple[str, int, str], tuple[list[Any], list[SubjectScore], dict[str, SubjectMeta]]] = {}
MAX_LAST = 8


def period_scores(scheme: Scheme, label: str, body: Mapping[str, Any]) -> tuple[PeriodScores, dict[str, SubjectMeta]]:
    """Build the engine's `PeriodScores` from `GET /v1/periods/{id}/scores`, and each subject's meta."""
    if len(_PARSED) > MAX_PARSED:
        _PARSED.clear()
    entries = list(body.get("subjects") or [])
    last_key = (scheme.id, scheme.version, label)
    found = _patched(scheme, label, entries, _LAST.get(last_key))
    if found is None:
        scored, meta = [], {}
        for entry in entries:
            known = _parsed(scheme, label, entry)
            scored.append(known[1])
            meta[str(entry["id"])] = known[2]
    else:
        scored, meta = found
    _LAST.pop(last_key, None)
    _LAST[last_key] = (entries, scored, meta)
    while len(_LAST) > MAX_LAST:
        _LAST.pop(next(iter(_LAST)))
    problems = [_problem(p) for p in body.get("problems") or [] if isinstance(p, Mapping)]
    return PeriodScores(scheme, label, list(scored), problems, str(body.get("inputs_sha256", ""))), dict(meta)


_Parsed = tuple[Mapping[str, Any], SubjectScore, SubjectMeta]


def _parsed(scheme: Scheme, label: str, entry: Mapping[str, Any]) -> _Parsed:
    key = (scheme.id, scheme.version, label, str(entry["id"]))
    known = _PARSED.get(key)
    if known is None or known[0] is not entry:
        known = (entry, _subject_score(scheme, entry),
                 SubjectMeta(str(entry.get("unit_path", "")), dict(entry.get("attributes") or {})))
        _PARSED[key] = known
    return known


def _patched(scheme: Scheme, label: str, entries: list[Any], last: tuple[list[Any], list[SubjectScore],
             dict[str, SubjectMeta]] | None) -> tuple[list[SubjectScore], dict[str, SubjectMeta]] | None:
    """The last call's scores and meta with the entries that are not the same objects parsed again; None
    when the subjects are not the last call's, position by position (then every entry is looked up)."""
    if last is None or len(last[0]) != len(entries):
        return None
    scored, meta = list(last[1]), dict(last[2])
    for at, (before, entry) in enumerate(zip(last[0], entries, strict=True)):
        if before is not entry:
            if str(before["id"]) != str(entry["id"]):
                return None
            known = _parsed(scheme, label, entry)
            scored[at] = known[1]
            meta[str(entry["id"])] = known[2]
    return scored, meta


def _subject_score(scheme: Scheme, entry: Mapping[str, Any]) -> SubjectScore:
    subject_id = str(entry["id"])
    subject = Subject(
        id=subject_id, group=str(entry.get("group", "")), name=entry.get("name") or None,
        attributes=dict(entry.get("attributes") or {}),
    )
    raw_scores = entry.get("scores") or {}
    scores = {str(code): exact(value, f"{subject_id}.scores.{code}") for code, value in raw_scores.items()}
    return SubjectScore(
        subject=subject,
        scores=scores,
        total=exact(entry.get("total"), f"{subject_id}.total"),
        explain={str(k): str(v) for k, v in (entry.get("explain") or {}).items()},
        vetoes=_veto_hits(scheme, entry.get("vetoes") or []),
        flags=list(entry.get("flags") or []),
    )


def _veto_hits(scheme: Scheme, raw: list[Any]) -> list[VetoHit]:
    """Scoring names each hit by its event type; the scheme says what the veto does."""
    hits = []
    for hit in raw:
        for veto in scheme.vetoes:
            if isinstance(hit, Mapping) and veto.event == hit.get("event"):
                hits.append(VetoHit(veto=veto, fact=str(hit.get("fact", ""))))
    return hits


def _problem(raw: Mapping[str, Any]) -> Problem:
    return Problem(
        message=str(raw.get("message", "")), pointer=raw.get("pointer"),
        fact=raw.get("fact"), subject=raw.get("subject"),
    )


def common_scope(unit_paths: list[str]) -> str:
    """The deepest unit covering every subject: the office that may publish the period."""
    if not unit_paths:
        return ""
    parts = [path.split("/") for path in unit_paths]
    shared: list[str] = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        shared.append(segments[0])
    return "/".join(shared)
