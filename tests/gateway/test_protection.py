"""Query limits: depth, aliases, estimated cost, page size; introspection off in production;
typed error codes; the committed SDL is current."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.protection import MAX_ALIASES, MAX_COST, MAX_PAGE_SIZE, estimate_cost, extensions
from gateway.schema import GatewaySchema
from kaohe.gateway_cli import SDL_PATH, current_sdl
from services.common.errors import Forbidden


@strawberry.type
class Leaf:
    value: int = 1


@strawberry.type
class Node:
    @strawberry.field
    def child(self) -> Node:
        return Node()

    @strawberry.field
    def items(self, first: int = 20) -> list[Leaf]:
        return [Leaf() for _ in range(min(first, 3))]

    @strawberry.field
    def nodes(self, first: int = 20) -> list[Node]:
        return [Node() for _ in range(min(first, 2))]

    @strawberry.field
    def secret(self) -> int:
        raise Forbidden("not yours")


@strawberry.type
class Query:
    @strawberry.field
    def root(self) -> Node:
        return Node()


def _schema(production: bool = False) -> strawberry.Schema:
    return GatewaySchema(query=Query, extensions=extensions(production=production))


def _codes(result: Any) -> list[str]:
    return [e.extensions.get("code") for e in result.errors or []]


def test_depth_limit() -> None:
    ok = "{ root { child { child { child { items { value } } } } } }"
    assert _schema().execute_sync(ok).errors is None
    deep = "{ root " + "{ child " * 11 + "{ items { value } }" + " }" * 11 + " }"
    result = _schema().execute_sync(deep)
    assert result.errors and "exceeds maximum operation depth" in result.errors[0].message


def test_alias_flood() -> None:
    flood = "{ " + " ".join(f"a{i}: root {{ items {{ value }} }}" for i in range(MAX_ALIASES + 1)) + " }"
    result = _schema().execute_sync(flood)
    assert result.errors and "aliases found" in result.errors[0].message


def test_page_size_cap() -> None:
    result = _schema().execute_sync(f"{{ root {{ items(first: {MAX_PAGE_SIZE + 1}) {{ value }} }} }}")
    assert _codes(result) == ["BAD_USER_INPUT"]
    assert result.errors[0].message == f"first may be at most {MAX_PAGE_SIZE}"
    # the shape of every refused argument (docs/api.md, "Errors"): a reason and `details[].field`
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "reason": "invalid_input",
                                           "details": [{"field": "first", "reason": "out of range"}]}


def test_cost_limit() -> None:
    # root 1 + [nodes 1 + 100 × (nodes 1 + 100 × (items 1 + 100 × value 1))]
    #   = 1 + 1 + 100 × (1 + 100 × 101) = 2 + 100 × 10,101 = 1,010,102
    costly = "{ root { nodes(first: 100) { nodes(first: 100) { items(first: 100) { value } } } } }"
    result = _schema().execute_sync(costly)
    assert _codes(result) == ["QUERY_TOO_COSTLY"]
    assert result.errors[0].message == (
        f"query cost 1010102 is over the limit of {MAX_COST}; ask for fewer items or fields"
    )
    assert _schema().execute_sync("{ root { nodes(first: 10) { items(first: 10) { value } } } }").errors is None


def test_estimate_cost_counts_pages() -> None:
    from graphql import parse
    from graphql.utilities import TypeInfo
    from graphql.validation import ValidationContext

    document = parse("{ root { nodes(first: 5) { items(first: 4) { value } } } }")
    schema = _schema()._schema
    context = ValidationContext(schema, document, TypeInfo(schema), lambda _e: None)
    operation = document.definitions[0]
    # root 1 + nodes (1 + 5 × (items 1 + 4 × value 1)) = 1 + 1 + 5 × 5 = 27
    assert estimate_cost(operation.selection_set, context, {}) == 27
    # without `first` a list answers its default page of 20, and costs it (it used to count as one item):
    # root 1 + [nodes 1 + 20 × (nodes 1 + 20 × (items 1 + 20 × value 1))] = 2 + 20 × (1 + 20 × 21) = 8,422
    document = parse("{ root { nodes { nodes { items { value } } } } }")
    context = ValidationContext(schema, document, TypeInfo(schema), lambda _e: None)
    assert estimate_cost(document.definitions[0].selection_set, context, {}) == 8422


def test_domain_errors_carry_a_code() -> None:
    result = _schema().execute_sync("{ root { secret } }")
    assert result.errors[0].message == "not yours"
    assert result.errors[0].extensions == {"code": "FORBIDDEN", "reason": "forbidden"}


def test_introspection_is_off_in_production() -> None:
    query = "{ __schema { queryType { name } } }"
    assert _schema(production=False).execute_sync(query).errors is None
    assert _schema(production=True).execute_sync(query).errors


def test_committed_sdl_is_current() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == current_sdl(), "run `kaohe schema export` and commit the file"


def _fan_out(levels: int) -> str:
    """Fragments spreading the next one twice: 2**levels spreads if each were followed again (under 1 KB)."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {chain} fragment F{levels} on Query {{ root {{ items {{ value }} }} }}"


