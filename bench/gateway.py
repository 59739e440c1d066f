"""Benchmark of the gateway against the real stack (docs/performance.md, section "Gateway").

    python bench/gateway.py                    # 100 subjects × 20 indicators, 50 timed runs each
    python bench/gateway.py --subjects 100 --runs 100

Starts `kaohe up` on a fresh embedded PostgreSQL, loads a 20-indicator scheme, a period of N
units and their facts (sent to scoring as `fact.changed` events, three rounds for one subject so it
has a history), waits until ranking has every result, then times:

1. an auditor query: one subject's score history on all 20 indicators (one GraphQL request);
2. a ranking page of 100 subjects with nested scores and results, through the gateway, and the
   same data read directly from the services' REST endpoints (subjects, scores, results) in the
   same run;

and counts the backend calls the gateway makes for pages of 10 and 100 subjects.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

JWT_SECRET = secrets.token_urlsafe(32)
os.environ["KAOHE_SERVICE_TOKEN_SECRET"] = secrets.token_urlsafe(32)
os.environ["KAOHE_JWT_SECRET"] = JWT_SECRET

from gateway.auth import development_token  # noqa: E402
from gateway.clients import Clients  # noqa: E402
from gateway.context import Context  # noqa: E402
from gateway.schema import build_schema  # noqa: E402
from services.common.auth import Grant, Principal, issue_service_token  # noqa: E402
from services.common.settings import Settings, get_settings  # noqa: E402
from tests.e2e.stack import RunningStack, stack_env, start_stack  # noqa: E402

ADMIN = Principal(subject="bench-admin", grants=(Grant("admin", ""),))
EVIDENCE = Principal(subject="evidence", kind="service")
PAGE = """query($p: ID!, $first: Int!) { subjects(periodId: $p, first: $first) { totalCount nodes {
  id name group score { total indicators { code value } } result { rank grade } } } }"""


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def _scheme(indicators: int) -> dict[str, Any]:
    return {"id": "bench-gateway", "version": 1, "title": "网关基准", "subject_kind": "unit", "period": "quarter",
            "precision": 2, "groups": ["甲组", "乙组"],
            "indicators": [{"code": f"i{n:02d}", "name": f"指标{n}", "max": 5, "rule": {"kind": "manual"}}
                           for n in range(indicators)],
            "ranking": {"scope": "group", "order": ["total"]},
            "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 75}, {"grade": "合格"}]}}


class Rest:
    """Direct calls to the services with a service token (setup and the direct baseline)."""

    def __init__(self, stack: RunningStack) -> None:
        self.http = httpx.Client(timeout=60)
        self.stack = stack

    def __call__(self, service: str, method: str, path: str, principal: Principal = ADMIN, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {issue_service_token(principal)}"}
        response = self.http.request(method, self.stack.url(service) + path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None


def _fact_event(period: str, subject: str, indicator: str, points: int) -> dict[str, Any]:
    fact = {"id": f"f-{subject}-{indicator}", "subject": subject, "indicator": indicator, "fact": "score",
            "points": str(points), "assessor": "考核办"}
    return {"id": str(uuid.uuid4()), "source": "evidence", "topic": "fact.changed",
            "payload": {"period_id": period, "action": "upsert", "fact": fact}}


def _wait(check: Any, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)


def load(rest: Rest, subjects: int, indicators: int) -> tuple[str, list[str]]:
    """Units, scheme, period and facts; returns the period id and the subject ids."""
    root = rest("scoring", "POST", "/v1/units", json={"name": "市", "slug": "city"})
    units = [rest("scoring", "POST", "/v1/units", json={"name": f"单位{n}", "slug": f"u{n}", "parent_id": root["id"]})
             for n in range(subjects)]
    draft = rest("scoring", "POST", "/v1/schemes", json={"document": _scheme(indicators)})
    rest("scoring", "POST", "/v1/schemes/bench-gateway/versions/1/publish", json={"revision": draft["revision"]})
    period = rest("scoring", "POST", "/v1/periods", json={
        "scheme_id": "bench-gateway", "scheme_version": 1, "label": "2026-Q1",
        "subjects": [{"id": u["id"], "group": "甲组" if n % 2 else "乙组"} for n, u in enumerate(units)]})
    ids = [u["id"] for u in units]
    codes = [f"i{n:02d}" for n in range(indicators)]
    for n, subject in enumerate(ids):
        for k, code in enumerate(codes):
            rest("scoring", "POST", "/events", EVIDENCE, json=_fact_event(period["id"], subject, code, (n + k) % 6))
    _wait(lambda: len(rest("ranking", "GET", f"/v1/periods/{period['id']}/results",
                           params={"subject_ids": ",".join(ids)})) == subjects, "the first results")
    for round_ in (1, 2):  # two more versions of every indicator of the first subject
        for k, code in enumerate(codes):
            event = _fact_event(period["id"], ids[0], code, (k + round_ + 3) % 6)
            rest("scoring", "POST", "/events", EVIDENCE, json=event)
        _wait(lambda r=round_: len(rest("scoring", "GET", f"/v1/periods/{period['id']}/subjects/{ids[0]}/history",
                                        params={"indicator": codes[0]})) >= 1 + r, f"history round {round_}")
    return period["id"], ids


def timed(runs: int, call: Any) -> list[float]:
    return interleaved(runs, call)[0]


def interleaved(runs: int, *calls: Any) -> list[list[float]]:
    """Milliseconds of each call, run in turn (a, b, a, b, …) so that every call meets the same load: on a
    shared machine the load drifts within seconds, and timing one path's runs after the other's would
    measure the drift as much as the paths."""
    for call in calls:
        call()  # warm up pools and caches
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, into in zip(calls, samples, strict=True):
            start = time.perf_counter()
            call()
            into.append((time.perf_counter() - start) * 1000)
    return samples


async def backend_calls(stack: RunningStack, period: str, first: int) -> int:
    """Calls the gateway's resolvers make for one page, run in-process against the live services."""
    settings = Settings(evidence_url=stack.url("evidence"), scoring_url=stack.url("scoring"),
                        ranking_url=stack.url("ranking"))
    clients = Clients(settings)
    auditor = Principal(subject="bench-auditor", grants=(Grant("auditor", ""),))
    context = Context(request=None, clients=clients, principal=auditor)  # type: ignore[arg-type]
    result = await build_schema().execute(PAGE, variable_values={"p": period, "first": first}, context_value=context)
    await clients.aclose()
    assert result.errors is None and result.data is not None, result.errors
    assert len(result.data["subjects"]["nodes"]) == first
    return sum(c.calls for c in clients.by_name.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200, help="timed runs of each path (the p95 of 50 is one sample)")
    args = parser.parse_args()
    get_settings.cache_clear()
    with tempfile.TemporaryDirectory() as data:
        env, ports = stack_env(Path(data) / "data", KAOHE_JWT_SECRET=JWT_SECRET,
                               KAOHE_SERVICE_TOKEN_SECRET=os.environ["KAOHE_SERVICE_TOKEN_SECRET"])
        stack = start_stack(env, ports)
        try:
            run(stack, args)
        finally:
            stack.stop()


