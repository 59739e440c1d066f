"""pydantic's date and time reasons read in Chinese too (services/common/reasons.py), the English kept as pydantic's."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import AwareDatetime, BaseModel, FutureDate, NaiveDatetime, PastDate, ValidationError

from kaohe.i18n import localize
from services.common.reasons import pydantic_reason


class Dates(BaseModel):
    aware: AwareDatetime | None = None
    naive: NaiveDatetime | None = None
    day: date | None = None
    past: PastDate | None = None
    future: FutureDate | None = None
    moment: datetime | None = None


@pytest.mark.parametrize(("field", "value", "english", "chinese"), [
    ("aware", "2026-12-10", "Input should have timezone info",
     "应为带时区的时间（ISO 8601，如 2026-12-10T09:30:00+08:00）"),
    ("aware", "2026-12-10T09:30:00", "Input should have timezone info",
     "应为带时区的时间（ISO 8601，如 2026-12-10T09:30:00+08:00）"),
    ("naive", "2026-12-10T09:30:00Z", "Input should not have timezone info", "应为不带时区的时间"),
    ("day", "2026-12-10T09:30:00", "Datetimes provided to dates should have zero time - e.g. be exact dates",
     "应为日期（如 2026-12-10），不能带时刻"),
    ("past", "2999-01-01", "Date should be in the past", "应为过去的日期"),
    ("future", "2000-01-01", "Date should be in the future", "应为将来的日期"),
    ("moment", [1], "Input should be a valid datetime", "应为有效的日期时间"),
])
def test_a_date_or_time_refused_reads_in_either_language(field: str, value: object, english: str,
                                                          chinese: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Dates.model_validate({field: value})
    reason = pydantic_reason(refused.value.errors()[0])
    assert (str(reason), localize(reason, "en"), localize(reason, "zh-CN")) == (english, english, chinese)
