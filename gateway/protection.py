"""Limits that keep one GraphQL request from costing too much: depth, aliases, tokens, an
estimated cost, and introspection off in production (error codes: gateway/errors.py)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from gateway.persisted import PersistedQueries, Policy
from kaohe.i18n import _

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5000
MAX_COST = 20_000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
PAGE_ARGUMENTS = ("first", "last")


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value)
            name = getattr(getattr(argument.value, "name", None), "value", None)
            if name is not None and isinstance(variables.get(name), int):
                return int(variables[name])
            return MAX_PAGE_SIZE
    return 1


def _fields(selection_set: SelectionSetNode | None, context: ValidationContext,
            spread: frozenset[str] = frozenset()) -> Iterator[FieldNode]:
    """The fields of a selection set, through its fragments; a fragment already spread on the way here (a cycle,
    which graphql-core's NoFragmentCyclesRule reports by name) is not entered again."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, context, spread)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in spread:
            fragment = context.get_fragment(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, context, spread | {selection.name.value})


def estimate_cost(selection_set: SelectionSetNode | None, context: ValidationContext,
                  variables: dict[str, Any], depth: int = 0) -> int:
    """Each field costs 1, times the page sizes of the lists around it."""
    if depth > MAX_DEPTH * 2:
        return MAX_COST + 1
    total = 0
    for field in _fields(selection_set, context):
        multiplier = _page_size(field, variables)
        total += 1 + multiplier * estimate_cost(field.selection_set, context, variables, depth + 1)
    return total


def cost_rule(variables: dict[str, Any] | None = None) -> type[ValidationRule]:
    """A validation rule refusing operations whose estimated cost is over `MAX_COST`."""

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            cost = estimate_cost(node.selection_set, self.context, variables or {})
            if cost > MAX_COST:
                self.report_error(GraphQLError(
                    _("query cost %(cost)s is over the limit of %(max_cost)s; ask for fewer items or fields",
                      cost=cost, max_cost=MAX_COST),
                    extensions={"code": "QUERY_TOO_COSTLY"},
                ))

    return CostLimit


class PageSizeRule(ValidationRule):
    """`first`/`last` may not exceed `MAX_PAGE_SIZE`."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        for argument in node.arguments or ():
            if argument.name.value in PAGE_ARGUMENTS and isinstance(argument.value, IntValueNode):
                if int(argument.value.value) > MAX_PAGE_SIZE:
                    self.report_error(GraphQLError(
                        _("%(argument)s may be at most %(max_page_size)s",
                          argument=argument.name.value, max_page_size=MAX_PAGE_SIZE),
                        nodes=[argument], extensions={"code": "BAD_USER_INPUT"},
                    ))


class DocumentCache(SchemaExtension):
    """Parse and validate each query text once: a text seen before (and valid) reuses its parsed
    document and skips validation, whose rules (depth, aliases, tokens, cost, page size,
    introspection) depend on the text and the schema only, never on the variables. Bounded LRU,
    one per schema; long texts are not kept."""

    MAX_ENTRIES = 512
    MAX_TEXT = 20_000

    def __init__(self, cache: OrderedDict[str, DocumentNode]) -> None:
        super().__init__()
        self.cache = cache

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        found = self.cache.get(query) if query else None
        if found is not None:
            self.cache.move_to_end(query)  # type: ignore[arg-type]
            self.execution_context.graphql_document = found
        yield

    def on_validate(self) -> Iterator[None]:
        context, query = self.execution_context, self.execution_context.query
        if query and query in self.cache:
            context.pre_execution_errors = []  # validated when it was first seen
            yield
            return
        yield
        if query and len(query) <= self.MAX_TEXT and context.pre_execution_errors == [] \
                and context.graphql_document is not None:
            self.cache[query] = context.graphql_document
            while len(self.cache) > self.MAX_ENTRIES:
                self.cache.popitem(last=False)


def validation_rules(*, production: bool) -> list[Any]:
    """The gateway's own validation rules (beyond graphql's), as its extensions add them: used to
    check an allow-list's documents at start-up. The token limit is a parse option: MAX_TOKENS."""
    rules: list[Any] = [*QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
                        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules, cost_rule(), PageSizeRule]
    if production:
        rules.extend(DisableIntrospection().validation_rules)
    return rules


def extensions(*, production: bool, persisted: Policy | None = None) -> list[Any]:
    """The schema extensions of the gateway: persisted queries first (they decide which text is
    parsed), then the document cache (it decides whether the others' validation runs at all)."""
    documents: OrderedDict[str, DocumentNode] = OrderedDict()
    policy = persisted or Policy()
    found: list[Any] = [
        lambda: PersistedQueries(policy),
        lambda: DocumentCache(documents),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules([cost_rule(), PageSizeRule]),
    ]
    if production:
        found.append(DisableIntrospection)
    return found
