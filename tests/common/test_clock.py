"""The business clock: the system time plus the offset of KAOHE_CLOCK_FILE, never in production."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.common import clock
from services.common.settings import ConfigError, get_settings, load_settings
from services.evidence.clock import system_now
from services.ranking.access import utc_now
from tests.cli_helpers import KAOHE, clean_env


def write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))  # a distinct mtime even within one timer tick


def close_to(moment: datetime, expected: datetime) -> bool:
    return abs(moment - expected) < timedelta(seconds=5)


def test_without_the_setting_the_clock_is_the_system_clock() -> None:
    assert get_settings().clock_file is None
    assert clock.offset() == timedelta(0)
    assert close_to(clock.now(), datetime.now(UTC))


def test_the_offset_is_added_and_reread_when_the_file_changes(clock_file: Path) -> None:
    assert clock.offset() == timedelta(0)  # no file yet: no offset
    write(clock_file, "86400\n", 1_000_000_000)
    assert clock.offset() == timedelta(days=1)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    for moment in (clock.now(), utc_now(), system_now()):  # ranking's and evidence's "now" are the same clock
        assert close_to(moment, tomorrow)
    write(clock_file, "-90.5", 2_000_000_000)
    assert clock.offset() == timedelta(seconds=-90, microseconds=-500_000)
    write(clock_file, "", 3_000_000_000)
    assert clock.offset() == timedelta(0)
    clock_file.unlink()
    assert clock.offset() == timedelta(0)


def test_a_malformed_file_keeps_the_last_good_offset(clock_file: Path) -> None:
    write(clock_file, "3600", 1_000_000_000)
    assert clock.offset() == timedelta(hours=1)
    write(clock_file, "tomorrow", 2_000_000_000)
    assert clock.offset() == timedelta(hours=1)
    write(clock_file, "999999999999", 3_000_000_000)  # 31 000 years: refused as a typo
    assert clock.offset() == timedelta(hours=1)


def test_offsets_are_parsed_exactly() -> None:
    assert clock.parse_offset(" 1.000001 ") == timedelta(seconds=1, microseconds=1)
    assert clock.parse_offset("-172800") == timedelta(days=-2)
    for bad in ("1e400", "NaN", "Infinity", "2d", "1,5"):
        with pytest.raises(ValueError):
            clock.parse_offset(bad)


def test_production_refuses_a_clock_file(clock_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOHE_ENVIRONMENT", "production")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value) == ("KAOHE_CLOCK_FILE is refused in production: the clock may only be moved in "
                                  "development")
    monkeypatch.setenv("KAOHE_ENVIRONMENT", "development")
    assert load_settings().clock_file == clock_file


def test_kaohe_up_stops_with_one_line_in_production(tmp_path: Path) -> None:
    env = clean_env(KAOHE_ENVIRONMENT="production", KAOHE_CLOCK_FILE=tmp_path / "clock", KAOHE_DATA_DIR=tmp_path)
    done = subprocess.run([*KAOHE, "up"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == ("kaohe: KAOHE_CLOCK_FILE is refused in production: the clock may only be moved "
                                   "in development")
