"""Benchmark of audit verification (docs/performance.md, section "Audit verification").

    python bench/audit.py                          # 1,000,000 records, 400,000 of them rows of score versions
    python bench/audit.py --records 100000 --rows 40000
    python bench/audit.py --write-cost 300         # what the row digests cost a write (no verification)

Builds a throw-away database on the PostgreSQL of KAOHE_BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres) and migrates it. Setup (not timed): `--rows` score versions are
written in one transaction through the audited path (the table's trigger notes each row, the commit's seal chains
a `row.write` record per row), then the chain is filled up to `--records` with records like a recompute's. Then a
fresh child process verifies the scoring service as `kaohe audit verify --service scoring` does (the whole chain
recomputed, every live row of the audited tables compared with its record, in one snapshot) and prints

    audit: records=N seconds=S records_per_s=X peak_mib=M

where peak_mib is the child's peak resident memory (VmHWM: the interpreter and kaohe's imports included). Run it at
two sizes to see that memory stays flat (the chain is streamed with COPY, the rows are compared
by PostgreSQL, which sends back only the rows that differ).

`--write-cost T` measures instead what the audited tables' row-digest triggers and their sealing cost the writes:
T transactions, each writing score versions through the scoring service's own path (`insert_versions`, COPY, in
`session_scope` with the service's commit hook), once with the triggers and once with them disabled, alternating
in three rounds, for 1 and for 100 rows a transaction. It prints, per written row, the medians of the wall time,
of this process's CPU and of the PostgreSQL backends' CPU (read from /proc: the server is local), and ends with

    audit_write: rows_per_tx=R with_us=A without_us=B cpu_with_us=C cpu_without_us=D

where cpu is this process's and the server's CPU together (steadier than wall time on a busy machine).

Not getrusage's ru_maxrss: Python starts the child with vfork + exec, and Linux folds the address space the child
leaves at exec (the parent's, which holds the setup's records) into the child's ru_maxrss, so it reported the
setup's memory, which grows with the records, not the verification's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHILD = """
import asyncio, json, sys, time
import asyncpg
from services.common.audit import verify_service
from services.common.audit_rows import AUDITED

async def main(url):
    conn, rows_conn = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        report = await verify_service(conn, "scoring", AUDITED["scoring"], rows_conn=rows_conn)
        seconds = time.perf_counter() - started
    finally:
        await conn.close()
        await rows_conn.close()
    with open("/proc/self/status") as status:  # this process's own peak since exec (Linux)
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"ok": report.ok, "records": report.records, "rows": report.rows, "seconds": seconds,
                      "peak_mib": peak, "problems": report.row_problem_count, "reason": report.reason}))

