"""scores/digest.py: inputs_sha256 from cached per-fact canonical bytes equals the engine's definition."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.engine import canonical_json
from services.scoring.engine.canonical import inputs_sha256
from services.scoring.scores.digest import encode_each, period_digest, subjects_bytes

SCHEME = {"id": "s", "version": 1, "indicators": [{"code": "a", "max": 0.6}]}
TEXT = st.one_of(st.text(max_size=8), st.sampled_from(["},{", '"},{"', "{}", "}", "中文", "\\", ""]))
VALUE = st.recursive(st.none() | st.booleans() | st.integers(-10, 10**20) | TEXT,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                     max_leaves=5)
FACT = st.dictionaries(TEXT, VALUE, max_size=4)


@st.composite
def facts(draw: Any) -> list[dict[str, Any]]:
    bodies = draw(st.lists(FACT, max_size=1200))  # more than two encoder chunks of 512
    return [{**body, "id": f"f{i:04d}", "subject": draw(st.sampled_from(["p1", "p2"]))}
            for i, body in enumerate(bodies)]


@settings(max_examples=60, deadline=None)
@given(facts(), st.booleans())
def test_cached_bytes_give_the_engines_hash(items: list[dict[str, Any]], nested_empty: bool) -> None:
    subjects = [{"id": "p2", "name": "乙", "group": "A", "attributes": {"x": 1}},
                {"id": "p1", "name": None, "group": "B", "attributes": {} if nested_empty else {"y": [1, {}]}}]
    encoded = encode_each(items)
    assert encoded == [canonical_json(f) for f in items]
    document = {"scheme": "s", "version": 1, "period": "2026-Q1", "subjects": subjects, "facts": list(reversed(items))}
    by_id = sorted(zip(items, encoded, strict=True), key=lambda pair: pair[0]["id"])
    header = {"scheme": "s", "version": 1, "period": "2026-Q1"}
    assert period_digest(SCHEME, header, subjects_bytes(subjects), [b for _, b in by_id]) == inputs_sha256(
        SCHEME, document)


def test_a_separator_inside_a_value_falls_back_to_one_fact_at_a_time() -> None:
    items = [{"id": "a", "note": "x},{y"}, {"id": "b"}]
    assert encode_each(items) == [b'{"id":"a","note":"x},{y"}', b'{"id":"b"}']
