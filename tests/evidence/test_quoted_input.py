"""Input quoted back in evidence's refusals is shown with its control and bidirectional-formatting characters
escaped (probe defects; services/common/quoting.py), over evidence's REST in both languages."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.conftest import auth
from tests.evidence.conftest import SCORE

ADMIN = auth(("admin", ""), subject="office")


async def test_an_unknown_id_is_quoted_with_its_bidi_override_escaped(client: httpx.AsyncClient) -> None:
    spoof = "sub\u202eexe.fdp"
    for language, message in (("en", "submission sub\\u202eexe.fdp not found"),
                              ("zh-CN", "未找到报送材料 sub\\u202eexe.fdp")):
        answer = await client.get(f"/v1/submissions/{quote(spoof)}", headers={**ADMIN, "Accept-Language": language})
        assert (answer.status_code, answer.json()["error"]["message"]) == (404, message)
        assert "\u202e" not in answer.text


async def test_a_period_and_a_webhook_id_are_quoted_escaped(client: httpx.AsyncClient) -> None:
    refused = await client.post("/v1/submissions", json={**SCORE, "period_id": "2026\u2066\x1b[2J"}, headers=ADMIN)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        404, "period 2026\\u2066\\u001b[2J not found")
    hook = quote("hook\u200f")
    gone = await client.get(f"/v1/webhooks/{hook}", headers=ADMIN)
    assert (gone.status_code, gone.json()["error"]["message"]) == (
        404, "webhook subscription hook\\u200f does not exist")
