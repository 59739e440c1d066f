"""Hypothesis properties: quotas hold, pools add up, input order never matters."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import rank_period
from kaohe.engine.ranking import dumps_result, largest_remainder
from kaohe.engine.scheme.expression import compile_expression
from kaohe.engine.scheme.model import Label, Quota, Reward

from ._support import D, grading, period, scheme, subject

totals = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
shares = st.sampled_from([D("0.1"), D("0.25"), D("0.3"), D("0.5")])
roundings = st.sampled_from(["floor", "ceil", "round"])
veto_sets = st.lists(
    st.sampled_from(["grade", "max_grade", "bottom", "downgrade", "no_label", "no_labels", "no_reward"]), max_size=2
)


@st.composite
def periods(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    count = draw(st.integers(min_value=1, max_value=12))
    subjects = [
        subject(f"s{i:02}", str(draw(totals)), draw(st.sampled_from(["A", "B"])), vetoes=draw(veto_sets))
        for i in range(count)
    ]
    quotas = (Quota("优秀", draw(shares), draw(roundings)), Quota("良好", draw(shares), draw(roundings)))
    ties = draw(st.sampled_from(["exclude", "include"]))
    return scheme(
        grading=grading(quotas=quotas, ties_at_quota=ties),
        labels=(Label("表扬", top=2), Label("批评", bottom=1)),
        rewards=(Reward("池", pool=D("1000"), weight=compile_expression("total")),
                 Reward("名次", by_rank=(D(300), D(200)))),
    ), subjects


@settings(max_examples=60, deadline=None)
@given(periods())
def test_quotas_never_exceeded_with_exclude(drawn) -> None:  # type: ignore[no-untyped-def]
    the_scheme, subjects = drawn
    assert the_scheme.grading is not None
    # A downgraded subject takes no seat in its new grade (docs/decisions.md), so it may exceed it.
    downgraded = any(hit.veto.effect == "downgrade" for s in subjects for hit in s.vetoes)
    if the_scheme.grading.ties_at_quota != "exclude" or downgraded:
        return
    result = rank_period(period(the_scheme, subjects))
    from kaohe.engine.ranking.numbers import count_from_share

    for group in ("A", "B"):
        entries = [s for s in result["subjects"] if s["group"] == group]
        for quota in the_scheme.grading.quotas:
            seats = count_from_share(quota.max_share, len(entries), quota.rounding)
            # Forced (veto `grade`) subjects only ever hold the lowest grade here.
            assert sum(1 for s in entries if s["grade"] == quota.grade) <= seats


@settings(max_examples=60, deadline=None)
@given(periods())
def test_pool_adds_up_exactly(drawn) -> None:  # type: ignore[no-untyped-def]
    the_scheme, subjects = drawn
    result = rank_period(period(the_scheme, subjects))
    for group in ("A", "B"):
        amounts = [Decimal(s["rewards"]["池"]) for s in result["subjects"] if s["group"] == group]
        if any(amounts):
            assert sum(amounts) == Decimal("1000.00")


@settings(max_examples=60, deadline=None)
@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
    st.lists(st.decimals(min_value=0, max_value=1000, places=3), min_size=1, max_size=20),
)
def test_largest_remainder_sums_to_the_pool(pool: Decimal, weights: list[Decimal]) -> None:
    split = largest_remainder(pool, {f"s{i}": w for i, w in enumerate(weights)})
    if split is None:
        assert all(w == 0 for w in weights)
        return
    assert sum(split.values()) == pool
    assert all(amount >= 0 and amount == amount.quantize(D("0.01")) for amount in split.values())


@settings(max_examples=60, deadline=None)
@given(periods(), st.randoms(use_true_random=False))
def test_permuting_subjects_changes_nothing(drawn, random) -> None:  # type: ignore[no-untyped-def]
    the_scheme, subjects = drawn
    shuffled = list(subjects)
    random.shuffle(shuffled)
    first = dumps_result(rank_period(period(the_scheme, subjects)))
    assert dumps_result(rank_period(period(the_scheme, shuffled))) == first
