"""`kaohe scheme validate` and `kaohe evaluate` write a bad scheme's problems in the run's language (issue 22):
`--lang`, as every CLI line. Expected lines written out by hand from the checker's sentences."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from kaohe.i18n import use_locale
from tests.engine.ranking.test_cli import FACTS, SCHEME

BROKEN = SCHEME.replace("max: 100", "max: -5").replace("- {grade: 不合格}", "- {grade: 不合格, min: 0}")


@pytest.fixture
def broken(tmp_path: pathlib.Path) -> Iterator[tuple[pathlib.Path, pathlib.Path]]:
    scheme, facts = tmp_path / "bad.yaml", tmp_path / "facts.json"
    scheme.write_text(BROKEN, encoding="utf-8")
    facts.write_text(json.dumps(FACTS, ensure_ascii=False), encoding="utf-8")
    yield scheme, facts
    use_locale(None)  # the CLI sets the language of the whole process


def _run(*args: str) -> tuple[int, list[str]]:
    from kaohe.cli import app

    done = CliRunner().invoke(app, list(args))
    return done.exit_code, done.stderr.splitlines()


def test_validate_prints_the_problems_in_chinese(broken: tuple[pathlib.Path, pathlib.Path]) -> None:
    scheme, _facts = broken
    assert _run("--lang", "zh-CN", "scheme", "validate", str(scheme)) == (2, [
        f"kaohe: 方案 {scheme} 无效（2 处问题）：",
        "/indicators/0/max: 指标“常规工作”的满分（max） 必须大于 0，现为 -5",
        "/grading/bands: 最后一档必须是不写 min 的兜底档，如 {grade: 不称职}"])


def test_validate_and_evaluate_print_the_problems_in_english(broken: tuple[pathlib.Path, pathlib.Path]) -> None:
    scheme, facts = broken
    lines = ["/indicators/0/max: the max of indicator '常规工作' must be greater than 0, not -5",
             "/grading/bands: the last band must be a catch-all without min, such as {grade: 不称职}"]
    assert _run("--lang", "en", "scheme", "validate", str(scheme)) == (
        2, [f"kaohe: the scheme {scheme} is invalid (2 problems):", *lines])
    assert _run("--lang", "en", "evaluate", "--scheme", str(scheme), "--facts", str(facts)) == (
        2, [f"kaohe: the scheme {scheme} is invalid (2 problems):", *lines])


def test_evaluate_prints_the_problems_in_chinese(broken: tuple[pathlib.Path, pathlib.Path]) -> None:
    scheme, facts = broken
    code, lines = _run("--lang", "zh-CN", "evaluate", "--scheme", str(scheme), "--facts", str(facts))
    assert (code, lines[1:]) == (2, ["/indicators/0/max: 指标“常规工作”的满分（max） 必须大于 0，现为 -5",
                                     "/grading/bands: 最后一档必须是不写 min 的兜底档，如 {grade: 不称职}"])


def _evaluate_bad_facts(tmp_path: pathlib.Path, output: str) -> tuple[dict[str, Any], Any]:
    """`kaohe evaluate --format OUTPUT` in zh-CN and en (both exit 0), and the JSON result under zh-CN, for the
    facts of tests/engine/scoring/test_problem_language.py (three bad facts)."""
    from kaohe.cli import app
    from tests.engine.scoring.test_problem_language import BAD_FACTS

    scheme, facts = tmp_path / "scheme.yaml", tmp_path / "facts.json"
    scheme.write_text(SCHEME, encoding="utf-8")
    facts.write_text(json.dumps(BAD_FACTS, ensure_ascii=False), encoding="utf-8")
    try:
        runs = {language: CliRunner().invoke(app, ["--lang", language, "evaluate", "--scheme", str(scheme),
                                                   "--facts", str(facts), "--format", output])
                for language in ("zh-CN", "en")}
        as_json = CliRunner().invoke(app, ["--lang", "zh-CN", "evaluate", "--scheme", str(scheme),
                                           "--facts", str(facts)])
    finally:
        use_locale(None)
    assert {language: run.exit_code for language, run in runs.items()} == {"zh-CN": 0, "en": 0}
    return runs, as_json


def test_the_table_shows_scoring_problems_in_the_language_asked_for(tmp_path: pathlib.Path) -> None:
    """`kaohe evaluate --format table`: the problem lines in the run's language; the JSON result stays English."""
    runs, as_json = _evaluate_bad_facts(tmp_path, "table")
    assert runs["zh-CN"].stdout.splitlines()[-4:] == [
        "问题（3 个）：", "  f3: 未知的考核对象 'c99'", "  f4: 未知的指标 'nope'",
        "  f5: 评分事实的分值 points 须为数字，现为 'abc'"]
    assert runs["en"].stdout.splitlines()[-4:] == [
        "problems (3):", "  f3: unknown subject 'c99'", "  f4: unknown indicator 'nope'",
        "  f5: score fact needs numeric points, got 'abc'"]
    assert [p["message"] for p in json.loads(as_json.stdout)["problems"]] == [
        "unknown subject 'c99'", "unknown indicator 'nope'", "score fact needs numeric points, got 'abc'"]


