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
    facts_upload_cpu: evidence=E scoring=S ranking=R gateway=G postgres=P

(the second line: CPU seconds each process of the stack used during the request, PostgreSQL's server processes
together: steadier than the wall clock on a shared machine). After the upload, `kaohe audit verify --service
evidence` must hold (the bench fails otherwise). With `--settle`, it then waits until scoring has a score for
every person and ranking a result for every person, and prints
`facts_settle: rows=N scoring_s=S ranking_s=S` (seconds after the upload answered) and the processes' CPU seconds
until ranking held every row (`facts_settle_cpu: …`). It reads scoring's scores once whole before the upload, then
only those changed since (`since_score_set`, as ranking reads them), so that its own looking costs scoring little.
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
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bulk import gateway_as_admin, opened_period  # sets the secrets the stack and its tokens share
from services.common.auth import Grant, Principal, issue_service_token
from tests.cli_helpers import KAOHE

SCHEME = {"id": "bench-facts", "version": 1, "title": "批量事实基准", "subject_kind": "person", "period": "quarter",
          "groups": ["职工"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}],
          "ranking": {"scope": "group", "order": ["total"]}}


PROCESS_NAMES = {"services.evidence.app": "evidence", "services.scoring.app": "scoring",
                 "services.ranking.app": "ranking", "gateway.app": "gateway"}


def cpu_seconds(stack: Any) -> dict[str, float]:
    """CPU seconds (user and system) used so far by each process of the stack: the four services (children of
    `kaohe up`) and PostgreSQL's server processes together (the embedded server on the stack's port, which runs
    detached from `kaohe up`, and its children)."""
    used = dict.fromkeys([*PROCESS_NAMES.values(), "postgres"], 0.0)
    port = f"-p {stack.env['KAOHE_EMBEDDED_PG_PORT']} "
    server = next((p for p in psutil.process_iter(["name", "cmdline"]) if p.info["name"] == "postgres"
                   and port in " ".join(p.info["cmdline"] or ()) + " "), None)
    processes = [(p, None) for p in psutil.Process(stack.process.pid).children(recursive=True)]
    if server is not None:
        processes += [(p, "postgres") for p in (server, *server.children())]
    for process, name in processes:
        try:
            name = name or next((n for marker, n in PROCESS_NAMES.items() if marker in " ".join(process.cmdline())),
                                None)
            if name is not None:
                times = process.cpu_times()
                used[name] += times.user + times.system
        except psutil.Error:  # ended in between
            continue
    return used


def cpu_line(label: str, before: dict[str, float], after: dict[str, float]) -> str:
    return f"{label}: " + " ".join(f"{name}={after[name] - before[name]:.1f}" for name in after)


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


class Totals:
    """Scoring's total of each subject, read whole once and then as the changes since the score set last read."""

    def __init__(self) -> None:
        self.totals: dict[str, Decimal] = {}
        self.since: dict[str, Any] = {}

    def read(self, http: httpx.Client, stack: Any, period: str) -> dict[str, Decimal]:
        scores = http.get(f"{stack.url('scoring')}/v1/periods/{period}/scores", params=self.since)
        if scores.status_code == 200:
            body = scores.json()
            if not body["partial"]:
                self.totals.clear()
            self.totals.update({s["id"]: Decimal(s["total"]) for s in body["subjects"]})
            self.since = {"since_score_set": body["score_set"], "period_key": body["period_key"]}
        return self.totals


def read_before(stack: Any, period: str) -> Totals:
    """Scoring's totals before the upload (every person's 0), read whole, so that looking after it reads only the
    scores changed since (not timed)."""
    token = issue_service_token(Principal("bench-admin", (Grant("admin", ""),)), ttl_seconds=3600)
    totals = Totals()
    with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
        totals.read(http, stack, period)
    return totals


def settle(stack: Any, period: str, rows: int, totals: Totals) -> tuple[float, float]:
    """Seconds until scoring's total of every person is their score (none is 0 any more), then until ranking's
    table holds every person with the lowest score last (60)."""
    token = issue_service_token(Principal("bench-admin", (Grant("admin", ""),)), ttl_seconds=3600)
    started = time.perf_counter()
    scoring_s = ranking_s = None
    with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
        while ranking_s is None and time.perf_counter() - started < 1800:
            try:
                scoring_s, ranking_s = _look(http, stack, period, rows, started, scoring_s, totals)
            except httpx.HTTPError:  # a read of 10,000 scores on a busy machine may time out: look again
                pass
            time.sleep(1.0)
    assert scoring_s is not None and ranking_s is not None, "the facts did not reach ranking in 30 minutes"
    return scoring_s, ranking_s


def _look(http: httpx.Client, stack: Any, period: str, rows: int, started: float,
          scoring_s: float | None, totals: Totals) -> tuple[float | None, float | None]:
    """(scoring_s, ranking_s), each set once its service holds every row."""
    if scoring_s is None:
        read = totals.read(http, stack, period)
        if len(read) == rows and all(total >= 60 for total in read.values()):
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
        totals = read_before(stack, period)
        before = cpu_seconds(stack)
        seconds = upload(http, period, args.rows)
        answered = cpu_seconds(stack)
        print(f"facts_upload: rows={args.rows} seconds={seconds:.1f} rows_per_s={args.rows / seconds:.0f}", flush=True)
        print(cpu_line("facts_upload_cpu", before, answered), flush=True)
        settled = settle(stack, period, args.rows, totals) if args.settle else None
        ranked = cpu_seconds(stack)
        verify_audit(env)
    if settled is not None:
        print(f"facts_settle: rows={args.rows} scoring_s={settled[0]:.1f} ranking_s={settled[1]:.1f}")
        print(cpu_line("facts_settle_cpu", answered, ranked))


if __name__ == "__main__":
    main()
