"""The engine's problems are marked messages (issue 22): what is stored, hashed and sorted on is their English
sentence, whatever the language of the moment; only where a problem is shown is it rendered in the caller's
language. Expected sentences written out by hand."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from kaohe.engine import evaluate, parse_scheme
from kaohe.engine.canonical import canonical_json
from kaohe.engine.ranking import dumps_result
from kaohe.engine.scheme import SchemeInvalid, load_document
from kaohe.engine.scoring.score import problem_key
from kaohe.i18n import Text, locale_var, localize, use_locale
from tests.engine.ranking.test_cli import FACTS, SCHEME

BAD_FACTS = {**FACTS, "facts": [
    *cast(list[dict[str, str]], FACTS["facts"]),
    {"id": "f3", "subject": "c99", "indicator": "regular", "fact": "score", "points": "70"},
    {"id": "f4", "subject": "c01", "indicator": "nope", "fact": "score", "points": "70"},
    {"id": "f5", "subject": "c02", "indicator": "regular", "fact": "score", "points": "abc"},
]}
ENGLISH = [{"fact": "f3", "message": "unknown subject 'c99'"},
           {"fact": "f4", "message": "unknown indicator 'nope'"},
           {"fact": "f5", "message": "score fact needs numeric points, got 'abc'"}]
ROOT = Path(__file__).resolve().parents[3]
CHINESE = ["未知的考核对象 'c99'", "未知的指标 'nope'", "评分事实的分值 points 须为数字，现为 'abc'"]


@pytest.fixture
def chinese() -> Iterator[None]:
    """zh-CN for the whole process (as `kaohe --lang zh-CN`) and for the request under way (as a service)."""
    use_locale("zh-CN")
    token = locale_var.set("zh-CN")
    yield
    locale_var.reset(token)
    use_locale(None)


def _evaluate() -> dict[str, Any]:
    return evaluate(load_document(SCHEME), copy.deepcopy(BAD_FACTS))


def test_stored_and_hashed_problems_do_not_change_with_the_language(chinese: None) -> None:
    in_chinese = _evaluate()
    use_locale("en")
    token = locale_var.set("en")
    try:
        in_english = _evaluate()
    finally:
        locale_var.reset(token)
    assert in_chinese["problems"] == in_english["problems"] == ENGLISH
    assert dumps_result(in_chinese) == dumps_result(in_english)  # the §11 document, byte for byte
    assert canonical_json(in_chinese) == canonical_json(in_english) == canonical_json(
        json.loads(dumps_result(in_english)))  # hashed as the plain text it is stored as
    assert in_chinese["inputs_sha256"] == in_english["inputs_sha256"]
    assert [localize(p["message"], "zh-CN") for p in in_chinese["problems"]] == CHINESE  # marked, all of them


def test_scheme_problems_sort_and_hash_on_their_english_form(chinese: None) -> None:
    """A Problem's message compares, hashes and sorts as its English sentence, in any language of the moment."""
    with pytest.raises(SchemeInvalid) as caught:
        parse_scheme({**load_document(SCHEME), "period": "yaer", "colour": 1})
    problems = caught.value.problems
    messages = [p.message for p in problems]
    assert messages == [
        "unknown key 'colour'; allowed keys are id, version, title, subject_kind, period, precision, groups, "
        "indicators, total, vetoes, ranking, grading, labels, rewards, rollup, publication",
        "period must be one of month, quarter, half, year, week, not 'yaer'; did you mean 'year'?"]
    assert [hash(m) for m in messages] == [hash(str(m)) for m in messages]
    assert sorted(problems, key=problem_key) == sorted(problems, key=lambda p: (p.pointer, str(p.message)))
    assert localize(messages[1]) == ("period 必须是 month, quarter, half, year, week 之一，现为 'yaer'；"
                                     "是否应为 'year'？")


def test_a_valid_scheme_makes_no_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    """Marking costs only when there is a problem: parsing the example schemes (all valid) builds no marked message
    (the checks name what they read by constants, or by functions called only for a problem). 825 were built per
    parse of 001-5 when every indicator made its phrases up front, a third more CPU per parse."""
    made: list[str] = []
    new = Text.__new__

    def counting(cls: type[Text], msgid: str, params: dict[str, object], english: str | None = None) -> Text:
        made.append(msgid)
        return new(cls, msgid, params, english)

    monkeypatch.setattr(Text, "__new__", staticmethod(counting))
    schemes = sorted((ROOT / "examples" / "schemes").glob("*.yaml"))
    assert len(schemes) >= 10
    for path in schemes:
        parse_scheme(load_document(path))
    assert made == []
    with pytest.raises(SchemeInvalid):
        parse_scheme({**load_document(schemes[0]), "period": "yaer"})
    assert "%(what)s must be one of %(options)s, not %(value)r; did you mean '%(close)s'?" in made  # it counts