def test_evaluate_explains_each_score_in_the_language_asked_for(tmp_path: pathlib.Path) -> None:
    """`kaohe evaluate --format explain`: each subject's explanations (stored in English, the JSON's) in the run's
    language, then the problems; worked by hand from the facts (f5's points are no number, so c02 has f2 only)."""
    runs, as_json = _evaluate_bad_facts(tmp_path, "explain")
    assert runs["zh-CN"].stdout.splitlines() == [
        "cli-test v1 · 2026-Q1", "",
        "c02 红旗社区", "  regular  人工评分（平均）[f2]：(93) / 1 = 93", "  total    总分：regular 93 = 93", "",
        "c01 东风社区", "  regular  人工评分（平均）[f1]：(88.405) / 1 = 88.405",
        "  total    总分：regular 88.405 = 88.405", "",
        "问题（3 个）：", "  f3: 未知的考核对象 'c99'", "  f4: 未知的指标 'nope'",
        "  f5: 评分事实的分值 points 须为数字，现为 'abc'"]
    assert runs["en"].stdout.splitlines() == [
        "cli-test v1 · 2026-Q1", "",
        "c02 红旗社区", "  regular  manual mean [f2]: (93) / 1 = 93", "  total    total: regular 93 = 93", "",
        "c01 东风社区", "  regular  manual mean [f1]: (88.405) / 1 = 88.405",
        "  total    total: regular 88.405 = 88.405", "",
        "problems (3):", "  f3: unknown subject 'c99'", "  f4: unknown indicator 'nope'",
        "  f5: score fact needs numeric points, got 'abc'"]
    # the JSON result keeps the engine's English whatever the language
    assert [subject["explain"] for subject in json.loads(as_json.stdout)["subjects"]] == [
        {"regular": "manual mean [f2]: (93) / 1 = 93", "total": "total: regular 93 = 93"},
        {"regular": "manual mean [f1]: (88.405) / 1 = 88.405", "total": "total: regular 88.405 = 88.405"}]


def _facts(tmp_path: pathlib.Path, **header: Any) -> tuple[pathlib.Path, pathlib.Path]:
    """The test scheme and its facts with `scheme`/`version` replaced (None: left out)."""
    scheme, facts = tmp_path / "scheme.yaml", tmp_path / "facts.json"
    scheme.write_text(SCHEME, encoding="utf-8")
    document = {k: v for k, v in {**FACTS, **header}.items() if v is not None}
    facts.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return scheme, facts


def test_evaluate_refuses_facts_of_another_scheme_with_exit_2_and_writes_nothing(tmp_path: pathlib.Path) -> None:
    from kaohe.cli import app

    try:
        scheme, facts = _facts(tmp_path, scheme="x", version=None)
        out = tmp_path / "result.json"
        done = CliRunner().invoke(app, ["--lang", "en", "evaluate", "--scheme", str(scheme), "--facts", str(facts),
                                        "--out", str(out)])
        assert (done.exit_code, done.stdout, done.stderr.splitlines()) == (2, "", [
            f"kaohe: the facts {facts} are for scheme x, not cli-test; nothing was computed (evaluate them with their "
            "own scheme, or set `scheme` and `version` in the facts file)"])
        assert not out.exists()
        scheme, facts = _facts(tmp_path, version=2)  # the right scheme, another version
        assert _run("--lang", "en", "evaluate", "--scheme", str(scheme), "--facts", str(facts)) == (2, [
            f"kaohe: the facts {facts} are for scheme cli-test version 2, not cli-test version 1; nothing was "
            "computed (evaluate them with their own scheme, or set `scheme` and `version` in the facts file)"])
        assert _run("--lang", "zh-CN", "evaluate", "--scheme", str(scheme), "--facts", str(facts)) == (2, [
            f"kaohe: 事实文件 {facts} 属于方案 cli-test 第 2 版，不是 cli-test 第 1 版；未作计算"
            "（请用它所属的方案计算，或在事实文件中设置 `scheme` 和 `version`）"])
        # facts that name no scheme are taken as the scheme's, as before
        scheme, facts = _facts(tmp_path, scheme=None, version=None)
        done = CliRunner().invoke(app, ["--lang", "en", "evaluate", "--scheme", str(scheme), "--facts", str(facts)])
        assert (done.exit_code, json.loads(done.stdout)["subjects"][0]["id"]) == (0, "c02")
    finally:
        use_locale(None)


def test_validate_says_ok_in_the_language_asked_for(tmp_path: pathlib.Path) -> None:
    from kaohe.cli import app

    scheme, _facts_file = _facts(tmp_path)
    try:
        for language, word in (("zh-CN", "有效\n"), ("en", "ok\n")):
            done = CliRunner().invoke(app, ["--lang", language, "scheme", "validate", str(scheme)])
            assert (done.exit_code, done.stdout) == (0, word)
    finally:
        use_locale(None)