def test_fragments_spread_twice_at_every_level_are_read_once() -> None:
    """40 levels of fragments spreading the next twice (2**40 spreads if followed each time, as strawberry's depth
    and alias limiters did: 9 s at 20 levels, a hung gateway at 40) are one field, as execution collects them."""
    result = _schema().execute_sync(_fan_out(40))
    assert result.errors is None
    assert result.data == {"root": {"items": [{"value": 1}] * 3}}


def test_a_chain_of_hundreds_of_fragments_is_validated_without_recursion() -> None:
    """150 fragments each spreading the next are read in a loop and answered; 600 (a RecursionError in strawberry's
    depth limiter, answered INTERNAL, before) are refused by graphql-core's own nesting check (200 levels)."""
    def chain(levels: int) -> str:
        spreads = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(levels))
        return f"query {{ ...F0 }} {spreads} fragment F{levels} on Query {{ root {{ items {{ value }} }} }}"

    result = _schema().execute_sync(chain(150))
    assert result.errors is None
    assert result.data == {"root": {"items": [{"value": 1}] * 3}}
    result = _schema().execute_sync(chain(600))
    assert [(error.message, error.extensions) for error in result.errors] == [
        ("Validation aborted.", {"code": "GRAPHQL_VALIDATION_FAILED"})]


def test_a_long_fragment_cycle_and_an_unknown_fragment_are_validation_errors() -> None:
    cycle = " ".join(f"fragment F{i} on Query {{ ...F{(i + 1) % 100} }}" for i in range(100))
    result = _schema().execute_sync(f"query {{ ...F0 }} {cycle}")
    assert result.errors and all(error.message.startswith("Cannot spread fragment 'F") for error in result.errors)
    result = _schema().execute_sync("{ root { ...Nope } }")
    assert [error.message for error in result.errors] == ["Unknown fragment 'Nope'."]


