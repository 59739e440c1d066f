"""The fields each fact kind carries (scheme-format.md §4), validated before anything is stored."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from kaohe.engine.scheme.evidence_rules import period_span
from kaohe.engine.scoring.rules import numerator_above_denominator
from kaohe.i18n import Text, _, listed
from services.common.errors import InvalidInput
from services.common.i18n import pydantic_reason
from services.common.patterns import ISO_WEEK, MONTH
from services.evidence.scoring_client import PeriodInfo

FactKind = Literal["score", "measure", "event", "rating", "task", "case", "journal", "document"]
Name = Field(min_length=1, max_length=100)
# numbers as text: ASCII digits, an optional sign and decimal point (Decimal() alone takes "1_000", "５", "٣")
_ASCII_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def _ascii_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(_("must be a number, not true or false"))
    if isinstance(value, str) and not _ASCII_NUMBER.fullmatch(value):
        raise ValueError(_("must be a number written with the digits 0-9, e.g. 12 or 12.5"))
    return value


def _whole(value: Decimal) -> Decimal:
    if value != value.to_integral_value():
        raise ValueError(_("must be a whole number (a count)"))
    return value


Num = Annotated[Decimal, BeforeValidator(_ascii_number)]
Int = Annotated[int, BeforeValidator(_ascii_number)]
# numerator and denominator count things (issue 21, item 13): whole and never negative
Count = Annotated[Decimal, BeforeValidator(_ascii_number), AfterValidator(_whole)]


class _Content(BaseModel):
    """Every kind may carry a `note`: a remark kept with the fact (the example files use it on events)."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class ScoreContent(_Content):
    points: Num = Field(max_digits=12, decimal_places=4)
    assessor: str | None = Field(default=None, max_length=100)


