"""Running the engine on a stored period and turning its output into score versions (no SQL here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from kaohe.engine import score_period
from kaohe.engine.scheme.model import PeriodScores, Scheme
from services.scoring.periods.models import Period, PeriodSubject

TOTAL = "total"


def facts_document(period: Period, subjects: Sequence[PeriodSubject], facts: list[dict[str, Any]]) -> dict[str, Any]:
    """The engine's facts document (scheme-format.md §4) for a stored period."""
    return {
        "scheme": period.scheme_id,
        "version": period.scheme_version,
        "period": period.label,
        "subjects": [{"id": s.subject_id, "name": s.name, "group": s.group, "attributes": s.attributes}
                     for s in subjects],
        "facts": facts,
    }


def run(scheme: Scheme, document: Mapping[str, Any]) -> PeriodScores:
    return score_period(scheme, document)


def _leaves_below(scheme: Scheme) -> dict[str, list[str]]:
    """node code → the leaf codes under it (itself for a leaf)."""
    out: dict[str, list[str]] = {}

    def walk(node: Any) -> list[str]:
        leaves = [node.code] if node.is_leaf else [c for child in node.children for c in walk(child)]
        out[node.code] = leaves
        return leaves

    for top in scheme.indicators:
        walk(top)
    return out


@dataclass
class Computed:
    """One (subject, indicator) value as the engine computed it."""

    subject_id: str
    indicator: str
    value: Decimal
    fact_ids: list[str]
    explain: str


def computed_values(scheme: Scheme, result: PeriodScores, facts: list[dict[str, Any]],
                    only: Collection[str] | None = None, *, in_id_order: bool = False) -> list[Computed]:
    """Every node and the total of every subject (or of the subjects `only`, given at least their
    facts), with the ids of the facts each read (sorted)."""
    return list(each_computed(scheme, result, facts, only, in_id_order=in_id_order))


def each_computed(scheme: Scheme, result: PeriodScores, facts: list[dict[str, Any]],
                  only: Collection[str] | None = None, *, in_id_order: bool = False) -> Iterator[Computed]:
    """computed_values one value at a time, in the same order. `in_id_order`: the facts are already
    sorted by id as text (a period state's live facts), so they are not sorted again."""
    by_leaf: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_subject: dict[str, list[str]] = defaultdict(list)
    ordered = facts if in_id_order else sorted(facts, key=lambda fact: str(fact.get("id")))
    for f in ordered:  # in id order: every id list stays sorted
        sid, fid = str(f.get("subject")), str(f.get("id"))
        by_subject[sid].append(fid)
        if f.get("indicator") is not None:
            by_leaf[(sid, str(f["indicator"]))].append(fid)
    leaves = _leaves_below(scheme)
    for s in result.subjects:
        sid = s.subject.id
        if only is not None and sid not in only:
            continue
        for code, value in s.scores.items():
            below = leaves.get(code, [code])
            ids = by_leaf.get((sid, below[0]), []) if len(below) == 1 else sorted(
                fid for leaf in below for fid in by_leaf.get((sid, leaf), []))
            yield Computed(sid, code, value, list(ids), s.explain.get(code, ""))
        yield Computed(sid, TOTAL, s.total, by_subject.get(sid, []), s.explain.get(TOTAL, ""))


def result_meta(result: PeriodScores, only: Collection[str] | None = None) -> dict[str, Any]:
    """What ranking needs besides the values: vetoes, flags and problems (JSON-ready); with `only`,
    the subjects part holds just those subjects. A subject without vetoes or flags is left out (the
    readers take its absence as none), so the period row does not carry an entry per subject."""
    return {
        "subjects": {
            s.subject.id: {"vetoes": [{"event": h.veto.event, "fact": h.fact} for h in s.vetoes], "flags": s.flags}
            for s in result.subjects if (s.vetoes or s.flags) and (only is None or s.subject.id in only)
        },
        "problems": [p.to_json() for p in result.problems],
    }


class Newest(NamedTuple):
    """The newest stored version of one (subject, indicator): its value as exact text and its explanation."""

    value: str
    explain: str


def changed(computed: list[Computed], latest: Mapping[tuple[str, str], Newest]) -> list[Computed]:
    """Values that differ from the newest stored version (numerically), or whose explanation does, become new
    versions: a score whose reason changed (another subject's facts moved its rank, a fact behind it was
    replaced by one of the same value) is shown and kept with the reason that holds now."""
    return list(changed_each(computed, latest, []))


def changed_each(computed: Iterable[Computed], latest: Mapping[tuple[str, str], Newest],
                 fresh: list[Computed]) -> Iterator[Computed]:
    """`changed` one value at a time; each value yielded is also appended to `fresh`."""
    for c in computed:
        if not _same(latest.get((c.subject_id, c.indicator)), c):
            fresh.append(c)
            yield c


def _same(stored: Newest | None, computed: Computed) -> bool:
    if stored is None or stored.explain != computed.explain:
        return False
    return same_value(stored, computed)


def same_value(stored: Newest, computed: Computed) -> bool:
    """The stored value is the computed one (its explanation aside)."""
    # the text NUMERIC gives back is usually the very text we stored; else compare as numbers
    return stored.value == as_text(computed.value) or Decimal(stored.value) == computed.value


def as_text(value: Decimal) -> str:
    """Full precision as a plain decimal string (no exponent)."""
    return format(value, "f")
