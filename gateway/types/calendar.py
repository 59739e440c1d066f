"""A year's holiday arrangement (owned by scoring; evidence and ranking count working days with it)."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.types import text


@strawberry.type(description="A year's State Council arrangement of public holidays and make-up working days (调休).")
class HolidayCalendar:
    year: int = strawberry.field(description="The calendar year, e.g. 2027.")
    origin: str = strawberry.field(description="loaded (by an office), package (the built-in calendar), or none: "
                                               "then Monday to Friday are the working days")
    holidays: list[str] = strawberry.field(description="The days off (放假), ISO dates, in order.")
    workdays: list[str] = strawberry.field(description="Saturdays and Sundays worked instead (调休).")
    source: str = strawberry.field(description="Where the arrangement comes from: the notice an office named when "
                                               "it loaded the year, or the built-in package.")
    loaded_by: str | None = strawberry.field(description="Who loaded it (the caller's subject); null when not loaded.")
    loaded_at: str | None = strawberry.field(description="When it was loaded (ISO 8601); null when not loaded.")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> HolidayCalendar:
        return cls(year=int(row.get("year", 0)), origin=str(row.get("origin", "")),
                   holidays=[str(d) for d in row.get("holidays") or []],
                   workdays=[str(d) for d in row.get("workdays") or []], source=str(row.get("source", "")),
                   loaded_by=text(row, "loaded_by"), loaded_at=text(row, "loaded_at"))
