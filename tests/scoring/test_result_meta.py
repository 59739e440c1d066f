"""The period's result meta keeps only subjects with vetoes or flags (readers take absence as none)."""

from __future__ import annotations

from services.scoring.scores.compute import result_meta
from tests.engine.ranking._support import period, scheme, subject


def test_result_meta_lists_only_subjects_with_vetoes_or_flags() -> None:
    vetoed = subject("a", "10", vetoes=["bottom"])
    flagged = subject("b", "20")
    flagged.flags.append({"capped": "work"})
    plain = subject("c", "30")
    scores = period(scheme(), [vetoed, flagged, plain])
    meta = result_meta(scores)
    assert meta["subjects"] == {
        "a": {"vetoes": [{"event": "verified_complaint", "fact": "v-a-0"}], "flags": []},
        "b": {"vetoes": [], "flags": [{"capped": "work"}]},
    }
    assert result_meta(scores, only={"b", "c"})["subjects"] == {"b": {"vetoes": [], "flags": [{"capped": "work"}]}}