class MeasureContent(_Content):
    value: Num | None = Field(default=None, max_digits=20, decimal_places=6)
    numerator: Count | None = Field(default=None, ge=0, max_digits=15)  # below 10^15 (kaohe.engine.bounds)
    denominator: Count | None = Field(default=None, ge=0, max_digits=15)
    month: str | None = Field(default=None, pattern=MONTH)

    @field_validator("denominator")
    @classmethod
    def _positive(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        # 0/0 is "nothing to count" (no birth to report this month): the scheme's zero_denominator decides
        if value == 0 and info.data.get("numerator") != 0:
            raise ValueError(_("must be positive (0 only with a numerator of 0: nothing to count)"))
        return value

    @model_validator(mode="after")
    def _one_form(self) -> MeasureContent:
        ratio = self.numerator is not None and self.denominator is not None
        if (self.value is None) == (not ratio) or (self.value is not None and self.numerator is not None):
            raise ValueError(_("give either value, or numerator and denominator"))
        return self


class EventContent(_Content):
    type: str = Name
    count: Int = Field(default=1, ge=1, le=100_000)
    date: dt.date | None = None
    key: str | None = Field(default=None, max_length=100)
    level: str | None = Field(default=None, max_length=100)
    points: Num | None = Field(default=None, max_digits=12, decimal_places=4)
    participants: list[str] | None = Field(default=None, max_length=200)
    collective: bool | None = None
    justified: bool | None = None


class RatingContent(_Content):
    rater: str = Name
    level: str | None = Field(default=None, min_length=1, max_length=100)  # a scheme without rater levels
    grade: str | None = Field(default=None, max_length=50)
    points: Num | None = Field(default=None, max_digits=12, decimal_places=4)
    # which vote of several: a number (1, 2) or its name ("年中", "年底"); rounds are averaged
    round: Annotated[int, Field(ge=1, le=100)] | Annotated[str, Field(min_length=1, max_length=50)] | None = None


class TaskContent(_Content):
    task_id: str = Name
    completed: bool


class CaseContent(_Content):
    case_id: str = Name
    # scheme-reference §4 cases: a case is rated on 0–100 with a weight not below 0
    points: Num = Field(ge=0, le=100, max_digits=12, decimal_places=4)
    weight: Num | None = Field(default=None, ge=0, max_digits=12, decimal_places=4)


class DocumentContent(_Content):
    """A required document of a task (001 篇5 "落实与分工"), its file attached to the submission."""

    document: str = Field(min_length=1, max_length=200)
    supplier: str | None = Field(default=None, max_length=100)


class JournalContent(_Content):
    week: str = Field(pattern=ISO_WEEK)
    points: Num | None = Field(default=None, ge=0, max_digits=12, decimal_places=4)
    # `accepted` is the fact's word for a journal written in time (the example files use it): as `submitted`
    status: Literal["submitted", "accepted", "missing", "excused", "late"] = "submitted"


MODELS: dict[str, type[_Content]] = {
    "score": ScoreContent, "measure": MeasureContent, "event": EventContent, "rating": RatingContent,
    "task": TaskContent, "case": CaseContent, "journal": JournalContent, "document": DocumentContent,
}
CONTENT: dict[str, TypeAdapter[Any]] = {kind: TypeAdapter(model) for kind, model in MODELS.items()}


ZERO = Decimal(0)
_MONTH_SHAPE = re.compile(r"(\d{4})-(\d{2})")


def _months(first: dt.date, last: dt.date) -> tuple[str, str]:
    return f"{first.year:04d}-{first.month:02d}", f"{last.year:04d}-{last.month:02d}"


def month_refusal(month: Any, period_label: str | None) -> Text | None:
    """Why `month` (YYYY-MM) is not a month of the period labelled `period_label`, naming the months it has; None
    when it is one, or when the label is not a period identifier of scheme-reference §1 (its days are unknown)."""
    span = period_span(period_label) if period_label else None
    match = _MONTH_SHAPE.fullmatch(month) if isinstance(month, str) else None
    if span is None or match is None:
        return None
    first, last = _months(*span)
    if 1 <= int(match.group(2)) <= 12 and first <= month <= last:
        return None
    return _("%(month)s is not a month of period %(period)s: give a month from %(first)s to %(last)s",
             month=month, period=period_label, first=first, last=last)


def _date_refusal(day: dt.date, period_label: str | None) -> Text | None:
    span = period_span(period_label) if period_label else None
    if span is None or span[0] <= day <= span[1]:
        return None
    return _("%(date)s is not a day of period %(period)s: give a date from %(first)s to %(last)s",
             date=day.isoformat(), period=period_label, first=span[0].isoformat(), last=span[1].isoformat())


def _refuse(field: str, reason: Text) -> InvalidInput:
    return InvalidInput(_("%(field)s: %(reason)s", field=field, reason=reason),
                        details=[{"field": field, "reason": reason}])


def check_share(measure: dict[str, Any], *, field: str = "content") -> None:
    """A validated measure of a ratio whose target is at most 100 %: its numerator counts a part of its denominator
    (18 of 20 cases due), so 21 of 20 is refused (docs/decisions.md, "Ratio counts"). `field`: the name of the JSON
    value in the request (`content`, an appeal answer's `correction`), which a refusal's field starts with."""
    if measure.get("numerator") is None:
        return
    numerator, denominator = Decimal(measure["numerator"]), Decimal(measure["denominator"])
    if numerator > denominator:
        raise _refuse(f"{field}.numerator", numerator_above_denominator(numerator, denominator))


def validate_content(kind: str, content: dict[str, Any], period_label: str | None = None, *,
                     field: str = "content") -> dict[str, Any]:
    """The content as JSON (decimals as strings, absent fields dropped), else 422 naming the field, under `field`
    (the JSON value's name in the request: `content`, or an appeal answer's `correction`). With the period's label,
    a measure's `month` and an event's `date` must lie in the period (a month such as 2026-13 is refused naming the
    period's months too)."""
    if kind == "measure" and (refused := month_refusal(content.get("month"), period_label)) is not None:
        raise _refuse(f"{field}.month", refused)
    try:
        model = CONTENT[kind].validate_python(content)
    except ValidationError as exc:
        details = [{"field": ".".join([field, *map(str, e["loc"])]), "reason": pydantic_reason(e)}
                   for e in exc.errors()]
        raise InvalidInput(_("%(field)s: %(reason)s", field=details[0]['field'], reason=details[0]['reason']),
                           details=details) from None
    if isinstance(model, EventContent) and model.date is not None \
            and (refused := _date_refusal(model.date, period_label)) is not None:
        raise _refuse(f"{field}.date", refused)
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return dumped


def checked_content(period: PeriodInfo, indicator: str | None, kind: str, content: dict[str, Any], *,
                    field: str = "content") -> dict[str, Any]:
    """The content (its fields checked by `validate_content`) once it fits what the period's scheme makes of it: the
    one check of every way a fact enters (a submission, its correction, a bulk upload, a reviewer's adjustment, an
    upheld appeal's correction), so that nothing the engine would cap or leave out is taken (docs/decisions.md,
    "Facts held to the scheme, period labels"). `field` names the payload's part in a refusal (`content.points`,
    `value.points`, `correction.points`)."""
    checked = validate_content(kind, content, period.label, field=field)
    if kind == "measure" and indicator in period.share_ratios:
        check_share(checked, field=field)
    elif kind == "score" and indicator in period.maxima:
        _check_points(checked, indicator, period.maxima[indicator], field)
    elif kind == "event":
        _check_event(period, indicator, checked, field)
    return checked


def _check_points(score: dict[str, Any], indicator: str, top: Decimal, field: str) -> None:
    """A score is points of its leaf, 0 to its max: the engine would hold 500 to a max of 60 without a word."""
    points = Decimal(score["points"])
    if not ZERO <= points <= top:
        raise _refuse(f"{field}.points", _("%(points)s is outside the points of indicator %(indicator)s: give 0 to "
                                           "%(max)s", points=score["points"], indicator=indicator,
                                           max=format(top.normalize(), "f")))


def require_vetoes(period: PeriodInfo, indicator: str | None, kind: str) -> None:
    """422 on `indicator` for an event without one in a scheme without vetoes (§4: such an event is a veto's): for
    one submission, and for a whole file of them at once."""
    if kind == "event" and indicator is None and period.veto_events == frozenset():
        raise InvalidInput(_("indicator is required: the scheme has no vetoes, so every event counts on an "
                             "indicator"), details={"field": "indicator", "reason": "no vetoes"})


def _check_event(period: PeriodInfo, indicator: str | None, event: dict[str, Any], field: str) -> None:
    """An event counts on its leaf: a deduction's type is one of its `per_event`, an accrual's event gets points (its
    own, its level's or its type's); an event without an indicator is one of the scheme's vetoes (§5)."""
    kind = event["type"]
    if indicator is None:
        require_vetoes(period, indicator, "event")
        vetoes = period.veto_events
        if vetoes is None or kind in vetoes:
            return
        raise _refuse(f"{field}.type", _("event type %(type)r is not an event of the scheme's vetoes (%(known)s); an "
                                         "event without indicator must be one", type=kind,
                                         known=listed(sorted(vetoes))))
    rule, types = period.rule_kinds.get(indicator), period.event_types.get(indicator, ())
    if rule == "deduction":
        if kind not in types:
            raise _refuse(f"{field}.type", _("event type %(type)r is not one that indicator %(indicator)s deducts for "
                                             "(its types: %(known)s)", type=kind, indicator=indicator,
                                             known=listed(types) or _("none")))
        if "points" in event:
            raise _refuse(f"{field}.points", _("a deduction takes its points from its rule (per_event); leave points "
                                               "out"))
    elif rule == "accrual" and "points" not in event and event.get("level") not in period.event_levels.get(
            indicator, ()) and kind not in types:
        levels = period.event_levels.get(indicator, ())
        if "level" in event:
            raise _refuse(f"{field}.level", _("level %(level)r gives no points on indicator %(indicator)s (its levels: "
                                              "%(known)s)", level=event["level"], indicator=indicator,
                                              known=listed(levels) or _("none")))
        raise _refuse(f"{field}.type", _("event type %(type)r gives no points on indicator %(indicator)s (its types: "
                                         "%(known)s); give one of them, a level or the event's own points",
                                         type=kind, indicator=indicator, known=listed(types) or _("none")))
