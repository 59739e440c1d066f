"""From scoring's JSON (strings, full precision) to the engine's plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kaohe.engine import parse_scheme
from kaohe.engine.scheme.model import PeriodScores, Problem, Scheme, Subject, SubjectScore, VetoHit
from kaohe.i18n import _
from services.common.bounded import Lru
from services.common.errors import ServiceUnavailable


@dataclass(frozen=True)
class SubjectMeta:
    """What ranking keeps about a subject besides its result: where it sits and its attributes."""

    unit_path: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


def exact(raw: Any, where: str) -> Decimal:
    """A decimal string (or integer) read exactly; anything else is refused."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ServiceUnavailable(_("scoring sent %(where)s as %(raw)s, not a decimal string",
                                   where=where, raw=type(raw).__name__))
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ServiceUnavailable(_("scoring sent %(where)s = %(raw)r, not a decimal", where=where, raw=raw)) from None
    if not value.is_finite():
        raise ServiceUnavailable(_("scoring sent %(where)s = %(raw)r, not a finite decimal", where=where, raw=raw))
    return value


@dataclass(frozen=True)
class ParsedSubject:
    """One subject of a scores body as the engine takes it, with the entry it was parsed from."""

    entry: Mapping[str, Any]
    score: SubjectScore
    meta: SubjectMeta


MAX_SCHEMES = 64
MAX_SUBJECTS = 100_000


class ParsedInputs:
    """Scoring's JSON parsed once: the schemes by (id, version), which are never stale (a published
    version is immutable), and each subject by (scheme, version, period label, subject id), valid while
    the body's entry for it equals the one it was parsed from (a changed entry replaces its parse).
    Both bounded, least recently used out first."""

    def __init__(self, schemes: int = MAX_SCHEMES, subjects: int = MAX_SUBJECTS) -> None:
        self._schemes: Lru[tuple[str, int], Scheme] = Lru(schemes)
        self._subjects: Lru[tuple[str, int, str, str], ParsedSubject] = Lru(subjects)

    def scheme(self, scheme_id: str, version: int) -> Scheme | None:
        return self._schemes.get((scheme_id, version))

    def remember_scheme(self, document: Mapping[str, Any]) -> Scheme:
        """Parse a published scheme document once (a broken one is scoring's fault: 503)."""
        try:
            scheme = parse_scheme(document)
        except Exception as exc:
            raise ServiceUnavailable(_("scoring served a scheme the engine rejects: %(exc)s", exc=exc)) from None
        self._schemes.put((scheme.id, scheme.version), scheme)
        return scheme

    def period_scores(self, scheme: Scheme, label: str,
                      body: Mapping[str, Any]) -> tuple[PeriodScores, dict[str, SubjectMeta]]:
        """The engine's `PeriodScores` from `GET /v1/periods/{id}/scores`, and each subject's meta."""
        scored, meta = [], {}
        for entry in body.get("subjects") or []:
            parsed = self.subject(scheme, label, entry)
            scored.append(parsed.score)
            meta[str(entry["id"])] = parsed.meta
        problems = [_problem(p) for p in body.get("problems") or [] if isinstance(p, Mapping)]
        return PeriodScores(scheme, label, scored, problems, str(body.get("inputs_sha256", ""))), meta

    def subject(self, scheme: Scheme, label: str, entry: Mapping[str, Any]) -> ParsedSubject:
        """One entry parsed, or its parse when an equal entry was parsed for the same subject before."""
        key = (scheme.id, scheme.version, label, str(entry["id"]))
        known = self._subjects.get(key)
        if known is None or not (known.entry is entry or known.entry == entry):
            meta = SubjectMeta(str(entry.get("unit_path", "")), dict(entry.get("attributes") or {}))
            known = ParsedSubject(entry, _subject_score(scheme, entry), meta)
            self._subjects.put(key, known)
        return known

    def __len__(self) -> int:
        """How many subjects' parses are kept."""
        return len(self._subjects)

    def clear(self) -> None:
        self._schemes.clear()
        self._subjects.clear()


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
