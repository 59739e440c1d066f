"""Every GraphQL example in docs/ is a valid document against the schema clients get (`gateway/schema.graphql`),
so a reader who copies one meets no validation error (newcomer probe: `Approval` passed `ID!` where `String!` was
expected)."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import build_schema, parse, validate

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```graphql\n(.*?)^```", flags=re.S | re.M)


def examples() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for doc in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        for block in FENCE.findall(doc.read_text(encoding="utf-8")):
            found.append((doc.name, block))
    return found


def problems(sdl: str, text: str) -> list[str]:
    return [error.message for error in validate(build_schema(sdl), parse(text))]


def test_every_graphql_example_in_the_docs_validates() -> None:
    sdl = (ROOT / "gateway" / "schema.graphql").read_text(encoding="utf-8")
    found = examples()
    # api.md's examples: Ranking, Submit, Choose, Office, Correct, Audit + Approval, CreateKey, Periods,
    # RankingPage and the webhook subscription: ten blocks at the time of writing
    assert len([name for name, _ in found if name == "api.md"]) >= 10
    for name, block in found:
        assert problems(sdl, block) == [], (name, block[:80])


def test_the_check_catches_a_variable_of_the_wrong_type() -> None:
    sdl = "type Query { trail(entityId: String!): Int  node(id: ID!): Int }"
    assert problems(sdl, "query Q($e: String!) { trail(entityId: $e) }") == []
    (message,) = problems(sdl, "query Q($e: ID!) { trail(entityId: $e) }")
    assert message == "Variable '$e' of type 'ID!' used in position expecting type 'String!'."
