"""A service's refusal relayed by the gateway in the caller's language (issue 22): the gateway passes
`Accept-Language` on to scoring, which writes the message; the code and reason are the same in both."""

from __future__ import annotations

from typing import Any

import httpx

from tests.gateway.live import Live, module_stack

live = module_stack("language")
UNIT = "mutation { createUnit(name: \"语言街道\", slug: \"lang\") { id } }"


def _error(live: Live, language: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {live.token('admin', '')}"}
    if language:
        headers["Accept-Language"] = language
    response = httpx.post(f"{live.url}/graphql", json={"query": UNIT}, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1
    return errors[0]  # type: ignore[no-any-return]


def test_a_service_refusal_through_the_gateway_in_both_languages(live: Live) -> None:
    """A second unit at the same path: scoring refuses it (409), the gateway relays scoring's message."""
    live(live.token("admin", ""), UNIT)
    chinese, english, default = _error(live, "zh-CN,zh;q=0.9"), _error(live, "en"), _error(live, None)
    assert chinese["message"] == "路径为 lang 的单位已存在"
    assert english["message"] == default["message"] == "a unit with path lang exists"  # the tests' default: en
    assert chinese["extensions"] == english["extensions"] == {"code": "CONFLICT", "reason": "conflict"}