def run(stack: RunningStack, args: argparse.Namespace) -> None:
    rest = Rest(stack)
    period, ids = load(rest, args.subjects, args.indicators)
    token = development_token(get_settings(), subject="bench-auditor", grants=[Grant("auditor", "")], ttl_seconds=3600)
    http = httpx.Client(base_url=stack.url("gateway"), headers={"Authorization": f"Bearer {token}"}, timeout=60)
    fields = " ".join(f'i{n:02d}: scoreHistory(periodId: $p, subjectId: $s, indicator: "i{n:02d}") '
                      "{ nodes { value cause factIds createdAt } }" for n in range(args.indicators))
    history_query = f"query($p: ID!, $s: ID!) {{ {fields} }}"

    def history() -> None:
        body = http.post("/graphql", json={"query": history_query, "variables": {"p": period, "s": ids[0]}}).json()
        assert "errors" not in body and len(body["data"]["i00"]["nodes"]) == 3, body

    def page() -> None:
        body = http.post("/graphql", json={"query": PAGE, "variables": {"p": period, "first": 100}}).json()
        assert "errors" not in body and len(body["data"]["subjects"]["nodes"]) == min(100, args.subjects), body

    auditor = Principal(subject="bench-auditor", grants=(Grant("auditor", ""),))

    def direct_page() -> None:
        listed = rest("scoring", "GET", f"/v1/periods/{period}/subjects", auditor)[:100]
        rest("scoring", "GET", f"/v1/periods/{period}/scores", auditor)
        rest("ranking", "GET", f"/v1/periods/{period}/results", auditor,
             params={"subject_ids": ",".join(s["id"] for s in listed)})

    history_ms = timed(args.runs, history)
    page_ms, direct_ms = interleaved(args.runs, page, direct_page)
    calls_100 = asyncio.run(backend_calls(stack, period, min(100, args.subjects)))
    calls_10 = asyncio.run(backend_calls(stack, period, 10))
    print(f"subjects={args.subjects} indicators={args.indicators} runs={args.runs} "
          f"history_p50_ms={statistics.median(history_ms):.1f} page_p50_ms={statistics.median(page_ms):.1f} "
          f"direct_page_p50_ms={statistics.median(direct_ms):.1f}")
    print(f"gateway: history_p95_ms={_p95(history_ms):.1f} page_p95_ms={_p95(page_ms):.1f} "
          f"direct_page_p95_ms={_p95(direct_ms):.1f} ratio={_p95(page_ms) / _p95(direct_ms):.2f} "
          f"backend_calls_100={calls_100} backend_calls_10={calls_10}")


if __name__ == "__main__":
    main()