def test_depth_and_aliases_count_through_fragments() -> None:
    """The limits see what a fragment holds: 11 levels through fragments is too deep, 31 aliases in one too many."""
    deep = "query Deep { root { ...C } } fragment C on Node " + "{ child " * 10 + "{ items { value } }" + " }" * 10
    result = _schema().execute_sync(deep)
    assert [error.message for error in result.errors] == ["'Deep' exceeds maximum operation depth of 10"]
    aliases = " ".join(f"a{i}: value" for i in range(MAX_ALIASES + 1))
    result = _schema().execute_sync(f"{{ root {{ items {{ ...A }} }} }} fragment A on Leaf {{ {aliases} }}")
    assert [error.message for error in result.errors] == [f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"]


def test_a_request_verifies_at_most_four_whole_chains() -> None:
    """verifyAuditChain reads a service's whole chain and its audited rows: 30 aliases of it held evidence for 30 s;
    each costs a fifth of the limit now, so four pass validation (the three chains and a snapshot) and five not."""
    from graphql import parse, validate

    from gateway.protection import cost_rule
    from gateway.schema import build_schema

    schema = build_schema(production=False)._schema

    def verifications(count: int) -> list[str]:
        document = "{ " + " ".join(f"a{i}: verifyAuditChain(service: EVIDENCE) {{ ok }}" for i in range(count)) + " }"
        return [error.message for error in validate(schema, parse(document), [cost_rule()])]

    assert verifications(4) == []
    # 5 × (4,000 + 1 for the field + 1 for ok) = 20,010
    assert verifications(5) == [f"query cost 20010 is over the limit of {MAX_COST}; ask for fewer items or fields"]


def test_webhook_subscriptions_and_their_deliveries_are_costed_as_lists() -> None:
    """Attacker probe: `{ a0: webhookSubscriptions { id deliveries { id payload } } … a29 }` passed the cost check
    (each list counted as one item) and three such requests held evidence for minutes. Both are connections now;
    without `first` each counts as its default page of 20, with it as `first` (at most 100)."""
    from graphql import parse, validate

    from gateway.protection import cost_rule
    from gateway.schema import build_schema

    schema = build_schema(production=False)._schema

    def errors(document: str, variables: dict[str, Any] | None = None) -> list[str]:
        return [error.message for error in validate(schema, parse(document), [cost_rule(variables)])]

    one = "webhookSubscriptions { nodes { id deliveries { nodes { id payload } } } }"
    # deliveries: 1 + 20 × (nodes 1 + 2) = 61; a subscription's nodes: 1 + (1 id + 61) = 63; 1 + 20 × 63 = 1,261
    assert estimate_of(schema, "{ " + one + " }") == 1261
    assert errors("{ " + " ".join(f"a{i}: {one}" for i in range(15)) + " }") == []  # 18,915
    # 16 aliases: 20,176; 30 aliases: 37,830
    assert errors("{ " + " ".join(f"a{i}: {one}" for i in range(16)) + " }") == [
        f"query cost 20176 is over the limit of {MAX_COST}; ask for fewer items or fields"]
    assert errors("{ " + " ".join(f"a{i}: {one}" for i in range(30)) + " }") == [
        f"query cost 37830 is over the limit of {MAX_COST}; ask for fewer items or fields"]
    # through edges the same: deliveries 1 + 20 × (edges 1 + node (1 + payload 1)) = 61, then 1 + 20 × (1 + 1 + 61)
    edges = "webhookSubscriptions { edges { node { deliveries { edges { node { payload } } } } } }"
    assert estimate_of(schema, "{ " + edges + " }") == 1261
    # the largest pages: 1 + 100 × (1 + 1 id + 1 + 100 × (1 + 2)) = 30,301
    assert errors("{ webhookSubscriptions(first: 100) { nodes { id deliveries(first: 100) { nodes { id payload } } } "
                  "} }") == [f"query cost 30301 is over the limit of {MAX_COST}; ask for fewer items or fields"]
    # a variable counts as well: deliveries(first: 2) = 1 + 2 × (1 + 1) = 5; 1 + 20 × (1 + 5) = 121
    variable = "query($n: Int) { webhookSubscriptions { nodes { deliveries(first: $n) { nodes { id } } } } }"
    assert estimate_of(schema, variable, {"n": 2}) == 121
    assert errors(variable.replace("{ id }", "{ id payload }"), {"n": 100}) == []  # 1 + 20 × (1 + 301) = 6,041
    # a: 1 + 100 × (1 + 1 + 100 × 3) = 30,201; b: 1 + 20 × 1 = 21
    assert errors("query($n: Int) { a: webhookSubscriptions(first: $n) { nodes { deliveries(first: $n) { nodes { id "
                  "payload } } } } b: webhookSubscriptions { totalCount } }", {"n": 100}) == [
        f"query cost 30222 is over the limit of {MAX_COST}; ask for fewer items or fields"]


def estimate_of(schema: Any, document: str, variables: dict[str, Any] | None = None) -> int:
    from graphql import OperationDefinitionNode, TypeInfo, ValidationContext, parse

    parsed = parse(document)
    operation = parsed.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    context = ValidationContext(schema, parsed, TypeInfo(schema), lambda _error: None)
    return estimate_cost(operation.selection_set, context, variables or {})


def test_a_request_verifies_at_most_two_periods() -> None:
    """Attacker probe: 30 aliases of verifyPeriod recomputed the period with the engine 30 times in one request. It
    costs a third of the limit now (20,000 // 3 = 6,666): two pass (2 × (6,666 + 1 + 1) = 13,336), three not
    (3 × 6,668 = 20,004); one still fits beside the three whole chains of docs/api.md's Audit query."""
    from graphql import parse, validate

    from gateway.protection import cost_rule
    from gateway.schema import build_schema

    schema = build_schema(production=False)._schema

    def verifications(count: int, extra: str = "") -> list[str]:
        document = "{ " + " ".join(f'a{i}: verifyPeriod(periodId: "p1") {{ ok }}' for i in range(count)) + extra + " }"
        return [error.message for error in validate(schema, parse(document), [cost_rule()])]

    assert verifications(1) == [] and verifications(2) == []
    assert verifications(3) == [f"query cost 20004 is over the limit of {MAX_COST}; ask for fewer items or fields"]
    assert verifications(30) == [f"query cost 200040 is over the limit of {MAX_COST}; ask for fewer items or fields"]
    # one period and the three chains: 6,668 + 3 × 4,002 = 18,674
    chains = " ".join(f"{s.lower()}: verifyAuditChain(service: {s}) {{ ok }}"
                      for s in ("EVIDENCE", "SCORING", "RANKING"))
    assert verifications(1, " " + chains) == []
    assert verifications(2, " " + chains) == [
        f"query cost 25342 is over the limit of {MAX_COST}; ask for fewer items or fields"]


def test_the_audit_example_of_the_api_guide_is_within_the_cost_limit() -> None:
    """docs/api.md's Audit query verifies a period and the three chains beside two pages of 100 in one request:
    scoreHistory 1 + 100 × 6 = 601, scoreAsOf 2, explain 7, verifyPeriod 6,666 + 5, auditTrail 601, the chains
    3 × (4,000 + 3) = 12,009: 19,891, under 20,000."""
    import re
    from pathlib import Path

    from graphql import parse, validate

    from gateway.protection import cost_rule
    from gateway.schema import build_schema

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"^```graphql\n(.*?)^```", text, flags=re.S | re.M) if "query Audit(" in b]
    schema = build_schema(production=False)._schema
    variables = {"period": "p1", "subject": "s1", "entity": "e1", "periodRecords": "p1"}
    assert [error.message for error in validate(schema, parse(block), [cost_rule(variables)])] == []
    audit = block[block.index("query Audit("):block.index("# 审定")]
    assert estimate_of(schema, audit) == 19891
