"""`valueExact` and `totalExact` are written one way whatever arithmetic produced the value (newcomer probe: "15"
for one score, "15.00" for another of the same kind): at least the scheme's precision in decimals, and beyond it
only the digits the value has."""

from __future__ import annotations

import pytest

from gateway.types import exact
from gateway.types.score import Score, ScoreVersion


@pytest.mark.parametrize(("stored", "places", "shown"), [
    ("15", 2, "15.00"), ("15.00", 2, "15.00"), ("15.0000", 2, "15.00"),  # one quantity, three stored scales
    ("7.5", 2, "7.50"), ("0", 2, "0.00"), ("-2.5", 2, "-2.50"), ("1500", 1, "1500.0"), ("1E+1", 2, "10.00"),
    # 10 × 0.9 / 0.95 at 50 significant digits: every digit kept
    ("9.4736842105263157894736842105263157894736842105263", 2,
     "9.4736842105263157894736842105263157894736842105263"),
    ("88.125", 2, "88.125"), ("88.1250", 2, "88.125"), ("88.125", 4, "88.1250"),
    ("15.000", 0, "15"), ("15", None, "15.00"),  # no precision given: the default 2
    ("n/a", 2, "n/a"), (None, 2, None),
])
def test_an_exact_value_has_the_schemes_places_and_its_own_digits(stored: str | None, places: object,
                                                                  shown: str | None) -> None:
    assert exact(stored, places) == shown


def test_scores_and_versions_show_exact_values_alike() -> None:
    score = Score.from_json({"id": "p1", "precision": 2, "total": "30.000", "scores": {"a": "15", "b": "15.00"}})
    assert (score.total, score.total_exact) == ("30.00", "30.00")
    assert [(i.code, i.value, i.value_exact) for i in score.indicators] == [("a", "15.00", "15.00"),
                                                                           ("b", "15.00", "15.00")]
    version = ScoreVersion.from_json({"id": 1, "value": "15", "precision": 2})
    assert (version.value, version.value_exact) == ("15.00", "15.00")
