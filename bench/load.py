"""Load and soak through the gateway: a realistic mix of evidence submissions, reviews, weekly journals, score
queries and ranking pages, driven by asyncio + httpx over loopback, bounded in time and count (stops by itself).

By default it starts its own stack (`kaohe up` on an embedded PostgreSQL in a temporary folder, free ports) and
stops it afterwards; `--gateway URL --jwt-secret S` drives a running one instead (its processes are then not
measured). Reports throughput, p50/p95/p99 latency, error count and the RSS of each process at the start and
end of the run, and ends with one machine-readable line:

    load: requests=N rps=X p50_ms=A p95_ms=B p99_ms=C errors=E mem_growth_pct=G

    python bench/load.py --minutes 0.5        # smoke
    python bench/load.py                      # 10-minute soak
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil

# bench/ holds a gateway.py of its own: import the project's packages, not the neighbours of this script
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE.parent)]

from services.common.embedded import free_port  # noqa: E402

SCHEME = {
    "id": "load", "version": 1, "title": "负载测试方案", "subject_kind": "unit", "period": "quarter",
    "precision": 2, "groups": ["街道"],
    "indicators": [
        {"code": "work", "name": "重点工作", "max": 50, "rule": {"kind": "manual"}},
        {"code": "rate", "name": "台账完成率", "max": 40, "rule": {"kind": "ratio", "target": 1}},
        {"code": "journal", "name": "工作周志", "max": 10, "rule": {"kind": "journal"}},
    ],
    "ranking": {"scope": "group", "order": ["total"]},
    "grading": {"bands": [{"grade": "优秀", "min": "90"}, {"grade": "良好", "min": 75}, {"grade": "合格"}]},
}
UNIT = "mutation($n: String!, $s: String!, $p: ID) { createUnit(name: $n, slug: $s, parentId: $p) { id path } }"
SUBMIT = "mutation($input: EvidenceInput!) { submitEvidence(input: $input) { id version } }"
REVIEW = ('mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "approve", version: $v}) '
          "{ id status } }")
SCORES = ("query($p: ID!, $after: String) { subjects(periodId: $p, first: 20, after: $after) { totalCount "
          "nodes { id name score { total } } } }")
RANKING = "query($p: ID!) { ranking(periodId: $p, first: 20) { nodes { subjectId rank grade } } }"
JOURNAL = "mutation($input: JournalInput!) { submitJournal(input: $input) { week status version } }"
MIX = (("submit", 0.25), ("review", 0.2), ("journal", 0.15), ("scores", 0.2), ("ranking", 0.2))
PROCESS_NAMES = {"gateway.app": "gateway", "services.evidence": "evidence", "services.scoring": "scoring",
                 "services.ranking": "ranking"}




_TOKENS: dict[tuple[str, str, str], tuple[float, str]] = {}
TOKEN_TTL_SECONDS = 3600


def token(secret: str, role: str, scope: str) -> str:
    """The bearer token of one (role, scope) user, issued once and reused until near its expiry, as a client
    keeps the token of its login session (a new token per request would fill the gateway's bounded cache of
    verified tokens, 10,000 entries, with tokens nobody sends twice)."""
    from pydantic import SecretStr

    from gateway.auth import development_token
    from services.common.auth import Grant
    from services.common.settings import Settings

    key = (secret, role, scope)
    issued = _TOKENS.get(key)
    if issued is None or time.monotonic() > issued[0] + TOKEN_TTL_SECONDS - 60:
        made = development_token(Settings(jwt_secret=SecretStr(secret)), subject=f"load-{role}-{scope or 'all'}",
                                 grants=[Grant(role, scope)], ttl_seconds=TOKEN_TTL_SECONDS)  # type: ignore[arg-type]
        issued = _TOKENS[key] = (time.monotonic(), made)
    return issued[1]


class Stack:
    """`kaohe up` in a temporary folder on free ports."""

    def __init__(self, secret: str, extra_env: dict[str, str] | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kaohe-load-"))
        self.ports = {n: free_port() for n in ("gateway", "evidence", "scoring", "ranking")}
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAOHE_")}
        env.update({f"KAOHE_{n.upper()}_PORT": str(p) for n, p in self.ports.items()})
        env.update(KAOHE_DATA_DIR=str(self.folder / "data"), KAOHE_EMBEDDED_PG_PORT=str(free_port()),
                   KAOHE_JWT_SECRET=secret, KAOHE_LOG_LEVEL="WARNING")
        env.update(extra_env or {})
        # in English whatever the machine's locale: the ready line below is matched word for word
        self.process = subprocess.Popen([sys.executable, "-m", "kaohe", "--lang", "en", "up"], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.process.stdout is not None
        deadline = time.monotonic() + 600  # a loaded machine: kaohe up itself may take minutes
        for line in self.process.stdout:
            if line.strip() == "Press Ctrl-C to stop.":
                break
            if time.monotonic() > deadline:
                raise SystemExit("kaohe up was not ready in time")
        else:
            raise SystemExit(f"kaohe up exited with {self.process.wait()}")

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def processes(self) -> dict[str, psutil.Process]:
        """The four service processes and the PostgreSQL postmaster, by name."""
        found: dict[str, psutil.Process] = {}
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                cmdline = " ".join(child.cmdline())
            except psutil.Error:
                continue
            for marker, name in PROCESS_NAMES.items():
                if marker in cmdline and "uvicorn" in cmdline:
                    found[name] = child
            if child.name() == "postgres" and child.ppid() not in {p.pid for p in found.values()} \
                    and "postgres" not in found and "-D" in cmdline:
                found["postgres"] = child
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def rss_mb(processes: dict[str, psutil.Process]) -> dict[str, float]:
    out = {}
    for name, process in processes.items():
        try:
            out[name] = process.memory_info().rss / 1_048_576
        except psutil.Error:
            out[name] = float("nan")
    return out


@dataclass
class Run:
    gateway: str
    secret: str
    units: list[dict[str, str]] = field(default_factory=list)
    period: str = ""
    pending: list[tuple[str, int]] = field(default_factory=list)
    journaled: set[str] = field(default_factory=set)  # one journal per unit per week (a second is a conflict)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    rss_samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)

    async def gql(self, client: httpx.AsyncClient, bearer: str, query: str, **variables: Any) -> dict[str, Any]:
        response = await client.post("/graphql", json={"query": query, "variables": variables},
                                     headers={"Authorization": f"Bearer {bearer}"})
        body: dict[str, Any] = response.json() if response.status_code == 200 else {"errors": [response.text]}
        return body

    async def must(self, client: httpx.AsyncClient, bearer: str, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.gql(client, bearer, query, **variables)
        if body.get("errors"):
            raise SystemExit(f"set-up failed: {body['errors']}")
        return body

    async def setup(self, client: httpx.AsyncClient, subjects: int) -> None:
        admin = token(self.secret, "admin", "")
        slug = secrets.token_hex(3)
        city = (await self.must(client, admin, UNIT, n=f"负载市{slug}", s=f"load-{slug}"))["data"]["createUnit"]
        for i in range(subjects):
            made = await self.must(client, admin, UNIT, n=f"单位{i:03d}", s=f"u{i:03d}", p=city["id"])
            self.units.append(made["data"]["createUnit"])
        document = {**SCHEME, "id": f"load-{slug}"}
        draft = (await self.must(client, admin, "mutation($d: JSON!) { createScheme(document: $d) { id revision } }",
                                d=document))["data"]["createScheme"]
        await self.must(client, admin, "mutation($id: ID!, $r: Int!) { publishScheme(id: $id, version: 1, "
                                      "revision: $r) { status } }", id=draft["id"], r=draft["revision"])
        opened = await self.must(client, admin, """mutation($s: [EnrolmentInput!]!, $id: String!) { openPeriod(input: {
            schemeId: $id, schemeVersion: 1, label: "2026-Q4", subjects: $s}) { id } }""",
                                id=draft["id"], s=[{"id": u["id"], "group": "街道"} for u in self.units])
        self.period = opened["data"]["openPeriod"]["id"]
        await self.must(client, admin, 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "collecting") '
                                      "{ status } }", p=self.period)

    async def one(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
        if kind == "review" and not self.pending:
            kind = "submit"
        unit = rng.choice(self.units)
        if kind == "journal":
            waiting = [u for u in self.units if u["id"] not in self.journaled]
            unit = rng.choice(waiting) if waiting else unit
            kind = "journal" if waiting else "submit"
        started = time.perf_counter()
        if kind == "submit":
            indicator, content = (("work", {"points": str(rng.randint(35, 50)), "assessor": "考核办"})
                                  if rng.random() < 0.5 else
                                  ("rate", {"numerator": str(rng.randint(5, 10)), "denominator": "10"}))
            bearer = token(self.secret, "assessor" if indicator == "work" else "submitter", unit["path"])
            body = await self.gql(client, bearer, SUBMIT, input={
                "periodId": self.period, "subjectId": unit["id"], "indicator": indicator,
                "fact": "score" if indicator == "work" else "measure", "content": content})
            if "errors" not in body:
                made = body["data"]["submitEvidence"]
                self.pending.append((made["id"], made["version"]))
        elif kind == "journal":  # this week's journal of a unit that has not written it yet
            self.journaled.add(unit["id"])
            year, number, _ = datetime.now(ZoneInfo("Asia/Shanghai")).isocalendar()
            week = f"{year}-W{number:02d}"
            body = await self.gql(client, token(self.secret, "submitter", unit["path"]), JOURNAL, input={
                "periodId": self.period, "subjectId": unit["id"], "week": week, "text": f"本周工作{rng.random()}",
                "points": str(rng.randint(6, 10))})
        elif kind == "review":
            sub_id, version = self.pending.pop(rng.randrange(len(self.pending)))
            body = await self.gql(client, token(self.secret, "reviewer", ""), REVIEW, id=sub_id, v=version)
        elif kind == "scores":
            body = await self.gql(client, token(self.secret, "auditor", ""), SCORES, p=self.period)
        else:
            body = await self.gql(client, token(self.secret, "assessor", ""), RANKING, p=self.period)
        self.latencies[kind].append(time.perf_counter() - started)
        if "errors" in body:
            self.errors[kind] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{kind}: {str(body['errors'])[:300]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drive(run: Run, *, seconds: float, concurrency: int, max_requests: int, seed: int) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=run.gateway, timeout=60, limits=limits) as client:
        stop_at = time.monotonic() + seconds
        budget = [max_requests]

        async def worker(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            while time.monotonic() < stop_at and budget[0] > 0:
                budget[0] -= 1
                try:
                    await run.one(client, rng)
                except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                    run.errors["transport"] += 1
                    if len(run.samples) < 5:
                        run.samples.append(f"transport: {type(exc).__name__}: {exc}")

        started = time.monotonic()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        return time.monotonic() - started


async def main_async(args: argparse.Namespace) -> int:
    secret = args.jwt_secret or secrets.token_urlsafe(32)
    stack = None if args.gateway else Stack(secret)
    gateway = args.gateway or (stack.gateway if stack else "")
    try:
        run = Run(gateway, secret)
        async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
            await run.setup(client, args.subjects)
        processes = stack.processes() if stack else {}
        await drive(run, seconds=min(20.0, args.minutes * 60 / 10), concurrency=args.concurrency,
                    max_requests=args.max_requests, seed=args.seed + 1)  # warm-up, not measured
        run.latencies.clear()
        run.errors.clear()
        start_rss = rss_mb(processes)
        sampler = asyncio.create_task(sample_rss(processes, args.sample, run.rss_samples))
        try:
            elapsed = await drive(run, seconds=args.minutes * 60, concurrency=args.concurrency,
                                  max_requests=args.max_requests, seed=args.seed)
        finally:
            sampler.cancel()
        end_rss = rss_mb(processes)
    finally:
        if stack:
            stack.stop()
    report(run, elapsed, start_rss, end_rss, args)
    return 0


async def sample_rss(processes: dict[str, psutil.Process], every: float,
                     into: list[tuple[float, dict[str, float]]]) -> None:
    """The processes' RSS every `every` seconds of the measured run: a level that is reached and kept reads
    differently from a steady climb (docs/performance.md, "Load and soak")."""
    if every <= 0 or not processes:
        return
    started = time.monotonic()
    while True:
        await asyncio.sleep(every)
        into.append((time.monotonic() - started, rss_mb(processes)))


def report(run: Run, elapsed: float, start_rss: dict[str, float], end_rss: dict[str, float],
           args: argparse.Namespace) -> None:
    every = [v for values in run.latencies.values() for v in values]
    errors = sum(run.errors.values())
    print(f"kaohe load: {args.minutes} min, concurrency {args.concurrency}, {len(run.units)} subjects")
    for kind, values in sorted(run.latencies.items()):
        print(f"  {kind:8} n={len(values):6d}  p50={percentile(values, .5) * 1000:7.1f} ms  "
              f"p95={percentile(values, .95) * 1000:7.1f} ms  p99={percentile(values, .99) * 1000:7.1f} ms  "
              f"errors={run.errors.get(kind, 0)}")
    for sample in run.samples:
        print(f"  error sample: {sample}")
    services = [n for n in start_rss if n != "postgres"]
    for at, rss in run.rss_samples:
        print(f"  rss at {at:5.0f} s  " + "  ".join(f"{n}={rss[n]:.1f}" for n in services))
    for name in start_rss:
        growth = (end_rss[name] - start_rss[name]) / start_rss[name] * 100
        print(f"  rss {name:9} start={start_rss[name]:7.1f} MB end={end_rss[name]:7.1f} MB ({growth:+.1f}%)")
    total_start = sum(start_rss[n] for n in services)
    growth_pct = (sum(end_rss[n] for n in services) - total_start) / total_start * 100 if total_start else 0.0
    print(f"load: requests={len(every)} rps={len(every) / elapsed:.1f} p50_ms={percentile(every, .5) * 1000:.1f} "
          f"p95_ms={percentile(every, .95) * 1000:.1f} p99_ms={percentile(every, .99) * 1000:.1f} errors={errors} "
          f"mem_growth_pct={growth_pct:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the measured run (default 10)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--subjects", type=int, default=100, help="units enrolled in the period (default 100)")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="hard cap on requests")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sample", type=float, default=60.0,
                        help="print each process's RSS every this many seconds of the run (0: off; default 60)")
    parser.add_argument("--gateway", help="drive a running gateway instead of starting a stack")
    parser.add_argument("--jwt-secret", help="the running gateway's KAOHE_JWT_SECRET (with --gateway)")
    args = parser.parse_args()
    if args.gateway and not args.jwt_secret:
        parser.error("--gateway needs --jwt-secret")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
