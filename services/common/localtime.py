"""Instants as people read them and as machines read them, in one place.

Storage and the APIs keep instants in UTC. What a person reads (an error message, a stored reason, a notice, a CLI
line) shows the office's local time (`KAOHE_TIMEZONE`, Asia/Shanghai by default) to the minute, with its zone:

    zh-CN  2026年12月8日 04:47（北京时间）     a deadline ending a day: 2026年12月9日24时（北京时间）
    en     2026-12-08 04:47 (UTC+08:00)       a deadline ending a day: 2026-12-10 00:00 (UTC+08:00)

(the Chinese deadline as the 公示 page and the offices' own documents write it: "截至…24时"). What a machine
reads, a JSON body, takes `instant_json`: ISO 8601 in UTC with `Z`, the form pydantic writes for every response
model, so REST and GraphQL write an instant alike (docs/api.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Literal, cast
from zoneinfo import ZoneInfo

from kaohe.i18n import Worded
from services.common.settings import get_settings

BEIJING = timedelta(hours=8)
LAST_SECOND = time(23, 59, 59)  # a deadline at or after it ends its day (23:59:59.999999 and 23:59:59 alike)
Form = Literal["instant", "deadline"]


def office_zone() -> ZoneInfo:
    """The office's time zone (`KAOHE_TIMEZONE`)."""
    return ZoneInfo(get_settings().timezone)


def instant_json(moment: datetime) -> str:
    """An instant for a JSON body: UTC ISO 8601 ending in `Z` (as pydantic writes it)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _zone_label(offset: timedelta, locale: str) -> str:
    if offset == BEIJING and locale == "zh-CN":
        return "北京时间"
    if not offset:
        return "UTC"
    sign, rest = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    hours, seconds = divmod(int(rest.total_seconds()), 3600)
    return f"UTC{sign}{hours:02d}:{seconds // 60:02d}"


class LocalTime(Worded):
    """An instant in the office's local time, worded per language (the module's docstring); `form` "deadline" shows
    an end of a local day as that day's 24时 (zh) or the next day's 00:00 (en)."""

    moment: datetime
    form: Form
    zone: ZoneInfo

    def __new__(cls, moment: datetime, form: Form = "instant", zone: ZoneInfo | None = None) -> LocalTime:
        chosen = zone or office_zone()
        self = cast(LocalTime, super().__new__(cls, _words(moment, form, chosen, "en")))
        self.moment, self.form, self.zone = moment, form, chosen
        return self

    def __reduce__(self) -> tuple[type[LocalTime], tuple[datetime, Form, ZoneInfo]]:  # type: ignore[override]
        return LocalTime, (self.moment, self.form, self.zone)

    def in_locale(self, locale: str) -> str:
        return _words(self.moment, self.form, self.zone, locale)


def _words(moment: datetime, form: Form, zone: ZoneInfo, locale: str) -> str:
    local = moment.astimezone(zone)
    label = _zone_label(local.utcoffset() or timedelta(0), locale)
    ends_day = form == "deadline" and (local.time() == time(0) or local.time() >= LAST_SECOND)
    if ends_day:
        last = local.date() - timedelta(days=1) if local.time() == time(0) else local.date()
        if locale == "zh-CN":
            return f"{last.year}年{last.month}月{last.day}日24时（{label}）"
        return f"{(last + timedelta(days=1)).isoformat()} 00:00 ({label})"
    if locale == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（{label}）"
    return f"{local:%Y-%m-%d %H:%M} ({label})"


def shown_instant(moment: datetime) -> LocalTime:
    """When something happened, for a person: local date and time to the minute, with the zone."""
    return LocalTime(moment, "instant")


def shown_deadline(moment: datetime) -> LocalTime:
    """A deadline (an end), for a person: an end of a local day as that day's 24时; another time as an instant."""
    return LocalTime(moment, "deadline")


def shown_stamp(stamp: object) -> object:
    """An ISO instant read from a file or another process, for a person (`shown_instant`); anything that is not one
    (absent, a date, a malformed text) as it is."""
    if not isinstance(stamp, str):
        return stamp
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return shown_instant(moment) if moment.tzinfo is not None else stamp
