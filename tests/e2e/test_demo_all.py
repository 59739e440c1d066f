"""`kaohe demo --scheme all` against a real stack: every example scheme (one subject per group, to stay
quick) goes through the services' APIs (submissions, rating tasks, journals) and each period's
ranking must equal the offline engine's on the same sample (the demo exits 1 otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cli_helpers import run_kaohe
from tests.e2e.stack import stack_env, start_stack

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "schemes"


@pytest.mark.timeout(1200)  # 9.4 min with 14 schemes at load 18 on 2 cores; ~1100 facts through the API
def test_every_example_scheme_through_the_services_matches_the_offline_engine(tmp_path: Path) -> None:
    schemes = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.yaml"))}
    from_facts = [s for s in schemes.values() if not s.get("rollup")]
    rollups = [stem for stem, s in schemes.items() if s.get("rollup")]
    env, ports = stack_env(tmp_path / "data")
    stack = start_stack(env, ports)
    try:
        run = run_kaohe("demo", "--scheme", "all", "--subjects", "1", "--timeout", "300", env=env, timeout=1500)
    finally:
        stack.stop()
    assert run.returncode == 0, (run.stdout[-3000:], run.stderr[-3000:])
    assert run.stdout.count("与离线引擎 (kaohe evaluate) 结果一致") == len(from_facts)
    for title in (s["title"] for s in from_facts):
        assert title[:10] in run.stdout
    for stem in rollups:  # roll-ups need finalized sub-periods; the demo says it leaves them out
        assert f"kaohe demo: {stem} is a roll-up of finalized periods; not run here" in run.stderr
