"""§10 roll-up: the annual result from the finalized quarters of the scheme named in `rollup`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.conftest import auth
from tests.ranking.conftest import ANNUAL, QUARTERLY, Clock, FakeScoring, deliver, first_scores, subject

OFFICE = auth(("admin", "city"), subject="office")
AUDITOR = auth(("auditor", ""))


async def _finalize(ranking: httpx.AsyncClient, clock: Clock, period_id: str) -> None:
    published = await ranking.post(f"/v1/periods/{period_id}/publication", json={"working_days": 5}, headers=OFFICE)
    assert published.status_code == 200, published.text
    clock.now += timedelta(days=10)
    assert (await ranking.post(f"/v1/periods/{period_id}/finalize", headers=OFFICE)).status_code == 200


def _brief(item: dict[str, Any]) -> tuple[Any, ...]:
    return (item["subject_id"], item["total"], item["rank"], item["grade"])


async def test_annual_mean_of_finalized_quarters_only(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    scoring.add_period("q1", QUARTERLY, "2026-Q1", first_scores())
    scoring.add_period("q2", QUARTERLY, "2026-Q2", [subject("u1", "50", "30"), subject("u2", "57", "38"),
                                                     subject("u3", "45", "30"), subject("u4", "50", "40")])
    scoring.add_period("q3", QUARTERLY, "2026-Q3", [subject(s, "60", "40") for s in ("u1", "u2", "u3", "u4")])
    for period_id in ("q1", "q2", "q3"):
        await deliver(ranking, period_id, scoring)
    await _finalize(ranking, clock, "q1")
    await _finalize(ranking, clock, "q2")  # q3 stays unfinalized: it must not count
    scoring.add_period("y", ANNUAL, "2026")
    done = await ranking.post("/v1/periods/y/recompute", headers=OFFICE)
    assert done.json()["changed"] == 4
    table = (await ranking.get("/v1/periods/y/ranking", headers=AUDITOR)).json()
    # Means of the published quarterly totals: u1 (95.13 + 80.00) / 2 = 87.565, u2 (92.50 + 95.00) / 2,
    # u3 (81.00 + 75.00) / 2, u4 (70.01 + 90.00) / 2 = 80.005; bands 优秀 ≥ 90, 良好 ≥ 80.
    assert [_brief(item) for item in table["items"]] == [
        ("u2", "93.75", 1, "优秀"), ("u1", "87.57", 2, "良好"), ("u3", "78.00", 3, "一般"),
        ("u4", "80.01", 1, "良好"),
    ]
    assert table["items"][1]["scores"] == {"2026-Q1": "95.13", "2026-Q2": "80.00"}
    period = (await ranking.get("/v1/periods/y", headers=AUDITOR)).json()
    assert (period["scheme_id"], period["scope_path"]) == ("rk-test-annual", "city")
    # Finalizing q3 later and rolling up again changes the annual results.
    await _finalize(ranking, clock, "q3")
    again = await ranking.post("/v1/periods/y/recompute", headers=OFFICE)
    assert again.json()["changed"] == 4
    u3 = (await ranking.get("/v1/periods/y/results/u3", headers=AUDITOR)).json()
    assert (u3["version"], u3["total"]) == (2, "85.33")  # (81 + 75 + 100) / 3 = 85.333…
