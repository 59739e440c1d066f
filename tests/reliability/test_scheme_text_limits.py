"""Scheme and facts text nested too deep or holding a giant number (issue 21, item 22).

`[` nested 100,000 deep froze scoring for 41 s and answered 500; deep JSON and a 5,001-digit integer
were immediate 500s; `kaohe scheme validate` printed a traceback for each. Depth and number length are
checked before parsing, and the answer is a pointer and a sentence.
"""

from __future__ import annotations

import json
import pathlib
import time

import pytest
import typer
from typer.testing import CliRunner

from kaohe import engine_cli
from kaohe.engine.scheme import DocumentError, load_document

DEEP_FLOW = "[" * 100_000
DEEP_JSON = '{"id": "x", "indicators": ' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "}"
DEEP_BLOCK = "id: x\nindicators:\n" + "".join(" " * level + "a:\n" for level in range(1, 400)) + " " * 400 + "b: 1\n"
HUGE_JSON_INT = '{"id": "x", "indicators": [{"code": "a", "max": ' + "1" * 5_001 + "}]}"
HUGE_YAML_INT = "id: x\nindicators:\n  - code: a\n    max: " + "1" * 5_001 + "\n"

# (text, the pointer of the place, a fragment of the sentence)
CASES = [
    (DEEP_FLOW, "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0"
                "/0/0/0/0/0/0/0/0/0/0/0/0/0/0", "nested deeper than 64 levels"),
    (DEEP_JSON, "/indicators" + "/a" * 63, "nested deeper than 64 levels"),
    (DEEP_BLOCK, "/indicators" + "/a" * 63, "nested deeper than 64 levels"),
    (HUGE_JSON_INT, "/indicators/0/max", "a number of 5001 characters"),
    (HUGE_YAML_INT, "/indicators/0/max", "a number of 5001 characters"),
]


@pytest.mark.parametrize(("text", "pointer", "sentence"), CASES, ids=["flow", "json", "block", "json-int", "yaml-int"])
def test_deep_or_huge_text_is_refused_with_a_pointer_before_parsing(text: str, pointer: str, sentence: str) -> None:
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        load_document(text)
    assert time.perf_counter() - started < 5  # was 41 s for the flow case: a freeze, not a speed target
    assert caught.value.pointer == pointer  # type: ignore[attr-defined]
    assert sentence in str(caught.value)
    assert len(str(caught.value)) < 600  # no echo of the 5,001 digits


def test_sixty_four_levels_and_a_hundred_digits_are_read() -> None:
    nested: object = 1
    for _ in range(63):
        nested = {"a": nested}
    assert load_document(json.dumps({"x": nested}))["x"]["a"]["a"]
    block = "x:\n" + "".join(" " * level + "a:\n" for level in range(1, 63)) + " " * 63 + "b: 1\n"
    assert load_document(block)["x"]["a"]
    assert load_document('{"n": ' + "9" * 100 + "}")["n"] == int("9" * 100)
    assert load_document("n: " + "9" * 100 + "\n")["n"] == int("9" * 100)


def test_brackets_and_digits_inside_strings_are_text() -> None:
    assert load_document(json.dumps({"t": "[" * 500 + "1" * 500}))["t"].startswith("[[[")
    assert load_document("t: '" + "{" * 500 + "'\nu: \"" + "2" * 500 + "\"\n")["u"] == "2" * 500


@pytest.mark.parametrize("text", [DEEP_FLOW, DEEP_JSON, HUGE_YAML_INT])
def test_kaohe_scheme_validate_prints_a_pointer_not_a_traceback(text: str, tmp_path: pathlib.Path) -> None:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Root, so that sub-commands keep their names."""

    engine_cli.register(root)
    scheme = tmp_path / "scheme.json"
    scheme.write_text(text, encoding="utf-8")
    done = CliRunner().invoke(root, ["scheme", "validate", str(scheme)])
    assert done.exit_code == 2, done.output
    assert "Traceback" not in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert done.stderr.splitlines()[-1].startswith("/"), done.stderr
