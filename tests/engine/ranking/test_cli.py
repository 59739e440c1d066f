"""`kaohe evaluate` and `kaohe scheme validate` through typer's CliRunner."""

from __future__ import annotations

import json
import pathlib

import pytest
import typer
from typer.testing import CliRunner

from kaohe import engine_cli
from kaohe.i18n import use_locale

SCHEME = """\
id: cli-test
version: 1
title: 命令行测试
subject_kind: unit
period: quarter
groups: [社区]
indicators:
  - code: regular
    name: 常规工作
    max: 100
    rule: {kind: manual}
ranking: {scope: group, order: [total]}
grading:
  bands:
    - {grade: 优秀, min: 90}
    - {grade: 合格, min: 60}
    - {grade: 不合格}
labels:
  - {label: 通报表扬, top: 1}
"""

FACTS = {
    "scheme": "cli-test",
    "version": 1,
    "period": "2026-Q1",
    "subjects": [
        {"id": "c01", "name": "东风社区", "group": "社区"},
        {"id": "c02", "name": "红旗社区", "group": "社区"},
    ],
    "facts": [
        {"id": "f1", "subject": "c01", "indicator": "regular", "fact": "score", "points": "88.405"},
        {"id": "f2", "subject": "c02", "indicator": "regular", "fact": "score", "points": "93"},
    ],
}


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Root, so that sub-commands keep their names."""

    engine_cli.register(root)
    return root


@pytest.fixture
def files(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    scheme, facts = tmp_path / "scheme.yaml", tmp_path / "facts.json"
    scheme.write_text(SCHEME, encoding="utf-8")
    facts.write_text(json.dumps(FACTS, ensure_ascii=False), encoding="utf-8")
    return scheme, facts


def run(app: typer.Typer, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_evaluate_json_is_byte_identical_across_runs(app, files) -> None:  # type: ignore[no-untyped-def]
    scheme, facts = files
    first = run(app, "evaluate", "--scheme", str(scheme), "--facts", str(facts))
    second = run(app, "evaluate", "--scheme", str(scheme), "--facts", str(facts))
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    result = json.loads(first.stdout)
    # c02 93 → rank 1, 优秀, 通报表扬; c01 88.405 → "88.41" half-up, 合格.
    assert [(s["id"], s["rank"], s["total"], s["grade"]) for s in result["subjects"]] == [
        ("c02", 1, "93.00", "优秀"), ("c01", 2, "88.41", "合格"),
    ]
    assert result["subjects"][0]["labels"] == ["通报表扬"]


def test_evaluate_out_file(app, files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    scheme, facts = files
    out = tmp_path / "result.json"
    done = run(app, "evaluate", "--scheme", str(scheme), "--facts", str(facts), "--out", str(out))
    assert done.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["scheme"] == "cli-test"


def test_evaluate_table(app, files) -> None:  # type: ignore[no-untyped-def]
    scheme, facts = files
    done = run(app, "evaluate", "--scheme", str(scheme), "--facts", str(facts), "--format", "table")
    assert done.exit_code == 0
    assert "c02 红旗社区" in done.stdout and "通报表扬" in done.stdout and "88.41" in done.stdout
    assert "\x1b" not in done.stdout


def test_malformed_yaml_exits_2_without_traceback(app, files) -> None:  # type: ignore[no-untyped-def]
    scheme, facts = files
    scheme.write_text("id: [unclosed\n", encoding="utf-8")
    for args in (("scheme", "validate", str(scheme)), ("evaluate", "--scheme", str(scheme), "--facts", str(facts))):
        done = run(app, *args)
        assert done.exit_code == 2
        assert "malformed YAML" in done.stderr
        assert "Traceback" not in done.output


def test_malformed_json_facts_exit_2(app, files) -> None:  # type: ignore[no-untyped-def]
    scheme, facts = files
    facts.write_text('{"scheme": ', encoding="utf-8")
    done = run(app, "evaluate", "--scheme", str(scheme), "--facts", str(facts))
    assert done.exit_code == 2
    assert "facts file" in done.stderr and "malformed JSON" in done.stderr


def test_missing_file_exit_2(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = run(app, "scheme", "validate", str(tmp_path / "nope.yaml"))
    assert done.exit_code == 2
    assert "no such file" in done.stderr


def test_unknown_key_is_reported_with_its_pointer(app, files) -> None:  # type: ignore[no-untyped-def]
    scheme, _ = files
    scheme.write_text(SCHEME + "colour: blue\n", encoding="utf-8")
    done = run(app, "scheme", "validate", str(scheme))
    assert done.exit_code == 2
    assert "/colour: " in done.stderr


def test_invalid_scheme_lists_every_problem_one_per_line(app, files) -> None:  # type: ignore[no-untyped-def]
    scheme, facts = files
    broken = SCHEME.replace("max: 100", "max: -5").replace("- {grade: 不合格}", "- {grade: 不合格, min: 0}")
    scheme.write_text(broken, encoding="utf-8")
    done = run(app, "evaluate", "--scheme", str(scheme), "--facts", str(facts))
    assert done.exit_code == 2
    lines = done.stderr.splitlines()
    assert "is invalid" in lines[0]
    assert len(lines) >= 3  # the headline and at least two problems
    assert all(line.startswith("/") for line in lines[1:])
    assert done.stdout == ""


def test_validate_ok(app, files) -> None:  # type: ignore[no-untyped-def]
    scheme, _ = files
    done = run(app, "scheme", "validate", str(scheme))
    assert done.exit_code == 0
    assert done.stdout == "ok\n"


def test_validate_warns_of_a_band_above_the_leafs_max(app, files) -> None:  # type: ignore[no-untyped-def]
    """Valid (exit 0, `ok` on stdout): the band's 120 points are held to the leaf's 100; the warning names the band."""
    scheme, _ = files
    banded = "rule: {kind: banded, bands: [{min: 0.9, points: 120}, {min: 0.5, points: 60}]}"
    scheme.write_text(SCHEME.replace("rule: {kind: manual}", banded), encoding="utf-8")
    done = run(app, "scheme", "validate", str(scheme))
    assert (done.exit_code, done.stdout) == (0, "ok\n")
    assert done.stderr == ("warning: /indicators/0/rule/bands/0/points: this band gives 120 points, more than the "
                           "leaf's max 100: the score is held to 100\n")


TIED_SCHEME = """\
id: table-test
version: 1
title: 表格测试
subject_kind: unit
period: quarter
precision: 2
groups: [社区, 村]
indicators:
  - {code: regular, name: 常规工作, max: 100, rule: {kind: manual}}
