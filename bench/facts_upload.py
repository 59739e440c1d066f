"""Benchmark of one facts file through the gateway (docs/performance.md, section "Bulk files").

    python bench/facts_upload.py                  # 10,000 rows: one score for each of 10,000 people
    python bench/facts_upload.py --rows 2000
    python bench/facts_upload.py --settle         # then also wait until scoring and ranking hold every row

Starts `kaohe up` on a fresh embedded PostgreSQL; as setup (not timed) makes one unit and `--rows` people in it
(one organisation file), a person scheme of one manual indicator, a period enrolling every person (one enrolment
file), and waits until ranking ranks them all (the enrolment's recompute done). Then it uploads one CSV of a score
per person to `POST /uploads/periods/{id}/facts` as an admin, who reviews every level of the default chain, so
that each row becomes a submission approved at once (decision, fact, event to scoring, audit records), checks the
answer, and prints the wall-clock seconds of that one request:

    facts_upload: rows=N seconds=S rows_per_s=R

After the upload, `kaohe audit verify --service evidence` must hold (the bench fails otherwise). With `--settle`,
it then waits until scoring has a score for every person and ranking a result for every person, and prints
`facts_settle: rows=N scoring_s=S ranking_s=S` (seconds after the upload answered).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bulk import gateway_as_admin, opened_period  # sets the secrets the stack and its tokens share
from services.common.auth import Grant, Principal, issue_service_token
from tests.cli_helpers import KAOHE

SCHEME = {"id": "bench-facts", "version": 1, "title": "批量事实基准", "subject_kind": "person", "period": "quarter",
          "groups": ["职工"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}],
          "ranking": {"scope": "group", "order": ["total"]}}


def people(rows: int) -> list[str]:
    return [f"p{n:05d}" for n in range(rows)]


def setup(http: httpx.Client, rows: int) -> str:
    """One unit, `rows` people in it, a scheme and a period enrolling them all; the period's id."""
    lines = ["type,id,name,slug,parent,unit", "unit,root,基准市,bench,,"]
    lines += [f"person,{p},职工{p[1:]},,,root" for p in people(rows)]
    made = http.post("/uploads/organisation", files={"file": ("organisation.csv", ("\n".join(lines) + "\n").encode())})
    assert made.status_code == 201, made.text[:2000]
    period = opened_period(http, SCHEME)
    enrolment = ("id,group\n" + "".join(f"{p},职工\n" for p in people(rows))).encode()
    enrolled = http.post(f"/uploads/periods/{period}/subjects", files={"file": ("enrolment.csv", enrolment)})
    assert enrolled.status_code == 201, enrolled.text[:2000]
    return period


def upload(http: httpx.Client, period: str, rows: int) -> float:
    scores = ("subject,points\n" + "".join(f"{p},{60 + n % 40}\n" for n, p in enumerate(people(rows)))).encode()
    started = time.perf_counter()
    answer = http.post(f"/uploads/periods/{period}/facts", files={"file": ("scores.csv", scores)},
                       data={"indicator": "work"})
    seconds = time.perf_counter() - started
    assert answer.status_code == 201, answer.text[:2000]
    body = answer.json()
    assert (body["submitted"], body["approved"], len(body["submissions"])) == (rows, rows, rows), \
        {k: v for k, v in body.items() if k != "submissions"}
    assert all(s["status"] == "approved" and s["factId"] for s in body["submissions"]), body["submissions"][:3]
    return seconds


def verify_audit(env: dict[str, str]) -> None:
    done = subprocess.run([*KAOHE, "audit", "verify", "--service", "evidence"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def quiet(stack: Any, period: str, rows: int) -> None:
    """Wait until the enrolment's own recompute reached ranking (every person ranked), so that the upload is not
    timed against scoring and ranking still working on the setup."""
    token = issue_service_token(Principal("bench-admin", (Grant("admin", ""),)), ttl_seconds=3600)
    deadline = time.monotonic() + 900
    with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
        while time.monotonic() < deadline:
            page = http.get(f"{stack.url('ranking')}/v1/periods/{period}/ranking", params={"limit": 1})
            if page.status_code == 200 and page.json().get("total_count") == rows:
                time.sleep(2.0)
                return
            time.sleep(1.0)
    raise AssertionError("the enrolment did not reach ranking in 15 minutes")


def settle(stack: Any, period: str, rows: int) -> tuple[float, float]:
    """Seconds until scoring's total of every person is their score (none is 0 any more), then until ranking's
    table holds every person with the lowest score last (60)."""
    token = issue_service_token(Principal("bench-admin", (Grant("admin", ""),)), ttl_seconds=3600)
    started = time.perf_counter()
    scoring_s = ranking_s = None
    with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
        while ranking_s is None and time.perf_counter() - started < 1800:
            try:
                scoring_s, ranking_s = _look(http, stack, period, rows, started, scoring_s)
            except httpx.HTTPError:  # a read of 10,000 scores on a busy machine may time out: look again
                pass
            time.sleep(2.0)
    assert scoring_s is not None and ranking_s is not None, "the facts did not reach ranking in 30 minutes"
    return scoring_s, ranking_s


def _look(http: httpx.Client, stack: Any, period: str, rows: int, started: float,
          scoring_s: float | None) -> tuple[float | None, float | None]:
    """(scoring_s, ranking_s), each set once its service holds every row."""
    if scoring_s is None:
        scores = http.get(f"{stack.url('scoring')}/v1/periods/{period}/scores")
        subjects = scores.json().get("subjects", []) if scores.status_code == 200 else []
        if len(subjects) == rows and all(Decimal(s["total"]) >= 60 for s in subjects):
            return time.perf_counter() - started, None
        return None, None
    page = http.get(f"{stack.url('ranking')}/v1/periods/{period}/ranking", params={"offset": rows - 1, "limit": 1})
    body = page.json() if page.status_code == 200 else {}
    if body.get("total_count") == rows and body["items"] and Decimal(body["items"][0]["total"]) >= 60:
        return scoring_s, time.perf_counter() - started
    return scoring_s, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--settle", action="store_true", help="then wait until scoring and ranking hold every row")
    args = parser.parse_args()
    with gateway_as_admin() as (stack, env, http):
        period = setup(http, args.rows)
        quiet(stack, period, args.rows)
        seconds = upload(http, period, args.rows)
        print(f"facts_upload: rows={args.rows} seconds={seconds:.1f} rows_per_s={args.rows / seconds:.0f}", flush=True)
        settled = settle(stack, period, args.rows) if args.settle else None
        verify_audit(env)
    if settled is not None:
        print(f"facts_settle: rows={args.rows} scoring_s={settled[0]:.1f} ranking_s={settled[1]:.1f}")


if __name__ == "__main__":
    main()
