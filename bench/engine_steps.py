"""CPU seconds of each step inside score_period and rank_period on bench/engine.py's period.

    python bench/engine_steps.py --subjects 50000 --runs 2

Finer than `bench/engine.py --phases`: sorting the facts, reading the subjects, bucketing the facts,
evaluating the nodes, the totals, the inputs hash, freeing the working state, ranking, freeing the
result. Each step also shows the page faults it took (thousands of minor faults: fresh memory
touched for the first time). It calls the scoring engine's internal steps in score_keeping's order,
so it follows that function when it changes.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from decimal import localcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import facts_document, scheme_document

from kaohe.engine import compiled, parse_scheme, rank_period
from kaohe.engine.canonical import inputs_sha256, sorted_by_id
from kaohe.engine.scheme.expression import CONTEXT
from kaohe.engine.scheme.model import PeriodScores
from kaohe.engine.scoring import score as steps
from kaohe.engine.scoring.collector import paused_gc


class Laps:
    """CPU seconds and thousands of minor page faults since the previous lap."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.last = self._now()

    @staticmethod
    def _now() -> tuple[float, int]:
        return time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def lap(self, name: str) -> None:
        now = self._now()
        self.parts.append(f"{name}={now[0] - self.last[0]:.3f}/{(now[1] - self.last[1]) // 1000}k")
        self.last = now


def one_run(scheme_doc: dict, facts_doc: dict) -> str:
    gc.collect()
    laps = Laps()
    with paused_gc(), localcontext(CONTEXT):  # as score_period runs
        scheme = parse_scheme(scheme_doc)
        ordered = sorted_by_id(facts_doc["facts"])
        laps.lap("sort")
        problems: list = []
        period = steps.Period(scheme, steps.read_subjects(facts_doc.get("subjects"), scheme, problems))
        period.problems.extend(problems)
        laps.lap("subjects")
        steps.bucket_facts(period, ordered)
        laps.lap("bucket")
        steps.assignment(period)
        steps.evaluate_nodes(period)
        laps.lap("nodes")
        subjects = steps.totals(period)
        period.problems.sort(key=steps.problem_key)
        laps.lap("totals")
        digest = inputs_sha256(scheme.document, facts_doc, sorted_facts=ordered)
        laps.lap("hash")
        scores = PeriodScores(scheme=scheme, period="", subjects=subjects, problems=period.problems,
                              inputs_sha256=digest)
        del period, ordered, subjects
        laps.lap("free")
    document = rank_period(scores)
    laps.lap("rank")
    del document, scores
    laps.lap("free_result")
    return "  cpu s/k faults: " + " ".join(laps.parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    facts_doc = facts_document(args.subjects)
    scheme_doc = scheme_document(facts_doc.pop("groups"))
    print(f"steps at {args.subjects} subjects; engine {'compiled' if compiled() else 'python'}")
    for _ in range(args.runs):
        print(one_run(scheme_doc, facts_doc))


if __name__ == "__main__":
    main()