ranking: {scope: SCOPE, order: [total]}
labels:
  - {label: 通报表扬, top: 1}
"""

TIED_FACTS = {
    "scheme": "table-test", "version": 1, "period": "2026-Q1",
    "subjects": [{"id": "c01", "name": "东风社区", "group": "社区"}, {"id": "c02", "name": "红旗社区", "group": "社区"},
                 {"id": "v01", "name": "李村", "group": "村"}, {"id": "v02", "name": "王村", "group": "村"}],
    "facts": [{"id": f"f{n}", "subject": s, "indicator": "regular", "fact": "score", "points": p}
              for n, (s, p) in enumerate((("c01", "93"), ("c02", "93"), ("v01", "80"), ("v02", "70")))],
}


def _tied(app: typer.Typer, tmp_path: pathlib.Path, scope: str) -> str:
    scheme, facts = tmp_path / f"{scope}.yaml", tmp_path / "tied.json"
    scheme.write_text(TIED_SCHEME.replace("SCOPE", scope), encoding="utf-8")
    facts.write_text(json.dumps(TIED_FACTS, ensure_ascii=False), encoding="utf-8")
    done = run(app, "evaluate", "--scheme", str(scheme), "--facts", str(facts), "--format", "table")
    assert done.exit_code == 0, done.output
    return str(done.stdout)


@pytest.fixture
def chinese():  # type: ignore[no-untyped-def]
    """The run's language (kaohe --lang zh-CN): the table's headers and fixed words in Chinese."""
    use_locale("zh-CN")
    yield
    use_locale(None)


def test_evaluate_table_blank_line_between_groups_after_a_tie_at_rank_1(app, tmp_path, chinese) -> None:  # type: ignore[no-untyped-def]
    # 社区's two leaders tie at 1 and 村's leader is 1 again: the rank does not fall, the group changes.
    # Columns: 名次 4 wide, 对象 12 (c01 东风社区), 组别 4, 总分 5, 等次 4, 标签 8 (通报表扬), 奖励 4; CJK is 2 wide.
    assert _tied(app, tmp_path, "group") == (
        "table-test v1 · 2026-Q1\n"
        "\n"
        "名次  对象          组别   总分  等次  标签      奖励\n"
        "   1  c01 东风社区  社区  93.00  —     通报表扬  —\n"
        "   1  c02 红旗社区  社区  93.00  —     通报表扬  —\n"
        "\n"
        "   1  v01 李村      村    80.00  —     通报表扬  —\n"
        "   2  v02 王村      村    70.00  —     —         —\n"
    )


def test_evaluate_table_one_scope_has_no_blank_line(app, tmp_path, chinese) -> None:  # type: ignore[no-untyped-def]
    # ranked all together: 93, 93, 80, 70 → 1, 1, 3, 4; only the two leaders are commended
    assert _tied(app, tmp_path, "all") == (
        "table-test v1 · 2026-Q1\n"
        "\n"
        "名次  对象          组别   总分  等次  标签      奖励\n"
        "   1  c01 东风社区  社区  93.00  —     通报表扬  —\n"
        "   1  c02 红旗社区  社区  93.00  —     通报表扬  —\n"
        "   3  v01 李村      村    80.00  —     —         —\n"
        "   4  v02 王村      村    70.00  —     —         —\n"
    )


def test_evaluate_table_in_english(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Columns: Rank 4, Subject 12 (c01 东风社区), Group 5, Total 5, Grade 5, Labels 8 (通报表扬), Rewards 7; the data
    # (names, groups, labels) stays as the scheme and facts write it.
    assert _tied(app, tmp_path, "group") == (
        "table-test v1 · 2026-Q1\n"
        "\n"
        "Rank  Subject       Group  Total  Grade  Labels    Rewards\n"
        "   1  c01 东风社区  社区   93.00  —      通报表扬  —\n"
        "   1  c02 红旗社区  社区   93.00  —      通报表扬  —\n"
        "\n"
        "   1  v01 李村      村     80.00  —      通报表扬  —\n"
        "   2  v02 王村      村     70.00  —      —         —\n"
    )
