"""Log lines for a person on a terminal, JSON for collectors (issue 22, "terminal output for people"): the
format KAOHE_LOG_FORMAT / `kaohe up --log-format` chooses, and what each looks like."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from services.common.observability import TextFormatter, configure_logging, log_format


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _record(name: str, level: int, message: str) -> logging.LogRecord:
    record = logging.LogRecord(name, level, __file__, 1, message, None, None)
    record.created = datetime(2026, 3, 1, 9, 5, 7).timestamp()  # local time, as the line shows it
    return record


def test_auto_is_text_on_a_terminal_and_json_elsewhere() -> None:
    assert log_format("auto", Terminal()) == "text"
    assert log_format("auto", io.StringIO()) == "json"
    assert log_format("json", Terminal()) == "json" and log_format("text", io.StringIO()) == "text"


def test_a_text_line_is_time_process_level_message() -> None:
    plain = TextFormatter("scoring", colour=False)
    assert plain.format(_record("kaohe.outbox", logging.WARNING, "delivery to ranking failed; retrying in 2 s")) \
        == "09:05:07 scoring  WARNING delivery to ranking failed; retrying in 2 s"
    coloured = TextFormatter("gateway", colour=True)
    assert coloured.format(_record("kaohe.gateway", logging.ERROR, "boom")) == (
        "\x1b[2m09:05:07\x1b[0m gateway  \x1b[31mERROR  \x1b[0m boom")


def _logged(fmt: str, level: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    configure_logging("evidence", level, fmt)
    logging.getLogger("kaohe.http").info("POST /v1/submissions 201")
    logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1:8002/v1/health "HTTP/1.1 200 OK"')
    logging.getLogger("kaohe.evidence").info("sweeper: 2 deadlines passed")
    logging.getLogger("kaohe.outbox").warning("scoring unreachable; the event waits")
    return capsys.readouterr().err.splitlines()


def test_text_leaves_out_the_line_per_request(capsys: pytest.CaptureFixture[str]) -> None:
    lines = _logged("text", "INFO", capsys)
    assert [line[9:] for line in lines] == ["evidence INFO    sweeper: 2 deadlines passed",  # after HH:MM:SS
                                            "evidence WARNING scoring unreachable; the event waits"]
    assert len(_logged("text", "DEBUG", capsys)) == 4  # asked for everything: requests too, both ways


def test_json_keeps_every_line_one_object_each(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.loads(line) for line in _logged("json", "INFO", capsys)]
    assert [(e["service"], e["logger"], e["level"], e["message"]) for e in lines] == [
        ("evidence", "kaohe.http", "info", "POST /v1/submissions 201"),
        ("evidence", "httpx", "info", 'HTTP Request: GET http://127.0.0.1:8002/v1/health "HTTP/1.1 200 OK"'),
        ("evidence", "kaohe.evidence", "info", "sweeper: 2 deadlines passed"),
        ("evidence", "kaohe.outbox", "warning", "scoring unreachable; the event waits")]
