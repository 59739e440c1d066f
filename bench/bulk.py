"""Benchmark of one units-and-people file through the gateway (docs/performance.md, section "Bulk files").

    python bench/bulk.py                      # 10,000 rows: a root, 4,999 units under it, 5,000 people in one unit
    python bench/bulk.py --rows 2000
    python bench/bulk.py --facts 5000         # then also: those units enrolled, one score each from one file

Starts `kaohe up` on a fresh embedded PostgreSQL, writes one CSV of `--rows` rows (a root unit, half the rows
units under that root, the other half people of its first child: the most siblings and unit-mates a file can
give the look-alike name check, which compares each new name with those of its parent's units or its unit's
people), uploads it once to `POST /uploads/organisation` as an admin, checks the answer and the unit count, and
prints the wall-clock seconds of that one request:

    bulk: rows=10000 seconds=S

With `--facts N`, the first N units are then enrolled in a period (one enrolment file) and a file of N scores
for them is uploaded to `POST /uploads/periods/{id}/facts` by the office, which reviews them (each row a
submission approved at once, its fact sent to scoring); that upload's seconds are printed too:

    bulk_facts: rows=N seconds=S
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

JWT_SECRET = secrets.token_urlsafe(32)
os.environ["KAOHE_SERVICE_TOKEN_SECRET"] = secrets.token_urlsafe(32)
os.environ["KAOHE_JWT_SECRET"] = JWT_SECRET

from gateway.auth import development_token  # noqa: E402
from services.common.auth import Grant  # noqa: E402
from services.common.settings import get_settings  # noqa: E402
from tests.e2e.stack import stack_env, start_stack  # noqa: E402


def organisation_file(rows: int) -> tuple[bytes, int, int]:
    """The CSV, and how many units and people it makes."""
    units = max(2, rows // 2)
    people = rows - units
    lines = ["type,id,name,slug,parent,unit", "unit,root,基准市,bench,,"]
    lines += [f"unit,u{n:05d},第{n:05d}单位,u{n:05d},root," for n in range(1, units)]
    lines += [f"person,p{n:05d},职工{n:05d},,,u00001" for n in range(people)]
    return ("\n".join(lines) + "\n").encode(), units, people


SCHEME = {"id": "bench-bulk", "version": 1, "title": "批量基准", "subject_kind": "unit", "period": "quarter",
          "groups": ["单位"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}],
          "ranking": {"scope": "group", "order": ["total"]}}


def graphql(http: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = http.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def upload_facts(http: httpx.Client, count: int) -> float:
    """Enrol u00001…u{count} in a new period, then time one upload of a score for each."""
    draft = graphql(http, "mutation($d: JSON!) { createScheme(document: $d, ownerPath: \"bench\") { revision } }",
                    d=SCHEME)["createScheme"]
    graphql(http, "mutation($r: Int!) { publishScheme(id: \"bench-bulk\", version: 1, revision: $r) { status } }",
            r=draft["revision"])
    period = graphql(http, """mutation { openPeriod(input: {schemeId: "bench-bulk", schemeVersion: 1, label: "2026-Q2",
        subjects: []}) { id } }""")["openPeriod"]["id"]
    units = [f"u{n:05d}" for n in range(1, count + 1)]
    enrolment = ("id,group\n" + "".join(f"{unit},单位\n" for unit in units)).encode()
    enrolled = http.post(f"/uploads/periods/{period}/subjects", files={"file": ("enrolment.csv", enrolment)})
    assert enrolled.status_code == 201, enrolled.text[:2000]
    scores = ("subject,points\n" + "".join(f"{unit},{60 + n % 40}\n" for n, unit in enumerate(units))).encode()
    started = time.perf_counter()
    answer = http.post(f"/uploads/periods/{period}/facts", files={"file": ("scores.csv", scores)},
                       data={"indicator": "work"})
    seconds = time.perf_counter() - started
    assert answer.status_code == 201, answer.text[:2000]
    body = answer.json()
    counts = (body["submitted"], body["approved"])
    assert counts == (count, count), {k: v for k, v in body.items() if k != "submissions"}
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--facts", type=int, default=0, help="then enrol this many of the units and upload a score "
                        "for each from one file")
    args = parser.parse_args()
    data, units, people = organisation_file(args.rows)
    get_settings.cache_clear()
    with tempfile.TemporaryDirectory() as folder:
        env, ports = stack_env(Path(folder) / "data", KAOHE_JWT_SECRET=JWT_SECRET,
                               KAOHE_SERVICE_TOKEN_SECRET=os.environ["KAOHE_SERVICE_TOKEN_SECRET"])
        stack = start_stack(env, ports, logs=Path(os.environ["BULK_LOGS"]) if os.environ.get("BULK_LOGS") else None)
        try:
            token = development_token(get_settings(), subject="bench-admin", grants=[Grant("admin", "")],
                                      ttl_seconds=3600)
            with httpx.Client(base_url=stack.url("gateway"), headers={"Authorization": f"Bearer {token}"},
                              timeout=900) as http:
                started = time.perf_counter()
                answer = http.post("/uploads/organisation", files={"file": ("organisation.csv", data)})
                seconds = time.perf_counter() - started
                assert answer.status_code == 201, answer.text[:2000]
                assert answer.json() == {"units": units, "people": people, "warnings": []}, answer.text[:2000]
                listed = http.post("/graphql", json={"query": '{ units(parentId: "root") { totalCount } }'}).json()
                assert listed["data"]["units"]["totalCount"] == units - 1, listed
                facts_seconds = upload_facts(http, min(args.facts, units - 1)) if args.facts else None
        finally:
            stack.stop()
    print(f"bulk: rows={units + people} seconds={seconds:.1f}")
    if facts_seconds is not None:
        print(f"bulk_facts: rows={min(args.facts, units - 1)} seconds={facts_seconds:.1f}")


if __name__ == "__main__":
    main()
