"""A graphql-core executor with a fast path for plain objects.

A page of 100 subjects with 20 indicator scores is ~5,000 fields, and graphql-core spends most of
a page's time on the per-field machinery (resolve info, resolver call, value completion) even for
fields that only read an attribute. When every field selected on an object is a strawberry basic
field (no resolver, no arguments, no field extensions) of a scalar type, this executor reads them
with the same default resolver and coerces them with the same scalar, without that machinery. Any
other object, a null in a non-null field, or any error falls back to graphql-core's own path, so
results and errors are exactly graphql-core's.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# (response name, the basic field's resolver, the scalar, whether null is an error)
Plan = tuple[tuple[str, Any, GraphQLScalarType, bool], ...]


class _Fallback(Exception):
    pass


class PlainFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, reading all-basic-scalar objects in one loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, int], tuple[Any, Plan | None]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan | None:
        key = (parent_type.name, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        plan: list[tuple[str, Any, GraphQLScalarType, bool]] | None = []
        middlewares = getattr(self.middleware_manager, "middlewares", None)
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            field = parent_type.fields.get(node.name.value)
            resolve = getattr(field, "resolve", None)
            if (middlewares or field is None or field.args or node.arguments or plan is None
                    or not getattr(resolve, "_is_default", False)):
                plan = None
                break
            kind, non_null = field.type, False
            if isinstance(kind, GraphQLNonNull):
                kind, non_null = kind.of_type, True
            if not isinstance(kind, GraphQLScalarType):
                plan = None
                break
            plan.append((response_name, resolve, kind, non_null))
        found = tuple(plan) if plan else None
        self._plans[key] = (grouped_field_set, found)  # keeps the set alive: its id stays unique
        return found

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
                       grouped_field_set: Any, position_context: Any) -> Any:
        plan = self._plan(parent_type, grouped_field_set)
        if plan is not None:
            try:
                return _read(plan, source_value, self.is_awaitable)
            except _Fallback:  # graphql-core's own path gives the same result or error, with its path
                pass
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)


    def complete_value(self, return_type: Any, field_details_list: Any, info: Any, path: Any, result: Any,
                       position_context: Any) -> Any:
        """A list of plain objects (a score's 20 indicators) is read in one loop too."""
        if isinstance(result, list):
            completed = self._plain_list(return_type, field_details_list, info, result)
            if completed is not None:
                return completed
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    def _plain_list(self, return_type: Any, field_details_list: Any, info: Any, result: list[Any]) -> Any:
        kind = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if not isinstance(kind, GraphQLList):
            return None
        item, item_non_null = kind.of_type, isinstance(kind.of_type, GraphQLNonNull)
        if item_non_null:
            item = item.of_type
        if not isinstance(item, GraphQLObjectType):
            return None
        grouped_field_set, defer_usages, _ = self.collect_subfields(item, field_details_list)
        plan = None if defer_usages else self._plan(item, grouped_field_set)
        if plan is None:
            return None
        completed: list[Any] = []
        try:
            for value in result:
                if value is None:
                    if item_non_null:
                        raise _Fallback
                    completed.append(None)
                    continue
                if item.is_type_of is not None and item.is_type_of(value, info) is not True:
                    raise _Fallback
                completed.append(_read(plan, value, self.is_awaitable))
        except _Fallback:
            return None
        return completed


def _read(plan: Plan, source: Any, is_awaitable: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for response_name, resolve, scalar, non_null in plan:
        value = resolve(source, None)
        if value is None:
            if non_null:
                raise _Fallback
            results[response_name] = None
            continue
        if is_awaitable(value):
            raise _Fallback
        try:
            coerced = scalar.coerce_output_value(value)
        except Exception as exc:
            raise _Fallback from exc
        if coerced is Undefined or coerced is None:
            raise _Fallback
        results[response_name] = coerced
    return results
