"""Due instants stay UTC as before (existing clients parse them), with the office's day and the same instant at
the office's offset beside them (newcomer probe: `2026-03-31T15:59:59.999999Z` is the end of 31 March in
Asia/Shanghai, which an integrator should not have to work out)."""

from __future__ import annotations

from gateway.types import local_date, local_instant
from gateway.types.appeal import Appeal
from gateway.types.evidence import Submission


def test_a_review_deadline_reads_as_the_offices_day() -> None:
    submission = Submission.from_json({"id": "s1", "level_due_at": "2026-03-31T15:59:59.999999Z"})
    assert submission.level_due_at == "2026-03-31T15:59:59.999999Z"  # unchanged
    assert submission.level_due_on == "2026-03-31"
    assert submission.level_due_local == "2026-03-31T23:59:59.999999+08:00"
    # the service's own form of the same instant (+00:00) reads the same
    same = Submission.from_json({"id": "s1", "level_due_at": "2026-03-31T15:59:59.999999+00:00"})
    assert (same.level_due_on, same.level_due_local) == ("2026-03-31", "2026-03-31T23:59:59.999999+08:00")


def test_an_appeal_answer_due_after_4pm_utc_is_due_the_next_office_day() -> None:
    appeal = Appeal.from_json({"id": "a1", "answer_due_at": "2026-04-09T16:30:00Z"})
    assert (appeal.answer_due_at, appeal.answer_due_on, appeal.answer_due_local) == (
        "2026-04-09T16:30:00Z", "2026-04-10", "2026-04-10T00:30:00+08:00")


def test_nothing_due_and_text_that_is_no_instant_give_nothing() -> None:
    submission = Submission.from_json({"id": "s1"})
    assert (submission.level_due_on, submission.level_due_local) == (None, None)
    assert (local_date("soon"), local_instant("2026-03-31T23:59:59")) == (None, None)  # no zone: not an instant


def test_an_appeal_answer_due_note_is_passed_on_as_the_service_wrote_it() -> None:
    """(newcomer probe M4) as Submission.levelDueNote: the service renders it in the reader's language."""
    note = "尚未导入 2027 年的节假日安排：工作日按周一至周五计算（未计节假日和调休）"
    appeal = Appeal.from_json({"id": "a1", "answer_due_at": "2027-01-12T15:59:59.999999Z", "answer_due_note": note})
    assert (appeal.answer_due_on, appeal.answer_due_note) == ("2027-01-12", note)
    assert Appeal.from_json({"id": "a1", "answer_due_at": "2026-06-15T15:59:59.999999Z"}).answer_due_note is None
