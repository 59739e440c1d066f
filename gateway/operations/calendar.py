"""The holiday calendar (scoring): read a year's arrangement, load one (a global admin; audited by scoring)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway import access
from gateway.context import Context
from gateway.types.calendar import HolidayCalendar

Ctx = Info[Context, None]
MAX_DATES = 200


@strawberry.type
class CalendarQuery:
    @strawberry.field(description="A year's holiday arrangement and where it comes from (loaded, package, none).")
    async def holiday_calendar(self, info: Ctx, year: int) -> HolidayCalendar:
        ctx = info.context
        access.require_role(ctx.user, "holidayCalendar")
        return HolidayCalendar.from_json(await ctx.clients.scoring.request("GET", f"/v1/calendar/{int(year)}",
                                                                           ctx.user))


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(description=(
        "Load (or replace) a year's arrangement as the State Council published it: the days off and the weekend "
        "days worked instead (调休), ISO dates; `source` names the notice. An admin of the whole organisation; "
        "audited. Evidence's review deadlines and ranking's 公示 window count with it from then on."))
    async def load_holiday_calendar(self, info: Ctx, year: int, holidays: list[str], source: str,
                                    workdays: list[str] | None = None) -> HolidayCalendar:
        ctx = info.context
        access.require(ctx.user, "loadHolidayCalendar")
        body = {"holidays": holidays[:MAX_DATES + 1], "workdays": (workdays or [])[:MAX_DATES + 1], "source": source}
        return HolidayCalendar.from_json(await ctx.clients.scoring.request("PUT", f"/v1/calendar/{int(year)}",
                                                                           ctx.user, json=body))
