"""§5 veto effects on grade, rank, labels and rewards, with hand-worked values."""

from __future__ import annotations

from kaohe.engine import rank_period
from kaohe.engine.scheme.model import Label, Quota, Ranking, Reward

from ._support import D, by_id, column, grading, period, scheme, subject


def test_grade_veto_forces_the_grade_and_flags_it() -> None:
    # 001 篇7 "出现保密事故一票否决": 96 would be 优秀, the veto forces 不合格.
    result = rank_period(period(scheme(grading=grading()), [subject("a", "96", vetoes=["grade"])]))
    entry = result["subjects"][0]
    assert (entry["band_grade"], entry["grade"], entry["grade_reason"]) == ("优秀", "不合格", "veto")
    assert entry["flags"] == [
        {"veto": "confidentiality_accident", "effect": {"grade": "不合格"}, "fact": "v-a-0"}
    ]
    assert entry["rank"] == 1  # a grade veto does not move the rank


def test_max_grade_veto_caps_only_when_higher() -> None:
    subjects = [subject("a", "96", vetoes=["max_grade"]), subject("b", "65", vetoes=["max_grade"])]
    result = rank_period(period(scheme(grading=grading()), subjects))
    assert column(result, "grade") == {"a": "合格", "b": "不合格"}
    assert column(result, "grade_reason") == {"a": "veto", "b": None}
    assert len(by_id(result)["b"]["flags"]) == 1  # the hit is still on record


def test_zero_total_flag_is_kept_once() -> None:
    # Scoring already zeroed the total; it may also have raised the flag itself.
    entry = subject("a", "0", vetoes=["zero"])
    entry.flags.append(entry.vetoes[0].flag())
    result = rank_period(period(scheme(), [entry]))
    assert result["subjects"][0]["flags"] == [
        {"veto": "serious_violation", "effect": "zero_total", "fact": "v-a-0"}
    ]


def test_downgrade_lowers_one_grade_and_ranks_last_of_that_grade() -> None:
    # 002 "直接降低等次,并列该等次末位". Bands: 优秀 ≥ 90, 良好 ≥ 80.
    # a 97 (优秀) is downgraded to 良好 and goes after b 88 and c 82 (the 良好 holders), before
    # d 75 (合格). Final order: e 95 (1), b (2), c (3), a (4), d (5).
    subjects = [subject("a", "97", vetoes=["downgrade"]), subject("b", "88"), subject("c", "82"),
                subject("d", "75"), subject("e", "95")]
    result = rank_period(period(scheme(grading=grading()), subjects))
    assert column(result, "grade") == {"a": "良好", "b": "良好", "c": "良好", "d": "合格", "e": "优秀"}
    assert column(result, "grade_reason")["a"] == "veto"
    assert column(result, "rank") == {"e": 1, "b": 2, "c": 3, "a": 4, "d": 5}
    assert [s["id"] for s in result["subjects"]] == ["e", "b", "c", "a", "d"]


def test_downgrade_ranks_after_better_grades_when_nobody_holds_its_new_grade() -> None:
    # Bands: 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60. b 85 (良好) is downgraded to 合格; nobody else holds
    # 合格, yet it must not stay above c 82 and d 81 (良好): "并列该等次末位" puts it at the end
    # of 合格, i.e. after every subject holding 合格 or better. Order: a 95 (1), c (2), d (3), b (4),
    # then e 50 (不合格, 5) keeps its place after b.
    subjects = [subject("a", "95"), subject("b", "85", vetoes=["downgrade"]), subject("c", "82"),
                subject("d", "81"), subject("e", "50")]
    result = rank_period(period(scheme(grading=grading()), subjects))
    assert column(result, "grade") == {"a": "优秀", "b": "合格", "c": "良好", "d": "良好", "e": "不合格"}
    assert column(result, "rank") == {"a": 1, "c": 2, "d": 3, "b": 4, "e": 5}


def test_two_downgrades_keep_the_better_new_grade_first() -> None:
    # a 97 and b 98 (both band 优秀) are downgraded to 良好: after c 88, then by merit b (98)
    # before a (97). x 85 (band 良好) is downgraded to 合格: after all of them and after y 70 (合格).
    subjects = [subject("a", "97", vetoes=["downgrade"]), subject("b", "98", vetoes=["downgrade"]),
                subject("c", "88"), subject("x", "85", vetoes=["downgrade"]), subject("y", "70")]
    result = rank_period(period(scheme(grading=grading()), subjects))
    assert column(result, "grade") == {"a": "良好", "b": "良好", "c": "良好", "x": "合格", "y": "合格"}
    assert column(result, "rank") == {"c": 1, "b": 2, "a": 3, "y": 4, "x": 5}


