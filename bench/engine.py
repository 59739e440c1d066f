"""Benchmark of the pure engine on a city-scale period (docs/performance.md, section "Engine").

    python bench/engine.py                 # 50,000 staff in 20 groups, 30 leaves, ~3.2M facts
    python bench/engine.py --subjects 5000

Times (1) a baseline loop that only iterates the fact dicts, reads one number per fact with
Decimal(str(...)) and sums them (issue 3: "sums one decimal field per fact"), and (2) the full
evaluation: score_period, then rank_period when the ranking engine exists, at N/10 and at N, to check that
10x the subjects costs at most 11x the time. The two sizes are timed in turns, `--repeat` times each (the
fastest of each kept, as timeit reports), so that a busy moment of a shared machine falls on both alike (each
N/10 run follows an untimed one, so it finds its data in the caches as consecutive runs would); the
baseline loop's own ratio is printed beside the engine's: it is what the memory hierarchy alone charges for
10x the data.
Peak memory is the process's ru_maxrss (tracemalloc is far too slow at this size). Each time is
reported as wall-clock seconds and as CPU seconds of this process (`cpu_*`): on a shared machine the
CPU figure is the one to compare between runs. `--phases` adds the time of each phase at N.
The engine runs as Python from a source or editable install, compiled from a wheel built with
KAOHE_MYPYC=1 (setup.py). The last line's `mode=` says which ran.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kaohe.engine import compiled, parse_scheme, score_period

try:
    from kaohe.engine import rank_period
except ImportError:  # the ranking engine is not there yet: time scoring alone
    rank_period = None  # type: ignore[assignment]

MONTHS = ("2026-01", "2026-02", "2026-03")
SCALE = {"优秀": 10, "良好": 8, "称职": 6, "不称职": 2}
BASELINE_FIELD = {
    "score": "points",
    "measure": "value",
    "event": "count",
    "rating": "round",
    "task": "task_id",
    "case": "points",
    "journal": "points",
}


def leaves() -> list[tuple[dict[str, Any], str, int]]:
    """30 leaves mixing every kind: (leaf, fact kind, facts per subject)."""
    out: list[tuple[dict[str, Any], str, int]] = []
    for i in range(6):
        out.append(({"code": f"manual_{i}", "max": 10, "rule": {"kind": "manual"}}, "score", 2))
    for i in range(4):
        rule = {
            "kind": "deduction",
            "per_event": {"late": 1, "absent": 5},
            "zero_when": [{"type": "absent", "count_gte": 3}],
        }
        out.append(({"code": f"deduct_{i}", "max": 10, "rule": rule}, "event", 2))
    for i in range(3):
        rule = {"kind": "accrual", "levels": {"国家级": 5, "省级": 3, "市级": 1}, "per_event": {"x": 1}}
        out.append(({"code": f"accrual_{i}", "max": 5, "rule": rule, "bonus": True}, "event", 2))
    for i in range(2):
        out.append(({"code": f"ratio_{i}", "max": 10, "rule": {"kind": "ratio", "target": "0.72"}}, "measure", 1))
        out.append(
            (
                {
                    "code": f"completion_{i}",
                    "max": 10,
                    "rule": {"kind": "completion", "target": 100, "bonus_per_point": "0.01"},
                },
                "measure",
                1,
            )
        )
        bands = [{"min": "0.9", "points": "1.5"}, {"min": "0.8", "points": 1}, {"min": "0.7", "points": "0.6"}]
        out.append(
            (
                {"code": f"banded_{i}", "max": "1.5", "rule": {"kind": "banded", "each": "month", "bands": bands}},
                "measure",
                3,
            )
        )
        out.append(({"code": f"tasks_{i}", "max": 3, "rule": {"kind": "per_occurrence"}}, "task", 3))
        out.append(({"code": f"cases_{i}", "max": 25, "rule": {"kind": "cases"}}, "case", 2))
        out.append(({"code": f"journal_{i}", "max": 5, "rule": {"kind": "journal", "scale_max": 10}}, "journal", 4))
    for i in range(3):
        rule = {
            "kind": "rating",
            "scale": SCALE,
            "combine": "mean_of_levels",
            "levels": ["领导", "同事", "群众"],
            "missing_level": "full",
        }
        out.append(({"code": f"rating_{i}", "max": 10, "rule": rule}, "rating", 3))
    rank = {
        "kind": "rank_points",
        "of": "manual_0",
        "bands": [{"top": "0.25", "points": 10}, {"top": "0.55", "points": 8}, {"top": 1, "points": 6}],
    }
    out.append(({"code": "rank_0", "max": 10, "rule": rank}, "", 0))
    peer = {
        "kind": "peer_relative",
        "direction": "lower_better",
        "peer_scope": "group",
        "bands": [
            {"max_index": "0.9", "points": 5},
            {"max_index": "1.1", "points": 3},
            {"max_index": 1000, "points": 1},
        ],
    }
    out.append(({"code": "peer_0", "max": 5, "rule": peer}, "measure", 1))
    return out


def scheme_document(groups: list[str]) -> dict[str, Any]:
    """Five capped parents of six leaves each, graded and ranked in groups."""
    items = leaves()
    parents = []
    for p in range(5):
        kids = [dict(leaf, name=leaf["code"]) for leaf, _, _ in items[p * 6 : (p + 1) * 6]]
        parents.append({"code": f"part_{p}", "name": f"第{p + 1}部分", "max": 20, "cap": True, "children": kids})
    return {
        "id": "bench-city",
        "version": 1,
        "title": "城市机关绩效考核(基准)",
        "subject_kind": "person",
        "period": "quarter",
        "groups": groups,
        "indicators": parents,
        "vetoes": [{"event": "serious_violation", "effect": "zero_total"}],
        "ranking": {"scope": "group", "order": ["total"]},
        "grading": {
            "bands": [{"grade": "优秀", "min": 80}, {"grade": "良好", "min": 60}, {"grade": "不称职"}],
            "quotas": [{"grade": "优秀", "max_share": "25%"}],
        },
        "labels": [{"label": "通报表扬", "top": 3}],
        "rewards": [{"name": "季度绩效奖金", "by_grade": {"优秀": 2100, "良好": 1800}}],
    }


def _fact_fields(code: str, kind: str, n: int, rng: random.Random) -> dict[str, Any]:
    if kind == "score":
        return {"points": str(rng.randint(50, 100) / 10), "assessor": "科室负责人"}
    if kind == "event" and code.startswith("deduct"):
        return {"type": ("late", "absent")[n % 2], "count": rng.randint(0, 2)}
    if kind == "event":
        return {
            "level": rng.choice(("国家级", "省级", "市级")),
            "type": "x",
            "count": 1,
            "key": f"k{rng.randint(1, 2)}",
        }
    if kind == "measure" and code.startswith("completion"):
        return {"value": rng.randint(80, 120)}
    if kind == "measure":
        return {"value": str(rng.randint(60, 120) / 100), "month": MONTHS[n % 3]}
    if kind == "task":
        return {"task_id": n, "completed": rng.random() < 0.8}
    if kind == "case":
        return {"case_id": f"c{n}", "points": rng.randint(60, 100), "weight": 1}
    if kind == "journal":
        return {"week": f"2026-W{n + 1:02d}", "points": rng.randint(5, 10), "status": "accepted"}
    return {"rater": f"r{n}", "level": ("领导", "同事", "群众")[n % 3], "grade": rng.choice(list(SCALE)), "round": 1}


def facts_document(n_subjects: int, seed: int = 7) -> dict[str, Any]:
    """A period with n subjects in 20 groups and ~64 facts each."""
    rng = random.Random(seed)
    groups = [f"第{g + 1}组" for g in range(20)]
    subjects = [
        {"id": f"s{i:06d}", "group": groups[i % 20], "attributes": {"months_in_post": 3}} for i in range(n_subjects)
    ]
    facts: list[dict[str, Any]] = []
    plan = [(leaf["code"], kind, count) for leaf, kind, count in leaves() if count]
    serial = 0
    for subject in subjects:
        sid = subject["id"]
        for code, kind, count in plan:
            for n in range(count):
                serial += 1
                facts.append(
                    {
                        "id": f"f{serial}",
                        "subject": sid,
                        "indicator": code,
                        "fact": kind,
                        **_fact_fields(code, kind, n, rng),
                    }
                )
        if rng.random() < 0.001:
            serial += 1
            facts.append({"id": f"f{serial}", "subject": sid, "fact": "event", "type": "serious_violation", "count": 1})
    return {
        "scheme": "bench-city",
        "version": 1,
        "period": "2026-Q1",
        "subjects": subjects,
        "facts": facts,
        "groups": groups,
    }


Times = tuple[float, float]  # (wall-clock seconds, CPU seconds)


def _clock() -> Times:
    return time.perf_counter(), time.process_time()


def _since(start: Times) -> Times:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def baseline(facts: list[dict[str, Any]]) -> tuple[Times, Decimal]:
    """Iterate the facts, reading one number per fact exactly and summing them: (times, the sum)."""
    start = _clock()
    fields = BASELINE_FIELD
    total = Decimal(0)
    for fact in facts:
        total += Decimal(str(fact[fields[fact["fact"]]]))
    return _since(start), total


def full_evaluation(scheme_doc: dict[str, Any], facts_doc: dict[str, Any]) -> Times:
    """Parse, score and (when available) rank one period."""
    gc.collect()
    start = _clock()
    scores = score_period(parse_scheme(scheme_doc), facts_doc)
    if rank_period is not None:
        rank_period(scores)
    return _since(start)


def phases(scheme_doc: dict[str, Any], facts_doc: dict[str, Any]) -> None:
    """CPU seconds of each phase: sort, hash, the rest of score_period, rank_period."""
    from kaohe.engine.canonical import inputs_sha256, sorted_by_id

    gc.collect()
    start = _clock()
    ordered = sorted_by_id(facts_doc["facts"])
    sort = _since(start)
    inputs_sha256(scheme_doc, facts_doc, sorted_facts=ordered)
    hashed = _since(start)
    del ordered
    gc.collect()
    start = _clock()
    scores = score_period(parse_scheme(scheme_doc), facts_doc)
    scored = _since(start)
    if rank_period is not None:
        rank_period(scores)
    ranked = _since(start)
    print(
        f"  phases (cpu s): sort={sort[1]:.2f} hash={hashed[1] - sort[1]:.2f} "
        f"scoring_proper={scored[1] - hashed[1]:.2f} rank={ranked[1] - scored[1]:.2f}"
    )


Period = tuple[dict[str, Any], dict[str, Any]]  # (scheme document, facts document)


def period(n_subjects: int) -> Period:
    facts_doc = facts_document(n_subjects)
    groups = facts_doc.pop("groups")
    return scheme_document(groups), facts_doc


def fastest(samples: list[Times]) -> Times:
    """The fastest of several timings, by CPU time."""
    return min(samples, key=lambda t: t[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=50_000)
    parser.add_argument("--phases", action="store_true", help="also time each phase at N (CPU seconds)")
    parser.add_argument("--repeat", type=int, default=3, help="time each size that many times, keep the fastest")
    args = parser.parse_args()
    n, small_n = args.subjects, max(args.subjects // 10, 20)
    what = "scoring + ranking" if rank_period is not None else "scoring only (ranking engine not found)"
    print(f"timing {what}; engine {'compiled' if compiled() else 'python'}")
    sizes = {small_n: period(small_n), n: period(n)}
    base: dict[int, list[Times]] = {small_n: [], n: []}
    full: dict[int, list[Times]] = {small_n: [], n: []}
    for _ in range(max(args.repeat, 1)):  # in turns: N/10, N, N/10, N, ...
        for size, (scheme_doc, facts_doc) in sizes.items():
            if size == small_n:  # untimed: N/10 fits the caches, and is timed in them, as in consecutive runs
                full_evaluation(scheme_doc, facts_doc)
            times, total = baseline(facts_doc["facts"])
            base[size].append(times)
            full[size].append(full_evaluation(scheme_doc, facts_doc))
            if len(full[size]) == 1:
                print(f"  n={size}: baseline sum of one field per fact = {total}")
    if args.phases:
        phases(*sizes[n])
    facts = {size: len(facts_doc["facts"]) for size, (_, facts_doc) in sizes.items()}
    (small_full, small_cpu), (small_base, small_base_cpu) = fastest(full[small_n]), fastest(base[small_n])
    (wall, cpu), (base_wall, base_cpu) = fastest(full[n]), fastest(base[n])
    for size, (b, f, c) in ((small_n, (small_base, small_full, small_cpu)), (n, (base_wall, wall, cpu))):
        print(f"  n={size}: facts={facts[size]} baseline={b:.3f}s full={f:.2f}s cpu={c:.2f}s")
    ratio_10x = wall / small_full if small_full else 0.0
    cpu_10x = cpu / small_cpu if small_cpu else 0.0
    base_10x = base_cpu / small_base_cpu if small_base_cpu else 0.0
    verdict = "ok" if cpu_10x <= 11 else "OVER 11x"  # CPU time: wall-clock time also counts other jobs
    print(f"  10x subjects cost {cpu_10x:.2f}x cpu ({verdict}), {ratio_10x:.2f}x time "
          f"(the baseline loop: {base_10x:.2f}x cpu)")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"engine: subjects={n} facts={facts[n]} seconds={wall:.2f} facts_per_s={facts[n] / wall:.0f} "
        f"baseline_ratio={wall / base_wall:.2f} peak_mib={peak_mib:.0f} cpu_seconds={cpu:.2f} "
        f"facts_per_cpu_s={facts[n] / cpu:.0f} cpu_baseline_ratio={cpu / base_cpu:.2f} "
        f"ratio_10x_cpu={cpu_10x:.2f} mode={'compiled' if compiled() else 'python'}"
    )


if __name__ == "__main__":
    main()
