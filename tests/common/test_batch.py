"""services/common/batch.split_ids: the one parser of `?ids=a,b,c` batch reads."""

from __future__ import annotations

import pytest

from services.common.batch import query_length, split_ids
from services.common.errors import InvalidInput


def test_ids_are_stripped_and_repeats_dropped_in_order() -> None:
    assert split_ids(" b, a,b ,,c") == ["b", "a", "c"]
    assert split_ids(",".join(["x"] * 150)) == ["x"]  # 150 parts, one id: within a limit of 100


def test_kept_repeats_count_against_the_limit() -> None:
    assert split_ids("b,a,b", unique=False) == ["b", "a", "b"]
    with pytest.raises(InvalidInput, match=r"^ids: at most 2 ids of at most 100 characters$"):
        split_ids("b,a,b", limit=2, unique=False)


def test_too_long_an_id_names_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"^submission_ids: at most 100 ids of at most 64 characters$") as caught:
        split_ids("a," + "x" * 65, field="submission_ids", max_length=64)
    assert caught.value.details == {"field": "submission_ids"}


def test_the_query_bound_fits_exactly_the_longest_accepted_list() -> None:
    assert query_length() == 100 * 101
    assert query_length(200) == 200 * 101
    longest = ",".join(["x" * 100] * 100)  # 100 ids of 100 characters and 99 commas
    assert len(longest) <= query_length() and len(split_ids(longest)) == 1  # repeats dropped
    assert len(split_ids(longest, unique=False)) == 100
