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
        response = await gateway.get(
            f"/exports/periods/{PERIOD}/ranking.csv",
            headers={**bearer(("submitter", "city")), "Accept-Language": language},
        )
        assert response.status_code == 403
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        answers[language] = error["message"]
    assert answers == {
        "en": "tester may not use GET /exports/periods/{period_id}/ranking.{format}",
        "zh-CN": "tester 无权使用 GET /exports/periods/{period_id}/ranking.{format}",
    }


async def test_an_api_key_is_named_by_its_name_in_a_refusal() -> None:
    """The key the gateway authenticated (its id and name from scoring's verification) is refused by its name,
    not by `api-key:<id>`; a GraphQL field and a file route alike."""
    import httpx
    import pytest

    from gateway.auth import Authenticator
    from kaohe.i18n import localize
    from services.common.errors import Forbidden
    from services.common.settings import get_settings

    async def verify(key: str) -> dict[str, Any]:
        return {"id": "7", "name": "门户", "grants": [{"role": "auditor", "scope": "city"}]}

    authenticator = Authenticator(get_settings(), httpx.AsyncClient(), verify)
    key = await authenticator.authenticate({"X-API-Key": "kh_good"})
    assert (key.subject, key.name) == ("api-key:7", "门户")
    with pytest.raises(Forbidden) as field:
        access.require(key, "openPeriod", unit_path="city")
    with pytest.raises(Forbidden) as route:
        access.require(key, "importSubjects", unit_path="city")
    assert [localize(caught.value.message, language) for caught in (field, route) for language in ("en", "zh-CN")] == [
        "the API key '门户' may not run openPeriod",
        "API 密钥 '门户' 无权执行 openPeriod",
        "the API key '门户' may not use POST /uploads/periods/{period_id}/subjects",
        "API 密钥 '门户' 无权使用 POST /uploads/periods/{period_id}/subjects",
    ]
