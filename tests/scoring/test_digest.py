"""scores/digest.py: inputs_sha256 from cached per-fact canonical bytes equals the engine's definition."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine.canonical import canonical_json, inputs_sha256
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


def _traced_bytes(make: Any) -> tuple[int, Any]:
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        kept = make()
        return tracemalloc.get_traced_memory()[0], kept
    finally:
        tracemalloc.stop()


def test_the_cache_keeps_about_600_bytes_a_fact() -> None:
    """Issue 7's soak found scoring growing with every fact it cached: orjson allocates its output in 4 KiB
    steps and never shrinks it (4 KiB a cached fact), and a fact parsed from its own change event brings
    private copies of its keys and texts. What the cache keeps is sized to the fact's text, with keys, the
    subject's id and short texts shared."""
    import json

    from services.scoring.scores.cache import PeriodState

    texts = [json.dumps({"id": f"sub-{i:05d}", "subject": f"unit-{i % 7:032d}", "indicator": "work",
                         "fact": "score", "points": str(35 + i % 16), "assessor": "考核办"}, ensure_ascii=False)
             for i in range(500)]

    def applied() -> PeriodState:
        state = PeriodState("p", 1, encoded=[])
        for text in texts:  # as from fact.changed events: one parse per fact
            body = json.loads(text)
            state.apply_fact(str(body["id"]), body)
        return state

    traced, state = _traced_bytes(applied)
    assert state.encoded is not None
    assert state.encoded == [canonical_json(json.loads(t)) for t in texts]  # 127-128 bytes each
    assert state.live_facts() == [json.loads(t) for t in texts]
    # measured on CPython 3.11: ~650 bytes a fact (the dict, its id, the canonical text, the index entries);
    # 4.6 kB with orjson's buffers kept, ~1.2 kB with private keys and texts
    assert traced < 500 * 800, traced
    odd: list[Any] = [json.loads(t) for t in texts[:300]] + ["not a mapping"]  # encoded item by item
    traced, each = _traced_bytes(lambda: encode_each(odd))
    assert each == [canonical_json(f) for f in odd]
    assert traced < sum(map(len, each)) + 301 * 100, traced


def test_joined_chunks_follow_updates_inserts_and_removals() -> None:
    from services.scoring.scores.cache import JOIN_CHUNK, PeriodState

    def fact(i: int, points: str = "5") -> dict[str, Any]:
        return {"id": f"f{i:05d}", "subject": f"p{i % 7}", "indicator": "a", "fact": "score", "points": points}

    state = PeriodState("p", 1)
    state.load([fact(i) for i in range(0, 2 * JOIN_CHUNK + 600, 2)])  # even ids: room to insert odd ones
    state.set_encoded(encode_each(state.live_facts()))
    header = {"scheme": "s", "version": 1, "period": "2026-Q1"}
    subjects = [{"id": "p0", "name": None, "group": "A", "attributes": {}}]

    def check() -> None:
        joined = state.joined_facts()
        assert all(joined) and len(joined) == -(-len(state.order) // JOIN_CHUNK)
        assert b",".join(joined) == b",".join(canonical_json(f) for f in state.live_facts())
        document = {**header, "subjects": subjects, "facts": state.live_facts()}
        assert period_digest(SCHEME, header, subjects_bytes(subjects), joined) == inputs_sha256(SCHEME, document)

    check()
    assert len(state.joined) == 2  # 1324 facts: chunks 0 and 1, both joined by the check
    state.apply_fact("f00010", fact(10, "9"))  # an update in chunk 0 forgets chunk 0 only
    assert sorted(state.joined) == [1]
    check()
    state.apply_fact("f00003", fact(3))  # an insert shifts every later fact: all chunks from 0 on
    assert state.joined == {}
    check()
    state.apply_fact(f"f{2 * 1100:05d}", None)  # a removal in chunk 1 forgets chunk 1 and after
    assert sorted(state.joined) == [0]
    check()
    state.apply_fact("f99999", fact(99999))  # appended at the end
    check()
    assert state.live_facts()[0] == fact(0) and state.live_facts()[6] == fact(10, "9")  # f00000, 02, 03, 04, 06, 08, 10


def test_digest_alongside_is_the_digest_of_the_parts_and_reports_a_bad_part() -> None:
    import hashlib

    from services.scoring.scores.digest import digest_alongside, digest_of

    parts = [b'{"facts":[', b'{"id":"f1"}', b",", b'{"id":"f2"}', b"]}"]
    expected = hashlib.sha256(b'{"facts":[{"id":"f1"},{"id":"f2"}]}').hexdigest()
    assert digest_alongside(parts).result(timeout=10) == digest_of(parts) == expected
    broken = digest_alongside([b"[", "not bytes", b"]"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        broken.result(timeout=10)  # returned (the worker said it had begun), the error kept for the caller
