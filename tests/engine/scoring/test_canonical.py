"""The orjson fast path of the canonical JSON writes exactly the bytes of its definition.

The definition (§11 inputs_sha256, services/scoring/engine/canonical.py): `json.dumps` with sorted
keys, `(",", ":")` separators and `ensure_ascii=False`, Decimals as normalised plain strings,
floats by repr, keys of mixed types stringified. `reference` below restates it independently of
the engine's code; every value is compared byte for byte, including the cases where the engine
must fall back (floats, big ints, non-text keys, lone surrogates).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import parse_scheme, score_period
from kaohe.engine.canonical import canonical_json, inputs_sha256, sorted_by_id
from kaohe.engine.scheme import load_document

SCHEMES = Path(__file__).resolve().parents[3] / "examples" / "schemes"


def _decimal(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            return str(obj)
        text = format(obj.normalize(), "f")
        return "0" if text == "-0" else text
    raise TypeError(type(obj).__name__)


def _keys_as_text(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _keys_as_text(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_keys_as_text(v) for v in obj]
    return obj


def reference(obj: Any) -> bytes:
    """The canonical text by its definition; raises UnicodeEncodeError as today for lone surrogates."""
    options: dict[str, Any] = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
    try:
        text = json.dumps(obj, default=_decimal, **options)
    except TypeError:  # keys of mixed types: sorted after turning them into text
        text = json.dumps(_keys_as_text(obj), default=_decimal, **options)
    return text.encode()


def outcome(fn: Any, obj: Any) -> bytes | str:
    try:
        return bytes(fn(obj))
    except UnicodeEncodeError as exc:
        return f"UnicodeEncodeError {exc.reason}"


SPECIAL = "\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x20\x7f\x80\"\\/\u2028\u2029\ufeff\ue000\uffff😀👨‍👩‍👧\U0010ffff张梅岭"
characters = st.one_of(
    st.sampled_from(SPECIAL),
    st.characters(codec="utf-8"),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates: must fall back
)
text = st.text(characters, max_size=12)
plain_text = st.text(st.one_of(st.sampled_from(SPECIAL), st.characters(codec="utf-8")), max_size=12)
integers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.integers(),  # beyond 64 bits: orjson refuses, the reference writes them
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64]),
)
decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("1.50"), Decimal("-0"), Decimal("-0.00"), Decimal("1E+3"), Decimal("1e-30")]),
)
scalars = st.one_of(st.none(), st.booleans(), integers, decimals, text)
floats = st.floats(allow_nan=True, allow_infinity=True)


def _json_like(leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=6),
            st.lists(inner, max_size=4).map(tuple),
            st.dictionaries(keys, inner, max_size=6),
        ),
        max_leaves=40,
    )


# without floats and with text keys: the values the fast path should take
plain_leaves = st.one_of(st.none(), st.booleans(), integers, decimals, plain_text)
plain_values = _json_like(plain_leaves, plain_text)
# the same with floats among them: orjson would write 1e-05, 1e16, inf and nan differently
float_values = _json_like(st.one_of(plain_leaves, floats), plain_text)
# anything: floats, int keys next to text keys, surrogates
any_values = _json_like(
    st.one_of(scalars, floats), st.one_of(text, st.integers(-5, 5), st.booleans(), st.none())
)


@settings(max_examples=300, deadline=None)
@given(plain_values)
def test_fast_path_matches_the_definition(value: Any) -> None:
    assert outcome(canonical_json, value) == outcome(reference, value)


@settings(max_examples=300, deadline=None)
@given(float_values)
def test_values_with_floats_match_the_definition(value: Any) -> None:
    assert outcome(canonical_json, value) == outcome(reference, value)


@settings(max_examples=300, deadline=None)
@given(any_values)
def test_every_value_matches_the_definition(value: Any) -> None:
    assert outcome(canonical_json, value) == outcome(reference, value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(plain_text, plain_values, max_size=5), max_size=30), st.lists(floats, max_size=2))
def test_inputs_hash_matches_the_definition(facts: list[dict[str, Any]], noise: list[float]) -> None:
    # facts with ids (some with a float somewhere, so chunks take both paths), hashed as §11 says
    for n, fact in enumerate(facts):
        fact["id"] = f"f{n:03d}"
    for n, value in enumerate(noise):
        if facts:
            facts[n % len(facts)]["x"] = value
    scheme = {"id": "s", "ratio": 0.6, "名称": "梅岭"}
    document = {"scheme": "s", "period": "2026-Q1", "subjects": [{"id": "b"}, {"id": "a"}], "facts": facts[::-1]}
    canonical = {"scheme": scheme, "facts": {**document, "facts": facts, "subjects": [{"id": "a"}, {"id": "b"}]}}
    assert inputs_sha256(scheme, document) == hashlib.sha256(reference(canonical)).hexdigest()


def test_escapes_and_numbers_by_hand() -> None:
    value = {"b": "\x00\x1f\n\t\"\\\u2028😀", "a": [Decimal("2.50"), Decimal("-0"), 2**63, True, None]}
    expected = '{"a":["2.5","0",9223372036854775808,true,null],"b":"\\u0000\\u001f\\n\\t\\"\\\\\u2028😀"}'
    assert canonical_json(value) == expected.encode()
    floats = [1.5, 1e16, 1e-05, float("inf"), float("nan")]
    assert canonical_json({"a": floats}) == b'{"a":[1.5,1e+16,1e-05,Infinity,NaN]}'
    assert canonical_json({"a": 2**64}) == b'{"a":18446744073709551616}'
    assert canonical_json({1: "x", "a": 2}) == b'{"1":"x","a":2}'


def test_example_schemes_hash_as_defined() -> None:
    paths = sorted(SCHEMES.glob("*.yaml"))
    assert len(paths) >= 12
    for path in paths:
        scheme = load_document(path)
        facts = load_document(path.with_name(path.stem + ".facts.json"))
        by_id = {
            key: sorted(value, key=lambda item: str(item["id"])) if key in ("facts", "subjects") else value
            for key, value in facts.items()
        }
        expected = hashlib.sha256(reference({"scheme": scheme, "facts": by_id})).hexdigest()
        assert inputs_sha256(scheme, facts) == expected, path.name
        if "results" not in facts:  # a roll-up's facts carry sub-period results, not facts
            assert score_period(parse_scheme(scheme), facts).inputs_sha256 == expected, path.name


def test_sorted_by_id_text_order_then_canonical_text_for_repeats() -> None:
    # distinct text ids: plain text order (f10 before f2)
    assert [f["id"] for f in sorted_by_id([{"id": "f2"}, {"id": "f10"}, {"id": "f1"}])] == ["f1", "f10", "f2"]
    # a repeated id: the copies ordered by their canonical text ({"id":"a","v":1} < {"id":"a","v":2})
    repeated = [{"id": "b"}, {"id": "a", "v": 2}, {"id": "a", "v": 1}]
    assert sorted_by_id(repeated) == [{"id": "a", "v": 1}, {"id": "a", "v": 2}, {"id": "b"}]
    # ids that are not all text sort by their text: "1" < "10" < "2"
    assert [f["id"] for f in sorted_by_id([{"id": 2}, {"id": "10"}, {"id": 1}])] == [1, "10", 2]
    # the same id as text and as a number is a repeat too: {"id":"7"} < {"id":7} as canonical text
    assert [f["id"] for f in sorted_by_id([{"id": 7}, {"id": "7"}])] == ["7", 7]
