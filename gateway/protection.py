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
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType as StrawberryOperationType

from gateway.persisted import PersistedQueries, Policy
from kaohe.i18n import _

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5000
MAX_COST = 20_000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
PAGE_ARGUMENTS = ("first", "last")
# Fields whose one call reads a whole audit chain or snapshot (every record and audited row of a service): each
# costs a fifth of the limit, so one request verifies at most four (the three chains and a snapshot), and thirty
# aliases of one cannot hold a service for half a minute.
WHOLE_CHAIN_COST = MAX_COST // 5
# verifyPeriod recomputes a whole period with the engine (every subject, every fact) and asks evidence for the
# provenance of every fact: a third of the limit, so one request verifies at most two periods (thirty aliases of it
# recomputed the period thirty times, attacker probe), and still fits beside the three chains (docs/api.md's Audit).
RECOMPUTE_COST = MAX_COST // 3
COSTLY_FIELDS: dict[str, int] = {"verifyAuditChain": WHOLE_CHAIN_COST, "verifySnapshot": WHOLE_CHAIN_COST,
                                 "verifyPeriod": RECOMPUTE_COST}


def _page_size(field: FieldNode, variables: dict[str, Any], paged: frozenset[str]) -> int:
    """How many items of `field` a query may get: its `first`, MAX_PAGE_SIZE when that cannot be read, the default
    page for a connection without it (every connection: thirty aliases of `webhookSubscriptions { deliveries }`
    counted as one item each held the evidence service for minutes, attacker probe), else 1."""
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value)
            name = getattr(getattr(argument.value, "name", None), "value", None)
            if name is not None and isinstance(variables.get(name), int):
                return int(variables[name])
            return MAX_PAGE_SIZE
    # a connection asked for without `first` answers its default page, and costs it (a field of that name on a type
    # without paging counts as much: the estimate errs on the costly side)
    return DEFAULT_PAGE_SIZE if field.name.value in paged else 1


def _paged_fields(schema: GraphQLSchema) -> frozenset[str]:
    """The names of the fields that take `first` anywhere in the schema (read at each validation, which the document
    cache runs once per query text)."""
    return frozenset(name for kind in schema.type_map.values() if isinstance(kind, GraphQLObjectType)
                     for name, field in kind.fields.items() if "first" in field.args)


def _collect(selection_set: SelectionSetNode | None, context: ValidationContext) -> list[FieldNode]:
    """The fields of a selection set as execution collects them (graphql's CollectFields): through inline fragments
    and fragment spreads, each named fragment entered once, so a fragment spread twice or in a cycle adds its fields
    once and fragments spreading each other in pairs cannot fan out. An unknown fragment is skipped (graphql-core's
    KnownFragmentNamesRule names it). A stack, not recursion: a chain of hundreds of fragments is read in a loop."""
    fields: list[FieldNode] = []
    entered: set[str] = set()
    pending = [iter(selection_set.selections)] if selection_set else []
    while pending:
        selection = next(pending[-1], None)
        if selection is None:
            pending.pop()
        elif isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            pending.append(iter(selection.selection_set.selections))
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in entered:
            entered.add(selection.name.value)
            fragment = context.get_fragment(selection.name.value)
            if fragment is not None:
                pending.append(iter(fragment.selection_set.selections))
    return fields


class _TooMuch(Exception):
    """The walk read more fields than any operation within the limits has."""


class _Measure:
    """Depth, aliases and estimated cost of one operation, in one walk over its fields. The walk stops below
    MAX_DEPTH + 1 levels and after MAX_COST fields read, so its own work is bounded whatever the document."""

    def __init__(self, context: ValidationContext, variables: dict[str, Any]) -> None:
        self.context, self.variables = context, variables
        self.paged = _paged_fields(context.schema)
        self.depth = self.aliases = self.read = 0

    def total(self, selection_set: SelectionSetNode | None) -> int:
        """The operation's estimated cost, MAX_COST + 1 when its fields are too many to count."""
        try:
            return self.cost(selection_set)
        except _TooMuch:
            return MAX_COST + 1

    def cost(self, selection_set: SelectionSetNode | None, level: int = 0) -> int:
        """Each field costs 1, times the page sizes of the lists around it."""
        total = 0
        for field in _collect(selection_set, self.context):
            self.read += 1
            if self.read > MAX_COST:
                raise _TooMuch
            self.aliases += field.alias is not None
            total += COSTLY_FIELDS.get(field.name.value, 0)
            if field.selection_set is None or field.name.value.startswith("__"):
                total += 1  # a leaf, or introspection (not counted in the depth)
                continue
            self.depth = max(self.depth, level + 1)
            if level + 1 > MAX_DEPTH:
                continue  # refused for its depth: what lies deeper need not be read
            total += 1 + _page_size(field, self.variables, self.paged) * self.cost(field.selection_set, level + 1)
        return total


