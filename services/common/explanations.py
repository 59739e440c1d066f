"""The engine's explanations of scores and the problems stored with a result, in the reader's language.

The engine writes each indicator's explanation (`explain`) as an English sentence ("ratio [f1]: 9/10 = 0.9 ≥
target 0.9, full 10") and keeps it so: it is stored with the score, copied into the ranking result and hashed
with them, whatever the language of the moment, and building a marked message per indicator and subject would
slow the engine down. Its sentences come from a closed set of shapes, so a reader's copy is rendered when it is
read: the sentence is recognised among `EXPLANATIONS` (services/common/templates.py, linear time), the parts
the engine appends to another explanation ("; missing: zero = 0", "; × (…) / … = …", "; veto …") are recognised
around the explanation they follow, and lists (rating rounds, formula notes, bonus terms) item by item. Values
(fact ids, indicator codes, numbers, the scheme's names, a formula) stay as written. An explanation no template
matches is shown as written, in English; `tests/common/test_explanations.py` drives every shape the engine builds
and fails on one without a template.

Problems are stored as the English sentence too (`Problem.message`, a marked message of the engine whose id the
stored JSON does not keep). They are recognised among the engine's own messages (those of the catalogue found in
`kaohe/engine`), so a problem read back from a result is shown in the reader's language as when it was found.

English is the stored form: reading in English gives the stored text byte for byte (a machine reader, such as
the ranking service reading scoring's scores, asks for `en`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator

from kaohe.i18n import CATALOGUE, DOMAIN, N_, SOURCE_LOCALE, Text, current_locale, localize
from services.common.templates import Templates, Verbatim

# The engine's explanations (kaohe/engine/scoring/*.py, scheme/evidence_rules.py, ranking/rollup.py), most
# particular first. Suffixes the engine appends to an explanation come first, the outermost first (a veto on the
# total; a transfer, appended after a leaf's missing policy; the missing policy, appended after the documents).
EXPLANATIONS: tuple[str, ...] = (
    # suffixes (score.py totals, _Transfer, _missing; evidence_rules.apply_documents)
    N_("%(explanation)s; veto %(veto)s (fact %(fact)s): total = 0"),
    N_("%(explanation)s; × (%(max)s + %(sibling)s %(sibling_max)s) / %(max_again)s = %(score)s"),
    N_("%(explanation)s; missing: error = 0"),
    N_("%(explanation)s; missing: zero = %(score)s"),
    N_("%(explanation)s; missing: full = %(score)s"),
    N_("%(explanation)s; documents %(have)s of %(count)s, missing %(owed)s: × %(have_again)s/%(count_again)s = "
       "%(score)s"),
    N_("%(explanation)s; documents %(have)s of %(count)s, missing %(owed)s: 0"),
    N_("%(explanation)s; documents %(have)s of %(count)s, missing %(owed)s"),
    N_("%(explanation)s; documents %(have)s of %(count)s"),
    N_("documents %(have)s of %(count)s, missing %(owed)s: × %(have_again)s/%(count_again)s = %(score)s"),
    N_("documents %(have)s of %(count)s, missing %(owed)s: 0"),
    N_("documents %(have)s of %(count)s, missing %(owed)s"),
    N_("documents %(have)s of %(count)s"),
    N_("%(explanation)s; justified, not deducted: [%(facts)s]"),  # a deduction's exempt events (rules_events.py)
    N_("%(explanation)s, held to max %(max)s"),  # a manual leaf's combined points clamped (rules.py)
    N_("%(explanation)s, held to 0"),
    N_("no facts"),
    N_("facts [%(facts)s] could not be read"),
    # manual (rules.py)
    N_("manual [%(facts)s]: no usable score"),
    N_("manual mean [%(facts)s]: (%(values)s) / %(count)s = %(score)s"),
    N_("manual min [%(facts)s]: min(%(values)s) = %(score)s"),
    N_("manual max [%(facts)s]: max(%(values)s) = %(score)s"),
    N_("manual latest [%(facts)s]: latest %(fact)s %(value)s = %(score)s"),
    N_("manual weighted [%(facts)s]: (%(terms)s) / %(weights)s = %(score)s"),
    # ratio, completion, banded (rules.py)
    N_("ratio [%(facts)s]: no usable measure"),
    N_("ratio [%(facts)s]: denominator is 0, full = %(score)s"),
    N_("ratio [%(facts)s]: denominator is 0, zero = %(score)s"),
    N_("ratio [%(facts)s]: no usable target = 0"),
    N_("ratio [%(facts)s]: %(measure)s = %(rate)s ≥ target %(target)s, full %(max)s"),
    N_("ratio [%(facts)s]: %(measure)s = %(rate)s < target %(target)s: below: zero = 0"),
    N_("ratio [%(facts)s]: %(measure)s = %(rate)s < target %(target)s: %(max)s × %(rate_again)s / %(target_again)s "
       "= %(score)s"),
    N_("completion [%(facts)s]: no usable value"),
    N_("completion [%(facts)s]: no usable target = 0"),
    N_("completion [%(facts)s]: value 0 (lower is better), full %(max)s + bonus %(bonus)s"),
    N_("completion [%(facts)s]: completion %(completion)s of target %(target)s: %(base)s + bonus %(bonus)s = "
       "%(score)s"),
    N_("banded [%(facts)s]: no usable measure"),
    N_("banded [%(facts)s]: no usable month"),
    N_("banded [%(facts)s]: denominator 0 = 0"),
    N_("banded [%(facts)s]: %(measure)s = %(rate)s → %(score)s"),
    N_("banded mean of months [%(facts)s]: %(months)s → %(score)s"),
    N_("banded sum of months [%(facts)s]: %(months)s → %(score)s"),
    # events, tasks, cases, journals, ratings (rules_events.py)
    N_("deduction [%(facts)s]: %(event)s %(count)s ≥ %(limit)s, no points = 0"),
    N_("deduction [%(facts)s]: %(base)s − %(terms)s (at most %(cap)s) = %(score)s"),
    N_("deduction [%(facts)s]: %(base)s − %(terms)s = %(score)s"),
    N_("accrual [%(facts)s]: %(terms)s = %(total)s, within [%(min)s, %(max)s] = %(score)s"),
    N_("per_occurrence: no tasks assigned = %(score)s"),
    N_("per_occurrence [%(facts)s]: %(max)s × %(completed)s / %(tasks)s = %(score)s"),
    N_("cases [%(facts)s]: no weighted case"),
    N_("cases [%(facts)s]: %(max)s × %(weighted)s / (100 × %(weights)s) = %(score)s"),
    N_("journal [%(facts)s]: every week excused = %(score)s"),
    N_("journal [%(facts)s]: %(max)s × mean %(mean)s of %(weeks)s weeks (%(excused)s excused) / %(scale)s = "
       "%(score)s"),
    N_("rating [%(facts)s]: %(count)s rating(s), fewer than needed"),
    N_("rating mean [%(facts)s]: %(rounds)s → %(score)s"),
    N_("rating mean_of_levels [%(facts)s]: %(rounds)s → %(score)s"),
    # cross-subject leaves (cross.py)
    N_("rank_points by %(of)s %(value)s: rank %(rank)s of %(total)s → %(score)s"),
    N_("peer_relative [%(facts)s]: %(value)s / peer mean %(mean)s = index %(index)s → %(score)s"),
    # inner nodes and not assigned (score.py)
    N_("sum: min(%(terms)s, cap %(cap)s)%(bonus)s = %(score)s"),
    N_("sum: %(terms)s = %(score)s"),
    N_("weighted: %(max)s × (%(terms)s) = %(score)s"),
    N_("mean: %(max)s × (%(terms)s) / %(count)s = %(score)s"),
    N_("formula %(formula)s with %(inputs)s = %(raw)s, within [0, %(max)s] = %(score)s (%(notes)s)"),
    N_("formula %(formula)s with %(inputs)s = %(raw)s, within [0, %(max)s] = %(score)s"),
    N_("not assigned (its parent is not assigned) = 0"),
    N_("not assigned: full = %(score)s"),
    N_("not assigned: mean of %(count)s assigned peers (all) = %(score)s"),
    N_("not assigned: mean of %(count)s assigned peers (group) = %(score)s"),
    N_("not assigned: points moved to %(indicator)s = 0"),
    N_("not assigned = 0"),
    # the total (score.py) and a roll-up's total (ranking/rollup.py)
    N_("total: %(terms)s = %(total)s"),
    N_("total %(formula)s with %(inputs)s = %(total)s (%(notes)s)"),
    N_("total %(formula)s with %(inputs)s = %(total)s"),
    N_("mean of %(count)s sub-period totals (%(parts)s) = %(total)s"),
    N_("sum of %(count)s sub-period totals (%(parts)s) = %(total)s"),
)
# Wordings the engine no longer writes, kept so that explanations stored before are still read in every language
# (docs/decisions.md, "Explanations show their counts and inputs"): after every current template.
EARLIER: tuple[str, ...] = (
    N_("ratio [%(facts)s]: %(max)s × %(rate)s / %(target)s = %(score)s"),
    # also a formula that reads no value at all (a constant)
    N_("formula %(formula)s = %(raw)s, within [0, %(max)s] = %(score)s (%(notes)s)"),
    N_("formula %(formula)s = %(raw)s, within [0, %(max)s] = %(score)s"),
    N_("total %(formula)s = %(total)s (%(notes)s)"),
    N_("total %(formula)s = %(total)s"),
)
# the notes of a formula (scheme/expression.py), each ending "; 0 used", joined by "; "
NOTES: tuple[str, ...] = (
    N_("attribute %(attribute)s is missing; 0 used"),
    N_("attribute %(attribute)s is not a number; 0 used"),
    N_("division by zero; 0 used"),
)
NOTE_END = "; 0 used"
ROUND = N_("round %(round)s %(value)s")  # one round of a rating, "round 1 85, round 2 90"
BONUS = N_("bonus %(indicator)s %(value)s")  # a bonus child of a sum, "a 5 + b 3 + bonus c 2"
LIST = N_("%(items)s, %(item)s")  # rounds, as kaohe lists names elsewhere (、 in Chinese)
NOTE_LIST = N_("%(items)s; %(item)s")
TERMS = N_("%(items)s + %(item)s")

SENTENCE = "explanation"  # the explanation a suffix follows, recognised in turn
MAX_NESTING = 40  # suffixes recognised one within another (a node with many transfers into it)
TEMPLATES = Templates((*EXPLANATIONS, *EARLIER), greedy={SENTENCE})
NOTE_TEMPLATES = Templates(NOTES)
ROUND_TEMPLATES = Templates([ROUND], greedy={"round"})
CACHED = 20_000  # explanations kept rendered per process (many subjects share one: "not assigned = 0")


_RATIO_SHORT = re.compile(r"(ratio \[[^\]]*\]: )\S+ = (\S+) < target (\S+): (.*)", re.S)
_WITH_INPUTS = re.compile(r"((?:formula|total) .*?) with [^=]*?( = .*)", re.S)
_BELOW_ZERO = "below: zero = 0"


def holds_in_earlier_wording(stored: str, computed: str) -> bool:
    """Whether `stored` says what `computed` says in a wording the engine wrote before (docs/decisions.md,
    "Explanations show their counts and inputs"): a ratio below its target without its counts ("ratio [f1]: 10 ×
    0.9 / 0.95 = 9.473684"), a formula or total without its inputs. So a period verified after the change still
    verifies: the numbers of the earlier sentence are the same, only the words around them grew."""
    ratio = _RATIO_SHORT.fullmatch(computed)
    if ratio is not None:
        head, rate, target, rest = ratio.groups()
        if rest.startswith(_BELOW_ZERO):  # written "max × rate / target = 0" before, whatever the max
            earlier = (re.escape(head) + r"\S+ × " + re.escape(f"{rate} / {target} = 0")
                       + re.escape(rest[len(_BELOW_ZERO):]))
            return re.fullmatch(earlier, stored, re.S) is not None
        return stored == head + rest
    inputs = _WITH_INPUTS.fullmatch(computed)
    return inputs is not None and stored == inputs.group(1) + inputs.group(2)


def explanation_text(text: str, unmatched: list[str] | None = None, nesting: int = 0) -> str:
    """`text` as a `Text` whose English value is `text` itself, when it is one of the engine's explanations;
    else `text` unchanged (and added to `unmatched`, when given: the completeness test)."""
    if not text or isinstance(text, Text):
        return text
    found = TEMPLATES.match(text) if nesting <= MAX_NESTING else None
    if found is None:
        if unmatched is not None:
            unmatched.append(text)
        return text
    template, values = found
    params: dict[str, object] = {}
    for name, value in values.items():
        if name == SENTENCE:
            params[name] = explanation_text(value, unmatched, nesting + 1)
        elif name == "notes":
            params[name] = _notes(value, unmatched)
        elif name == "rounds":
            params[name] = _rounds(value, unmatched)
        elif name in ("terms", "bonus") and template.startswith("sum:"):
            params[name] = _sum_terms(value)
        else:
            params[name] = value
    return Text(template, params, text)


def _notes(value: str, unmatched: list[str] | None) -> str:
    """"attribute x is missing; 0 used; division by zero; 0 used", each note recognised."""
    if not value.endswith(NOTE_END):
        return value
    notes: list[str] = []
    for piece in value[: -len(NOTE_END)].split(NOTE_END + "; "):
        found = NOTE_TEMPLATES.match(piece + NOTE_END)
        if found is None:
            if unmatched is not None:
                unmatched.append(piece + NOTE_END)
            notes.append(piece + NOTE_END)
        else:
            notes.append(Text(found[0], dict(found[1]), piece + NOTE_END))
    return _joined(NOTE_LIST, notes, "; ", value)


def _rounds(value: str, unmatched: list[str] | None) -> str:
    """"round 1 85, round 2 90", each round recognised."""
    rounds: list[str] = []
    for piece in value.split(", "):
        found = ROUND_TEMPLATES.match(piece)
        if found is None and unmatched is not None:
            unmatched.append(piece)
        rounds.append(piece if found is None else Text(found[0], dict(found[1]), piece))
    return _joined(LIST, rounds, ", ", value)


def _sum_terms(value: str) -> str:
    """"a 5 + b 3 + bonus c 2" (or " + bonus c 2" after a capped sum): the bonus terms recognised (an indicator
    code has no space, so "bonus c 2" is a bonus term and "bonus 2" the child coded bonus)."""
    terms: list[str] = []
    for piece in value.split(" + "):
        words = piece.split(" ")
        if len(words) == 3 and words[0] == "bonus":
            terms.append(Text(BONUS, {"indicator": words[1], "value": words[2]}, piece))
        else:
            terms.append(piece)
    return _joined(TERMS, terms, " + ", value)


def _joined(template: str, items: list[str], separator: str, english: str) -> str:
    if not any(isinstance(item, Text) for item in items):
        return english
    joined = items[0]
    for index, item in enumerate(items[1:], start=1):
        joined = Text(template, {"items": joined, "item": item}, separator.join(items[: index + 1]))
    return joined


@lru_cache(maxsize=CACHED)
def _rendered(text: str, locale: str) -> str:
    return localize(explanation_text(text), locale)


def render_explanation(text: Any, locale: str | None = None) -> Any:
    """An explanation in `locale` (default: the request's); English, and anything not a string, as it is."""
    chosen = locale or current_locale()
    if chosen == SOURCE_LOCALE or not isinstance(text, str) or not text:
        return text
    return _rendered(str(text), chosen)


def render_explanations(explain: Any, locale: str | None = None) -> Any:
    """A result's `explain` (indicator code → explanation) in `locale`."""
    chosen = locale or current_locale()
    if chosen == SOURCE_LOCALE or not isinstance(explain, Mapping):
        return explain
    return {code: render_explanation(text, chosen) for code, text in explain.items()}


# ---- problems ---------------------------------------------------------------------------------------------


@cache
def problem_templates() -> Templates:
    """The engine's problem messages (the catalogue's messages marked in kaohe/engine), those with the most
    literal text first, so that a particular sentence is tried before a general one."""
    from babel.messages.pofile import read_po

    with (CATALOGUE / f"{DOMAIN}.pot").open("rb") as handle:
        catalog = read_po(handle)
    found = [str(message.id) for message in catalog if message.id and isinstance(message.id, str)
             and any(path.startswith("kaohe/engine/") for path, _line in message.locations)
             and any(ch.isalpha() for ch in Templates.literal_text(str(message.id)))]  # not "%(a)s: %(b)s"
    return Templates(sorted(found, key=lambda msgid: -len(Templates.literal_text(msgid))))


def problem_text(message: str) -> str:
    """A stored problem's sentence as the engine's marked message (a `Text`, English value unchanged), or the
    sentence as it is when it is none of them."""
    if not message or isinstance(message, Text):
        return message
    found = problem_templates().match(message)
    if found is None:
        return message
    template, values = found
    return Text(template, {name: Verbatim(value) for name, value in values.items()}, message)


@lru_cache(maxsize=CACHED)
def _rendered_problem(message: str, locale: str) -> str:
    return localize(problem_text(message), locale)


def render_problem(problem: Any, locale: str | None = None) -> Any:
    """A stored problem (`{"message": …, "subject": …}`) with its message in `locale`; the rest unchanged."""
    chosen = locale or current_locale()
    if chosen == SOURCE_LOCALE or not isinstance(problem, Mapping) or not isinstance(problem.get("message"), str):
        return problem
    return {**problem, "message": _rendered_problem(problem["message"], chosen)}


# response fields rendered when the response is built, in the request's language
Explanation = Annotated[str, BeforeValidator(render_explanation)]
StoredProblem = Annotated[Any, BeforeValidator(render_problem)]
