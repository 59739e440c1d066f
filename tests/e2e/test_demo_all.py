"""`kaohe demo --scheme all` against a real stack: every example scheme (one subject per group, to stay
quick) goes through the services' APIs (submissions, rating tasks, journals) and each period's
ranking must equal the offline engine's on the same sample (the demo exits 1 otherwise). The two
roll-ups run on two sub-periods each: published, approved (审定) once the stack's clock file moved past
their 公示, then rolled up from the snapshots and checked against the offline roll-up."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cli_helpers import run_kaohe
from tests.e2e.stack import stack_env, start_stack

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "schemes"


@pytest.mark.timeout(1500)  # 9.4 min with 14 schemes at load 18 on 2 cores; ~1100 facts through the API
def test_every_example_scheme_through_the_services_matches_the_offline_engine(tmp_path: Path) -> None:
    schemes = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.yaml"))}
    from_facts = [s for s in schemes.values() if not s.get("rollup")]
    rollups = [s for s in schemes.values() if s.get("rollup")]
    assert len(from_facts) + len(rollups) == 20 and len(rollups) == 2
    clock_file = tmp_path / "clock"
    env, ports = stack_env(tmp_path / "data", KAOHE_CLOCK_FILE=clock_file)
    logs = tmp_path / "stack.log"
    stack = start_stack(env, ports, logs=logs)
    try:
        run = run_kaohe("--lang", "en", "demo", "--scheme", "all", "--subjects", "1", "--sub-periods", "2",
                        "--timeout", "300", env=env, timeout=1800)
    finally:
        stack.stop()
    errors = [line[-3000:] for line in logs.read_text(encoding="utf-8").splitlines() if '"level": "error"' in line]
    assert run.returncode == 0, (run.stderr[-1500:], errors[:2])  # the services' errors (tracebacks) say why
    # one verdict per period: 18 from facts, 2 sub-periods and the roll-up itself for each of the 2 roll-ups
    words = " ".join(run.stdout.split())  # a verdict line longer than the terminal is wrapped
    assert words.count("the same as the offline engine's (kaohe evaluate)") == len(from_facts) + 3 * len(rollups)
    for title in (s["title"] for s in from_facts + rollups):
        assert title[:10] in run.stdout
    assert "clock moved" in words and float(clock_file.read_text(encoding="utf-8")) > 0


def test_without_a_clock_file_the_roll_ups_are_left_out_and_said_so(tmp_path: Path) -> None:
    # approving a sub-period waits for its 公示 to end: a stack whose clock cannot move cannot run a roll-up;
    # the demo says so before it touches the stack (nothing listens on these ports)
    env, _ = stack_env(tmp_path / "data")
    run = run_kaohe("demo", "--scheme", "003-15-office-staff-annual", env=env, timeout=120)
    assert run.returncode == 2
    assert "kaohe demo: 003-15-office-staff-annual is a roll-up of finalized periods; it needs the stack's clock " \
           "file (KAOHE_CLOCK_FILE)" in run.stderr