def test_downgrade_applies_after_the_quota() -> None:
    # 优秀 quota floor(4 × 25 %) = 1: a 99 keeps 优秀 over b 95; a then is downgraded to 良好.
    # b was dropped by the quota to 良好 already; a goes after b. The downgrade does not
    # hand the freed 优秀 seat to b (the quota was decided first).
    the_grading = grading(quotas=(Quota("优秀", D("0.25")),))
    subjects = [subject("a", "99", vetoes=["downgrade"]), subject("b", "95"),
                subject("c", "85"), subject("d", "60")]
    result = rank_period(period(scheme(grading=the_grading), subjects))
    assert column(result, "grade") == {"a": "良好", "b": "良好", "c": "良好", "d": "不合格"}
    assert column(result, "rank") == {"b": 1, "c": 2, "a": 3, "d": 4}


def test_bottom_veto_ranks_after_everyone_without_it() -> None:
    # 000 篇1 "当月排名直接列入倒数3名内": x 99 and y 97 are vetoed; among five others they rank
    # after everyone else, keeping their mutual order by score: x 6th, y 7th.
    subjects = [subject(s, t) for s, t in [("a", "90"), ("b", "80"), ("c", "70"), ("d", "60"), ("e", "50")]]
    subjects += [subject("x", "99", vetoes=["bottom"]), subject("y", "97", vetoes=["bottom"])]
    result = rank_period(period(scheme(), subjects))
    assert column(result, "rank") == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "x": 6, "y": 7}
    assert by_id(result)["x"]["flags"] == [
        {"veto": "verified_complaint", "effect": {"bottom": 3}, "fact": "v-x-0"}
    ]


def test_bottom_vetoed_subjects_tied_share_a_rank() -> None:
    subjects = [subject("a", "50"), subject("x", "99", vetoes=["bottom"]), subject("y", "99", vetoes=["bottom"])]
    assert column(rank_period(period(scheme(), subjects)), "rank") == {"a": 1, "x": 2, "y": 2}


def test_no_label_passes_the_label_to_the_next_subject() -> None:
    # 通报表扬 top 2; a (1st) is barred, so the label goes to b and c (ranked 1, 2 among candidates).
    labels = (Label("通报表扬", top=2), Label("表彰", top=1))
    subjects = [subject("a", "99", vetoes=["no_label"]), subject("b", "90"), subject("c", "80"), subject("d", "70")]
    result = rank_period(period(scheme(labels=labels), subjects))
    # a is barred only from 通报表扬: it still gets 表彰.
    assert column(result, "labels") == {"a": ["表彰"], "b": ["通报表扬"], "c": ["通报表扬"], "d": []}
    assert column(result, "rank") == {"a": 1, "b": 2, "c": 3, "d": 4}  # ranks unchanged


def test_no_labels_bars_from_top_labels_only() -> None:
    labels = (Label("通报表扬", top=1), Label("取消评优资格", bottom=1))
    subjects = [subject("a", "99", vetoes=["no_labels"]), subject("b", "90"),
                subject("c", "10", vetoes=["no_labels"])]
    result = rank_period(period(scheme(labels=labels), subjects))
    assert column(result, "labels") == {"a": [], "b": ["通报表扬"], "c": ["取消评优资格"]}


def test_no_reward_zeroes_every_reward() -> None:
    rewards = (Reward("季度绩效奖金", by_grade={"优秀": D(2100)}), Reward("排名奖", by_rank=(D(2000), D(1500))))
    subjects = [subject("a", "95", vetoes=["no_reward"]), subject("b", "94")]
    result = rank_period(period(scheme(grading=grading(), rewards=rewards), subjects))
    # a keeps rank 1 and its position's 2000 is forfeited, not passed to b (who is 2nd: 1500).
    assert column(result, "rewards") == {
        "a": {"季度绩效奖金": "0.00", "排名奖": "0.00"},
        "b": {"季度绩效奖金": "2100.00", "排名奖": "1500.00"},
    }
    assert by_id(result)["a"]["flags"][0]["effect"] == "no_reward"


def test_downgrade_with_scope_all_and_no_grading_changes_no_rank() -> None:
    subjects = [subject("a", "97", vetoes=["downgrade"]), subject("b", "88")]
    result = rank_period(period(scheme(ranking=Ranking(scope="all")), subjects))
    assert column(result, "rank") == {"a": 1, "b": 2}
    assert column(result, "grade") == {"a": None, "b": None}
