"""Instants shown to people in the office's time zone, one format per language; JSON instants in UTC with Z."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from kaohe.i18n import _, localize
from services.common.localtime import LocalTime, instant_json, shown_deadline, shown_instant, shown_stamp
from services.common.stored_text import from_json, message, to_json

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_an_instant_reads_in_the_offices_local_time_to_the_minute() -> None:
    # 2026-12-07 20:47:48.202429 UTC is Tuesday 12-08 04:47 in Shanghai (UTC+8): the day a reader would name
    published = datetime(2026, 12, 7, 20, 47, 48, 202429, tzinfo=UTC)
    assert str(shown_instant(published)) == "2026-12-08 04:47 (UTC+08:00)"
    assert localize(shown_instant(published), "en") == "2026-12-08 04:47 (UTC+08:00)"
    assert localize(shown_instant(published), "zh-CN") == "2026年12月8日 04:47（北京时间）"


def test_a_deadline_that_ends_a_day_reads_as_that_days_24h() -> None:
    # the 公示's exclusive end, local midnight 12-10 (16:00Z on 12-09), and a deadline at 23:59:59.999999 local
    # (what working-day deadlines store) read the same: the end of Wednesday 12-09
    midnight = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
    last_instant = datetime(2026, 12, 9, 15, 59, 59, 999999, tzinfo=UTC)
    last_second = datetime(2026, 12, 9, 23, 59, 59, tzinfo=SHANGHAI)  # a journal due at 23:59:59
    for end in (midnight, last_instant, last_second):
        assert localize(shown_deadline(end), "zh-CN") == "2026年12月9日24时（北京时间）"
        assert localize(shown_deadline(end), "en") == "2026-12-10 00:00 (UTC+08:00)"
    # a deadline in the middle of a day is an instant; seconds and microseconds are not shown
    odd = datetime(2026, 12, 17, 20, 44, 52, 202429, tzinfo=UTC)  # 12-18 04:44:52 Shanghai
    assert localize(shown_deadline(odd), "zh-CN") == "2026年12月18日 04:44（北京时间）"
    assert localize(shown_deadline(odd), "en") == "2026-12-18 04:44 (UTC+08:00)"
    # a midnight that is when something happened is not a day's end
    assert localize(shown_instant(midnight), "zh-CN") == "2026年12月10日 00:00（北京时间）"


def test_other_zones_name_their_offset_in_both_languages() -> None:
    moment = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
    tokyo = LocalTime(moment, "instant", ZoneInfo("Asia/Tokyo"))  # UTC+9: 12-10 01:00
    assert (localize(tokyo, "en"), localize(tokyo, "zh-CN")) == ("2026-12-10 01:00 (UTC+09:00)",
                                                                  "2026年12月10日 01:00（UTC+09:00）")
    new_york = LocalTime(moment, "deadline", ZoneInfo("America/New_York"))  # EST, UTC-5: 12-09 11:00
    assert localize(new_york, "en") == "2026-12-09 11:00 (UTC-05:00)"
    utc = LocalTime(datetime(2026, 12, 10, tzinfo=UTC), "deadline", ZoneInfo("UTC"))  # the end of 12-09 in UTC
    assert (localize(utc, "en"), localize(utc, "zh-CN")) == ("2026-12-10 00:00 (UTC)", "2026年12月9日24时（UTC）")


def test_a_local_time_inside_a_message_follows_the_readers_language() -> None:
    text = _("the publication of period %(period_id)s runs until %(publication_ends_at)s", period_id="p1",
             publication_ends_at=shown_deadline(datetime(2026, 12, 9, 16, 0, tzinfo=UTC)))
    assert str(text) == "the publication of period p1 runs until 2026-12-10 00:00 (UTC+08:00)"
    assert localize(text, "zh-CN") == "考核周期 p1 的公示期至2026年12月9日24时（北京时间）结束"
    copied = pickle.loads(pickle.dumps(text.params["publication_ends_at"]))
    assert isinstance(copied, LocalTime) and localize(copied, "zh-CN") == "2026年12月9日24时（北京时间）"


def test_a_stored_message_keeps_the_instant_and_words_it_when_read() -> None:
    reason = message("publication.stale", day=shown_instant(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
                     publication=1, changed=2, added=0, removed=1)
    stored = json.loads(json.dumps(to_json(reason)))
    assert stored["params"]["day"] == {"instant": "2026-11-23T02:00:00+00:00", "form": "instant"}
    read = from_json(stored)
    assert read == ("the results changed after the 公示 of 2026-11-23 10:00 (UTC+08:00) (publication 1): 2 changed, "
                    "0 added, 1 removed")
    assert localize(read, "zh-CN") == ("2026年11月23日 10:00（北京时间） 公示（第 1 次）后结果有变化：变动 2 个，"
                                       "新增 0 个，移除 1 个")
    broken = from_json({"code": "publication.stale", "params": {"day": {"instant": "not a time"}, "publication": 1,
                                                                "changed": 0, "added": 0, "removed": 0}})
    assert str(broken).startswith("the results changed after the 公示 of not a time (publication 1)")


def test_json_instants_are_utc_with_z() -> None:
    assert instant_json(datetime(2026, 12, 9, 16, 0, tzinfo=UTC)) == "2026-12-09T16:00:00Z"
    assert instant_json(datetime(2026, 12, 10, 0, 0, tzinfo=SHANGHAI)) == "2026-12-09T16:00:00Z"
    assert instant_json(datetime(2026, 12, 17, 20, 44, 52, 202429, tzinfo=timezone(timedelta(hours=-5)))) == \
        "2026-12-18T01:44:52.202429Z"


def test_a_stamp_from_a_file_is_shown_when_it_is_an_instant() -> None:
    assert localize(shown_stamp("2026-12-07T01:00:00+00:00"), "zh-CN") == "2026年12月7日 09:00（北京时间）"
    assert shown_stamp("2026-12-07") == "2026-12-07"  # a date: no zone to convert from
    assert shown_stamp("yesterday") == "yesterday"
    assert shown_stamp(None) is None