def estimate_cost(selection_set: SelectionSetNode | None, context: ValidationContext,
                  variables: dict[str, Any]) -> int:
    """Each field costs 1, times the page sizes of the lists around it (MAX_COST + 1 when the fields are too many
    to count)."""
    return _Measure(context, variables).total(selection_set)


def cost_rule(variables: dict[str, Any] | None = None) -> type[ValidationRule]:
    """A validation rule refusing an operation nested deeper than MAX_DEPTH fields, with more than MAX_ALIASES
    aliases, or whose estimated cost is over MAX_COST (with the messages strawberry's depth and alias limiters
    gave, which it replaces: theirs followed every fragment spread again and fanned out exponentially)."""

    class OperationLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            measure = _Measure(self.context, variables or {})
            cost = measure.total(node.selection_set)
            name = node.name.value if node.name else None
            if measure.depth > MAX_DEPTH:
                self.report_error(GraphQLError(
                    _("'%(operation)s' exceeds maximum operation depth of %(max_depth)s", operation=name,
                      max_depth=MAX_DEPTH) if name else
                    _("'anonymous' exceeds maximum operation depth of %(max_depth)s", max_depth=MAX_DEPTH),
                    nodes=[node]))
            if measure.aliases > MAX_ALIASES:
                self.report_error(GraphQLError(_("%(count)s aliases found. Allowed: %(max_aliases)s",
                                                 count=measure.aliases, max_aliases=MAX_ALIASES)))
            if cost > MAX_COST:
                self.report_error(GraphQLError(
                    _("query cost %(cost)s is over the limit of %(max_cost)s; ask for fewer items or fields",
                      cost=cost, max_cost=MAX_COST),
                    extensions={"code": "QUERY_TOO_COSTLY"},
                ))

    return OperationLimits


class PageSizeRule(ValidationRule):
    """`first`/`last` may not exceed `MAX_PAGE_SIZE`."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        for argument in node.arguments or ():
            if argument.name.value in PAGE_ARGUMENTS and isinstance(argument.value, IntValueNode):
                if int(argument.value.value) > MAX_PAGE_SIZE:
                    self.report_error(GraphQLError(
                        _("%(argument)s may be at most %(max_page_size)s",
                          argument=argument.name.value, max_page_size=MAX_PAGE_SIZE),
                        nodes=[argument], extensions={"code": "BAD_USER_INPUT", "reason": "invalid_input", "details": [
                            {"field": argument.name.value, "reason": "out of range"}]},
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


class SubscriptionOverHttp(InvalidOperationTypeError):
    """A subscription sent as an HTTP request: strawberry answers 400 with this reason (its multipart transport
    is not the gateway's; a subscription executed as a query failed INTERNAL, its non-null root never resolved)."""

    def __init__(self) -> None:
        super().__init__(StrawberryOperationType.SUBSCRIPTION)

    def as_http_error_reason(self, method: str) -> str:
        return _("subscriptions go over the WebSocket at /graphql (graphql-transport-ws), not over HTTP")


class OperationChoice(SchemaExtension):
    """Which operation of the parsed document runs, checked per request (not cached with the document, since it
    depends on `operationName`): a document of several operations needs a name (the GraphQL specification;
    strawberry ran the first), and over HTTP the operation may not be a subscription."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        provided = context._provided_operation_name  # strawberry's operation_name falls back to the first's
        if provided is None and len(operations) > 1:
            raise GraphQLError(_("Must provide operation name if query contains multiple operations."))
        request = getattr(context.context, "request", None)
        if request is None or getattr(request, "scope", {}).get("type") != "http":
            return
        chosen = operations[0] if provided is None and operations else next(
            (o for o in operations if o.name is not None and o.name.value == provided), None)
        if chosen is not None and chosen.operation == OperationType.SUBSCRIPTION:
            raise SubscriptionOverHttp


def validation_rules(*, production: bool) -> list[Any]:
    """The gateway's own validation rules (beyond graphql's), as its extensions add them: used to
    check an allow-list's documents at start-up. The token limit is a parse option: MAX_TOKENS."""
    rules: list[Any] = [cost_rule(), PageSizeRule]
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
        OperationChoice,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules([cost_rule(), PageSizeRule]),
    ]
    if production:
        found.append(DisableIntrospection)
    return found
