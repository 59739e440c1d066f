"""The public 公示 page says whether the window is still open on the business clock, the one ranking closes it on:
a stack whose clock was moved past `closesAt` (KAOHE_CLOCK_FILE) shows 公示期已满 even though the real day is
still inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.public import _state


def test_the_window_is_judged_on_the_business_clock(clock_file: Path) -> None:
    closes = (datetime.now(UTC) + timedelta(days=1)).isoformat()  # tomorrow in real time
    notice = {"status": "published", "finalizedAt": None, "stale": False, "reopened": False, "closesAt": closes}
    clock_file.write_text("0", encoding="utf-8")
    assert _state(notice) == "公示中"
    clock_file.write_text("259200", encoding="utf-8")  # three days ahead: past the window
    assert _state(notice) == "公示期已满"
