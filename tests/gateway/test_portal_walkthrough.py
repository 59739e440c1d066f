"""docs/api.md, "A portal in 15 minutes", followed as written: its GraphQL documents are valid against the
schema, and over the real services its key, picker and ranking page work, and its Python page prints the table.

Hand-worked (tests/gateway/test_live_publication.py's scheme): 乙 92 → rank 1 优秀, 甲 88 → rank 2 良好."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate

from gateway.schema import build_schema
from tests.gateway.live import Live, module_stack
from tests.gateway.test_live_publication import computed, local

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
live = module_stack("walkthrough", local("2026-06-01T10:00:00"))


def section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## A portal in 15 minutes")
    return text[start:text.index("\n## ", start + 10)]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), flags=re.S)


def documents() -> dict[str, str]:
    return {re.search(r"(query|mutation) (\w+)", block).group(2): block  # type: ignore[union-attr]
            for block in blocks("graphql")}


def test_the_walkthrough_documents_are_valid() -> None:
    schema = build_schema()._schema
    found = documents()
    assert list(found) == ["CreateKey", "Periods", "RankingPage"]
    for name, text in found.items():
        assert validate(schema, parse(text)) == [], name


def test_the_walkthrough_works_over_the_real_services(live: Live, tmp_path: Path) -> None:
    units = live.city(("甲街道", "a"), ("乙街道", "b"))
    period = computed(live, units, "walk")["id"]
    admin = live.token("admin", "")
    live(admin, "mutation($p: ID!) { publishResults(periodId: $p, workingDays: 5) { status } }", p=period)
    found = documents()
    key = live(admin, found["CreateKey"])["createApiKey"]["key"]

    def with_key(query: str, **variables: object) -> dict[str, object]:
        body = httpx.post(f"{live.url}/graphql", json={"query": query, "variables": variables},
                          headers={"X-API-Key": key}, timeout=30).json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    picked = with_key(found["Periods"])["periods"]["nodes"]  # type: ignore[index]
    assert [p["id"] for p in picked] == [period]
    page = with_key(found["RankingPage"], period=period)
    assert page["ranking"] == {  # type: ignore[comparison-overlap]
        "totalCount": 2, "pageInfo": {"hasNextPage": False, "endCursor": page["ranking"]["pageInfo"]["endCursor"]},  # type: ignore[index]
        "nodes": [{"rank": 1, "name": "乙街道", "group": "街道", "total": "92.00", "grade": "优秀", "labels": []},
                  {"rank": 2, "name": "甲街道", "group": "街道", "total": "88.00", "grade": "良好", "labels": []}]}

    (script,) = blocks("python")
    program = tmp_path / "ranking_page.py"
    program.write_text(script.replace("http://127.0.0.1:8000", live.url), encoding="utf-8")
    printed = subprocess.run([sys.executable, str(program), period], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "KEY": key}, check=False)
    assert printed.returncode == 0, printed.stderr
    assert "<h1>2026-Q2 考核排名</h1>" in printed.stdout
    assert ("<tr><td>1</td><td>乙街道</td><td>街道</td><td>92.00</td><td>优秀</td><td></td></tr>"
            "<tr><td>2</td><td>甲街道</td><td>街道</td><td>88.00</td><td>良好</td><td></td></tr>") in printed.stdout


@pytest.mark.parametrize("step", ["kaohe token --role admin --scope ''", "createApiKey", "revokeApiKey",
                                  "/public/periods/", "/exports/periods/"])
def test_the_walkthrough_names_each_step(step: str) -> None:
    assert step in section()
