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


@pytest.mark.parametrize(("source", "english", "chinese"), [
    ("id: [1, 2\n", "malformed YAML at line 2, column 1: ',' or ']' was expected",
     "YAML 格式错误（第 2 行第 1 列）：应为 ',' 或 ']'"),
    ("title: a: b\n", "malformed YAML at line 1, column 9: 'key: value' is not allowed here (check the indentation, "
     "or quote a value that holds ': ')",
     "YAML 格式错误（第 1 行第 9 列）：此处不能出现“键: 值”（请检查缩进，值中含有“: ”时请加引号）"),
    ("a:\n\t- 1\n", "malformed YAML at line 2, column 1: a character that cannot start a value here (a tab for "
     "indenting, or a character such as @ or ` at the start of a value: quote it)",
     "YAML 格式错误（第 2 行第 1 列）：此处的字符不能作为值的开头（用 Tab 缩进了，或值以 @、` 等字符开头：请加引号）"),
    ("title: '小方案\n", "malformed YAML at line 2, column 1: the document ends inside a quoted string or a value",
     "YAML 格式错误（第 2 行第 1 列）：文档在引号字符串或值的中间结束了"),
    ("a: 1\n---\nb: 2\n", "malformed YAML at line 2, column 1: the text holds more than one document (a line ---)",
     "YAML 格式错误（第 2 行第 1 列）：文本中有不止一个文档（出现了 --- 行）"),
    ("a: !!python/name:os.system x\n", "malformed YAML at line 1, column 4: tags (!name) are not allowed",
     "YAML 格式错误（第 1 行第 4 列）：不允许使用标签（!名称）"),
    ("a: \x07\n", "malformed YAML: the character U+0007 is not allowed in YAML",
     "YAML 格式错误：YAML 中不允许出现字符 U+0007"),
    ('{"id": [1}', "malformed JSON at line 1, column 10: ',' was expected",
     "JSON 格式错误（第 1 行第 10 列）：应为 ','"),
    ('{"id": 1,,}', "malformed JSON at line 1, column 10: a property name in double quotes was expected",
     "JSON 格式错误（第 1 行第 10 列）：应为双引号括起的属性名"),
])
def test_malformed_documents_in_kaohes_words_in_both_languages(source: str, english: str, chinese: str) -> None:
    """PyYAML's and json's own English is not quoted: kaohe says what is wrong, the line and column kept."""
    from kaohe.i18n import localize

    with pytest.raises(DocumentError) as raised:
        load_document(source)
    assert (localize(raised.value, "en"), localize(raised.value, "zh-CN")) == (english, chinese)


# PyYAML's problems the safe loader cannot raise (the full loader's python/ tags, the merge key's), or that the
# scan before it stops first: not covered by kaohe.parser_reasons.YAML_PROBLEMS.
NOT_SAFE_LOADER = ("blacklisted key", "found unconstructable recursive node", "expected a scalar node",
                   "expected a sequence node", "expected a mapping node", "expected a sequence, but",
                   "expected non-empty name", "module ", "cannot find", "expected the empty value",
                   "expected a class", "failed to convert base64", "failed to decode base64",
                   "expected a mapping of length 1", "expected a single mapping item",
                   "expected a mapping or list of mappings for merging", "expected a mapping for merging",
                   "second occurrence")


def test_every_problem_pyyaml_writes_has_kaohes_words() -> None:
    """Reads the installed PyYAML's source: a problem text (the third argument of its MarkedYAMLError
    subclasses) that no entry of YAML_PROBLEMS starts, and is not one the safe loader cannot raise, fails here."""
    import ast
    import os

    import yaml

    from kaohe.parser_reasons import YAML_PROBLEMS

    root = pathlib.Path(os.path.dirname(yaml.__file__))
    found = set()
    for name in ("scanner.py", "parser.py", "composer.py", "constructor.py"):
        for node in ast.walk(ast.parse((root / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "").endswith("Error") and len(node.args) >= 3:
                problem = node.args[2]
                text = problem.left if isinstance(problem, ast.BinOp) else problem
                if isinstance(text, ast.Constant) and isinstance(text.value, str):
                    found.add(text.value)
    assert len(found) > 40
    uncovered = [text for text in sorted(found) if not text.startswith(NOT_SAFE_LOADER)
                 and not any(text.startswith(start) for start, _reason in YAML_PROBLEMS)]
    assert uncovered == []
