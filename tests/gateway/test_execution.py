"""The plain-fields executor gives exactly graphql-core's results and errors, only faster."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry

from gateway import execution
from gateway.execution import PlainFieldsExecutor
from gateway.protection import extensions
from gateway.schema import GatewaySchema, Mutation, Query, build_schema
from services.common.auth import Grant, Principal
from tests.gateway.fakes import FakeBackend, context


@strawberry.type
class Item:
    code: str
    value: str | None
    n: int

    @strawberry.field
    def doubled(self) -> int:
        return self.n * 2


@strawberry.type
class ItemQuery:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return [Item(code="a", value=None, n=1), Item(code=None, value="x", n=2),  # type: ignore[arg-type]
                Item(code="c", value="y", n="three")]  # type: ignore[arg-type]

    @strawberry.field
    def one(self) -> Item:
        return Item(code="d", value="z", n=4)


def _outcome(result: Any) -> tuple[Any, list[tuple[str, list[Any]]]]:
    return result.data, sorted((e.message, list(e.path or [])) for e in result.errors or [])


@pytest.mark.parametrize("query", [
    "{ items { code value n } }",  # a null in a non-null field, a value the Int scalar refuses
    "{ items { k: code v: value __typename } one { code n } }",
    "query($s: Boolean!) { items { code @skip(if: $s) value @include(if: $s) } one { n doubled } }",
    "{ one { code value n } }",
])
def test_plain_objects_complete_as_graphql_core_does(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    original = execution._read

    def counting(*args: Any) -> Any:
        reads.append(1)
        return original(*args)

    monkeypatch.setattr(execution, "_read", counting)
    fast = strawberry.Schema(query=ItemQuery, execution_context_class=PlainFieldsExecutor)
    plain = strawberry.Schema(query=ItemQuery)
    variables = {"s": True}
    expected = _outcome(plain.execute_sync(query, variable_values=variables))
    assert _outcome(fast.execute_sync(query, variable_values=variables)) == expected
    assert reads  # the fast path was tried (and fell back where graphql-core must report an error)
    if query == "{ items { code value n } }":
        assert [path for _, path in expected[1]] == [["items", 1, "code"], ["items", 2, "n"]]


PAGE = """query($first: Int) { subjects(periodId: "p1", first: $first) { totalCount nodes { __typename id name group
  kind unitPath attributes score { total indicators { code value } flags { veto } }
  result { rank grade labels rewards } } } }"""


@pytest.mark.parametrize("grant", [Grant("auditor", ""), Grant("assessor", "city/a"), Grant("subject", "city/b")])
async def test_a_page_is_the_same_through_either_executor(grant: Grant) -> None:
    principal = Principal(subject="p", grants=(grant,), subject_ids=("s-b",))
    standard = GatewaySchema(query=Query, mutation=Mutation, extensions=extensions(production=False))
    outcomes = []
    for schema in (build_schema(), standard):
        backend = FakeBackend()
        clients = backend.clients()
        outcomes.append(_outcome(await schema.execute(PAGE, variable_values={"first": 10},
                                                      context_value=context(clients, principal))))
        await clients.aclose()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0]["subjects"]["nodes"]
