"""`kaohe calendar load` sends the file's arrangement to scoring as the person at the console, a global admin
(issue 21, item 20); scoring's side is tests/scoring/test_calendar.py."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import httpx
import jwt
import pytest
import typer
from typer.testing import CliRunner

from kaohe import calendar_cli

NOTICE = """\
source: 国务院办公厅关于2027年部分节假日安排的通知
holidays: [2027-01-01, 2027-02-06]
workdays: [2027-02-13]
"""


def test_load_puts_the_year_to_scoring(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOHE_SERVICE_TOKEN_SECRET", "a" * 40)
    seen: dict[str, Any] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen["method"], seen["path"] = request.method, request.url.path
        seen["body"] = json.loads(request.content)
        seen["claims"] = jwt.decode(request.headers["Authorization"].removeprefix("Bearer "),
                                    options={"verify_signature": False})
        return httpx.Response(200, json={**seen["body"], "year": 2027, "origin": "loaded"})

    monkeypatch.setattr(calendar_cli, "TRANSPORT", httpx.MockTransport(answer))
    notice = tmp_path / "2027.yaml"
    notice.write_text(NOTICE, encoding="utf-8")
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Root."""

    calendar_cli.register(root)
    done = CliRunner().invoke(root, ["calendar", "load", "2027", str(notice)])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == "loaded 2027: 2 holidays, 1 working days (国务院办公厅关于2027年部分节假日安排的通知)"
    assert (seen["method"], seen["path"]) == ("PUT", "/v1/calendar/2027")
    assert seen["body"] == {"holidays": ["2027-01-01", "2027-02-06"], "workdays": ["2027-02-13"],
                            "source": "国务院办公厅关于2027年部分节假日安排的通知"}
    assert seen["claims"]["sub"].startswith("cli:")
    assert {"role": "admin", "scope": ""} in seen["claims"]["grants"]
