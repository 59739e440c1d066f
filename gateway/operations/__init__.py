"""Root fields of the schema, one module per domain; each resolver checks access first."""

from __future__ import annotations

from typing import Any

from gateway.errors import camel
from gateway.loaders import rows_of
from kaohe.i18n import _
from services.common.errors import InvalidInput

MAX_TEXT = 4000
MAX_ID = 200
MAX_LIST = 500


def rows(body: Any, key: str) -> list[dict[str, Any]]:
    """The rows of a list endpoint (bare list, or `{key|items: [...]}`)."""
    return rows_of(body, key)


def bounded(**fields: Any) -> None:
    """Refuse over-long strings and lists before anything reaches a service. Each is named by its argument's or
    input field's name in snake_case (`period_id=input.period_id`, `id=str(id)`); the refusal names it as GraphQL
    does (`periodId`)."""
    for python_name, value in fields.items():
        name = camel(python_name)
        if isinstance(value, str) and len(value) > (MAX_ID if python_name.endswith(("id", "key")) else MAX_TEXT):
            raise InvalidInput(_("%(name)s is too long", name=name), details=[{"field": name, "reason": "too long"}])
        if isinstance(value, list) and len(value) > MAX_LIST:
            raise InvalidInput(_("%(name)s has too many items", name=name),
                               details=[{"field": name, "reason": "too many items"}])


def bounded_ids(name: str, ids: list[Any], *, limit: int = 100) -> None:
    """Refuse more than `limit` ids, or any id over the id length."""
    name = camel(name)
    if len(ids) > limit:
        raise InvalidInput(_("%(name)s has more than %(limit)s ids", name=name, limit=limit),
                           details=[{"field": name, "reason": "too many ids"}])
    for value in ids:
        if len(str(value)) > MAX_ID:
            raise InvalidInput(_("an id in %(name)s is too long", name=name),
                               details=[{"field": name, "reason": "id too long"}])


def bounded_texts(name: str, values: list[str], *, limit: int = 20) -> None:
    """Refuse more than `limit` texts, or any text over the text length."""
    name = camel(name)
    if len(values) > limit or any(len(v) > MAX_TEXT for v in values):
        raise InvalidInput(_("%(name)s: at most %(limit)s items of at most %(max_text)s characters",
                             name=name, limit=limit, max_text=MAX_TEXT),
                           details=[{"field": name, "reason": "too many or too long"}])


def idempotency(key: str | None) -> dict[str, str]:
    """The `Idempotency-Key` header for a creating call, when the client sent one."""
    if key is None:
        return {}
    bounded(idempotency_key=key)
    return {"Idempotency-Key": key}


async def fetch_owned(ctx: Any, operation: str, service: str, path: str) -> dict[str, Any]:
    """GET one entity about a subject, then check `operation` on that subject before using it."""
    from gateway import access, loaders

    access.require_role(ctx.user, operation)
    row: dict[str, Any] = await ctx.clients.by_name[service].request("GET", path, ctx.user)
    await loaders.authorize_subject(ctx, operation, str(row.get("period_id")), str(row.get("subject_id")))
    return row
