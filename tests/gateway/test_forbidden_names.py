"""A FORBIDDEN names what the caller used (newcomer probe): the REST route of a file operation, not the internal
operation name the schema does not have; a GraphQL field by its name. zh-CN and en, worked out by hand."""

from __future__ import annotations

from typing import Any

from gateway import access
from tests.gateway.fakes import PERIOD


def test_every_rest_operation_has_its_route() -> None:
    assert set(access.REST_ROUTES) == access.REST_OPERATIONS


async def test_an_export_refused_names_its_route(gateway: Any, bearer: Any) -> None:
    answers = {}
    for language in ("en", "zh-CN"):
        response = await gateway.get(f"/exports/periods/{PERIOD}/ranking.csv",
                                     headers={**bearer(("submitter", "city")), "Accept-Language": language})
        assert response.status_code == 403
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        answers[language] = error["message"]
    assert answers == {"en": "tester may not use GET /exports/periods/{period_id}/ranking.{format}",
                       "zh-CN": "tester 无权使用 GET /exports/periods/{period_id}/ranking.{format}"}
