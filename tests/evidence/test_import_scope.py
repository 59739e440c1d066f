"""Facts in bulk answer nothing outside the uploader's scope (stop 26), over evidence's REST with scoring faked.

Hand-worked (tests/evidence/conftest.py): period 2026-Q1 (owner: the organisation) enrols p001 张三 (city/a) and
p002 李四 (city/b); `output` reads measure facts. A submitter of city/a may submit for p001 only. A period owned by
city/b is one the submitter has no grant on the branch of."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.evidence import conftest

SUBMITTER_A = auth(("submitter", "city/a"), subject="clerk-a")


async def upload(client: httpx.AsyncClient, period_id: str, csv: str, **form: str) -> httpx.Response:
    return await client.post(f"/v1/periods/{period_id}/submissions/import", headers=SUBMITTER_A,
                             files={"file": ("ledger.csv", csv.encode())}, data=form)


async def test_a_subject_out_of_scope_is_answered_as_one_not_enrolled(client: httpx.AsyncClient) -> None:
    csv = "subject,name,value\np001,李四,0.5\np002,?,0.5\np002,,0.5\nghost,?,0.5\n"
    refused = await upload(client, "2026-Q1", csv, indicator="output")
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"]["rows"] == [
        {"row": 2, "column": "name", "reason": "'李四' is not the name of subject p001 (张三)"},
        {"row": 3, "column": "subject", "reason": "subject 'p002' is not in period '2026-Q1'"},
        {"row": 4, "column": "subject", "reason": "subject 'p002' is not in period '2026-Q1'"},
        {"row": 5, "column": "subject", "reason": "subject 'ghost' is not in period '2026-Q1'"}]


async def test_another_offices_period_is_answered_as_one_that_does_not_exist(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(conftest.PERIODS, "2026-B", "collecting")
    monkeypatch.setitem(conftest.OWNERS, "2026-B", "city/b")
    answers: dict[str, list[Any]] = {"2026-B": [], "nonexist": []}
    for period_id in answers:
        for form in ({"indicator": "output"}, {"indicator": "nosuch"}):
            for csv in ("subject,name\np002,?\n", "subject,value\nghost,1\n"):
                answer = await upload(client, period_id, csv, **form)
                answers[period_id].append((answer.status_code, answer.json()["error"]["code"],
                                           answer.json()["error"]["message"]))
    assert answers == {period_id: [(404, "not_found", f"period {period_id} not found")] * 4 for period_id in answers}
    # the office of city/b (a submitter there) is in scope: its file reaches the rows
    own = await client.post("/v1/periods/2026-B/submissions/import", headers=auth(("submitter", "city/b")),
                            files={"file": ("ledger.csv", b"subject,name\np002,?\n")}, data={"indicator": "output"})
    assert own.status_code == 422, own.text
    assert own.json()["error"]["details"]["rows"] == [
        {"row": 2, "column": "name", "reason": "'?' is not the name of subject p002 (李四)"}]


async def test_a_role_that_submits_no_such_facts_is_refused_as_a_whole(client: httpx.AsyncClient) -> None:
    refused = await client.post("/v1/periods/2026-Q1/submissions/import", headers=auth(("assessor", "city/a")),
                                files={"file": ("ledger.csv", b"subject,value\np001,1\n")},
                                data={"indicator": "output"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["message"] == "tester may not submit measure facts"
