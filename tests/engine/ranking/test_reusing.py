"""`rank_period_reusing`: re-ranking only the scopes that changed gives `rank_period`'s document."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import rank_period
from kaohe.engine.ranking import dumps_result
from kaohe.engine.ranking.result import rank_period_reusing, scope_local
from kaohe.engine.scheme.model import Label, Quota, Ranking, Reward, SubjectScore

from ._support import D, grading, period, scheme, subject

totals = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)
veto_sets = st.lists(st.sampled_from(["grade", "max_grade", "bottom", "downgrade", "no_label"]), max_size=2)
group_names = st.sampled_from(["A", "B", "C", ""])


def _quota_scheme():  # type: ignore[no-untyped-def]
    return scheme(
        groups=("A", "B", "C"),
        grading=grading(quotas=(Quota("优秀", D("0.3"), "floor"), Quota("良好", D("0.5"), "round"))),
        labels=(Label("表扬", top=2), Label("批评", bottom_share=D("0.2"), rounding="ceil")),
    )


@st.composite
def rounds(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    """A period, then up to 4 rounds each replacing, adding or removing a few subjects."""
    count = draw(st.integers(min_value=1, max_value=14))
    subjects = {f"s{i:02}": subject(f"s{i:02}", str(draw(totals)), draw(group_names), vetoes=draw(veto_sets))
                for i in range(count)}
    history = [dict(subjects)]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        current = dict(history[-1])
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            sid = f"s{draw(st.integers(min_value=0, max_value=count + 2)):02}"
            if draw(st.booleans()) and sid in current:
                del current[sid]
            else:
                current[sid] = subject(sid, str(draw(totals)), draw(group_names), vetoes=draw(veto_sets))
        history.append(current)
    return history


@settings(max_examples=80, deadline=None)
@given(rounds())
def test_reusing_equals_a_full_ranking_round_after_round(history: list[dict[str, SubjectScore]]) -> None:
    the_scheme = _quota_scheme()
    assert scope_local(the_scheme)
    memo = None
    for subjects in history:
        scores = period(the_scheme, list(subjects.values()))
        document, memo = rank_period_reusing(scores, memo)
        assert memo is not None
        assert dumps_result(document) == dumps_result(rank_period(scores))


def test_only_the_changed_group_is_ranked_again_and_the_others_keep_their_entries() -> None:
    the_scheme = scheme(groups=("A", "B"))
    a1, a2 = subject("a1", "90", "A"), subject("a2", "80", "A")
    b1, b2 = subject("b1", "70", "B"), subject("b2", "60", "B")
    first, memo = rank_period_reusing(period(the_scheme, [b2, a2, b1, a1]), None)
    assert [(e["id"], e["rank"]) for e in first["subjects"]] == [("a1", 1), ("a2", 2), ("b1", 1), ("b2", 2)]
    # b2 overtakes b1: group B is ranked again; group A's entries are the very same objects.
    second, _ = rank_period_reusing(period(the_scheme, [a1, a2, b1, subject("b2", "75", "B")]), memo)
    assert [(e["id"], e["rank"], e["total"]) for e in second["subjects"]] == [
        ("a1", 1, "90.00"), ("a2", 2, "80.00"), ("b2", 1, "75.00"), ("b1", 2, "70.00")]
    assert second["subjects"][0] is first["subjects"][0] and second["subjects"][1] is first["subjects"][1]
    assert second["subjects"][3] is not first["subjects"][2]


def test_schemes_whose_groups_interact_are_ranked_in_full() -> None:
    a1, b1 = subject("a1", "90", "A"), subject("b1", "70", "B")
    pooled = scheme(rewards=(Reward("名次", by_rank=(D(300),)),))
    together = scheme(labels=(Label("二十佳", top=1, groups=("A", "B")),))
    everyone = scheme(ranking=Ranking(scope="all"))
    for the_scheme in (pooled, together, everyone):
        assert not scope_local(the_scheme)
        document, memo = rank_period_reusing(period(the_scheme, [a1, b1]), None)
        assert memo is None
        assert document == rank_period(period(the_scheme, [a1, b1]))


def test_a_ranking_keeps_nothing_of_its_scores_alive_once_dropped() -> None:
    """The document parts a ranking reuses live on each SubjectScore, not in a process-wide table: a
    long-running ranking service must not hold every score it ever ranked (it grew 25 % in a soak)."""
    import sys

    the_scheme = scheme(groups=("A",))
    scores = [subject(f"s{i}", str(90 - i), "A") for i in range(3)]
    before = [sys.getrefcount(s) for s in scores]
    first = rank_period(period(the_scheme, scores))
    again = rank_period(period(the_scheme, scores))
    assert again == first
    assert again["subjects"][0]["scores"] is first["subjects"][0]["scores"]  # reused from the score itself
    del first, again
    assert [sys.getrefcount(s) for s in scores] == before
    assert all(s.rendered is not None and s.rendered[0] is the_scheme for s in scores)


def test_a_re_ranked_group_keeps_the_entries_of_subjects_whose_result_did_not_change() -> None:
    the_scheme = scheme(groups=("A",))
    a1, a2, a3 = subject("a1", "90", "A"), subject("a2", "80", "A"), subject("a3", "70", "A")
    first, memo = rank_period_reusing(period(the_scheme, [a1, a2, a3]), None)
    # a3 gains 5 points and stays third: the group is ranked again, a1's and a2's entries are kept
    second, memo = rank_period_reusing(period(the_scheme, [a1, a2, subject("a3", "75", "A")]), memo)
    assert [(e["id"], e["rank"], e["total"]) for e in second["subjects"]] == [
        ("a1", 1, "90.00"), ("a2", 2, "80.00"), ("a3", 3, "75.00")]
    assert second["subjects"][0] is first["subjects"][0] and second["subjects"][1] is first["subjects"][1]
    assert second["subjects"][2] is not first["subjects"][2]
    # a3 passes a2: a2's rank moves (a new entry), a1's entry is still the first one
    third, _ = rank_period_reusing(period(the_scheme, [a1, a2, subject("a3", "85", "A")]), memo)
    assert [(e["id"], e["rank"]) for e in third["subjects"]] == [("a1", 1), ("a3", 2), ("a2", 3)]
    assert third["subjects"][0] is first["subjects"][0]
    assert third["subjects"][2] is not second["subjects"][1] and third["subjects"][2]["rank"] == 3
