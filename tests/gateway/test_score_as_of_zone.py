"""`scoreAsOf(at:)` without a time zone is refused naming its own argument, `at` (newcomer probe): scoring's
parameter is `as_of`, which the gateway used to relay as `asOf`, a name the query does not have."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.schema import build_schema
from kaohe.i18n import locale_var
from services.common.auth import Grant, Principal
from tests.gateway.fakes import FakeBackend, context

SCHEMA = build_schema()
ADMIN = Principal(subject="admin@a", grants=(Grant("admin", ""),))
QUERY = 'query($at: DateTime!) { scoreAsOf(periodId: "p1", subjectId: "s-a", at: $at) { value } }'


async def _answer(at: str, locale: str = "en") -> tuple[Any, list[dict[str, Any]]]:
    backend = FakeBackend()
    clients = backend.clients()
    token = locale_var.set(locale)
    try:
        result = await SCHEMA.execute(QUERY, variable_values={"at": at}, context_value=context(clients, ADMIN))
    finally:
        locale_var.reset(token)
        await clients.aclose()
    return result.data, [{"message": e.message, **(e.extensions or {})} for e in result.errors or []]


@pytest.mark.parametrize(("locale", "message"), [
    ("en", "at needs a time zone (e.g. 2026-04-01T08:00:00+08:00)"),
    ("zh-CN", "at 须带时区（如 2026-04-01T08:00:00+08:00）")])
async def test_an_instant_without_a_time_zone_is_refused_naming_at(locale: str, message: str) -> None:
    data, errors = await _answer("2026-04-01T08:00:00", locale)
    assert data == {"scoreAsOf": None}
    assert errors == [{"message": message, "code": "BAD_USER_INPUT", "reason": "invalid_input",
                       "details": [{"field": "at"}]}]


async def test_an_instant_with_its_time_zone_is_asked_of_scoring() -> None:
    _data, errors = await _answer("2026-04-01T08:00:00+08:00")
    assert errors == []
