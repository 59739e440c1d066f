"""Rendering a §11 result: byte-stable JSON for machines, a plain-text table for people (its headers and fixed
words in the language of the run, kaohe.i18n; the scheme's own words are data)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kaohe.i18n import N_, _, localize, parenthesized, separated, translate

HEADERS = (N_("Rank"), N_("Subject"), N_("Group"), N_("Total"), N_("Grade"), N_("Labels"), N_("Rewards"))
NO_GRADE = N_("no grade")  # a graded scheme's subject that did not get one: 不定等次 (003 writes 不确定等次)
# why a grade was given (a result's `grade_reason`)
GRADE_REASONS = {"quota": N_("quota limit"), "veto": N_("one-vote veto"), "condition": N_("condition not met")}


def dumps_result(result: Mapping[str, Any]) -> str:
    """The result as JSON: keys in the spec's order, UTF-8 text kept, same bytes for same inputs."""
    return json.dumps(result, ensure_ascii=False, indent=2) + "\n"


def format_table(result: Mapping[str, Any], *, by_group: bool | None = None) -> str:
    """A plain-text ranking table (no colour, no box drawing), for a terminal or a file.

    A blank line separates the ranking scopes: with `by_group` (the scheme ranks within groups) wherever the
    group changes, with `by_group=False` nowhere (one scope); unknown (None), wherever the rank starts again."""
    title = f"{result.get('scheme')} v{result.get('version')} · {result.get('period')}"
    subjects = result.get("subjects", [])
    graded = any(subject.get("band_grade") or subject.get("grade") for subject in subjects)
    rows = [_row(subject, graded) for subject in subjects]
    headers = tuple(translate(header) for header in HEADERS)
    lines = [title, "", *_aligned([headers, *rows], _scope_starts(subjects, by_group))]
    problems = result.get("problems") or []
    if problems:
        lines += ["", localize(_("problems (%(count)s):", count=len(problems)))]
        lines += [f"  {_problem_line(problem)}" for problem in problems]
    return "\n".join(lines) + "\n"


def format_explanations(result: Mapping[str, Any], render: Callable[[str], str] = str) -> str:
    """How each subject's scores came about: the subject, then one line per indicator (the total last) with the
    engine's explanation as `render` gives it (the CLI: in the run's language), then the problems as in the
    table. Subjects in the result's order."""
    title = f"{result.get('scheme')} v{result.get('version')} · {result.get('period')}"
    lines = [title]
    for subject in result.get("subjects", []):
        name = subject.get("name")
        lines += ["", f"{subject['id']} {name}" if name else str(subject["id"])]
        explain = subject.get("explain") or {}
        width = max((_width(str(code)) for code in explain), default=0)
        lines += [f"  {code}{' ' * (width - _width(str(code)))}  {render(text)}" for code, text in explain.items()]
    problems = result.get("problems") or []
    if problems:
        lines += ["", localize(_("problems (%(count)s):", count=len(problems)))]
        lines += [f"  {_problem_line(problem)}" for problem in problems]
    return "\n".join(lines) + "\n"


def _scope_starts(subjects: Sequence[Mapping[str, Any]], by_group: bool | None) -> set[int]:
    """Row numbers where a new ranking scope begins, for a blank line. Subjects come scope by scope, so
    within groups a scope begins where the group changes (a rank alone cannot tell: a group whose leaders
    tie at 1 may be followed by another group's 1)."""
    if by_group is False:
        return set()
    starts = set()
    for index in range(1, len(subjects)):
        if by_group:
            new_scope = subjects[index].get("group") != subjects[index - 1].get("group")
        else:
            rank, previous = subjects[index].get("rank"), subjects[index - 1].get("rank")
            new_scope = rank is not None and previous is not None and rank < previous
        if new_scope:
            starts.add(index + 1)  # +1: the header is row 0
    return starts


def _row(subject: Mapping[str, Any], graded: bool) -> tuple[str, ...]:
    name = subject.get("name")
    rewards = subject.get("rewards") or {}
    return (
        "—" if subject.get("rank") is None else str(subject["rank"]),
        f"{subject['id']} {name}" if name else str(subject["id"]),
        str(subject.get("group", "")),
        str(subject.get("total", "")),
        _grade(subject) if graded else "—",
        "、".join(subject.get("labels") or []) or "—",
        separated(f"{key} {value}" for key, value in rewards.items()) or "—",
    )


def _grade(subject: Mapping[str, Any]) -> str:
    grade = subject.get("grade")
    if grade is None:
        return translate(NO_GRADE)
    reason = subject.get("grade_reason")
    if not reason:
        return str(grade)
    return str(grade) + parenthesized(translate(GRADE_REASONS[reason]) if reason in GRADE_REASONS else reason)


def _problem_line(problem: Mapping[str, Any]) -> str:
    """`WHERE: sentence`, a sentence the engine marked (kaohe.i18n) in the run's language; one read back from a
    stored result is English text and stays so."""
    where = problem.get("pointer") or problem.get("fact") or problem.get("subject") or ""
    message = localize(problem.get("message"))
    return f"{where}: {message}" if where else message


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _aligned(rows: Sequence[Sequence[str]], breaks: set[int]) -> list[str]:
    widths = [max(_width(row[col]) for row in rows) for col in range(len(rows[0]))]
    numeric = {0, 3}  # rank and total read best right-aligned
    lines = []
    for number, row in enumerate(rows):
        if number in breaks:
            lines.append("")
        cells = [
            " " * (widths[col] - _width(cell)) + cell
            if col in numeric
            else cell + " " * (widths[col] - _width(cell))
            for col, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines
