"""load_document and canonical_json."""

from __future__ import annotations

import pathlib
from decimal import Decimal

import pytest

from kaohe.engine.canonical import canonical_json
from kaohe.engine.scheme import DocumentError, load_document


def test_yaml_and_json_same_structure(tmp_path: pathlib.Path) -> None:
    yaml_doc = load_document("id: x\nversion: 1\nname: 梅岭\nratio: 0.6\n")
    json_doc = load_document(b'{"id": "x", "version": 1, "name": "\xe6\xa2\x85\xe5\xb2\xad", "ratio": 0.6}')
    assert yaml_doc == json_doc
    path = tmp_path / "s.yaml"
    path.write_text("id: y\n", encoding="utf-8")
    assert load_document(path) == {"id": "y"}


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("id: [1, 2\n", "malformed YAML at line"),
        ('{"id": [1}', "malformed JSON at line 1"),
        ("- 1\n- 2\n", "must be a mapping"),
        ("", "must be a mapping"),
        ("a: &x [1]\nb: *x\n", "anchors and aliases are not allowed"),
        (b"\xff\xfe", "not UTF-8"),
        ('{"facts": [{"id": "f1", "note": "a\\ud800"}]}', "text at /facts/0/note holds a lone UTF-16 surrogate"),
        ('{"facts": [{"a/b\\udc00": 1}]}', r"text at /facts/0/a~1b\\udc00 holds"),
        ('note: "x\\uDFFF"\n', "text at /note holds a lone"),
    ],
)
def test_bad_documents(source: str | bytes, fragment: str) -> None:
    with pytest.raises(DocumentError, match=fragment):
        load_document(source)


def test_surrogate_pairs_are_characters() -> None:
    assert load_document('{"emoji": "\\ud83d\\ude00"}') == {"emoji": "\U0001f600"}


def test_too_large() -> None:
    with pytest.raises(DocumentError, match="too large"):
        load_document("a: " + "x" * 100, max_bytes=50)


def test_document_error_is_value_error() -> None:
    assert issubclass(DocumentError, ValueError)


def test_canonical_json() -> None:
    assert canonical_json({"b": Decimal("1.50"), "a": "张"}) == '{"a":"张","b":"1.5"}'.encode()
    assert canonical_json({"x": Decimal("100")}) == b'{"x":"100"}'


def test_inputs_hash_is_sha256_of_canonical_json() -> None:
    import hashlib

    from kaohe.engine.canonical import inputs_sha256, sorted_by_id

    scheme = {"id": "s", "ratio": 0.6, "name": "梅岭"}
    facts = {
        "scheme": "s",
        "subjects": [{"id": "b"}, {"id": "a", "group": "甲"}],
        "facts": [{"id": f"f{i}", "points": Decimal("1.50"), "subject": "a"} for i in range(5000, 0, -1)],
    }
    expected_doc = {
        "scheme": scheme,
        "facts": {**facts, "facts": sorted_by_id(facts["facts"]), "subjects": sorted_by_id(facts["subjects"])},
    }
    expected = hashlib.sha256(canonical_json(expected_doc)).hexdigest()
    assert inputs_sha256(scheme, facts) == expected
