"""The gateway's own CPU per page, without services (docs/performance.md, section "Gateway").

    python bench/gateway_overhead.py            # 100 subjects × 20 indicators, 200 pages each

Runs the ranking page of bench/gateway.py (100 subjects with 20 indicator scores and results) in
this process against canned service answers (tests/gateway/fakes.py), so only the gateway's work
is measured: parsing, validation, resolvers, DataLoaders, value completion. Two schemas take
turns: the gateway as built (document cache, prefetch, plain-fields executor) and a baseline with
graphql-core's standard executor and no document cache. CPU time (`time.process_time`), so other
load on the machine matters less than for wall-clock figures. Last line:
`gateway_overhead: cpu_ms=A baseline_cpu_ms=B ratio=A/B`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KAOHE_SERVICE_TOKEN_SECRET", secrets.token_urlsafe(32))
os.environ.setdefault("KAOHE_LOG_LEVEL", "WARNING")

import strawberry

from gateway.schema import GatewaySchema, Mutation, Query, build_schema
from services.common.auth import Grant, Principal
from tests.gateway.fakes import FakeBackend, context

PAGE = """query($p: ID!, $first: Int!) { subjects(periodId: $p, first: $first) { totalCount nodes {
  id name group score { total indicators { code value } } result { rank grade } } } }"""
AUDITOR = Principal(subject="bench-auditor", grants=(Grant("auditor", ""),))


class Canned(FakeBackend):
    """Scores with `indicators` values each, like the period of bench/gateway.py."""

    indicators = 20

    def _score(self, subject: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        codes = [f"i{k:02d}" for k in range(self.indicators)]
        return {"id": subject["id"], "total": "72.50", "scores": dict.fromkeys(codes, "3.50"),
                "explain": {c: "manual 3.50" for c in codes}, "vetoes": [], "flags": []}


def baseline_schema() -> strawberry.Schema:
    """The schema before the speed work: graphql-core's executor, validation on every request."""
    from gateway.protection import extensions

    without_cache = extensions(production=False)[1:]  # the document cache is the first extension
    return GatewaySchema(query=Query, mutation=Mutation, extensions=without_cache)


async def cpu_per_page(schema: strawberry.Schema, backend: FakeBackend, first: int) -> float:
    clients = backend.clients()
    try:
        start = time.process_time()
        result = await schema.execute(PAGE, variable_values={"p": "p1", "first": first},
                                      context_value=context(clients, AUDITOR))
        spent = (time.process_time() - start) * 1000
    finally:
        await clients.aclose()
    assert result.errors is None and result.data is not None, result.errors
    assert len(result.data["subjects"]["nodes"]) == first
    return spent


async def main(subjects: int, indicators: int, runs: int) -> None:
    Canned.indicators = indicators
    rows = [{"id": f"s{n:03d}", "name": f"单位{n}", "kind": "unit", "group": "甲组", "unit_path": f"city/u{n}",
             "attributes": {}} for n in range(subjects)]
    backend = Canned(subjects=rows)
    built, baseline = build_schema(), baseline_schema()
    fast: list[float] = []
    slow: list[float] = []
    for _ in range(3):  # warm up both
        await cpu_per_page(built, backend, subjects)
        await cpu_per_page(baseline, backend, subjects)
    for _ in range(runs):
        fast.append(await cpu_per_page(built, backend, subjects))
        slow.append(await cpu_per_page(baseline, backend, subjects))
    a, b = statistics.median(fast), statistics.median(slow)
    print(f"subjects={subjects} indicators={indicators} runs={runs}")
    print(f"gateway_overhead: cpu_ms={a:.1f} baseline_cpu_ms={b:.1f} ratio={a / b:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.subjects, args.indicators, args.runs))
