"""`kaohe demo` pieces that need no stack: sample loading and fact → submission mapping."""

from __future__ import annotations

import pytest
import typer

from kaohe.demo_cli import SchemeRun, _load_rollup, _load_sample, _offline, _submission


def _run() -> SchemeRun:
    run = _load_sample("001-7-procuratorate-office")
    run.period_id = "p-demo"
    run.subject_ids = {s["id"]: f"d1-{s['id']}" for s in run.facts["subjects"]}
    return run


def test_fact_becomes_a_submission_with_renamed_subjects_and_note_moved_to_justification() -> None:
    run = _run()
    fact = {"id": "k026", "subject": "jc04", "indicator": "supervision", "fact": "event", "type": "unhandled",
            "justified": True, "date": "2025-08-21", "note": "案件移送上级院"}
    assert _submission(run, fact) == {
        "period_id": "p-demo", "subject_id": "d1-jc04", "fact": "event", "indicator": "supervision",
        "content": {"type": "unhandled", "justified": True, "date": "2025-08-21"},
        "justification": "示例材料 k026:案件移送上级院",
    }
    veto = {"id": "v1", "subject": "jc01", "fact": "event", "type": "x", "participants": ["jc01", "jc02"]}
    body = _submission(run, veto)
    assert "indicator" not in body and body["content"]["participants"] == ["d1-jc01", "d1-jc02"]


def test_offline_expectation_uses_the_stack_ids() -> None:
    run = _run()
    expected = _offline(run)
    assert len(expected) == len(run.facts["subjects"])
    assert all(key[0].startswith("d1-") for key in expected)


def test_unknown_samples_are_refused_and_a_roll_up_loads_with_its_source() -> None:
    with pytest.raises(typer.Exit):
        _load_sample("no-such-scheme")
    # 003-15's annual scheme rolls up office-staff-quarterly (its `rollup.from`), whose example is
    # 003-15-office-staff-quarterly; its sample results name the four quarters of 2026
    run = _load_rollup("003-15-office-staff-annual", subjects_per_group=1, sub_periods=2)
    assert run.source.stem == "003-15-office-staff-quarterly"
    assert run.labels == ["2026-Q1", "2026-Q2"]
    assert run.rollup.tag == run.source.tag
    assert run.rollup.facts["subjects"] == run.source.facts["subjects"]
