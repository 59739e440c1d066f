"""The user guides and the operations guide: every rule kind shown, every example quoted exactly
as the example scheme has it, and every command and variable they name real."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaohe.engine import parse_scheme
from tests.deploy.test_manifests import command_exists, known_variables

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [ROOT / "docs" / "user-guide.zh.md", ROOT / "docs" / "user-guide.en.md"]
REFERENCE = ROOT / "docs" / "scheme-reference.md"
OPERATIONS = ROOT / "docs" / "operations.md"
RULE_KINDS = ["manual", "ratio", "completion", "deduction", "accrual", "per_occurrence", "banded", "rating",
              "rank_points", "cases", "journal", "peer_relative"]  # scheme-format.md §3.4, in its order


def sections(text: str) -> dict[str, str]:
    """The `#### \\`kind\\`` sections of a guide, by kind."""
    parts = re.split(r"^#### `([a-z_]+)`", text, flags=re.M)
    return {parts[i]: re.split(r"\n##+ ", parts[i + 1])[0] for i in range(1, len(parts), 2)}


def yaml_blocks(text: str) -> list[Any]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)]


def find_node(nodes: list[dict[str, Any]], code: str) -> dict[str, Any] | None:
    for node in nodes:
        if node.get("code") == code:
            return node
        found = find_node(node.get("children", []), code)
        if found:
            return found
    return None


@pytest.mark.parametrize("guide", [*GUIDES, REFERENCE], ids=lambda p: p.name)
def test_guide_shows_every_rule_kind_in_order(guide: Path) -> None:
    assert list(sections(guide.read_text(encoding="utf-8"))) == RULE_KINDS


@pytest.mark.parametrize("guide", [*GUIDES, REFERENCE], ids=lambda p: p.name)
def test_rule_examples_are_quoted_from_the_example_schemes(guide: Path) -> None:
    for kind, body in sections(guide.read_text(encoding="utf-8")).items():
        (node,) = yaml_blocks(body)[0]
        assert node["rule"]["kind"] == kind
        cited = re.findall(r"`(examples/schemes/[^`]+\.yaml)`", body)
        if kind == "peer_relative" and not cited:  # the guides show an illustration: it must be valid
            assert cited == []
            parse_scheme({"id": "doc", "version": 1, "title": "t", "subject_kind": "unit", "period": "year",
                          "groups": ["A"], "indicators": [node], "ranking": {"scope": "all", "order": ["total"]}})
            continue
        scheme = yaml.safe_load((ROOT / cited[0]).read_text(encoding="utf-8"))
        assert find_node(scheme["indicators"], node["code"]) == node, (kind, cited[0])


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_scheme_sections_quoted_from_the_example(guide: Path) -> None:
    text = guide.read_text(encoding="utf-8")
    scheme = yaml.safe_load((ROOT / "examples/schemes/003-1-meiling-staff-quarterly.yaml").read_text(encoding="utf-8"))
    header, *_rest = yaml_blocks(text)
    assert header == {k: scheme[k] for k in header}
    policy = next(b for b in yaml_blocks(text) if isinstance(b, dict) and "grading" in b)
    assert policy["vetoes"] == scheme["vetoes"] and policy["ranking"] == scheme["ranking"]
    assert policy["grading"] == {k: scheme["grading"][k] for k in policy["grading"]}
    assert policy["rewards"] == scheme["rewards"]
    assert f'total: "{scheme["total"]}"' in text


@pytest.mark.parametrize("doc", [*GUIDES, REFERENCE, OPERATIONS, ROOT / "docker" / "k8s" / "README.md"],
                         ids=lambda p: p.name)
def test_documents_name_real_files_commands_and_variables(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for path in re.findall(r"`((?:examples|docker|docs)/[^`* ]+)`", text):
        assert (ROOT / path).exists(), path
    for command in re.findall(r"`kaohe ([a-z][a-z -]*?)(?: [A-Z<\[/.]|`)", text):
        words = [w for w in command.split() if not w.startswith("-")]
        if words == ["serve"]:  # `kaohe serve <process>`
            words = ["serve", "gateway"]
        assert command_exists(words[:2] if words[0] == "serve" else words[:1]), command
    names = set(re.findall(r"\bKAOHE_[A-Z0-9_]*[A-Z0-9]", text))
    assert names <= known_variables(), names - known_variables()
