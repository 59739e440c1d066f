"""Benchmark of one units-and-people file through the gateway (docs/performance.md, section "Bulk files").

    python bench/bulk.py                      # 10,000 rows: a root, 4,999 units under it, 5,000 people in one unit
    python bench/bulk.py --rows 2000

Starts `kaohe up` on a fresh embedded PostgreSQL, writes one CSV of `--rows` rows (a root unit, half the rows
units under that root, the other half people of its first child: the most siblings and unit-mates a file can
give the look-alike name check, which compares each new name with those of its parent's units or its unit's
people), uploads it once to `POST /uploads/organisation` as an admin, checks the answer and the unit count, and
prints the wall-clock seconds of that one request:

    bulk: rows=10000 seconds=S

A facts file (`POST /uploads/periods/{id}/facts`) has its own bench, bench/facts_upload.py, which uses the stack
and the period of this one (`gateway_as_admin`, `opened_period`).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def graphql(http: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = http.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def opened_period(http: httpx.Client, scheme: dict[str, Any]) -> str:
    """A period 2026-Q2 of `scheme`, published first (owned by the root unit `bench`), nobody enrolled yet."""
    draft = graphql(http, "mutation($d: JSON!) { createScheme(document: $d, ownerPath: \"bench\") { revision } }",
                    d=scheme)["createScheme"]
    graphql(http, "mutation($id: ID!, $r: Int!) { publishScheme(id: $id, version: 1, revision: $r) { status } }",
            id=scheme["id"], r=draft["revision"])
    period: str = graphql(http, """mutation($id: String!) { openPeriod(input: {schemeId: $id, schemeVersion: 1,
        label: "2026-Q2", subjects: []}) { id } }""", id=scheme["id"])["openPeriod"]["id"]
    return period


@contextmanager
def gateway_as_admin() -> Iterator[tuple[Any, dict[str, str], httpx.Client]]:
    """`kaohe up` on a fresh embedded PostgreSQL (its processes' logs to $BULK_LOGS when set), its environment, and
    a client of its gateway as an admin over everything."""
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
                yield stack, env, http
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    data, units, people = organisation_file(args.rows)
    with gateway_as_admin() as (_stack, _env, http):
        started = time.perf_counter()
        answer = http.post("/uploads/organisation", files={"file": ("organisation.csv", data)})
        seconds = time.perf_counter() - started
        assert answer.status_code == 201, answer.text[:2000]
        assert answer.json() == {"units": units, "people": people, "warnings": []}, answer.text[:2000]
        listed = http.post("/graphql", json={"query": '{ units(parentId: "root") { totalCount } }'}).json()
        assert listed["data"]["units"]["totalCount"] == units - 1, listed
    print(f"bulk: rows={units + people} seconds={seconds:.1f}")

if __name__ == "__main__":
    main()
