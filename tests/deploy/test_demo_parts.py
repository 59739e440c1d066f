"""The pure parts of `kaohe demo`: the reduced sample and the replayed journal weeks."""

from __future__ import annotations

from datetime import date

from kaohe.demo_channels import is_task_rating, replayed_weeks
from kaohe.demo_cli import reduced


def test_reduced_keeps_the_first_subjects_of_each_group_and_only_their_facts() -> None:
    sample = {
        "period": "2026",
        "subjects": [{"id": "a1", "group": "A"}, {"id": "a2", "group": "A"}, {"id": "a3", "group": "A"},
                     {"id": "b1", "group": "B"}],
        "facts": [{"id": "f1", "subject": "a1"}, {"id": "f2", "subject": "a3"}, {"id": "f3", "subject": "b1"},
                  {"id": "f4", "subject": "a2", "participants": ["a2", "a3"]},
                  {"id": "f5", "subject": "a1", "participants": ["a3"]}],
    }
    out = reduced(sample, 2)
    assert [s["id"] for s in out["subjects"]] == ["a1", "a2", "b1"]
    assert [(f["id"], f.get("participants")) for f in out["facts"]] == [
        ("f1", None), ("f3", None), ("f4", ["a2"]), ("f5", ["a1"])]
    assert out["period"] == "2026"


def test_replayed_weeks_put_missing_weeks_just_before_the_first_open_week_without_a_gap() -> None:
    # 2026-12-07 is the Monday of 2026-W50
    weeks = replayed_weeks(["accepted", "missing", "excused", "missing", "accepted"], date(2026, 12, 7))
    assert weeks == ["2026-W50", "2026-W48", "2026-W51", "2026-W49", "2026-W52"]


def test_only_graded_votes_with_a_numeric_round_go_through_rating_tasks() -> None:
    assert is_task_rating({"fact": "rating", "grade": "优秀", "round": 2})
    assert is_task_rating({"fact": "rating", "rater": "r1"})  # an abstention is a ballot line too
    assert not is_task_rating({"fact": "rating", "points": "95", "round": 1})  # a survey's points: a submission
    assert not is_task_rating({"fact": "score", "points": "9"})