asyncio.run(main(sys.argv[1]))
"""


async def _period(conn: Any) -> None:
    await conn.execute("INSERT INTO scoring.scheme (id, owner_path) VALUES ('bench', '')")
    await conn.execute("INSERT INTO scoring.period (id, scheme_id, scheme_version, label, owner_path, status, "
                       "score_set, result_meta, pending_causes, created_by) VALUES ('p-bench', 'bench', 1, "
                       "'2026-Q1', '', 'scoring', 1, '{}', '[]', 'bench')")


async def _admin(base_dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(base_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def setup(url: str, records: int, rows: int) -> None:
    """`rows` score versions through the audited path, then plain records up to `records`."""
    from services.common.audit import GENESIS, AuditEntry, row_entries

    conn = await asyncpg.connect(url)
    try:
        # the seal's own work, as a service's commit does it (services/common/audit.py chain_sealer)
        async with conn.transaction():
            await _period(conn)
            await conn.execute(
                "INSERT INTO scoring.score_version (period_id, subject_id, indicator, value, fact_ids, explain, cause, "
                "score_set, inputs_sha256) SELECT 'p-bench', 's' || (n / 10), 'i' || (n % 10), (n % 10000) / 100.0, "
                "'[\"f1\", \"f2\"]', 'manual ' || n, 'bench', 1, repeat('a', 64) FROM generate_series(1, $1) n", rows)
            notes = await conn.fetch("DELETE FROM scoring.audit_touched WHERE tx = txid_current_if_assigned() "
                                     "RETURNING id, table_name, row_key, row_digest")
            entries = row_entries([tuple(n.values()) for n in notes], "system")
            prev = await _write(conn, entries, GENESIS)
        plain = records - (await conn.fetchval("SELECT count(*) FROM scoring.audit_record"))
        batch = 50_000
        for start in range(0, plain, batch):
            entries = [AuditEntry("bench", "scores.recompute", "period", "p-bench", None, "b" * 64,
                                  {"cause": f"event:{start + k}", "score_set": start + k})
                       for k in range(min(batch, plain - start))]
            prev = await _write(conn, entries, prev)
        await conn.execute("VACUUM ANALYZE scoring.audit_record")
        await conn.execute("VACUUM ANALYZE scoring.score_version")
    finally:
        await conn.close()


_now = datetime(2026, 12, 7, tzinfo=UTC)


async def _write(conn: Any, entries: list[Any], prev: str) -> str:
    from services.common.audit import chain_records

    global _now
    _now += timedelta(seconds=1)
    for start in range(0, len(entries), 50_000):
        rows = chain_records(entries[start:start + 50_000], prev, _now, None)
        columns = list(rows[0])
        await conn.copy_records_to_table(
            "audit_record", schema_name="scoring", columns=columns,
            records=[tuple(json.dumps(r[c]) if c == "details" else r[c] for c in columns) for r in rows])
        prev = rows[-1]["hash"]
    return prev


def verify(url: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", CHILD, url], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[1])
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _backend_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the given server processes have used."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


async def write_cost(url: str, transactions: int) -> None:
    """Per written row: wall time and CPU with the row-digest triggers and without (module docstring)."""
    from decimal import Decimal
    from statistics import median

    from services.common.audit import install_audit
    from services.common.db import Database, create_engine, session_scope
    from services.scoring.db import common
    from services.scoring.scores.repository import insert_versions

    conn = await asyncpg.connect(url)
    await _period(conn)
    db = Database(create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1), pool_size=1), "scoring")
    install_audit(db, common.audit, common.touched)
    counter = 0

    async def batch(rows_per_tx: int) -> tuple[float, float]:
        nonlocal counter
        pids = [r[0] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()")]
        wall, cpu, server = time.perf_counter(), time.process_time(), _backend_cpu(pids)
        for _ in range(transactions):
            counter += 1
            records = [("p-bench", f"s{counter}", f"i{k}", Decimal(f"{k % 100}.25"), '["f1", "f2"]', f"manual {k}",
                        "bench", 1, "a" * 64, _now) for k in range(rows_per_tx)]
            async for session in session_scope(db):
                await insert_versions(session, records)
        written = transactions * rows_per_tx
        pids = [r[0] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()")]
        return ((time.perf_counter() - wall) / written * 1e6,
                (time.process_time() - cpu + _backend_cpu(pids) - server) / written * 1e6)

    try:
        async for session in session_scope(db):  # the pool's connection exists before the first measure
            await insert_versions(session, [("p-bench", "warm", "i", Decimal(1), "[]", "", "bench", 1, "a" * 64, _now)])
        for rows_per_tx in (1, 100):
            figures: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
            for _round in range(3):
                for audited in (True, False):
                    await conn.execute(f"ALTER TABLE scoring.score_version {'ENABLE' if audited else 'DISABLE'} "
                                       "TRIGGER audit_row_insert")
                    figures[audited].append(await batch(rows_per_tx))
            with_, without = figures[True], figures[False]
            print(f"audit_write: rows_per_tx={rows_per_tx} with_us={median(w for w, _ in with_):.0f} "
                  f"without_us={median(w for w, _ in without):.0f} cpu_with_us={median(c for _, c in with_):.0f} "
                  f"cpu_without_us={median(c for _, c in without):.0f}")
    finally:
        await db.dispose()
        await conn.close()


async def run(records: int, rows: int, transactions: int | None = None) -> None:
    from migrations.runner import upgrade_all
    from services.common.settings import SERVICES

    base = os.environ.get("KAOHE_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"kaohe_bench_{secrets.token_hex(4)}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade_all, dict.fromkeys(SERVICES, url.replace("postgresql://",
                                                                                 "postgresql+asyncpg://", 1)))
        if transactions is not None:
            await write_cost(url, transactions)
            return
        started = time.perf_counter()
        await setup(url, records, rows)
        print(f"setup: {records:,} records, {rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        result = await asyncio.to_thread(verify, url)
        assert result["ok"] and result["records"] == records and result["rows"] == rows + 2, result
        print(f"audit: records={result['records']} seconds={result['seconds']:.2f} "
              f"records_per_s={result['records'] / result['seconds']:.0f} peak_mib={result['peak_mib']:.0f}")
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=400_000, help="score versions written (one record each)")
    parser.add_argument("--write-cost", type=int, metavar="T",
                        help="measure the row-digest triggers' cost on T transactions per round instead")
    args = parser.parse_args()
    if args.rows >= args.records:
        parser.error("--rows must be below --records")
    if args.write_cost is not None and args.write_cost < 1:
        parser.error("--write-cost must be at least 1")
    asyncio.run(run(args.records, args.rows, args.write_cost))


if __name__ == "__main__":
    main()
