"""`/v1/calendar`: the holiday arrangements, loaded by a global admin, read by anyone signed in and by the
services (evidence and ranking count deadlines with them)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from kaohe.i18n import _
from services.common import audit, clock
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import Forbidden, InvalidInput
from services.common.localtime import instant_json
from services.common.settings import get_settings
from services.common.workcalendar import (
    PACKAGE_YEARS,
    STORE,
    Arrangement,
    Calendar,
    local_today,
    package_arrangement,
)
from services.scoring.calendar.models import HolidayArrangement

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])
Year = Annotated[int, Path(ge=2000, le=2100)]


class ArrangementIn(BaseModel):
    """A year's arrangement as the State Council publishes it (国务院办公厅关于…部分节假日安排的通知)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "holidays": ["2027-01-01", "2027-02-06", "2027-02-07"], "workdays": ["2027-02-14"],
        "source": "国办发明电〔2026〕X号"}]})

    holidays: list[date] = Field(max_length=200, description="every day off that would otherwise be worked or "
                                                             "is part of a holiday (weekends inside one may be listed)")
    workdays: list[date] = Field(default_factory=list, max_length=50,
                                 description="the Saturdays and Sundays worked instead (调休)")
    source: str = Field(min_length=1, max_length=500, description="the notice the dates come from")

    @model_validator(mode="after")
    def _consistent(self) -> ArrangementIn:
        if set(self.holidays) & set(self.workdays):
            both = sorted(set(self.holidays) & set(self.workdays))[0]
            raise ValueError(_("%(day)s is listed both as a holiday and as a working day", day=both))
        weekday = next((d for d in self.workdays if d.weekday() < 5), None)
        if weekday is not None:
            raise ValueError(_("%(day)s is a weekday: make-up working days (调休) are Saturdays or Sundays",
                               day=weekday))
        return self


class ArrangementRead(BaseModel):
    year: int
    origin: str = Field(description="loaded (by an office), package (chinese-calendar), or none (Monday to Friday)")
    holidays: list[date]
    workdays: list[date]
    source: str
    loaded_by: str | None = None
    loaded_at: str | None = None


def _read(year: int, row: HolidayArrangement | None) -> ArrangementRead:
    if row is not None:
        return ArrangementRead(year=year, origin="loaded", holidays=[date.fromisoformat(d) for d in row.holidays],
                               workdays=[date.fromisoformat(d) for d in row.workdays], source=row.source,
                               loaded_by=row.loaded_by, loaded_at=instant_json(row.loaded_at))
    found = package_arrangement(year)
    if found is None:
        return ArrangementRead(year=year, origin="none", holidays=[], workdays=[],
                               source="none: Monday to Friday are working days")
    return ArrangementRead(year=year, origin="package", holidays=sorted(found.holidays),
                           workdays=sorted(found.workdays), source=found.source)


def _row_json(row: HolidayArrangement) -> dict[str, Any]:
    return {"year": row.year, "holidays": row.holidays, "workdays": row.workdays, "source": row.source}


async def install_from(session: Any) -> Calendar:
    """Scoring's own copy of the calendar, from its table (for its metric)."""
    rows = list(await session.scalars(select(HolidayArrangement)))
    STORE.install(Arrangement.from_json(_row_json(r)) for r in rows)
    return STORE.calendar


@router.get("", summary="The loaded holiday arrangements and the years the built-in calendar covers")
async def list_arrangements(session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """The years whose holiday arrangement an office loaded, the years the built-in calendar (the
    chinese-calendar package) covers, the fallback (Monday to Friday) and a warning when the coming year has
    no arrangement yet. Any signed-in caller and the services.
    """
    rows = list(await session.scalars(select(HolidayArrangement).order_by(HolidayArrangement.year)))
    calendar = await install_from(session)
    return {"loaded": [_row_json(r) for r in rows], "package_years": [PACKAGE_YEARS.start, PACKAGE_YEARS.stop - 1],
            "fallback": "Monday to Friday",
            "warning": calendar.warning(local_today(clock.now(), get_settings().timezone))}


@router.get("/{year}", response_model=ArrangementRead, summary="One year's arrangement and where it comes from")
async def get_arrangement(year: Year, session: SessionDep, principal: CurrentPrincipal) -> ArrangementRead:
    """A year's arrangement (2000–2100): the days off, the weekend days worked instead (调休), where it comes from
    (`loaded` by an office, the `package`, or `none`: Monday to Friday) and who loaded it when.
    """
    return _read(year, await session.get(HolidayArrangement, year))


@router.put("/{year}", response_model=ArrangementRead,
            summary="Load (or replace) a year's arrangement: a global admin; audited")
async def load_arrangement(year: Year, payload: ArrangementIn, session: SessionDep,
                           principal: CurrentPrincipal) -> ArrangementRead:
    """Load (or replace) a year's arrangement as the State Council published it: the days off and the weekend
    days worked instead, ISO dates within the year (422 otherwise, and for a weekday listed as worked
    instead), with the notice it comes from. An admin of the whole organisation; audited. Evidence's review
    deadlines and ranking's 公示 window count with it from then on.
    """
    if not principal.can("admin", ""):
        raise Forbidden(_("only an admin of the whole organisation may load the holiday calendar"))
    outside = next((d for d in [*payload.holidays, *payload.workdays] if d.year != year), None)
    if outside is not None:
        raise InvalidInput(_("%(outside)s is not in %(year)s", outside=outside, year=year),
                           details={"field": "holidays", "year": year})
    row = await session.get(HolidayArrangement, year)
    before = _row_json(row) if row is not None else None
    if row is None:
        row = HolidayArrangement(year=year)
        session.add(row)
    row.holidays = sorted({d.isoformat() for d in payload.holidays})
    row.workdays = sorted({d.isoformat() for d in payload.workdays})
    row.source, row.loaded_by, row.loaded_at = payload.source, principal.subject, clock.now()
    await session.flush()
    audit.record(session, actor=principal, action="calendar.load", entity_type="holiday_arrangement",
                 entity_id=str(year), before=before, after=_row_json(row))
    await install_from(session)
    return _read(year, row)
