"""The patterns kaohe's payloads are checked against, each with the sentence a refusal gives instead of the regex."""

from __future__ import annotations

import re

from kaohe.i18n import N_

UNIT_SLUG = r"[a-z0-9][a-z0-9_-]{0,63}"  # one segment of a unit path (a unit's `slug`)
PERIOD_LABEL = r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]|W(0[1-9]|[1-4]\d|5[0-3])))?$"
ISO_WEEK = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"

# A refused value's reason by the pattern it missed (pydantic's "String should match pattern '<regex>'" otherwise).
PATTERN_REASONS: dict[str, str] = {
    PERIOD_LABEL: N_(
        "Should be a year (2026), a month (2026-03), a quarter (2026-Q1), a half-year (2026-H1) "
        "or an ISO week (2026-W05)"
    ),
    ISO_WEEK: N_("Should be an ISO week: the year, -W and the week number 01 to 53 (2026-W05)"),
    MONTH: N_("Should be a month: the year and the month 01 to 12 (2026-03)"),
    f"^{UNIT_SLUG}$": N_("Should be 1 to 64 lowercase letters, digits, '-' or '_', beginning with a letter or digit"),
}

_LABEL_KINDS = (("week", r"\d{4}-W\d{2}"), ("quarter", r"\d{4}-Q\d"), ("half", r"\d{4}-H\d"), ("month", r"\d{4}-\d{2}"),
                ("year", r"\d{4}"))
# The label of each period kind (scheme-reference §1, §2 `period`), as a refusal shows it.
LABEL_FORMS: dict[str, str] = {"month": "2026-03", "quarter": "2026-Q1", "half": "2026-H1", "year": "2026",
                               "week": "2026-W05"}


def label_kind(label: str) -> str | None:
    """The period kind (`month`, `quarter`, `half`, `year`, `week`) a label of PERIOD_LABEL names; None for another."""
    if re.fullmatch(PERIOD_LABEL.strip("^$"), label) is None:
        return None
    return next(kind for kind, shape in _LABEL_KINDS if re.fullmatch(shape, label))
